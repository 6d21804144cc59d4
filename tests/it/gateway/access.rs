//! Who may follow a room: the same people who may read its history, checked
//! when subscribing and again when their access shrinks.

use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use concord_tests::{
    TestApp, TestUser, channel_message_path, channel_messages_path, id_of, spawn_app,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{QUIET, assert_event, assert_topic_error};

/// What `user`'s subscription to `topic` is answered with.
async fn answer(app: &TestApp, user: &TestUser, topic: &str) -> serde_json::Value {
    let (mut client, _) = WsClient::identified(&app.address, &user.token, "workspace").await;
    client.subscribe(&[topic], None).await.remove(0)
}

fn assert_granted(reply: &serde_json::Value, topic: &str) {
    assert_eq!(reply["op"], "subscribed", "{reply}");
    assert_eq!(reply["topic"], topic, "{reply}");
    assert!(reply["seq"].is_i64(), "{reply}");
}

/// `lost` is told with a 403 that it no longer follows the messages of
/// channel `room`; the next post there, by `poster`, reaches `keeps` as the
/// event after `seq`, and `lost` hears nothing more.
async fn assert_lost_while_another_keeps(
    app: &TestApp,
    room: i64,
    poster: &TestUser,
    lost: &mut WsClient,
    keeps: &mut WsClient,
    seq: i64,
) {
    let topic = messages_topic(room);
    let revoked = lost.recv().await;
    assert_topic_error(&revoked, &topic, 403);
    let sent = app
        .send_message(&channel_messages_path(room), poster, "after the change")
        .await;
    let event = keeps.event().await;
    assert_event(&event, &topic, "message.created", seq + 1);
    assert_eq!(event["data"], sent);
    lost.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_member_may_follow_a_public_channel_and_an_outsider_may_not() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;

    for topic in [messages_topic(general), updates_topic(general)] {
        for member in [&team.owner, &team.admin, &team.moderator, &team.guest] {
            assert_granted(&answer(&app, member, &topic).await, &topic);
        }
        assert_topic_error(&answer(&app, &team.outsider, &topic).await, &topic, 403);
    }
}

#[tokio::test]
async fn a_private_channel_is_followed_by_its_creator_and_admins_but_not_other_guests() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.moderator, "secret", true)
        .await;
    let topic = messages_topic(secret);

    for allowed in [&team.moderator, &team.owner, &team.admin] {
        assert_granted(&answer(&app, allowed, &topic).await, &topic);
    }
    for refused in [&team.guest, &team.outsider] {
        assert_topic_error(&answer(&app, refused, &topic).await, &topic, 403);
    }
}

#[tokio::test]
async fn a_conversation_is_followed_by_its_participants_only() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "us two")
        .await;
    let topic = messages_topic(id_of(&dm));

    for participant in [&team.owner, &team.guest] {
        assert_granted(&answer(&app, participant, &topic).await, &topic);
    }
    // not even the workspace's admin reads someone else's conversation
    for refused in [&team.admin, &team.moderator, &team.outsider] {
        assert_topic_error(&answer(&app, refused, &topic).await, &topic, 403);
    }
}

#[tokio::test]
async fn a_room_that_does_not_exist_is_refused_with_403() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;

    for topic in [messages_topic(999_999), updates_topic(999_999)] {
        let reply = client.subscribe(&[&topic], None).await.remove(0);
        assert_topic_error(&reply, &topic, 403);
    }
}

#[tokio::test]
async fn a_malformed_topic_is_refused_with_400_and_echoed() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let general = app.general_channel(ws, &ada).await;
    let (mut client, _) = WsClient::identified(&app.address, &ada.token, "workspace").await;
    let good = messages_topic(general);

    let replies = client
        .subscribe(&["chat:abc:messages", "foo", &good], None)
        .await;

    assert_topic_error(&replies[0], "chat:abc:messages", 400);
    assert_topic_error(&replies[1], "foo", 400);
    // the bad topics did not spoil the good one in the same frame
    assert_granted(&replies[2], &good);
    client
        .send(json!({"op": "unsubscribe", "topics": ["chat:abc:messages"]}))
        .await;
    assert_topic_error(&client.recv().await, "chat:abc:messages", 400);
}

