//! One room's feed: the only writer of that room's frames on this node, so
//! they leave in `seq` order.
//!
//! A feed delivers `seq` N only after N-1. An event published out of order
//! by a concurrent request waits [`HubConfig::gap_wait`] for its
//! predecessor, and any gap that does not close by itself (an announcement
//! from another node, a lost broker message) is filled by reading the room's
//! log. Each event is rendered once per dialect in use, and the same bytes go
//! to every subscriber of that dialect.
//!
//! [`HubConfig::gap_wait`]: super::HubConfig::gap_wait

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytestring::ByteString;
use concord_domain::{RoomEvent, Seq, Topic, TopicKind, WorkspaceId};
use concord_ports::{AccessChange, MAX_EVENTS_PER_READ, RoomInfo};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::hub::{Connection, Delivery, Dialect, Hub, Outbound, Renderer, Stop};

/// What a feed is told.
pub(super) enum RoomInput {
    /// A committed event, in full, from this node.
    Event(RoomEvent),
    /// Another node committed up to this `seq`.
    Notice(Seq),
    /// Read whatever the log holds beyond what was delivered.
    CatchUp,
    /// A connection joins; it is told the feed's position.
    Subscribe(Subscriber, oneshot::Sender<Seq>),
    Unsubscribe {
        conn: u64,
        kind: TopicKind,
    },
    /// Read access may have shrunk: every subscriber re-checks.
    Recheck(AccessChange),
}

/// A connection following one topic of the room.
pub(super) struct Subscriber {
    pub conn: Arc<Connection>,
    pub kind: TopicKind,
    pub dialect: Dialect,
}

/// One room's feed on this node; lives while someone here follows the room.
pub(super) struct Feed {
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
    /// The feed of `room`, starting at its latest `seq`, reading `inbox`.
    pub(super) fn new(hub: Hub, room: RoomInfo, inbox: mpsc::UnboundedReceiver<RoomInput>) -> Self {
        Self {
            hub,
            room,
            last_seq: room.last_seq,
            wanted: room.last_seq,
            pending: BTreeMap::new(),
            gap_since: None,
            subscribers: HashMap::new(),
            inbox,
        }
    }

