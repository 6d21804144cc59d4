//! Fan-out between nodes: the [`Notifier`] adapters.
//!
//! Every notifier delivers to this node's hub directly. With several nodes,
//! it also announces each committed event as `(room, seq)` — never the
//! message itself — on a Postgres `NOTIFY` channel or a Redis pub/sub
//! channel; other nodes read the events from the log. That keeps broker
//! payloads tiny, lets one announcement cover many events of a room, and
//! means a lost announcement costs latency, never an event: the next one, the
//! resync after a reconnect, or the hub's periodic sweep reads the log.
//!
//! A moved read marker is the exception: it is not logged, so its
//! announcement carries the read state itself (a handful of numbers). One
//! lost in transit leaves another node's devices a step behind until the
//! next move or their next read of the summary.

use std::collections::HashMap;
use std::time::Duration;

use concord_domain::{
    ChannelId, ConversationId, MessageId, Room, RoomEvent, RoomId, Seq, UserId, WorkspaceId,
};
use concord_ports::{AccessChange, Notifier, RoomUnread};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::Broker;
use super::hub::Hub;

/// The channel every node listens on, in Postgres and in Redis.
pub const CHANNEL: &str = "concord_realtime";

/// What the application does when another node reports an access change,
/// before this node's connections re-check their subscriptions: forget
/// whatever it remembered that the change may have ended.
pub type OnAccessChange = Box<dyn Fn(AccessChange) + Send + Sync>;

/// Postgres refuses `NOTIFY` payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// One node's notifier: its own hub always, other nodes through `outbox`
/// when there is a broker.
pub struct HubNotifier {
    hub: Hub,
    outbox: Option<mpsc::UnboundedSender<Signal>>,
}

impl HubNotifier {
    /// A single node: events go to this node's hub and nowhere else.
    pub fn local(hub: Hub) -> Self {
        Self { hub, outbox: None }
    }

    pub(crate) fn brokered(hub: Hub, outbox: mpsc::UnboundedSender<Signal>) -> Self {
        Self {
            hub,
            outbox: Some(outbox),
        }
    }
}

impl Notifier for HubNotifier {
    fn publish(&self, event: &RoomEvent) {
        self.hub.publish(event);
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(Signal::Event {
                room_id: event.room(),
                seq: event.seq,
            });
        }
    }

    fn access_changed(&self, change: AccessChange) {
        self.hub.access_changed(change);
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(Signal::Access(change));
        }
    }

    fn read_updated(&self, user: UserId, state: &RoomUnread) {
        self.hub.read_updated(user, state);
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(Signal::Read {
                user,
                state: *state,
            });
        }
    }
}

/// What nodes tell each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    Event { room_id: RoomId, seq: Seq },
    Access(AccessChange),
    Read { user: UserId, state: RoomUnread },
}

/// Encodes `signals` as payloads of at most [`MAX_PAYLOAD`] bytes:
/// `node|e:room:seq,u:user,r:room,w:workspace,gu:user,gw:workspace,m:user:c|v:room:read:last:unread:mentions`
/// (`c` a channel, `v` a conversation; a missing id is 0). Only the highest
/// `seq` per room matters to a receiver, so events of one room collapse
/// into one; read updates keep their order.
pub(crate) fn encode(node: &str, signals: Vec<Signal>) -> Vec<String> {
    let mut latest: HashMap<RoomId, Seq> = HashMap::new();
    let mut parts = Vec::new();
    for signal in signals {
        match signal {
            Signal::Event { room_id, seq } => {
                let top = latest.entry(room_id).or_insert(seq);
                *top = (*top).max(seq);
            }
            Signal::Access(AccessChange::User(u)) => parts.push(format!("u:{}", u.get())),
            Signal::Access(AccessChange::Room(r)) => parts.push(format!("r:{r}")),
            Signal::Access(AccessChange::Workspace(w)) => parts.push(format!("w:{}", w.get())),
            Signal::Access(AccessChange::UserGained(u)) => parts.push(format!("gu:{}", u.get())),
            Signal::Access(AccessChange::WorkspaceGained(w)) => {
                parts.push(format!("gw:{}", w.get()));
            }
            Signal::Read { user, state } => parts.push(encode_read(user, &state)),
        }
    }
    parts.extend(
        latest
            .into_iter()
            .map(|(room, seq)| format!("e:{room}:{seq}")),
    );
    parts.dedup();
    let mut payloads = Vec::new();
    let mut current = format!("{node}|");
    for part in parts {
        if current.len() + part.len() + 1 > MAX_PAYLOAD {
            payloads.push(std::mem::replace(&mut current, format!("{node}|")));
        }
        if !current.ends_with('|') {
            current.push(',');
        }
        current.push_str(&part);
    }
    if !current.ends_with('|') {
        payloads.push(current);
    }
    payloads
}

