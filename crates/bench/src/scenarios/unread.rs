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

use anyhow::{Context, bail};
use serde::Deserialize;

use super::{Bench, Client, closed_loop, open_loop};
use crate::http::Conn;
use crate::report::{Goal, Outcome};

#[derive(Deserialize)]
struct Created {
    id: i64,
}

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
        if response.status != 200 {
            bail!(
                "{} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
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

    // A workspace of its own, so that the summary covers exactly these rooms
    // (and its general channel, empty).
    let mut conn = Conn::open(&bench.target).await?;
    let body = serde_json::json!({
        "name": format!("unread {}", bench.fixture.tag),
        "description": "concord-bench unread",
    });
    let workspace = conn
        .post("/api/workspaces", Some(&reader.token), body.to_string())
        .await?
        .json::<Created>(hyper::StatusCode::CREATED, "create workspace")?
        .id;
    let mut channels = Vec::with_capacity(rooms);
    for i in 0..rooms {
        let body = serde_json::json!({ "name": format!("unread-{i}"), "private": false });
        let path = format!("/api/workspaces/{workspace}/channels");
        channels.push(
            conn.post(&path, Some(&reader.token), body.to_string())
                .await?
                .json::<Created>(hyper::StatusCode::CREATED, "create channel")?
                .id,
        );
    }

    eprintln!("unread: seeding {rooms} rooms × {depth} messages");
    let seeding = Instant::now();
    let list = channels
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let author = writer.id;
    // As in `history`: a superuser may skip the per-row foreign-key checks.
    let superuser = db
        .scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .await?
        == "t";
    let prelude = if superuser {
        "SET session_replication_role = replica"
    } else {
        "SELECT 1"
    };
    db.run(&[
        prelude.to_owned(),
        format!(
            "INSERT INTO messages (channel_id, author_id, content, room_pos) \
             SELECT c, {author}, 'unread ' || g, g \
             FROM unnest(ARRAY[{list}]::bigint[]) AS c, generate_series(1, {depth}) AS g"
        ),
        format!("UPDATE channels SET posted = {depth} WHERE id = ANY(ARRAY[{list}]::bigint[])"),
        "VACUUM (ANALYZE) messages".to_owned(),
    ])
    .await
    .context("seeding the unread rooms")?;
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let path = format!("/api/workspaces/{workspace}/unread");
    // A new connection: the first one sat idle past the server's keep-alive
    // while the rooms were seeded.
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
    let mut saturated = closed_loop(bench, readers(), args.warmup, args.duration).await?;
    let rate = args.unread_rate;
    let mut paced = open_loop(bench, readers(), rate, args.warmup, args.duration).await?;
    let at_rate = std::mem::take(&mut paced.latencies).summary();
    let flat_out = std::mem::take(&mut saturated.latencies).summary();
    let (cpu, paced_cpu) = (Some(saturated.cpu), Some(paced.cpu));
    outcome.figure(
        "summaries/s",
        saturated.rate(),
        "summaries/s",
        Goal::Reported,
        cpu,
    );
    outcome.figure(
        format!("p99 latency at {rate:.0} summaries/s"),
        at_rate.p99(),
        "ms",
        Goal::AtMost(5.0),
        paced_cpu,
    );
    outcome.figure(
        format!("p50 latency at {rate:.0} summaries/s"),
        at_rate.p50(),
        "ms",
        Goal::Reported,
        paced_cpu,
    );
    outcome.figure(
        format!("summaries/s answered at {rate:.0} summaries/s"),
        paced.rate(),
        "summaries/s",
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
        "rooms counted exactly",
        exact as f64,
        "",
        Goal::Exactly(rooms as f64),
        None,
    );
    outcome.figure(
        "failed summaries",
        (saturated.failed + paced.failed) as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    outcome.figure("seeding time", seed_seconds, "s", Goal::Reported, None);
    outcome.detail("rooms", rooms);
    outcome.detail("unread_per_room", depth);
    outcome.detail("clients", args.unread_clients);
    Ok(outcome)
}
