//! `unread`: a reader's unread summary of a workspace of `--unread-rooms`
//! channels (200 by default) with `--unread-depth` unread messages each
//! (10,000), through `GET /api/workspaces/{id}/unread`.
//!
//! Target: p99 ≤ 5 ms at 1,000 summaries/s. As in `history`, a closed loop
//! measures how many summaries the server can answer, then the same
//! clients paced to `--unread-rate` measure the latency at that load.
//!
//! The rooms are seeded straight in SQL: their messages (by another user,
//! so they count as unread), each with its `room_pos`, and each channel's
//! post counter. The reader has no marker in any of them, so every room
//! reports all its messages unread, which the scenario checks.

use std::time::Instant;

use anyhow::Context;
use serde::Deserialize;

use super::reads::{flat_out_then_paced, seeding_prelude};
use super::{Bench, Client};
use crate::db::id_list;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

#[derive(Deserialize)]
struct RoomUnread {
    unread: u64,
}

#[derive(Deserialize)]
struct Summary {
    rooms: Vec<RoomUnread>,
}

struct Reader {
    token: String,
    path: String,
}

impl Client for Reader {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let response = conn.get(&self.path, Some(&self.token)).await?;
        response.expect(hyper::StatusCode::OK)?;
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("unread");
    let args = &bench.args;
    let db = bench.db()?;
    let (rooms, depth) = (args.unread_rooms, args.unread_depth);
    let reader = &bench.fixture.users[0];
    let writer = bench.fixture.user(1);

    let (workspace, channels) = bench.fixture.own_workspace("unread", rooms).await?;

    eprintln!("unread: seeding {rooms} rooms × {depth} messages");
    let seeding = Instant::now();
    let list = id_list(&channels);
    let author = writer.id;
    let mut statements = seeding_prelude(db).await?;
    statements.extend([
        format!(
            "INSERT INTO messages (channel_id, author_id, content, room_pos) \
             SELECT c, {author}, 'unread ' || g, g \
             FROM unnest(ARRAY[{list}]::bigint[]) AS c, generate_series(1, {depth}) AS g"
        ),
        format!("UPDATE channels SET posted = {depth} WHERE id = ANY(ARRAY[{list}]::bigint[])"),
        "VACUUM (ANALYZE) messages".to_owned(),
    ]);
    db.run(&statements)
        .await
        .context("seeding the unread rooms")?;
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let path = format!("/api/workspaces/{workspace}/unread");
    // A connection opened after the seeding, which can outlast the
    // server's keep-alive.
    let mut conn = Conn::open(&bench.target).await?;
    let summary: Summary = conn
        .get(&path, Some(&reader.token))
        .await?
        .json(hyper::StatusCode::OK, "unread summary")?;
    let exact = summary.rooms.iter().filter(|r| r.unread == depth).count();

    let readers = || {
        (0..args.unread_clients.max(1))
            .map(|_| Reader {
                token: reader.token.clone(),
                path: path.clone(),
            })
            .collect::<Vec<_>>()
    };
    let runs = flat_out_then_paced(bench, readers, args.unread_rate).await?;
    let p99 = Goal::AtMost(5.0);
    runs.report_speed(&mut outcome, "", "summaries/s", Goal::Reported, p99);
    outcome.figure(
        "rooms counted exactly",
        exact as f64,
        "",
        Goal::Exactly(rooms as f64),
        None,
    );
    runs.report_failures(&mut outcome, "failed summaries");
    outcome.figure("seeding time", seed_seconds, "s", Goal::Reported, None);
    outcome.detail("rooms", rooms);
    outcome.detail("unread_per_room", depth);
    outcome.detail("clients", args.unread_clients);
    Ok(outcome)
}
