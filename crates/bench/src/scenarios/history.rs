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

use super::reads::{
    flat_out_then_paced, insert_in_chunks, report_seeding, seeding_prelude, vacuum_messages,
};
use super::{Bench, Client};
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
        response.expect(hyper::StatusCode::OK)?;
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
    let runs = flat_out_then_paced(bench, pagers, args.history_rate).await?;
    let capacity = Goal::AtLeast(5_000.0);
    runs.report_speed(&mut outcome, "", "pages/s", capacity, Goal::AtMost(3.0));
    outcome.figure(
        "p50 latency flat out",
        runs.flat_out.p50(),
        "ms",
        Goal::Reported,
        runs.cpu(),
    );
    runs.report_failures(&mut outcome, "failed pages");
    outcome.figure("seeded messages", rows as f64, "", Goal::Reported, None);
    report_seeding(&mut outcome, room.insert_seconds, room.vacuum_seconds);
    outcome.detail("clients", args.history_clients);
    outcome.detail("seeded_without_fk_triggers", room.without_fk_triggers);
    outcome.detail("paced_rate", runs.rate);
    runs.report_details(&mut outcome, "");
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
    // Timestamps a tenth of a second apart, ending now, like a busy room.
    insert_in_chunks(db, label, &prelude, rows, SEED_CHUNK, |first, last| {
        format!(
            "INSERT INTO messages (channel_id, author_id, content, created_at, room_pos) \
             SELECT {channel}, {author}, \
                    'history ' || g || ' the quick brown fox jumps over the lazy dog, as chat lines do', \
                    now() - make_interval(secs => ({rows} - g) / 10.0), g \
             FROM generate_series({first}, {last}) AS g"
        )
    })
    .await?;
    // The channel's post counter agrees with the positions just written.
    db.run(&[format!(
        "UPDATE channels SET posted = {rows} WHERE id = {channel}"
    )])
    .await?;
    let insert_seconds = seeding.elapsed().as_secs_f64();
    let vacuum_seconds = vacuum_messages(db).await?;
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
