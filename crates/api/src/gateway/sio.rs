//! Concord's Socket.IO namespace (API.md section 6): the `/ws` gateway's
//! rooms, access rules and dialect rendering, spoken as seed 000's
//! `socket.io-client` expects.
//!
//! A socket authenticates in its CONNECT (`auth.token`), or with the
//! bearer token or `?token=` of the session's first request, or, when
//! `[socketio] cookie_auth` is on, its `concord_token` cookie if its
//! `Origin` is allowed. A user has at most `max_sessions_per_user` sockets
//! connected on a node at once. Once
//! connected it follows both topics of every room its user may read, in
//! every workspace, with no join call: each event arrives as
//! `chat:{roomId}:messages` or `chat:{roomId}:messages:update`, its one
//! argument the message exactly as the dialect's HTTP API returns it (the
//! hub renders it once per dialect, as for `/ws`, and this reads its `data`
//! back out of the frame).
//!
//! An access change re-reads the rooms the user may read: rooms lost stop
//! at once, rooms gained start. A logout ends the socket.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap};
use concord_adapters::realtime::{Connection, Dialect, Hub, Outbound};
use concord_app::{Concord, ServiceError};
use concord_domain::{RoomId, Seq, Topic, TopicKind, UserId};
use concord_ports::{AccessChange, Claims, RoomInfo};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::limits::{Slot, Slots};
use crate::socketio::{
    Accepted, ConnectError, ConnectRequest, DisconnectReason, Namespace, SocketHandle,
    SocketHandler,
};

/// What a refused CONNECT says, whatever was wrong with the credentials.
const AUTH_REQUIRED: &str = "Authentication required";

/// What a CONNECT over `max_sessions_per_user` is refused with.
const TOO_MANY: &str = "Too many connections";
/// The cookie cookie auth reads.
const COOKIE_NAME: &str = "concord_token";

/// What `[socketio]` sets for the namespace.
#[derive(Clone, Debug, Default)]
pub struct SioOptions {
    /// Sockets one user may have connected at once; 0 is no cap.
    pub max_sessions_per_user: usize,
    /// Origins (lowercase, no trailing `/`) whose requests' `concord_token`
    /// cookie counts as credentials; none turns cookie auth off.
    pub cookie_origins: Vec<String>,
}

/// The main namespace, `/`.
pub struct ChatNamespace {
    hub: Hub,
    chat: Concord,
    cookie_origins: Arc<[String]>,
    users: Arc<Slots<UserId>>,
}

impl ChatNamespace {
    pub fn new(hub: Hub, chat: Concord) -> Self {
        Self::with_options(hub, chat, SioOptions::default())
    }

    pub fn with_options(hub: Hub, chat: Concord, options: SioOptions) -> Self {
        Self {
            hub,
            chat,
            cookie_origins: options.cookie_origins.into(),
            users: Arc::new(Slots::new(options.max_sessions_per_user)),
        }
    }
}

/// The CONNECT payload's fields this namespace reads.
#[derive(Deserialize, Default)]
struct Auth {
    token: Option<String>,
    dialect: Option<String>,
}

/// The credentials of a CONNECT, the first found winning: `auth.token`, the
/// first request's `Authorization: Bearer`, its `?token=`, its
/// `concord_token` cookie (see [`cookie_token`]).
fn token_of(auth: &Auth, request: &ConnectRequest, cookie_origins: &[String]) -> Option<String> {
    if let Some(token) = auth.token.as_deref().filter(|t| !t.is_empty()) {
        return Some(token.to_owned());
    }
    let bearer = request
        .handshake
        .headers
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .filter(|t| !t.is_empty());
    bearer
        .or_else(|| {
            request
                .handshake
                .query_param("token")
                .filter(|t| !t.is_empty())
        })
        .or_else(|| cookie_token(&request.handshake.headers, cookie_origins))
}

/// The `concord_token` cookie, when cookie auth is on (`origins` is not
/// empty) and the request's `Origin` is one of `origins`: a page of another
/// site cannot have a browser's cookie connect for it. No `Origin`, no
/// cookie.
fn cookie_token(headers: &HeaderMap, origins: &[String]) -> Option<String> {
    if origins.is_empty() {
        return None;
    }
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if !origins.contains(&origin) {
        return None;
    }
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|t| !t.is_empty())
}

