//! The realtime gateway client (API.md section 5): open a socket, identify,
//! subscribe to one topic, then listen: keep the heartbeat, count deliveries,
//! check that `seq` is gapless, and time each delivery against the instant
//! its post was sent.
//!
//! [`Crowd`] runs many such sockets at once, one task each, the way
//! `fanout`, `burst`, `idle` and `connect` need them; a crowd of
//! Socket.IO sockets (`sio-fanout`) uses the client in `sio.rs` instead.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval_at, timeout};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use crate::api::bench_number;
use crate::http::Target;
use crate::sio;
use crate::stats::Latencies;

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long opening one socket (upgrade, identify, subscribe) may take.
pub(crate) const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a socket waits for the server's answer to its close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Bytes a socket reads at a time. tungstenite's default, 128 KiB, is
/// zero-filled before every read: with a thousand sockets each reading one
/// small frame at a time, that memset was a quarter of the generator's CPU,
/// taken from the cores it shares with the server. Server frames here are a
/// few hundred bytes; a larger one just takes more than one read.
const READ_BUFFER_BYTES: usize = 4096;

/// How the generator's sockets are set up: every frame is written as it is
/// sent (the generator flushes each one anyway), and reads are small.
pub(crate) fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// Which realtime endpoint a crowd's sockets speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Concord's gateway at `/ws` (API.md section 5).
    Gateway,
    /// Socket.IO over WebSocket at `/api/socket/io` (API.md section 6).
    SocketIo,
}

impl Protocol {
    /// The figure that judges the order of each subscriber's deliveries:
    /// `/ws` numbers a room's events, Socket.IO does not, so its order is
    /// read from the posts' own numbers.
    pub fn order_figure(self) -> &'static str {
        match self {
            Self::Gateway => "seq gaps or repeats",
            Self::SocketIo => "deliveries repeated or out of order",
        }
    }
}

/// The topic a channel's new messages are published on (and the name of
/// the Socket.IO event that carries them).
pub fn topic(channel: i64) -> String {
    format!("chat:{channel}:messages")
}

/// A server frame, reduced to the fields the benchmark reads. Strings are
/// borrowed from the frame where possible: `burst` parses millions of these
/// on cores it shares with the server.
#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    heartbeat_interval_ms: Option<u64>,
    #[serde(rename = "statusCode", default)]
    status_code: Option<u16>,
    #[serde(borrow, default)]
    data: Option<EventData<'a>>,
}

/// The part of an event's message the benchmark reads.
#[derive(Debug, Deserialize)]
pub(crate) struct EventData<'a> {
    #[serde(borrow, default)]
    pub content: Option<Cow<'a, str>>,
}

/// An identified socket, subscribed to at most one topic.
pub struct Session {
    socket: Socket,
    heartbeat: Duration,
    /// The subscribed topic and the `seq` the server said it was at.
    subscription: Option<(String, u64)>,
}

impl Session {
    /// Upgrades, identifies with `token` and, given a topic, subscribes to it.
    pub async fn open(target: &Target, token: &str, topic: Option<&str>) -> anyhow::Result<Self> {
        timeout(OPEN_TIMEOUT, Self::open_now(target, token, topic))
            .await
            .context("timed out opening a gateway session")?
    }

    async fn open_now(target: &Target, token: &str, topic: Option<&str>) -> anyhow::Result<Self> {
        // The last argument disables Nagle: frames are small and we time them.
        let config = socket_config();
        let (mut socket, _) = connect_async_with_config(target.ws_url(), Some(config), true)
            .await
            .context("WebSocket upgrade at /ws")?;
        let hello = await_op(&mut socket, "hello").await?;
        let heartbeat = hello
            .heartbeat_interval_ms
            .context("hello without heartbeat_interval_ms")?;
        let identify = json!({ "op": "identify", "token": token, "dialect": "workspace" });
        socket.send(Message::text(identify.to_string())).await?;
        await_op(&mut socket, "ready").await?;
        let mut subscription = None;
        if let Some(topic) = topic {
            let subscribe = json!({ "op": "subscribe", "topics": [topic] });
            socket.send(Message::text(subscribe.to_string())).await?;
            let subscribed = await_op(&mut socket, "subscribed").await?;
            if subscribed.topic.as_deref() != Some(topic) {
                bail!("subscribed to {:?}, asked for {topic}", subscribed.topic);
            }
            let seq = subscribed.seq.context("subscribed without seq")?;
            subscription = Some((topic.to_owned(), seq));
        }
        Ok(Self {
            socket,
            heartbeat: Duration::from_millis(heartbeat),
            subscription,
        })
    }

