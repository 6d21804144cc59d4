//! `search`: the first page (20, newest first) of a full-text search over a
//! workspace of `--search-rooms` channels (100) holding `--search-rows`
//! messages (1,000,000), through `GET /api/workspaces/{id}/search?q=`.
//!
//! Targets: a selective word (in one message of [`RARE_EVERY`]), p99 ≤
//! 20 ms; a word in one message of ten, p99 ≤ 50 ms. For each word, as in
//! `history`, a closed loop of `--search-clients` measures how many
//! searches the server can answer, then the same clients paced to
//! `--search-rate` searches/s measure the latency at that load (the targets
//! state no rate).
//!
//! The messages are seeded straight in SQL, spread over the channels in
//! turn (so every room holds matches and their ids interleave, as in a busy
//! workspace): a number and six words drawn from a small vocabulary, plus
//! [`COMMON`] in every tenth message and [`RARE`] in every
//! [`RARE_EVERY`]th. The first page the server answers is checked against
//! the newest matches read straight from the table.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};

use super::reads::{
    MessageIds, flat_out_then_paced, insert_in_chunks, report_seeding, seeding_prelude,
    vacuum_messages,
};
use super::{Bench, Client};
use crate::db::id_list;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

/// In every tenth message.
const COMMON: &str = "often";

/// In one message of [`RARE_EVERY`].
const RARE: &str = "seldom";
const RARE_EVERY: u64 = 10_000;

/// The words every message is made of, besides its number and the two above.
const VOCABULARY: [&str; 32] = [
    "meeting", "deploy", "review", "lunch", "coffee", "release", "ticket", "design", "budget",
    "server", "client", "schema", "index", "cache", "queue", "token", "branch", "merge", "test",
    "build", "report", "draft", "slide", "call", "notes", "plan", "sprint", "board", "weekly",
    "metric", "alert", "backup",
];

/// Rows per seeding statement.
const SEED_CHUNK: u64 = 250_000;

/// As in `history`: every `VERIFY_EVERY`th page is parsed and checked.
const VERIFY_EVERY: u64 = 8;

/// The route's default page size.
const PAGE: usize = 20;

struct Searcher {
    token: String,
    path: String,
    /// The page's ids as the table holds them, newest first.
    expected: Arc<Vec<i64>>,
    sent: u64,
}

impl Client for Searcher {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let response = conn.get(&self.path, Some(&self.token)).await?;
        response.expect(hyper::StatusCode::OK)?;
        self.sent += 1;
        if self.sent.is_multiple_of(VERIFY_EVERY) {
            let found: MessageIds =
                serde_json::from_slice(&response.body).context("search page")?;
            let ids: Vec<i64> = found.messages.iter().map(|m| m.id).collect();
            if ids != *self.expected {
                bail!("{} answered {ids:?}, not {:?}", self.path, self.expected);
            }
        }
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("search");
    let args = &bench.args;
    let db = bench.db()?;
    let (rooms, rows) = (args.search_rooms.max(1), args.search_rows);
    let reader = &bench.fixture.users[0];
    let author = bench.fixture.user(1).id;

    let (workspace, channels) = bench.fixture.own_workspace("search", rooms).await?;
    let list = id_list(&channels);

    let prelude = seeding_prelude(db).await?;
    eprintln!("search: seeding {rows} messages over {rooms} rooms");
    let seeding = Instant::now();
    let words = VOCABULARY
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(",");
    let vocabulary = VOCABULARY.len();
    // Six words per message, each drawn by a different multiplier so that
    // the combinations vary; the number makes every message's text unique.
    let drawn = [
        7919_u64,
        104_729,
        1_299_709,
        15_485_863,
        179_424_673,
        2_147_483_647,
    ]
    .iter()
    .map(|k| format!("(ARRAY[{words}])[1 + (g * {k}::bigint) % {vocabulary}]"))
    .collect::<Vec<_>>()
    .join(" || ' ' || ");
    insert_in_chunks(db, "search", &prelude, rows, SEED_CHUNK, |first, last| {
        format!(
            "INSERT INTO messages (channel_id, author_id, content, created_at, room_pos) \
             SELECT (ARRAY[{list}]::bigint[])[1 + g % {rooms}], {author}, \
                    'note ' || g || ' ' || {drawn} \
                    || CASE WHEN g % 10 = 0 THEN ' {COMMON}' ELSE '' END \
                    || CASE WHEN g % {RARE_EVERY} = 7 THEN ' {RARE}' ELSE '' END, \
                    now() - make_interval(secs => ({rows} - g) / 10.0), \
                    (g - 1) / {rooms} + 1 \
             FROM generate_series({first}, {last}) AS g"
        )
    })
    .await?;
    // Each room's post counter agrees with the positions just written: room
    // i (0-based) got messages g = i, i + rooms, … (g ≥ 1).
    db.run(&[format!(
        "UPDATE channels c SET posted = (SELECT count(*) FROM messages m WHERE m.room_id = c.id) \
         WHERE c.id = ANY(ARRAY[{list}]::bigint[])"
    )])
    .await?;
    let insert_seconds = seeding.elapsed().as_secs_f64();
    // Also merges the search index's pending entries, as autovacuum would.
    let vacuum_seconds = vacuum_messages(db).await?;

    for (kind, word, target) in [("selective", RARE, 20.0), ("common", COMMON, 50.0)] {
        // What the first page must be, read straight from the table.
        let expected = db
            .ids(&format!(
                "SELECT coalesce(string_agg(id::text, ',' ORDER BY id DESC), '') FROM \
                 (SELECT id FROM messages WHERE room_id = ANY(ARRAY[{list}]::bigint[]) \
                  AND deleted_at IS NULL \
                  AND to_tsvector('simple', content) @@ to_tsquery('simple', '{word}') \
                  ORDER BY id DESC LIMIT {PAGE}) p"
            ))
            .await
            .context("expected page")?;
        let matches = db
            .scalar(&format!(
                "SELECT count(*) FROM messages WHERE room_id = ANY(ARRAY[{list}]::bigint[]) \
                 AND to_tsvector('simple', content) @@ to_tsquery('simple', '{word}')"
            ))
            .await?;
        let expected = Arc::new(expected);
        let path = format!("/api/workspaces/{workspace}/search?q={word}");
        let searchers = || {
            (0..args.search_clients.max(1))
                .map(|_| Searcher {
                    token: reader.token.clone(),
                    path: path.clone(),
                    expected: Arc::clone(&expected),
                    sent: 0,
                })
                .collect::<Vec<_>>()
        };
        let runs = flat_out_then_paced(bench, searchers, args.search_rate).await?;
        let prefix = format!("{kind} word: ");
        let p99 = Goal::AtMost(target);
        runs.report_speed(&mut outcome, &prefix, "searches/s", Goal::Reported, p99);
        runs.report_failures(&mut outcome, format!("{prefix}failed or wrong pages"));
        outcome.detail(&format!("{kind}_word"), word);
        outcome.detail(&format!("{kind}_matches"), matches);
        runs.report_details(&mut outcome, &format!("{kind}_"));
    }
    outcome.figure("seeded messages", rows as f64, "", Goal::Reported, None);
    report_seeding(&mut outcome, insert_seconds, vacuum_seconds);
    outcome.detail("rooms", rooms);
    outcome.detail("clients", args.search_clients);
    outcome.detail("paced_rate", args.search_rate);
    Ok(outcome)
}
