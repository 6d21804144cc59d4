//! `connect`: a connection storm. Many sockets at once each upgrade,
//! identify and subscribe; the figure is completed sessions per second from
//! the first connect to the last `subscribed`.
//!
//! Target: ≥ 20,000 connects/s. The sockets stay open until the storm is
//! over, as they would after a server restart, then close.

use anyhow::bail;
use tokio::time::Instant;

use super::Bench;
use crate::gateway::{Crowd, CrowdSpec, Protocol, topic};
use crate::procfs::listen_overflows;
use crate::report::{Goal, Outcome};

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("connect");
    let args = &bench.args;
    let channel = bench.fixture.channels("connect", 1).await?[0];
    let tokens = bench.tokens();
    let overflows_before = listen_overflows();
    let meter = bench.cpu_meter();
    let started = Instant::now();
    let mut crowd = Crowd::gather(CrowdSpec {
        protocol: Protocol::Gateway,
        target: &bench.target,
        tokens: &tokens,
        topic: Some(topic(channel)),
        count: args.connects,
        concurrency: args.connect_concurrency,
        sends: None,
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = Some(meter.used());
    let overflows = overflows_before
        .zip(listen_overflows())
        .map_or(f64::NAN, |(before, after)| (after - before) as f64);
    let latency = std::mem::take(&mut crowd.open_latencies).summary();
    let (opened, failed) = (crowd.opened, crowd.failed);
    let first_failure = crowd.first_failure.clone();
    crowd.disperse().await;
    if opened == 0 {
        bail!(
            "no socket could open: {}",
            first_failure.unwrap_or_default()
        );
    }

    let rate = opened as f64 / seconds;
    outcome.figure(
        "connects/s (upgrade+identify+subscribe)",
        rate,
        "/s",
        Goal::AtLeast(20_000.0),
        cpu,
    );
    outcome.figure("connect p50", latency.p50(), "ms", Goal::Reported, cpu);
    outcome.figure("connect p99", latency.p99(), "ms", Goal::Reported, cpu);
    outcome.figure(
        "failed connects",
        failed as f64,
        "",
        Goal::Exactly(0.0),
        None,
    );
    // Not a target, but the first thing to look at when p99 is near 1 s.
    let name = "listen queue overflows (SYNs dropped)";
    outcome.figure(name, overflows, "", Goal::Reported, None);
    outcome.detail("connects", args.connects);
    outcome.detail("concurrency", args.connect_concurrency);
    outcome.detail("seconds", seconds);
    if let Some(first) = first_failure {
        outcome.detail("first_failure", first);
    }
    Ok(outcome)
}
