//! `reactions`: 64 clients toggle reactions on one hot message as fast as
//! they are answered (`PUT` then `DELETE` of the same reaction, over and
//! over), then the message's counts are checked against what each client
//! did last.
//!
//! Target: ≥ 5,000 toggles/s, counts exact afterwards. Every toggle of one
//! message needs its room's lock and its row's; the store commits the
//! toggles that queue for them in batches, so the figure says how many one
//! commit carries and how cheaply a toggle reaches the queue.
//!
//! Each client owns one (user, emoji) pair: client `i` is user `i % users`
//! reacting with `:b{i / users}:`. Afterwards the message's summary must
//! agree with the stored reactions, and once every client adds its reaction
//! again, each emoji must count exactly the clients that use it.

use std::collections::HashMap;

use anyhow::{Context, bail};
use hyper::Method;
use serde::Deserialize;

use super::{Bench, Client, closed_loop};
use crate::api::messages_path;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

struct Toggler {
    token: String,
    path: String,
    /// Add next (else take back).
    on: bool,
}

impl Client for Toggler {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let method = if self.on { Method::PUT } else { Method::DELETE };
        let response = conn
            .send(method, &self.path, Some(&self.token), None)
            .await?;
        if response.status != 204 {
            bail!(
                "{} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
        self.on = !self.on;
        Ok(())
    }
}

#[derive(Deserialize)]
struct Created {
    id: i64,
}

#[derive(Deserialize)]
struct Reaction {
    emoji: String,
    count: u64,
}

#[derive(Deserialize)]
struct Message {
    id: i64,
    reactions: Vec<Reaction>,
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<Message>,
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("reactions");
    let args = &bench.args;
    let clients = args.clients;
    let users = bench.fixture.users.len();
    if clients > users * 20 {
        bail!("{clients} clients need more than 20 emoji per user: sign up more --users");
    }
    outcome.detail("clients", clients);

    let channel = bench.fixture.channels("reactions", 1).await?[0];
    let owner = &bench.fixture.users[0].token;
    let mut conn = Conn::open(&bench.target).await?;
    let message = conn
        .post(
            &messages_path(channel),
            Some(owner),
            r#"{"content":"react here"}"#,
        )
        .await?
        .json::<Created>(hyper::StatusCode::CREATED, "hot message")?
        .id;

    let togglers: Vec<Toggler> = (0..clients)
        .map(|i| Toggler {
            token: bench.fixture.user(i).token.clone(),
            path: format!("/api/messages/{message}/reactions/:b{}:", i / users),
            on: true,
        })
        .collect();
    let run = closed_loop(bench, togglers, args.warmup, args.duration).await?;
    let cpu = Some(run.cpu);
    outcome.figure(
        "toggles/s (one message)",
        run.rate(),
        "toggles/s",
        Goal::AtLeast(5_000.0),
        cpu,
    );
    outcome.figure(
        "failed toggles",
        run.failed as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );

    // The summary every reader sees must agree with the reactions stored,
    // whatever order the racing toggles committed in ...
    let disagreeing = match bench.db() {
        Ok(db) => db
            .scalar(&format!(
                "SELECT count(*) FROM ( \
                   SELECT r->>'emoji' AS emoji, (r->>'count')::bigint AS n \
                   FROM messages, jsonb_array_elements(reactions) r WHERE id = {message} \
                 ) shown FULL JOIN ( \
                   SELECT emoji, count(*) AS n FROM message_reactions \
                   WHERE message_id = {message} GROUP BY emoji \
                 ) stored USING (emoji) \
                 WHERE shown.n IS DISTINCT FROM stored.n"
            ))
            .await?
            .parse::<f64>()
            .context("summary check")?,
        Err(_) => f64::NAN,
    };
    outcome.figure(
        "emoji whose shown count differs from the stored reactions",
        disagreeing,
        "",
        Goal::Exactly(0.0),
        None,
    );
    // ... and once every client adds its reaction again, each emoji counts
    // exactly the clients that use it: no toggle was lost or doubled. (A new
    // connection: the first one sat idle past the server's keep-alive.)
    let mut conn = Conn::open(&bench.target).await?;
    let mut expected: HashMap<String, u64> = HashMap::new();
    for i in 0..clients {
        let token = &bench.fixture.user(i).token;
        let path = format!("/api/messages/{message}/reactions/:b{}:", i / users);
        let response = conn.send(Method::PUT, &path, Some(token), None).await?;
        if response.status != 204 {
            bail!("final toggle: {}", response.status);
        }
        *expected.entry(format!(":b{}:", i / users)).or_default() += 1;
    }
    let page: Page = conn
        .get(&format!("{}?limit=1", messages_path(channel)), Some(owner))
        .await?
        .json(hyper::StatusCode::OK, "the hot message")?;
    let shown = page
        .messages
        .into_iter()
        .find(|m| m.id == message)
        .context("the hot message is missing")?;
    let wrong = shown
        .reactions
        .iter()
        .filter(|r| expected.get(&r.emoji) != Some(&r.count))
        .count()
        + expected.len().saturating_sub(shown.reactions.len());
    outcome.figure(
        "emoji with a wrong count after every client re-adds",
        wrong as f64,
        "",
        Goal::Exactly(0.0),
        None,
    );
    Ok(outcome)
}
