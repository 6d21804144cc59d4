//! What a namespace's code sees of a connected socket: the handler traits
//! it implements, and the [`SocketHandle`] it emits with.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::{Notify, oneshot};

use super::engine::{self, Handshake, Outgoing, Payload, SendError};
use super::packet::{Encoded, PacketKind};

/// Serializes one argument for [`SocketHandle::emit`].
/// # Errors
/// When `value` does not serialize (a map with non-string keys, say).
pub fn arg<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::value::to_raw_value(value)
}

/// The credentials of a client that reconnects with Socket.IO's
/// connection-state recovery (socket.io-client 4.6 and later): the private
/// id the server gave its previous socket, and the offset of the last event
/// it received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    pub pid: String,
    pub offset: String,
}

/// A CONNECT to a namespace, for the namespace to accept or refuse.
pub struct ConnectRequest {
    /// The CONNECT packet's payload, `{}` when it had none.
    pub auth: Box<RawValue>,
    /// `pid` and `offset` from `auth`, when the client sent both as strings.
    pub recovery: Option<Recovery>,
    /// The request that opened the Engine.IO session: headers, query, peer.
    pub handshake: Arc<Handshake>,
    /// The socket this CONNECT would create; it can emit only once accepted.
    pub socket: SocketHandle,
}

/// A namespace's yes to a CONNECT.
pub struct Accepted {
    /// Serves the socket's events until it disconnects.
    pub handler: Box<dyn SocketHandler>,
    /// A private id for connection-state recovery, sent in the CONNECT
    /// answer as `pid`; the client presents it when it reconnects.
    pub pid: Option<String>,
}

impl Accepted {
    pub fn new(handler: impl SocketHandler) -> Self {
        Self {
            handler: Box::new(handler),
            pid: None,
        }
    }
}

/// A namespace's no: the CONNECT_ERROR payload (the client's
/// `connect_error` gets an `Error` with this `message` and `data`).
#[derive(Debug)]
pub struct ConnectError(Box<RawValue>);

impl ConnectError {
    /// `{"message": message}`.
    pub fn message(message: &str) -> Self {
        #[derive(Serialize)]
        struct Body<'a> {
            message: &'a str,
        }
        Self::with_data(&Body { message })
    }

    /// `{"message": message, "data": data}`: details for the client.
    pub fn with_details<T: Serialize>(message: &str, data: &T) -> Self {
        #[derive(Serialize)]
        struct Body<'a, T> {
            message: &'a str,
            data: &'a T,
        }
        Self::with_data(&Body { message, data })
    }

    fn with_data<T: Serialize>(body: &T) -> Self {
        Self(arg(body).unwrap_or_else(|_| {
            RawValue::from_string(r#"{"message":"Connection refused"}"#.to_owned())
                .unwrap_or_else(|_| RawValue::NULL.to_owned())
        }))
    }

    pub(super) fn into_data(self) -> Box<RawValue> {
        self.0
    }
}

/// One namespace's server side.
pub trait Namespace: Send + Sync + 'static {
    /// Answers a CONNECT: accept (the socket then exists, and
    /// [`SocketHandler::on_connect`] runs after the client has been told)
    /// or refuse with a CONNECT_ERROR.
    fn connect(
        &self,
        request: ConnectRequest,
    ) -> BoxFuture<'static, Result<Accepted, ConnectError>>;
}

/// An EVENT (or BINARY_EVENT) from the client.
#[derive(Debug)]
pub struct Event {
    pub name: String,
    /// The arguments after the name, as JSON; binary ones are placeholders
    /// indexing `attachments`.
    pub args: Vec<Box<RawValue>>,
    pub attachments: Vec<Bytes>,
    /// Set when the client waits for an acknowledgement: answer with
    /// [`SocketHandle::ack`].
    pub ack: Option<u64>,
}

/// An ACK (or BINARY_ACK) from the client, for an event sent with
/// [`SocketHandle::emit_with_ack`].
#[derive(Debug)]
pub struct AckReply {
    pub args: Vec<Box<RawValue>>,
    pub attachments: Vec<Bytes>,
}

/// Why a socket left its namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client sent DISCONNECT.
    ClientDisconnect,
    /// The server called [`SocketHandle::disconnect`].
    ServerDisconnect,
    /// The Engine.IO session ended.
    Transport(engine::CloseReason),
    /// The client broke the Socket.IO protocol; the connection is closing.
    ProtocolError,
}

/// One connected socket's server side. Its methods run one at a time, in
/// the order the client's packets arrived.
pub trait SocketHandler: Send + 'static {
    /// The client has been told it is connected.
    fn on_connect(&mut self, socket: &SocketHandle) {
        let _ = socket;
    }

    /// An event from the client. Later packets wait until this returns.
    fn on_event<'a>(&'a mut self, socket: &'a SocketHandle, event: Event) -> BoxFuture<'a, ()> {
        let _ = (socket, event);
        Box::pin(async {})
    }

    /// The socket left its namespace; nothing sent on it arrives any more.
    fn on_disconnect(&mut self, socket: &SocketHandle, reason: DisconnectReason) {
        let _ = (socket, reason);
    }
}

/// Acks the server waits for, per socket, at most this many at once.
const MAX_PENDING_ACKS: usize = 256;

struct Inner {
    id: String,
    nsp: String,
    sender: engine::Sender,
    connected: AtomicBool,
    /// Set by [`SocketHandle::disconnect`]; the connection's task then
    /// removes the socket.
    leaving: AtomicBool,
    wake: Arc<Notify>,
    next_ack: AtomicU64,
    acks: Mutex<HashMap<u64, oneshot::Sender<AckReply>>>,
}

