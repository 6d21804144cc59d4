//! The hub: which connections follow which rooms on this node, and one feed
//! task per followed room that turns committed events into frames.
//!
//! A room's feed is the only writer of that room's frames, so they leave in
//! `seq` order. It delivers `seq` N only after N-1: an event published out of
//! order by a concurrent request waits briefly for its predecessor, and any
//! gap that does not close by itself — a notification from another node, a
//! lost broker message — is filled by reading the room's log. Each event is
//! rendered once per dialect and the same bytes go to every subscriber.
//!
//! Every connection has one bounded queue. A feed never waits on a
//! connection: when a queue is full the connection is told to close with
//! "resume required", and the feed moves on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytestring::ByteString;
use concord_domain::{Room, RoomEvent, RoomId, Seq, Topic, TopicKind, UserId, WorkspaceId};
use concord_ports::{AccessChange, ChatService, MAX_EVENTS_PER_READ, RoomInfo, ServiceError};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, Dialect};

/// Renders room events' data as a dialect's JSON. The api crate owns both
/// dialects' shapes; the gateway only frames what it is given.
pub trait Wire: Send + Sync + 'static {
    /// The `data` of each event of a room of `workspace` as JSON in
    /// `dialect`, in order. May read the store (the server dialect shows each
    /// author's membership); runs on the blocking pool when
    /// [`Wire::reads_store`] says so.
    /// # Errors
    /// When the store cannot be read.
    fn events_json(
        &self,
        events: &[&RoomEvent],
        workspace: WorkspaceId,
        dialect: Dialect,
    ) -> Result<Vec<String>, ServiceError>;

    /// Whether rendering `dialect` reads the store. A feed renders the
    /// others in place, sparing every event a trip to the blocking pool.
    fn reads_store(&self, dialect: Dialect) -> bool;
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
}

/// One event rendered in one dialect, made once for all its subscribers.
#[derive(Debug)]
pub struct Delivery {
    pub topic: Topic,
    pub seq: Seq,
    pub frame: ByteString,
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
    stop_code: AtomicU16,
}

impl Connection {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Cancelled when the connection must close; see [`Connection::stop_code`].
    pub fn stopped(&self) -> &CancellationToken {
        &self.stop
    }

    /// The close code the connection was stopped with; the first one wins.
    pub fn stop_code(&self) -> u16 {
        self.stop_code.load(Ordering::Acquire)
    }

    /// Ask the connection to close with `code`.
    pub fn stop(&self, code: u16) {
        if self
            .stop_code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.stop.cancel();
        }
    }

    /// Records who the connection belongs to once it has identified.
    pub fn identify(&self, user: UserId, dialect: Dialect) {
        // A second identify is refused by the session before it gets here.
        let _ = self.user.set(user);
        let _ = self.dialect.set(dialect);
    }

    pub fn user(&self) -> Option<UserId> {
        self.user.get().copied()
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect.get().copied().unwrap_or_default()
    }

    /// Queues `item`, or stops the connection as too slow when it cannot.
    /// Returns whether the connection is still worth sending to.
    fn offer(&self, item: Outbound) -> bool {
        match self.queue.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stop(protocol::close::RESUME_REQUIRED);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Services the hub needs once it serves connections.
struct Backend {
    chat: ChatService,
    wire: Arc<dyn Wire>,
}

/// This node's realtime hub. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    config: HubConfig,
    runtime: tokio::runtime::Handle,
    backend: OnceLock<Backend>,
    rooms: Mutex<HashMap<RoomId, FeedHandle>>,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
    next_connection: AtomicU64,
}

