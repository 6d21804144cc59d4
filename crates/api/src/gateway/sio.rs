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
//! The socket follows what its user gains without reconnecting: the use
//! cases announce gains as well as losses (`AccessChange::UserGained` when a
//! user joins or creates a workspace, is added to a private channel or takes
//! part in a new conversation; `AccessChange::WorkspaceGained` when a channel
//! is created or made public), and the hub routes gains only to connections
//! that follow every readable room, so `/ws` sessions never see them. An
//! access change that may concern the socket re-reads the rooms the user may
//! read: rooms lost stop at once, rooms gained start. One that cannot (a
//! workspace-wide change in a workspace the user is not a member of) costs
//! nothing: membership itself only comes with a change to the user, which
//! re-reads everything, workspaces included. A logout ends the socket.
//!
//! Connection-state recovery (socket.io-client 4.6 and later) is always on.
//! The CONNECT answer carries a `pid`, and every event a second argument:
//! its offset ([`super::offset`]), the last `seq` sent on each topic of
//! every followed room, which the client keeps and sends back, with the
//! `pid`, when it reconnects. The offset is all a node needs, so any node
//! recovers the client: it follows every room the user may read now, and
//! for each room the offset names replays each topic's events after the
//! offset's `seq` from the log (as `/ws` replays `since`), then live events
//! with the duplicates dropped. Rooms gained meanwhile start at their
//! current position; rooms the offset names that the user may no longer
//! read are never replayed. The answer repeats the client's `pid` (so
//! `socket.recovered` is true) unless a room was further behind than
//! `realtime.max_replay` events, all rooms together: that room starts at
//! its current position and the answer carries a new `pid`. A client that
//! received no event before the drop has no offset, and is not recovered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use concord_adapters::realtime::{Connection, Dialect, Hub, Outbound};
use concord_app::{Concord, Readable, ServiceError};
use concord_domain::{RoomId, Seq, Topic, TopicKind, UserId, WorkspaceId};
use concord_ports::{AccessChange, Claims, EventLog, RoomInfo};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::offset::{self, Mark};
use super::replay::{Replay, ReplayBudget, Resume, Source};
use super::{DialectRenderer, Gateway};
use crate::limits::{Slot, Slots};
use crate::socketio::{
    Accepted, ConnectError, ConnectRequest, DisconnectReason, Namespace, SocketHandle,
    SocketHandler, arg,
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
    log: Arc<dyn EventLog>,
    renderer: Arc<DialectRenderer>,
    /// Most events one recovery may replay, all rooms together.
    max_replay: u32,
    cookie_origins: Arc<[String]>,
    users: Arc<Slots<UserId>>,
}

impl ChatNamespace {
    /// The namespace on `gateway`'s hub, use cases and log, replaying at
    /// most `/ws`'s `max_replay` events per recovery, as `[socketio]`'s
    /// `options` say.
    pub fn new(gateway: &Gateway, options: SioOptions) -> Self {
        Self {
            hub: gateway.hub.clone(),
            chat: gateway.chat.clone(),
            log: Arc::clone(&gateway.log),
            renderer: Arc::clone(&gateway.renderer),
            max_replay: gateway.session.max_replay,
            cookie_origins: options.cookie_origins.into(),
            users: Arc::new(Slots::new(options.max_sessions_per_user)),
        }
    }
}

/// The longest `pid` a client may present for recovery.
const MAX_PID_LEN: usize = 64;

