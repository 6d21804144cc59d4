//! `last_sent_message_timestamp` of channels and direct messages.

use concord_tests::{TestApp, TestUser, assert_rfc3339_utc, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

async fn get_ok(app: &TestApp, path: &str, user: &TestUser) -> Value {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn find(list: &Value, id: i64) -> Value {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
        .clone()
}

#[tokio::test]
async fn a_channels_last_sent_message_timestamp_is_null_until_a_message_is_posted() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let quiet = app
        .create_channel(team.ws, &team.owner, "quiet", false)
        .await;
    let one = format!("/api/channels/{channel}");
    let list = format!("/api/workspaces/{}/channels", team.ws);

    assert!(
        get_ok(&app, &one, &team.guest).await["last_sent_message_timestamp"].is_null(),
        "before any message"
    );
    assert!(
        find(&get_ok(&app, &list, &team.guest).await, channel)["last_sent_message_timestamp"]
            .is_null()
    );

    let message = app
        .send_message(&format!("{one}/messages"), &team.guest, "first!")
        .await;

    let after = get_ok(&app, &one, &team.guest).await["last_sent_message_timestamp"].clone();
    assert_rfc3339_utc(&after);
    assert_eq!(after, message["timestamp"]);
    assert_eq!(
        find(&get_ok(&app, &list, &team.owner).await, channel)["last_sent_message_timestamp"],
        after
    );
    assert!(
        get_ok(&app, &format!("/api/channels/{quiet}"), &team.guest).await
            ["last_sent_message_timestamp"]
            .is_null(),
        "another channel is untouched"
    );
}

#[tokio::test]
async fn a_direct_messages_last_sent_message_timestamp_is_null_until_a_message_is_posted() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.owner], "dm")
        .await;
    let quiet = app
        .create_direct_message(team.ws, &team.guest, &[&team.admin], "quiet")
        .await;
    assert!(dm["last_sent_message_timestamp"].is_null(), "{dm}");
    let id = dm["id"].as_i64().expect("id");
    let one = format!("/api/direct_messages/{id}");
    assert!(get_ok(&app, &one, &team.owner).await["last_sent_message_timestamp"].is_null());

    let message = app
        .send_message(&format!("{one}/messages"), &team.owner, "hello")
        .await;

    let after = get_ok(&app, &one, &team.guest).await["last_sent_message_timestamp"].clone();
    assert_rfc3339_utc(&after);
    assert_eq!(after, message["timestamp"]);
    assert_eq!(
        find(&get_ok(&app, "/api/direct_messages", &team.owner).await, id)["last_sent_message_timestamp"],
        after
    );
    let quiet_id = quiet["id"].as_i64().expect("id");
    assert!(
        find(
            &get_ok(&app, "/api/direct_messages", &team.guest).await,
            quiet_id
        )["last_sent_message_timestamp"]
            .is_null(),
        "another conversation is untouched"
    );
}

#[tokio::test]
async fn a_refused_post_leaves_the_last_sent_message_timestamp_null() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let (status, _) = app
        .post(
            &path,
            &team.guest.token,
            serde_json::json!({"content": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .post(
            &path,
            &team.outsider.token,
            serde_json::json!({"content": "hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        get_ok(&app, &format!("/api/channels/{channel}"), &team.guest).await
            ["last_sent_message_timestamp"]
            .is_null()
    );
}
