//! The scenarios, one module each, and what they share: the run's context
//! ([`Bench`]) and the HTTP drivers behind `post`, `history` and `login`:
//! [`closed_loop`] and its paced twin [`open_loop`]. The read scenarios'
//! method, built on those two, is in [`reads`].

pub mod around;
pub mod baseline;
pub mod burst;
pub mod connect;
pub mod fanout;
pub mod history;
pub mod idle;
pub mod login;
pub mod post;
pub mod reactions;
pub mod reads;
pub mod search;
pub mod unread;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::bail;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

use crate::api::Fixture;
use crate::args::Args;
use crate::db::Db;
use crate::gateway::{Crowd, CrowdSpec, Protocol, SendLog, Tally, topic};
use crate::http::{Conn, Response, Target};
use crate::procfs::{CpuMeter, CpuUsed};
use crate::report::{Goal, Outcome};
use crate::stats::Latencies;

/// Everything a scenario needs.
pub struct Bench {
    pub args: Args,
    pub target: Target,
    pub fixture: Fixture,
    pub db: anyhow::Result<Db>,
    /// The deepest room seeded so far in this run (by `history`), which
    /// `around` reads instead of seeding one of its own when it is deep
    /// enough.
    pub deep_room: Mutex<Option<history::SeededRoom>>,
}

impl Bench {
    pub fn db(&self) -> anyhow::Result<&Db> {
        self.db
            .as_ref()
            .map_err(|e| anyhow::anyhow!("needs the database (--database-url): {e:#}"))
    }

    pub fn tokens(&self) -> Vec<String> {
        self.fixture.users.iter().map(|u| u.token.clone()).collect()
    }

    pub fn cpu_meter(&self) -> CpuMeter {
        CpuMeter::start(self.args.server_pid)
    }

    /// Keeps `room` for later scenarios if it is deeper than the one kept.
    pub fn remember_deep_room(&self, room: history::SeededRoom) {
        let mut kept = self
            .deep_room
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_none_or(|k| k.rows < room.rows) {
            *kept = Some(room);
        }
    }

    /// The deepest room seeded so far, if it holds at least `rows` messages.
    pub fn deep_room(&self, rows: u64) -> Option<history::SeededRoom> {
        self.deep_room
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(|room| room.rows >= rows)
    }
}

/// One client of a closed loop: it sends its next request as soon as the
/// previous one is answered.
pub trait Client: Send + 'static {
    /// Sends one request; an error is a failed request (transport failure,
    /// unexpected status or body).
    fn call(&mut self, conn: &mut Conn) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What a closed loop measured.
#[derive(Debug)]
pub struct LoopRun {
    /// Requests that began and ended inside the measured window.
    pub ok: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
    /// Successful requests over the whole run, warm-up included: what the
    /// database should hold afterwards.
    pub ok_total: u64,
    pub latencies: Latencies,
    pub cpu: CpuUsed,
    pub seconds: f64,
}