    /// Delivers until nobody here follows the room any more.
    pub(super) async fn run(mut self) {
        loop {
            let input = match self.gap_since {
                Some(since) => {
                    let deadline = since + self.hub.gap_wait();
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
                if ack.send(through).is_ok()
                    && self
                        .subscribers
                        .insert((sub.conn.id(), sub.kind), sub)
                        .is_none()
                {
                    metrics::gauge!("concord_gateway_subscriptions").increment(1.0);
                }
            }
            RoomInput::Unsubscribe { conn, kind } => {
                if self.subscribers.remove(&(conn, kind)).is_some() {
                    metrics::gauge!("concord_gateway_subscriptions").decrement(1.0);
                }
            }
            RoomInput::Recheck(change) => {
                let mut told = HashSet::new();
                for s in self.subscribers.values() {
                    if told.insert(s.conn.id()) {
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
        loop {
            let (room, after) = (self.room.room.id(), self.last_seq);
            let read = {
                let log = Arc::clone(self.hub.log());
                tokio::task::spawn_blocking(move || {
                    log.events_after(room, after, MAX_EVENTS_PER_READ)
                })
                .await
            };
            let events = match read {
                Ok(Ok(events)) => events,
                Ok(Err(e)) => {
                    tracing::warn!(room = %room, error = %e, "realtime feed could not read the log; retrying");
                    self.gap_since = Some(Instant::now() + Duration::from_secs(1));
                    return;
                }
                Err(e) => {
                    tracing::error!(room = %room, error = %e, "realtime log read failed");
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
        let renderer = Arc::clone(self.hub.renderer());
        let workspace = self.room.workspace_id;
        let room_id = self.room.room.id();
        let rendered = if dialects.iter().any(|d| renderer.reads_store(*d)) {
            tokio::task::spawn_blocking(move || {
                let frames = render(&*renderer, &events, workspace, &dialects);
                (events, frames)
            })
            .await
        } else {
            let frames = render(&*renderer, &events, workspace, &dialects);
            Ok((events, frames))
        };
        let (events, frames) = match rendered {
            Ok((events, Ok(frames))) => (events, frames),
            Ok((_, Err(e))) => {
                // Subscribers cannot be given a hole: close them so they
                // resume from the log once the store answers again.
                tracing::error!(room = %room_id, error = %e, "could not render events; closing subscribers");
                for (_, s) in self.subscribers.drain() {
                    s.conn.stop(Stop::ResumeRequired);
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
            let (mut queued, mut dropped) = (0u64, 0u64);
            self.subscribers.retain(|_, s| {
                if s.kind != topic.kind {
                    return true;
                }
                let Some((_, delivery)) = deliveries.iter().find(|(d, _)| *d == s.dialect) else {
                    return true;
                };
                let kept = s.conn.offer(Outbound::Event(Arc::clone(delivery)));
                if kept {
                    queued += 1;
                } else {
                    dropped += 1;
                }
                kept
            });
            metrics::counter!("concord_gateway_events_delivered_total").increment(queued);
            if dropped > 0 {
                metrics::gauge!("concord_gateway_subscriptions").decrement(dropped as f64);
            }
        }
    }

    /// Removes this feed from the hub unless new input arrived meanwhile.
    fn retire(&mut self) -> bool {
        let mut rooms = self.hub.rooms();
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

/// `events` rendered once for each of `dialects`.
fn render(
    renderer: &dyn Renderer,
    events: &[RoomEvent],
    workspace: WorkspaceId,
    dialects: &[Dialect],
) -> anyhow::Result<Frames> {
    let events: Vec<&RoomEvent> = events.iter().collect();
    dialects
        .iter()
        .map(|&dialect| Ok((dialect, renderer.frames(&events, workspace, dialect)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::DateTime;
    use concord_domain::{ChannelId, Message, MessageId, Room, RoomEventKind, UserId};
    use concord_ports::{EventLog, RepoError};
    use tokio::sync::Notify;

    use super::*;
    use crate::realtime::hub::HubConfig;

    const ROOM: Room = Room::Channel(ChannelId::new(7));
    const WORKSPACE: WorkspaceId = WorkspaceId::new(1);
    const GAP_WAIT: Duration = Duration::from_millis(50);

    fn event(seq: i64) -> RoomEvent {
        RoomEvent {
            seq: Seq::new(seq),
            payload: RoomEventKind::MessageCreated(Message {
                id: MessageId::new(seq),
                room: ROOM,
                author_id: UserId::new(1),
                parent_id: None,
                content: format!("message {seq}"),
                attachment: None,
                created_at: DateTime::UNIX_EPOCH,
                edited_at: None,
                deleted_at: None,
                reactions: Vec::new(),
                pinned: false,
                mentions: Vec::new(),
            }),
        }
    }

    /// A room's log in memory that counts its reads. With a gate, each read
    /// says it started and then waits until the test lets it go on.
    #[derive(Default)]
    struct FakeLog {
        events: Mutex<Vec<RoomEvent>>,
        reads: AtomicUsize,
        gate: Option<(Arc<Notify>, Mutex<std::sync::mpsc::Receiver<()>>)>,
    }

    impl FakeLog {
        fn holding(seqs: impl IntoIterator<Item = i64>) -> Self {
            Self {
                events: Mutex::new(seqs.into_iter().map(event).collect()),
                ..Self::default()
            }
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl EventLog for FakeLog {
        fn events_after(
            &self,
            room: concord_domain::RoomId,
            after: Seq,
            limit: u32,
        ) -> Result<Vec<RoomEvent>, RepoError> {
            assert_eq!(room, ROOM.id());
            self.reads.fetch_add(1, Ordering::SeqCst);
            if let Some((started, proceed)) = &self.gate {
                started.notify_one();
                proceed.lock().unwrap().recv().unwrap();
            }
            let events = self.events.lock().unwrap();
            Ok(events
                .iter()
                .filter(|e| e.seq > after)
                .take(limit as usize)
                .cloned()
                .collect())
        }

        fn latest_seqs(
            &self,
            _rooms: &[concord_domain::RoomId],
        ) -> Result<Vec<(concord_domain::RoomId, Seq)>, RepoError> {
            unreachable!("these hubs do not sweep")
        }
    }

    /// Frames that are just the event's `seq`.
    struct SeqFrames;

    impl Renderer for SeqFrames {
        fn frames(
            &self,
            events: &[&RoomEvent],
            _workspace: WorkspaceId,
            _dialect: Dialect,
        ) -> anyhow::Result<Vec<ByteString>> {
            Ok(events.iter().map(|e| e.seq.to_string().into()).collect())
        }

        fn reads_store(&self, _dialect: Dialect) -> bool {
            false
        }

        fn read_frame(
            &self,
            topic: concord_domain::UserTopic,
            state: &concord_ports::RoomUnread,
            dialect: Dialect,
        ) -> anyhow::Result<ByteString> {
            Ok(format!("{topic} {} {dialect:?}", state.unread).into())
        }
    }

    fn hub(log: Arc<FakeLog>) -> Hub {
        let config = HubConfig {
            queue_capacity: 2000,
            gap_wait: GAP_WAIT,
            sweep_interval: None,
        };
        Hub::new(
            config,
            tokio::runtime::Handle::current(),
            log,
            Arc::new(SeqFrames),
        )
    }

    fn info() -> RoomInfo {
        RoomInfo {
            room: ROOM,
            workspace_id: WORKSPACE,
            last_seq: Seq::ZERO,
        }
    }

    fn topic() -> Topic {
        Topic {
            room_id: ROOM.id(),
            kind: TopicKind::Messages,
        }
    }

    /// A connection subscribed to the room's messages from its start.
    async fn follower(hub: &Hub) -> (Arc<Connection>, mpsc::Receiver<Outbound>) {
        let (conn, queue) = hub.connect();
        let position = hub.subscribe(info(), topic(), conn.clone()).await.unwrap();
        assert_eq!(position, Seq::ZERO);
        (conn, queue)
    }

    /// The `seq`s of the next `n` event frames in `queue`.
    async fn next(queue: &mut mpsc::Receiver<Outbound>, n: usize) -> Vec<i64> {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            match tokio::time::timeout(Duration::from_secs(5), queue.recv()).await {
                Ok(Some(Outbound::Event(delivery))) => {
                    assert_eq!(delivery.frame, delivery.seq.to_string());
                    seqs.push(delivery.seq.get());
                }
                Ok(Some(Outbound::Recheck(change))) => panic!("unexpected recheck {change:?}"),
                Ok(Some(Outbound::Personal(frame))) => panic!("unexpected {frame:?}"),
                Ok(None) | Err(_) => panic!("got only {seqs:?} of {n} events"),
            }
        }
        seqs
    }

    #[tokio::test]
    async fn a_read_update_reaches_only_its_users_connections_that_follow_their_topic() {
        let hub = hub(Arc::new(FakeLog::default()));
        let user = concord_domain::UserId::new(7);
        let connect = |who: i64, dialect| {
            let (conn, queue) = hub.connect();
            conn.identify(concord_domain::UserId::new(who), dialect);
            (conn, queue)
        };
        let (phone, mut phone_queue) = connect(7, Dialect::Workspace);
        let (laptop, mut laptop_queue) = connect(7, Dialect::Server);
        let (_idle, mut idle_queue) = connect(7, Dialect::Workspace);
        let (other, mut other_queue) = connect(8, Dialect::Workspace);
        for conn in [&phone, &laptop, &other] {
            hub.follow_user(conn);
        }
        let state = |unread| concord_ports::RoomUnread {
            room: ROOM,
            last_read_id: None,
            last_message_id: None,
            unread,
            mentions: 0,
        };
        let personal = |queue: &mut mpsc::Receiver<Outbound>| match queue.try_recv() {
            Ok(Outbound::Personal(frame)) => Some(frame.to_string()),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => None,
        };

        hub.read_updated(user, &state(3));
        assert_eq!(
            personal(&mut phone_queue).as_deref(),
            Some("user:7 3 Workspace")
        );
        assert_eq!(
            personal(&mut laptop_queue).as_deref(),
            Some("user:7 3 Server")
        );
        assert_eq!(personal(&mut idle_queue), None, "not following its topic");
        assert_eq!(
            personal(&mut other_queue),
            None,
            "another user's connection"
        );

        hub.unfollow_user(&laptop);
        hub.disconnect(&phone, []);
        hub.read_updated(user, &state(1));
        assert_eq!(personal(&mut phone_queue), None, "disconnected");
        assert_eq!(personal(&mut laptop_queue), None, "unfollowed");
    }

    #[tokio::test]
    async fn a_gain_reaches_only_connections_that_follow_all_readable_rooms() {
        use concord_domain::WorkspaceId;
        let hub = hub(Arc::new(FakeLog::default()));
        let connect = |who: i64, all: bool| {
            let (conn, queue) = hub.connect();
            conn.identify(UserId::new(who), Dialect::Server);
            if all {
                conn.follow_all_readable();
            }
            (conn, queue)
        };
        let (_sio, mut sio) = connect(7, true);
        let (_ws, mut ws) = connect(7, false);
        let (_other, mut other) = connect(8, true);
        let recheck = |queue: &mut mpsc::Receiver<Outbound>| match queue.try_recv() {
            Ok(Outbound::Recheck(change)) => Some(change),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => None,
        };

        let gained = AccessChange::UserGained(UserId::new(7));
        hub.access_changed(gained);
        assert_eq!(recheck(&mut sio), Some(gained));
        assert_eq!(recheck(&mut ws), None, "a /ws connection gains nothing");
        assert_eq!(recheck(&mut other), None, "another user's");

        let opened = AccessChange::WorkspaceGained(WorkspaceId::new(3));
        hub.access_changed(opened);
        assert_eq!(recheck(&mut sio), Some(opened));
        assert_eq!(recheck(&mut other), Some(opened));
        assert_eq!(recheck(&mut ws), None, "a /ws connection gains nothing");

        let lost = AccessChange::User(UserId::new(7));
        hub.access_changed(lost);
        assert_eq!(recheck(&mut sio), Some(lost));
        assert_eq!(recheck(&mut ws), Some(lost), "a loss reaches every kind");
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_ahead_of_its_predecessor_waits_for_it_and_both_go_out_in_order() {
        let log = Arc::new(FakeLog::default());
        let hub = hub(log.clone());
        let (_conn, mut queue) = follower(&hub).await;

        hub.publish(&event(2));
        tokio::time::sleep(GAP_WAIT / 2).await;
        assert!(queue.try_recv().is_err(), "2 went out before 1");
        hub.publish(&event(1));

        assert_eq!(next(&mut queue, 2).await, [1, 2]);
        assert_eq!(log.reads(), 0, "the gap closed by itself");
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_that_does_not_close_is_read_from_the_log_after_the_gap_wait() {
        let log = Arc::new(FakeLog::holding(1..=2));
        let hub = hub(log.clone());
        let (_conn, mut queue) = follower(&hub).await;

        let published = Instant::now();
        hub.publish(&event(2));
        tokio::time::sleep(GAP_WAIT - Duration::from_millis(1)).await;
        assert!(queue.try_recv().is_err(), "2 went out before 1");
        assert_eq!(log.reads(), 0, "read the log before the gap wait ran out");

        assert_eq!(next(&mut queue, 2).await, [1, 2]);
        assert!(published.elapsed() >= GAP_WAIT);
        assert_eq!(log.reads(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn announced_events_are_caught_up_from_the_log_at_once_page_by_page() {
        let last = 2 * MAX_EVENTS_PER_READ as i64 + 7;
        let log = Arc::new(FakeLog::holding(1..=last));
        let hub = hub(log.clone());
        let (_conn, mut queue) = follower(&hub).await;

        let announced = Instant::now();
        hub.notice(ROOM.id(), Seq::new(last));

        assert_eq!(
            next(&mut queue, last as usize).await,
            (1..=last).collect::<Vec<_>>()
        );
        assert!(announced.elapsed() < GAP_WAIT, "waited for a gap to close");
        assert_eq!(log.reads(), 3, "read until a page came back short");

        log.events.lock().unwrap().push(event(last + 1));
        hub.resync_all();
        assert_eq!(next(&mut queue, 1).await, [last + 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_feed_retiring_as_a_subscriber_and_an_event_arrive_loses_neither() {
        let started = Arc::new(Notify::new());
        let (proceed, held) = std::sync::mpsc::channel();
        let log = Arc::new(FakeLog {
            gate: Some((started.clone(), Mutex::new(held))),
            ..FakeLog::holding([1])
        });
        let hub = hub(log.clone());
        let (first, _first_queue) = follower(&hub).await;

        // The only subscriber leaves while the feed has the log to read: once
        // the read is done, the feed has nobody to serve and retires.
        hub.unsubscribe(&first, topic());
        hub.notice(ROOM.id(), Seq::new(1));
        started.notified().await;
        // Meanwhile a newcomer joins the feed, which is still the room's,
        // and the next event is published to it.
        let (second, mut queue) = hub.connect();
        let joined = hub.subscribe(info(), topic(), second.clone());
        hub.publish(&event(2));
        proceed.send(()).unwrap();

        assert_eq!(
            joined.await.unwrap(),
            Seq::new(1),
            "the newcomer was dropped"
        );
        assert_eq!(next(&mut queue, 1).await, [2], "the event was dropped");
        hub.publish(&event(3));
        assert_eq!(
            next(&mut queue, 1).await,
            [3],
            "the feed retired under the newcomer"
        );
        assert_eq!(log.reads(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_feed_nobody_follows_leaves_the_hub() {
        let hub = hub(Arc::new(FakeLog::default()));
        let (conn, _queue) = follower(&hub).await;
        assert_eq!(hub.rooms().len(), 1);

        hub.unsubscribe(&conn, topic());
        tokio::time::sleep(Duration::from_millis(1)).await;

        assert!(hub.rooms().is_empty());
        let (_again, mut queue) = follower(&hub).await;
        hub.publish(&event(1));
        assert_eq!(next(&mut queue, 1).await, [1]);
    }
}
