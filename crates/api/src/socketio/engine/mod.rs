//! Engine.IO v4, server side: the handshake, HTTP long-polling, WebSocket,
//! the upgrade from the first to the second, heartbeats and `maxPayload`.
//!
//! [`Engine::handle`] answers every request under the engine's path. Each
//! session is one task (see `session.rs`) that owns its transports and
//! timers; requests reach it as commands, so nothing about a session is
//! shared but its queues. What a session carries is up to the layer above
//! (Socket.IO, or anything else): it gets a [`Connection`] per session, with
//! the session's incoming messages and a [`Sender`] for outgoing ones.
//!
//! A session's memory is bounded: outgoing messages wait in a queue of
//! [`EngineConfig::outgoing_capacity`], and a client that lets it fill is
//! closed rather than buffered for ([`CloseReason::TooSlow`]); incoming
//! bodies and frames are limited to `maxPayload`. A client address may
//! hold at most [`EngineConfig::max_sessions_per_address`] sessions at once.
//!
//! Metrics: `concord_socketio_sessions{transport}` (open sessions by their
//! transport now), `concord_socketio_upgrades_total`,
//! `concord_socketio_slow_closes_total` and
//! `concord_socketio_sessions_refused_total` (handshakes over the address
//! cap).

mod packet;
mod session;
mod websocket;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub use packet::{DecodeError, Packet, Payload, decode_payload, encode_payload};

use crate::limits::Slots;

use session::{Command, PollReply, PostReply, Session};

/// Engine.IO settings. The defaults are the reference server's.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long the client has to answer a ping.
    pub ping_timeout: Duration,
    /// Largest POST body or WebSocket message accepted, in bytes.
    pub max_payload: usize,
    /// How long a WebSocket may take from its probe to the `upgrade` packet.
    pub upgrade_timeout: Duration,
    /// Messages (with their binary attachments) waiting to be sent before a
    /// session counts as too slow and is closed.
    pub outgoing_capacity: usize,
    /// Whether polling sessions may upgrade to WebSocket.
    pub allow_upgrades: bool,
    /// Sessions one client address may have open at once; 0 is no cap. A
    /// handshake over it gets 403 `{"code":4,"message":"Too many sessions
    /// from this address"}`.
    pub max_sessions_per_address: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_millis(10_000),
            outgoing_capacity: 1024,
            allow_upgrades: true,
            max_sessions_per_address: 0,
        }
    }
}

/// The two transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Polling,
    WebSocket,
}

impl Transport {
    /// The protocol's name for it, as in `?transport=`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::WebSocket => "websocket",
        }
    }
}

/// The request that opened a session, as the layer above may want it
/// (credentials in headers or the query, the client's address).
#[derive(Debug)]
pub struct Handshake {
    pub headers: HeaderMap,
    /// The raw query string of the first request.
    pub query: String,
    pub peer: Option<SocketAddr>,
    pub transport: Transport,
}

impl Handshake {
    /// The first value of query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client sent a `close` packet.
    ClientClose,
    /// The WebSocket closed, or a transport request failed.
    TransportClose,
    /// The client sent something that is not Engine.IO.
    ParseError,
    /// The client broke the protocol (two polls at once, a ping from the
    /// client, a payload over `maxPayload`).
    TransportError,
    /// No pong within `pingTimeout`.
    PingTimeout,
    /// The outgoing queue filled up.
    TooSlow,
    /// The layer above closed it ([`Sender::close`]).
    ServerClose,
}

/// One outgoing message: its payload, then binary messages that must follow
/// it with nothing in between (Socket.IO's attachments).
#[derive(Debug)]
pub struct Outgoing {
    pub head: Payload,
    pub attachments: Vec<Bytes>,
    /// Told once the message has been handed to a transport (written to
    /// the WebSocket, or put in a poll's answer); dropped if it never is.
    pub sent: Option<oneshot::Sender<()>>,
}

impl Outgoing {
    /// A message without attachments.
    pub fn new(head: Payload) -> Self {
        Self {
            head,
            attachments: Vec::new(),
            sent: None,
        }
    }
}

/// Why [`Sender::send`] sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the session is closed")]
    Closed,
    #[error("the session's outgoing queue is full; the session is closing")]
    TooSlow,
}