impl LoopRun {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

/// Runs `clients`, each on its own keep-alive connection, for `warmup` plus
/// `duration` seconds; only requests inside the last `duration` count.
pub async fn closed_loop<C: Client>(
    bench: &Bench,
    clients: Vec<C>,
    warmup: f64,
    duration: f64,
) -> anyhow::Result<LoopRun> {
    drive(bench, clients, None, warmup, duration).await
}

/// [`closed_loop`], except that the clients together send `rate` requests
/// a second on a fixed schedule, each client every `clients ÷ rate` seconds,
/// whatever the server's pace: latency at a given load, not at saturation.
/// A request the server held up past the next one's turn delays that one,
/// and the delay counts in its latency (it is timed from when it was due,
/// not from when it could be sent), so a slow server cannot hide its stalls
/// by slowing the schedule down.
pub async fn open_loop<C: Client>(
    bench: &Bench,
    clients: Vec<C>,
    rate: f64,
    warmup: f64,
    duration: f64,
) -> anyhow::Result<LoopRun> {
    drive(bench, clients, Some(rate), warmup, duration).await
}

async fn drive<C: Client>(
    bench: &Bench,
    clients: Vec<C>,
    rate: Option<f64>,
    warmup: f64,
    duration: f64,
) -> anyhow::Result<LoopRun> {
    // Every connection is open before the clock starts.
    let mut conns = Vec::with_capacity(clients.len());
    for _ in 0..clients.len() {
        conns.push(Conn::open(&bench.target).await?);
    }
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + Duration::from_secs_f64(warmup);
    let measure_to = measure_from + Duration::from_secs_f64(duration);
    let count = clients.len();
    let interval = rate.map(|rate| Duration::from_secs_f64(count as f64 / rate));
    let mut tasks = JoinSet::new();
    for (i, (mut client, mut conn)) in clients.into_iter().zip(conns).enumerate() {
        let target = bench.target.clone();
        tasks.spawn(async move {
            // Paced clients take turns evenly spread over one interval.
            let mut due =
                start + interval.map_or(Duration::ZERO, |every| every * i as u32 / count as u32);
            let mut held_up = false;
            let mut run = ClientRun::default();
            loop {
                sleep_until(due).await;
                let sent = Instant::now();
                // Timer slack is the generator's; a late answer is the server's.
                let began = if held_up { due } else { sent };
                if began >= measure_to {
                    break;
                }
                let result = client.call(&mut conn).await;
                let ended = Instant::now();
                let counted = began >= measure_from && ended <= measure_to;
                run.settle(result, counted, ended - began);
                if conn.is_closed() {
                    // The server closed the connection (or it broke): carry
                    // on with a new one, the way a real client would.
                    match Conn::open(&target).await {
                        Ok(fresh) => conn = fresh,
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
                match interval {
                    Some(every) => {
                        due += every;
                        held_up = ended > due;
                    }
                    None => due = ended,
                }
            }
            run
        });
    }
    sleep_until(measure_from).await;
    let meter = CpuMeter::start(bench.args.server_pid);
    sleep_until(measure_to).await;
    let cpu = meter.used();
    let mut total = LoopRun {
        ok: 0,
        failed: 0,
        first_failure: None,
        ok_total: 0,
        latencies: Latencies::default(),
        cpu,
        seconds: duration,
    };
    while let Some(run) = tasks.join_next().await {
        let run = run?;
        total.ok += run.ok;
        total.failed += run.failed;
        total.ok_total += run.ok_total;
        total.first_failure = total.first_failure.or(run.first_failure);
        total.latencies.merge(run.latencies);
    }
    Ok(total)
}

#[derive(Default)]
struct ClientRun {
    ok: u64,
    failed: u64,
    first_failure: Option<String>,
    ok_total: u64,
    latencies: Latencies,
}

impl ClientRun {
    fn settle(&mut self, result: anyhow::Result<()>, counted: bool, took: Duration) {
        match result {
            Ok(()) => {
                self.ok_total += 1;
                if counted {
                    self.ok += 1;
                    self.latencies.record(took);
                }
            }
            Err(e) => {
                if counted {
                    self.failed += 1;
                }
                self.first_failure.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
}

/// `args.subscribers` sockets of `protocol` subscribed to `channel`, each
/// timing the posts `sends` logs; an error when not one could open.
pub async fn subscribers(
    bench: &Bench,
    channel: i64,
    sends: &Arc<SendLog>,
    protocol: Protocol,
) -> anyhow::Result<Crowd> {
    let tokens = bench.tokens();
    let crowd = Crowd::gather(CrowdSpec {
        protocol,
        target: &bench.target,
        tokens: &tokens,
        topic: Some(topic(channel)),
        count: bench.args.subscribers,
        concurrency: bench.args.connect_concurrency,
        sends: Some(Arc::clone(sends)),
    })
    .await;
    if crowd.opened == 0 {
        let reason = crowd.first_failure.clone().unwrap_or_default();
        crowd.disperse().await;
        bail!("no subscriber could open: {reason}");
    }
    Ok(crowd)
}

/// Posts sent by a scenario's posters: answered 201, failed, and the first
/// failure's words.
#[derive(Debug, Default)]
pub struct PostTally {
    pub ok: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
}

impl PostTally {
    /// Counts one post's outcome.
    pub fn record(&mut self, sent: &anyhow::Result<Response>) {
        match sent {
            Ok(r) if r.status == 201 => self.ok += 1,
            Ok(r) => {
                self.failed += 1;
                self.first_failure
                    .get_or_insert_with(|| format!("{} {:?}", r.status, r.body));
            }
            Err(e) => {
                self.failed += 1;
                self.first_failure.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }

    /// Adds another poster's tally to this one.
    pub fn merge(&mut self, other: PostTally) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.first_failure = self.first_failure.take().or(other.first_failure);
    }
}

/// Every subscriber's post→delivery latencies, merged.
pub fn take_latencies(tallies: &mut [Tally]) -> Latencies {
    let mut all = Latencies::default();
    for t in tallies {
        all.merge(std::mem::take(&mut t.latencies));
    }
    all
}

/// Adds the correctness figures of a crowd of subscribers that should each
/// have received `expected_each` events: deliveries, their order (judged as
/// `protocol` allows), sockets lost.
pub fn judge_deliveries(
    outcome: &mut Outcome,
    tallies: &[Tally],
    subscribers: usize,
    expected_each: u64,
    protocol: Protocol,
) {
    let expected = expected_each * subscribers as u64;
    let delivered: u64 = tallies.iter().map(|t| t.delivered).sum();
    let short = tallies
        .iter()
        .filter(|t| t.delivered < expected_each)
        .count()
        // sockets that never opened received nothing
        + subscribers.saturating_sub(tallies.len());
    let seq_errors: u64 = tallies.iter().map(|t| t.seq_errors).sum();
    let bad_frames: u64 = tallies.iter().map(|t| t.bad_frames).sum();
    let closed: Vec<&str> = tallies.iter().filter_map(|t| t.closed.as_deref()).collect();
    let percent = if expected == 0 {
        f64::NAN
    } else {
        100.0 * delivered as f64 / expected as f64
    };
    outcome.figure("delivered", percent, "%", Goal::Exactly(100.0), None);
    outcome.figure(
        "subscribers missing events",
        short as f64,
        "",
        Goal::Exactly(0.0),
        None,
    );
    outcome.figure(
        protocol.order_figure(),
        seq_errors as f64,
        "",
        Goal::Exactly(0.0),
        None,
    );
    outcome.figure(
        "sockets closed by server",
        closed.len() as f64,
        "",
        Goal::Exactly(0.0),
        None,
    );
    outcome.detail("expected_deliveries", expected);
    outcome.detail("deliveries", delivered);
    outcome.detail("unparsed_or_foreign_frames", bad_frames);
    if let Some(first) = tallies.iter().find_map(|t| t.first_seq_error.as_deref()) {
        outcome.detail("first_seq_error", first);
    }
    if let Some(first) = closed.first() {
        outcome.detail("first_close_reason", first);
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use hyper::StatusCode;

    use super::*;

    fn answered(status: StatusCode) -> anyhow::Result<Response> {
        Ok(Response {
            status,
            body: Bytes::from_static(b"{}"),
        })
    }

    #[test]
    fn only_201s_count_and_the_first_failure_is_kept_across_posters() {
        let mut one = PostTally::default();
        one.record(&answered(StatusCode::CREATED));
        one.record(&answered(StatusCode::SERVICE_UNAVAILABLE));
        let mut two = PostTally::default();
        two.record(&Err(anyhow::anyhow!("connection reset")));
        two.record(&answered(StatusCode::CREATED));

        one.merge(two);
        assert_eq!((one.ok, one.failed), (2, 2));
        assert_eq!(
            one.first_failure.as_deref(),
            Some("503 Service Unavailable b\"{}\"")
        );
    }
}
