//! Event frames: every message created, edited or deleted over HTTP, in
//! either dialect, reaches the subscribers of its room in their own dialect.

use concord_tests::server::Server;
use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use concord_tests::{
    TOMBSTONE, TestApp, TestUser, channel_message_path, channel_messages_path, id_of, server,
    spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{QUIET, assert_event, assert_lifecycle};

/// A client of `user` in `dialect` following both topics of `room`; returns
/// it with the room's latest `seq`.
async fn follow(app: &TestApp, user: &TestUser, dialect: &str, room: i64) -> (WsClient, i64) {
    let (mut client, _) = WsClient::identified(&app.address, &user.token, dialect).await;
    let replies = client
        .subscribe(&[&messages_topic(room), &updates_topic(room)], None)
        .await;
    for reply in &replies {
        assert_eq!(reply["op"], "subscribed", "{reply}");
    }
    assert_eq!(replies[0]["seq"], replies[1]["seq"], "{replies:?}");
    let seq = replies[0]["seq"].as_i64().unwrap();
    (client, seq)
}

#[tokio::test]
async fn creating_editing_and_deleting_in_a_channel_reach_its_two_topics_in_order() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, seq) = follow(&app, &team.guest, "workspace", general).await;

    let sent = app
        .send_message(&channel_messages_path(general), &team.owner, "first draft")
        .await;
    let id = id_of(&sent);
    let edited = app
        .edit_message(
            &channel_message_path(general, id),
            &team.owner,
            "second draft",
        )
        .await;
    app.delete_message(&channel_message_path(general, id), &team.owner)
        .await;

    let events = client.events(3).await;
    assert_lifecycle(&events, general, seq);
    assert_eq!(events[0]["data"], sent);
    assert_eq!(events[1]["data"], edited);
    assert_eq!(events[1]["data"]["content"], "second draft");
    let tombstone = app
        .message_in(&channel_messages_path(general), &team.guest, id)
        .await;
    assert_eq!(events[2]["data"], tombstone);
    assert_eq!(events[2]["data"]["deleted"], true);
    assert_eq!(events[2]["data"]["content"], TOMBSTONE);
}

#[tokio::test]
async fn the_server_dialect_routes_reach_a_server_dialect_subscriber_in_its_own_shape() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let server = Server::create(&app, &owner).await;
    let (mut client, seq) = follow(&app, &owner, "server", server.general).await;

    let sent = server.send(&app, &owner, "hello, server").await;
    let id = id_of(&sent);
    let edited = server.edit(&app, &owner, id, "hello again").await;
    let deleted = server.delete(&app, &owner, id).await;

    let events = client.events(3).await;
    let general = server.general;
    assert_lifecycle(&events, general, seq);
    assert_eq!(events[0]["data"], sent);
    assert_eq!(events[0]["data"]["channelId"], general);
    assert_eq!(events[0]["data"]["member"]["profileId"], owner.id);
    assert_eq!(events[1]["data"], edited);
    assert_eq!(events[1]["data"]["content"], "hello again");
    assert_eq!(events[2]["data"], deleted);
    assert_eq!(events[2]["data"]["content"], TOMBSTONE);
}

#[tokio::test]
async fn a_bearer_token_with_dialect_server_on_the_upgrade_gets_server_dialect_events() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let server = Server::create(&app, &owner).await;
    let mut client =
        WsClient::connect_with_token(&app.address, &owner.token, "?dialect=server").await;
    let ready = client.recv().await;
    assert_eq!(ready["op"], "ready", "{ready}");
    let seq = client.subscribe_ok(&messages_topic(server.general)).await;

    let sent = server.send(&app, &owner, "header auth").await;

    let event = client.event().await;
    assert_event(
        &event,
        &messages_topic(server.general),
        "message.created",
        seq + 1,
    );
    assert_eq!(event["data"], sent);
}

#[tokio::test]
async fn direct_messages_reach_every_participant_of_the_conversation() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "us two")
        .await;
    let room = id_of(&dm);
    let (mut sender, seq) = follow(&app, &team.owner, "workspace", room).await;
    let (mut other, other_seq) = follow(&app, &team.guest, "workspace", room).await;
    assert_eq!(other_seq, seq);
    let path = format!("/api/direct_messages/{room}/messages");

    let sent = app.send_message(&path, &team.owner, "psst").await;

    for client in [&mut sender, &mut other] {
        let event = client.event().await;
        assert_event(&event, &messages_topic(room), "message.created", seq + 1);
        assert_eq!(event["data"], sent);
        assert_eq!(event["data"]["direct_message_id"], room);
    }
}

