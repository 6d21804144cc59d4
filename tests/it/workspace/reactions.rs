//! Reactions and pins in the workspace dialect (API.md section 7): who may,
//! who may not, the bounds, and what every message JSON shows.

use concord_tests::ws::{WsClient, updates_topic};
use concord_tests::{
    TestApp, TestUser, assert_error, channel_message_path, channel_messages_path, dm_messages_path,
    id_of, spawn_app,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn reaction_path(message: i64, emoji: &str) -> String {
    format!("/api/messages/{message}/reactions/{emoji}")
}

async fn react(app: &TestApp, user: &TestUser, message: i64, emoji: &str) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &reaction_path(message, emoji),
        Some(&user.token),
        None,
    )
    .await
}

async fn unreact(app: &TestApp, user: &TestUser, message: i64, emoji: &str) -> (StatusCode, Value) {
    app.delete(&reaction_path(message, emoji), &user.token)
        .await
}

async fn pin(app: &TestApp, user: &TestUser, message: i64, on: bool) -> StatusCode {
    let method = if on { Method::PUT } else { Method::DELETE };
    let path = format!("/api/messages/{message}/pin");
    let (status, body) = app.call(method, &path, Some(&user.token), None).await;
    assert!(
        status == StatusCode::NO_CONTENT || body["errors"].is_array(),
        "{body}"
    );
    status
}

