//! `baseline`: what Postgres alone does with the same single-row INSERT,
//! measured by `pgbench` on the same database, in the same run, with as many
//! clients as `post` used.
//!
//! Target: Concord's post rate ≥ 1.6× this figure. Each pgbench transaction
//! is one INSERT and one commit, so matching it 1.6 times over takes Concord
//! more than a thin layer over Postgres: it must share commits between posts.

use std::process::Command;

use anyhow::Context;

use super::Bench;
use super::post::Rate;
use crate::api::content;
use crate::db::{find_tool, output};
use crate::report::{Goal, Outcome};

/// A scratch table shaped like `messages`: a key, a room, an author, the
/// content and a timestamp.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_baseline (
    id bigserial PRIMARY KEY, room_id bigint NOT NULL, author_id bigint NOT NULL,
    content text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";

pub async fn run(bench: &Bench, post_rates: &[Rate]) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("baseline");
    let db = bench.db()?;
    let pgbench = find_tool("pgbench")?;
    db.run(&[CREATE_TABLE.to_owned()]).await?;

    let script_path =
        std::env::temp_dir().join(format!("concord-bench-{}.sql", std::process::id()));
    let script = format!(
        "\\set room random(1, 100)\n\
         INSERT INTO bench_baseline (room_id, author_id, content) VALUES (:room, 1, '{}');\n",
        content(0)
    );
    std::fs::write(&script_path, script).context("write the pgbench script")?;

    let clients = bench.args.clients.max(1);
    // pgbench takes whole seconds.
    let seconds = bench.args.duration.ceil().max(1.0) as u64;
    let mut cmd = Command::new(pgbench);
    cmd.arg("-n")
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.min(2).to_string()])
        .args(["-T", &seconds.to_string()])
        .arg("-f")
        .arg(&script_path)
        .arg(db.url());
    let meter = bench.cpu_meter();
    let result = output(cmd, "pgbench").await;
    let cpu = meter.used();
    let _ = std::fs::remove_file(&script_path);
    let _ = db
        .run(&["DROP TABLE IF EXISTS bench_baseline".to_owned()])
        .await;
    let report = result?;

    let tps = field(&report, "tps = ").context("no tps in pgbench's report")?;
    let latency = field(&report, "latency average = ");
    // Concord is idle meanwhile: the server CPU column shows it stayed so.
    let cpu = Some(cpu);
    outcome.figure(
        "pgbench INSERT transactions/s",
        tps,
        "tx/s",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        "pgbench latency average",
        latency.unwrap_or(f64::NAN),
        "ms",
        Goal::Reported,
        cpu,
    );
    for rate in post_rates {
        let ratio = rate.posts_per_s / tps;
        let name = format!("post, {}: Concord ÷ pgbench", rate.label);
        outcome.figure(name, ratio, "×", Goal::AtLeast(1.6), None);
    }
    if post_rates.is_empty() {
        outcome.detail("ratio", "not computed: run `post` in the same run for it");
    }
    outcome.detail("clients", clients);
    outcome.detail("seconds", seconds);
    outcome.detail("pgbench_output", report);
    Ok(outcome)
}

/// The number after `prefix` on the first line that starts with it.
fn field(report: &str, prefix: &str) -> Option<f64> {
    let line = report.lines().find_map(|l| l.trim().strip_prefix(prefix))?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tps_and_latency_are_read_from_pgbench_output() {
        let report = "transaction type: script.sql\nnumber of clients: 64\n\
            latency average = 5.120 ms\ninitial connection time = 40.1 ms\n\
            tps = 12500.123456 (without initial connection time)\n";
        assert_eq!(field(report, "tps = "), Some(12500.123456));
        assert_eq!(field(report, "latency average = "), Some(5.12));
    }
}
