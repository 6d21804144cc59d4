//! `POST`/`GET /api/direct_messages/{id}/messages` and `PUT`/`DELETE
//! /api/direct_messages/{id}/messages/{messageId}`: messages in conversations.

use concord_tests::{
    TOMBSTONE, TestApp, assert_envelope, assert_error, assert_message_shape, assert_rfc3339_utc,
    dm_message_path, dm_messages_path, id_of, spawn_app,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A workspace team and a conversation of its guest and moderator, started
/// by the guest.
async fn conversation(app: &TestApp) -> (concord_tests::Team, i64) {
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.moderator], "chat")
        .await;
    (team, id_of(&dm))
}

fn assert_direct_message_not_found(status: StatusCode, body: &Value) {
    assert_error(
        status,
        body,
        StatusCode::NOT_FOUND,
        "Direct Message not found",
    );
    assert_eq!(
        body["errors"],
        json!(["Direct Message with that ID does not exist"]),
        "{body}"
    );
}

#[tokio::test]
async fn sending_a_direct_message_returns_201_with_the_seeds_shape() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let (status, message) = app
        .post(
            &dm_messages_path(dm),
            &team.guest.token,
            json!({"content": "Hello direct message", "direct_message_id": dm}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_message_shape(&message);
    assert_eq!(message["content"], "Hello direct message");
    assert_eq!(message["user_id"], team.guest.id);
    assert!(message["channel_id"].is_null(), "{message}");
    assert_eq!(message["direct_message_id"], dm);
    assert!(message["parent_id"].is_null(), "{message}");
    assert!(message["attachment_id"].is_null(), "{message}");
    assert!(message["edited_at"].is_null(), "{message}");
    assert_eq!(message["deleted"], false);
    assert_eq!(
        app.history(&dm_messages_path(dm), &team.moderator).await,
        vec![message]
    );
}

#[tokio::test]
async fn every_participant_posts_and_reads_the_same_history() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let first = app
        .send_message(&dm_messages_path(dm), &team.guest, "hi")
        .await;
    let second = app
        .send_message(&dm_messages_path(dm), &team.moderator, "hello")
        .await;
    assert_eq!(second["user_id"], team.moderator.id);
    for user in [&team.guest, &team.moderator] {
        assert_eq!(
            app.history(&dm_messages_path(dm), user).await,
            vec![second.clone(), first.clone()]
        );
    }
}

#[tokio::test]
async fn the_caller_is_the_author_and_the_path_names_the_conversation() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let message = app
        .post(
            &dm_messages_path(dm),
            &team.guest.token,
            json!({"content": "mine", "user_id": team.moderator.id, "channel_id": channel, "direct_message_id": 1}),
        )
        .await
        .1;
    assert_eq!(message["user_id"], team.guest.id);
    assert_eq!(message["direct_message_id"], dm);
    assert!(message["channel_id"].is_null(), "{message}");
}

#[tokio::test]
async fn missing_or_blank_content_is_400_invalid_request_body() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    for body in [
        json!({}),
        json!({"content": null}),
        json!({"content": ""}),
        json!({"content": " \n\t "}),
        json!({"direct_message_id": dm}),
    ] {
        let (status, answer) = app
            .post(&dm_messages_path(dm), &team.guest.token, body.clone())
            .await;
        assert_error(
            status,
            &answer,
            StatusCode::BAD_REQUEST,
            "Invalid request body",
        );
        assert_eq!(
            answer["errors"],
            json!(["Message content is required"]),
            "{body} -> {answer}"
        );
    }
    assert!(
        app.history(&dm_messages_path(dm), &team.guest)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn overlong_or_nul_content_is_400() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    for content in ["x".repeat(4001), "a\u{0}b".to_owned()] {
        let (status, answer) = app
            .post(
                &dm_messages_path(dm),
                &team.guest.token,
                json!({"content": content}),
            )
            .await;
        assert_envelope(status, &answer, StatusCode::BAD_REQUEST);
    }
    assert!(
        app.history(&dm_messages_path(dm), &team.guest)
            .await
            .is_empty()
    );
    let message = app
        .send_message(&dm_messages_path(dm), &team.guest, &"x".repeat(4000))
        .await;
    assert_eq!(message["content"].as_str().map(str::len), Some(4000));
}

#[tokio::test]
async fn hostile_content_is_stored_and_returned_verbatim_but_trimmed() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    for content in [
        "Robert'); DROP TABLE conversations;--",
        "<b onmouseover=\"alert('x')\">hi</b>",
        "😀\u{202e}txt.exe",
        "שלום \u{200f}",
    ] {
        let message = app
            .send_message(
                &dm_messages_path(dm),
                &team.guest,
                &format!("\t {content} \n"),
            )
            .await;
        assert_eq!(message["content"], content);
        assert_eq!(
            app.message_in(&dm_messages_path(dm), &team.moderator, id_of(&message))
                .await["content"],
            content
        );
    }
}

