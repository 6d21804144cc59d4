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

use super::history::seed_room;
use super::reads::{MessageIds, flat_out_then_paced, report_seeding};
use super::{Bench, Client};
use crate::api::messages_path;
use crate::http::Conn;
use crate::report::{Goal, Outcome};
use crate::stats::Rng;

/// Anchors drawn from: the messages at depths `depth..depth + ANCHORS`.
const ANCHORS: u64 = 1_000;

/// As in `history`: every `VERIFY_EVERY`th window is parsed and checked.
const VERIFY_EVERY: u64 = 16;

const WINDOW: usize = 50;

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
        response.expect(hyper::StatusCode::OK)?;
        self.sent += 1;
        if self.sent.is_multiple_of(VERIFY_EVERY) {
            let window: MessageIds =
                serde_json::from_slice(&response.body).context("around window")?;
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
    let anchors = db
        .ids(&format!(
            "SELECT string_agg(id::text, ',') FROM (SELECT id FROM messages \
             WHERE room_id = {} ORDER BY id DESC OFFSET {depth} LIMIT {ANCHORS}) a",
            room.channel
        ))
        .await
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
    let runs = flat_out_then_paced(bench, readers, args.around_rate).await?;
    let p99 = Goal::AtMost(3.0);
    runs.report_speed(&mut outcome, "", "windows/s", Goal::Reported, p99);
    runs.report_failures(&mut outcome, "failed windows");
    outcome.figure("anchor depth", depth as f64, "", Goal::Reported, None);
    outcome.figure("room messages", room.rows as f64, "", Goal::Reported, None);
    if !reused {
        report_seeding(&mut outcome, room.insert_seconds, room.vacuum_seconds);
    }
    outcome.detail("room_seeded_by_history", reused);
    outcome.detail("clients", args.around_clients);
    outcome.detail("paced_rate", runs.rate);
    runs.report_details(&mut outcome, "");
    Ok(outcome)
}
