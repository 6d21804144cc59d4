//! `POST /api/workspaces/{id}/direct_messages`, `GET /api/direct_messages`
//! and `GET`/`PUT`/`DELETE /api/direct_messages/{id}`: conversations.

use concord_tests::{TestApp, TestUser, assert_envelope, assert_error, ids_of, keys_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DM_FIELDS: [&str; 5] = [
    "id",
    "last_sent_message_timestamp",
    "topic",
    "users",
    "workspace_id",
];

fn assert_dm_shape(dm: &Value) {
    assert_eq!(keys_of(dm), DM_FIELDS, "{dm}");
}

fn sorted_users(dm: &Value) -> Vec<i64> {
    let mut users: Vec<i64> = dm["users"]
        .as_array()
        .unwrap_or_else(|| panic!("users is not an array: {dm}"))
        .iter()
        .map(|u| u.as_i64().unwrap_or_else(|| panic!("bad user id: {dm}")))
        .collect();
    users.sort_unstable();
    users
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

async fn dm_ids_of(app: &TestApp, user: &TestUser, query: &str) -> Vec<i64> {
    let (status, list) = app
        .get(&format!("/api/direct_messages{query}"), &user.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    for dm in list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
    {
        assert_dm_shape(dm);
    }
    ids_of(&list)
}

#[tokio::test]
async fn creating_a_direct_message_returns_201_with_every_participant() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, dm) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"workspace_id": team.ws, "users": [team.guest.id], "topic": "Plans"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert_dm_shape(&dm);
    assert!(dm["id"].as_i64().is_some_and(|id| id > 0), "{dm}");
    assert_eq!(dm["topic"], "Plans");
    assert_eq!(dm["workspace_id"], team.ws);
    assert_eq!(
        sorted_users(&dm),
        sorted(vec![team.owner.id, team.guest.id])
    );
    assert!(dm["last_sent_message_timestamp"].is_null(), "{dm}");
}

#[tokio::test]
async fn the_creator_and_repeated_users_count_once_among_the_participants() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, dm) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"users": [team.guest.id, team.guest.id, team.owner.id, team.admin.id], "topic": "Trio"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert_eq!(
        sorted_users(&dm),
        sorted(vec![team.owner.id, team.guest.id, team.admin.id])
    );
}

#[tokio::test]
async fn user_ids_may_arrive_as_numeric_strings() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, dm) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"users": [team.guest.id.to_string()], "topic": "Strings"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert_eq!(
        sorted_users(&dm),
        sorted(vec![team.owner.id, team.guest.id])
    );
}

#[tokio::test]
async fn a_direct_message_may_have_no_topic() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, dm) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"users": [team.guest.id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert!(dm["topic"].is_null(), "{dm}");
}

#[tokio::test]
async fn listing_direct_messages_shows_only_the_callers_conversations() {
    let app = spawn_app().await;
    let team = app.team().await;
    let first = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "owner and guest")
        .await;
    let second = app
        .create_direct_message(team.ws, &team.admin, &[&team.moderator], "admin and mod")
        .await;
    let third = app
        .create_direct_message(team.ws, &team.guest, &[&team.moderator], "guest and mod")
        .await;

    let owners = dm_ids_of(&app, &team.owner, "").await;
    assert_eq!(owners, vec![first["id"].as_i64().expect("id")]);
    let guests = dm_ids_of(&app, &team.guest, "").await;
    assert_eq!(
        sorted(guests),
        sorted(vec![
            first["id"].as_i64().expect("id"),
            third["id"].as_i64().expect("id")
        ])
    );
    let moderators = dm_ids_of(&app, &team.moderator, "").await;
    assert_eq!(
        sorted(moderators),
        sorted(vec![
            second["id"].as_i64().expect("id"),
            third["id"].as_i64().expect("id")
        ])
    );
    assert!(dm_ids_of(&app, &team.outsider, "").await.is_empty());
}

#[tokio::test]
async fn listed_direct_messages_carry_their_topic_workspace_and_users() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "Hello")
        .await;
    let (status, list) = app.get("/api/direct_messages", &team.guest.token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([dm]));
}