#[tokio::test]
async fn a_member_kicked_from_the_workspace_loses_the_topic_while_others_keep_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    let (mut kicked, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    kicked.subscribe_ok(&topic).await;
    let (mut stays, _) = WsClient::identified(&app.address, &team.admin.token, "workspace").await;
    let seq = stays.subscribe_ok(&topic).await;

    app.remove_member(team.ws, &team.owner, &team.guest).await;

    assert_lost_while_another_keeps(&app, general, &team.owner, &mut kicked, &mut stays, seq).await;
}

#[tokio::test]
async fn a_banned_member_loses_the_topic_while_others_keep_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    let (mut banned, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    banned.subscribe_ok(&topic).await;
    let (mut stays, _) = WsClient::identified(&app.address, &team.admin.token, "workspace").await;
    let seq = stays.subscribe_ok(&topic).await;

    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/workspaces/{}/bans/{}", team.ws, team.guest.id),
            Some(&team.moderator.token),
            Some(json!({"reason": "spam"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    assert_lost_while_another_keeps(&app, general, &team.owner, &mut banned, &mut stays, seq).await;
    // and subscribing again is refused
    let again = banned.subscribe(&[&topic], None).await.remove(0);
    assert_topic_error(&again, &topic, 403);
}

#[tokio::test]
async fn a_kicked_member_cannot_rejoin_a_room_this_node_still_follows() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    // The owner keeps the room's feed alive on this node throughout.
    let (mut owner, _) = WsClient::identified(&app.address, &team.owner.token, "workspace").await;
    owner.subscribe_ok(&topic).await;
    // The guest's first subscription reads the store and is remembered;
    // the second is answered from memory, and both are granted.
    for _ in 0..2 {
        assert_granted(&answer(&app, &team.guest, &topic).await, &topic);
    }

    app.remove_member(team.ws, &team.owner, &team.guest).await;

    assert_topic_error(&answer(&app, &team.guest, &topic).await, &topic, 403);
    assert_granted(&answer(&app, &team.admin, &topic).await, &topic);
}

#[tokio::test]
async fn subscribed_counts_a_post_answered_just_before() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    let (mut owner, _) = WsClient::identified(&app.address, &team.owner.token, "workspace").await;
    let before = owner.subscribe_ok(&topic).await;

    for n in 1..=3 {
        app.send_message(
            &channel_messages_path(general),
            &team.guest,
            &format!("post {n}"),
        )
        .await;
        // Joined from memory (the room is followed, the guest's access
        // remembered), yet the position includes the post just answered.
        let reply = answer(&app, &team.guest, &topic).await;
        assert_granted(&reply, &topic);
        assert_eq!(reply["seq"], before + n, "{reply}");
    }
}

#[tokio::test]
async fn a_user_removed_from_a_private_channel_loses_the_topic_while_others_keep_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.moderator, "secret", true)
        .await;
    let (status, body) = app
        .post(
            &format!("/api/channels/{secret}/users"),
            &team.moderator.token,
            json!({"user_id": team.guest.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let topic = messages_topic(secret);
    let (mut removed, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    removed.subscribe_ok(&topic).await;
    let (mut stays, _) = WsClient::identified(&app.address, &team.admin.token, "workspace").await;
    let seq = stays.subscribe_ok(&topic).await;

    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/channels/{secret}/users"),
            Some(&team.moderator.token),
            Some(json!({"user_id": team.guest.id})),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");

    assert_lost_while_another_keeps(&app, secret, &team.moderator, &mut removed, &mut stays, seq)
        .await;
}

#[tokio::test]
async fn unsubscribing_is_confirmed_and_stops_the_topics_events() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let seq = client.subscribe_ok(&messages_topic(general)).await;
    client.subscribe_ok(&updates_topic(general)).await;

    client
        .send(json!({"op": "unsubscribe", "topics": [messages_topic(general)]}))
        .await;
    let reply = client.recv().await;
    assert_eq!(
        reply,
        json!({"op": "unsubscribed", "topic": messages_topic(general)})
    );

    let sent = app
        .send_message(&channel_messages_path(general), &team.owner, "unheard")
        .await;
    let edited = app
        .edit_message(
            &channel_message_path(general, id_of(&sent)),
            &team.owner,
            "heard",
        )
        .await;
    // the created event (seq + 1) would come first if it were still sent
    let event = client.event().await;
    assert_event(&event, &updates_topic(general), "message.updated", seq + 2);
    assert_eq!(event["data"], edited);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn an_admin_demoted_to_guest_loses_a_private_channel_they_are_not_in() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    let (mut admin, _) = WsClient::identified(&app.address, &team.admin.token, "workspace").await;
    admin.subscribe_ok(&messages_topic(secret)).await;
    let seq = admin.subscribe_ok(&messages_topic(general)).await;
    // the server dialect names the admin by membership id, as a message shows it
    let (status, sent) = app
        .post(
            &format!("/socket/messages?serverId={}&channelId={general}", team.ws),
            &team.admin.token,
            json!({"content": "still an admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_event(
        &admin.event().await,
        &messages_topic(general),
        "message.created",
        seq + 1,
    );

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/members/{}?serverId={}", sent["memberId"], team.ws),
            Some(&team.owner.token),
            Some(json!({"role": "GUEST"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_topic_error(&admin.recv().await, &messages_topic(secret), 403);
    app.send_message(&channel_messages_path(secret), &team.owner, "admins only")
        .await;
    let sent = app
        .send_message(&channel_messages_path(general), &team.owner, "everyone")
        .await;
    // a guest still reads general, and nothing of the private channel
    let event = admin.event().await;
    assert_event(&event, &messages_topic(general), "message.created", seq + 2);
    assert_eq!(event["data"], sent);
    admin.expect_silence(QUIET).await;
}

#[tokio::test]
async fn deleting_a_channel_ends_its_subscriptions_with_403() {
    let app = spawn_app().await;
    let team = app.team().await;
    let random = app
        .create_channel(team.ws, &team.moderator, "random", false)
        .await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let replies = client
        .subscribe(&[&messages_topic(random), &updates_topic(random)], None)
        .await;
    assert!(
        replies.iter().all(|r| r["op"] == "subscribed"),
        "{replies:?}"
    );

    let (status, body) = app
        .delete(&format!("/api/channels/{random}"), &team.moderator.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let mut revoked = [client.recv().await, client.recv().await];
    revoked.sort_by_key(|f| f["topic"].as_str().unwrap_or_default().len());
    assert_topic_error(&revoked[0], &messages_topic(random), 403);
    assert_topic_error(&revoked[1], &updates_topic(random), 403);
    let again = client.subscribe(&[&messages_topic(random)], None).await;
    assert_topic_error(&again[0], &messages_topic(random), 403);
}

#[tokio::test]
async fn deleting_a_workspace_ends_its_members_subscriptions_with_403() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "us two")
        .await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    client.subscribe_ok(&messages_topic(general)).await;
    client.subscribe_ok(&messages_topic(id_of(&dm))).await;

    let (status, body) = app
        .delete(&format!("/api/workspaces/{}", team.ws), &team.owner.token)
        .await;
    assert!(status.is_success(), "{status}: {body}");

    let mut revoked = [client.recv().await, client.recv().await];
    revoked.sort_by_key(|f| f["topic"] != messages_topic(general));
    assert_topic_error(&revoked[0], &messages_topic(general), 403);
    assert_topic_error(&revoked[1], &messages_topic(id_of(&dm)), 403);
    super::assert_alive(&mut client).await;
}
