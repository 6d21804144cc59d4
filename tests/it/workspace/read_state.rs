//! Read markers, unread and mention counts, and mentions, in the workspace
//! dialect (API.md section 7).

use concord_tests::{
    TestApp, TestUser, assert_error, channel_message_path, channel_messages_path, dm_messages_path,
    id_of, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn mark(app: &TestApp, user: &TestUser, room_path: &str, body: Value) -> (StatusCode, Value) {
    app.put(&format!("{room_path}/read"), &user.token, body)
        .await
}

async fn unread(app: &TestApp, ws: i64, user: &TestUser) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/workspaces/{ws}/unread"), &user.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["rooms"].as_array().unwrap().clone()
}

async fn room_state(app: &TestApp, ws: i64, user: &TestUser, key: &str, id: i64) -> Value {
    unread(app, ws, user)
        .await
        .into_iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("room {id} not in the summary"))
}

#[tokio::test]
async fn unread_counts_fall_as_the_marker_moves_and_never_move_back_unforced() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "news", false)
        .await;
    let path = channel_messages_path(channel);
    let room = format!("/api/channels/{channel}");
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for text in ["one", "two", "three"] {
            ids.push(id_of(&app.send_message(&path, &team.owner, text).await));
        }
        ids
    };
    // The guest's own message is never unread for them.
    let mine = id_of(&app.send_message(&path, &team.guest, "mine").await);

    let state = room_state(&app, team.ws, &team.guest, "channel_id", channel).await;
    assert_eq!(state["unread"], 3, "{state}");
    assert_eq!(state["last_read_id"], Value::Null);
    assert!(state["last_message_id"].as_i64().unwrap() > ids[2]);

    let (status, body) = mark(&app, &team.guest, &room, json!({"message_id": ids[1]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"last_read_id": ids[1], "unread": 1, "mentions": 0})
    );

    // Backwards is ignored...
    let (_, body) = mark(&app, &team.guest, &room, json!({"message_id": ids[0]})).await;
    assert_eq!(body["last_read_id"], ids[1]);
    assert_eq!(body["unread"], 1);
    // ... unless forced: mark as unread.
    let (_, body) = mark(
        &app,
        &team.guest,
        &room,
        json!({"message_id": ids[0], "force": true}),
    )
    .await;
    assert_eq!(
        body,
        json!({"last_read_id": ids[0], "unread": 2, "mentions": 0})
    );

    // A deleted message is no longer unread.
    app.delete_message(&channel_message_path(channel, ids[2]), &team.owner)
        .await;
    let state = room_state(&app, team.ws, &team.guest, "channel_id", channel).await;
    assert_eq!(state["unread"], 1, "{state}");
    // The owner's markers are their own.
    let state = room_state(&app, team.ws, &team.owner, "channel_id", channel).await;
    assert_eq!(state["unread"], 1, "{state}");

    // Deleting one's own message takes it off others' counts, and off
    // nothing of one's own (it was never unread there).
    app.delete_message(&channel_message_path(channel, mine), &team.guest)
        .await;
    let state = room_state(&app, team.ws, &team.guest, "channel_id", channel).await;
    assert_eq!(state["unread"], 1, "{state}");
    let state = room_state(&app, team.ws, &team.owner, "channel_id", channel).await;
    assert_eq!(state["unread"], 0, "{state}");
}

