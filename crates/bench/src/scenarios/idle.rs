//! `idle`: N authenticated, subscribed sockets that only keep their
//! heartbeat, and what they cost Concord in memory.
//!
//! Target: server RSS growth ≤ 8.5 KiB per connection, taken as the peak
//! RSS while the sockets are held minus the RSS before they opened.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::sleep;

use super::Bench;
use crate::gateway::{Crowd, CrowdSpec, Protocol, topic};
use crate::procfs::Proc;
use crate::report::{Goal, Outcome};

/// Sockets opened and closed before measuring, so that what the server
/// allocates once (buffers per worker, pooled database connections, the
/// gateway's tables) is not charged to the measured sockets.
const WARM_UP_SOCKETS: usize = 100;

/// Time for the server to finish what opening left behind before sampling.
const SETTLE: Duration = Duration::from_secs(2);

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("idle");
    let args = &bench.args;
    let server = Proc::Pid(
        args.server_pid
            .context("idle needs --server-pid to read RSS")?,
    );
    let channel = bench.fixture.channels("idle", 1).await?[0];
    let tokens = bench.tokens();
    let spec = |count| CrowdSpec {
        protocol: Protocol::Gateway,
        target: &bench.target,
        tokens: &tokens,
        topic: Some(topic(channel)),
        count,
        concurrency: args.connect_concurrency,
        sends: None,
    };

    let warm = Crowd::gather(spec(WARM_UP_SOCKETS.min(args.idle))).await;
    if warm.opened == 0 {
        let reason = warm.first_failure.clone().unwrap_or_default();
        warm.disperse().await;
        bail!("no socket could open: {reason}");
    }
    warm.disperse().await;
    sleep(SETTLE).await;
    let before = server.rss_kib()?;

    let crowd = Crowd::gather(spec(args.idle)).await;
    sleep(SETTLE).await;
    let after_open = server.rss_kib()?;
    // Hold the sockets (they keep pinging) and keep the worst reading.
    let meter = bench.cpu_meter();
    let mut peak = after_open;
    let hold = Duration::from_secs_f64(args.idle_hold);
    let step = Duration::from_millis(500);
    let mut held = Duration::ZERO;
    while held < hold {
        sleep(step).await;
        held += step;
        peak = peak.max(server.rss_kib()?);
    }
    let cpu = Some(meter.used());
    let (opened, failed) = (crowd.opened, crowd.failed);
    let first_failure = crowd.first_failure.clone();
    let tallies = crowd.disperse().await;
    let closed: Vec<&str> = tallies.iter().filter_map(|t| t.closed.as_deref()).collect();

    let per_conn = if opened == 0 {
        f64::NAN
    } else {
        peak.saturating_sub(before) as f64 / opened as f64
    };
    // The CPU column covers the hold only: what keeping idle sockets costs.
    outcome.figure(
        "server RSS growth per socket",
        per_conn,
        "KiB/conn",
        Goal::AtMost(8.5),
        cpu,
    );
    outcome.figure(
        "sockets opened",
        opened as f64,
        "",
        Goal::Exactly(args.idle as f64),
        None,
    );
    outcome.figure(
        "sockets closed by server while idle",
        closed.len() as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    outcome.detail("rss_before_kib", before);
    outcome.detail("rss_after_open_kib", after_open);
    outcome.detail("rss_peak_kib", peak);
    outcome.detail("hold_seconds", args.idle_hold);
    outcome.detail("failed_to_open", failed);
    if let Some(first) = first_failure {
        outcome.detail("first_open_failure", first);
    }
    if let Some(first) = closed.first() {
        outcome.detail("first_close_reason", first);
    }
    Ok(outcome)
}
