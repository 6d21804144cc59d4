//! `/health`, `/ready` and `/api/openapi.json`.

use std::collections::BTreeSet;

use concord_tests::{assert_envelope, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;

    let (status, body) = app
        .send_raw(Method::GET, "/health", None, None, vec![])
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_answers_ok_while_the_database_is_up() {
    let app = spawn_app().await;

    let (status, body) = app
        .send_raw(Method::GET, "/ready", None, None, vec![])
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_answers_503_in_the_envelope_once_the_database_is_gone() {
    let app = spawn_app().await;
    let (status, _) = app
        .send_raw(Method::GET, "/ready", None, None, vec![])
        .await;
    assert_eq!(status, StatusCode::OK);

    app.drop_database();

    let (status, body) = app
        .send_raw(Method::GET, "/ready", None, None, vec![])
        .await;
    assert_envelope(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK, "the process still lives: {body}");
}

#[tokio::test]
async fn requests_answer_503_in_the_envelope_while_the_database_is_gone() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    app.drop_database();

    for (method, path, token, body) in [
        (
            Method::GET,
            "/api/workspaces/session",
            Some(&ada.token),
            None,
        ),
        (
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "ada@example.com", "password": "password1"})),
        ),
    ] {
        let (status, err) = app
            .call(method, path, token.map(String::as_str), body)
            .await;
        assert_envelope(status, &err, StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn once_the_database_is_known_down_requests_fail_in_milliseconds_not_the_pool_timeout() {
    use std::time::{Duration, Instant};

    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let general = app
        .get(&format!("/api/workspaces/{ws}/channels"), &ada.token)
        .await
        .1[0]["id"]
        .as_i64()
        .unwrap();
    let posts = format!("/api/channels/{general}/messages");
    app.send_message(&posts, &ada, "before").await;

    app.drop_database();
    // Readiness probes give up after a second or two: /ready answers first.
    let started = Instant::now();
    let (status, body) = app.call(Method::GET, "/ready", None, None).await;
    let ready = started.elapsed();
    assert_envelope(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready < Duration::from_secs(1), "/ready took {ready:?}");

    // The pool's timeout is 5 s; none of these may wait for it.
    let mut took_all = Vec::new();
    for round in 0..5 {
        for (method, path, body) in [
            (
                Method::POST,
                posts.as_str(),
                Some(json!({"content": format!("during {round}")})),
            ),
            (Method::GET, posts.as_str(), None),
            (Method::GET, "/api/workspaces/session", None),
            (Method::GET, "/ready", None),
        ] {
            let started = Instant::now();
            let (status, err) = app.call(method.clone(), path, Some(&ada.token), body).await;
            let took = started.elapsed();
            assert_envelope(status, &err, StatusCode::SERVICE_UNAVAILABLE);
            assert!(
                took < Duration::from_millis(500),
                "{method} {path} took {took:?}"
            );
            took_all.push(took);
        }
    }
    took_all.sort();
    eprintln!(
        "503s while the database is down: p50 {:?}, max {:?} (the first /ready: {ready:?})",
        took_all[took_all.len() / 2],
        took_all[took_all.len() - 1]
    );
}

/// `/api/workspaces/{workspaceId}` → `/api/workspaces/{}`.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let Some(paths) = doc["paths"].as_object() else {
        panic!("no paths: {doc}")
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                .map(move |method| (method.to_uppercase(), normalise(path)))
        })
        .collect()
}

#[tokio::test]
async fn the_openapi_document_describes_every_workspace_dialect_operation() {
    let app = spawn_app().await;

    let (status, doc) = app
        .send_raw(Method::GET, "/api/openapi.json", None, None, vec![])
        .await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let documented = operations(&doc);
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/ready"),
        ("GET", "/api/openapi.json"),
        ("POST", "/api/users"),
        ("GET", "/api/users/{}"),
        ("GET", "/api/session"),
        ("POST", "/api/session"),
        ("DELETE", "/api/session"),
        ("GET", "/api/workspaces/session"),
        ("POST", "/api/workspaces"),
        ("GET", "/api/workspaces/{}"),
        ("PUT", "/api/workspaces/{}"),
        ("DELETE", "/api/workspaces/{}"),
        ("POST", "/api/workspaces/{}/members"),
        ("DELETE", "/api/workspaces/{}/members/{}"),
        ("GET", "/api/workspaces/{}/channels"),
        ("POST", "/api/workspaces/{}/channels"),
        ("GET", "/api/channels/{}"),
        ("PUT", "/api/channels/{}"),
        ("DELETE", "/api/channels/{}"),
        ("POST", "/api/channels/{}/users"),
        ("DELETE", "/api/channels/{}/users"),
    ] {
        assert!(
            documented.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is not documented"
        );
    }
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "{}",
        doc["components"]
    );
}

#[tokio::test]
async fn every_documented_operation_is_actually_served() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;

    for (method, path) in operations(&doc) {
        // Ids are numbers; the console's files have names.
        let path = path
            .replace("/console/{}", "/console/main.js")
            .replace("{}", "1");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let res = app
            .request(method.clone(), &path, Some(&ada.token), Some(json!({})))
            .await;
        let status = res.status();
        // The console's page and files are not JSON.
        let body: Value =
            serde_json::from_slice(&res.bytes().await.expect("body")).unwrap_or(Value::Null);
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {body}"
        );
        assert!(
            !(status == StatusCode::NOT_FOUND && body["message"] == "Not found"),
            "{method} {path} is documented but not routed: {body}"
        );
    }
}
