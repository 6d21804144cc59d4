//! The Socket.IO server: namespaces over Engine.IO sessions.
//!
//! Each Engine.IO session gets one task ([`Client`]) that decodes its
//! packets, answers CONNECTs through the namespace's [`Namespace`], and
//! hands events and acks to the connected sockets' handlers, one packet at
//! a time. Sockets send on their own ([`SocketHandle`]); nothing they send
//! passes through this task.
//!
//! CONNECTs answered are counted in
//! `concord_socketio_connects_total{result="accepted"|"refused"}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::{Notify, oneshot};
use tokio::time::{Instant, sleep_until};

use super::engine::{Connection, Engine, EngineConfig, OnConnection, Payload};
use super::packet::{Decoded, Decoder, Encoded, PacketKind, array_items, event_name};
use super::socket::{
    AckReply, ConnectError, ConnectRequest, DisconnectReason, Event, Namespace, Recovery,
    SocketHandle, SocketHandler,
};

/// Socket.IO settings above the engine's.
#[derive(Clone, Debug)]
pub struct SocketIoConfig {
    /// A connection with no namespace connected this long after it opened
    /// is closed.
    pub connect_timeout: Duration,
    /// Most binary attachments one packet may announce.
    pub max_attachments: usize,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            max_attachments: 10,
        }
    }
}

/// A Socket.IO server: mount [`SocketIo::handle`] at its path.
#[derive(Clone)]
pub struct SocketIo {
    engine: Engine,
}

/// Collects namespaces before the server starts.
pub struct SocketIoBuilder {
    engine: EngineConfig,
    config: SocketIoConfig,
    namespaces: HashMap<String, Arc<dyn Namespace>>,
}

impl SocketIoBuilder {
    /// Serves namespace `name` (`"/"` is the main one) with `namespace`.
    #[must_use]
    pub fn namespace(mut self, name: &str, namespace: impl Namespace) -> Self {
        self.namespaces.insert(name.to_owned(), Arc::new(namespace));
        self
    }

    pub fn build(self) -> SocketIo {
        let shared = Arc::new(Server {
            config: self.config,
            namespaces: self.namespaces,
        });
        let on_connection: OnConnection = Arc::new(move |conn| {
            let shared = Arc::clone(&shared);
            actix_web::rt::spawn(Client::new(shared, conn).run());
        });
        SocketIo {
            engine: Engine::new(self.engine, on_connection),
        }
    }
}

impl SocketIo {
    pub fn builder(engine: EngineConfig, config: SocketIoConfig) -> SocketIoBuilder {
        SocketIoBuilder {
            engine,
            config,
            namespaces: HashMap::new(),
        }
    }

