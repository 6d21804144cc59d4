//! The hub: which connections follow which rooms on this node, and one feed
//! per followed room ([`super::feed`]) that turns committed events into
//! frames.
//!
//! The hub is given everything it needs when it is built: the event log it
//! reads gaps and sweeps from, and the renderer that turns events into each
//! dialect's frames. The WebSocket sessions (an inbound adapter, in the api
//! crate) register their connections here and read what their queue brings.
//!
//! Every connection has one bounded queue. A feed never waits on a
//! connection: when a queue is full the connection is told to stop with
//! [`Stop::ResumeRequired`], and the feed moves on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use bytestring::ByteString;
use concord_domain::{Room, RoomEvent, RoomId, Seq, Topic, UserId, UserTopic, WorkspaceId};
use concord_ports::{AccessChange, EventLog, RoomInfo, RoomUnread};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::feed::{Feed, RoomInput, Subscriber};

/// Which HTTP dialect's JSON a connection receives in event `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// The `/api` dialect's message shape (snake_case, seed 004).
    #[default]
    Workspace,
    /// The root dialect's message shape (camelCase with `member`, seed 000).
    Server,
}

impl Dialect {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "workspace" => Some(Dialect::Workspace),
            "server" => Some(Dialect::Server),
            _ => None,
        }
    }
}

/// Renders room events as event frames. The api crate owns the wire
/// protocol and both dialects' shapes; the hub only fans out what it is
/// given.
pub trait Renderer: Send + Sync + 'static {
    /// The event frame of each of `events`, all of one room of `workspace`,
    /// in `dialect`, in order. May read the store (the server dialect shows
    /// each author's membership); runs on the blocking pool when
    /// [`Renderer::reads_store`] says so.
    /// # Errors
    /// When the store cannot be read.
    fn frames(
        &self,
        events: &[&RoomEvent],
        workspace: WorkspaceId,
        dialect: Dialect,
    ) -> anyhow::Result<Vec<ByteString>>;

    /// Whether rendering `dialect` reads the store. A feed renders the
    /// others in place, sparing every event a trip to the blocking pool.
    fn reads_store(&self, dialect: Dialect) -> bool;

    /// The `read.updated` frame for `topic` (its user's) in `dialect`.
    /// Reads nothing: `state` is all there is to say.
    /// # Errors
    /// When `state` cannot be serialized.
    fn read_frame(
        &self,
        topic: UserTopic,
        state: &RoomUnread,
        dialect: Dialect,
    ) -> anyhow::Result<ByteString>;
}

/// Tuning knobs, all with defaults fit for production.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Frames a connection may have waiting before it is closed as too slow.
    pub queue_capacity: usize,
    /// How long an out-of-order event waits for its predecessor before the
    /// feed reads the gap from the log.
    pub gap_wait: Duration,
    /// How often followed rooms are compared with the log, to catch events
    /// whose notification was lost. `None` on a single node, where nothing
    /// can be lost in transit.
    pub sweep_interval: Option<Duration>,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 512,
            gap_wait: Duration::from_millis(50),
            sweep_interval: None,
        }
    }
}

/// What a connection's queue carries. Kept to two words: every connection's
/// queue allocates its first block of slots up front.
#[derive(Debug)]
pub enum Outbound {
    /// A rendered event frame, shared with every other subscriber.
    Event(Arc<Delivery>),
    /// Read access may have shrunk: re-check the subscriptions it concerns.
    Recheck(AccessChange),
    /// A frame for the connection's own user topic (`user:{id}`).
    Personal(Arc<ByteString>),
}

/// One event rendered in one dialect, made once for all its subscribers.
#[derive(Debug)]
pub struct Delivery {
    pub topic: Topic,
    pub seq: Seq,
    pub frame: ByteString,
}

/// Why the hub stopped a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Its queue filled, or its events could not be rendered: the client
    /// must reconnect and resume from the log.
    ResumeRequired = 1,
    /// The node is shutting down: the client reconnects, possibly elsewhere,
    /// and resumes.
    ShuttingDown = 2,
}

/// The hub's side of one WebSocket connection: small, shared with the feeds
/// of every room it follows.
#[derive(Debug)]
pub struct Connection {
    id: u64,
    user: OnceLock<UserId>,
    dialect: OnceLock<Dialect>,
    queue: mpsc::Sender<Outbound>,
    stop: CancellationToken,
    /// The first [`Stop`] as its discriminant; 0 while running.
    stop_reason: AtomicU8,
    /// Follows every room its user may read (Socket.IO), so access gains
    /// concern it.
    follows_all: AtomicBool,
}