fn encode_read(user: UserId, state: &RoomUnread) -> String {
    let (kind, room) = match state.room {
        Room::Channel(id) => ('c', id.get()),
        Room::Conversation(id) => ('v', id.get()),
    };
    let id = |m: Option<MessageId>| m.map_or(0, MessageId::get);
    format!(
        "m:{}:{kind}:{room}:{}:{}:{}:{}",
        user.get(),
        id(state.last_read_id),
        id(state.last_message_id),
        state.unread,
        state.mentions
    )
}

/// The fields of a read update after its tag; `None` if any is malformed.
fn decode_read<'a>(mut fields: impl Iterator<Item = &'a str>) -> Option<Signal> {
    let user = UserId::new(fields.next()?.parse().ok()?);
    let kind = fields.next()?;
    let room: i64 = fields.next()?.parse().ok()?;
    let room = match kind {
        "c" => Room::Channel(ChannelId::new(room)),
        "v" => Room::Conversation(ConversationId::new(room)),
        _ => return None,
    };
    let mut id = || -> Option<Option<MessageId>> {
        let id: i64 = fields.next()?.parse().ok()?;
        Some((id > 0).then(|| MessageId::new(id)))
    };
    let (last_read_id, last_message_id) = (id()?, id()?);
    let unread = fields.next()?.parse().ok()?;
    let mentions = fields.next()?.parse().ok()?;
    fields.next().is_none().then_some(Signal::Read {
        user,
        state: RoomUnread {
            room,
            last_read_id,
            last_message_id,
            unread,
            mentions,
        },
    })
}

/// Decodes a payload from another node; `None` for this node's own (already
/// delivered locally). Malformed parts are skipped: a broker is shared
/// infrastructure and must not be able to crash a node.
pub(crate) fn decode<'a>(
    node: &str,
    payload: &'a str,
) -> Option<impl Iterator<Item = Signal> + 'a> {
    let (from, body) = payload.split_once('|')?;
    if from == node {
        return None;
    }
    Some(body.split(',').filter_map(|part| {
        let mut fields = part.split(':');
        let tag = fields.next()?;
        if tag == "m" {
            return decode_read(fields);
        }
        let a: i64 = fields.next()?.parse().ok()?;
        let signal = match (tag, fields.next()) {
            ("e", Some(seq)) => Signal::Event {
                room_id: RoomId::new(a),
                seq: Seq::new(seq.parse().ok()?),
            },
            ("u", None) => Signal::Access(AccessChange::User(UserId::new(a))),
            ("r", None) => Signal::Access(AccessChange::Room(RoomId::new(a))),
            ("w", None) => Signal::Access(AccessChange::Workspace(WorkspaceId::new(a))),
            ("gu", None) => Signal::Access(AccessChange::UserGained(UserId::new(a))),
            ("gw", None) => Signal::Access(AccessChange::WorkspaceGained(WorkspaceId::new(a))),
            _ => return None,
        };
        fields.next().is_none().then_some(signal)
    }))
}

/// This node as its broker connection sees it: its hub, its id on the
/// broker, and what the application does about other nodes' access changes.
struct ThisNode {
    hub: Hub,
    id: String,
    elsewhere: OnAccessChange,
}

impl ThisNode {
    /// Delivers what another node announced.
    fn apply(&self, payload: &str) {
        let Some(signals) = decode(&self.id, payload) else {
            return;
        };
        metrics::counter!("concord_broker_announcements_received_total").increment(1);
        for signal in signals {
            match signal {
                Signal::Event { room_id, seq } => self.hub.notice(room_id, seq),
                Signal::Access(change) => {
                    (self.elsewhere)(change);
                    self.hub.access_changed(change);
                }
                Signal::Read { user, state } => self.hub.read_updated(user, &state),
            }
        }
    }
}

/// How long signals gather before they are announced. The group commit
/// publishes a batch's events one at a time, and announcing on the first
/// would send a `NOTIFY` (a Postgres transaction of its own) for every few
/// events, most of them about the same room, whose highest `seq` is all
/// another node reads.
const LINGER: Duration = Duration::from_millis(2);

/// `first` and whatever is queued [`LINGER`] later, as one batch. Called
/// after `first` is taken, never raced: a dropped batch would be lost.
async fn gather(first: Signal, outbox: &mut mpsc::UnboundedReceiver<Signal>) -> Vec<Signal> {
    tokio::time::sleep(LINGER).await;
    let mut batch = vec![first];
    while let Ok(signal) = outbox.try_recv() {
        batch.push(signal);
    }
    batch
}

/// [`gather`], and when the batch's first signal was queued.
async fn gather_timed(
    first: Signal,
    outbox: &mut mpsc::UnboundedReceiver<Signal>,
) -> (Vec<Signal>, tokio::time::Instant) {
    let since = tokio::time::Instant::now();
    (gather(first, outbox).await, since)
}