#[tokio::test]
async fn an_unknown_direct_message_is_404_with_a_capital_m_on_every_message_route() {
    let app = spawn_app().await;
    let user = app.sign_up("alice").await;
    let answers = [
        app.post(
            &dm_messages_path(999_999),
            &user.token,
            json!({"content": "x"}),
        )
        .await,
        app.get(&dm_messages_path(999_999), &user.token).await,
        app.put(
            &dm_message_path(999_999, 1),
            &user.token,
            json!({"content": "x"}),
        )
        .await,
        app.delete(&dm_message_path(999_999, 1), &user.token).await,
        app.get(
            &format!("{}/replies", dm_message_path(999_999, 1)),
            &user.token,
        )
        .await,
    ];
    for (status, body) in answers {
        assert_direct_message_not_found(status, &body);
    }
}

#[tokio::test]
async fn a_channel_id_is_not_a_direct_message_id() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let (status, body) = app
        .post(
            &dm_messages_path(channel),
            &team.owner.token,
            json!({"content": "x"}),
        )
        .await;
    assert_direct_message_not_found(status, &body);
}

#[tokio::test]
async fn a_non_participant_can_neither_post_nor_read_nor_change_messages() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let message = app
        .send_message(&dm_messages_path(dm), &team.guest, "between us")
        .await;
    let id = id_of(&message);
    // the workspace's owner and admins are not participants; nor is an outsider
    for user in [&team.owner, &team.admin, &team.outsider] {
        let answers = [
            app.post(&dm_messages_path(dm), &user.token, json!({"content": "hi"}))
                .await,
            app.get(&dm_messages_path(dm), &user.token).await,
            app.put(
                &dm_message_path(dm, id),
                &user.token,
                json!({"content": "x"}),
            )
            .await,
            app.delete(&dm_message_path(dm, id), &user.token).await,
            app.get(&format!("{}/replies", dm_message_path(dm, id)), &user.token)
                .await,
        ];
        for (status, body) in answers {
            assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        }
    }
    assert_eq!(
        app.history(&dm_messages_path(dm), &team.guest).await,
        vec![message]
    );
}