/// What a session and its senders share: the close request, and why it
/// ended.
#[derive(Debug, Default)]
struct Control {
    closing: CancellationToken,
    request: Mutex<Option<CloseReason>>,
    ended: Mutex<Option<CloseReason>>,
}

impl Control {
    fn request_close(&self, reason: CloseReason) {
        let mut request = self.request.lock().unwrap_or_else(PoisonError::into_inner);
        if request.is_none() {
            *request = Some(reason);
        }
        self.closing.cancel();
    }

    fn requested(&self) -> Option<CloseReason> {
        *self.request.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends messages on one session. Cheap to clone; never waits.
#[derive(Clone, Debug)]
pub struct Sender {
    queue: mpsc::Sender<Outgoing>,
    control: Arc<Control>,
}

impl Sender {
    /// Queues `message`. A full queue closes the session: the client does
    /// not keep up, and the server does not buffer without bound for it.
    /// # Errors
    /// [`SendError::Closed`] once the session ended, [`SendError::TooSlow`]
    /// when the queue was full.
    pub fn send(&self, message: Outgoing) -> Result<(), SendError> {
        if self.control.closing.is_cancelled() {
            return Err(SendError::Closed);
        }
        match self.queue.try_send(message) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.control.request_close(CloseReason::TooSlow);
                Err(SendError::TooSlow)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Closed),
        }
    }

    /// Closes the session once what is queued has been sent.
    pub fn close(&self) {
        self.control.request_close(CloseReason::ServerClose);
    }

    /// Whether the session is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.control.closing.is_cancelled()
    }

    /// Resolves when the session starts closing.
    pub async fn closed(&self) {
        self.control.closing.cancelled().await;
    }
}

/// One session, as the layer above sees it.
#[derive(Debug)]
pub struct Connection {
    pub sid: Arc<str>,
    pub handshake: Arc<Handshake>,
    /// The client's messages, in order; `None` once the session ended.
    pub incoming: mpsc::Receiver<Payload>,
    pub sender: Sender,
    control: Arc<Control>,
}

impl Connection {
    /// Why the session ended, once `incoming` has returned `None`.
    pub fn close_reason(&self) -> Option<CloseReason> {
        *self
            .control
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Called once per new session, on the thread that accepted it; it should
/// spawn whatever serves the connection and return.
pub type OnConnection = Arc<dyn Fn(Connection) + Send + Sync>;

/// The errors the reference server answers requests with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    UnknownTransport,
    UnknownSid,
    BadHandshakeMethod,
    BadRequest,
    Forbidden,
    UnsupportedProtocolVersion,
    /// A handshake over [`EngineConfig::max_sessions_per_address`]: the
    /// reference's Forbidden, with a message saying why.
    TooManySessions,
}

impl RequestError {
    /// The reference server's code for this error.
    pub fn code(self) -> u8 {
        match self {
            Self::UnknownTransport => 0,
            Self::UnknownSid => 1,
            Self::BadHandshakeMethod => 2,
            Self::BadRequest => 3,
            Self::Forbidden | Self::TooManySessions => 4,
            Self::UnsupportedProtocolVersion => 5,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::Forbidden => "Forbidden",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
            Self::TooManySessions => "Too many sessions from this address",
        }
    }

    fn status(self) -> StatusCode {
        if matches!(self, Self::Forbidden | Self::TooManySessions) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_REQUEST
        }
    }

    /// An HTTP request's answer: JSON `{"code": .., "message": ..}`.
    fn response(self) -> HttpResponse {
        #[derive(Serialize)]
        struct Body {
            code: u8,
            message: &'static str,
        }
        HttpResponse::build(self.status()).json(Body {
            code: self.code(),
            message: self.message(),
        })
    }

    /// A WebSocket upgrade's answer: the message as plain text.
    fn upgrade_response(self) -> HttpResponse {
        HttpResponse::build(self.status())
            .content_type("text/html")
            .insert_header((header::CONNECTION, "close"))
            .body(self.message())
    }
}

/// What the router knows of a live session.
#[derive(Clone)]
struct SessionHandle {
    commands: mpsc::Sender<Command>,
    /// Set while a POST is being read and handled: a second one at the same
    /// time breaks the protocol.
    posting: Arc<AtomicBool>,
}