/// A new private id: 128 random bits, URL-safe.
fn new_pid() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The `pid` and decoded offset of a reconnecting client, when both look
/// like this namespace's. Nothing is kept per `pid`: it only tells the
/// client whether it was recovered.
fn recovery_of(request: &ConnectRequest) -> Option<(String, Vec<Mark>)> {
    let recovery = request.recovery.as_ref()?;
    let pid = &recovery.pid;
    let plausible = !pid.is_empty()
        && pid.len() <= MAX_PID_LEN
        && pid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return None;
    }
    Some((pid.clone(), offset::decode(&recovery.offset)?))
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
        let (log, renderer) = (Arc::clone(&self.log), Arc::clone(&self.renderer));
        let max_replay = self.max_replay;
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
            conn.follow_all_readable();
            let mut follower = Follower {
                hub,
                chat,
                conn,
                claims,
                rooms: BTreeMap::new(),
                workspaces: HashSet::new(),
                current: false,
            };
            // Followed before the client is told it is connected: whatever
            // is posted after it hears so reaches it.
            let recovery = recovery_of(&request);
            let followed = match &recovery {
                None => follower.follow_readable().await.map(|()| None),
                Some((_, marks)) => follower
                    .follow_recovering(marks, max_replay)
                    .await
                    .map(Some),
            };
            let recovering = match followed {
                Ok(recovering) => recovering,
                Err(e) => {
                    follower.leave();
                    return Err(match e {
                        ServiceError::Unavailable(_) | ServiceError::Unexpected(_) => {
                            ConnectError::message("Service unavailable; reconnect shortly")
                        }
                        _ => auth_required(),
                    });
                }
            };
            let (replays, pid) = match (recovering, recovery) {
                (Some((replays, true)), Some((pid, _))) => (replays, pid),
                (Some((replays, _)), _) => (replays, new_pid()),
                (None, _) => (Vec::new(), new_pid()),
            };
            let catch_up = CatchUp {
                source: Source {
                    log,
                    renderer,
                    dialect,
                },
                replays,
            };
            let mut accepted = Accepted::new(ChatSocket {
                start: Some((follower, queue, catch_up)),
                stop: CancellationToken::new(),
                _slot: slot,
            });
            accepted.pid = Some(pid);
            Ok(accepted)
        })
    }
}

fn auth_required() -> ConnectError {
    ConnectError::message(AUTH_REQUIRED)
}

/// One socket's handler: starts the pump once the client knows it is
/// connected, stops it when the socket goes.
struct ChatSocket {
    start: Option<(Follower, mpsc::Receiver<Outbound>, CatchUp)>,
    stop: CancellationToken,
    /// The socket's place among its user's, given back when it goes.
    _slot: Slot,
}

/// What a recovered socket replays from the log before its live events.
struct CatchUp {
    source: Source,
    replays: Vec<Replay>,
}

impl SocketHandler for ChatSocket {
    fn on_connect(&mut self, socket: &SocketHandle) {
        if let Some((mut follower, queue, catch_up)) = self.start.take() {
            let (socket, stop) = (socket.clone(), self.stop.clone());
            actix_web::rt::spawn(async move {
                if follower.catch_up(&socket, catch_up, &stop).await {
                    follower.pump(socket, queue, stop).await;
                } else {
                    follower.leave();
                }
            });
        }
    }

