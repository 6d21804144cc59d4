//! The test harness: a fresh database per test, Concord spawned on a free
//! port against it, and an HTTP client that speaks its API.
#![expect(
    clippy::expect_used,
    reason = "a failed setup step must fail the test loudly"
)]

mod db;
pub mod eio;
mod json;
pub mod node;
pub mod peer;
pub mod server;
pub mod ws;

use std::sync::Once;

use concord_api::{Application, Settings};
pub use db::TestDb;
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
pub use json::{id_of, ids_of, keys_of};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Server logs, quiet unless `TEST_LOG` is set (then `RUST_LOG` filters them).
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .init();
        }
    });
}

/// Settings for a test server on a free port against `db`: a single node
/// unless `extra` names a broker.
pub fn test_settings(db: &TestDb, extra: &[(&str, &str)]) -> Settings {
    let mut vars: Vec<(String, String)> = [
        ("CONCORD__SERVER__PORT", "0"),
        ("CONCORD__SERVER__WORKERS", "2"),
        ("CONCORD__AUTH__BCRYPT_COST", "4"),
        ("CONCORD__DATABASE__POOL_SIZE", "8"),
        ("CONCORD__REALTIME__BROKER", "local"),
        // Tests that read metrics run `concord` as a process of its own.
        ("CONCORD__METRICS__ENABLED", "false"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    vars.push(("CONCORD__DATABASE__URL".to_owned(), db.url.clone()));
    Settings::from_env(vars).expect("test settings")
}

/// A running Concord with its own database. Dropping it stops the server
/// (its worker threads would otherwise outlive the test) and then drops the
/// database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    server: concord_api::startup::StopHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; there is nothing to wait for here.
        drop(self.server.stop(false));
    }
}

/// Start Concord on a free port with a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// As [`spawn_app`], with settings overridden by `CONCORD__...` pairs.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    init_tracing();
    let db = TestDb::new();
    let settings = test_settings(&db, extra);
    // The server runs in an actix system of its own, on its own thread, so
    // that stopping it does not depend on the test's runtime still being
    // polled, and its workers end with it.
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(&settings).expect("build app");
            ready
                .send((app.port(), app.handle()))
                .expect("report the port");
            app.run_until_stopped().await
        })
    });
    let (port, server) = started.recv().expect("the server thread started");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        db,
        server,
    }
}

/// A signed-up user: their id and bearer token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub token: String,
    pub username: String,
    pub email: String,
}