impl Namespace for ChatNamespace {
    fn connect(
        &self,
        request: ConnectRequest,
    ) -> BoxFuture<'static, Result<Accepted, ConnectError>> {
        let (hub, chat) = (self.hub.clone(), self.chat.clone());
        let (origins, users) = (Arc::clone(&self.cookie_origins), Arc::clone(&self.users));
        Box::pin(async move {
            let auth: Auth = serde_json::from_str(request.auth.get()).unwrap_or_default();
            let dialect = match auth.dialect.as_deref() {
                None => Dialect::Server,
                Some(raw) => Dialect::parse(raw).ok_or_else(|| {
                    ConnectError::message(r#"Unknown dialect: use "server" or "workspace""#)
                })?,
            };
            let token = token_of(&auth, &request, &origins).ok_or_else(auth_required)?;
            let claims = {
                let chat = chat.clone();
                match chat.accounts.authenticate_from_memory(&token) {
                    Some(known) => known,
                    None => blocking(move || chat.accounts.authenticate(&token)).await,
                }
            };
            let claims = match claims {
                Ok(claims) => claims,
                Err(ServiceError::Unavailable(_)) => {
                    return Err(ConnectError::message(
                        "Service unavailable; reconnect shortly",
                    ));
                }
                Err(_) => return Err(auth_required()),
            };
            let user = claims.user_id;
            let slot = users
                .take(user)
                .ok_or_else(|| ConnectError::message(TOO_MANY))?;
            let (conn, queue) = hub.connect();
            conn.identify(user, dialect);
            let mut follower = Follower {
                hub,
                chat,
                conn,
                claims,
                rooms: HashMap::new(),
            };
            // Followed before the client is told it is connected: whatever
            // is posted after it hears so reaches it.
            if let Err(e) = follower.follow_readable().await {
                follower.leave();
                return Err(match e {
                    ServiceError::Unavailable(_) | ServiceError::Unexpected(_) => {
                        ConnectError::message("Service unavailable; reconnect shortly")
                    }
                    _ => auth_required(),
                });
            }
            Ok(Accepted::new(ChatSocket {
                start: Some((follower, queue)),
                stop: CancellationToken::new(),
                _slot: slot,
            }))
        })
    }
}

fn auth_required() -> ConnectError {
    ConnectError::message(AUTH_REQUIRED)
}

/// One socket's handler: starts the pump once the client knows it is
/// connected, stops it when the socket goes.
struct ChatSocket {
    start: Option<(Follower, mpsc::Receiver<Outbound>)>,
    stop: CancellationToken,
    /// The socket's place among its user's, given back when it goes.
    _slot: Slot,
}

impl SocketHandler for ChatSocket {
    fn on_connect(&mut self, socket: &SocketHandle) {
        if let Some((follower, queue)) = self.start.take() {
            let (socket, stop) = (socket.clone(), self.stop.clone());
            actix_web::rt::spawn(follower.pump(socket, queue, stop));
        }
    }

    fn on_disconnect(&mut self, _socket: &SocketHandle, _reason: DisconnectReason) {
        self.stop.cancel();
        if let Some((follower, _)) = self.start.take() {
            follower.leave();
        }
    }
}

/// A socket's hub connection and the rooms it follows.
struct Follower {
    hub: Hub,
    chat: Concord,
    conn: Arc<Connection>,
    claims: Claims,
    /// Each followed room and the last `seq` sent from it, per topic kind.
    rooms: HashMap<RoomId, Delivered>,
}

/// The last `seq` sent on each topic of a room: anything at or below it is
/// a duplicate.
#[derive(Default)]
struct Delivered {
    messages: Seq,
    updates: Seq,
}

impl Delivered {
    fn of(&mut self, kind: TopicKind) -> &mut Seq {
        match kind {
            TopicKind::Messages => &mut self.messages,
            TopicKind::Updates => &mut self.updates,
        }
    }
}

/// The part of a `/ws` event frame a Socket.IO event carries.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

fn topics(room_id: RoomId) -> [Topic; 2] {
    [TopicKind::Messages, TopicKind::Updates].map(|kind| Topic { room_id, kind })
}

impl Follower {
    fn user(&self) -> UserId {
        self.claims.user_id
    }

    /// Brings the followed rooms in line with those the user may read now:
    /// follows the new ones (waiting until their feeds have them), drops the
    /// others.
    async fn follow_readable(&mut self) -> Result<(), ServiceError> {
        let (chat, user) = (self.chat.clone(), self.user());
        let readable: Vec<RoomInfo> = blocking(move || chat.gateway.readable_rooms(user)).await?;
        let keep: HashSet<RoomId> = readable.iter().map(|i| i.room.id()).collect();
        let lost: Vec<RoomId> = self
            .rooms
            .keys()
            .filter(|r| !keep.contains(r))
            .copied()
            .collect();
        for room_id in lost {
            self.rooms.remove(&room_id);
            for topic in topics(room_id) {
                self.hub.unsubscribe(&self.conn, topic);
            }
        }
        let mut joined = Vec::new();
        for info in readable {
            let room_id = info.room.id();
            if self.rooms.contains_key(&room_id) {
                continue;
            }
            for topic in topics(room_id) {
                let acked = self.hub.subscribe(info, topic, Arc::clone(&self.conn));
                joined.push((room_id, topic.kind, acked));
            }
            self.rooms.insert(room_id, Delivered::default());
        }
        // Nothing up to the feed's position when it took the socket: the
        // client asked for no history.
        for (room_id, kind, acked) in joined {
            if let (Ok(position), Some(delivered)) = (acked.await, self.rooms.get_mut(&room_id)) {
                let seq = delivered.of(kind);
                *seq = (*seq).max(position);
            }
        }
        Ok(())
    }

