//! `history`: pages of 50 from random depths of a channel holding
//! `--history-rows` messages (10 million by default), through
//! `GET /api/channels/{id}/messages?before=&limit=50`.
//!
//! Target: p99 ≤ 3 ms at ≥ 5,000 pages/s. Two runs measure it: a closed
//! loop of `--history-clients` readers, as fast as the server answers, for
//! the pages/s it can serve; then the same readers paced to
//! `--history-rate` pages/s in all (5,000 by default), for the latency at
//! that load. A closed loop's own latency is its concurrency divided by the
//! throughput, whatever the server does, so it is reported but not judged.
//!
//! The channel is seeded straight in
//! SQL (posting 10 million messages over HTTP would take longer than the
//! whole benchmark), with messages rows only: history reads no events, and
//! the channel's `last_seq` stays consistent at zero.

use std::time::Instant;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::{Bench, Client, closed_loop, open_loop};
use crate::api::messages_path;
use crate::db::Db;
use crate::http::Conn;
use crate::report::{Goal, Outcome};
use crate::stats::Rng;

/// Rows inserted per statement: small enough to report progress, large
/// enough that per-statement overhead does not matter.
const SEED_CHUNK: u64 = 1_000_000;

/// Every `VERIFY_EVERY`th page is parsed and its size checked; the rest only
/// have their status checked, because parsing a 50-message page costs the
/// generator tens of microseconds on cores it shares with the server.
const VERIFY_EVERY: u64 = 16;

const PAGE: usize = 50;

#[derive(Deserialize)]
struct Page {
    messages: Vec<serde::de::IgnoredAny>,
}

struct Pager {
    token: String,
    path: String,
    rng: Rng,
    /// `before` is drawn from `low..=high`: every page is a full one.
    low: i64,
    high: i64,
    sent: u64,
}