/// Sends to one socket. Cheap to clone, `Send`, and never waits: a client
/// that does not keep up is disconnected instead (see the engine's queue).
#[derive(Clone)]
pub struct SocketHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SocketHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketHandle")
            .field("id", &self.inner.id)
            .field("nsp", &self.inner.nsp)
            .finish_non_exhaustive()
    }
}

impl SocketHandle {
    pub(super) fn new(id: String, nsp: String, sender: engine::Sender, wake: Arc<Notify>) -> Self {
        Self {
            inner: Arc::new(Inner {
                id,
                nsp,
                sender,
                connected: AtomicBool::new(false),
                leaving: AtomicBool::new(false),
                wake,
                next_ack: AtomicU64::new(0),
                acks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The socket's id (not the Engine.IO session's).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn nsp(&self) -> &str {
        &self.inner.nsp
    }

    /// Whether the socket is connected: accepted and not yet gone.
    pub fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    pub(super) fn set_connected(&self, connected: bool) {
        self.inner.connected.store(connected, Ordering::Release);
        if !connected {
            // Nobody will answer the acks still awaited.
            self.inner
                .acks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }

    pub(super) fn is_leaving(&self) -> bool {
        self.inner.leaving.load(Ordering::Acquire)
    }

    /// Sends an already encoded event (one encoding, many sockets),
    /// counted in `concord_socketio_events_emitted_total`. It must have
    /// been encoded for this socket's namespace.
    /// # Errors
    /// When the socket is not connected, or its client is too slow (which
    /// closes the connection).
    pub fn send(&self, packet: &Encoded) -> Result<(), SendError> {
        self.send_connected(packet)?;
        metrics::counter!("concord_socketio_events_emitted_total").increment(1);
        Ok(())
    }

    /// Sends a packet if the socket is connected.
    fn send_connected(&self, packet: &Encoded) -> Result<(), SendError> {
        if !self.is_connected() {
            return Err(SendError::Closed);
        }
        self.send_raw(packet)
    }

    /// Sends whatever the socket's state: the CONNECT answer itself.
    pub(super) fn send_raw(&self, packet: &Encoded) -> Result<(), SendError> {
        self.inner.sender.send(Outgoing {
            head: Payload::Text(packet.text.clone()),
            attachments: packet.attachments.clone(),
            sent: None,
        })
    }

    /// Emits event `name` with `args` (see [`arg`]).
    /// # Errors
    /// As [`SocketHandle::send`].
    pub fn emit(&self, name: &str, args: &[Box<RawValue>]) -> Result<(), SendError> {
        self.send(&Encoded::event(
            &self.inner.nsp,
            name,
            args,
            None,
            Vec::new(),
        ))
    }

    /// Emits event `name` with binary attachments, which `args` refer to by
    /// placeholder.
    /// # Errors
    /// As [`SocketHandle::send`].
    pub fn emit_binary(
        &self,
        name: &str,
        args: &[Box<RawValue>],
        attachments: Vec<Bytes>,
    ) -> Result<(), SendError> {
        self.send(&Encoded::event(
            &self.inner.nsp,
            name,
            args,
            None,
            attachments,
        ))
    }

    /// Emits event `name` and returns what the client acknowledges with.
    /// The receiver fails if the socket disconnects first; callers bound
    /// the wait themselves, and wait outside [`SocketHandler::on_event`]
    /// (the acknowledgement is read by the task that runs it).
    /// # Errors
    /// As [`SocketHandle::send`], and [`SendError::TooSlow`] when too many
    /// acknowledgements are awaited already.
    pub fn emit_with_ack(
        &self,
        name: &str,
        args: &[Box<RawValue>],
    ) -> Result<oneshot::Receiver<AckReply>, SendError> {
        let id = self.inner.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut acks = self
                .inner
                .acks
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            acks.retain(|_, waiting| !waiting.is_closed());
            if acks.len() >= MAX_PENDING_ACKS {
                return Err(SendError::TooSlow);
            }
            acks.insert(id, tx);
        }
        let sent = self.send(&Encoded::event(
            &self.inner.nsp,
            name,
            args,
            Some(id),
            Vec::new(),
        ));
        if let Err(e) = sent {
            self.inner
                .acks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            return Err(e);
        }
        Ok(rx)
    }

    /// Hands the client's ACK `id` to whoever waits for it.
    pub(super) fn resolve_ack(&self, id: u64, reply: AckReply) {
        let waiting = self
            .inner
            .acks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if let Some(waiting) = waiting {
            let _ = waiting.send(reply);
        }
    }

    /// Acknowledges the client's event `id` with `args`.
    /// # Errors
    /// As [`SocketHandle::send`].
    pub fn ack(
        &self,
        id: u64,
        args: &[Box<RawValue>],
        attachments: Vec<Bytes>,
    ) -> Result<(), SendError> {
        self.send_connected(&Encoded::ack(&self.inner.nsp, id, args, attachments))
    }

    /// Takes the socket out of its namespace: the client gets DISCONNECT
    /// (and does not reconnect on its own), the handler `on_disconnect`.
    /// The connection stays for the client's other namespaces.
    pub fn disconnect(&self) {
        if self.inner.connected.swap(false, Ordering::AcqRel) {
            let _ = self.send_raw(&Encoded::bare(PacketKind::Disconnect, &self.inner.nsp));
            self.inner.leaving.store(true, Ordering::Release);
            self.inner.wake.notify_one();
        }
    }

    /// Closes the whole connection (every namespace of this client), after
    /// what is already queued.
    pub fn close_connection(&self) {
        self.inner.sender.close();
    }
}