#[tokio::test]
async fn server_dialect_direct_messages_reach_the_other_member_in_the_server_dialect() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let guest = app.sign_up("guest").await;
    let server = Server::create(&app, &owner).await;
    app.add_member(server.id, &owner, &guest).await;
    // the server dialect names members by membership id, as a message shows it
    let member = server.send(&app, &guest, "here").await["memberId"]
        .as_i64()
        .unwrap();
    let (status, conversation) = app
        .post(
            &format!("/conversations?serverId={}", server.id),
            &owner.token,
            json!({"memberId": member}),
        )
        .await;
    assert!(status.is_success(), "{status}: {conversation}");
    let room = id_of(&conversation);
    let (mut client, seq) = follow(&app, &guest, "server", room).await;

    let (status, sent) = app
        .post(
            &format!("/socket/direct-messages?conversationId={room}"),
            &owner.token,
            json!({"content": "a word in private"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");

    let event = client.event().await;
    assert_event(&event, &messages_topic(room), "message.created", seq + 1);
    assert_eq!(event["data"], sent);
    assert_eq!(event["data"]["conversationId"], room);
}

#[tokio::test]
async fn subscribers_in_each_dialect_get_the_same_event_in_their_own_shape() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut workspace, seq) = follow(&app, &team.guest, "workspace", general).await;
    let (mut server, _) = follow(&app, &team.admin, "server", general).await;

    let sent = app
        .send_message(
            &channel_messages_path(general),
            &team.owner,
            "one event, two shapes",
        )
        .await;

    let as_workspace = workspace.event().await;
    let as_server = server.event().await;
    assert_event(
        &as_workspace,
        &messages_topic(general),
        "message.created",
        seq + 1,
    );
    assert_event(
        &as_server,
        &messages_topic(general),
        "message.created",
        seq + 1,
    );
    assert_eq!(as_workspace["data"], sent);
    let id = id_of(&sent);
    let listed = server::read_message(&app, general, &team.admin, id).await;
    assert_eq!(as_server["data"], listed);
    assert_eq!(as_server["data"]["channelId"], general);
    assert_eq!(as_server["data"]["member"]["profileId"], team.owner.id);
    assert!(as_server["data"].get("user_id").is_none(), "{as_server}");
}

#[tokio::test]
async fn a_subscriber_of_new_messages_only_gets_no_edits_or_deletes() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let seq = client.subscribe_ok(&messages_topic(general)).await;

    let first = app
        .send_message(&channel_messages_path(general), &team.owner, "first")
        .await;
    app.edit_message(
        &channel_message_path(general, id_of(&first)),
        &team.owner,
        "first, edited",
    )
    .await;
    app.delete_message(&channel_message_path(general, id_of(&first)), &team.owner)
        .await;
    let second = app
        .send_message(&channel_messages_path(general), &team.owner, "second")
        .await;

    // the edit and the delete take seq + 2 and seq + 3 but are not sent here
    let events = client.events(2).await;
    assert_event(
        &events[0],
        &messages_topic(general),
        "message.created",
        seq + 1,
    );
    assert_eq!(events[0]["data"], first);
    assert_event(
        &events[1],
        &messages_topic(general),
        "message.created",
        seq + 4,
    );
    assert_eq!(events[1]["data"], second);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_threaded_reply_is_delivered_with_its_parent_id() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, seq) = follow(&app, &team.guest, "workspace", general).await;

    let root = app
        .send_message(&channel_messages_path(general), &team.owner, "a question")
        .await;
    let (status, reply) = app
        .post(
            &format!("/api/channels/{general}/messages"),
            &team.admin.token,
            json!({"content": "an answer", "parent_id": id_of(&root)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");

    let events = client.events(2).await;
    assert_eq!(events[0]["data"], root);
    assert_event(
        &events[1],
        &messages_topic(general),
        "message.created",
        seq + 2,
    );
    assert_eq!(events[1]["data"], reply);
    assert_eq!(events[1]["data"]["parent_id"], id_of(&root));
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_is_announced_once() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, seq) = follow(&app, &team.guest, "workspace", general).await;
    let path = format!("/api/channels/{general}/messages");
    let key = "6f1c2a9e-0d4b-4c7e-9a51-3b2d8e7f0a11";

    let mut answers: Vec<Value> = Vec::new();
    for _ in 0..3 {
        let (status, body) = app
            .post_with_key(&path, &team.owner.token, key, json!({"content": "once"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        answers.push(body);
    }
    let after = app
        .send_message(
            &channel_messages_path(general),
            &team.owner,
            "after the retries",
        )
        .await;

    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let events = client.events(2).await;
    assert_event(
        &events[0],
        &messages_topic(general),
        "message.created",
        seq + 1,
    );
    assert_eq!(events[0]["data"], answers[0]);
    assert_event(
        &events[1],
        &messages_topic(general),
        "message.created",
        seq + 2,
    );
    assert_eq!(events[1]["data"], after);
}

#[tokio::test]
async fn concurrent_posts_arrive_once_each_in_seq_order_without_gaps() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, seq) = follow(&app, &team.guest, "workspace", general).await;
    let authors = [&team.owner, &team.admin, &team.moderator, &team.guest];
    let path = channel_messages_path(general);

    let sends = (0..20).map(|i| app.send_message(&path, authors[i % 4], "at once"));
    let sent: Vec<Value> = futures_util::future::join_all(sends).await;

    let events = client.events(20).await;
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (seq + 1..=seq + 20).collect::<Vec<_>>());
    let mut delivered: Vec<i64> = events.iter().map(|e| id_of(&e["data"])).collect();
    let mut posted: Vec<i64> = sent.iter().map(id_of).collect();
    delivered.sort_unstable();
    posted.sort_unstable();
    assert_eq!(delivered, posted);
    // events of one room are numbered in the order their messages were made
    let ids: Vec<i64> = events.iter().map(|e| id_of(&e["data"])).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn subscribing_twice_to_a_topic_still_delivers_each_event_once() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    client.subscribe_ok(&messages_topic(general)).await;
    let seq = client.subscribe_ok(&messages_topic(general)).await;

    let sent = app
        .send_message(&channel_messages_path(general), &team.owner, "just once")
        .await;

    let event = client.event().await;
    assert_event(&event, &messages_topic(general), "message.created", seq + 1);
    assert_eq!(event["data"], sent);
    client.expect_silence(QUIET).await;
}