impl Client for Pager {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let before = self.rng.between(self.low, self.high);
        let path = format!("{}?before={before}&limit={PAGE}", self.path);
        let response = conn.get(&path, Some(&self.token)).await?;
        if response.status != 200 {
            bail!(
                "{} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
        self.sent += 1;
        if self.sent.is_multiple_of(VERIFY_EVERY) {
            let page: Page = serde_json::from_slice(&response.body).context("history page")?;
            if page.messages.len() != PAGE {
                bail!(
                    "page before {before} has {} messages, not {PAGE}",
                    page.messages.len()
                );
            }
        }
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("history");
    let args = &bench.args;
    let db = bench.db()?;
    let rows = args.history_rows.max(PAGE as u64 * 2);
    let channel = bench.fixture.channels("history", 1).await?[0];
    let author = bench.fixture.users[0].id;

    let room = seed_room(db, "history", channel, author, rows).await?;
    let (low, high) = (room.low, room.high);
    bench.remember_deep_room(room.clone());

    let pagers = || {
        (0..args.history_clients.max(1))
            .map(|i| Pager {
                token: bench.fixture.user(i).token.clone(),
                path: messages_path(channel),
                rng: Rng::seeded(0x5EED ^ ((i as u64) << 32) ^ u64::from(std::process::id())),
                low: low + PAGE as i64,
                high: high + 1,
                sent: 0,
            })
            .collect::<Vec<_>>()
    };
    // First as fast as the server answers, for its capacity; then at the
    // target's rate, for the latency a reader sees at that load.
    let mut saturated = closed_loop(bench, pagers(), args.warmup, args.duration).await?;
    let mut paced = open_loop(
        bench,
        pagers(),
        args.history_rate,
        args.warmup,
        args.duration,
    )
    .await?;
    let at_rate = std::mem::take(&mut paced.latencies).summary();
    let flat_out = std::mem::take(&mut saturated.latencies).summary();
    let (cpu, paced_cpu) = (Some(saturated.cpu), Some(paced.cpu));
    let rate = args.history_rate;
    outcome.figure(
        "pages/s",
        saturated.rate(),
        "pages/s",
        Goal::AtLeast(5_000.0),
        cpu,
    );
    outcome.figure(
        format!("p99 latency at {rate:.0} pages/s"),
        at_rate.p99(),
        "ms",
        Goal::AtMost(3.0),
        paced_cpu,
    );
    outcome.figure(
        format!("p50 latency at {rate:.0} pages/s"),
        at_rate.p50(),
        "ms",
        Goal::Reported,
        paced_cpu,
    );
    outcome.figure(
        format!("pages/s answered at {rate:.0} pages/s"),
        paced.rate(),
        "pages/s",
        Goal::Reported,
        paced_cpu,
    );
    outcome.figure(
        "p99 latency flat out",
        flat_out.p99(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        "p50 latency flat out",
        flat_out.p50(),
        "ms",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        "failed pages",
        (saturated.failed + paced.failed) as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    outcome.figure("seeded messages", rows as f64, "", Goal::Reported, None);
    outcome.figure(
        "seeding time (INSERT)",
        room.insert_seconds,
        "s",
        Goal::Reported,
        None,
    );
    outcome.figure(
        "seeding time (VACUUM ANALYZE)",
        room.vacuum_seconds,
        "s",
        Goal::Reported,
        None,
    );
    outcome.detail("clients", args.history_clients);
    outcome.detail("seeded_without_fk_triggers", room.without_fk_triggers);
    outcome.detail("paced_rate", rate);
    outcome.detail("latency_at_rate", at_rate.json());
    outcome.detail("latency_flat_out", flat_out.json());
    if let Some(first) = saturated.first_failure.or(paced.first_failure) {
        outcome.detail("first_failure", first);
    }
    Ok(outcome)
}

/// A channel seeded with `rows` messages, ids `low..=high`.
#[derive(Clone, Debug)]
pub struct SeededRoom {
    pub channel: i64,
    pub rows: u64,
    pub low: i64,
    pub high: i64,
    pub insert_seconds: f64,
    pub vacuum_seconds: f64,
    pub without_fk_triggers: bool,
}

/// Whether the seeding connection may skip the per-row foreign-key triggers
/// (the rooms and authors it writes are known to exist): a superuser may,
/// which makes seeding 2.5 times faster.
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

/// Seeds `channel` with `rows` messages by `author` straight in SQL, in
/// statements of [`SEED_CHUNK`] rows (progress is printed as `{label}: …`),
/// sets its post counter to match, and vacuums.
pub async fn seed_room(
    db: &Db,
    label: &str,
    channel: i64,
    author: i64,
    rows: u64,
) -> anyhow::Result<SeededRoom> {
    let prelude = seeding_prelude(db).await?;
    eprintln!("{label}: seeding {rows} messages");
    let seeding = Instant::now();
    let mut done = 0;
    while done < rows {
        let upto = (done + SEED_CHUNK).min(rows);
        // Timestamps a tenth of a second apart, ending now, like a busy room.
        let insert = format!(
            "INSERT INTO messages (channel_id, author_id, content, created_at, room_pos) \
             SELECT {channel}, {author}, \
                    'history ' || g || ' the quick brown fox jumps over the lazy dog, as chat lines do', \
                    now() - make_interval(secs => ({rows} - g) / 10.0), g \
             FROM generate_series({}, {upto}) AS g",
            done + 1
        );
        db.run(&[prelude.clone(), vec![insert]].concat()).await?;
        done = upto;
        eprintln!(
            "{label}: {done} rows after {:.0} s",
            seeding.elapsed().as_secs_f64()
        );
    }
    // The channel's post counter agrees with the positions just written.
    db.run(&[format!(
        "UPDATE channels SET posted = {rows} WHERE id = {channel}"
    )])
    .await?;
    let insert_seconds = seeding.elapsed().as_secs_f64();
    // What autovacuum would have done to a table this size long ago: set hint
    // bits and the visibility map, and give the planner statistics, so that
    // reads do not pay for the bulk load.
    let vacuuming = Instant::now();
    db.run(&["VACUUM (ANALYZE) messages".to_owned()]).await?;
    let vacuum_seconds = vacuuming.elapsed().as_secs_f64();
    let bounds = db
        .scalar(&format!(
            "SELECT min(id), max(id) FROM messages WHERE room_id = {channel}"
        ))
        .await?;
    let (low, high) = bounds
        .split_once('|')
        .and_then(|(l, h)| Some((l.parse::<i64>().ok()?, h.parse::<i64>().ok()?)))
        .with_context(|| format!("channel bounds {bounds:?}"))?;
    Ok(SeededRoom {
        channel,
        rows,
        low,
        high,
        insert_seconds,
        vacuum_seconds,
        without_fk_triggers: !prelude.is_empty(),
    })
}
