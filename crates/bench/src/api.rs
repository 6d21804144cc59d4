//! The few Concord REST calls the benchmark drives (workspace dialect, `/api`),
//! and the fixture every scenario starts from: a set of users, all members of
//! one workspace.

use anyhow::Context;
use bytes::Bytes;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::http::{Conn, Target};

/// The size of a benchmark message's content, in bytes: a typical chat line.
pub const CONTENT_BYTES: usize = 200;

/// Every benchmark user has this password, so `login` can reuse them.
const PASSWORD: &str = "bench-password-1";

/// A signed-up user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub token: String,
}

#[derive(Deserialize)]
struct Created {
    id: i64,
}

#[derive(Deserialize)]
struct WithToken {
    id: i64,
    token: String,
}

/// `POST /api/users`.
pub async fn sign_up(conn: &mut Conn, username: &str) -> anyhow::Result<User> {
    let email = format!("{username}@bench.invalid");
    let body = json!({
        "username": username, "email": email, "password": PASSWORD,
        "first_name": "Bench", "last_name": "User",
    });
    let created: WithToken = conn
        .post("/api/users", None, body.to_string())
        .await?
        .json(StatusCode::CREATED, "sign up")?;
    Ok(User {
        id: created.id,
        email,
        token: created.token,
    })
}

/// The body of `POST /api/session` for `user`, built once and reused.
pub fn login_body(user: &User) -> Bytes {
    Bytes::from(json!({ "email": user.email, "password": PASSWORD }).to_string())
}

/// A benchmark message: "bench {n}" padded to [`CONTENT_BYTES`]. The number
/// lets a subscriber match a delivery to the instant its post was sent.
pub fn content(n: u64) -> String {
    let mut content = format!("bench {n} ");
    let pad = CONTENT_BYTES.saturating_sub(content.len());
    content.extend(std::iter::repeat_n('x', pad));
    content
}

/// The `POST /api/channels/{channel}/messages` body for [`content`]`(n)`.
pub fn post_body(n: u64) -> Bytes {
    // The content is ASCII letters, digits and spaces: nothing to escape.
    Bytes::from(format!(r#"{{"content":"{}"}}"#, content(n)))
}

/// The number of a benchmark message, from its content (see [`post_body`]).
pub fn bench_number(content: &str) -> Option<u64> {
    let mut words = content.split(' ');
    (words.next()? == "bench")
        .then(|| words.next()?.parse().ok())
        .flatten()
}

/// The path messages are posted to and paged from.
pub fn messages_path(channel: i64) -> String {
    format!("/api/channels/{channel}/messages")
}

/// Users who all belong to one workspace. Scenarios create their own channels
/// in it, so each starts from an empty room and a `seq` of zero.
pub struct Fixture {
    pub target: Target,
    pub users: Vec<User>,
    pub workspace: i64,
    /// Unique to this run, so names never clash with an earlier run on the
    /// same database.
    pub tag: String,
}

impl Fixture {
    /// Signs up `users` users (at least one) and makes the first one the
    /// owner of a workspace the others join.
    pub async fn create(target: &Target, users: usize, tag: &str) -> anyhow::Result<Self> {
        // Sign-ups hash a password with the configured bcrypt cost (a quarter
        // of a second at cost 12), so they run side by side.
        let mut signups = tokio::task::JoinSet::new();
        for i in 0..users.max(1) {
            let (target, name) = (target.clone(), format!("b{tag}u{i}"));
            signups.spawn(async move {
                let mut conn = Conn::open(&target).await?;
                sign_up(&mut conn, &name).await.map(|u| (i, u))
            });
        }
        let mut signed_up = Vec::new();
        while let Some(done) = signups.join_next().await {
            signed_up.push(done??);
        }
        signed_up.sort_by_key(|(i, _)| *i);
        let users: Vec<User> = signed_up.into_iter().map(|(_, u)| u).collect();

        let mut conn = Conn::open(target).await?;
        let owner = &users[0].token;
        let body = json!({ "name": format!("bench {tag}"), "description": "concord-bench" });
        let workspace = conn
            .post("/api/workspaces", Some(owner), body.to_string())
            .await?
            .json::<Created>(StatusCode::CREATED, "create workspace")?
            .id;
        for user in &users[1..] {
            let body = json!({ "user_id": user.id }).to_string();
            let path = format!("/api/workspaces/{workspace}/members");
            let response = conn.post(&path, Some(owner), body).await?;
            response.json::<serde_json::Value>(StatusCode::CREATED, "add member")?;
        }
        Ok(Self {
            target: target.clone(),
            users,
            workspace,
            tag: tag.to_owned(),
        })
    }

    /// The `i`th user, round-robin: spreads clients and sockets over users.
    pub fn user(&self, i: usize) -> &User {
        &self.users[i % self.users.len()]
    }

    /// Creates a public channel named `{name}-{tag}` and returns its id.
    pub async fn channel(&self, conn: &mut Conn, name: &str) -> anyhow::Result<i64> {
        let body = json!({ "name": format!("{name}-{}", self.tag), "private": false });
        let path = format!("/api/workspaces/{}/channels", self.workspace);
        let created: Created = conn
            .post(&path, Some(&self.users[0].token), body.to_string())
            .await?
            .json(StatusCode::CREATED, "create channel")
            .with_context(|| format!("channel {name}"))?;
        Ok(created.id)
    }

    /// A workspace of the first user's own, `{kind} {tag}`, with `rooms`
    /// public channels named `{kind}-{i}`: what a scenario reads across a
    /// workspace then covers exactly these rooms (and its general channel,
    /// empty). Returns the workspace and the channels.
    pub async fn own_workspace(&self, kind: &str, rooms: usize) -> anyhow::Result<(i64, Vec<i64>)> {
        let owner = &self.users[0].token;
        let mut conn = Conn::open(&self.target).await?;
        let body = json!({
            "name": format!("{kind} {}", self.tag),
            "description": format!("concord-bench {kind}"),
        });
        let workspace = conn
            .post("/api/workspaces", Some(owner), body.to_string())
            .await?
            .json::<Created>(StatusCode::CREATED, "create workspace")?
            .id;
        let path = format!("/api/workspaces/{workspace}/channels");
        let mut channels = Vec::with_capacity(rooms);
        for i in 0..rooms {
            let body = json!({ "name": format!("{kind}-{i}"), "private": false });
            channels.push(
                conn.post(&path, Some(owner), body.to_string())
                    .await?
                    .json::<Created>(StatusCode::CREATED, "create channel")?
                    .id,
            );
        }
        Ok((workspace, channels))
    }

    /// Creates `count` channels named `{prefix}{i}`.
    pub async fn channels(&self, prefix: &str, count: usize) -> anyhow::Result<Vec<i64>> {
        let mut conn = Conn::open(&self.target).await?;
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            ids.push(self.channel(&mut conn, &format!("{prefix}{i}")).await?);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_body_is_json_with_a_numbered_content_of_the_set_size() {
        let body: serde_json::Value = serde_json::from_slice(&post_body(1234)).unwrap();
        let content = body["content"].as_str().unwrap();
        assert_eq!(content.len(), CONTENT_BYTES);
        assert_eq!(bench_number(content), Some(1234));
    }

    #[test]
    fn foreign_content_has_no_bench_number() {
        assert_eq!(bench_number("hello 12"), None);
        assert_eq!(bench_number("bench x"), None);
        assert_eq!(bench_number("bench"), None);
    }
}
