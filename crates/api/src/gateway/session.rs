//! One WebSocket connection, from `hello` to its close frame.
//!
//! The loop waits on four things at once: the client's frames, the
//! connection's queue of event frames, its deadline (identify, then
//! heartbeat) and its stop signal (too slow, or server shutdown). Store reads
//! — authentication, authorisation, replay — run on the blocking pool.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;
use concord_adapters::realtime::{Connection, Dialect, Hub, Outbound, Stop, concerns};
use concord_app::{Concord, ServiceError};
use concord_domain::{Room, Seq, Topic, UserId, UserTopic, WorkspaceId};
use concord_ports::{AccessChange, Claims, EventLog};
use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::protocol::{self, ClientOp, close};
use super::replay::{Replay, ReplayBudget, Resume, Source};
use super::socket::{self, Outlet};
use super::{DialectRenderer, Gateway};

/// Per-connection limits, from configuration.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Announced in `hello`; a client silent for two intervals is closed.
    pub heartbeat_interval: Duration,
    /// How long a connection may stay unidentified.
    pub identify_timeout: Duration,
    /// Largest text frame answered with anything but a 413 error frame.
    pub max_frame_bytes: usize,
    /// Most topics one connection may follow.
    pub max_topics: usize,
    /// Most events one `subscribe` frame may replay, all its topics together.
    pub max_replay: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(30),
            identify_timeout: Duration::from_secs(10),
            max_frame_bytes: 16 * 1024,
            max_topics: 1000,
            max_replay: 1000,
        }
    }
}

/// Frames above this size are not even read: the connection is closed with
/// 1009. Between `max_frame_bytes` and this, the client gets an error frame.
const HARD_FRAME_LIMIT: usize = 256 * 1024;
/// How long an ordinary close frame may wait behind frames already queued
/// before the socket is dropped: a client that stopped reading costs a
/// parked task for this long, nothing more. Closes that tell the client to
/// resume do not wait: they overtake the queue ([`Outlet::close_now`]).
const CLOSE_GRACE: Duration = Duration::from_secs(10);

/// Upgrades `req` and serves the connection on the current worker. A bearer
/// token on the upgrade identifies the connection at once; `?dialect=server`
/// picks the server dialect for it.
/// # Errors
/// When `req` is not a valid WebSocket upgrade.
pub fn start(
    gateway: &Gateway,
    req: &HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    // A bearer token identifies at once (a bad one closes with 4001); any
    // other scheme, say a proxy's Basic credentials, leaves it to `identify`.
    let header_token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let dialect = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("dialect").and_then(|d| Dialect::parse(d)));
    let (response, outlet, stream) = socket::upgrade(req, body)?;
    let stream = stream
        .max_frame_size(HARD_FRAME_LIMIT)
        .aggregate_continuations()
        .max_continuation_size(HARD_FRAME_LIMIT);
    let (conn, queue) = gateway.hub.connect();
    let now = Instant::now();
    let state = Session {
        hub: gateway.hub.clone(),
        chat: gateway.chat.clone(),
        log: Arc::clone(&gateway.log),
        renderer: Arc::clone(&gateway.renderer),
        config: gateway.session.clone(),
        ws: outlet,
        conn,
        signed_in: None,
        topics: HashMap::new(),
        follows_user: false,
        identify_by: now,
        heard_at: now,
    };
    actix_web::rt::spawn(state.run(stream, queue, header_token, dialect));
    Ok(response)
}

/// Who an identified connection is, on which token, and when that token
/// runs out.
struct SignedIn {
    claims: Claims,
    expires: Instant,
}

/// What a connection knows about one topic it follows.
struct Subscription {
    room: Room,
    workspace: WorkspaceId,
    /// The last `seq` sent on this topic; anything at or below is a duplicate.
    delivered: Seq,
}

struct Session {
    hub: Hub,
    chat: Concord,
    log: Arc<dyn EventLog>,
    renderer: Arc<DialectRenderer>,
    config: SessionConfig,
    ws: Outlet,
    conn: Arc<Connection>,
    signed_in: Option<SignedIn>,
    topics: HashMap<Topic, Subscription>,
    /// Whether the connection follows its user's own topic.
    follows_user: bool,
    identify_by: Instant,
    heard_at: Instant,
}

/// Whether `e` is a frame, or a fragmented message, over the hard limit.
/// actix-ws reports the latter only as an I/O error with this text.
fn too_big(e: &ProtocolError) -> bool {
    match e {
        ProtocolError::Overflow => true,
        ProtocolError::Io(io) => io.to_string() == "Exceeded maximum continuation size",
        _ => false,
    }
}

