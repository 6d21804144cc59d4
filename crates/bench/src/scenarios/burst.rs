//! `burst`: 1,000 subscribers on one channel receive bursts of 100 posts,
//! each burst sent as fast as a few clients can, the next one only once
//! every subscriber has the last.
//!
//! Targets: ≥ 200,000 deliveries per server CPU-second, and no subscriber
//! (all of these read as fast as frames arrive) missing anything. Server CPU
//! is counted over the whole phase, so it includes handling the posts
//! themselves: the figure is what a delivery really costs.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Bench, PostTally, judge_deliveries, subscribers, take_latencies};
use crate::api::{messages_path, post_body};
use crate::gateway::{Protocol, SendLog};
use crate::http::Conn;
use crate::report::{Goal, Outcome};

/// Clients sending each burst side by side.
const POSTERS: usize = 10;

/// How long a burst's deliveries may take before the missing ones count as
/// lost and the next burst goes anyway.
const DRAIN: Duration = Duration::from_secs(10);

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("burst");
    let args = &bench.args;
    let channel = bench.fixture.channels("burst", 1).await?[0];
    let size = args.burst_size.max(1);
    let sends = SendLog::new(args.bursts * size);
    let crowd = subscribers(bench, channel, &sends, Protocol::Gateway).await?;
    outcome.detail("subscribers_opened", crowd.opened);

    let path = messages_path(channel);
    let mut posters = Vec::new();
    for i in 0..POSTERS.min(size) {
        let conn = Conn::open(&bench.target).await?;
        posters.push((conn, bench.fixture.user(i).token.clone()));
    }
    let mut tally = PostTally::default();
    let mut late_bursts = 0usize;
    let meter = bench.cpu_meter();
    let started = Instant::now();
    for burst in 0..args.bursts {
        let mut tasks = JoinSet::new();
        let share = size.div_ceil(posters.len());
        for (w, (mut conn, token)) in posters.drain(..).enumerate() {
            let (path, sends) = (path.clone(), sends.clone());
            let first = burst * size + w * share;
            let last = (burst * size + (w + 1) * share).min((burst + 1) * size);
            tasks.spawn(async move {
                let mut tally = PostTally::default();
                for n in first as u64..last as u64 {
                    sends.mark(n);
                    tally.record(&conn.post(&path, Some(&token), post_body(n)).await);
                }
                (conn, token, tally)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (conn, token, poster) = done?;
            posters.push((conn, token));
            tally.merge(poster);
        }
        if !crowd.wait_for(tally.ok * crowd.opened as u64, DRAIN).await {
            late_bursts += 1;
        }
    }
    let PostTally {
        ok,
        failed,
        first_failure,
    } = tally;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = meter.used();
    let delivered = crowd.delivered();
    let mut tallies = crowd.disperse().await;
    let latency = take_latencies(&mut tallies).summary();

    let per_cpu = cpu.server.map_or(f64::NAN, |s| delivered as f64 / s);
    let cpu = Some(cpu);
    outcome.figure(
        "deliveries per server CPU-s",
        per_cpu,
        "",
        Goal::AtLeast(200_000.0),
        cpu,
    );
    outcome.figure(
        "deliveries/s (wall)",
        delivered as f64 / seconds,
        "",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        "post→delivery p99",
        latency.p99(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure("failed posts", failed as f64, "", Goal::Exactly(0.0), None);
    judge_deliveries(
        &mut outcome,
        &tallies,
        args.subscribers,
        ok,
        Protocol::Gateway,
    );
    outcome.detail("bursts", args.bursts);
    outcome.detail("burst_size", size);
    outcome.detail("bursts_not_drained_within_10s", late_bursts);
    outcome.detail("latency", latency.json());
    if let Some(first) = first_failure {
        outcome.detail("first_post_failure", first);
    }
    Ok(outcome)
}