    fn on_disconnect(&mut self, _socket: &SocketHandle, _reason: DisconnectReason) {
        self.stop.cancel();
        if let Some((follower, _, _)) = self.start.take() {
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
    /// Each followed room and the last `seq` sent from it, per topic kind,
    /// by room id (the order offsets list them in).
    rooms: BTreeMap<RoomId, Delivered>,
    /// The workspaces the user belonged to at the last re-read.
    workspaces: HashSet<WorkspaceId>,
    /// Whether the last re-read succeeded: until one does, `workspaces` may
    /// miss one the user joined, and no change is skipped.
    current: bool,
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
        let readable = self.readable_rooms().await?;
        self.follow_only(readable).await;
        Ok(())
    }

    /// The rooms the user may read now, noting their workspaces.
    async fn readable_rooms(&mut self) -> Result<Vec<RoomInfo>, ServiceError> {
        let (chat, user) = (self.chat.clone(), self.user());
        let read = blocking(move || chat.gateway.readable_rooms(user)).await;
        self.current = read.is_ok();
        let Readable { workspaces, rooms } = read?;
        self.workspaces = workspaces.into_iter().collect();
        Ok(rooms)
    }

    /// Follows the rooms of `readable` not yet followed, and no others.
    async fn follow_only(&mut self, readable: Vec<RoomInfo>) {
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
    }

    /// [`Follower::follow_readable`] for a client recovering with the
    /// offset `marks`: plans the replay of each topic of every room the
    /// offset names and the user may read now, from the offset's `seq` up
    /// to the room's latest (the later of the feed's position and the
    /// store's), and leaves each such topic's last `seq` sent at the
    /// offset's until it is replayed, so that the offset of every replayed
    /// event is exact. Returns the replays and whether the recovery is
    /// whole: not when a room was further behind than `max_replay` (it
    /// starts at its position, as a room gained meanwhile does).
    async fn follow_recovering(
        &mut self,
        marks: &[Mark],
        max_replay: u32,
    ) -> Result<(Vec<Replay>, bool), ServiceError> {
        let readable = self.readable_rooms().await?;
        let infos: HashMap<RoomId, RoomInfo> = readable
            .iter()
            .map(|info| (info.room.id(), *info))
            .collect();
        self.follow_only(readable).await;
        let mut budget = ReplayBudget::new(max_replay);
        let mut replays = Vec::new();
        let mut whole = true;
        for mark in marks {
            // Not readable now: never replayed.
            let (Some(info), Some(delivered)) =
                (infos.get(&mark.room), self.rooms.get_mut(&mark.room))
            else {
                continue;
            };
            let topics: Vec<Resume> = [
                (TopicKind::Messages, mark.messages),
                (TopicKind::Updates, mark.updates),
            ]
            .into_iter()
            .map(|(kind, since)| {
                let until = (*delivered.of(kind)).max(info.last_seq);
                Resume {
                    topic: Topic {
                        room_id: mark.room,
                        kind,
                    },
                    // An offset past the room's latest is forged, or from
                    // a log since cut short: nothing to replay.
                    since: since.min(until),
                    until,
                }
            })
            .collect();
            let behind = topics
                .iter()
                .map(|t| t.until.since(t.since))
                .max()
                .unwrap_or(0);
            if !budget.take(mark.room, behind) {
                whole = false;
                continue;
            }
            for resume in &topics {
                *delivered.of(resume.topic.kind) = resume.since;
            }
            replays.push(Replay {
                room: info.room,
                workspace: info.workspace_id,
                topics,
            });
        }
        Ok((replays, whole))
    }

    /// Emits what `catch_up` replays, room by room, and then counts each
    /// replayed topic as sent up to its end. Returns whether the socket is
    /// still worth sending to; a log that cannot be read closes the
    /// connection, for the client to recover again with the offset it has.
    async fn catch_up(
        &mut self,
        socket: &SocketHandle,
        catch_up: CatchUp,
        stop: &CancellationToken,
    ) -> bool {
        for replay in catch_up.replays {
            let ends: Vec<(Topic, Seq)> =
                replay.topics.iter().map(|t| (t.topic, t.until)).collect();
            let mut pages = replay.pages(catch_up.source.clone());
            loop {
                if stop.is_cancelled() {
                    return false;
                }
                if self.conn.stopped().is_cancelled() {
                    // Too slow for the hub meanwhile: as in `pump`.
                    socket.close_connection();
                    return false;
                }
                match pages.next().await {
                    Ok(Some(page)) => {
                        for event in page {
                            if !self.emit(socket, event.topic, event.seq, &event.frame) {
                                return false;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "socket.io recovery: replay failed");
                        socket.close_connection();
                        return false;
                    }
                }
            }
            for (topic, until) in ends {
                if let Some(delivered) = self.rooms.get_mut(&topic.room_id) {
                    let seq = delivered.of(topic.kind);
                    *seq = (*seq).max(until);
                }
            }
        }
        true
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
        let Ok(offset) = arg(&self.offset()) else {
            return true;
        };
        socket
            .emit(&topic.to_string(), &[frame.data.to_owned(), offset])
            .is_ok()
    }

    /// The offset of what has been sent so far, for the client to recover
    /// with.
    fn offset(&self) -> String {
        offset::encode(self.rooms.iter().map(|(room, delivered)| Mark {
            room: *room,
            messages: delivered.messages,
            updates: delivered.updates,
        }))
    }

    /// Re-reads what the user may read after an access change that may
    /// concern them. A revoked token ends the socket; a store failure keeps
    /// what is followed (a dropped read must not look like a revocation).
    async fn recheck(&mut self, socket: &SocketHandle, change: AccessChange) -> bool {
        if !self.concerned_by(change) {
            return true;
        }
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

    /// Whether `change` may change what the socket should follow. The hub
    /// routes a change to a user to that user's connections and one to a
    /// room to its followers; one to a workspace reaches every connection,
    /// and concerns only its members.
    fn concerned_by(&self, change: AccessChange) -> bool {
        match change {
            AccessChange::User(user) | AccessChange::UserGained(user) => user == self.user(),
            AccessChange::Room(room) => self.rooms.contains_key(&room),
            AccessChange::Workspace(w) | AccessChange::WorkspaceGained(w) => {
                !self.current || self.workspaces.contains(&w)
            }
        }
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
