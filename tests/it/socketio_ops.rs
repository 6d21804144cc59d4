//! Socket.IO operations (API.md section 6, `[socketio]`): cookie auth and
//! who it lets in, the limits on sessions, payloads, silent and slow
//! clients, and a polling session's `sid` on another node. Raw Engine.IO
//! long-polling over HTTP shows the status codes and packets the client
//! library would hide.

use std::time::Duration;

use concord_tests::eio::{Polling, handshake};
use concord_tests::node::Node;
use concord_tests::peer::{Peer, Peers};
use concord_tests::{TestApp, TestUser, channel_messages_path, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const AUTH_REQUIRED: &str = r#"44{"message":"Authentication required"}"#;
const TOO_MANY: &str = r#"44{"message":"Too many connections"}"#;
const UNKNOWN_SID: &str = r#"{"code":1,"message":"Session ID unknown"}"#;
const ALLOWED: &str = "https://chat.example.com";

fn connected(answer: &str) -> bool {
    answer.starts_with(r#"40{"sid":""#)
}

fn cookie(user: &TestUser) -> String {
    format!("theme=dark; concord_token={}", user.token)
}

/// Opens a session with `headers` and `query` and sends CONNECT with
/// `auth`: the answer packet.
async fn connect_with(
    app: &TestApp,
    query: &str,
    headers: &[(&str, &str)],
    auth: Option<Value>,
) -> String {
    let session = Polling::open(&app.address, query, headers).await;
    session.connect(auth.as_ref()).await
}

#[tokio::test]
async fn with_cookie_auth_on_a_cookie_counts_only_from_an_allowed_origin() {
    let app = spawn_app_with(&[
        ("CONCORD__SOCKETIO__COOKIE_AUTH", "true"),
        (
            "CONCORD__SOCKETIO__COOKIE_ORIGINS",
            "https://chat.example.com,http://localhost:5173",
        ),
    ])
    .await;
    let ada = app.sign_up("ada").await;
    let good = cookie(&ada);

    // Who may: a cookie from a listed origin (its case and a trailing
    // slash do not matter).
    for origin in [
        ALLOWED,
        "http://localhost:5173",
        "HTTPS://Chat.Example.com/",
    ] {
        let answer = connect_with(
            &app,
            "",
            &[("Origin", origin), ("Cookie", good.as_str())],
            None,
        )
        .await;
        assert!(connected(&answer), "{origin}: {answer}");
    }
    // Who may not: a foreign origin, none at all, a bad cookie.
    for headers in [
        vec![
            ("Origin", "https://evil.example"),
            ("Cookie", good.as_str()),
        ],
        vec![("Origin", "null"), ("Cookie", good.as_str())],
        vec![("Cookie", good.as_str())],
        vec![("Origin", ALLOWED), ("Cookie", "concord_token=forged")],
        vec![("Origin", ALLOWED)],
    ] {
        let answer = connect_with(&app, "", &headers, None).await;
        assert_eq!(answer, AUTH_REQUIRED, "{headers:?}");
    }
}

#[tokio::test]
async fn the_first_credentials_found_win_and_the_cookie_comes_last() {
    let app = spawn_app_with(&[
        ("CONCORD__SOCKETIO__COOKIE_AUTH", "true"),
        ("CONCORD__SOCKETIO__COOKIE_ORIGINS", ALLOWED),
    ])
    .await;
    let ada = app.sign_up("ada").await;
    let good = cookie(&ada);
    let with_cookie = [("Origin", ALLOWED), ("Cookie", good.as_str())];
    let bad_bearer = [
        ("Origin", ALLOWED),
        ("Cookie", good.as_str()),
        ("Authorization", "Bearer forged"),
    ];
    let bad_token = json!({"token": "forged"});
    // A bad token found before the good cookie is the one that counts.
    for (query, headers, auth) in [
        ("", &with_cookie[..], Some(bad_token.clone())),
        ("", &bad_bearer[..], None),
        ("&token=forged", &with_cookie[..], None),
    ] {
        let answer = connect_with(&app, query, headers, auth.clone()).await;
        assert_eq!(answer, AUTH_REQUIRED, "{query} {headers:?} {auth:?}");
    }
    // A good token first wins over a bad cookie from a foreign origin.
    let foreign = [
        ("Origin", "https://evil.example"),
        ("Cookie", "concord_token=forged"),
    ];
    let bearer = format!("Bearer {}", ada.token);
    let query = format!("&token={}", ada.token);
    for (query, headers, auth) in [
        ("", foreign.to_vec(), Some(json!({"token": ada.token}))),
        (
            "",
            [&foreign[..], &[("Authorization", bearer.as_str())]].concat(),
            None,
        ),
        (query.as_str(), foreign.to_vec(), None),
    ] {
        let answer = connect_with(&app, query, &headers, auth).await;
        assert!(connected(&answer), "{query} {headers:?}: {answer}");
    }
}

#[tokio::test]
async fn with_cookie_auth_off_a_cookie_alone_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let good = cookie(&ada);
    let answer = connect_with(
        &app,
        "",
        &[("Origin", ALLOWED), ("Cookie", good.as_str())],
        None,
    )
    .await;
    assert_eq!(answer, AUTH_REQUIRED);
    let bearer = format!("Bearer {}", ada.token);
    let answer = connect_with(&app, "", &[("Authorization", bearer.as_str())], None).await;
    assert!(connected(&answer), "{answer}");
}

/// Connects `user` on a new session, retrying while the node still counts
/// a socket that is going away; the session once connected.
async fn connect_eventually(app: &TestApp, user: &TestUser) -> Polling {
    for _ in 0..60 {
        let session = Polling::open(&app.address, "", &[]).await;
        let answer = session.connect(Some(&json!({"token": user.token}))).await;
        if connected(&answer) {
            return session;
        }
        assert_eq!(answer, TOO_MANY);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never got a socket back", user.username);
}

#[tokio::test]
async fn sockets_per_user_are_capped_and_given_back_when_they_go() {
    let app = spawn_app_with(&[("CONCORD__SOCKETIO__MAX_SESSIONS_PER_USER", "2")]).await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let as_ada = json!({"token": ada.token});
    let first = Polling::open(&app.address, "", &[]).await;
    assert!(connected(&first.connect(Some(&as_ada)).await));
    let second = Polling::open(&app.address, "", &[]).await;
    assert!(connected(&second.connect(Some(&as_ada)).await));
    let third = Polling::open(&app.address, "", &[]).await;
    assert_eq!(third.connect(Some(&as_ada)).await, TOO_MANY);
    // The cap is per user.
    let answer = connect_with(&app, "", &[], Some(json!({"token": bob.token}))).await;
    assert!(connected(&answer), "{answer}");

    // A Socket.IO DISCONNECT gives its place back...
    assert_eq!(first.post("41").await, (StatusCode::OK, "ok".to_owned()));
    let _replacement = connect_eventually(&app, &ada).await;
    assert_eq!(third.connect(Some(&as_ada)).await, TOO_MANY);
    // ...and so does the end of the Engine.IO session.
    assert_eq!(second.post("1").await, (StatusCode::OK, "ok".to_owned()));
    connect_eventually(&app, &ada).await;
}

#[tokio::test]
async fn sessions_per_address_are_capped_at_the_handshake() {
    let app = spawn_app_with(&[("CONCORD__SOCKETIO__MAX_SESSIONS_PER_ADDRESS", "2")]).await;
    let first = Polling::open(&app.address, "", &[]).await;
    let _second = Polling::open(&app.address, "", &[]).await;
    let refused = handshake(&app.address, "", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body,
        r#"{"code":4,"message":"Too many sessions from this address"}"#
    );
    // The rest of the API does not count against it.
    let res = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // A closed session gives its place back.
    assert_eq!(first.post("1").await, (StatusCode::OK, "ok".to_owned()));
    let mut reopened = None;
    for _ in 0..60 {
        let answer = handshake(&app.address, "", &[]).await;
        if answer.status == StatusCode::OK {
            reopened = Some(answer);
            break;
        }
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        reopened.is_some(),
        "the closed session's place never came back"
    );
}

#[tokio::test]
async fn a_post_over_max_payload_gets_413_and_ends_the_session() {
    let app = spawn_app_with(&[("CONCORD__SOCKETIO__MAX_PAYLOAD_BYTES", "2048")]).await;
    let session = Polling::open(&app.address, "", &[]).await;
    let within = format!("4{}", "x".repeat(2047));
    assert_eq!(
        session.post(within).await,
        (StatusCode::OK, "ok".to_owned())
    );
    let over = format!("4{}", "x".repeat(2048));
    let (status, _) = session.post(over).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        session.poll().await,
        (StatusCode::BAD_REQUEST, UNKNOWN_SID.to_owned())
    );
}

#[tokio::test]
async fn a_session_that_never_connects_is_closed_after_the_connect_timeout() {
    let app = spawn_app_with(&[
        ("CONCORD__SOCKETIO__CONNECT_TIMEOUT_MS", "300"),
        ("CONCORD__SOCKETIO__PING_INTERVAL_MS", "1500"),
    ])
    .await;
    let ada = app.sign_up("ada").await;
    let silent = Polling::open(&app.address, "", &[]).await;
    let patient = Polling::open(&app.address, "", &[]).await;
    assert!(connected(
        &patient.connect(Some(&json!({"token": ada.token}))).await
    ));
    // The silent one's waiting poll ends with `close`, well before the
    // first ping is due.
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), silent.poll())
        .await
        .expect("the silent session was closed in time");
    assert_eq!((status, body.as_str()), (StatusCode::OK, "1"));
    assert_eq!(
        silent.poll().await,
        (StatusCode::BAD_REQUEST, UNKNOWN_SID.to_owned())
    );
    // The one that connected in time is still there: its poll waits for
    // the ping.
    assert_eq!(patient.poll().await, (StatusCode::OK, "2".to_owned()));
}

