//! Reactions, pins and read state in the server dialect (API.md section 7),
//! and their agreement with the workspace dialect.

use concord_tests::server::{crew, patch, read_message};
use concord_tests::{TestApp, TestUser, assert_error, id_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn put(app: &TestApp, path: &str, user: &TestUser) -> (StatusCode, Value) {
    app.call(Method::PUT, path, Some(&user.token), None).await
}

#[tokio::test]
async fn a_reaction_answers_the_message_and_shows_in_both_dialects() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let id = id_of(&crew.send(&app, crew.general, &crew.owner, "hello").await);
    let path = format!(
        "/socket/messages/{id}/reactions/%F0%9F%91%8B?serverId={}&channelId={}",
        crew.id, crew.general
    );
    let (status, message) = put(&app, &path, &crew.guest).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["id"], id);
    assert_eq!(
        message["reactions"],
        json!([{"emoji": "👋", "count": 1, "user_ids": [crew.guest.id]}])
    );
    assert_eq!(message["memberId"], crew.member(&crew.owner));
    assert_eq!(
        read_message(&app, crew.general, &crew.moderator, id).await,
        message
    );

    // The workspace dialect sees the same reaction.
    let (_, history) = app
        .get(
            &format!("/api/channels/{}/messages", crew.general),
            &crew.admin.token,
        )
        .await;
    assert_eq!(history["messages"][0]["reactions"], message["reactions"]);

    let (status, message) = app.delete(&path, &crew.guest.token).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["reactions"], json!([]));

    let (status, body) = put(&app, &path, &crew.outsider).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let bad = format!(
        "/socket/messages/{id}/reactions/nope?serverId={}&channelId={}",
        crew.id, crew.general
    );
    let (status, body) = put(&app, &bad, &crew.guest).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn pins_in_a_server_channel_need_its_creator_or_a_moderator() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let id = id_of(&crew.send(&app, crew.general, &crew.guest, "pin me").await);
    let pin = format!(
        "/socket/messages/{id}/pin?serverId={}&channelId={}",
        crew.id, crew.general
    );
    let (status, body) = put(&app, &pin, &crew.guest).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, message) = put(&app, &pin, &crew.moderator).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["pinned"], true);

    let (status, pins) = app
        .get(
            &format!("/channels/{}/pins?serverId={}", crew.general, crew.id),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pins}");
    assert_eq!(pins["items"].as_array().unwrap().len(), 1);
    assert_eq!(pins["items"][0], message);

    let (status, message) = app.delete(&pin, &crew.owner.token).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["pinned"], false);
}

#[tokio::test]
async fn a_conversation_pins_and_reads_for_its_participants_alone() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, conversation) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.guest.token,
            json!({"memberId": crew.member(&crew.moderator)}),
        )
        .await;
    assert!(status.is_success(), "{conversation}");
    let conv = id_of(&conversation);
    let (status, sent) = app
        .post(
            &format!("/socket/direct-messages?conversationId={conv}"),
            &crew.moderator.token,
            json!({"content": "hey @guest"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = id_of(&sent);
    assert_eq!(sent["mentions"], json!([crew.guest.id]));

    let pin = format!("/socket/direct-messages/{id}/pin?conversationId={conv}");
    let (status, message) = put(&app, &pin, &crew.guest).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let (status, body) = put(&app, &pin, &crew.owner).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, pins) = app
        .get(
            &format!("/conversations/{conv}/pins"),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pins}");
    assert_eq!(pins["items"][0]["id"], id);

    let (status, unread) = app
        .get(&format!("/servers/{}/unread", crew.id), &crew.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{unread}");
    let room = unread["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["conversationId"] == conv)
        .cloned()
        .unwrap_or_else(|| panic!("{unread}"));
    assert_eq!(
        room,
        json!({"conversationId": conv, "lastReadId": null, "lastMessageId": id, "unread": 1, "mentions": 1})
    );

    let (status, state) = patch(
        &app,
        &format!("/conversations/{conv}/read"),
        &crew.guest,
        json!({"messageId": id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state, json!({"lastReadId": id, "unread": 0, "mentions": 0}));
    let (status, body) = patch(
        &app,
        &format!("/conversations/{conv}/read"),
        &crew.owner,
        json!({"messageId": id}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_channel_read_marker_moves_in_either_dialect() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let first = id_of(&crew.send(&app, crew.general, &crew.owner, "one").await);
    let second = id_of(&crew.send(&app, crew.general, &crew.owner, "two").await);
    let (status, state) = patch(
        &app,
        &format!("/channels/{}/read?serverId={}", crew.general, crew.id),
        &crew.guest,
        json!({"messageId": first}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["unread"], 1);
    let (status, state) = app
        .put(
            &format!("/api/channels/{}/read", crew.general),
            &crew.guest.token,
            json!({"message_id": second}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["unread"], 0);

    let (status, body) = app
        .get(
            &format!("/servers/{}/unread", crew.id),
            &crew.outsider.token,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = patch(
        &app,
        &format!("/channels/{}/read?serverId={}", crew.general, crew.id),
        &crew.guest,
        json!({"messageId": 999_999_999}),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
}
