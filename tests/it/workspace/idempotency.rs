//! Sending with an `Idempotency-Key`: a retried send creates its message
//! exactly once.

use std::sync::Arc;

use concord_tests::{assert_envelope, assert_error, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

const KEY: &str = "550e8400-e29b-41d4-a716-446655440000";

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_returns_the_same_message_once() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let body = json!({"content": "Hello once"});
    let (status, first) = app
        .post_with_key(&path, &team.guest.token, KEY, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    for _ in 0..3 {
        let (status, again) = app
            .post_with_key(&path, &team.guest.token, KEY, body.clone())
            .await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again, first);
    }
    assert_eq!(app.history(&path, &team.guest).await, vec![first]);
}

#[tokio::test]
async fn without_a_key_identical_sends_are_separate_messages() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let a = app.send_message(&path, &team.guest, "same").await;
    let b = app.send_message(&path, &team.guest, "same").await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(app.history(&path, &team.guest).await.len(), 2);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_409() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let (status, first) = app
        .post_with_key(
            &path,
            &team.guest.token,
            KEY,
            json!({"content": "original"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, body) = app
        .post_with_key(
            &path,
            &team.guest.token,
            KEY,
            json!({"content": "different"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::CONFLICT);
    // a different parent is a different request too
    let (status, body) = app
        .post_with_key(
            &path,
            &team.guest.token,
            KEY,
            json!({"content": "original", "parent_id": id_of(&first)}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::CONFLICT);
    assert_eq!(app.history(&path, &team.guest).await, vec![first]);
}

#[tokio::test]
async fn the_same_key_in_another_room_is_409() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let other = app
        .create_channel(team.ws, &team.owner, "other", false)
        .await;
    let other_path = format!("/api/channels/{other}/messages");
    let body = json!({"content": "hello"});
    let (status, first) = app
        .post_with_key(&path, &team.guest.token, KEY, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, answer) = app
        .post_with_key(&other_path, &team.guest.token, KEY, body)
        .await;
    assert_envelope(status, &answer, StatusCode::CONFLICT);
    assert!(app.history(&other_path, &team.guest).await.is_empty());
}

#[tokio::test]
async fn another_user_with_the_same_key_gets_an_independent_message() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let body = json!({"content": "Hello"});
    let (status, guests) = app
        .post_with_key(&path, &team.guest.token, KEY, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{guests}");
    let (status, owners) = app
        .post_with_key(&path, &team.owner.token, KEY, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{owners}");
    assert_ne!(owners["id"], guests["id"]);
    assert_eq!(owners["user_id"], team.owner.id);
    assert_eq!(guests["user_id"], team.guest.id);
    // and each one's retry still finds their own message
    let (_, retry) = app.post_with_key(&path, &team.owner.token, KEY, body).await;
    assert_eq!(retry["id"], owners["id"]);
    assert_eq!(app.history(&path, &team.guest).await, vec![owners, guests]);
}

#[tokio::test]
async fn a_key_longer_than_64_characters_is_400_and_sends_nothing() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    for key in ["k".repeat(65), "has space".to_owned()] {
        let (status, body) = app
            .post_with_key(&path, &team.guest.token, &key, json!({"content": "hi"}))
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
    assert!(app.history(&path, &team.guest).await.is_empty());
    let (status, body) = app
        .post_with_key(
            &path,
            &team.guest.token,
            &"k".repeat(64),
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_refused_send_does_not_use_up_the_key() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let (status, body) = app
        .post_with_key(&path, &team.guest.token, KEY, json!({"content": "  "}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "Invalid request body",
    );
    let (status, body) = app
        .post_with_key(&path, &team.guest.token, KEY, json!({"content": "fixed"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["content"], "fixed");
}

#[tokio::test]
async fn keys_work_the_same_in_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.owner], "dm")
            .await,
    );
    let path = format!("/api/direct_messages/{dm}/messages");
    let body = json!({"content": "once"});
    let (status, first) = app
        .post_with_key(&path, &team.guest.token, KEY, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = app.post_with_key(&path, &team.guest.token, KEY, body).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (status, conflict) = app
        .post_with_key(&path, &team.guest.token, KEY, json!({"content": "twice"}))
        .await;
    assert_envelope(status, &conflict, StatusCode::CONFLICT);
    assert_eq!(app.history(&path, &team.owner).await, vec![first]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_with_one_key_create_exactly_one_message() {
    const SENDS: usize = 10;
    let app = Arc::new(spawn_app().await);
    let (team, path) = app.team_with_channel().await;
    let handles: Vec<_> = (0..SENDS)
        .map(|_| {
            let app = Arc::clone(&app);
            let path = path.clone();
            let token = team.guest.token.clone();
            tokio::spawn(async move {
                app.post_with_key(&path, &token, KEY, json!({"content": "exactly once"}))
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for handle in handles {
        let (status, body) = handle.await.expect("send task");
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(id_of(&body));
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let history = app.history(&path, &team.guest).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(id_of(&history[0]), ids[0]);
    assert_eq!(history[0]["content"], "exactly once");
}
