//! 429 with `Retry-After`: a signed-in user's request rate, and sign-in
//! attempts per client address and email.

use concord_tests::{TestApp, assert_error, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// A server whose limits are small enough to reach in a test: three
/// requests per user, and two sign-in attempts per address and email, with
/// refills far slower than the test.
async fn tight_app() -> TestApp {
    spawn_app_with(&[
        ("CONCORD__RATE_LIMIT__USER_PER_SECOND", "1"),
        ("CONCORD__RATE_LIMIT__USER_BURST", "3"),
        ("CONCORD__RATE_LIMIT__SIGN_IN_BURST", "2"),
        ("CONCORD__RATE_LIMIT__SIGN_IN_INTERVAL_SECS", "600"),
    ])
    .await
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After on {}", res.status()))
}

#[tokio::test]
async fn a_user_over_their_rate_gets_429_with_retry_after_and_others_are_served() {
    let app = tight_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    app.create_workspace(&ada, "Home").await;

    for _ in 0..2 {
        let (status, body) = app.get("/api/workspaces/session", &ada.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let res = app
        .request(
            Method::GET,
            "/api/workspaces/session",
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&res), 1);
    let body: Value = res.json().await.expect("JSON body");
    assert_error(
        StatusCode::TOO_MANY_REQUESTS,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
    );

    // the server dialect counts against the same user
    let (status, body) = app
        .post("/servers", &ada.token, json!({"name": "Second"}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, body) = app.get("/api/workspaces/session", &bob.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_refused_request_does_nothing() {
    let app = tight_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Home").await;
    for _ in 0..2 {
        app.get("/api/workspaces/session", &ada.token).await;
    }

    let (status, body) = app
        .post(
            "/api/workspaces",
            &ada.token,
            json!({"name": "Second", "description": "refused"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, list) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|w| w["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![ws]);
}

#[tokio::test]
async fn repeated_sign_ins_to_one_account_are_refused_even_with_the_right_password() {
    let app = tight_app().await;
    let ada = app.sign_up("ada").await;

    for _ in 0..2 {
        let (status, body) = app.log_in(&ada.email, "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let res = app
        .request(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": ada.email, "password": "password1"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=600).contains(&retry_after(&res)));
    let body: Value = res.json().await.expect("JSON body");
    assert_eq!(body["statusCode"], 429, "{body}");
    assert!(body.get("token").is_none(), "{body}");

    // another account from the same address is not held back
    let bob = app.sign_up("bob").await;
    let (status, body) = app.log_in(&bob.email, "password1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn one_address_trying_a_new_email_each_time_meets_the_address_limit() {
    let app = spawn_app_with(&[
        ("CONCORD__RATE_LIMIT__ADDRESS_BURST", "4"),
        ("CONCORD__RATE_LIMIT__ADDRESS_INTERVAL_SECS", "600"),
    ])
    .await;
    let ada = app.sign_up("ada").await;

    // Sign-ins and sign-ups share the address's bucket; ada's took one.
    for i in 0..2 {
        let (status, body) = app
            .log_in(&format!("nobody{i}@example.com"), "password1")
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    app.sign_up("bob").await;
    let res = app
        .request(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "nobody9@example.com", "password": "password1"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) > 1);
    let res = app
        .request(
            Method::POST,
            "/api/users",
            None,
            Some(
                json!({"username": "carl", "email": "carl@example.com", "password": "password1",
                "first_name": "Carl", "last_name": "C"}),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = res.json().await.expect("JSON body");
    assert_error(
        StatusCode::TOO_MANY_REQUESTS,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
    );
    let (status, _) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a signed-in user is not limited by it"
    );
}