    /// Listens until `stop`, then closes. The first ping goes out after
    /// `phase` (0..1) of the ping period, so that thousands of sockets opened
    /// together do not all ping in the same millisecond.
    pub async fn listen(
        mut self,
        phase: f64,
        sends: Option<Arc<SendLog>>,
        progress: Arc<AtomicU64>,
        mut stop: watch::Receiver<bool>,
    ) -> Tally {
        let mut tally = Tally::default();
        let (topic, mut next_seq) = match self.subscription.take() {
            Some((topic, seq)) => (topic, seq + 1),
            None => (String::new(), 1),
        };
        // Half the interval: the server closes a socket after two silent
        // intervals, and a busy runtime may run a tick late.
        let period = (self.heartbeat / 2).max(Duration::from_millis(100));
        let mut ping = interval_at(Instant::now() + period.mul_f64(phase.fract()), period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let ping_frame = r#"{"op":"ping"}"#;
        while !*stop.borrow() {
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                frame = self.socket.next() => match Read::from(frame) {
                    Read::Text(text) => {
                        let at = Instant::now();
                        tally.on_text(&text, at, &topic, &mut next_seq, sends.as_deref(), &progress);
                    }
                    Read::Other => {}
                    Read::Ended(why) => {
                        tally.closed = Some(why);
                        return tally;
                    }
                },
                _ = ping.tick() => {
                    if let Err(e) = self.socket.send(Message::text(ping_frame)).await {
                        tally.closed = Some(format!("ping failed: {e}"));
                        return tally;
                    }
                }
            }
        }
        self.close().await;
        tally
    }

    /// Closes with a close frame and waits for the server's side, so the
    /// server closes the TCP connection first and keeps the TIME_WAIT entry:
    /// a run opens tens of thousands of sockets and the generator's
    /// ephemeral ports must not run out.
    pub async fn close(self) {
        close_socket(self.socket).await;
    }
}

/// What a listening socket read next.
pub(crate) enum Read {
    Text(Utf8Bytes),
    /// A ping, a pong or a binary frame: nothing a listener reads.
    Other,
    /// The socket ended, and why, before the listener was told to stop.
    Ended(String),
}

impl From<Option<Result<Message, WsError>>> for Read {
    fn from(frame: Option<Result<Message, WsError>>) -> Self {
        match frame {
            Some(Ok(Message::Text(text))) => Self::Text(text),
            Some(Ok(Message::Close(close))) => Self::Ended(format!("closed by server: {close:?}")),
            Some(Ok(_)) => Self::Other,
            Some(Err(e)) => Self::Ended(format!("socket error: {e}")),
            None => Self::Ended("socket ended".to_owned()),
        }
    }
}

/// Closes with a close frame and waits (a while) for the server's side.
pub(crate) async fn close_socket(mut socket: Socket) {
    let closing = async {
        if socket.close(None).await.is_ok() {
            while let Some(Ok(_)) = socket.next().await {}
        }
    };
    let _timed_out = timeout(CLOSE_TIMEOUT, closing).await;
}

