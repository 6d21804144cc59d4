//! The handshake, subscriptions and event frames of API.md section 5.

use std::time::{Duration, Instant};

use concord_tests::ws::{WsClient, messages_topic};
use concord_tests::{channel_messages_path, now, spawn_app, spawn_app_with};
use serde_json::json;

use super::{assert_alive, assert_error_frame};

/// Close codes of the gateway.
const UNAUTHENTICATED: u16 = 4001;
const HEARTBEAT_TIMEOUT: u16 = 4000;

#[tokio::test]
async fn a_subscriber_sees_a_message_posted_over_http() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;

    let (mut client, ready) = WsClient::identified(&app.address, &owner.token, "workspace").await;
    assert_eq!(ready["user_id"], owner.id);
    let seq = client.subscribe_ok(&messages_topic(general)).await;
    let sent = app
        .send_message(&channel_messages_path(general), &owner, "hello gateway")
        .await;

    let event = client.event().await;
    assert_eq!(event["topic"], messages_topic(general));
    assert_eq!(event["type"], "message.created");
    assert_eq!(event["seq"], seq + 1);
    assert_eq!(event["data"], sent);
}

// --- hello and identify ---

#[tokio::test]
async fn hello_announces_the_configured_heartbeat_interval() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__HEARTBEAT_INTERVAL_MS", "1234")]).await;

    let client = WsClient::connect(&app.address).await;

    assert_eq!(client.hello["op"], "hello", "{}", client.hello);
    assert_eq!(
        client.hello["heartbeat_interval_ms"], 1234,
        "{}",
        client.hello
    );
}

#[tokio::test]
async fn identify_answers_ready_with_the_user_and_a_fresh_session_id() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (_first, ready) = WsClient::identified(&app.address, &ada.token, "workspace").await;
    let (_second, again) = WsClient::identified(&app.address, &ada.token, "server").await;

    assert_eq!(ready["op"], "ready", "{ready}");
    assert_eq!(ready["user_id"], ada.id, "{ready}");
    let session = ready["session_id"]
        .as_str()
        .unwrap_or_else(|| panic!("session_id is not a string: {ready}"));
    assert!(!session.is_empty(), "{ready}");
    assert_eq!(again["user_id"], ada.id, "{again}");
    assert_ne!(again["session_id"], ready["session_id"], "{again}");
}

#[tokio::test]
async fn a_bearer_token_on_the_upgrade_is_ready_right_after_hello() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let general = app.general_channel(ws, &ada).await;

    let mut client = WsClient::connect_with_token(&app.address, &ada.token, "").await;

    let ready = client.recv().await;
    assert_eq!(ready["op"], "ready", "{ready}");
    assert_eq!(ready["user_id"], ada.id, "{ready}");
    assert!(ready["session_id"].is_string(), "{ready}");
    // identified already: subscribing works without an identify frame
    client.subscribe_ok(&messages_topic(general)).await;
    let again = client.identify(&ada.token, "workspace").await;
    assert_error_frame(&again, 400);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_other_schemes_wait_for_identify() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let mut lower =
        WsClient::connect_with_authorization(&app.address, &format!("bearer {}", ada.token), "")
            .await;
    assert_eq!(lower.recv().await["op"], "ready");

    // A proxy's Basic credentials are not a Concord token: identify decides.
    let mut basic =
        WsClient::connect_with_authorization(&app.address, "Basic dXNlcjpwYXNz", "").await;
    basic
        .expect_silence(std::time::Duration::from_millis(300))
        .await;
    let ready = basic.identify(&ada.token, "workspace").await;
    assert_eq!(ready["op"], "ready", "{ready}");
}

#[tokio::test]
async fn a_bad_bearer_token_on_the_upgrade_closes_with_4001() {
    let app = spawn_app().await;

    let mut client = WsClient::connect_with_token(&app.address, "not-a-token", "").await;

    assert_eq!(client.closed().await.code, UNAUTHENTICATED);
}

#[tokio::test]
async fn a_garbage_token_in_identify_closes_with_4001() {
    let app = spawn_app().await;
    let mut client = WsClient::connect(&app.address).await;

    client
        .send(json!({"op": "identify", "token": "garbage", "dialect": "workspace"}))
        .await;

    assert_eq!(client.closed().await.code, UNAUTHENTICATED);
}

#[tokio::test]
async fn a_token_signed_with_another_secret_closes_with_4001() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": ada.id.to_string(), "iat": now(), "exp": now() + 600, "jti": "forged"}),
        &jsonwebtoken::EncodingKey::from_secret(b"an-attacker-guessed-secret-of-32-bytes"),
    )
    .unwrap();
    let mut client = WsClient::connect(&app.address).await;

    client
        .send(json!({"op": "identify", "token": forged, "dialect": "workspace"}))
        .await;

    assert_eq!(client.closed().await.code, UNAUTHENTICATED);
}

