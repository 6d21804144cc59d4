//! The test harness: a fresh database per test, Concord spawned on a free
//! port against it, and an HTTP client that speaks its API.
#![expect(
    clippy::expect_used,
    reason = "a failed setup step must fail the test loudly"
)]

use std::sync::Once;

use concord_api::{Application, Settings};
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use rand::Rng;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// The server tests create their databases on: `DATABASE_URL`'s server (as
/// `make test` exports it), else the conventional local one.
fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    concord_adapters::postgres::split_database_url(&url)
        .map(|(server, _)| server)
        .unwrap_or(url)
}

/// A database created for one test and dropped (forcefully) when it ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
    server: String,
}

impl TestDb {
    pub fn new() -> Self {
        let server = server_url();
        let suffix: String = rand::rng()
            .sample_iter(&rand::distr::Alphanumeric)
            .take(12)
            .map(char::from)
            .collect();
        let name = format!("concord_test_{}", suffix.to_lowercase());
        let mut admin =
            PgConnection::establish(&format!("{server}/postgres")).unwrap_or_else(|e| {
                panic!("cannot reach Postgres at {server} (set DATABASE_URL): {e}")
            });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create test database");
        Self {
            url: format!("{server}/{name}"),
            name,
            server,
        }
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", self.server)) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

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

/// Settings for a test server on a free port against `db`.
pub fn test_settings(db: &TestDb) -> Settings {
    Settings::from_env([
        ("CONCORD__SERVER__PORT".to_owned(), "0".to_owned()),
        ("CONCORD__SERVER__WORKERS".to_owned(), "2".to_owned()),
        ("CONCORD__AUTH__BCRYPT_COST".to_owned(), "4".to_owned()),
        ("CONCORD__DATABASE__POOL_SIZE".to_owned(), "8".to_owned()),
        ("CONCORD__DATABASE__URL".to_owned(), db.url.clone()),
    ])
    .expect("test settings")
}

/// A running Concord with its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

/// Start Concord on a free port with a fresh database.
pub async fn spawn_app() -> TestApp {
    init_tracing();
    let db = TestDb::new();
    let app = Application::build(&test_settings(&db)).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
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
