//! `around`: windows of 50 messages centred on a message `--around-depth`
//! messages deep (1,000,000 by default) in a big channel, through
//! `GET /api/channels/{id}/messages?around=<id>&limit=50`: what a client
//! asks for when it opens a search result or a link to an old message.
//!
//! Target: p99 ≤ 3 ms. As in `history`, a closed loop of
//! `--around-clients` readers measures how many windows the server can
//! serve, then the same readers paced to `--around-rate` windows/s measure
//! the latency at that load (the target states no rate; the default is a
//! fifth of the history target's).
//!
//! The room is `history`'s when that ran first and is deep enough;
//! otherwise a channel of its own is seeded the same way, straight in SQL,
//! a tenth deeper than the anchor depth. The anchors are the
//! [`ANCHORS`] messages from that depth down, drawn at random.

use anyhow::{Context, bail};
use serde::Deserialize;

use super::history::seed_room;
use super::{Bench, Client, closed_loop, open_loop};
use crate::api::messages_path;
use crate::http::Conn;
use crate::report::{Goal, Outcome};
use crate::stats::Rng;

/// Anchors drawn from: the messages at depths `depth..depth + ANCHORS`.
const ANCHORS: u64 = 1_000;

/// As in `history`: every `VERIFY_EVERY`th window is parsed and checked.
const VERIFY_EVERY: u64 = 16;

const WINDOW: usize = 50;

#[derive(Deserialize)]
struct Message {
    id: i64,
}

#[derive(Deserialize)]
struct Window {
    messages: Vec<Message>,
}

struct Reader {
    token: String,
    path: String,
    anchors: std::sync::Arc<Vec<i64>>,
    rng: Rng,
    sent: u64,
}

impl Client for Reader {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let last = self.anchors.len() as i64 - 1;
        let anchor = self.anchors[self.rng.between(0, last) as usize];
        let path = format!("{}?around={anchor}&limit={WINDOW}", self.path);
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
            let window: Window = serde_json::from_slice(&response.body).context("around window")?;
            if window.messages.len() != WINDOW || !window.messages.iter().any(|m| m.id == anchor) {
                bail!(
                    "window around {anchor} has {} messages{}",
                    window.messages.len(),
                    if window.messages.iter().any(|m| m.id == anchor) {
                        ""
                    } else {
                        ", not the anchor"
                    }
                );
            }
        }
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("around");
    let args = &bench.args;
    let db = bench.db()?;
    let depth = args.around_depth;
    // The anchors' older side must be a full half window below the deepest.
    let needed = depth + ANCHORS + WINDOW as u64;
    let (room, reused) = match bench.deep_room(needed) {
        Some(room) => (room, true),
        None => {
            let channel = bench.fixture.channels("around", 1).await?[0];
            let author = bench.fixture.users[0].id;
            let rows = needed.max(depth + depth / 10);
            (seed_room(db, "around", channel, author, rows).await?, false)
        }
    };
    let anchors: Vec<i64> = db
        .scalar(&format!(
            "SELECT string_agg(id::text, ',') FROM (SELECT id FROM messages \
             WHERE room_id = {} ORDER BY id DESC OFFSET {depth} LIMIT {ANCHORS}) a",
            room.channel
        ))
        .await?
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("anchor ids")?;
    if anchors.len() as u64 != ANCHORS {
        bail!("found {} anchors at depth {depth}", anchors.len());
    }
    let anchors = std::sync::Arc::new(anchors);

    let readers = || {
        (0..args.around_clients.max(1))
            .map(|i| Reader {
                token: bench.fixture.user(i).token.clone(),
                path: messages_path(room.channel),
                anchors: std::sync::Arc::clone(&anchors),
                rng: Rng::seeded(0xA40D ^ ((i as u64) << 32) ^ u64::from(std::process::id())),
                sent: 0,
            })
            .collect::<Vec<_>>()
    };
    let mut saturated = closed_loop(bench, readers(), args.warmup, args.duration).await?;
    let rate = args.around_rate;
    let mut paced = open_loop(bench, readers(), rate, args.warmup, args.duration).await?;
    let at_rate = std::mem::take(&mut paced.latencies).summary();
    let flat_out = std::mem::take(&mut saturated.latencies).summary();
    let (cpu, paced_cpu) = (Some(saturated.cpu), Some(paced.cpu));
    outcome.figure(
        "windows/s",
        saturated.rate(),
        "windows/s",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        format!("p99 latency at {rate:.0} windows/s"),
        at_rate.p99(),
        "ms",
        Goal::AtMost(3.0),
        paced_cpu,
    );
    outcome.figure(
        format!("p50 latency at {rate:.0} windows/s"),
        at_rate.p50(),
        "ms",
        Goal::Reported,
        paced_cpu,
    );
    outcome.figure(
        format!("windows/s answered at {rate:.0} windows/s"),
        paced.rate(),
        "windows/s",
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
        "failed windows",
        (saturated.failed + paced.failed) as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    outcome.figure("anchor depth", depth as f64, "", Goal::Reported, None);
    outcome.figure("room messages", room.rows as f64, "", Goal::Reported, None);
    if !reused {
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
    }
    outcome.detail("room_seeded_by_history", reused);
    outcome.detail("clients", args.around_clients);
    outcome.detail("paced_rate", rate);
    outcome.detail("latency_at_rate", at_rate.json());
    outcome.detail("latency_flat_out", flat_out.json());
    if let Some(first) = saturated.first_failure.or(paced.first_failure) {
        outcome.detail("first_failure", first);
    }
    Ok(outcome)
}
