//! `concord-bench`: Concord's load generator. It drives a running Concord
//! through its public HTTP API, WebSocket gateway and Socket.IO endpoint,
//! measures each scenario against its target, prints a table and writes
//! `target/bench/latest.json`.
//!
//! `scripts/bench.sh` (`make bench`) builds Concord, starts it on a fresh
//! database and runs this binary against it; run it by hand to point it at a
//! server of your own. The scenarios are in `scenarios/`, one module each.

mod api;
mod args;
mod db;
mod gateway;
mod http;
mod procfs;
mod report;
mod scenarios;
mod sio;
mod stats;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Parser;

use crate::api::Fixture;
use crate::args::{Args, Scenario};
use crate::db::Db;
use crate::http::{Conn, Target};
use crate::report::Report;
use crate::scenarios::{
    Bench, around, baseline, burst, connect, fanout, history, idle, login, post, reactions, search,
    unread,
};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    raise_fd_limit(&args);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target::parse(&args.base_url)?;
    let mut conn = Conn::open(&target)
        .await
        .with_context(|| format!("is Concord running at {}?", args.base_url))?;
    let health = conn.get("/health", None).await?;
    if health.status != 200 {
        bail!("GET /health answered {}", health.status);
    }
    let db = args
        .database_url
        .as_deref()
        .context("no --database-url given")
        .and_then(Db::new);

    // Names unique to this run, so a rerun on the same database cannot clash.
    let tag = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| format!("{:x}", d.as_millis() & 0xff_ffff_ffff))
        .unwrap_or_default();
    eprintln!("bench: signing up {} users (tag {tag})", args.users);
    let fixture = Fixture::create(&target, args.users, &tag).await?;
    let bench = Bench {
        args,
        target,
        fixture,
        db,
        deep_room: std::sync::Mutex::new(None),
    };

    let mut report = Report::default();
    let mut post_rates = Vec::new();
    let mut fanout_cost = None;
    for scenario in bench.args.scenarios() {
        eprintln!("bench: {} ...", scenario.name());
        let started = Instant::now();
        let outcome = match scenario {
            Scenario::Idle => idle::run(&bench).await,
            Scenario::Connect => connect::run(&bench).await,
            Scenario::Fanout => fanout::run(&bench).await.map(|(outcome, cost)| {
                fanout_cost = cost;
                outcome
            }),
            Scenario::SioFanout => fanout::run_socket_io(&bench, fanout_cost).await,
            Scenario::Burst => burst::run(&bench).await,
            Scenario::Post => post::run(&bench).await.map(|(outcome, rates)| {
                post_rates = rates;
                outcome
            }),
            Scenario::Baseline => baseline::run(&bench, &post_rates).await,
            Scenario::History => history::run(&bench).await,
            Scenario::Around => around::run(&bench).await,
            Scenario::Reactions => reactions::run(&bench).await,
            Scenario::Unread => unread::run(&bench).await,
            Scenario::Search => search::run(&bench).await,
            Scenario::Login => login::run(&bench).await,
        };
        let took = started.elapsed().as_secs_f64();
        match outcome {
            Ok(outcome) => {
                eprintln!("bench: {} done in {took:.1} s", scenario.name());
                report.add(outcome);
            }
            Err(e) => {
                eprintln!("bench: {} FAILED after {took:.1} s: {e:#}", scenario.name());
                report.failed(scenario.name(), &e);
            }
        }
    }
    report.print();
    report.write(&bench.args.output, &bench.args)?;
    println!("figures written to {}", bench.args.output.display());
    Ok(())
}

/// Raises the open-file limit to the hard limit: `idle` alone holds ten
/// thousand sockets, far past the usual soft limit of 1,024.
fn raise_fd_limit(args: &Args) {
    let needed = [args.idle, args.connects, args.subscribers]
        .into_iter()
        .max()
        .unwrap_or(0) as u64
        + 256;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < needed => eprintln!(
            "bench: warning: open-file limit is {limit}, the run needs about {needed}; \
             raise the hard limit (ulimit -Hn) or shrink --idle/--connects"
        ),
        Ok(_) => {}
        Err(e) => eprintln!("bench: warning: could not raise the open-file limit: {e}"),
    }
}