/// One payload sent to the broker, `since` its first signal was taken:
/// how far announcements lag behind the commits they report.
fn announced(since: tokio::time::Instant) {
    metrics::counter!("concord_broker_announcements_sent_total").increment(1);
    metrics::histogram!("concord_broker_announce_lag_seconds")
        .record(since.elapsed().as_secs_f64());
}

/// Reconnect delays: quick at first, never hammering a broker that is down.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Self(Duration::from_millis(100))
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
    }
}

/// How a broker connection ended.
enum Ended {
    /// The notifier is gone: the node is shutting down.
    Closed,
    Lost(String),
    /// The broker can never be reached as configured.
    Unusable(String),
}

/// Listens and publishes on `broker` (Postgres `LISTEN/NOTIFY` or Redis
/// pub/sub) until the node stops, reconnecting as needed; every
/// (re)connection resyncs the hub from the log.
pub(crate) async fn run(
    broker: Broker,
    hub: Hub,
    node: String,
    mut outbox: mpsc::UnboundedReceiver<Signal>,
    elsewhere: OnAccessChange,
) {
    let node = ThisNode {
        hub,
        id: node,
        elsewhere,
    };
    let mut backoff = Backoff::new();
    loop {
        let (name, ended) = match &broker {
            // A single node has nobody to talk to.
            Broker::Local => return,
            Broker::Postgres { url } => (
                "Postgres",
                postgres_session(url, &node, &mut outbox, &mut backoff).await,
            ),
            Broker::Redis { url } => (
                "Redis",
                redis_session(url, &node, &mut outbox, &mut backoff).await,
            ),
        };
        match ended {
            Ended::Closed => return,
            // Retrying cannot help; the hub's sweep still brings other
            // nodes' events, a second late.
            Ended::Unusable(why) => {
                tracing::error!(
                    "realtime: the {name} broker cannot connect: {why}. Other nodes' events arrive only \
                     through the once-a-second sweep, and their logouts and kicks only when remembered \
                     grants expire. Use broker = \"redis\", or a database URL without TLS or \
                     libpq-only options; a single node needs broker = \"local\"."
                );
                return;
            }
            Ended::Lost(e) => {
                metrics::counter!("concord_broker_reconnects_total").increment(1);
                tracing::warn!(error = %e, "realtime: {name} broker connection lost; reconnecting")
            }
        }
        backoff.wait().await;
    }
}

/// One Postgres connection: listens and publishes until it is lost or the
/// node stops.
async fn postgres_session(
    url: &str,
    node: &ThisNode,
    outbox: &mut mpsc::UnboundedReceiver<Signal>,
    backoff: &mut Backoff,
) -> Ended {
    let config = match crate::postgres::plain_config(url) {
        Ok(config) => config,
        Err(why) => return Ended::Unusable(why),
    };
    let (client, mut connection) = match config.connect(tokio_postgres::NoTls).await {
        Ok(pair) => pair,
        Err(e) => return Ended::Lost(e.to_string()),
    };
    // The connection object does the I/O, notifications included; it must be
    // polled while the client runs queries, hence its own task.
    let (notes, mut received) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message
                && notes.send(n.payload().to_owned()).is_err()
            {
                return;
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        return Ended::Lost(e.to_string());
    }
    *backoff = Backoff::new();
    // Whatever was announced while this node was not listening is in the log.
    node.hub.resync_all();
    loop {
        tokio::select! {
            payload = received.recv() => match payload {
                Some(payload) => node.apply(&payload),
                None => return Ended::Lost("notification stream ended".into()),
            },
            signal = outbox.recv() => {
                let Some(first) = signal else { return Ended::Closed };
                let (signals, lag) = gather_timed(first, outbox).await;
                for payload in encode(&node.id, signals) {
                    if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await {
                        return Ended::Lost(e.to_string());
                    }
                    announced(lag);
                }
            }
        }
    }
}