/// Reads frames until one with `op`, skipping others (pongs, for instance).
async fn await_op(socket: &mut Socket, op: &str) -> anyhow::Result<OwnedFrame> {
    loop {
        let message = socket
            .next()
            .await
            .with_context(|| format!("socket ended waiting for {op}"))??;
        let text = match message {
            Message::Text(text) => text,
            Message::Close(close) => bail!("closed waiting for {op}: {close:?}"),
            _ => continue,
        };
        let frame: Frame<'_> =
            serde_json::from_str(&text).with_context(|| format!("bad frame {text}"))?;
        if frame.op == op {
            return Ok(OwnedFrame::from(frame));
        }
        if frame.op == "error" {
            let status = frame
                .status_code
                .map_or_else(String::new, |s| format!(" {s}"));
            bail!("error{status} waiting for {op}: {text}");
        }
    }
}

/// The fields of a handshake frame, owned.
struct OwnedFrame {
    topic: Option<String>,
    seq: Option<u64>,
    heartbeat_interval_ms: Option<u64>,
}

impl From<Frame<'_>> for OwnedFrame {
    fn from(f: Frame<'_>) -> Self {
        Self {
            topic: f.topic.map(Cow::into_owned),
            seq: f.seq,
            heartbeat_interval_ms: f.heartbeat_interval_ms,
        }
    }
}

/// When each numbered post was sent, shared by the poster and every
/// subscriber. Lock-free: one atomic per post, written once.
pub struct SendLog {
    epoch: Instant,
    /// Nanoseconds since `epoch`, plus one; zero means not sent (yet).
    sent: Vec<AtomicU64>,
}

impl SendLog {
    pub fn new(posts: usize) -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            sent: (0..posts).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// Records that post `n` is being sent now.
    pub fn mark(&self, n: u64) {
        if let Some(slot) = usize::try_from(n).ok().and_then(|i| self.sent.get(i)) {
            let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
            slot.store(nanos + 1, Ordering::Release);
        }
    }

    /// Time from post `n`'s send to `at`.
    fn since_sent(&self, n: u64, at: Instant) -> Option<Duration> {
        let slot = self.sent.get(usize::try_from(n).ok()?)?;
        let nanos = slot.load(Ordering::Acquire).checked_sub(1)?;
        let sent = self.epoch + Duration::from_nanos(nanos);
        Some(at.saturating_duration_since(sent))
    }
}

/// What one subscriber saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// `message.created` events on the subscribed topic.
    pub delivered: u64,
    /// Post→delivery latency of each delivery whose send was logged.
    pub latencies: Latencies,
    /// Events out of order: on `/ws`, whose `seq` was not the previous one
    /// plus one; on Socket.IO, whose post was not later than the previous.
    pub seq_errors: u64,
    pub first_seq_error: Option<String>,
    /// Frames that did not parse, or events on a topic we did not subscribe to.
    pub bad_frames: u64,
    /// Why the socket ended before it was told to stop, if it did.
    pub closed: Option<String>,
}

impl Tally {
    fn on_text(
        &mut self,
        text: &str,
        at: Instant,
        topic: &str,
        next_seq: &mut u64,
        sends: Option<&SendLog>,
        progress: &AtomicU64,
    ) {
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(text) else {
            self.bad_frames += 1;
            return;
        };
        if frame.op != "event" {
            return; // pong, or an error frame for something we did not ask
        }
        if frame.topic.as_deref() != Some(topic) {
            self.bad_frames += 1;
            return;
        }
        match frame.seq {
            Some(seq) if seq == *next_seq => *next_seq = seq + 1,
            seq => {
                self.seq_errors += 1;
                if self.first_seq_error.is_none() {
                    self.first_seq_error = Some(format!("expected seq {next_seq}, got {seq:?}"));
                }
                if let Some(seq) = seq {
                    *next_seq = seq + 1;
                }
            }
        }
        if frame.kind.as_deref() != Some("message.created") {
            return;
        }
        self.count_delivery(frame.data.as_ref(), at, sends, progress);
    }

    /// Counts one delivery of a created message and times it against its
    /// post's send; returns the post's number.
    pub(crate) fn count_delivery(
        &mut self,
        data: Option<&EventData<'_>>,
        at: Instant,
        sends: Option<&SendLog>,
        progress: &AtomicU64,
    ) -> Option<u64> {
        self.delivered += 1;
        progress.fetch_add(1, Ordering::Relaxed);
        let n = data
            .and_then(|d| d.content.as_deref())
            .and_then(bench_number);
        if let Some(latency) = n.zip(sends).and_then(|(n, s)| s.since_sent(n, at)) {
            self.latencies.record(latency);
        }
        n
    }
}

