//! Threaded replies (`parent_id`) and `GET .../messages/{id}/replies`, in
//! channels and in direct messages.

use concord_tests::{TestApp, TestUser, assert_error, assert_message_shape, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn reply(
    app: &TestApp,
    messages_path: &str,
    by: &TestUser,
    parent: i64,
    content: &str,
) -> (StatusCode, Value) {
    app.post(
        messages_path,
        &by.token,
        json!({"content": content, "parent_id": parent}),
    )
    .await
}

async fn thread(app: &TestApp, messages_path: &str, by: &TestUser, id: i64) -> Value {
    let (status, thread) = app
        .get(&format!("{messages_path}/{id}/replies"), &by.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    thread
}

#[tokio::test]
async fn a_reply_in_a_channel_names_its_parent() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = app.send_message(&path, &team.owner, "root").await;
    let (status, answer) = reply(
        &app,
        &path,
        &team.guest,
        id_of(&root),
        "This is a threaded reply message",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_message_shape(&answer);
    assert_eq!(answer["parent_id"], id_of(&root));
    assert_eq!(answer["channel_id"], root["channel_id"]);
    assert_eq!(answer["user_id"], team.guest.id);
    assert_eq!(answer["content"], "This is a threaded reply message");
}

#[tokio::test]
async fn parent_id_may_arrive_as_a_numeric_string_or_in_camel_case() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = id_of(&app.send_message(&path, &team.owner, "root").await);
    for body in [
        json!({"content": "a", "parent_id": root.to_string()}),
        json!({"content": "b", "parentId": root}),
    ] {
        let (status, answer) = app.post(&path, &team.guest.token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["parent_id"], root);
    }
}

#[tokio::test]
async fn a_reply_to_a_reply_is_attached_to_the_root() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = id_of(&app.send_message(&path, &team.owner, "root").await);
    let (_, first) = reply(&app, &path, &team.guest, root, "first").await;
    let (status, nested) = reply(&app, &path, &team.admin, id_of(&first), "nested").await;
    assert_eq!(status, StatusCode::CREATED, "{nested}");
    assert_eq!(nested["parent_id"], root);

    let thread = thread(&app, &path, &team.guest, root).await;
    assert_eq!(thread["parent"]["id"], root);
    assert_eq!(thread["replies"], json!([first, nested]));
}

#[tokio::test]
async fn a_parent_in_another_channel_is_404_parent_message_not_found() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let other = app
        .create_channel(team.ws, &team.owner, "other", false)
        .await;
    let elsewhere = id_of(
        &app.send_message(
            &format!("/api/channels/{other}/messages"),
            &team.owner,
            "over there",
        )
        .await,
    );
    let (status, body) = reply(&app, &path, &team.guest, elsewhere, "hi").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Parent Message not found",
    );
    assert_eq!(
        body["errors"],
        json!(["Parent Message with that ID does not exist"]),
        "{body}"
    );
    let (status, body) = reply(&app, &path, &team.guest, 999_999, "hi").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Parent Message not found",
    );
    let (_, page) = app.get(&path, &team.guest.token).await;
    assert_eq!(page["messages"], json!([]), "nothing was posted");
}

#[tokio::test]
async fn a_parent_in_a_direct_message_is_not_a_parent_in_a_channel_and_vice_versa() {
    let app = spawn_app().await;
    let (team, channel_path) = app.team_with_channel().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.owner], "dm")
            .await,
    );
    let dm_path = format!("/api/direct_messages/{dm}/messages");
    let in_dm = id_of(&app.send_message(&dm_path, &team.owner, "in dm").await);
    let in_channel = id_of(
        &app.send_message(&channel_path, &team.owner, "in channel")
            .await,
    );

    let (status, body) = reply(&app, &channel_path, &team.guest, in_dm, "x").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Parent Message not found",
    );
    let (status, body) = reply(&app, &dm_path, &team.guest, in_channel, "x").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Parent Message not found",
    );
}

#[tokio::test]
async fn replies_come_with_their_parent_oldest_first() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = app.send_message(&path, &team.owner, "root").await;
    let unrelated = app.send_message(&path, &team.owner, "unrelated").await;
    let mut replies = Vec::new();
    for (i, user) in [&team.guest, &team.admin, &team.guest, &team.moderator]
        .into_iter()
        .enumerate()
    {
        let (status, answer) = reply(&app, &path, user, id_of(&root), &format!("r{i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        replies.push(answer);
    }
    // a reply in another thread stays out of this one
    let (status, _) = reply(&app, &path, &team.guest, id_of(&unrelated), "elsewhere").await;
    assert_eq!(status, StatusCode::CREATED);

    let thread = thread(&app, &path, &team.moderator, id_of(&root)).await;
    let mut keys: Vec<&str> = thread
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["parent", "replies"], "{thread}");
    assert_eq!(thread["parent"], root);
    assert_eq!(thread["replies"], Value::Array(replies.clone()));
    let ids: Vec<i64> = replies.iter().map(id_of).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn a_message_without_replies_has_an_empty_thread() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = app.send_message(&path, &team.owner, "lonely").await;
    let thread = thread(&app, &path, &team.guest, id_of(&root)).await;
    assert_eq!(thread, json!({"parent": root, "replies": []}));
}

#[tokio::test]
async fn asking_for_a_replys_thread_gives_the_whole_thread() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = app.send_message(&path, &team.owner, "root").await;
    let (_, first) = reply(&app, &path, &team.guest, id_of(&root), "first").await;
    let (_, second) = reply(&app, &path, &team.admin, id_of(&root), "second").await;
    let thread = thread(&app, &path, &team.guest, id_of(&second)).await;
    assert_eq!(thread, json!({"parent": root, "replies": [first, second]}));
}

#[tokio::test]
async fn replies_of_an_unknown_message_are_404_and_of_an_unreadable_room_403() {
    let app = spawn_app().await;
    let (team, path) = app.team_with_channel().await;
    let root = id_of(&app.send_message(&path, &team.owner, "root").await);
    let (status, body) = app
        .get(&format!("{path}/999999/replies"), &team.guest.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
    let (status, body) = app
        .get(&format!("{path}/{root}/replies"), &team.outsider.token)
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .get("/api/channels/999999/messages/1/replies", &team.guest.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn threads_work_the_same_in_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.moderator], "dm")
            .await,
    );
    let path = format!("/api/direct_messages/{dm}/messages");
    let root = app.send_message(&path, &team.guest, "root").await;
    let (status, first) = reply(&app, &path, &team.moderator, id_of(&root), "first").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["parent_id"], id_of(&root));
    assert_eq!(first["direct_message_id"], dm);
    assert!(first["channel_id"].is_null(), "{first}");
    let (status, nested) = reply(&app, &path, &team.guest, id_of(&first), "nested").await;
    assert_eq!(status, StatusCode::CREATED, "{nested}");
    assert_eq!(nested["parent_id"], id_of(&root));

    let thread = thread(&app, &path, &team.moderator, id_of(&root)).await;
    assert_eq!(thread, json!({"parent": root, "replies": [first, nested]}));

    let (status, body) = reply(&app, &path, &team.guest, 999_999, "x").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Parent Message not found",
    );
    let (status, body) = app
        .get(
            &format!("{path}/{}/replies", id_of(&root)),
            &team.admin.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}
