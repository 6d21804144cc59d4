//! End-to-end tests of the realtime gateway over real WebSockets.

mod access;
mod backpressure;
mod events;
mod nodes;
mod protocol;
mod resume;
mod robustness;
mod user_topic;

use std::time::Duration;

use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use serde_json::{Value, json};

/// How long a test listens to be sure that nothing more arrives.
pub(super) const QUIET: Duration = Duration::from_millis(400);

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
