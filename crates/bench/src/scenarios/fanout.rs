//! `fanout`: 1,000 WebSocket subscribers on one channel while one client
//! posts 20 messages a second for 30 seconds.
//!
//! Targets: post→delivery p50 ≤ 4 ms and p99 ≤ 15 ms, every subscriber
//! receiving every message with gapless, increasing `seq`. Latency runs from
//! the instant the post's request is sent to the instant a subscriber reads
//! the event, so it includes the HTTP request and the database commit: what
//! a user sees between pressing send and the message appearing elsewhere.
//! Deliveries per server CPU-second are reported beside it: server CPU over
//! the posting phase, posts included, as in `burst`.
//!
//! `sio-fanout` runs the same with Socket.IO subscribers, WebSocket
//! transport (`/api/socket/io`, workspace dialect), which follow the
//! channel without a subscribe call. Socket.IO numbers no events, so the
//! order is checked on the posts' own numbers: every subscriber must get
//! every post once, each after the one before. Target: its server CPU per
//! delivery at most 1.5 times `fanout`'s in the same run (the ratio needs
//! both); its latencies are reported.

use std::time::Duration;

use tokio::time::{MissedTickBehavior, interval};

use super::{Bench, PostTally, judge_deliveries, subscribers, take_latencies};
use crate::api::{messages_path, post_body};
use crate::gateway::{Protocol, SendLog};
use crate::http::Conn;
use crate::report::{Goal, Outcome};

/// How long deliveries may trail the last post before the missing ones
/// count as lost.
const DRAIN: Duration = Duration::from_secs(10);

/// Most server CPU a Socket.IO delivery may cost, in `/ws` deliveries.
const SOCKET_IO_COST: f64 = 1.5;

/// `fanout`, and the server CPU-seconds a delivery cost, if measured.
pub async fn run(bench: &Bench) -> anyhow::Result<(Outcome, Option<f64>)> {
    fan_out(bench, "fanout", Protocol::Gateway).await
}

/// `sio-fanout`, judged against `ws_cost`, the server CPU-seconds a
/// delivery cost in `fanout` (when it ran first).
pub async fn run_socket_io(bench: &Bench, ws_cost: Option<f64>) -> anyhow::Result<Outcome> {
    let (mut outcome, cost) = fan_out(bench, "sio-fanout", Protocol::SocketIo).await?;
    match cost.zip(ws_cost) {
        Some((cost, ws_cost)) => outcome.figure(
            "server CPU per delivery ÷ /ws fanout's",
            cost / ws_cost,
            "×",
            Goal::AtMost(SOCKET_IO_COST),
            None,
        ),
        None => outcome.detail(
            "cpu_ratio_skipped",
            "needs fanout in the same run and the server's CPU time (--server-pid)",
        ),
    }
    Ok(outcome)
}

async fn fan_out(
    bench: &Bench,
    name: &'static str,
    protocol: Protocol,
) -> anyhow::Result<(Outcome, Option<f64>)> {
    let mut outcome = Outcome::new(name);
    let args = &bench.args;
    let channel = bench.fixture.channels(name, 1).await?[0];
    let posts = (args.fanout_rate * args.fanout_duration).round().max(1.0) as u64;
    let sends = SendLog::new(posts as usize);
    let crowd = subscribers(bench, channel, &sends, protocol).await?;
    outcome.detail("subscribers_opened", crowd.opened);
    if let Some(first) = &crowd.first_failure {
        outcome.detail("first_open_failure", first);
    }

    // One poster at a steady rate. A slow post delays the next rather than
    // bunching the following ones, so the rate stays a rate.
    let mut conn = Conn::open(&bench.target).await?;
    let path = messages_path(channel);
    let token = &bench.fixture.user(0).token;
    let mut tick = interval(Duration::from_secs_f64(1.0 / args.fanout_rate));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tally = PostTally::default();
    let meter = bench.cpu_meter();
    for n in 0..posts {
        tick.tick().await;
        sends.mark(n);
        let sent = conn.post(&path, Some(token), post_body(n)).await;
        tally.record(&sent);
        if sent.is_err() {
            conn = Conn::open(&bench.target).await?;
        }
    }
    let PostTally {
        ok,
        failed,
        first_failure,
    } = tally;
    let drained = crowd.wait_for(ok * crowd.opened as u64, DRAIN).await;
    let cpu = meter.used();
    let delivered = crowd.delivered();
    let mut tallies = crowd.disperse().await;

    let latency = take_latencies(&mut tallies).summary();
    // Only the /ws fanout's latency has targets.
    let (p50, p99) = match protocol {
        Protocol::Gateway => (Goal::AtMost(4.0), Goal::AtMost(15.0)),
        Protocol::SocketIo => (Goal::Reported, Goal::Reported),
    };
    let server_cpu = cpu.server.filter(|s| *s > 0.0);
    let cost = server_cpu
        .filter(|_| delivered > 0)
        .map(|s| s / delivered as f64);
    let cpu = Some(cpu);
    outcome.figure("post→delivery p50", latency.p50(), "ms", p50, cpu);
    outcome.figure("post→delivery p99", latency.p99(), "ms", p99, cpu);
    outcome.figure(
        "post→delivery max",
        latency.max(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        "deliveries per server CPU-s",
        server_cpu.map_or(f64::NAN, |s| delivered as f64 / s),
        "",
        Goal::Reported,
        cpu,
    );
    outcome.figure("failed posts", failed as f64, "", Goal::Exactly(0.0), None);
    judge_deliveries(&mut outcome, &tallies, args.subscribers, ok, protocol);
    outcome.detail("posts", posts);
    outcome.detail("posts_ok", ok);
    outcome.detail("drained_within_10s", drained);
    outcome.detail("latency", latency.json());
    if let Some(first) = first_failure {
        outcome.detail("first_post_failure", first);
    }
    Ok((outcome, cost))
}