#[tokio::test]
async fn listing_with_workspace_id_shows_only_that_workspaces_conversations() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_ws = app.create_workspace(&team.owner, "Other").await;
    app.add_member(other_ws, &team.owner, &team.guest).await;
    let here = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "here")
        .await["id"]
        .as_i64()
        .expect("id");
    let there = app
        .create_direct_message(other_ws, &team.guest, &[&team.owner], "there")
        .await["id"]
        .as_i64()
        .expect("id");

    assert_eq!(
        sorted(dm_ids_of(&app, &team.owner, "").await),
        sorted(vec![here, there])
    );
    assert_eq!(
        dm_ids_of(&app, &team.owner, &format!("?workspace_id={}", team.ws)).await,
        vec![here]
    );
    assert_eq!(
        dm_ids_of(&app, &team.guest, &format!("?workspace_id={other_ws}")).await,
        vec![there]
    );
    // Field names are accepted in camelCase too, query parameters included.
    assert_eq!(
        dm_ids_of(&app, &team.guest, &format!("?workspaceId={other_ws}")).await,
        vec![there]
    );
    let (status, list) = app
        .get(
            &format!("/api/direct_messages?workspace_id={other_ws}"),
            &team.admin.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn a_non_numeric_workspace_id_filter_is_400() {
    let app = spawn_app().await;
    let user = app.sign_up("alice").await;
    let (status, body) = app
        .get("/api/direct_messages?workspace_id=abc", &user.token)
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn participants_read_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "Read me")
        .await;
    let id = dm["id"].as_i64().expect("id");
    for user in [&team.owner, &team.guest] {
        let (status, body) = app
            .get(&format!("/api/direct_messages/{id}"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_dm_shape(&body);
        assert_eq!(body, dm);
    }
}

#[tokio::test]
async fn only_participants_read_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.moderator], "Private")
        .await;
    let id = dm["id"].as_i64().expect("id");
    // the workspace's owner and admins are not participants either
    for user in [&team.owner, &team.admin, &team.outsider] {
        let (status, body) = app
            .get(&format!("/api/direct_messages/{id}"), &user.token)
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }
}

#[tokio::test]
async fn an_unknown_direct_message_is_404_on_get_put_and_delete() {
    let app = spawn_app().await;
    let user = app.sign_up("alice").await;
    let path = "/api/direct_messages/999999";
    let answers = [
        app.get(path, &user.token).await,
        app.put(path, &user.token, json!({"topic": "x"})).await,
        app.delete(path, &user.token).await,
    ];
    for (status, body) in answers {
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "Direct message not found",
        );
        assert_eq!(
            body["errors"],
            json!(["Direct message with that ID does not exist"]),
            "{body}"
        );
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
        .get(
            &format!("/api/direct_messages/{channel}"),
            &team.owner.token,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Direct message not found",
    );
}

#[tokio::test]
async fn the_creator_retitles_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "Old")
        .await;
    let id = dm["id"].as_i64().expect("id");
    let (status, body) = app
        .put(
            &format!("/api/direct_messages/{id}"),
            &team.owner.token,
            json!({"topic": "  Updated Direct Message Topic  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_dm_shape(&body);
    assert_eq!(body["id"], id);
    assert_eq!(body["topic"], "Updated Direct Message Topic");
    assert_eq!(body["workspace_id"], team.ws);
    assert_eq!(body["users"], dm["users"]);

    let (status, seen) = app
        .get(&format!("/api/direct_messages/{id}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["topic"], "Updated Direct Message Topic");
}

#[tokio::test]
async fn only_the_creator_retitles_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.owner], "Mine")
        .await;
    let id = dm["id"].as_i64().expect("id");
    // a participant who is the workspace's owner, and a non-participant
    for user in [&team.owner, &team.admin] {
        let (status, body) = app
            .put(
                &format!("/api/direct_messages/{id}"),
                &user.token,
                json!({"topic": "Hijacked"}),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (_, seen) = app
        .get(&format!("/api/direct_messages/{id}"), &team.guest.token)
        .await;
    assert_eq!(seen["topic"], "Mine");
}

#[tokio::test]
async fn retitling_without_a_topic_is_400() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "Keep")
        .await;
    let id = dm["id"].as_i64().expect("id");
    let (status, body) = app
        .put(
            &format!("/api/direct_messages/{id}"),
            &team.owner.token,
            json!({}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .put(
            &format!("/api/direct_messages/{id}"),
            &team.owner.token,
            json!({"topic": "x".repeat(1001)}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let (_, seen) = app
        .get(&format!("/api/direct_messages/{id}"), &team.owner.token)
        .await;
    assert_eq!(seen["topic"], "Keep");
}

#[tokio::test]
async fn the_creator_deletes_a_direct_message_and_it_is_gone() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "Bye")
        .await;
    let id = dm["id"].as_i64().expect("id");
    app.send_message(
        &format!("/api/direct_messages/{id}/messages"),
        &team.guest,
        "hello",
    )
    .await;

    let (status, body) = app
        .delete(&format!("/api/direct_messages/{id}"), &team.owner.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"message": "Direct message succesfully deleted"})
    );

    for user in [&team.owner, &team.guest] {
        let (status, body) = app
            .get(&format!("/api/direct_messages/{id}"), &user.token)
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "Direct message not found",
        );
        assert!(dm_ids_of(&app, user, "").await.is_empty());
    }
    let (status, body) = app
        .get(
            &format!("/api/direct_messages/{id}/messages"),
            &team.guest.token,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Direct Message not found",
    );
}

