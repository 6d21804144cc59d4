//! Misbehaving clients: bad frames get an `error` frame and the connection
//! carries on; only a frame too large to read ends it.

use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use concord_tests::{TestApp, spawn_app, spawn_app_with};
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

use super::{assert_alive, assert_error_frame, assert_topic_error};

/// An identified workspace-dialect client of a fresh user.
async fn client(app: &TestApp) -> WsClient {
    let ada = app.sign_up("ada").await;
    WsClient::identified(&app.address, &ada.token, "workspace")
        .await
        .0
}

/// Sends each of `frames` and asserts each is answered with an error frame
/// with `status` and a reason, the connection still answering a ping.
async fn assert_refused(client: &mut WsClient, frames: &[&str], status: u16) {
    for frame in frames {
        client.send_text((*frame).to_owned()).await;
        let reply = client.recv().await;
        assert_error_frame(&reply, status);
        assert!(
            reply["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{frame}: {reply}"
        );
        assert_alive(client).await;
    }
}

#[tokio::test]
async fn malformed_json_gets_an_error_frame_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    assert_refused(
        &mut client,
        &["", "{not json", "{\"op\":\"ping\"", "null", "[]", "42"],
        400,
    )
    .await;
}

#[tokio::test]
async fn an_unknown_op_gets_an_error_frame_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    assert_refused(
        &mut client,
        &[r#"{"op":"launch"}"#, r#"{"op":"PING"}"#, r#"{"topics":[]}"#],
        400,
    )
    .await;
}

#[tokio::test]
async fn fields_of_the_wrong_type_get_an_error_frame_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    assert_refused(
        &mut client,
        &[
            r#"{"op":"subscribe","topics":"chat:1:messages"}"#,
            r#"{"op":"subscribe","topics":[1,2]}"#,
            r#"{"op":"subscribe","topics":["chat:1:messages"],"since":{"chat:1:messages":"three"}}"#,
            r#"{"op":"unsubscribe","topics":null}"#,
            r#"{"op":"identify","token":42}"#,
            r#"{"op":"identify","token":"t","dialect":"klingon"}"#,
        ],
        400,
    )
    .await;
}

#[tokio::test]
async fn a_bad_frame_before_identify_does_not_close_the_connection() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let mut client = WsClient::connect(&app.address).await;

    assert_refused(&mut client, &["{not json", r#"{"op":"launch"}"#], 400).await;

    let ready = client.identify(&ada.token, "workspace").await;
    assert_eq!(ready["op"], "ready", "{ready}");
}

#[tokio::test]
async fn a_binary_frame_gets_an_error_frame_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    client
        .socket()
        .send(Message::binary(
            json!({"op": "ping"}).to_string().into_bytes(),
        ))
        .await
        .unwrap();

    let reply = client.recv().await;
    assert_error_frame(&reply, 400);
    assert_alive(&mut client).await;
}

#[tokio::test]
async fn a_frame_over_the_configured_limit_gets_413_and_the_connection_stays_open() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__MAX_FRAME_BYTES", "2048")]).await;
    let mut client = client(&app).await;
    let big = json!({"op": "ping", "padding": "x".repeat(3000)}).to_string();
    let small = json!({"op": "ping", "padding": "x".repeat(1500)}).to_string();

    client.send_text(big).await;
    let reply = client.recv().await;
    assert_error_frame(&reply, 413);

    // under the limit, the same frame is served
    client.send_text(small).await;
    let reply = client.recv().await;
    assert_eq!(reply["op"], "pong", "{reply}");
    assert_alive(&mut client).await;
}

#[tokio::test]
async fn a_frame_over_256_kib_closes_the_connection_with_1009() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let huge = json!({"op": "ping", "padding": "x".repeat(300 * 1024)}).to_string();

    // the server may close before it has read the whole frame
    let _ = client.socket().send(Message::text(huge)).await;

    let closed = client.closed().await;
    assert_eq!(closed.code, 1009, "{closed:?}");
}

#[tokio::test]
async fn a_fragmented_message_over_256_kib_gets_413_then_closes_with_1009() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    // Each fragment is under the frame limit; only the message is over it.
    let fragments = [
        Frame::message(vec![b' '; 200 * 1024], OpCode::Data(Data::Text), false),
        Frame::message(vec![b' '; 100 * 1024], OpCode::Data(Data::Continue), true),
    ];

    for fragment in fragments {
        // the server may close before it has read the whole message
        let _ = client.socket().send(Message::Frame(fragment)).await;
    }

    let reply = client.recv().await;
    assert_error_frame(&reply, 413);
    let closed = client.closed().await;
    assert_eq!(closed.code, 1009, "{closed:?}");
}

#[tokio::test]
async fn a_client_close_frame_is_answered_with_the_same_code() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let bye = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };

    client.socket().close(Some(bye)).await.unwrap();

    let closed = client.closed().await;
    assert_eq!(closed.code, 1000, "{closed:?}");
}

#[tokio::test]
async fn topics_beyond_the_per_connection_limit_are_refused_with_400() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__MAX_TOPICS_PER_CONNECTION", "3")]).await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;
    let random = app.create_channel(ws, &owner, "random", false).await;
    let (mut client, _) = WsClient::identified(&app.address, &owner.token, "workspace").await;
    let topics = [
        messages_topic(general),
        updates_topic(general),
        messages_topic(random),
        updates_topic(random),
    ];
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();

    let replies: Vec<Value> = client.subscribe(&topics, None).await;

    for (reply, topic) in replies.iter().zip(&topics).take(3) {
        assert_eq!(reply["op"], "subscribed", "{reply}");
        assert_eq!(reply["topic"], *topic, "{reply}");
    }
    assert_topic_error(&replies[3], topics[3], 400);
    // subscribing again to a followed topic takes no extra room
    let again = client.subscribe(&topics[..1], None).await.remove(0);
    assert_eq!(again["op"], "subscribed", "{again}");
    // and giving one up makes room for another
    client
        .send(json!({"op": "unsubscribe", "topics": [topics[0]]}))
        .await;
    assert_eq!(client.recv().await["op"], "unsubscribed");
    client.subscribe_ok(topics[3]).await;
    assert_alive(&mut client).await;
}