impl TestApp {
    /// Send `method path` with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request failed")
    }

    /// As [`TestApp::request`], returning the status and the JSON body
    /// (`Value::Null` for an empty one).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let res = self.request(method, path, token, body).await;
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Sign up `name` (username `name`, email `name@example.com`, password `password1`).
    pub async fn sign_up(&self, name: &str) -> TestUser {
        let email = format!("{name}@example.com");
        let (status, body) = self
            .call(
                Method::POST,
                "/api/users",
                None,
                Some(json!({"username": name, "email": email, "password": "password1", "first_name": name, "last_name": "Tester"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign up {name}: {body}");
        TestUser {
            id: body["id"].as_i64().expect("id"),
            token: body["token"].as_str().expect("token").to_owned(),
            username: name.to_owned(),
            email,
        }
    }

    /// `POST /api/session` with `email` and `password`: the status and body.
    pub async fn log_in(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Create a workspace owned by `owner`; returns its id.
    pub async fn create_workspace(&self, owner: &TestUser, name: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/workspaces",
                &owner.token,
                json!({"name": name, "description": "test"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("workspace id")
    }

    /// Add `user` to workspace `ws` as a guest, acting as `by`.
    pub async fn add_member(&self, ws: i64, by: &TestUser, user: &TestUser) {
        let (status, body) = self
            .post(
                &format!("/api/workspaces/{ws}/members"),
                &by.token,
                json!({"user_id": user.id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    /// A second guest of `team`'s workspace, "guest2", added by its owner.
    pub async fn another_guest(&self, team: &Team) -> TestUser {
        let guest = self.sign_up("guest2").await;
        self.add_member(team.ws, &team.owner, &guest).await;
        guest
    }

    /// Remove `user` from workspace `ws`, acting as `by`; the removal must succeed.
    pub async fn remove_member(&self, ws: i64, by: &TestUser, user: &TestUser) {
        let (status, body) = self
            .delete(
                &format!("/api/workspaces/{ws}/members/{}", user.id),
                &by.token,
            )
            .await;
        assert!(status.is_success(), "{status}: {body}");
    }

    /// Create a channel in `ws` as `by`; returns its id.
    pub async fn create_channel(&self, ws: i64, by: &TestUser, name: &str, private: bool) -> i64 {
        let (status, body) = self
            .post(
                &format!("/api/workspaces/{ws}/channels"),
                &by.token,
                json!({"name": name, "private": private}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("channel id")
    }

    /// The id of `ws`'s `general` channel, as `user` lists it.
    pub async fn general_channel(&self, ws: i64, user: &TestUser) -> i64 {
        let (status, list) = self
            .get(&format!("/api/workspaces/{ws}/channels"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list.as_array()
            .unwrap_or_else(|| panic!("not an array: {list}"))
            .iter()
            .find(|c| c["name"] == "general")
            .map(id_of)
            .unwrap_or_else(|| panic!("no general channel: {list}"))
    }

    /// `GET /api/workspaces/{ws}` as `viewer`: the workspace with its members
    /// (200 asserted).
    pub async fn workspace(&self, ws: i64, viewer: &TestUser) -> Value {
        let (status, details) = self
            .get(&format!("/api/workspaces/{ws}"), &viewer.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{details}");
        details
    }

    /// Give `user` `role` in `ws` directly in the database (the server
    /// dialect's role endpoint arrives with it).
    pub fn set_role(&self, ws: i64, user: &TestUser, role: &str) {
        let mut conn = PgConnection::establish(&self.db.url).expect("connect");
        let n = diesel::sql_query(format!(
            "UPDATE memberships SET role = '{role}' WHERE workspace_id = {ws} AND user_id = {}",
            user.id
        ))
        .execute(&mut conn)
        .expect("set role");
        assert_eq!(n, 1, "user {} is not a member of {ws}", user.id);
    }
}

/// Asserts the contract's error envelope with `status`.
pub fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, message: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert_eq!(body["statusCode"], expected.as_u16(), "{body}");
    assert!(body["errors"].is_array(), "{body}");
}

/// A workspace with one member of every role, and a signed-up user outside it.
pub struct Team {
    pub ws: i64,
    pub owner: TestUser,
    pub admin: TestUser,
    pub moderator: TestUser,
    pub guest: TestUser,
    pub outsider: TestUser,
}

impl Team {
    /// Signs up `name` and adds them to the team's workspace with `role`.
    pub async fn recruit(&self, app: &TestApp, name: &str, role: &str) -> TestUser {
        let user = app.sign_up(name).await;
        app.add_member(self.ws, &self.owner, &user).await;
        app.set_role(self.ws, &user, role);
        user
    }
}

/// The workspace role of `user` in workspace details (see
/// [`TestApp::workspace`]), or `None` if they are not listed.
pub fn workspace_role(details: &Value, user: &TestUser) -> Option<String> {
    details["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members: {details}"))
        .iter()
        .find(|m| m["id"] == user.id)
        .map(|m| {
            m["role"]
                .as_str()
                .unwrap_or_else(|| panic!("no role: {m}"))
                .to_owned()
        })
}

impl TestApp {
    /// Sign up `owner`, `admin`, `moderator`, `guest` and `outsider`; the owner
    /// creates a workspace and the next three join it with their roles.
    pub async fn team(&self) -> Team {
        let owner = self.sign_up("owner").await;
        let admin = self.sign_up("admin").await;
        let moderator = self.sign_up("moderator").await;
        let guest = self.sign_up("guest").await;
        let outsider = self.sign_up("outsider").await;
        let ws = self.create_workspace(&owner, "Team").await;
        for user in [&admin, &moderator, &guest] {
            self.add_member(ws, &owner, user).await;
        }
        self.set_role(ws, &admin, "admin");
        self.set_role(ws, &moderator, "moderator");
        Team {
            ws,
            owner,
            admin,
            moderator,
            guest,
            outsider,
        }
    }

    /// A [`Team`] and the messages path of a public channel "random" its
    /// owner created.
    pub async fn team_with_channel(&self) -> (Team, String) {
        let team = self.team().await;
        let channel = self
            .create_channel(team.ws, &team.owner, "random", false)
            .await;
        (team, channel_messages_path(channel))
    }

    /// Send raw bytes with an optional `Content-Type` and bearer token. Any
    /// non-empty answer must be JSON (`Content-Type: application/json`); it is
    /// returned parsed (`Value::Null` for an empty body).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        let res = req.send().await.expect("request failed");
        let status = res.status();
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = res.bytes().await.expect("body");
        if bytes.is_empty() {
            return (status, Value::Null);
        }
        assert!(
            content_type.starts_with("application/json"),
            "{status} answered with Content-Type {content_type:?}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)));
        (status, json)
    }

    /// Drop this test's database out from under the running server
    /// (`DROP DATABASE ... WITH (FORCE)`), as an outage would.
    pub fn drop_database(&self) {
        let mut admin = PgConnection::establish(&format!("{}/postgres", self.db.server))
            .expect("connect to the maintenance database");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.db.name
        ))
        .execute(&mut admin)
        .expect("drop test database");
    }

    /// Delete `user`'s row directly in the database (there is no account
    /// deletion endpoint); their token stays validly signed.
    pub fn delete_user_row(&self, user: &TestUser) {
        let mut conn = PgConnection::establish(&self.db.url).expect("connect");
        let n = diesel::sql_query(format!("DELETE FROM users WHERE id = {}", user.id))
            .execute(&mut conn)
            .expect("delete user");
        assert_eq!(n, 1, "user {} does not exist", user.id);
    }

    /// An HS256 token over `claims`, signed with the secret this server uses.
    pub fn sign_token(&self, claims: &Value) -> String {
        let secret = test_settings(&self.db, &[]).auth.jwt_secret;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign token")
    }
}

/// Asserts the contract's error envelope with `status`, whatever its message.
pub fn assert_envelope(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["statusCode"], expected.as_u16(), "{body}");
    assert!(body["errors"].is_array(), "{body}");
}

/// Messaging helpers: conversations, messages and `Idempotency-Key` sends.
impl TestApp {
    /// Start a conversation in `ws` of `by` and `users` with `topic`; returns
    /// its JSON (201 asserted).
    pub async fn create_direct_message(
        &self,
        ws: i64,
        by: &TestUser,
        users: &[&TestUser],
        topic: &str,
    ) -> Value {
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let (status, body) = self
            .post(
                &format!("/api/workspaces/{ws}/direct_messages"),
                &by.token,
                json!({"users": ids, "topic": topic}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Post `content` to `messages_path` (`/api/channels/{id}/messages` or
    /// `/api/direct_messages/{id}/messages`) as `by`; returns the message JSON
    /// (201 asserted).
    pub async fn send_message(&self, messages_path: &str, by: &TestUser, content: &str) -> Value {
        let (status, body) = self
            .post(messages_path, &by.token, json!({"content": content}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Posts `content` to `channel` as `by` on the node at `address` (another
    /// server on this app's database) rather than on this app; returns the
    /// message (201 asserted).
    pub async fn send_message_on(
        &self,
        address: &str,
        channel: i64,
        by: &TestUser,
        content: &str,
    ) -> Value {
        let res = self
            .client
            .post(format!("{address}{}", channel_messages_path(channel)))
            .bearer_auth(&by.token)
            .json(&json!({"content": content}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// `PUT message_path` with `content` as `by`; returns the edited message
    /// (200 asserted).
    pub async fn edit_message(&self, message_path: &str, by: &TestUser, content: &str) -> Value {
        let (status, body) = self
            .put(message_path, &by.token, json!({"content": content}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// `DELETE message_path` as `by` (200 asserted).
    pub async fn delete_message(&self, message_path: &str, by: &TestUser) {
        let (status, body) = self.delete(message_path, &by.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Every message of the room whose messages live at `messages_path`, as
    /// `user` sees them, newest first.
    pub async fn history(&self, messages_path: &str, user: &TestUser) -> Vec<Value> {
        let (status, page) = self
            .get(&format!("{messages_path}?limit=100"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("no messages: {page}"))
            .clone()
    }

    /// Message `id` as `user` reads it in the history at `messages_path`.
    pub async fn message_in(&self, messages_path: &str, user: &TestUser, id: i64) -> Value {
        self.history(messages_path, user)
            .await
            .into_iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("message {id} is not in the history of {messages_path}"))
    }

    /// `POST path` with `body`, a bearer token and an `Idempotency-Key` header.
    pub async fn post_with_key(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("request failed");
        let status = res.status();
        let body = res.json().await.expect("JSON body");
        (status, body)
    }
}

/// What a deleted message shows instead of its content, in both dialects.
pub const TOMBSTONE: &str = "This message has been deleted.";

/// `/api/channels/{channel}/messages`.
pub fn channel_messages_path(channel: i64) -> String {
    format!("/api/channels/{channel}/messages")
}

/// `/api/channels/{channel}/messages/{message}`.
pub fn channel_message_path(channel: i64, message: i64) -> String {
    format!("/api/channels/{channel}/messages/{message}")
}

/// `/api/direct_messages/{dm}/messages`.
pub fn dm_messages_path(dm: i64) -> String {
    format!("/api/direct_messages/{dm}/messages")
}

/// `/api/direct_messages/{dm}/messages/{message}`.
pub fn dm_message_path(dm: i64, message: i64) -> String {
    format!("/api/direct_messages/{dm}/messages/{message}")
}

/// Seconds since the epoch, for token claims.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The fields of a message in the workspace dialect, sorted.
pub const MESSAGE_FIELDS: [&str; 13] = [
    "attachment_id",
    "channel_id",
    "content",
    "deleted",
    "direct_message_id",
    "edited_at",
    "id",
    "mentions",
    "parent_id",
    "pinned",
    "reactions",
    "timestamp",
    "user_id",
];

/// Asserts `message` has exactly the workspace dialect's message fields and
/// an RFC 3339 UTC `timestamp` (`2023-04-25T10:15:30Z`).
pub fn assert_message_shape(message: &Value) {
    assert_eq!(keys_of(message), MESSAGE_FIELDS, "{message}");
    assert!(message["id"].as_i64().is_some_and(|id| id > 0), "{message}");
    assert_rfc3339_utc(&message["timestamp"]);
    assert!(message["deleted"].is_boolean(), "{message}");
}

/// Asserts `value` is an RFC 3339 timestamp in UTC with a `Z`.
pub fn assert_rfc3339_utc(value: &Value) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp string: {value}"));
    assert!(s.ends_with('Z'), "not UTC with a Z: {s}");
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("not RFC 3339: {s}: {e}"));
}