#[tokio::test]
async fn polling_does_not_spend_the_http_rate_limit() {
    let app = spawn_app_with(&[
        ("CONCORD__RATE_LIMIT__USER_PER_SECOND", "1"),
        ("CONCORD__RATE_LIMIT__USER_BURST", "3"),
    ])
    .await;
    let ada = app.sign_up("ada").await;
    let bearer = format!("Bearer {}", ada.token);
    // Ten sessions, each a handshake, a POST and a poll with the token.
    for _ in 0..10 {
        let session = Polling::open(&app.address, "", &[("Authorization", bearer.as_str())]).await;
        assert!(connected(&session.connect(None).await));
    }
    // The user's whole burst is still there for the API, and then spent.
    for _ in 0..3 {
        let (status, body) = app.get("/api/workspaces/session", &ada.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_client_that_lets_its_queue_fill_is_closed_and_its_place_freed() {
    let app = spawn_app_with(&[
        ("CONCORD__SOCKETIO__QUEUE_CAPACITY", "2"),
        ("CONCORD__SOCKETIO__MAX_SESSIONS_PER_USER", "1"),
    ])
    .await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let slow = Polling::open(&app.address, "", &[]).await;
    assert!(connected(
        &slow
            .connect(Some(&json!({"token": team.guest.token})))
            .await
    ));
    // Three events for a queue of two, and no poll to take them.
    for n in 0..3 {
        app.send_message(
            &channel_messages_path(general),
            &team.owner,
            &format!("unread {n}"),
        )
        .await;
    }
    // Once the node closed it, the guest's one socket is free again, and
    // the slow session is gone rather than holding what it did not read.
    connect_eventually(&app, &team.guest).await;
    assert_eq!(
        slow.poll().await,
        (StatusCode::BAD_REQUEST, UNKNOWN_SID.to_owned())
    );
}

#[tokio::test]
async fn a_polling_sid_is_unknown_on_another_node_and_websocket_clients_use_any() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;
    let broker = [("CONCORD__REALTIME__BROKER", "postgres")];
    let node_a = Node::start(&app.db.url, &broker).await;
    let node_b = Node::start(&app.db.url, &broker).await;

    let on_a = Polling::open(&node_a.address, "", &[]).await;
    assert!(connected(
        &on_a.connect(Some(&json!({"token": owner.token}))).await
    ));
    let client = reqwest::Client::new();
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let res = client
            .request(method.clone(), on_a.url_on(&node_b.address))
            .body("40")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(res.text().await.unwrap(), UNKNOWN_SID, "{method}");
    }

    let event = format!("chat:{general}:messages");
    let clients = Peers::connect(
        &node_b.address,
        "/api/socket/io",
        &[Peer {
            name: "on_b",
            token: Some(owner.token.clone()),
            dialect: Some("workspace"),
            transports: Some(vec!["websocket"]),
            until: Some(event.clone()),
            ..Peer::default()
        }],
    )
    .await;
    let res = client
        .post(format!(
            "{}/api/channels/{general}/messages",
            node_a.address
        ))
        .bearer_auth(&owner.token)
        .json(&json!({"content": "posted on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let sent: Value = res.json().await.unwrap();
    let results = clients.results().await;
    assert_eq!(results["on_b"]["connected"], true, "{results}");
    // Each event is [name, message, offset]: the offset is recovery's.
    let events = results["on_b"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{results}");
    assert_eq!(events[0][0], json!(event), "{results}");
    assert_eq!(events[0][1], sent, "{results}");
}
