//! What the read scenarios (`history`, `around`, `unread`, `search`) share:
//! the method that measures them, two runs of the same readers, first flat
//! out for the rate the server can serve, then paced for the latency at a
//! given load; the figures those runs give; and seeding their rooms
//! straight in SQL.
//!
//! A closed loop's own latency is its concurrency divided by the
//! throughput, whatever the server does, so the flat-out latency is
//! reported but never judged: the paced run's is.

use std::time::Instant;

use serde::Deserialize;

use super::{Bench, Client, LoopRun, closed_loop, open_loop};
use crate::db::Db;
use crate::procfs::CpuUsed;
use crate::report::{Goal, Outcome};
use crate::stats::Summary;

/// A page of messages, read for their ids only.
#[derive(Deserialize)]
pub struct MessageIds {
    pub messages: Vec<MessageId>,
}

#[derive(Deserialize)]
pub struct MessageId {
    pub id: i64,
}

/// A read scenario's two runs, each `--warmup` plus `--duration` seconds.
pub struct TwoRuns {
    /// The closed loop: each client sends as soon as it is answered.
    pub saturated: LoopRun,
    /// The open loop: the same number of clients, `rate` requests a second
    /// in all on a fixed schedule.
    pub paced: LoopRun,
    pub rate: f64,
    /// The paced run's latencies.
    pub at_rate: Summary,
    /// The closed loop's latencies.
    pub flat_out: Summary,
}

/// Runs a fresh set of `clients()` flat out, then another paced to `rate`
/// requests a second.
pub async fn flat_out_then_paced<C: Client>(
    bench: &Bench,
    clients: impl Fn() -> Vec<C>,
    rate: f64,
) -> anyhow::Result<TwoRuns> {
    let args = &bench.args;
    let mut saturated = closed_loop(bench, clients(), args.warmup, args.duration).await?;
    let mut paced = open_loop(bench, clients(), rate, args.warmup, args.duration).await?;
    let at_rate = std::mem::take(&mut paced.latencies).summary();
    let flat_out = std::mem::take(&mut saturated.latencies).summary();
    Ok(TwoRuns {
        saturated,
        paced,
        rate,
        at_rate,
        flat_out,
    })
}

impl TwoRuns {
    /// Server CPU over the flat-out run.
    pub fn cpu(&self) -> Option<CpuUsed> {
        Some(self.saturated.cpu)
    }

    /// Server CPU over the paced run.
    pub fn paced_cpu(&self) -> Option<CpuUsed> {
        Some(self.paced.cpu)
    }

    /// The speed figures, each name after `prefix` (empty, or for instance
    /// `selective word: `), rates in `unit` (`pages/s`): the flat-out rate,
    /// named by its unit and held to `capacity`; the p99 at the paced rate,
    /// held to `p99`; the p50 and the rate answered at the paced rate; and
    /// the flat-out p99.
    pub fn report_speed(
        &self,
        outcome: &mut Outcome,
        prefix: &str,
        unit: &'static str,
        capacity: Goal,
        p99: Goal,
    ) {
        let (cpu, paced_cpu, rate) = (self.cpu(), self.paced_cpu(), self.rate);
        outcome.figure(
            format!("{prefix}{unit}"),
            self.saturated.rate(),
            unit,
            capacity,
            cpu,
        );
        outcome.figure(
            format!("{prefix}p99 latency at {rate:.0} {unit}"),
            self.at_rate.p99(),
            "ms",
            p99,
            paced_cpu,
        );
        outcome.figure(
            format!("{prefix}p50 latency at {rate:.0} {unit}"),
            self.at_rate.p50(),
            "ms",
            Goal::Reported,
            paced_cpu,
        );
        outcome.figure(
            format!("{prefix}{unit} answered at {rate:.0} {unit}"),
            self.paced.rate(),
            unit,
            Goal::Reported,
            paced_cpu,
        );
        outcome.figure(
            format!("{prefix}p99 latency flat out"),
            self.flat_out.p99(),
            "ms",
            Goal::Reported,
            cpu,
        );
    }

    /// The requests that failed in either run, as the figure `name`, which
    /// must be none.
    pub fn report_failures(&self, outcome: &mut Outcome, name: impl Into<String>) {
        outcome.figure(
            name,
            (self.saturated.failed + self.paced.failed) as f64,
            "",
            Goal::Exactly(0.0),
            self.cpu(),
        );
    }

    /// Both runs' latency summaries and the first failure, as details keyed
    /// `{key}latency_at_rate`, `{key}latency_flat_out`, `{key}first_failure`.
    pub fn report_details(&self, outcome: &mut Outcome, key: &str) {
        outcome.detail(&format!("{key}latency_at_rate"), self.at_rate.json());
        outcome.detail(&format!("{key}latency_flat_out"), self.flat_out.json());
        let failures = [&self.saturated.first_failure, &self.paced.first_failure];
        if let Some(first) = failures.into_iter().flatten().next() {
            outcome.detail(&format!("{key}first_failure"), first);
        }
    }
}

/// The seeding times of a room seeded in chunks and then vacuumed.
pub fn report_seeding(outcome: &mut Outcome, insert_seconds: f64, vacuum_seconds: f64) {
    outcome.figure(
        "seeding time (INSERT)",
        insert_seconds,
        "s",
        Goal::Reported,
        None,
    );
    outcome.figure(
        "seeding time (VACUUM ANALYZE)",
        vacuum_seconds,
        "s",
        Goal::Reported,
        None,
    );
}

/// Statements to begin a seeding connection with: a superuser may skip the
/// per-row foreign-key triggers (the rooms and authors it writes are known
/// to exist), which makes seeding 2.5 times faster.
pub async fn seeding_prelude(db: &Db) -> anyhow::Result<Vec<String>> {
    let superuser = db
        .scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .await?
        == "t";
    Ok(if superuser {
        vec!["SET session_replication_role = replica".to_owned()]
    } else {
        Vec::new()
    })
}

/// Inserts rows `1..=rows` in statements of `chunk` rows, each
/// `insert(first, last)` after `prelude`, printing the progress as
/// `{label}: {done} rows after {t} s`.
pub async fn insert_in_chunks(
    db: &Db,
    label: &str,
    prelude: &[String],
    rows: u64,
    chunk: u64,
    insert: impl Fn(u64, u64) -> String,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut done = 0;
    while done < rows {
        let upto = (done + chunk).min(rows);
        let mut statements = prelude.to_vec();
        statements.push(insert(done + 1, upto));
        db.run(&statements).await?;
        done = upto;
        eprintln!(
            "{label}: {done} rows after {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// What autovacuum would have done to a freshly seeded table long ago: set
/// hint bits and the visibility map, give the planner statistics (and merge
/// the search index's pending entries), so that reads do not pay for the
/// bulk load. Returns the seconds it took.
pub async fn vacuum_messages(db: &Db) -> anyhow::Result<f64> {
    let vacuuming = Instant::now();
    db.run(&["VACUUM (ANALYZE) messages".to_owned()]).await?;
    Ok(vacuuming.elapsed().as_secs_f64())
}