impl Connection {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Cancelled when the connection must close; see [`Connection::stop_reason`].
    pub fn stopped(&self) -> &CancellationToken {
        &self.stop
    }

    /// Why the connection was stopped, if it was; the first reason wins.
    pub fn stop_reason(&self) -> Option<Stop> {
        match self.stop_reason.load(Ordering::Acquire) {
            1 => Some(Stop::ResumeRequired),
            2 => Some(Stop::ShuttingDown),
            _ => None,
        }
    }

    /// Ask the connection to close, for `reason`.
    pub fn stop(&self, reason: Stop) {
        if self
            .stop_reason
            .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if reason == Stop::ResumeRequired {
                metrics::counter!("concord_gateway_slow_consumer_closes_total").increment(1);
            }
            self.stop.cancel();
        }
    }

    /// Records who the connection belongs to once it has identified.
    pub fn identify(&self, user: UserId, dialect: Dialect) {
        // A second identify is refused by the session before it gets here.
        let _ = self.user.set(user);
        let _ = self.dialect.set(dialect);
    }

    /// Marks the connection as following every room its user may read, in
    /// place of subscribing topic by topic: it is told of access gains.
    pub fn follow_all_readable(&self) {
        self.follows_all.store(true, Ordering::Release);
    }

    pub fn follows_all_readable(&self) -> bool {
        self.follows_all.load(Ordering::Acquire)
    }

    pub fn user(&self) -> Option<UserId> {
        self.user.get().copied()
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect.get().copied().unwrap_or_default()
    }

    /// Queues `item`, or stops the connection as too slow when it cannot.
    /// Returns whether the connection is still worth sending to.
    pub(super) fn offer(&self, item: Outbound) -> bool {
        match self.queue.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stop(Stop::ResumeRequired);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// This node's realtime hub. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    config: HubConfig,
    runtime: tokio::runtime::Handle,
    log: Arc<dyn EventLog>,
    renderer: Arc<dyn Renderer>,
    rooms: Mutex<HashMap<RoomId, FeedHandle>>,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
    /// The connections following their user's own topic, by user.
    followers: Mutex<HashMap<UserId, Vec<Arc<Connection>>>>,
    next_connection: AtomicU64,
}

/// A live room feed: its inbox, and the room it serves.
pub(super) struct FeedHandle {
    inbox: mpsc::UnboundedSender<RoomInput>,
    room: Room,
    workspace_id: WorkspaceId,
}

