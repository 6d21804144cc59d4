//! `post`: C keep-alive clients post ~200-byte messages as fast as they are
//! answered, first all into one channel, then spread over many channels.
//!
//! A third run posts into one channel with a fresh `Idempotency-Key` on
//! every request, which must stay within 15 % of plain posts.
//!
//! Target: ≥ 12,000 durable posts/s with p99 ≤ 25 ms. A post counts once
//! Concord answered 201, which it does after the transaction committed; the
//! rows are counted in the database afterwards to confirm that every 201 is
//! stored.

use bytes::Bytes;

use super::{Bench, Client, LoopRun, closed_loop};
use crate::api::{messages_path, post_body};
use crate::db::id_list;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

/// A measured post rate, for `baseline` to compare against.
#[derive(Clone, Debug)]
pub struct Rate {
    pub label: String,
    pub posts_per_s: f64,
}

struct Poster {
    token: String,
    /// The channels this client cycles through.
    paths: Vec<String>,
    next: usize,
    /// The same ~200-byte body every time: cloning `Bytes` is a refcount,
    /// so the generator spends nothing on building requests.
    body: Bytes,
    /// With `Some(client)`, every post carries a new `Idempotency-Key`.
    keyed: Option<usize>,
}

impl Client for Poster {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let path = &self.paths[self.next % self.paths.len()];
        self.next += 1;
        let key = self
            .keyed
            .map(|client| format!("bench-{client}-{}", self.next));
        let response = conn
            .send_keyed(
                hyper::Method::POST,
                path,
                Some(&self.token),
                Some(self.body.clone()),
                key.as_deref(),
            )
            .await?;
        response.expect(hyper::StatusCode::CREATED)?;
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<(Outcome, Vec<Rate>)> {
    let mut outcome = Outcome::new("post");
    let args = &bench.args;
    outcome.detail("clients", args.clients);
    outcome.detail("content_bytes", crate::api::CONTENT_BYTES);

    let mut rates = Vec::new();
    let one = bench.fixture.channels("post-one", 1).await?;
    let many = bench.fixture.channels("post-many", args.channels).await?;
    for channels in [one, many] {
        let label = match channels.len() {
            1 => "1 channel".to_owned(),
            n => format!("{n} channels"),
        };
        let run = post_into(bench, &channels, false).await?;
        rates.push(Rate {
            label: label.clone(),
            posts_per_s: run.rate(),
        });
        judge(bench, &mut outcome, &label, &channels, run).await;
    }
    let keyed = bench.fixture.channels("post-keyed", 1).await?;
    let run = post_into(bench, &keyed, true).await?;
    let ratio = run.rate() / rates[0].posts_per_s.max(1.0);
    let cpu = Some(run.cpu);
    judge(bench, &mut outcome, "1 channel, keyed", &keyed, run).await;
    outcome.figure(
        "keyed ÷ plain posts/s (1 channel)",
        ratio,
        "×",
        Goal::AtLeast(0.85),
        cpu,
    );
    Ok((outcome, rates))
}

async fn post_into(bench: &Bench, channels: &[i64], keyed: bool) -> anyhow::Result<LoopRun> {
    let paths: Vec<String> = channels.iter().map(|c| messages_path(*c)).collect();
    let clients = (0..bench.args.clients)
        .map(|i| Poster {
            token: bench.fixture.user(i).token.clone(),
            paths: paths.clone(),
            // Start each client on a different channel, so that the
            // many-channel run spreads load from its first request on.
            next: i,
            body: post_body(i as u64),
            keyed: keyed.then_some(i),
        })
        .collect();
    closed_loop(bench, clients, bench.args.warmup, bench.args.duration).await
}

async fn judge(
    bench: &Bench,
    outcome: &mut Outcome,
    label: &str,
    channels: &[i64],
    mut run: LoopRun,
) {
    let cpu = Some(run.cpu);
    let latency = std::mem::take(&mut run.latencies).summary();
    let rate_name = format!("{label}: durable posts/s");
    outcome.figure(
        rate_name,
        run.rate(),
        "posts/s",
        Goal::AtLeast(12_000.0),
        cpu,
    );
    outcome.figure(
        format!("{label}: p99 latency"),
        latency.p99(),
        "ms",
        Goal::AtMost(25.0),
        cpu,
    );
    outcome.figure(
        format!("{label}: p50 latency"),
        latency.p50(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        format!("{label}: failed posts"),
        run.failed as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    if let Some(server) = run.cpu.server.filter(|s| *s > 0.0) {
        let per_cpu = run.ok as f64 / server;
        outcome.figure(
            format!("{label}: posts per server CPU-s"),
            per_cpu,
            "",
            Goal::Reported,
            cpu,
        );
    }
    // Durability: every 201 must be a stored row, no more, no fewer.
    match stored_rows(bench, channels).await {
        Ok(rows) => {
            let missing = run.ok_total as f64 - rows as f64;
            outcome.figure(
                format!("{label}: 201s not stored"),
                missing,
                "",
                Goal::Exactly(0.0),
                None,
            );
        }
        Err(e) => outcome.detail(
            &format!("{label}: durability check skipped"),
            format!("{e:#}"),
        ),
    }
    let key = label.replace(' ', "_");
    outcome.detail(&format!("{key}_latency"), latency.json());
    outcome.detail(&format!("{key}_ok_in_window"), run.ok);
    outcome.detail(&format!("{key}_ok_total"), run.ok_total);
    if let Some(first) = &run.first_failure {
        outcome.detail(&format!("{key}_first_failure"), first);
    }
}

async fn stored_rows(bench: &Bench, channels: &[i64]) -> anyhow::Result<u64> {
    let query = format!(
        "SELECT count(*) FROM messages WHERE channel_id IN ({})",
        id_list(channels)
    );
    Ok(bench.db()?.scalar(&query).await?.parse()?)
}