#[tokio::test]
async fn a_participant_removed_from_the_workspace_loses_the_conversation() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    app.send_message(&dm_messages_path(dm), &team.moderator, "hi")
        .await;
    app.remove_member(team.ws, &team.owner, &team.moderator)
        .await;
    let (status, body) = app
        .post(
            &dm_messages_path(dm),
            &team.moderator.token,
            json!({"content": "still here?"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app.get(&dm_messages_path(dm), &team.moderator.token).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        app.history(&dm_messages_path(dm), &team.guest).await.len(),
        1
    );
}

#[tokio::test]
async fn the_author_edits_a_direct_message_and_edited_at_is_set() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let original = app
        .send_message(&dm_messages_path(dm), &team.moderator, "tpyo")
        .await;
    let id = id_of(&original);
    let (status, edited) = app
        .put(
            &dm_message_path(dm, id),
            &team.moderator.token,
            json!({"content": "Updated message text"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_message_shape(&edited);
    assert_eq!(edited["id"], id);
    assert_eq!(edited["content"], "Updated message text");
    assert_eq!(edited["direct_message_id"], dm);
    assert!(edited["channel_id"].is_null(), "{edited}");
    assert_eq!(edited["timestamp"], original["timestamp"]);
    assert_rfc3339_utc(&edited["edited_at"]);
    assert_eq!(
        app.message_in(&dm_messages_path(dm), &team.guest, id).await,
        edited
    );
}

#[tokio::test]
async fn another_participant_cannot_edit_a_direct_message() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let original = app
        .send_message(&dm_messages_path(dm), &team.guest, "mine")
        .await;
    let id = id_of(&original);
    let (status, body) = app
        .put(
            &dm_message_path(dm, id),
            &team.moderator.token,
            json!({"content": "yours"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        app.message_in(&dm_messages_path(dm), &team.guest, id).await,
        original
    );
}

#[tokio::test]
async fn a_deleted_direct_message_cannot_be_edited() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let id = id_of(
        &app.send_message(&dm_messages_path(dm), &team.guest, "gone")
            .await,
    );
    let (status, _) = app
        .delete(&dm_message_path(dm, id), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .put(
            &dm_message_path(dm, id),
            &team.guest.token,
            json!({"content": "back"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        app.message_in(&dm_messages_path(dm), &team.guest, id).await["content"],
        TOMBSTONE
    );
}

#[tokio::test]
async fn the_author_deletes_a_direct_message() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let id = id_of(
        &app.send_message(&dm_messages_path(dm), &team.guest, "oops")
            .await,
    );
    let (status, body) = app
        .delete(&dm_message_path(dm, id), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "Message succesfully deleted"}));
    let tombstone = app
        .message_in(&dm_messages_path(dm), &team.moderator, id)
        .await;
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["content"], TOMBSTONE);
}

#[tokio::test]
async fn a_guest_participant_cannot_delete_anothers_message_but_a_moderator_participant_can() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let by_moderator = app
        .send_message(&dm_messages_path(dm), &team.moderator, "from the mod")
        .await;
    let (status, body) = app
        .delete(
            &dm_message_path(dm, id_of(&by_moderator)),
            &team.guest.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        app.message_in(&dm_messages_path(dm), &team.guest, id_of(&by_moderator))
            .await,
        by_moderator
    );

    let by_guest = app
        .send_message(&dm_messages_path(dm), &team.guest, "from the guest")
        .await;
    let (status, body) = app
        .delete(
            &dm_message_path(dm, id_of(&by_guest)),
            &team.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.message_in(&dm_messages_path(dm), &team.guest, id_of(&by_guest))
            .await["deleted"],
        true
    );
}

#[tokio::test]
async fn a_deleted_direct_message_is_a_tombstone_and_its_replies_survive() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let root = app
        .send_message(&dm_messages_path(dm), &team.guest, "thoughts?")
        .await;
    let (status, reply) = app
        .post(
            &dm_messages_path(dm),
            &team.moderator.token,
            json!({"content": "yes", "parent_id": id_of(&root)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["parent_id"], id_of(&root));
    let (status, _) = app
        .delete(&dm_message_path(dm, id_of(&root)), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK);

    let history = app.history(&dm_messages_path(dm), &team.moderator).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0], reply);
    assert_eq!(history[1]["id"], id_of(&root));
    assert_eq!(history[1]["deleted"], true);
    assert_eq!(history[1]["content"], TOMBSTONE);
    assert!(history[1]["attachment_id"].is_null());

    let (status, thread) = app
        .get(
            &format!("{}/replies", dm_message_path(dm, id_of(&root))),
            &team.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    assert_eq!(thread["parent"], history[1]);
    assert_eq!(thread["replies"], json!([reply]));
}

#[tokio::test]
async fn a_message_of_another_room_is_not_found_through_this_conversations_path() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let other = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.owner], "other")
            .await,
    );
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let in_other = app
        .send_message(&dm_messages_path(other), &team.guest, "other dm")
        .await;
    let in_channel = app
        .send_message(
            &format!("/api/channels/{channel}/messages"),
            &team.guest,
            "channel",
        )
        .await;
    for id in [id_of(&in_other), id_of(&in_channel)] {
        let answers = [
            app.put(
                &dm_message_path(dm, id),
                &team.guest.token,
                json!({"content": "moved?"}),
            )
            .await,
            app.delete(&dm_message_path(dm, id), &team.guest.token)
                .await,
            app.get(
                &format!("{}/replies", dm_message_path(dm, id)),
                &team.guest.token,
            )
            .await,
        ];
        for (status, body) in answers {
            assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
        }
    }
    assert_eq!(
        app.message_in(&dm_messages_path(other), &team.owner, id_of(&in_other))
            .await,
        in_other
    );
    assert!(
        app.history(&dm_messages_path(dm), &team.guest)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn direct_message_message_routes_require_authentication() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    let id = id_of(
        &app.send_message(&dm_messages_path(dm), &team.guest, "hi")
            .await,
    );
    let list = dm_messages_path(dm);
    let one = dm_message_path(dm, id);
    let requests = [
        (Method::POST, list.as_str(), Some(json!({"content": "x"}))),
        (Method::GET, list.as_str(), None),
        (Method::PUT, one.as_str(), Some(json!({"content": "x"}))),
        (Method::DELETE, one.as_str(), None),
    ];
    for (method, path, body) in requests {
        let (status, answer) = app.call(method, path, None, body).await;
        assert_error(
            status,
            &answer,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }
    assert_eq!(
        app.history(&dm_messages_path(dm), &team.guest).await.len(),
        1
    );
}

#[tokio::test]
async fn a_non_participants_refused_send_carries_the_seeds_not_authorized_text() {
    let app = spawn_app().await;
    let (team, dm) = conversation(&app).await;
    for user in [&team.admin, &team.outsider] {
        let (status, body) = app
            .post(&dm_messages_path(dm), &user.token, json!({"content": "hi"}))
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors: {body}"));
        assert!(
            errors.iter().any(|e| {
                e == "User does not have permission to send message in this Direct Message"
                    || e == "User not authorized to send message in Direct Message"
            }),
            "errors do not carry the seed's text: {body}"
        );
    }
}
