//! A user's own topic, `user:{id}`: every device of that user hears its read
//! markers move, in its own dialect; nobody else may follow it.

use concord_tests::node::Node;
use concord_tests::server::{crew, patch};
use concord_tests::ws::WsClient;
use concord_tests::{TestApp, TestUser, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{QUIET, assert_topic_error};

fn user_topic(user: &TestUser) -> String {
    format!("user:{}", user.id)
}

/// A device of `user` at `address`, in `dialect`, following its own topic.
async fn device(address: &str, user: &TestUser, dialect: &str) -> WsClient {
    let (mut client, _) = WsClient::identified(address, &user.token, dialect).await;
    let seq = client.subscribe_ok(&user_topic(user)).await;
    assert_eq!(seq, 0, "a user topic has no log");
    client
}

async fn mark_read(app: &TestApp, user: &TestUser, channel: i64, body: Value) -> Value {
    let (status, state) = app
        .put(&format!("/api/channels/{channel}/read"), &user.token, body)
        .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    state
}

/// `user`'s row for `channel` in the workspace dialect's unread summary.
async fn summary_row(app: &TestApp, ws: i64, user: &TestUser, channel: i64) -> Value {
    let (status, body) = app
        .get(&format!("/api/workspaces/{ws}/unread"), &user.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel_id"] == channel)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn a_moved_marker_reaches_every_device_of_its_user_and_nobody_else() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app.general_channel(team.ws, &team.owner).await;
    let path = format!("/api/channels/{channel}/messages");
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        ids.push(id_of(&app.send_message(&path, &team.owner, text).await));
    }
    let mut phone = device(&app.address, &team.guest, "workspace").await;
    let mut laptop = device(&app.address, &team.guest, "workspace").await;
    // The owner follows their own topic: the guest's reading is not theirs.
    let mut owner = device(&app.address, &team.owner, "workspace").await;

    let state = mark_read(&app, &team.guest, channel, json!({"message_id": ids[1]})).await;
    assert_eq!(state["unread"], 1);
    let row = summary_row(&app, team.ws, &team.guest, channel).await;
    for client in [&mut phone, &mut laptop] {
        let event = client.event().await;
        assert_eq!(event["topic"], user_topic(&team.guest), "{event}");
        assert_eq!(event["type"], "read.updated", "{event}");
        assert_eq!(event["data"], row, "the summary's row for the room");
    }
    owner.expect_silence(QUIET).await;

    // A marker that does not move (backwards, unforced) says nothing...
    mark_read(&app, &team.guest, channel, json!({"message_id": ids[0]})).await;
    phone.expect_silence(QUIET).await;
    // ... and forcing it back (mark as unread) does.
    mark_read(
        &app,
        &team.guest,
        channel,
        json!({"message_id": ids[0], "force": true}),
    )
    .await;
    let event = laptop.event().await;
    assert_eq!(event["data"]["last_read_id"], ids[0]);
    assert_eq!(event["data"]["unread"], 2);
}

#[tokio::test]
async fn a_server_dialect_device_hears_the_same_move_in_its_own_shape() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let first = id_of(&crew.send(&app, crew.general, &crew.owner, "one").await);
    crew.send(&app, crew.general, &crew.owner, "two").await;
    let mut web = device(&app.address, &crew.guest, "server").await;
    let mut other = device(&app.address, &crew.guest, "workspace").await;

    let (status, state) = patch(
        &app,
        &format!("/channels/{}/read?serverId={}", crew.general, crew.id),
        &crew.guest,
        json!({"messageId": first}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{state}");

    let (_, summary) = app
        .get(&format!("/servers/{}/unread", crew.id), &crew.guest.token)
        .await;
    let row = summary["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channelId"] == crew.general)
        .cloned()
        .unwrap();
    let event = web.event().await;
    assert_eq!(event["type"], "read.updated");
    assert_eq!(event["data"], row, "{event}");
    assert_eq!(event["data"]["unread"], 1);
    let event = other.event().await;
    assert_eq!(event["data"]["channel_id"], crew.general, "{event}");
    assert_eq!(event["data"]["last_read_id"], first);
}

#[tokio::test]
async fn nobody_follows_another_users_topic() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app.general_channel(team.ws, &team.owner).await;
    let id = id_of(
        &app.send_message(
            &format!("/api/channels/{channel}/messages"),
            &team.owner,
            "hi",
        )
        .await,
    );
    let (mut spy, _) = WsClient::identified(&app.address, &team.owner.token, "workspace").await;

    let theirs = user_topic(&team.guest);
    let reply = spy.subscribe(&[&theirs], None).await.remove(0);
    assert_topic_error(&reply, &theirs, 403);
    for malformed in ["user:", "user:0", "user:abc", "user:1:x"] {
        let reply = spy.subscribe(&[malformed], None).await.remove(0);
        assert_topic_error(&reply, malformed, 400);
    }
    mark_read(&app, &team.guest, channel, json!({"message_id": id})).await;
    spy.expect_silence(QUIET).await;
}

#[tokio::test]
async fn an_unsubscribed_device_hears_nothing_more() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app.general_channel(team.ws, &team.owner).await;
    let path = format!("/api/channels/{channel}/messages");
    let first = id_of(&app.send_message(&path, &team.owner, "one").await);
    let second = id_of(&app.send_message(&path, &team.owner, "two").await);
    let mut phone = device(&app.address, &team.guest, "workspace").await;
    mark_read(&app, &team.guest, channel, json!({"message_id": first})).await;
    assert_eq!(phone.event().await["data"]["last_read_id"], first);

    let topic = user_topic(&team.guest);
    phone
        .send(json!({"op": "unsubscribe", "topics": [topic]}))
        .await;
    let reply = phone.recv().await;
    assert_eq!(reply, json!({"op": "unsubscribed", "topic": topic}));
    mark_read(&app, &team.guest, channel, json!({"message_id": second})).await;
    phone.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_marker_moved_on_one_node_reaches_a_device_on_another() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;
    let id = id_of(
        &app.send_message(&format!("/api/channels/{general}/messages"), &owner, "hi")
            .await,
    );
    let broker = [("CONCORD__REALTIME__BROKER", "postgres")];
    let node_a = Node::start(&app.db.url, &broker).await;
    let node_b = Node::start(&app.db.url, &broker).await;
    let mut on_b = device(&node_b.address, &owner, "workspace").await;

    let res = app
        .client
        .put(format!("{}/api/channels/{general}/read", node_a.address))
        .bearer_auth(&owner.token)
        .json(&json!({"message_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let event = on_b.event().await;
    assert_eq!(event["type"], "read.updated", "{event}");
    assert_eq!(event["data"]["channel_id"], general);
    assert_eq!(event["data"]["last_read_id"], id);
}