    /// Answers one request under the server's path.
    pub async fn handle(&self, req: HttpRequest, body: web::Payload) -> HttpResponse {
        self.engine.handle(req, body).await
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// How long `on_connect` waits for the CONNECT answer to leave.
const CONNECT_ANSWER_WAIT: Duration = Duration::from_secs(1);

struct Server {
    config: SocketIoConfig,
    namespaces: HashMap<String, Arc<dyn Namespace>>,
}

/// A connected socket and its handler.
struct Member {
    socket: SocketHandle,
    handler: Box<dyn SocketHandler>,
}

/// One Engine.IO session's Socket.IO side.
struct Client {
    server: Arc<Server>,
    conn: Connection,
    decoder: Decoder,
    sockets: HashMap<String, Member>,
    /// Rung by [`SocketHandle::disconnect`].
    wake: Arc<Notify>,
    /// Set once the client broke the protocol: the rest is ignored while
    /// the connection closes.
    closing: bool,
}

/// The Socket.IO packet was fine, but the client's state does not allow it
/// (an event for a namespace it is not in, a second CONNECT).
struct InvalidState;

impl Client {
    fn new(server: Arc<Server>, conn: Connection) -> Self {
        let decoder = Decoder::new(server.config.max_attachments);
        Self {
            server,
            conn,
            decoder,
            sockets: HashMap::new(),
            wake: Arc::new(Notify::new()),
            closing: false,
        }
    }

    async fn run(mut self) {
        let connect_by = Instant::now() + self.server.config.connect_timeout;
        let mut waiting_for_connect = true;
        loop {
            tokio::select! {
                message = self.conn.incoming.recv() => match message {
                    Some(payload) => self.on_message(payload).await,
                    None => break,
                },
                () = sleep_until(connect_by), if waiting_for_connect => {
                    waiting_for_connect = false;
                    // As the reference server: no namespace by now, close.
                    if self.sockets.is_empty() {
                        self.conn.sender.close();
                    }
                }
                () = self.wake.notified() => self.remove_leaving(),
            }
        }
        let reason = self
            .conn
            .close_reason()
            .map_or(DisconnectReason::ProtocolError, DisconnectReason::Transport);
        let reason = if self.closing {
            DisconnectReason::ProtocolError
        } else {
            reason
        };
        for (_, mut member) in self.sockets.drain() {
            member.socket.set_connected(false);
            member.handler.on_disconnect(&member.socket, reason);
        }
    }

    fn remove_leaving(&mut self) {
        let leaving: Vec<String> = self
            .sockets
            .iter()
            .filter(|(_, m)| m.socket.is_leaving())
            .map(|(nsp, _)| nsp.clone())
            .collect();
        for nsp in leaving {
            if let Some(mut member) = self.sockets.remove(&nsp) {
                member.socket.set_connected(false);
                member
                    .handler
                    .on_disconnect(&member.socket, DisconnectReason::ServerDisconnect);
            }
        }
    }

    /// Ends the connection for a protocol violation.
    fn fail(&mut self) {
        self.closing = true;
        self.conn.sender.close();
    }

    async fn on_message(&mut self, payload: Payload) {
        if self.closing {
            return;
        }
        let decoded = match payload {
            Payload::Text(text) => self.decoder.text(&text),
            Payload::Binary(bytes) => self.decoder.binary(bytes),
        };
        match decoded {
            Ok(Some(decoded)) => {
                if self.on_packet(decoded).await.is_err() {
                    self.fail();
                }
            }
            Ok(None) => {}
            Err(_) => self.fail(),
        }
    }

    async fn on_packet(&mut self, decoded: Decoded) -> Result<(), InvalidState> {
        let Decoded {
            packet,
            attachments,
        } = decoded;
        let connected = self.sockets.contains_key(&packet.nsp);
        match packet.kind {
            PacketKind::Connect if !connected => {
                self.connect(packet.nsp, packet.data).await;
                Ok(())
            }
            PacketKind::Disconnect if connected => {
                if let Some(mut member) = self.sockets.remove(&packet.nsp) {
                    member.socket.set_connected(false);
                    member
                        .handler
                        .on_disconnect(&member.socket, DisconnectReason::ClientDisconnect);
                }
                Ok(())
            }
            PacketKind::Event | PacketKind::BinaryEvent if connected => {
                let data = packet.data.ok_or(InvalidState)?;
                let name = event_name(&data).ok_or(InvalidState)?;
                let mut args = array_items(&data).map_err(|_| InvalidState)?;
                args.remove(0);
                let event = Event {
                    name,
                    args,
                    attachments,
                    ack: packet.id,
                };
                if let Some(member) = self.sockets.get_mut(&packet.nsp) {
                    member.handler.on_event(&member.socket, event).await;
                }
                Ok(())
            }
            PacketKind::Ack | PacketKind::BinaryAck if connected => {
                let (Some(id), Some(data)) = (packet.id, packet.data) else {
                    return Err(InvalidState);
                };
                let args = array_items(&data).map_err(|_| InvalidState)?;
                if let Some(member) = self.sockets.get(&packet.nsp) {
                    member
                        .socket
                        .resolve_ack(id, AckReply { args, attachments });
                }
                Ok(())
            }
            _ => Err(InvalidState),
        }
    }

    /// Answers a CONNECT: unknown namespace, refused, or connected.
    async fn connect(&mut self, nsp: String, auth: Option<Box<RawValue>>) {
        let Some(namespace) = self.server.namespaces.get(&nsp).cloned() else {
            count_connect("refused");
            let refusal = ConnectError::message("Invalid namespace").into_data();
            let _ = self.conn.sender.send(outgoing(&Encoded::with_data(
                PacketKind::ConnectError,
                &nsp,
                refusal,
            )));
            return;
        };
        let auth = auth.unwrap_or_else(empty_object);
        let socket = SocketHandle::new(
            new_socket_id(),
            nsp.clone(),
            self.conn.sender.clone(),
            Arc::clone(&self.wake),
        );
        let request = ConnectRequest {
            recovery: recovery(&auth),
            auth,
            handshake: Arc::clone(&self.conn.handshake),
            socket: socket.clone(),
        };
        match namespace.connect(request).await {
            Ok(accepted) => {
                count_connect("accepted");
                #[derive(Serialize)]
                struct Connected<'a> {
                    sid: &'a str,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    pid: Option<&'a str>,
                }
                let body = Connected {
                    sid: socket.id(),
                    pid: accepted.pid.as_deref(),
                };
                let Ok(data) = serde_json::value::to_raw_value(&body) else {
                    return;
                };
                // Marked connected only once the answer is queued, so that
                // nothing the socket emits can overtake it.
                let answer = Encoded::with_data(PacketKind::Connect, &nsp, data);
                let (sent, left) = oneshot::channel();
                let mut message = outgoing(&answer);
                message.sent = Some(sent);
                if self.conn.sender.send(message).is_err() {
                    return;
                }
                socket.set_connected(true);
                // `on_connect` runs once the answer has left, as the
                // reference server's "connection" handler does: what it
                // emits then reaches the client after the answer, not in
                // the same read (clients that take one message per read,
                // like the official test suite, depend on it). Only pacing
                // hangs on it, not order, so the wait is bounded: a client
                // flooding the session before any poll cannot stall it.
                let _ = tokio::time::timeout(CONNECT_ANSWER_WAIT, left).await;
                let mut member = Member {
                    socket,
                    handler: accepted.handler,
                };
                member.handler.on_connect(&member.socket);
                self.sockets.insert(nsp, member);
            }
            Err(refusal) => {
                count_connect("refused");
                let _ = self.conn.sender.send(outgoing(&Encoded::with_data(
                    PacketKind::ConnectError,
                    &nsp,
                    refusal.into_data(),
                )));
            }
        }
    }
}

/// One CONNECT answered: `accepted` or `refused`.
fn count_connect(result: &'static str) {
    metrics::counter!("concord_socketio_connects_total", "result" => result).increment(1);
}

fn outgoing(packet: &Encoded) -> super::engine::Outgoing {
    super::engine::Outgoing {
        head: Payload::Text(packet.text.clone()),
        attachments: packet.attachments.clone(),
        sent: None,
    }
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// `pid` and `offset` from a CONNECT's payload, when both are strings.
fn recovery(auth: &RawValue) -> Option<Recovery> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(auth.get()) else {
        return None;
    };
    match (map.get("pid"), map.get("offset")) {
        (Some(Value::String(pid)), Some(Value::String(offset))) => Some(Recovery {
            pid: pid.clone(),
            offset: offset.clone(),
        }),
        _ => None,
    }
}

fn new_socket_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_needs_both_pid_and_offset_as_strings() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        assert_eq!(
            recovery(&raw(r#"{"token":"t","pid":"p1","offset":"42"}"#)),
            Some(Recovery {
                pid: "p1".into(),
                offset: "42".into()
            })
        );
        assert_eq!(recovery(&raw(r#"{"pid":"p1"}"#)), None);
        assert_eq!(recovery(&raw(r#"{"pid":"p1","offset":42}"#)), None);
        assert_eq!(recovery(&raw("{}")), None);
    }
}
