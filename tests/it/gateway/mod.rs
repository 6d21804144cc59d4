//! End-to-end tests of the realtime gateway over real WebSockets.

mod access;
mod backpressure;
mod events;
mod nodes;
mod protocol;
mod resume;
mod robustness;

use std::time::Duration;

use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use concord_tests::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What a deleted message shows instead of its content.
pub(super) const TOMBSTONE: &str = "This message has been deleted.";

/// How long a test listens to be sure that nothing more arrives.
pub(super) const QUIET: Duration = Duration::from_millis(400);

/// The `general` channel of `ws`, as `user` lists it.
pub(super) async fn general_channel(app: &TestApp, ws: i64, user: &TestUser) -> i64 {
    let (status, body) = app
        .get(&format!("/api/workspaces/{ws}/channels"), &user.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "general")
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no general channel: {body}"))
}

/// Posts `content` to channel `channel` as `by` in the workspace dialect.
pub(super) async fn post(app: &TestApp, channel: i64, by: &TestUser, content: &str) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/channels/{channel}/messages"),
            &by.token,
            json!({"content": content}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Edits message `id` of `channel` as `by` in the workspace dialect; returns
/// the edited message.
pub(super) async fn edit(
    app: &TestApp,
    channel: i64,
    by: &TestUser,
    id: i64,
    content: &str,
) -> Value {
    let (status, body) = app
        .put(
            &format!("/api/channels/{channel}/messages/{id}"),
            &by.token,
            json!({"content": content}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Deletes message `id` of `channel` as `by` in the workspace dialect.
pub(super) async fn delete(app: &TestApp, channel: i64, by: &TestUser, id: i64) {
    let (status, body) = app
        .delete(&format!("/api/channels/{channel}/messages/{id}"), &by.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Message `id` of `channel` as `user` reads it in the workspace dialect.
pub(super) async fn read_message(app: &TestApp, channel: i64, user: &TestUser, id: i64) -> Value {
    let (status, page) = app
        .get(
            &format!("/api/channels/{channel}/messages?limit=100"),
            &user.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages: {page}"))
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("message {id} not listed: {page}"))
}

/// The `id` of any JSON object.
pub(super) fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

/// Seconds since the epoch, for token claims.
pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Asserts `frame` is an `error` frame about `topic` with `status`.
pub(super) fn assert_topic_error(frame: &Value, topic: &str, status: u16) {
    assert_eq!(frame["op"], "error", "{frame}");
    assert_eq!(frame["topic"], topic, "{frame}");
    assert_eq!(frame["statusCode"], status, "{frame}");
}

/// Asserts `frame` is an `error` frame with `status`.
pub(super) fn assert_error_frame(frame: &Value, status: u16) {
    assert_eq!(frame["op"], "error", "{frame}");
    assert_eq!(frame["statusCode"], status, "{frame}");
}

/// Asserts `frame` is an event of `topic` of `kind` numbered `seq`.
pub(super) fn assert_event(frame: &Value, topic: &str, kind: &str, seq: i64) {
    assert_eq!(frame["op"], "event", "{frame}");
    assert_eq!(frame["topic"], topic, "{frame}");
    assert_eq!(frame["type"], kind, "{frame}");
    assert_eq!(frame["seq"], seq, "{frame}");
}

/// Asserts `events` are one message's life in `room` right after `seq`: its
/// creation on the messages topic, then its edit and its deletion on the
/// updates topic, with consecutive `seq`s.
pub(super) fn assert_lifecycle(events: &[Value], room: i64, seq: i64) {
    assert_eq!(events.len(), 3, "{events:?}");
    assert_event(
        &events[0],
        &messages_topic(room),
        "message.created",
        seq + 1,
    );
    assert_event(&events[1], &updates_topic(room), "message.updated", seq + 2);
    assert_event(&events[2], &updates_topic(room), "message.deleted", seq + 3);
}

/// Sends a `ping` and asserts the very next frame is a `pong`: the
/// connection is open and answering.
pub(super) async fn assert_alive(client: &mut WsClient) {
    client.send(json!({"op": "ping"})).await;
    let pong = client.recv().await;
    assert_eq!(pong["op"], "pong", "{pong}");
}

/// A server made over `POST /servers` by `owner`, in the server dialect.
pub(super) struct Server {
    pub id: i64,
    pub general: i64,
}

impl Server {
    /// `POST /servers` as `owner`.
    pub async fn create(app: &TestApp, owner: &TestUser) -> Self {
        let (status, server) = app
            .post(
                "/servers",
                &owner.token,
                json!({"name": "Crew", "imageUrl": "https://example.com/server.png"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{server}");
        let general = server["channels"]
            .as_array()
            .unwrap_or_else(|| panic!("no channels: {server}"))
            .iter()
            .find(|c| c["name"] == "general")
            .map(id_of)
            .unwrap_or_else(|| panic!("no general: {server}"));
        Self {
            id: id_of(&server),
            general,
        }
    }

    /// `POST /socket/messages` to general as `by`; returns the message.
    pub async fn send(&self, app: &TestApp, by: &TestUser, content: &str) -> Value {
        let (status, message) = app
            .post(
                &format!(
                    "/socket/messages?serverId={}&channelId={}",
                    self.id, self.general
                ),
                &by.token,
                json!({"content": content}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{message}");
        message
    }

    /// `PATCH /socket/messages/{id}` in general as `by`; returns the message.
    pub async fn edit(&self, app: &TestApp, by: &TestUser, id: i64, content: &str) -> Value {
        let (status, message) = app
            .call(
                Method::PATCH,
                &self.message_path(id),
                Some(&by.token),
                Some(json!({"content": content})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{message}");
        message
    }

    /// `DELETE /socket/messages/{id}` in general as `by`; returns the tombstone.
    pub async fn delete(&self, app: &TestApp, by: &TestUser, id: i64) -> Value {
        let (status, message) = app.delete(&self.message_path(id), &by.token).await;
        assert_eq!(status, StatusCode::OK, "{message}");
        message
    }

    fn message_path(&self, id: i64) -> String {
        format!(
            "/socket/messages/{id}?serverId={}&channelId={}",
            self.id, self.general
        )
    }
}

/// Message `id` of channel `channel` as `user` reads it in the server dialect.
pub(super) async fn read_server_message(
    app: &TestApp,
    channel: i64,
    user: &TestUser,
    id: i64,
) -> Value {
    let (status, page) = app
        .get(
            &format!("/messages?channelId={channel}&limit=100"),
            &user.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("message {id} not listed: {page}"))
}