/// The same over Redis pub/sub.
async fn redis_session(
    url: &str,
    node: &ThisNode,
    outbox: &mut mpsc::UnboundedReceiver<Signal>,
    backoff: &mut Backoff,
) -> Ended {
    let lost = |e: redis::RedisError| Ended::Lost(e.to_string());
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(e) => return lost(e),
    };
    let mut pubsub = match client.get_async_pubsub().await {
        Ok(pubsub) => pubsub,
        Err(e) => return lost(e),
    };
    if let Err(e) = pubsub.subscribe(CHANNEL).await {
        return lost(e);
    }
    let mut publisher = match client.get_multiplexed_async_connection().await {
        Ok(conn) => conn,
        Err(e) => return lost(e),
    };
    *backoff = Backoff::new();
    node.hub.resync_all();
    let mut messages = pubsub.on_message();
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => {
                    if let Ok(payload) = message.get_payload::<String>() {
                        node.apply(&payload);
                    }
                }
                None => return Ended::Lost("subscription closed".into()),
            },
            signal = outbox.recv() => {
                let Some(first) = signal else { return Ended::Closed };
                let (signals, lag) = gather_timed(first, outbox).await;
                for payload in encode(&node.id, signals) {
                    let sent: Result<i64, _> = redis::cmd("PUBLISH")
                        .arg(CHANNEL)
                        .arg(payload)
                        .query_async(&mut publisher)
                        .await;
                    if let Err(e) = sent {
                        return lost(e);
                    }
                    announced(lag);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(room: i64, seq: i64) -> Signal {
        Signal::Event {
            room_id: RoomId::new(room),
            seq: Seq::new(seq),
        }
    }

    fn all(node: &str, payloads: &[String]) -> Vec<Signal> {
        payloads
            .iter()
            .flat_map(|p| decode(node, p).unwrap().collect::<Vec<_>>())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_gathers_the_signals_that_arrive_while_it_lingers() {
        let event = |seq| event(1, seq);
        let (outbox, mut queued) = mpsc::unbounded_channel();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(LINGER / 2).await;
            outbox.send(event(2)).unwrap();
            tokio::time::sleep(LINGER).await;
            outbox.send(event(3)).unwrap();
        });
        assert_eq!(gather(event(1), &mut queued).await, [event(1), event(2)]);
        sender.await.unwrap();
        assert_eq!(queued.recv().await, Some(event(3)));
    }

    #[test]
    fn events_of_one_room_collapse_to_the_highest_seq() {
        let payloads = encode(
            "a",
            vec![
                event(1, 4),
                event(1, 6),
                event(1, 5),
                Signal::Access(AccessChange::User(UserId::new(9))),
            ],
        );
        let mut got = all("b", &payloads);
        got.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(
            got,
            vec![
                Signal::Access(AccessChange::User(UserId::new(9))),
                event(1, 6),
            ]
        );
    }

    #[test]
    fn access_changes_cross_nodes_in_order_gains_included() {
        let sent: Vec<Signal> = [
            AccessChange::UserGained(UserId::new(7)),
            AccessChange::User(UserId::new(7)),
            AccessChange::WorkspaceGained(WorkspaceId::new(3)),
            AccessChange::Room(RoomId::new(4)),
            AccessChange::Workspace(WorkspaceId::new(3)),
        ]
        .into_iter()
        .map(Signal::Access)
        .collect();
        assert_eq!(all("b", &encode("a", sent.clone())), sent);
    }

    #[test]
    fn read_updates_cross_nodes_whole_and_in_order() {
        let read = |room: Room, last_read: Option<i64>, unread| Signal::Read {
            user: UserId::new(7),
            state: RoomUnread {
                room,
                last_read_id: last_read.map(MessageId::new),
                last_message_id: Some(MessageId::new(90)),
                unread,
                mentions: 2,
            },
        };
        let sent = vec![
            read(Room::Channel(ChannelId::new(3)), Some(80), 10),
            read(Room::Conversation(ConversationId::new(4)), None, 0),
            read(Room::Channel(ChannelId::new(3)), Some(85), 5),
        ];
        assert_eq!(all("b", &encode("a", sent.clone())), sent);
    }

    #[test]
    fn malformed_read_updates_are_skipped() {
        let got: Vec<Signal> = decode(
            "me",
            "x|m:1:c:2:3:4:5:6,m:1:x:2:3:4:5:6,m:1:c:2:3:4:5,m:1:c:2:3:4:5:6:7,m:a:c:2:3:4:5:6",
        )
        .unwrap()
        .collect();
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn a_node_ignores_its_own_payloads() {
        let payloads = encode("a", vec![event(1, 1)]);
        assert!(decode("a", &payloads[0]).is_none());
        assert_eq!(all("b", &payloads).len(), 1);
    }

    #[test]
    fn large_batches_are_split_below_the_notify_limit() {
        let signals = (1..=2000).map(|room_id| event(room_id, 1)).collect();
        let payloads = encode("node", signals);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
        assert_eq!(all("other", &payloads).len(), 2000);
    }

    #[test]
    fn malformed_parts_are_skipped() {
        let got: Vec<Signal> = decode("me", "x|e:1:2,e:1,zz,e:a:b,w:3,r:4:5,u:")
            .unwrap()
            .collect();
        assert_eq!(
            got,
            vec![
                event(1, 2),
                Signal::Access(AccessChange::Workspace(WorkspaceId::new(3))),
            ]
        );
        assert!(decode("me", "no separator").is_none());
    }
}