/// Poisoning only means another thread panicked mid-update of a map whose
/// every update is a single insert or remove; the map itself is sound.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// A hub whose feeds run on `runtime`, read gaps from `log` and render
    /// with `renderer`. With a sweep interval, starts the sweeper.
    pub fn new(
        config: HubConfig,
        runtime: tokio::runtime::Handle,
        log: Arc<dyn EventLog>,
        renderer: Arc<dyn Renderer>,
    ) -> Self {
        let sweep_interval = config.sweep_interval;
        let hub = Self {
            inner: Arc::new(Inner {
                config,
                runtime,
                log,
                renderer,
                rooms: Mutex::new(HashMap::new()),
                connections: Mutex::new(HashMap::new()),
                followers: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
            }),
        };
        if let Some(every) = sweep_interval {
            let sweeper = hub.clone();
            hub.inner.runtime.spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    sweeper.sweep().await;
                }
            });
        }
        hub
    }

    /// How long an out-of-order event waits for its predecessor.
    pub(super) fn gap_wait(&self) -> Duration {
        self.inner.config.gap_wait
    }

    pub(super) fn log(&self) -> &Arc<dyn EventLog> {
        &self.inner.log
    }

    pub(super) fn renderer(&self) -> &Arc<dyn Renderer> {
        &self.inner.renderer
    }

    /// The followed rooms' feeds. Inputs are sent to a feed only with this
    /// locked, which is what lets a feed retire without losing any.
    pub(super) fn rooms(&self) -> MutexGuard<'_, HashMap<RoomId, FeedHandle>> {
        lock(&self.inner.rooms)
    }

    /// Registers a new connection and returns its queue's receiving end.
    pub fn connect(&self) -> (Arc<Connection>, mpsc::Receiver<Outbound>) {
        let (queue, rx) = mpsc::channel(self.inner.config.queue_capacity);
        let conn = Arc::new(Connection {
            id: self.inner.next_connection.fetch_add(1, Ordering::Relaxed),
            user: OnceLock::new(),
            dialect: OnceLock::new(),
            queue,
            stop: CancellationToken::new(),
            stop_reason: AtomicU8::new(0),
            follows_all: AtomicBool::new(false),
        });
        lock(&self.inner.connections).insert(conn.id, conn.clone());
        metrics::gauge!("concord_gateway_connections").increment(1.0);
        (conn, rx)
    }

    /// Forgets a connection and takes it off every room it followed.
    pub fn disconnect(&self, conn: &Connection, rooms: impl IntoIterator<Item = Topic>) {
        if lock(&self.inner.connections).remove(&conn.id).is_some() {
            metrics::gauge!("concord_gateway_connections").decrement(1.0);
        }
        self.unfollow_user(conn);
        for topic in rooms {
            self.unsubscribe(conn, topic);
        }
    }

    /// Adds `conn` to the feed of `topic`'s room. Resolves to the feed's
    /// position when `conn` joined: the last `seq` it has delivered or is
    /// about to deliver in the same round. Every later event reaches `conn`'s
    /// queue.
    pub fn subscribe(
        &self,
        room: RoomInfo,
        topic: Topic,
        conn: Arc<Connection>,
    ) -> oneshot::Receiver<Seq> {
        let (ack, acked) = oneshot::channel();
        let input = RoomInput::Subscribe(
            Subscriber {
                kind: topic.kind,
                dialect: conn.dialect(),
                conn,
            },
            ack,
        );
        let mut rooms = lock(&self.inner.rooms);
        let feed = rooms
            .entry(topic.room_id)
            .or_insert_with(|| self.spawn_feed(room));
        if let Err(mpsc::error::SendError(input)) = feed.inbox.send(input) {
            // The feed ended (its runtime is shutting down): start afresh.
            let feed = self.spawn_feed(room);
            let _ = feed.inbox.send(input);
            rooms.insert(topic.room_id, feed);
        }
        acked
    }

    /// [`Hub::subscribe`] for a room this node already follows, without
    /// asking the store about it: joins the room's live feed if there is one
    /// and `may_read` allows its room. Returns the room, its workspace and
    /// the acknowledgement; `None` when there is no live feed or `may_read`
    /// refuses, and the caller opens the room from the store instead.
    pub fn join_followed(
        &self,
        topic: Topic,
        conn: &Arc<Connection>,
        may_read: impl FnOnce(Room) -> bool,
    ) -> Option<(Room, WorkspaceId, oneshot::Receiver<Seq>)> {
        let rooms = lock(&self.inner.rooms);
        let feed = rooms.get(&topic.room_id)?;
        if !may_read(feed.room) {
            return None;
        }
        let (ack, acked) = oneshot::channel();
        let input = RoomInput::Subscribe(
            Subscriber {
                kind: topic.kind,
                dialect: conn.dialect(),
                conn: Arc::clone(conn),
            },
            ack,
        );
        feed.inbox.send(input).ok()?;
        Some((feed.room, feed.workspace_id, acked))
    }

    pub fn unsubscribe(&self, conn: &Connection, topic: Topic) {
        self.to_room(
            topic.room_id,
            RoomInput::Unsubscribe {
                conn: conn.id,
                kind: topic.kind,
            },
        );
    }

    /// `conn`, identified, follows its user's own topic from now on.
    pub fn follow_user(&self, conn: &Arc<Connection>) {
        let Some(user) = conn.user() else { return };
        let mut followers = lock(&self.inner.followers);
        let own = followers.entry(user).or_default();
        if !own.iter().any(|c| c.id == conn.id) {
            own.push(Arc::clone(conn));
        }
    }

    /// `conn` no longer follows its user's topic (if it did).
    pub fn unfollow_user(&self, conn: &Connection) {
        let Some(user) = conn.user() else { return };
        let mut followers = lock(&self.inner.followers);
        if let Some(own) = followers.get_mut(&user) {
            own.retain(|c| c.id != conn.id);
            if own.is_empty() {
                followers.remove(&user);
            }
        }
    }

    /// `user`'s read marker moved: `read.updated` to each of their
    /// connections on this node that follows their topic, rendered once per
    /// dialect.
    pub fn read_updated(&self, user: UserId, state: &RoomUnread) {
        let followers: Vec<Arc<Connection>> = match lock(&self.inner.followers).get(&user) {
            Some(own) => own.clone(),
            None => return,
        };
        let topic = UserTopic { user_id: user };
        let mut rendered: Vec<(Dialect, Arc<ByteString>)> = Vec::with_capacity(2);
        for conn in followers {
            let dialect = conn.dialect();
            let frame = match rendered.iter().find(|(d, _)| *d == dialect) {
                Some((_, frame)) => Arc::clone(frame),
                None => match self.inner.renderer.read_frame(topic, state, dialect) {
                    Ok(frame) => {
                        let frame = Arc::new(frame);
                        rendered.push((dialect, Arc::clone(&frame)));
                        frame
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "realtime: a read update could not be rendered");
                        return;
                    }
                },
            };
            conn.offer(Outbound::Personal(frame));
        }
    }

    /// A committed event, in full, from this node.
    pub fn publish(&self, event: &RoomEvent) {
        self.to_room(event.room(), RoomInput::Event(event.clone()));
    }

    /// Another node committed `seq` in room `room_id`.
    pub fn notice(&self, room_id: RoomId, seq: Seq) {
        self.to_room(room_id, RoomInput::Notice(seq));
    }

    /// Every followed room re-reads its log (after a broker reconnect).
    pub fn resync_all(&self) {
        for feed in lock(&self.inner.rooms).values() {
            let _ = feed.inbox.send(RoomInput::CatchUp);
        }
    }

    /// Routes an access change to the connections it may concern.
    pub fn access_changed(&self, change: AccessChange) {
        match change {
            AccessChange::Room(room_id) => self.to_room(room_id, RoomInput::Recheck(change)),
            AccessChange::User(user) => {
                for conn in lock(&self.inner.connections).values() {
                    if conn.user() == Some(user) {
                        conn.offer(Outbound::Recheck(change));
                    }
                }
            }
            AccessChange::Workspace(_) => {
                for conn in lock(&self.inner.connections).values() {
                    conn.offer(Outbound::Recheck(change));
                }
            }
            // A gain changes nothing for a connection that follows only
            // what it subscribed to: it is re-authorised on subscribing.
            AccessChange::UserGained(user) => {
                for conn in lock(&self.inner.connections).values() {
                    if conn.follows_all_readable() && conn.user() == Some(user) {
                        conn.offer(Outbound::Recheck(change));
                    }
                }
            }
            AccessChange::WorkspaceGained(_) => {
                for conn in lock(&self.inner.connections).values() {
                    if conn.follows_all_readable() {
                        conn.offer(Outbound::Recheck(change));
                    }
                }
            }
        }
    }

    /// Stops every connection: the node is shutting down.
    pub fn shutdown(&self) {
        for conn in lock(&self.inner.connections).values() {
            conn.stop(Stop::ShuttingDown);
        }
    }

    fn to_room(&self, room_id: RoomId, input: RoomInput) {
        // No feed means nobody on this node follows the room.
        if let Some(feed) = lock(&self.inner.rooms).get(&room_id) {
            let _ = feed.inbox.send(input);
        }
    }

    fn spawn_feed(&self, room: RoomInfo) -> FeedHandle {
        let (tx, inbox) = mpsc::unbounded_channel();
        let feed = Feed::new(self.clone(), room, inbox);
        self.inner.runtime.spawn(feed.run());
        FeedHandle {
            inbox: tx,
            room: room.room,
            workspace_id: room.workspace_id,
        }
    }

    /// Compares every followed room's feed with the log's latest `seq`.
    async fn sweep(&self) {
        let ids: Vec<RoomId> = lock(&self.inner.rooms).keys().copied().collect();
        if ids.is_empty() {
            return;
        }
        let log = Arc::clone(&self.inner.log);
        match tokio::task::spawn_blocking(move || log.latest_seqs(&ids)).await {
            Ok(Ok(seqs)) => {
                for (room_id, seq) in seqs {
                    self.notice(room_id, seq);
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "realtime sweep could not read the log"),
            Err(e) => tracing::warn!(error = %e, "realtime sweep task failed"),
        }
    }
}

/// Whether an access change may have ended a subscription to `room` of
/// `workspace`: a gain never does.
pub fn concerns(change: AccessChange, room: Room, workspace: WorkspaceId) -> bool {
    match change {
        AccessChange::User(_) => true,
        AccessChange::Room(id) => id == room.id(),
        AccessChange::Workspace(w) => w == workspace,
        AccessChange::UserGained(_) | AccessChange::WorkspaceGained(_) => false,
    }
}