/// A socket of either protocol, open.
enum Opened {
    Gateway(Session),
    SocketIo(sio::Session),
}

/// Many subscribed sockets, each listening in its own task.
pub struct Crowd {
    listeners: JoinSet<Tally>,
    stop: watch::Sender<bool>,
    delivered: Arc<AtomicU64>,
    /// Sockets that opened.
    pub opened: usize,
    /// Sockets that failed to open, and the first reason.
    pub failed: usize,
    pub first_failure: Option<String>,
    /// Time to open each socket (upgrade, identify, subscribe).
    pub open_latencies: Latencies,
}

/// What to open.
pub struct CrowdSpec<'a> {
    pub protocol: Protocol,
    pub target: &'a Target,
    pub tokens: &'a [String],
    /// What to subscribe to on `/ws`; on Socket.IO, which follows every
    /// room its user may read, the events that count as deliveries.
    pub topic: Option<String>,
    pub count: usize,
    /// Sockets being opened at once.
    pub concurrency: usize,
    pub sends: Option<Arc<SendLog>>,
}

impl Crowd {
    /// Opens `count` sockets, `concurrency` at a time, and returns once every
    /// one has opened or failed. Each socket starts listening (and pinging)
    /// as soon as it is open, however long the others take.
    pub async fn gather(spec: CrowdSpec<'_>) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let delivered = Arc::new(AtomicU64::new(0));
        let permits = Arc::new(Semaphore::new(spec.concurrency.max(1)));
        let (opened_tx, mut opened_rx) = mpsc::unbounded_channel();
        let tokens: Arc<[String]> = spec.tokens.into();
        let topic: Option<Arc<str>> = spec.topic.map(Into::into);
        let mut listeners = JoinSet::new();
        let protocol = spec.protocol;
        for i in 0..spec.count {
            let (target, tokens, topic) = (spec.target.clone(), tokens.clone(), topic.clone());
            let (permits, opened_tx) = (permits.clone(), opened_tx.clone());
            let (sends, delivered, stop_rx) =
                (spec.sends.clone(), delivered.clone(), stop_rx.clone());
            // Spread the sockets' pings evenly over the ping period.
            let phase = (i as f64 * 0.618_034).fract();
            listeners.spawn(async move {
                let Ok(permit) = permits.acquire_owned().await else {
                    return Tally::default();
                };
                let started = Instant::now();
                let token = &tokens[i % tokens.len()];
                let opened = match protocol {
                    Protocol::Gateway => Session::open(&target, token, topic.as_deref())
                        .await
                        .map(Opened::Gateway),
                    Protocol::SocketIo => sio::Session::open(&target, token)
                        .await
                        .map(Opened::SocketIo),
                };
                drop(permit);
                let report = match &opened {
                    Ok(_) => Ok(started.elapsed()),
                    Err(e) => Err(format!("{e:#}")),
                };
                // `gather` only hears about openings; it does not wait for
                // the listeners, which run until `disperse`.
                let _ = opened_tx.send(report);
                drop(opened_tx);
                match opened {
                    Ok(Opened::Gateway(session)) => {
                        session.listen(phase, sends, delivered, stop_rx).await
                    }
                    Ok(Opened::SocketIo(session)) => {
                        let counted = topic.as_deref().unwrap_or_default();
                        session.listen(counted, sends, delivered, stop_rx).await
                    }
                    Err(_) => Tally::default(),
                }
            });
        }
        drop(opened_tx);
        let mut crowd = Self {
            listeners,
            stop,
            delivered,
            opened: 0,
            failed: 0,
            first_failure: None,
            open_latencies: Latencies::with_capacity(spec.count),
        };
        for _ in 0..spec.count {
            let Some(result) = opened_rx.recv().await else {
                break; // every task has ended: only if the runtime shuts down
            };
            match result {
                Ok(took) => {
                    crowd.opened += 1;
                    crowd.open_latencies.record(took);
                }
                Err(e) => {
                    crowd.failed += 1;
                    crowd.first_failure.get_or_insert(e);
                }
            }
        }
        crowd
    }