#[tokio::test]
async fn a_marker_must_name_a_message_of_its_room() {
    let app = spawn_app().await;
    let team = app.team().await;
    let a = app.create_channel(team.ws, &team.owner, "a", false).await;
    let b = app.create_channel(team.ws, &team.owner, "b", false).await;
    let in_b = id_of(
        &app.send_message(&channel_messages_path(b), &team.owner, "b")
            .await,
    );
    let (status, body) = mark(
        &app,
        &team.guest,
        &format!("/api/channels/{a}"),
        json!({"message_id": in_b}),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
    let (status, body) = mark(&app, &team.guest, &format!("/api/channels/{a}"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = mark(
        &app,
        &team.outsider,
        &format!("/api/channels/{b}"),
        json!({"message_id": in_b}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn joining_an_old_room_starts_at_its_latest_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let path = channel_messages_path(general);
    for i in 0..5 {
        app.send_message(&path, &team.owner, &format!("history {i}"))
            .await;
    }
    let newcomer = team.recruit(&app, "newcomer", "guest").await;
    let state = room_state(&app, team.ws, &newcomer, "channel_id", general).await;
    assert_eq!(state["unread"], 0, "{state}");
    app.send_message(&path, &team.owner, "welcome!").await;
    let state = room_state(&app, team.ws, &newcomer, "channel_id", general).await;
    assert_eq!(state["unread"], 1, "{state}");

    // Added to a private channel with history: the same.
    let private = app
        .create_channel(team.ws, &team.owner, "inner", true)
        .await;
    let inner = channel_messages_path(private);
    app.send_message(&inner, &team.owner, "before you came")
        .await;
    let (status, body) = app
        .post(
            &format!("/api/channels/{private}/users"),
            &team.owner.token,
            json!({"user_id": newcomer.id}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let state = room_state(&app, team.ws, &newcomer, "channel_id", private).await;
    assert_eq!(state["unread"], 0, "{state}");
}

#[tokio::test]
async fn the_summary_lists_only_rooms_the_caller_may_read() {
    let app = spawn_app().await;
    let team = app.team().await;
    let private = app
        .create_channel(team.ws, &team.owner, "staff", true)
        .await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.owner, &[&team.moderator], "t")
            .await,
    );
    app.send_message(&dm_messages_path(dm), &team.owner, "hi mod")
        .await;

    let guest_rooms = unread(&app, team.ws, &team.guest).await;
    assert!(guest_rooms.iter().all(|r| r["channel_id"] != private));
    assert!(
        guest_rooms
            .iter()
            .all(|r| r.get("direct_message_id").is_none())
    );
    let moderator = room_state(&app, team.ws, &team.moderator, "direct_message_id", dm).await;
    assert_eq!(moderator["unread"], 1, "{moderator}");

    let (status, body) = app
        .get(
            &format!("/api/workspaces/{}/unread", team.ws),
            &team.outsider.token,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn mentions_of_readers_are_recorded_and_counted() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app.create_channel(team.ws, &team.owner, "ops", false).await;
    let path = channel_messages_path(channel);
    let message = app
        .send_message(
            &path,
            &team.owner,
            &format!(
                "@GUEST and <@{}> look, but not @outsider",
                team.moderator.id
            ),
        )
        .await;
    let mut mentioned: Vec<i64> = message["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    mentioned.sort_unstable();
    assert_eq!(mentioned, [team.moderator.id, team.guest.id]);
    app.send_message(&path, &team.owner, "no mention").await;

    let state = room_state(&app, team.ws, &team.guest, "channel_id", channel).await;
    assert_eq!(
        (state["unread"].clone(), state["mentions"].clone()),
        (json!(2), json!(1))
    );
    let state = room_state(&app, team.ws, &team.admin, "channel_id", channel).await;
    assert_eq!(state["mentions"], 0);

    // An edit re-reads the text: the guest is no longer mentioned.
    let id = id_of(&message);
    let edited = app
        .edit_message(
            &channel_message_path(channel, id),
            &team.owner,
            "@admin only",
        )
        .await;
    assert_eq!(edited["mentions"], json!([team.admin.id]));
    let state = room_state(&app, team.ws, &team.guest, "channel_id", channel).await;
    assert_eq!(state["mentions"], 0);
    let state = room_state(&app, team.ws, &team.admin, "channel_id", channel).await;
    assert_eq!(state["mentions"], 1);
}

#[tokio::test]
async fn nobody_outside_a_private_channel_is_mentioned_in_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let private = app.create_channel(team.ws, &team.owner, "hush", true).await;
    let message = app
        .send_message(
            &channel_messages_path(private),
            &team.owner,
            "@guest @moderator can you see this?",
        )
        .await;
    assert_eq!(message["mentions"], json!([]));
}
