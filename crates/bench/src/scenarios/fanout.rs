//! `fanout`: 1,000 WebSocket subscribers on one channel while one client
//! posts 20 messages a second for 30 seconds.
//!
//! Targets: post→delivery p50 ≤ 4 ms and p99 ≤ 15 ms, every subscriber
//! receiving every message with gapless, increasing `seq`. Latency runs from
//! the instant the post's request is sent to the instant a subscriber reads
//! the event, so it includes the HTTP request and the database commit: what
//! a user sees between pressing send and the message appearing elsewhere.

use std::time::Duration;

use tokio::time::{MissedTickBehavior, interval};

use super::{Bench, PostTally, judge_deliveries, subscribers, take_latencies};
use crate::api::{messages_path, post_body};
use crate::gateway::SendLog;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

/// How long deliveries may trail the last post before the missing ones
/// count as lost.
const DRAIN: Duration = Duration::from_secs(10);

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("fanout");
    let args = &bench.args;
    let channel = bench.fixture.channels("fanout", 1).await?[0];
    let posts = (args.fanout_rate * args.fanout_duration).round().max(1.0) as u64;
    let sends = SendLog::new(posts as usize);
    let crowd = subscribers(bench, channel, &sends).await?;
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
    let cpu = Some(meter.used());
    let mut tallies = crowd.disperse().await;

    let latency = take_latencies(&mut tallies).summary();
    outcome.figure(
        "post→delivery p50",
        latency.p50(),
        "ms",
        Goal::AtMost(4.0),
        cpu,
    );
    outcome.figure(
        "post→delivery p99",
        latency.p99(),
        "ms",
        Goal::AtMost(15.0),
        cpu,
    );
    outcome.figure(
        "post→delivery max",
        latency.max(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure("failed posts", failed as f64, "", Goal::Exactly(0.0), None);
    judge_deliveries(&mut outcome, &tallies, args.subscribers, ok);
    outcome.detail("posts", posts);
    outcome.detail("posts_ok", ok);
    outcome.detail("drained_within_10s", drained);
    outcome.detail("latency", latency.json());
    if let Some(first) = first_failure {
        outcome.detail("first_post_failure", first);
    }
    Ok(outcome)
}
