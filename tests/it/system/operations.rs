//! The operator's side of the binary: `concord migrate`, `concord
//! check-config`, one clear line for a bad setting, and JSON logs that carry
//! request ids and never a secret.

use std::process::Output;

use concord_tests::TestDb;
use concord_tests::node::{Node, binary};
use concord_tests::ws::WsClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Runs `concord args...` with only `env` (plus PATH) in its environment.
async fn concord(args: &[&str], env: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run concord")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn migrate_applies_every_migration_once_and_then_has_nothing_to_do() {
    let db = TestDb::empty();
    let env = [("DATABASE_URL", db.url.as_str())];

    let first = concord(&["migrate"], &env).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let applied = text(&first.stdout);
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(
        applied
            .lines()
            .filter(|l| l.starts_with("applied migration "))
            .count(),
        migrations,
        "{applied}"
    );

    let again = concord(&["migrate"], &env).await;
    assert!(again.status.success());
    assert_eq!(text(&again.stdout).trim(), "the database is up to date");

    // A server started on the migrated database has nothing left to do.
    let node = Node::start(&db.url, &[]).await;
    let res = reqwest::get(format!("{}/ready", node.address))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn check_config_prints_the_effective_settings_with_secrets_masked() {
    let db = TestDb::new();
    let url_with_password = db.url.replacen("://postgres@", "://postgres:hunter2@", 1);
    let secret = "a-production-secret-that-signs-every-token";
    let out = concord(
        &["check-config"],
        &[
            ("DATABASE_URL", url_with_password.as_str()),
            ("CONCORD__AUTH__JWT_SECRET", secret),
            ("CONCORD__SERVER__PORT", "9123"),
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("server.port = 9123"), "{stdout}");
    assert!(stdout.contains("auth.jwt_secret = \"***\""), "{stdout}");
    assert!(stdout.contains("postgres:***@"), "{stdout}");
    assert!(
        !stdout.contains("hunter2") && !stdout.contains(secret),
        "{stdout}"
    );
    assert!(stdout.contains("configuration OK"), "{stdout}");
    for line in [
        "socketio.ping_interval_ms = 25000",
        "socketio.ping_timeout_ms = 20000",
        "socketio.max_payload_bytes = 1000000",
        "socketio.connect_timeout_ms = 45000",
        "socketio.queue_capacity = 1024",
        "socketio.max_sessions_per_user = 0",
        "socketio.max_sessions_per_address = 0",
        "socketio.cookie_auth = false",
        "socketio.cookie_origins = []",
    ] {
        assert!(stdout.contains(line), "{line} missing:\n{stdout}");
    }
}

/// A bad setting stops the binary with one line on stderr that names the
/// key, and no panic or backtrace.
#[tokio::test]
async fn a_bad_setting_is_one_line_naming_its_key() {
    let db = TestDb::new();
    let database = ("DATABASE_URL", db.url.as_str());
    for (args, env, key, code) in [
        (
            &[][..],
            vec![database, ("CONCORD__SERVER__PORT", "eighty")],
            "server.port",
            2,
        ),
        (
            &["check-config"][..],
            vec![database, ("CONCORD__SERVER__PORT", "eighty")],
            "server.port",
            2,
        ),
        (
            &[][..],
            vec![database, ("CONCORD__SERVER__ENVIRONMENT", "production")],
            "auth.jwt_secret",
            2,
        ),
        (
            &[][..],
            vec![
                database,
                ("CONCORD__SERVER__ENVIRONMENT", "production"),
                (
                    "CONCORD__AUTH__JWT_SECRET",
                    "a-production-secret-that-signs-every-token",
                ),
                ("CONCORD__REALTIME__BROKER", "redis"),
                ("CONCORD__REALTIME__REDIS_URL", "redis://127.0.0.1:1"),
            ],
            "realtime.redis_url",
            1,
        ),
        (
            &["check-config"][..],
            vec![
                database,
                ("CONCORD__REALTIME__BROKER", "redis"),
                ("CONCORD__REALTIME__REDIS_URL", "redis://127.0.0.1:1"),
            ],
            "realtime.redis_url",
            1,
        ),
        (
            &["check-config"][..],
            vec![database, ("CONCORD__SOCKETIO__COOKIE_AUTH", "true")],
            "socketio.cookie_origins",
            2,
        ),
        (
            &[][..],
            vec![database, ("CONCORD__SOCKETIO__PING_INTERVAL_MS", "5")],
            "socketio.ping_interval_ms",
            2,
        ),
        (
            &["migrate"][..],
            vec![("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere")],
            "database.url",
            1,
        ),
    ] {
        let out = concord(args, &env).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("concord: "), "{stderr}");
        assert!(stderr.contains(key), "{key} not named: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn json_logs_carry_request_ids_and_never_a_secret() {
    let db = TestDb::new();
    let secret = "a-production-secret-that-signs-every-token";
    let node = Node::start(
        &db.url,
        &[
            ("CONCORD__LOG__FORMAT", "json"),
            // Everything Concord and its libraries say, access lines included.
            ("RUST_LOG", "debug"),
            ("CONCORD__AUTH__JWT_SECRET", secret),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let password = "correct-horse-battery-staple";
    let res = client
        .post(format!("{}/api/users", node.address))
        .json(&json!({
            "username": "logged", "email": "logged@example.com", "password": password,
            "first_name": "Log", "last_name": "Ged"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = client
        .post(format!("{}/api/session", node.address))
        .json(&json!({"email": "logged@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let session: Value = res.json().await.unwrap();
    let token = session["token"].as_str().expect("a token").to_owned();
    for _ in 0..3 {
        let res = client
            .get(format!("{}/api/session", node.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // A bad password and a forged token are logged as what they are, not as
    // what they said.
    client
        .post(format!("{}/api/session", node.address))
        .json(&json!({"email": "logged@example.com", "password": "wrong-password-123"}))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}/api/session?token={token}", node.address))
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    let (mut ws, _) = WsClient::identified(&node.address, &token, "workspace").await;
    ws.send(json!({"op": "ping"})).await;
    ws.recv().await;

    let lines = node.stop().await;
    assert!(lines.len() > 5, "{lines:?}");
    let mut with_request_id = 0;
    for line in &lines {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            entry["level"].is_string() && entry["timestamp"].is_string(),
            "{line}"
        );
        for secret in [password, "wrong-password-123", secret, token.as_str()] {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
        if let Some(spans) = entry["spans"].as_array()
            && spans.iter().any(|s| s["name"] == "HTTP request")
        {
            let id = spans
                .iter()
                .find_map(|s| s["request_id"].as_str())
                .unwrap_or_default();
            assert_eq!(id.len(), 36, "every line of a request has its id: {line}");
            with_request_id += 1;
        }
    }
    assert!(
        with_request_id >= 6,
        "an access line per request, each with its id: {lines:#?}"
    );
}