/// A live room feed: its inbox, and the room it serves.
struct FeedHandle {
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
    /// A hub whose feeds run on `runtime`.
    pub fn new(config: HubConfig, runtime: tokio::runtime::Handle) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                runtime,
                backend: OnceLock::new(),
                rooms: Mutex::new(HashMap::new()),
                connections: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
            }),
        }
    }

    /// Gives the hub the service and renderer it reads and renders with, and
    /// starts the sweeper. The notifier is built before the service (the
    /// service needs it), hence this second step.
    pub fn attach(&self, chat: ChatService, wire: Arc<dyn Wire>) {
        if self.inner.backend.set(Backend { chat, wire }).is_err() {
            return;
        }
        if let Some(every) = self.inner.config.sweep_interval {
            let hub = self.clone();
            self.inner.runtime.spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    hub.sweep().await;
                }
            });
        }
    }

    /// The service, once attached.
    pub fn chat(&self) -> Option<&ChatService> {
        self.inner.backend.get().map(|b| &b.chat)
    }

    pub(crate) fn wire(&self) -> Option<Arc<dyn Wire>> {
        self.inner.backend.get().map(|b| b.wire.clone())
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
            stop_code: AtomicU16::new(0),
        });
        lock(&self.inner.connections).insert(conn.id, conn.clone());
        (conn, rx)
    }

    /// Forgets a connection and takes it off every room it followed.
    pub fn disconnect(&self, conn: &Connection, rooms: impl IntoIterator<Item = Topic>) {
        lock(&self.inner.connections).remove(&conn.id);
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
        }
    }

    /// Closes every connection with 1001 "going away".
    pub fn shutdown(&self) {
        for conn in lock(&self.inner.connections).values() {
            conn.stop(protocol::close::GOING_AWAY);
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
        let feed = Feed {
            hub: self.clone(),
            room,
            last_seq: room.last_seq,
            wanted: room.last_seq,
            pending: BTreeMap::new(),
            gap_since: None,
            subscribers: HashMap::new(),
            inbox,
        };
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
        let Some(chat) = self.chat().cloned() else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        match tokio::task::spawn_blocking(move || chat.latest_seqs(&ids)).await {
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

enum RoomInput {
    Event(RoomEvent),
    Notice(Seq),
    CatchUp,
    Subscribe(Subscriber, oneshot::Sender<Seq>),
    Unsubscribe { conn: u64, kind: TopicKind },
    Recheck(AccessChange),
}

struct Subscriber {
    conn: Arc<Connection>,
    kind: TopicKind,
    dialect: Dialect,
}

/// One room's feed on this node; lives while someone here follows the room.
struct Feed {
    hub: Hub,
    room: RoomInfo,
    /// The last `seq` delivered to subscribers.
    last_seq: Seq,
    /// The highest `seq` known to exist in the log.
    wanted: Seq,
    /// Events that arrived ahead of their predecessors.
    pending: BTreeMap<Seq, RoomEvent>,
    /// Since when something has been missing.
    gap_since: Option<Instant>,
    /// Keyed by connection and topic kind, so that a subscription ends in
    /// one step however large the room's crowd: clients leaving one by one
    /// would otherwise each cost a scan of all the others.
    subscribers: HashMap<(u64, TopicKind), Subscriber>,
    inbox: mpsc::UnboundedReceiver<RoomInput>,
}

impl Feed {
    async fn run(mut self) {
        loop {
            let input = match self.gap_since {
                Some(since) => {
                    let deadline = since + self.hub.inner.config.gap_wait;
                    tokio::select! {
                        input = self.inbox.recv() => input,
                        () = tokio::time::sleep_until(deadline) => {
                            self.catch_up().await;
                            continue;
                        }
                    }
                }
                None => self.inbox.recv().await,
            };
            let Some(input) = input else { return };
            self.apply(input);
            while let Ok(input) = self.inbox.try_recv() {
                self.apply(input);
            }
            self.deliver_ready().await;
            if self.subscribers.is_empty() && self.retire() {
                return;
            }
        }
    }

    fn apply(&mut self, input: RoomInput) {
        match input {
            RoomInput::Event(event) => {
                if event.seq > self.last_seq {
                    self.wanted = self.wanted.max(event.seq);
                    self.pending.insert(event.seq, event);
                }
            }
            RoomInput::Notice(seq) => self.wanted = self.wanted.max(seq),
            // Whatever the log holds beyond what was delivered.
            RoomInput::CatchUp => self.wanted = self.wanted.max(self.last_seq.next()),
            RoomInput::Subscribe(sub, ack) => {
                // Pending events that continue the log go out in this same
                // round, to the newcomer too: its position includes them, so
                // that it covers every event this node has published.
                let mut through = self.last_seq;
                while self.pending.contains_key(&through.next()) {
                    through = through.next();
                }
                // Subscribing again replaces the earlier subscription.
                if ack.send(through).is_ok() {
                    self.subscribers.insert((sub.conn.id, sub.kind), sub);
                }
            }
            RoomInput::Unsubscribe { conn, kind } => {
                self.subscribers.remove(&(conn, kind));
            }
            RoomInput::Recheck(change) => {
                let mut told = HashSet::new();
                for s in self.subscribers.values() {
                    if told.insert(s.conn.id) {
                        s.conn.offer(Outbound::Recheck(change));
                    }
                }
            }
        }
    }

    /// Delivers what can go out now in order, and reads the log at once when
    /// another node announced events this feed does not hold.
    async fn deliver_ready(&mut self) {
        let ready = self.take_ready();
        self.send(ready).await;
        if self.wanted <= self.last_seq {
            self.gap_since = None;
        } else if self.pending.contains_key(&self.wanted) {
            // A local event overtook its predecessor, whose publisher is
            // about to deliver it: give it a moment before reading the log.
            self.gap_since.get_or_insert_with(Instant::now);
        } else {
            self.catch_up().await;
        }
    }

    /// Takes the pending events that continue `last_seq` without a gap.
    fn take_ready(&mut self) -> Vec<RoomEvent> {
        let mut ready = Vec::new();
        while let Some(event) = self.pending.remove(&self.last_seq.next()) {
            self.last_seq = event.seq;
            ready.push(event);
        }
        ready
    }

    /// Reads the log from `last_seq` until it is exhausted.
    async fn catch_up(&mut self) {
        let Some(chat) = self.hub.chat().cloned() else {
            return;
        };
        loop {
            let (room, after) = (self.room.room, self.last_seq);
            let read = {
                let chat = chat.clone();
                tokio::task::spawn_blocking(move || {
                    chat.room_events(room, after, MAX_EVENTS_PER_READ)
                })
                .await
            };
            let events = match read {
                Ok(Ok(events)) => events,
                Ok(Err(e)) => {
                    tracing::warn!(room = %room.id(), error = %e, "realtime feed could not read the log; retrying");
                    self.gap_since = Some(Instant::now() + Duration::from_secs(1));
                    return;
                }
                Err(e) => {
                    tracing::error!(room = %room.id(), error = %e, "realtime log read failed");
                    return;
                }
            };
            let exhausted = events.len() < MAX_EVENTS_PER_READ as usize;
            let fresh: Vec<RoomEvent> = events
                .into_iter()
                .filter(|e| e.seq > self.last_seq)
                .collect();
            if let Some(last) = fresh.last() {
                self.last_seq = last.seq;
                self.wanted = self.wanted.max(last.seq);
            }
            self.send(fresh).await;
            if exhausted {
                break;
            }
        }
        let delivered = self.last_seq;
        self.pending.retain(|seq, _| *seq > delivered);
        // The log is the truth: whatever it does not hold yet was committed
        // after the read and will be published again.
        self.wanted = self.last_seq;
        self.gap_since = None;
        // Queued events may continue right where the log ended.
        let ready = self.take_ready();
        self.send(ready).await;
        if let Some((&seq, _)) = self.pending.last_key_value() {
            self.wanted = seq;
            self.gap_since = Some(Instant::now());
        }
    }

    /// Renders `events` once per dialect in use and queues them to every
    /// subscriber of their topics.
    async fn send(&mut self, events: Vec<RoomEvent>) {
        if events.is_empty() || self.subscribers.is_empty() {
            return;
        }
        let mut dialects: Vec<Dialect> = self.subscribers.values().map(|s| s.dialect).collect();
        dialects.sort_by_key(|d| *d as u8);
        dialects.dedup();
        let Some(wire) = self.hub.wire() else { return };
        let workspace = self.room.workspace_id;
        let room_id = self.room.room.id();
        let rendered = if dialects.iter().any(|d| wire.reads_store(*d)) {
            tokio::task::spawn_blocking(move || {
                let frames = render(&*wire, &events, workspace, &dialects, room_id);
                (events, frames)
            })
            .await
        } else {
            let frames = render(&*wire, &events, workspace, &dialects, room_id);
            Ok((events, frames))
        };
        let (events, frames) = match rendered {
            Ok((events, Ok(frames))) => (events, frames),
            Ok((_, Err(e))) => {
                // Subscribers cannot be given a hole: close them so they
                // resume from the log once the store answers again.
                tracing::error!(room = %room_id, error = %e, "could not render events; closing subscribers");
                for (_, s) in self.subscribers.drain() {
                    s.conn.stop(protocol::close::RESUME_REQUIRED);
                }
                return;
            }
            Err(e) => {
                tracing::error!(room = %room_id, error = %e, "event rendering task failed");
                return;
            }
        };
        for (i, event) in events.iter().enumerate() {
            let topic = Topic {
                room_id,
                kind: event.payload.topic_kind(),
            };
            let deliveries: Vec<(Dialect, Arc<Delivery>)> = frames
                .iter()
                .map(|(dialect, frames)| {
                    let delivery = Delivery {
                        topic,
                        seq: event.seq,
                        frame: frames[i].clone(),
                    };
                    (*dialect, Arc::new(delivery))
                })
                .collect();
            self.subscribers.retain(|_, s| {
                if s.kind != topic.kind {
                    return true;
                }
                let Some((_, delivery)) = deliveries.iter().find(|(d, _)| *d == s.dialect) else {
                    return true;
                };
                s.conn.offer(Outbound::Event(Arc::clone(delivery)))
            });
        }
    }

    /// Removes this feed from the hub unless new input arrived meanwhile.
    fn retire(&mut self) -> bool {
        let mut rooms = lock(&self.hub.inner.rooms);
        // Inputs are only sent with `rooms` locked, so nothing can slip in
        // between this check and the removal.
        match self.inbox.try_recv() {
            Ok(input) => {
                drop(rooms);
                self.apply(input);
                false
            }
            Err(_) => {
                rooms.remove(&self.room.room.id());
                true
            }
        }
    }
}

type Frames = Vec<(Dialect, Vec<ByteString>)>;

fn render(
    wire: &dyn Wire,
    events: &[RoomEvent],
    workspace: WorkspaceId,
    dialects: &[Dialect],
    room_id: RoomId,
) -> Result<Frames, ServiceError> {
    let events: Vec<&RoomEvent> = events.iter().collect();
    dialects
        .iter()
        .map(|&dialect| {
            let frames = event_frames(wire, &events, room_id, workspace, dialect)?;
            Ok((dialect, frames))
        })
        .collect()
}

/// The event frames of `events` (all of room `room_id`) in `dialect`: the
/// one place both live delivery and replay build them.
pub(crate) fn event_frames(
    wire: &dyn Wire,
    events: &[&RoomEvent],
    room_id: RoomId,
    workspace: WorkspaceId,
    dialect: Dialect,
) -> Result<Vec<ByteString>, ServiceError> {
    let data = wire.events_json(events, workspace, dialect)?;
    Ok(events
        .iter()
        .zip(data)
        .map(|(e, json)| {
            let topic = Topic {
                room_id,
                kind: e.payload.topic_kind(),
            };
            ByteString::from(protocol::event(&topic, e.payload.name(), e.seq, &json))
        })
        .collect())
}

/// The room an access change names, if it names one.
pub fn concerns(change: AccessChange, room: Room, workspace: WorkspaceId) -> bool {
    match change {
        AccessChange::User(_) => true,
        AccessChange::Room(id) => id == room.id(),
        AccessChange::Workspace(w) => w == workspace,
    }
}