/// The state every request and session shares.
struct Shared {
    config: EngineConfig,
    sessions: Mutex<HashMap<Arc<str>, SessionHandle>>,
    /// Sessions per client address, within `max_sessions_per_address`.
    addresses: Slots<IpAddr>,
    on_connection: OnConnection,
}

impl Shared {
    fn session(&self, sid: &str) -> Option<SessionHandle> {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sid)
            .cloned()
    }

    fn forget(&self, sid: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(sid);
    }
}

/// An Engine.IO server: mount [`Engine::handle`] at its path.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// The query parameters Engine.IO reads.
struct Query {
    eio: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
}

impl Query {
    fn parse(raw: &str) -> Self {
        let mut query = Self {
            eio: None,
            transport: None,
            sid: None,
        };
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let slot = match &*key {
                "EIO" => &mut query.eio,
                "transport" => &mut query.transport,
                "sid" => &mut query.sid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        query
    }
}

/// Commands waiting for a session task; requests beyond these wait.
const COMMAND_QUEUE: usize = 8;
/// Client messages handed to the layer above but not yet taken.
const INCOMING_QUEUE: usize = 64;

impl Engine {
    pub fn new(config: EngineConfig, on_connection: OnConnection) -> Self {
        Self {
            shared: Arc::new(Shared {
                addresses: Slots::new(config.max_sessions_per_address),
                config,
                sessions: Mutex::new(HashMap::new()),
                on_connection,
            }),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// Live sessions on this node.
    pub fn session_count(&self) -> usize {
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Answers one request under the engine's path, checking it as the
    /// reference server does: transport, then protocol version, then the
    /// session (or the handshake's method).
    pub async fn handle(&self, req: HttpRequest, body: web::Payload) -> HttpResponse {
        let query = Query::parse(req.query_string());
        let is_upgrade = is_websocket_upgrade(&req);
        let reject = |e: RequestError| {
            if is_upgrade {
                e.upgrade_response()
            } else {
                e.response()
            }
        };
        let transport = match query.transport.as_deref() {
            Some("polling") => Transport::Polling,
            Some("websocket") => Transport::WebSocket,
            _ => return reject(RequestError::UnknownTransport),
        };
        if query.eio.as_deref() != Some("4") {
            return reject(RequestError::UnsupportedProtocolVersion);
        }
        if transport == Transport::WebSocket && !is_upgrade {
            return reject(RequestError::BadRequest);
        }
        let Some(sid) = query.sid else {
            if req.method() != Method::GET {
                return reject(RequestError::BadHandshakeMethod);
            }
            return self.open(&req, body, transport);
        };
        let Some(session) = self.shared.session(&sid) else {
            return reject(RequestError::UnknownSid);
        };
        match (transport, req.method()) {
            (Transport::WebSocket, _) => self.upgrade(&req, body, &session),
            (Transport::Polling, &Method::GET) => poll(&session).await,
            (Transport::Polling, &Method::POST) => self.post(&req, body, &session).await,
            (Transport::Polling, _) => reject(RequestError::BadRequest),
        }
    }

    /// Starts a session: its task, and the layer above's connection.
    fn open(&self, req: &HttpRequest, body: web::Payload, transport: Transport) -> HttpResponse {
        let address = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let Some(slot) = self.shared.addresses.take(address) else {
            metrics::counter!("concord_socketio_sessions_refused_total", "limit" => "address")
                .increment(1);
            return match transport {
                Transport::Polling => RequestError::TooManySessions.response(),
                Transport::WebSocket => RequestError::TooManySessions.upgrade_response(),
            };
        };
        let websocket = match transport {
            Transport::Polling => None,
            Transport::WebSocket => {
                match websocket::accept(req, body, self.shared.config.max_payload) {
                    Ok(accepted) => Some(accepted),
                    Err(_) => return RequestError::BadRequest.upgrade_response(),
                }
            }
        };
        let sid = new_sid();
        let handshake = Arc::new(Handshake {
            headers: req.headers().clone(),
            query: req.query_string().to_owned(),
            peer: req.peer_addr(),
            transport,
        });
        let config = &self.shared.config;
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (queue, outgoing) = mpsc::channel(config.outgoing_capacity.max(1));
        let (incoming_tx, incoming) = mpsc::channel(INCOMING_QUEUE);
        let control = Arc::new(Control::default());
        let open = open_packet(&sid, config, transport);
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                Arc::clone(&sid),
                SessionHandle {
                    commands,
                    posting: Arc::new(AtomicBool::new(false)),
                },
            );
        let (response, ws) = match websocket {
            Some((response, ws)) => (response, Some(ws)),
            None => (
                HttpResponse::Ok()
                    .content_type("text/plain; charset=UTF-8")
                    .body(encode_payload([&open])),
                None,
            ),
        };
        let session = Session::new(
            Arc::clone(&self.shared),
            Arc::clone(&sid),
            command_rx,
            outgoing,
            incoming_tx,
            Arc::clone(&control),
            slot,
        );
        actix_web::rt::spawn(session.run(ws, open));
        (self.shared.on_connection)(Connection {
            sid,
            handshake,
            incoming,
            sender: Sender {
                queue,
                control: Arc::clone(&control),
            },
            control,
        });
        response
    }

    /// A WebSocket for an existing session: the upgrade probe, or one too
    /// many (which the session closes at once).
    fn upgrade(
        &self,
        req: &HttpRequest,
        body: web::Payload,
        session: &SessionHandle,
    ) -> HttpResponse {
        match websocket::accept(req, body, self.shared.config.max_payload) {
            Ok((response, ws)) => {
                if let Err(
                    mpsc::error::TrySendError::Full(Command::Upgrade(ws))
                    | mpsc::error::TrySendError::Closed(Command::Upgrade(ws)),
                ) = session.commands.try_send(Command::Upgrade(ws))
                {
                    actix_web::rt::spawn(ws.refuse());
                }
                response
            }
            Err(_) => RequestError::BadRequest.upgrade_response(),
        }
    }

    /// A POST: reads the body within `maxPayload`, then hands its packets
    /// to the session.
    async fn post(
        &self,
        req: &HttpRequest,
        mut body: web::Payload,
        session: &SessionHandle,
    ) -> HttpResponse {
        if session.posting.swap(true, Ordering::AcqRel) {
            // The reference server answers the overlapping request with 400
            // and closes the session.
            let _ = session.commands.send(Command::Overlap).await;
            return RequestError::BadRequest.response();
        }
        let _posting = Posting(&session.posting);
        let binary = req
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
        let max = self.shared.config.max_payload;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut received = BytesMut::new();
        let mut too_large = declared.is_some_and(|len| len > max);
        while !too_large && let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else {
                let _ = session
                    .commands
                    .send(Command::Fail(CloseReason::TransportClose))
                    .await;
                return RequestError::BadRequest.response();
            };
            too_large = received.len() + chunk.len() > max;
            if !too_large {
                received.extend_from_slice(&chunk);
            }
        }
        if too_large {
            let _ = session
                .commands
                .send(Command::Fail(CloseReason::TransportError))
                .await;
            return HttpResponse::PayloadTooLarge().finish();
        }
        // Engine.IO v4 sends binary as base64 text over polling, always.
        let packets = if binary {
            Err(DecodeError::Utf8)
        } else {
            decode_payload(&received)
        };
        let (reply, answer) = oneshot::channel();
        let command = match packets {
            Ok(packets) => Command::Post(packets, reply),
            Err(_) => Command::Invalid(reply),
        };
        if session.commands.send(command).await.is_err() {
            return RequestError::UnknownSid.response();
        }
        match answer.await {
            Ok(PostReply::Ok) => HttpResponse::Ok()
                .content_type("text/html")
                .body(Bytes::from_static(b"ok")),
            Ok(PostReply::Error(e)) => e.response(),
            Err(_) => RequestError::UnknownSid.response(),
        }
    }
}

/// Clears a session's POST flag when the request ends, however it ends.
struct Posting<'a>(&'a AtomicBool);

impl Drop for Posting<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A GET: waits for what the session has to send.
async fn poll(session: &SessionHandle) -> HttpResponse {
    let (reply, answer) = oneshot::channel();
    if session.commands.send(Command::Poll(reply)).await.is_err() {
        return RequestError::UnknownSid.response();
    }
    match answer.await {
        Ok(PollReply::Payload(body)) => HttpResponse::Ok()
            .content_type("text/plain; charset=UTF-8")
            .body(body),
        Ok(PollReply::Error(e)) => e.response(),
        Err(_) => RequestError::UnknownSid.response(),
    }
}

fn is_websocket_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// 20 random alphanumeric characters, like the reference server's ids.
fn new_sid() -> Arc<str> {
    let sid: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    Arc::from(sid)
}

/// The `open` packet: the session's id and the heartbeat's terms.
fn open_packet(sid: &str, config: &EngineConfig, transport: Transport) -> Packet {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Open<'a> {
        sid: &'a str,
        upgrades: &'a [&'a str],
        ping_interval: u128,
        ping_timeout: u128,
        max_payload: usize,
    }
    let upgrades: &[&str] = if transport == Transport::Polling && config.allow_upgrades {
        &["websocket"]
    } else {
        &[]
    };
    let open = Open {
        sid,
        upgrades,
        ping_interval: config.ping_interval.as_millis(),
        ping_timeout: config.ping_timeout.as_millis(),
        max_payload: config.max_payload,
    };
    // A struct of strings and numbers always serializes.
    let json = serde_json::to_string(&open).unwrap_or_default();
    Packet::Open(json.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_packet_announces_the_heartbeat_and_the_upgrade() {
        let config = EngineConfig {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            ..EngineConfig::default()
        };
        let Packet::Open(json) = open_packet("abc", &config, Transport::Polling) else {
            panic!("not an open packet");
        };
        assert_eq!(
            &*json,
            r#"{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        );
        let Packet::Open(json) = open_packet("abc", &config, Transport::WebSocket) else {
            panic!("not an open packet");
        };
        assert!(json.contains(r#""upgrades":[]"#));
    }

    #[test]
    fn a_full_queue_closes_the_session_as_too_slow_instead_of_buffering() {
        let (queue, mut outgoing) = mpsc::channel(2);
        let control = Arc::new(Control::default());
        let sender = Sender {
            queue,
            control: Arc::clone(&control),
        };
        let message = || Outgoing::new(Payload::Text("42[\"e\"]".into()));
        assert_eq!(sender.send(message()), Ok(()));
        assert_eq!(sender.send(message()), Ok(()));
        assert!(!sender.is_closed());
        assert_eq!(sender.send(message()), Err(SendError::TooSlow));
        assert!(sender.is_closed());
        assert_eq!(control.requested(), Some(CloseReason::TooSlow));
        // Nothing more is taken once closing, and no more than the
        // capacity was ever held.
        assert_eq!(sender.send(message()), Err(SendError::Closed));
        let mut held = 0;
        while outgoing.try_recv().is_ok() {
            held += 1;
        }
        assert_eq!(held, 2);
    }

    #[test]
    fn too_many_sessions_is_the_reference_forbidden_with_a_reason() {
        assert_eq!(RequestError::TooManySessions.code(), 4);
        assert_eq!(
            RequestError::TooManySessions.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            RequestError::TooManySessions.message(),
            "Too many sessions from this address"
        );
    }

    #[test]
    fn request_errors_carry_the_reference_servers_codes() {
        assert_eq!(RequestError::UnknownSid.code(), 1);
        assert_eq!(RequestError::UnknownSid.message(), "Session ID unknown");
        assert_eq!(RequestError::UnknownTransport.code(), 0);
        assert_eq!(RequestError::UnsupportedProtocolVersion.code(), 5);
        assert_eq!(RequestError::Forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(RequestError::BadRequest.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn sids_are_twenty_alphanumerics_and_differ() {
        let (a, b) = (new_sid(), new_sid());
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_first_of_a_repeated_query_parameter_counts() {
        let query = Query::parse("EIO=4&transport=polling&sid=a%2Bb&sid=c");
        assert_eq!(query.eio.as_deref(), Some("4"));
        assert_eq!(query.transport.as_deref(), Some("polling"));
        assert_eq!(query.sid.as_deref(), Some("a+b"));
    }
}