/// Why the loop ended, and what to tell the client.
enum End {
    Close(u16, &'static str),
    /// The client sent a close frame: answer it with the same code, as
    /// RFC 6455 (5.5.1) asks, and end.
    Answer(Option<CloseCode>),
    /// The socket is gone: nothing more to say.
    Gone,
}

impl Session {
    async fn run(
        mut self,
        mut stream: AggregatedMessageStream,
        mut queue: mpsc::Receiver<Outbound>,
        header_token: Option<String>,
        dialect: Option<Dialect>,
    ) {
        self.identify_by += self.config.identify_timeout;
        let hello = protocol::hello(self.heartbeat_ms());
        let mut end = self.send(hello).await.err();
        if end.is_none()
            && let Some(token) = header_token
        {
            end = Box::pin(self.identify(&token, dialect.unwrap_or_default()))
                .await
                .err();
        }
        let end = match end {
            Some(end) => end,
            None => self.serve(&mut stream, &mut queue).await,
        };
        self.hub
            .disconnect(&self.conn, self.topics.keys().copied().collect::<Vec<_>>());
        if let End::Answer(code) = end {
            let reason = code.map(|code| CloseReason {
                code,
                description: None,
            });
            let _ = tokio::time::timeout(CLOSE_GRACE, self.ws.close(reason)).await;
        } else if let End::Close(code, reason) = end {
            let reason = CloseReason {
                code: CloseCode::Other(code),
                description: Some(reason.to_owned()),
            };
            match code {
                // The client resumes with `since` from the last event it
                // read, so what is still queued may go: a slow reader learns
                // at once that it must resume, not after its backlog.
                close::GOING_AWAY => self.ws.close_now(CloseReason {
                    code: CloseCode::Away,
                    ..reason
                }),
                close::RESUME_REQUIRED => self.ws.close_now(reason),
                // A client that stopped reading may never take the close frame.
                _ => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, self.ws.close(Some(reason))).await;
                }
            }
        }
    }

    async fn serve(
        &mut self,
        stream: &mut AggregatedMessageStream,
        queue: &mut mpsc::Receiver<Outbound>,
    ) -> End {
        // The stop signal and the deadline's timer live across iterations:
        // an event delivered costs no timer registration, and the timer
        // moves only when the deadline does (a frame from the client).
        let stopped = self.conn.stopped().clone();
        let stopped = stopped.cancelled();
        let timer = tokio::time::sleep_until(self.deadline());
        tokio::pin!(stopped, timer);
        loop {
            let deadline = self.deadline();
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            let step = tokio::select! {
                biased;
                () = &mut stopped => Err(self.stop_reason()),
                frame = stream.recv() => Box::pin(self.on_frame(frame)).await,
                Some(out) = queue.recv() => self.on_outbound(out).await,
                () = &mut timer => Err(self.timed_out()),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    fn heartbeat_ms(&self) -> u64 {
        u64::try_from(self.config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX)
    }

    fn user(&self) -> Option<UserId> {
        self.signed_in.as_ref().map(|s| s.claims.user_id)
    }

    /// Until it identifies, a connection has the identify timeout alone;
    /// then two heartbeat intervals of silence, and its token's lifetime.
    fn deadline(&self) -> Instant {
        match &self.signed_in {
            Some(s) => (self.heard_at + self.config.heartbeat_interval * 2).min(s.expires),
            None => self.identify_by,
        }
    }

    fn timed_out(&self) -> End {
        match &self.signed_in {
            None => End::Close(close::UNAUTHENTICATED, "Identify timed out"),
            Some(s) if Instant::now() >= s.expires => End::Close(
                close::UNAUTHENTICATED,
                "Token expired; identify with a new one",
            ),
            _ => End::Close(close::HEARTBEAT_TIMEOUT, "Heartbeat timed out; resume"),
        }
    }

    fn stop_reason(&self) -> End {
        match self.conn.stop_reason() {
            Some(Stop::ShuttingDown) => {
                End::Close(close::GOING_AWAY, "Server shutting down; resume")
            }
            Some(Stop::ResumeRequired) | None => End::Close(
                close::RESUME_REQUIRED,
                "Too slow; reconnect and resume with since",
            ),
        }
    }

    /// Sends a frame unless the connection is told to stop meanwhile (a
    /// client that does not read would otherwise hold this task forever).
    async fn send(&mut self, frame: impl Into<ByteString>) -> Result<(), End> {
        let frame = frame.into();
        // Nearly always the socket's channel has room and the send is done at
        // once; only a full one needs to watch the stop signal. A send that
        // did not complete sent nothing, so the frame can go again.
        if let Some(sent) = self.ws.text(frame.clone()).now_or_never() {
            return sent.map_err(|_| End::Gone);
        }
        let stopped = self.conn.stopped().clone();
        tokio::select! {
            sent = self.ws.text(frame) => sent.map_err(|_| End::Gone),
            () = stopped.cancelled() => Err(self.stop_reason()),
        }
    }

    async fn on_frame(
        &mut self,
        frame: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Result<(), End> {
        self.heard_at = Instant::now();
        match frame {
            None => Err(End::Gone),
            Some(Ok(AggregatedMessage::Close(reason))) => Err(End::Answer(reason.map(|r| r.code))),
            Some(Err(e)) if too_big(&e) => {
                let _ = self.send(protocol::error(413, "Frame too large")).await;
                Err(End::Close(close::TOO_BIG, "Frame too large"))
            }
            Some(Err(_)) => Err(End::Close(close::PROTOCOL_ERROR, "Invalid WebSocket frame")),
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                self.ws.pong(&bytes).await.map_err(|_| End::Gone)
            }
            Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
            Some(Ok(AggregatedMessage::Binary(_))) => {
                self.send(protocol::error(400, "Send JSON text frames"))
                    .await
            }
            Some(Ok(AggregatedMessage::Text(text))) if text.len() > self.config.max_frame_bytes => {
                let msg = format!(
                    "Frame too large; at most {} bytes",
                    self.config.max_frame_bytes
                );
                self.send(protocol::error(413, &msg)).await
            }
            Some(Ok(AggregatedMessage::Text(text))) => match ClientOp::parse(&text) {
                Ok(op) => self.on_op(op).await,
                Err(reason) => self.send(protocol::error(400, &reason)).await,
            },
        }
    }

    async fn on_op(&mut self, op: ClientOp) -> Result<(), End> {
        match (op, self.user()) {
            (ClientOp::Ping, _) => self.send(protocol::pong()).await,
            (ClientOp::Identify { token, dialect }, None) => self.identify(&token, dialect).await,
            (ClientOp::Identify { .. }, Some(_)) => {
                self.send(protocol::error(400, "Already identified")).await
            }
            (_, None) => self.send(protocol::error(401, "Identify first")).await,
            (ClientOp::Subscribe { topics, since }, Some(user)) => {
                // Replays wait until every topic is subscribed, so that two
                // topics of one room replay as one run in `seq` order.
                let mut replays: Vec<Replay> = Vec::new();
                let mut budget = ReplayBudget::new(self.config.max_replay);
                for raw in topics {
                    if let Some(topic) = UserTopic::parse(&raw) {
                        self.follow_user(user, topic).await?;
                        continue;
                    }
                    let since = since.get(&raw).copied();
                    let Some((room, workspace, resume)) =
                        self.subscribe(user, &raw, since, &mut budget).await?
                    else {
                        continue;
                    };
                    match replays.iter_mut().find(|r| r.room == room) {
                        Some(replay) => {
                            replay.topics.retain(|t| t.topic != resume.topic);
                            replay.topics.push(resume);
                        }
                        None => replays.push(Replay {
                            room,
                            workspace,
                            topics: vec![resume],
                        }),
                    }
                }
                for replay in replays {
                    self.replay(replay).await?;
                }
                Ok(())
            }
            (ClientOp::Unsubscribe { topics }, Some(_)) => {
                for raw in topics {
                    if let Some(topic) = UserTopic::parse(&raw) {
                        if self.follows_user && self.user() == Some(topic.user_id) {
                            self.follows_user = false;
                            self.hub.unfollow_user(&self.conn);
                        }
                        self.send(protocol::unsubscribed(&topic)).await?;
                        continue;
                    }
                    match Topic::parse(&raw) {
                        Some(topic) => {
                            if self.topics.remove(&topic).is_some() {
                                self.hub.unsubscribe(&self.conn, topic);
                            }
                            self.send(protocol::unsubscribed(&topic)).await?;
                        }
                        None => {
                            self.send(protocol::topic_error(&raw, 400, "Unknown topic"))
                                .await?;
                        }
                    }
                }
                Ok(())
            }
        }
    }

    async fn identify(&mut self, token: &str, dialect: Dialect) -> Result<(), End> {
        let chat = self.chat.clone();
        let token = token.to_owned();
        let claims = match chat.accounts.authenticate_from_memory(&token) {
            Some(known) => known,
            None => blocking(move || chat.accounts.authenticate(&token)).await,
        };
        match claims {
            Ok(claims) => {
                let user = claims.user_id;
                // Verified just now, so its expiry is ahead; a clock that
                // disagrees by more than the token's lifetime ends it at once.
                let left = (claims.expires_at - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default();
                self.signed_in = Some(SignedIn {
                    claims,
                    expires: Instant::now() + left,
                });
                self.conn.identify(user, dialect);
                let session_id = format!("{:016x}{:016x}", rand::random::<u64>(), self.conn.id());
                self.send(protocol::ready(user, &session_id)).await
            }
            Err(ServiceError::Unavailable(_)) => Err(End::Close(
                close::GOING_AWAY,
                "Service unavailable; reconnect shortly",
            )),
            Err(_) => Err(End::Close(
                close::UNAUTHENTICATED,
                "Invalid or expired token",
            )),
        }
    }

    /// Follows `topic` if it is `user`'s own, and answers `subscribed` with
    /// `seq` 0 (a user topic has no log to resume from), or a 403.
    async fn follow_user(&mut self, user: UserId, topic: UserTopic) -> Result<(), End> {
        if let Err(e) = self.chat.gateway.follow_user_topic(user, topic) {
            let reason = match &e {
                ServiceError::Forbidden(denied) => denied.0,
                _ => "You may not follow this topic",
            };
            let frame = protocol::topic_error(&topic.to_string(), 403, reason);
            return self.send(frame).await;
        }
        if !self.follows_user {
            self.follows_user = true;
            self.hub.follow_user(&self.conn);
        }
        self.send(protocol::subscribed(&topic, Seq::ZERO)).await
    }

    /// Subscribes to `raw` and answers `subscribed` (or an error frame).
    /// With `since`, returns what the log must replay for it, if `budget`
    /// allows; a topic further behind is refused with 410 and the room's
    /// latest `seq`, and its history is the client's to page over HTTP.
    async fn subscribe(
        &mut self,
        user: UserId,
        raw: &str,
        since: Option<i64>,
        budget: &mut ReplayBudget,
    ) -> Result<Option<(Room, WorkspaceId, Resume)>, End> {
        let Some(topic) = Topic::parse(raw) else {
            self.send(protocol::topic_error(raw, 400, "Unknown topic"))
                .await?;
            return Ok(None);
        };
        if self.topics.remove(&topic).is_some() {
            // Subscribing again starts over, with a fresh `seq` and replay.
            self.hub.unsubscribe(&self.conn, topic);
        } else if self.topics.len() >= self.config.max_topics {
            self.send(protocol::topic_error(
                raw,
                400,
                "Too many topics on one connection",
            ))
            .await?;
            return Ok(None);
        }
        let (room, workspace, latest) = match self.join(user, topic).await {
            Ok(joined) => joined,
            Err((status, reason)) => {
                self.send(protocol::topic_error(raw, status, reason))
                    .await?;
                return Ok(None);
            }
        };
        // `since` is forgiving: a negative one counts as 0, one past the
        // latest as the latest.
        let since = since.map(|since| Seq::new(since.clamp(0, latest.get())));
        if let Some(since) = since {
            let behind = latest.since(since);
            if !budget.take(topic.room_id, behind) {
                self.hub.unsubscribe(&self.conn, topic);
                let reason = format!(
                    "Too far behind to replay: {behind} events, more than one subscribe may \
                     replay ({}). Subscribe with since {latest} and page older messages over HTTP",
                    self.config.max_replay
                );
                self.send(protocol::replay_refused(raw, latest, &reason))
                    .await?;
                return Ok(None);
            }
        }
        self.send(protocol::subscribed(&topic, latest)).await?;
        // The log fills `(since, latest]`; the live copies of those events
        // are dropped as duplicates, being at or below `delivered`.
        self.topics.insert(
            topic,
            Subscription {
                room,
                workspace,
                delivered: latest,
            },
        );
        Ok(since.map(|since| {
            (
                room,
                workspace,
                Resume {
                    topic,
                    since,
                    until: latest,
                },
            )
        }))
    }

    /// Joins the live feed of `topic`'s room and returns the room, its
    /// workspace and its latest `seq`; or the refusal's status and reason.
    ///
    /// From here every event after the feed's position is queued for this
    /// connection. The latest `seq` is the later of that position (which
    /// counts the events the feed is about to deliver) and the room's as read
    /// from the store, if it was read. Either covers every post whose 201 the
    /// client has seen, since this node publishes a post before answering
    /// it. No second read of the store: a room deleted in between has no
    /// events left to send.
    async fn join(
        &mut self,
        user: UserId,
        topic: Topic,
    ) -> Result<(Room, WorkspaceId, Seq), (u16, &'static str)> {
        const TRY_AGAIN: (u16, &str) = (503, "Try again shortly");
        // A room this node already follows, and which the caller was lately
        // found to be allowed in, is joined without asking the store.
        let chat = self.chat.clone();
        let followed = self.hub.join_followed(topic, &self.conn, |room| {
            chat.gateway.may_read_from_memory(user, room)
        });
        let (room, workspace, read_seq, acked) = match followed {
            Some((room, workspace, acked)) => (room, workspace, Seq::ZERO, acked),
            None => {
                let chat = self.chat.clone();
                let info = match blocking(move || chat.gateway.open_room(user, topic.room_id)).await
                {
                    Ok(info) => info,
                    Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {
                        return Err((403, "You may not read this room"));
                    }
                    Err(_) => return Err(TRY_AGAIN),
                };
                let acked = self.hub.subscribe(info, topic, self.conn.clone());
                (info.room, info.workspace_id, info.last_seq, acked)
            }
        };
        let position = acked.await.map_err(|_| TRY_AGAIN)?;
        Ok((room, workspace, position.max(read_seq)))
    }

    /// Sends each topic's events in its `(since, until]` from the room's
    /// log, all topics of the room in one run, in `seq` order.
    async fn replay(&mut self, replay: Replay) -> Result<(), End> {
        let mut pages = replay.pages(Source {
            log: Arc::clone(&self.log),
            renderer: Arc::clone(&self.renderer),
            dialect: self.conn.dialect(),
        });
        loop {
            match pages.next().await {
                Ok(Some(page)) => {
                    for replayed in page {
                        self.send(replayed.frame).await?;
                    }
                }
                Ok(None) => return Ok(()),
                Err(_) => {
                    return Err(End::Close(close::RESUME_REQUIRED, "Replay failed; resume"));
                }
            }
        }
    }

    async fn on_outbound(&mut self, out: Outbound) -> Result<(), End> {
        match out {
            Outbound::Event(delivery) => {
                let Some(sub) = self.topics.get_mut(&delivery.topic) else {
                    return Ok(());
                };
                if delivery.seq <= sub.delivered {
                    return Ok(());
                }
                sub.delivered = delivery.seq;
                self.send(delivery.frame.clone()).await
            }
            Outbound::Recheck(change) => Box::pin(self.recheck(change)).await,
            // Queued before an unsubscribe, perhaps.
            Outbound::Personal(frame) if self.follows_user => self.send((*frame).clone()).await,
            Outbound::Personal(_) => Ok(()),
        }
    }

    /// Drops, with a 403 error frame, every subscription the user may no
    /// longer read. A store failure keeps them: access is re-checked on the
    /// next change, and a dropped read must not look like a revocation.
    async fn recheck(&mut self, change: AccessChange) -> Result<(), End> {
        let Some(signed_in) = &self.signed_in else {
            return Ok(());
        };
        let user = signed_in.claims.user_id;
        // A change to the user may be a logout: a revoked token ends the
        // connection as it would have refused to open it.
        if change == AccessChange::User(user) {
            let (chat, claims) = (self.chat.clone(), signed_in.claims.clone());
            if let Ok(false) = blocking(move || chat.accounts.still_signed_in(&claims)).await {
                return Err(End::Close(
                    close::UNAUTHENTICATED,
                    "Token revoked; identify with a new one",
                ));
            }
        }
        let affected: Vec<(Topic, Room)> = self
            .topics
            .iter()
            .filter(|(_, s)| concerns(change, s.room, s.workspace))
            .map(|(t, s)| (*t, s.room))
            .collect();
        for (topic, room) in affected {
            let chat = self.chat.clone();
            if let Ok(false) = blocking(move || chat.gateway.may_read(user, room)).await {
                self.topics.remove(&topic);
                self.hub.unsubscribe(&self.conn, topic);
                let frame = protocol::topic_error(
                    &topic.to_string(),
                    403,
                    "You may no longer read this room",
                );
                self.send(frame).await?;
            }
        }
        Ok(())
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