#[tokio::test]
async fn an_expired_token_closes_with_4001_while_a_fresh_one_is_ready() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let expired = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now() - 7200, "exp": now() - 3600, "jti": "expired",
    }));
    let fresh = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now(), "exp": now() + 600, "jti": "fresh",
    }));

    let (_client, ready) = WsClient::identified(&app.address, &fresh, "workspace").await;
    assert_eq!(ready["user_id"], ada.id, "{ready}");

    let mut client = WsClient::connect(&app.address).await;
    client
        .send(json!({"op": "identify", "token": expired, "dialect": "workspace"}))
        .await;
    assert_eq!(client.closed().await.code, UNAUTHENTICATED);
}

#[tokio::test]
async fn logging_out_closes_the_sockets_identified_with_that_token_only() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let other_device = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now(), "exp": now() + 600, "jti": "other-device",
    }));
    let (mut revoked, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;
    let (mut kept, _) = WsClient::identified(&app.address, &other_device, "workspace").await;

    let (status, body) = app.delete("/api/session", &ada.token).await;
    assert!(status.is_success(), "{status}: {body}");

    let closed = revoked.closed().await;
    assert_eq!(closed.code, UNAUTHENTICATED, "{closed:?}");
    assert_alive(&mut kept).await;
}

#[tokio::test]
async fn a_socket_is_closed_with_4001_when_its_token_expires() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let brief = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now(), "exp": now() + 2, "jti": "brief",
    }));
    let (mut client, _) = WsClient::identified(&app.address, &brief, "workspace").await;
    let identified = Instant::now();

    let closed = client.closed().await;

    assert_eq!(closed.code, UNAUTHENTICATED, "{closed:?}");
    // `exp` counts whole seconds: it was between one and two seconds ahead.
    assert!(
        identified.elapsed() >= Duration::from_millis(800),
        "closed after {:?}, before the token expired",
        identified.elapsed()
    );
}

#[tokio::test]
async fn a_token_revoked_by_logging_out_closes_with_4001() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let (status, body) = app.delete("/api/session", &ada.token).await;
    assert!(status.is_success(), "{status}: {body}");
    let mut client = WsClient::connect(&app.address).await;

    client
        .send(json!({"op": "identify", "token": ada.token, "dialect": "workspace"}))
        .await;

    assert_eq!(client.closed().await.code, UNAUTHENTICATED);
}

#[tokio::test]
async fn a_connection_that_never_identifies_is_closed_with_4001() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__IDENTIFY_TIMEOUT_MS", "300")]).await;
    let started = Instant::now();
    let mut client = WsClient::connect(&app.address).await;

    let closed = client.closed().await;

    assert_eq!(closed.code, UNAUTHENTICATED, "{closed:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed only after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unidentified_connection_has_the_identify_timeout_whatever_the_heartbeat() {
    let app = spawn_app_with(&[
        ("CONCORD__REALTIME__HEARTBEAT_INTERVAL_MS", "200"),
        ("CONCORD__REALTIME__IDENTIFY_TIMEOUT_MS", "1000"),
    ])
    .await;
    let started = Instant::now();
    let mut client = WsClient::connect(&app.address).await;

    let closed = client.closed().await;

    // Not 4000 "resume" after two silent heartbeat intervals: it has
    // nothing to resume and must authenticate.
    assert_eq!(closed.code, UNAUTHENTICATED, "{closed:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed after {:?}, before the identify timeout",
        started.elapsed()
    );
}

#[tokio::test]
async fn subscribing_before_identify_is_refused_with_401_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let general = app.general_channel(ws, &ada).await;
    let mut client = WsClient::connect(&app.address).await;

    client
        .send(json!({"op": "subscribe", "topics": [messages_topic(general)]}))
        .await;

    let refused = client.recv().await;
    assert_error_frame(&refused, 401);
    let ready = client.identify(&ada.token, "workspace").await;
    assert_eq!(ready["op"], "ready", "{ready}");
    client.subscribe_ok(&messages_topic(general)).await;
}

#[tokio::test]
async fn identifying_twice_is_refused_with_400_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;

    let again = client.identify(&bob.token, "workspace").await;

    assert_error_frame(&again, 400);
    assert_alive(&mut client).await;
}

// --- heartbeat ---

#[tokio::test]
async fn a_ping_gets_a_pong() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;

    client.send(json!({"op": "ping"})).await;

    assert_eq!(client.recv().await, json!({"op": "pong"}));
}

#[tokio::test]
async fn a_silent_client_is_closed_with_4000_after_two_heartbeat_intervals() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__HEARTBEAT_INTERVAL_MS", "300")]).await;
    let ada = app.sign_up("ada").await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;
    let identified = Instant::now();

    let closed = client.closed().await;

    let waited = identified.elapsed();
    assert_eq!(closed.code, HEARTBEAT_TIMEOUT, "{closed:?}");
    assert!(
        waited >= Duration::from_millis(450),
        "closed after {waited:?}, before two intervals of silence"
    );
    assert!(
        waited < Duration::from_millis(1500),
        "closed only after {waited:?}"
    );
}

#[tokio::test]
async fn a_client_that_pings_in_time_stays_open_past_two_intervals() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__HEARTBEAT_INTERVAL_MS", "300")]).await;
    let ada = app.sign_up("ada").await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;
    let identified = Instant::now();

    while identified.elapsed() < Duration::from_millis(1200) {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_alive(&mut client).await;
    }

    assert_alive(&mut client).await;
}