#[tokio::test]
async fn only_the_creator_deletes_a_direct_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.owner], "Stay")
        .await;
    let id = dm["id"].as_i64().expect("id");
    for user in [&team.owner, &team.admin, &team.outsider] {
        let (status, body) = app
            .delete(&format!("/api/direct_messages/{id}"), &user.token)
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (status, body) = app
        .get(&format!("/api/direct_messages/{id}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn every_user_must_be_a_member_of_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;
    for users in [
        json!([team.outsider.id]),
        json!([team.guest.id, team.outsider.id]),
        json!([999_999]),
    ] {
        let (status, body) = app
            .post(
                &format!("/api/workspaces/{}/direct_messages", team.ws),
                &team.owner.token,
                json!({"users": users, "topic": "nope"}),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "User not found in workspace",
        );
    }
    assert!(dm_ids_of(&app, &team.owner, "").await.is_empty());
    assert!(dm_ids_of(&app, &team.guest, "").await.is_empty());
}

#[tokio::test]
async fn missing_or_empty_users_is_400() {
    let app = spawn_app().await;
    let team = app.team().await;
    for body in [
        json!({"topic": "alone"}),
        json!({"users": [], "topic": "alone"}),
        json!({"users": "everyone"}),
        json!({"users": [0]}),
    ] {
        let (status, answer) = app
            .post(
                &format!("/api/workspaces/{}/direct_messages", team.ws),
                &team.owner.token,
                body.clone(),
            )
            .await;
        assert_envelope(status, &answer, StatusCode::BAD_REQUEST);
        assert!(
            !answer["errors"].as_array().expect("errors").is_empty(),
            "{body} -> {answer}"
        );
    }
    assert!(dm_ids_of(&app, &team.owner, "").await.is_empty());
}

/// Naming only yourself is well-formed (the OpenAPI document cannot know
/// who the caller is): it makes a conversation of the caller alone, which
/// nobody else sees.
#[tokio::test]
async fn naming_only_yourself_makes_notes_to_self() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, dm) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"users": [team.owner.id], "topic": "only me"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert_eq!(dm["users"], json!([team.owner.id]));
    assert_eq!(
        dm_ids_of(&app, &team.owner, "").await,
        vec![dm["id"].as_i64().unwrap()]
    );
    assert!(dm_ids_of(&app, &team.guest, "").await.is_empty());
}

#[tokio::test]
async fn missing_users_names_the_field_in_the_errors() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, body) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"topic": "alone"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"], json!(["Users is required"]), "{body}");
}

#[tokio::test]
async fn only_members_start_conversations_in_a_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, body) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.outsider.token,
            json!({"users": [team.owner.id], "topic": "let me in"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert!(dm_ids_of(&app, &team.owner, "").await.is_empty());
}

#[tokio::test]
async fn starting_a_conversation_in_an_unknown_workspace_is_404() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let (status, body) = app
        .post(
            "/api/workspaces/999999/direct_messages",
            &alice.token,
            json!({"users": [bob.id], "topic": "nowhere"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn direct_message_endpoints_require_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "auth")
        .await;
    let id = dm["id"].as_i64().expect("id");
    let create = format!("/api/workspaces/{}/direct_messages", team.ws);
    let one = format!("/api/direct_messages/{id}");
    let requests = [
        (
            Method::POST,
            create.as_str(),
            Some(json!({"users": [team.guest.id]})),
        ),
        (Method::GET, "/api/direct_messages", None),
        (Method::GET, one.as_str(), None),
        (Method::PUT, one.as_str(), Some(json!({"topic": "x"}))),
        (Method::DELETE, one.as_str(), None),
    ];
    for (method, path, body) in requests {
        let (status, answer) = app.call(method.clone(), path, None, body).await;
        assert_error(
            status,
            &answer,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }
    let (status, _) = app.get(&one, &team.owner.token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_topic_over_1000_characters_is_400() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, body) = app
        .post(
            &format!("/api/workspaces/{}/direct_messages", team.ws),
            &team.owner.token,
            json!({"users": [team.guest.id], "topic": "t".repeat(1001)}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    assert!(dm_ids_of(&app, &team.owner, "").await.is_empty());
    let dm = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], &"t".repeat(1000))
        .await;
    assert_eq!(dm["topic"].as_str().map(str::len), Some(1000));
}

#[tokio::test]
async fn deleting_the_workspace_deletes_its_direct_messages() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_direct_message(team.ws, &team.owner, &[&team.guest], "gone soon")
        .await["id"]
        .as_i64()
        .expect("id");
    app.send_message(
        &format!("/api/direct_messages/{id}/messages"),
        &team.guest,
        "hi",
    )
    .await;
    let (status, body) = app
        .delete(&format!("/api/workspaces/{}", team.ws), &team.owner.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .get(&format!("/api/direct_messages/{id}"), &team.guest.token)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Direct message not found",
    );
    assert!(dm_ids_of(&app, &team.guest, "").await.is_empty());
}