    /// Deliveries counted so far, over every socket.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Waits until `total` deliveries have been counted; false on timeout.
    pub async fn wait_for(&self, total: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.delivered() < total {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }

    /// Stops every listener, closes the sockets and returns what each saw.
    pub async fn disperse(mut self) -> Vec<Tally> {
        let _ = self.stop.send(true);
        let mut tallies = Vec::with_capacity(self.opened);
        while let Some(done) = self.listeners.join_next().await {
            tallies.push(done.unwrap_or_else(|e| Tally {
                closed: Some(format!("listener task failed: {e}")),
                ..Tally::default()
            }));
        }
        tallies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(t: &mut Tally, next: &mut u64, text: &str, sends: Option<&SendLog>) {
        let progress = AtomicU64::new(0);
        t.on_text(
            text,
            Instant::now(),
            "chat:7:messages",
            next,
            sends,
            &progress,
        );
    }

    fn event(seq: u64, content: &str) -> String {
        json!({
            "op": "event", "topic": "chat:7:messages", "type": "message.created", "seq": seq,
            "data": { "id": 1, "content": content, "user_id": 2, "channel_id": 7 },
        })
        .to_string()
    }

    #[test]
    fn handshake_frames_parse() {
        let hello: Frame<'_> =
            serde_json::from_str(r#"{"op":"hello","heartbeat_interval_ms":30000}"#).unwrap();
        assert_eq!(hello.op, "hello");
        assert_eq!(hello.heartbeat_interval_ms, Some(30000));
        let sub: Frame<'_> =
            serde_json::from_str(r#"{"op":"subscribed","topic":"chat:7:messages","seq":41}"#)
                .unwrap();
        assert_eq!(OwnedFrame::from(sub).seq, Some(41));
        let err: Frame<'_> =
            serde_json::from_str(r#"{"op":"error","topic":"chat:7:messages","statusCode":403}"#)
                .unwrap();
        assert_eq!(err.status_code, Some(403));
    }

    #[test]
    fn events_in_order_are_counted_and_timed() {
        let sends = SendLog::new(10);
        sends.mark(3);
        sends.mark(4);
        let (mut t, mut next) = (Tally::default(), 42);
        feed(&mut t, &mut next, &event(42, "bench 3 xx"), Some(&sends));
        feed(
            &mut t,
            &mut next,
            &event(43, "bench 4 x\"y\\z"),
            Some(&sends),
        );
        assert_eq!((t.delivered, t.seq_errors, next), (2, 0, 44));
        assert_eq!(std::mem::take(&mut t.latencies).summary().count(), 2);
    }

    #[test]
    fn a_gap_or_a_repeat_in_seq_is_an_error() {
        let (mut t, mut next) = (Tally::default(), 1);
        feed(&mut t, &mut next, &event(1, "bench 0"), None);
        feed(&mut t, &mut next, &event(3, "bench 1"), None);
        feed(&mut t, &mut next, &event(3, "bench 2"), None);
        assert_eq!((t.delivered, t.seq_errors), (3, 2));
        assert_eq!(
            t.first_seq_error.as_deref(),
            Some("expected seq 2, got Some(3)")
        );
    }

    #[test]
    fn pongs_are_ignored_and_garbage_is_counted() {
        let (mut t, mut next) = (Tally::default(), 1);
        feed(&mut t, &mut next, r#"{"op":"pong"}"#, None);
        feed(&mut t, &mut next, "not json", None);
        let elsewhere =
            r#"{"op":"event","topic":"chat:8:messages","type":"message.created","seq":1}"#;
        feed(&mut t, &mut next, elsewhere, None);
        assert_eq!((t.delivered, t.bad_frames, next), (0, 2, 1));
    }
}