#[tokio::test]
async fn a_reaction_is_counted_once_per_user_and_shown_in_history() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let id = id_of(&app.send_message(&path, &team.owner, "ship it").await);

    assert_eq!(
        react(&app, &team.guest, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&app, &team.guest, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&app, &team.owner, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&app, &team.owner, id, ":tada:").await.0,
        StatusCode::NO_CONTENT
    );

    let message = app.message_in(&path, &team.moderator, id).await;
    assert_eq!(
        message["reactions"],
        json!([
            {"emoji": "👍", "count": 2, "user_ids": [team.guest.id, team.owner.id]},
            {"emoji": ":tada:", "count": 1, "user_ids": [team.owner.id]},
        ])
    );

    assert_eq!(
        unreact(&app, &team.guest, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    // Taking back a reaction that is not there is not an error.
    assert_eq!(
        unreact(&app, &team.guest, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        unreact(&app, &team.owner, id, ":tada:").await.0,
        StatusCode::NO_CONTENT
    );
    let message = app.message_in(&path, &team.guest, id).await;
    assert_eq!(
        message["reactions"],
        json!([{"emoji": "👍", "count": 1, "user_ids": [team.owner.id]}])
    );
}

#[tokio::test]
async fn only_one_emoji_or_a_shortcode_is_a_reaction() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let id = id_of(&app.send_message(&path, &team.owner, "hi").await);
    for ok in ["%F0%9F%91%8D%F0%9F%8F%BD", ":%2B1:", "🇫🇷"] {
        let (status, body) = react(&app, &team.guest, id, ok).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{ok}: {body}");
    }
    for bad in ["a", "👍👍", "%3AThumbs%20Up%3A", "lol"] {
        let (status, body) = react(&app, &team.guest, id, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body["errors"][0].as_str().unwrap().contains("Emoji"),
            "{body}"
        );
    }
    let message = app.message_in(&path, &team.guest, id).await;
    let emoji: Vec<&str> = message["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["emoji"].as_str().unwrap())
        .collect();
    assert_eq!(emoji, ["👍🏽", ":+1:", "🇫🇷"]);
}

#[tokio::test]
async fn a_message_holds_at_most_twenty_different_emoji() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let id = id_of(&app.send_message(&path, &team.owner, "vote").await);
    for i in 0..20 {
        let (status, body) = react(&app, &team.owner, id, &format!(":e{i}:")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (status, body) = react(&app, &team.owner, id, ":one_too_many:").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    // An emoji already there may still be used by someone else.
    assert_eq!(
        react(&app, &team.guest, id, ":e3:").await.0,
        StatusCode::NO_CONTENT
    );
    let message = app.message_in(&path, &team.owner, id).await;
    assert_eq!(message["reactions"].as_array().unwrap().len(), 20);
    assert_eq!(message["reactions"][3]["count"], 2);
}

#[tokio::test]
async fn outsiders_private_channels_and_deleted_messages_take_no_reactions() {
    let app = spawn_app().await;
    let team = app.team().await;
    let private = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    let secret = id_of(
        &app.send_message(&channel_messages_path(private), &team.owner, "psst")
            .await,
    );
    for who in [&team.outsider, &team.guest] {
        let (status, body) = react(&app, who, secret, "👍").await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
    }

    let (team_path, gone) = {
        let general = app.general_channel(team.ws, &team.owner).await;
        let path = channel_messages_path(general);
        let id = id_of(&app.send_message(&path, &team.guest, "oops").await);
        app.delete_message(&channel_message_path(general, id), &team.guest)
            .await;
        (path, id)
    };
    let (status, body) = react(&app, &team.owner, gone, "👍").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
    let (status, body) = react(&app, &team.owner, 999_999_999, "👍").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
    let tombstone = app.message_in(&team_path, &team.owner, gone).await;
    assert_eq!(tombstone["reactions"], json!([]));
}

#[tokio::test]
async fn concurrent_reactions_keep_the_count_exact() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let id = id_of(&app.send_message(&path, &team.owner, "hot").await);
    let mut users = Vec::new();
    for i in 0..12 {
        users.push(team.recruit(&app, &format!("fan{i}"), "guest").await);
    }
    let toggles = users.iter().map(|u| {
        let app = &app;
        async move {
            // Add, take back and add again, all racing the others.
            for on in [true, false, true] {
                let status = if on {
                    react(app, u, id, "🔥").await.0
                } else {
                    unreact(app, u, id, "🔥").await.0
                };
                assert_eq!(status, StatusCode::NO_CONTENT);
            }
        }
    });
    futures_util::future::join_all(toggles).await;
    let message = app.message_in(&path, &team.owner, id).await;
    assert_eq!(message["reactions"][0]["count"], 12, "{message}");
    let mut listed: Vec<i64> = message["reactions"][0]["user_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_i64().unwrap())
        .collect();
    listed.sort_unstable();
    let mut expected: Vec<i64> = users.iter().map(|u| u.id).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn a_reaction_reaches_the_rooms_updates_topic_with_the_whole_message() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let sent = app.send_message(&path, &team.owner, "react to me").await;
    let id = id_of(&sent);
    let room = sent["channel_id"].as_i64().unwrap();
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    client.subscribe_ok(&updates_topic(room)).await;

    react(&app, &team.owner, id, "🎉").await;
    let event = client.event().await;
    assert_eq!(event["type"], "message.reactions", "{event}");
    assert_eq!(event["topic"], updates_topic(room));
    assert_eq!(event["data"], app.message_in(&path, &team.guest, id).await);
    assert_eq!(event["data"]["reactions"][0]["emoji"], "🎉");

    pin(&app, &team.owner, id, true).await;
    let event = client.event().await;
    assert_eq!(event["type"], "message.pinned", "{event}");
    assert_eq!(event["data"]["pinned"], true);
    pin(&app, &team.owner, id, false).await;
    let event = client.event().await;
    assert_eq!(event["type"], "message.unpinned", "{event}");
    assert_eq!(event["data"]["pinned"], false);
}

#[tokio::test]
async fn channel_creators_and_moderators_pin_guests_do_not() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let id = id_of(&app.send_message(&path, &team.guest, "pin me").await);

    assert_eq!(
        pin(&app, &team.guest, id, true).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        pin(&app, &team.outsider, id, true).await,
        StatusCode::NOT_FOUND
    );
    for who in [&team.moderator, &team.admin, &team.owner] {
        assert_eq!(pin(&app, who, id, true).await, StatusCode::NO_CONTENT);
        assert_eq!(pin(&app, who, id, false).await, StatusCode::NO_CONTENT);
    }
    // A guest's own channel is theirs to pin in.
    let mine = app
        .create_channel(team.ws, &team.guest, "mine", false)
        .await;
    let own = id_of(
        &app.send_message(&channel_messages_path(mine), &team.owner, "x")
            .await,
    );
    assert_eq!(
        pin(&app, &team.guest, own, true).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.message_in(&channel_messages_path(mine), &team.guest, own)
            .await["pinned"],
        true
    );
}

#[tokio::test]
async fn pins_are_listed_newest_pin_first_and_leave_with_deletion() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let channel = path.split('/').nth(3).unwrap().parse::<i64>().unwrap();
    let a = id_of(&app.send_message(&path, &team.owner, "a").await);
    let b = id_of(&app.send_message(&path, &team.owner, "b").await);
    pin(&app, &team.owner, b, true).await;
    pin(&app, &team.owner, a, true).await;
    // Pinning twice changes nothing.
    assert_eq!(
        pin(&app, &team.owner, b, true).await,
        StatusCode::NO_CONTENT
    );

    let pins_path = format!("/api/channels/{channel}/pins");
    let (status, pins) = app.get(&pins_path, &team.guest.token).await;
    assert_eq!(status, StatusCode::OK, "{pins}");
    let ids: Vec<i64> = pins["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(pins["messages"][0]["pinned"], true);

    app.delete_message(&channel_message_path(channel, a), &team.owner)
        .await;
    let (_, pins) = app.get(&pins_path, &team.guest.token).await;
    let ids: Vec<i64> = pins["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(ids, [b]);

    let (status, body) = app.get(&pins_path, &team.outsider.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_room_holds_at_most_fifty_pins() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    for i in 0..50 {
        let id = id_of(&app.send_message(&path, &team.owner, &format!("m{i}")).await);
        assert_eq!(
            pin(&app, &team.owner, id, true).await,
            StatusCode::NO_CONTENT
        );
    }
    let extra = id_of(&app.send_message(&path, &team.owner, "one more").await);
    let path = format!("/api/messages/{extra}/pin");
    let (status, body) = app
        .call(Method::PUT, &path, Some(&team.owner.token), None)
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
}

#[tokio::test]
async fn every_participant_pins_in_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.moderator], "chat")
            .await,
    );
    let path = dm_messages_path(dm);
    let id = id_of(
        &app.send_message(&path, &team.moderator, "remember this")
            .await,
    );
    assert_eq!(
        pin(&app, &team.guest, id, true).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        pin(&app, &team.owner, id, false).await,
        StatusCode::NOT_FOUND
    );
    let (status, pins) = app
        .get(
            &format!("/api/direct_messages/{dm}/pins"),
            &team.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pins}");
    assert_eq!(pins["messages"][0]["id"], id);
    assert_eq!(
        react(&app, &team.owner, id, "👍").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        react(&app, &team.moderator, id, "👍").await.0,
        StatusCode::NO_CONTENT
    );
}