    /// Takes the connection off the hub.
    fn leave(&self) {
        let followed: Vec<Topic> = self.rooms.keys().flat_map(|r| topics(*r)).collect();
        self.hub.disconnect(&self.conn, followed);
    }

    /// Emits what the hub queues for the socket until it goes.
    async fn pump(
        mut self,
        socket: SocketHandle,
        mut queue: mpsc::Receiver<Outbound>,
        stop: CancellationToken,
    ) {
        let stopped = self.conn.stopped().clone();
        loop {
            let out = tokio::select! {
                () = stop.cancelled() => break,
                () = stopped.cancelled() => {
                    // Too slow for the hub, or the node is stopping: the
                    // client reconnects on its own after a transport close.
                    socket.close_connection();
                    break;
                }
                out = queue.recv() => match out {
                    Some(out) => out,
                    None => break,
                },
            };
            let go_on = match out {
                Outbound::Event(delivery) => {
                    self.emit(&socket, delivery.topic, delivery.seq, &delivery.frame)
                }
                Outbound::Recheck(change) => self.recheck(&socket, change).await,
                Outbound::Personal(_) => true,
            };
            if !go_on {
                break;
            }
        }
        self.leave();
    }

    /// Emits one event, unless it is a duplicate or its room is no longer
    /// followed. Returns whether the socket is still worth sending to.
    fn emit(&mut self, socket: &SocketHandle, topic: Topic, seq: Seq, frame: &str) -> bool {
        let Some(delivered) = self.rooms.get_mut(&topic.room_id) else {
            return true;
        };
        let last = delivered.of(topic.kind);
        if seq <= *last {
            return true;
        }
        *last = seq;
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(frame) else {
            return true;
        };
        socket
            .emit(&topic.to_string(), &[frame.data.to_owned()])
            .is_ok()
    }

    /// Re-reads what the user may read after an access change. A revoked
    /// token ends the socket; a store failure keeps what is followed (a
    /// dropped read must not look like a revocation).
    async fn recheck(&mut self, socket: &SocketHandle, change: AccessChange) -> bool {
        if change == AccessChange::User(self.user()) {
            let (chat, claims) = (self.chat.clone(), self.claims.clone());
            if let Ok(false) = blocking(move || chat.accounts.still_signed_in(&claims)).await {
                socket.disconnect();
                return false;
            }
        }
        let _ = self.follow_readable().await;
        true
    }
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ServiceError::Unexpected(anyhow::anyhow!(
            "blocking task: {e}"
        )))
    })
}

#[cfg(test)]
mod cookie_tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    const ALLOWED: &str = "https://chat.example.com";

    #[test]
    fn a_cookie_counts_only_from_an_allowed_origin_while_cookie_auth_is_on() {
        let on = [ALLOWED.to_owned()];
        let cookie = (header::COOKIE, "theme=dark; concord_token=abc.def; x=1");
        let from = |origin| headers(&[(header::ORIGIN, origin), cookie.clone()]);
        assert_eq!(
            cookie_token(&from("https://chat.example.com"), &on).as_deref(),
            Some("abc.def")
        );
        assert_eq!(
            cookie_token(&from("HTTPS://Chat.Example.com/"), &on).as_deref(),
            Some("abc.def")
        );
        for foreign in [
            "https://evil.example",
            "null",
            "https://chat.example.com:8443",
        ] {
            assert_eq!(cookie_token(&from(foreign), &on), None, "{foreign}");
        }
        assert_eq!(
            cookie_token(&headers(std::slice::from_ref(&cookie)), &on),
            None,
            "no Origin"
        );
        assert_eq!(cookie_token(&from(ALLOWED), &[]), None, "cookie auth off");
    }

    #[test]
    fn only_the_concord_token_cookie_is_read_from_any_cookie_header() {
        let on = [ALLOWED.to_owned()];
        let map = headers(&[
            (header::ORIGIN, ALLOWED),
            (header::COOKIE, "a=1"),
            (header::COOKIE, "concord_token=\"quoted\""),
        ]);
        assert_eq!(cookie_token(&map, &on).as_deref(), Some("quoted"));
        let map = headers(&[
            (header::ORIGIN, ALLOWED),
            (header::COOKIE, "xconcord_token=1; concord_token="),
        ]);
        assert_eq!(cookie_token(&map, &on), None);
    }
}
