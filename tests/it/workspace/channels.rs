//! `GET`/`POST /api/workspaces/{id}/channels`, `GET`/`PUT`/`DELETE
//! /api/channels/{id}` and `POST`/`DELETE /api/channels/{id}/users`.

use concord_tests::{TestApp, TestUser, assert_envelope, assert_error, ids_of, keys_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CHANNEL_FIELDS: [&str; 9] = [
    "date_created",
    "description",
    "id",
    "last_sent_message_timestamp",
    "name",
    "owner_id",
    "private",
    "topic",
    "workspace_id",
];

fn assert_channel_shape(channel: &Value) {
    assert_eq!(keys_of(channel), CHANNEL_FIELDS, "{channel}");
}

async fn channels_seen_by(app: &TestApp, ws: i64, user: &TestUser) -> Vec<i64> {
    let (status, list) = app
        .get(&format!("/api/workspaces/{ws}/channels"), &user.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    ids_of(&list)
}

async fn add_to_channel(
    app: &TestApp,
    channel: i64,
    by: &TestUser,
    user: i64,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/channels/{channel}/users"),
        &by.token,
        json!({"user_id": user}),
    )
    .await
}

async fn remove_from_channel(
    app: &TestApp,
    channel: i64,
    by: &TestUser,
    user: i64,
) -> (StatusCode, Value) {
    app.call(
        Method::DELETE,
        &format!("/api/channels/{channel}/users"),
        Some(&by.token),
        Some(json!({"user_id": user})),
    )
    .await
}

// --- POST /api/workspaces/{id}/channels ---

#[tokio::test]
async fn creating_a_channel_returns_it_with_the_documented_fields() {
    let app = spawn_app().await;
    let team = app.team().await;
    let before = chrono::Utc::now().date_naive().to_string();

    let (status, channel) = app
        .post(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.guest.token,
            json!({"name": "design", "description": "Design talk", "topic": "Logos", "private": false}),
        )
        .await;

    let after = chrono::Utc::now().date_naive().to_string();
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_channel_shape(&channel);
    assert!(channel["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(channel["name"], "design");
    assert_eq!(channel["description"], "Design talk");
    assert_eq!(channel["topic"], "Logos");
    assert_eq!(channel["owner_id"], team.guest.id);
    assert_eq!(channel["workspace_id"], team.ws);
    assert_eq!(channel["private"], false);
    assert_eq!(channel["last_sent_message_timestamp"], Value::Null);
    let date = channel["date_created"].as_str().expect("date_created");
    assert!(date == before || date == after, "{date}");
}

#[tokio::test]
async fn a_created_channel_appears_in_the_workspace_channel_list() {
    let app = spawn_app().await;
    let team = app.team().await;

    let id = app
        .create_channel(team.ws, &team.guest, "random", false)
        .await;

    for user in [&team.owner, &team.guest, &team.moderator] {
        assert!(channels_seen_by(&app, team.ws, user).await.contains(&id));
    }
    let (status, channel) = app
        .get(&format!("/api/channels/{id}"), &team.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["name"], "random");
}

#[tokio::test]
async fn the_caller_owns_the_channel_whatever_owner_and_workspace_the_body_names() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_ws = app.create_workspace(&team.owner, "Other").await;

    let (status, channel) = app
        .post(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.guest.token,
            json!({"name": "mine", "owner_id": team.owner.id, "workspace_id": other_ws}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["owner_id"], team.guest.id);
    assert_eq!(channel["workspace_id"], team.ws);
    let id = channel["id"].as_i64().expect("id");
    assert!(
        !channels_seen_by(&app, other_ws, &team.owner)
            .await
            .contains(&id)
    );
}

#[tokio::test]
async fn a_channel_is_public_unless_asked_otherwise() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, channel) = app
        .post(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.owner.token,
            json!({"name": "plain"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["private"], false);
    assert_eq!(channel["description"], Value::Null);
    assert_eq!(channel["topic"], Value::Null);
}

#[tokio::test]
async fn every_member_role_can_create_a_channel_but_a_non_member_cannot() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}/channels", team.ws);

    for (i, user) in [&team.owner, &team.admin, &team.moderator, &team.guest]
        .into_iter()
        .enumerate()
    {
        let (status, body) = app
            .post(&path, &user.token, json!({"name": format!("room-{i}")}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", user.username);
    }
    let (status, err) = app
        .post(&path, &team.outsider.token, json!({"name": "intruder"}))
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (_, list) = app.get(&path, &team.owner.token).await;
    assert!(
        list.as_array()
            .expect("array")
            .iter()
            .all(|c| c["name"] != "intruder"),
        "{list}"
    );
}

#[tokio::test]
async fn creating_a_channel_in_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app
        .post(
            "/api/workspaces/424242/channels",
            &ada.token,
            json!({"name": "x"}),
        )
        .await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn a_channel_needs_a_valid_name_and_bounded_texts() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}/channels", team.ws);

    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "n".repeat(81)}),
        json!({"name": "general"}),
        json!({"name": "ok", "description": "d".repeat(1001)}),
        json!({"name": "ok", "topic": "t".repeat(1001)}),
        json!({"name": "ok", "private": "yes"}),
        json!({"name": 42}),
    ] {
        let (status, err) = app.post(&path, &team.owner.token, body.clone()).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    let (_, list) = app.get(&path, &team.owner.token).await;
    assert_eq!(ids_of(&list).len(), 1, "only general exists: {list}");
}

#[tokio::test]
async fn a_channel_with_several_bad_fields_reports_each_of_them() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .post(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.owner.token,
            json!({"description": "d".repeat(1001), "topic": "t".repeat(1001)}),
        )
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(err["errors"].as_array().expect("errors").len(), 3, "{err}");
}

#[tokio::test]
async fn creating_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .call(
            Method::POST,
            &format!("/api/workspaces/{}/channels", team.ws),
            None,
            Some(json!({"name": "x"})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- GET /api/workspaces/{id}/channels ---

#[tokio::test]
async fn the_channel_list_shows_each_channel_with_the_documented_fields() {
    let app = spawn_app().await;
    let team = app.team().await;
    app.create_channel(team.ws, &team.guest, "random", false)
        .await;

    let (status, list) = app
        .get(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.guest.token,
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 2);
    for channel in list {
        assert_channel_shape(channel);
        assert_eq!(channel["workspace_id"], team.ws);
    }
}

#[tokio::test]
async fn private_channels_are_listed_for_their_members_the_owner_and_admins_only() {
    let app = spawn_app().await;
    let team = app.team().await;
    let member = app.sign_up("member").await;
    app.add_member(team.ws, &team.owner, &member).await;
    let public = app
        .create_channel(team.ws, &team.guest, "open", false)
        .await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;
    let (status, _) = add_to_channel(&app, secret, &team.guest, member.id).await;
    assert_eq!(status, StatusCode::CREATED);

    for user in [&team.guest, &member, &team.owner, &team.admin] {
        let seen = channels_seen_by(&app, team.ws, user).await;
        assert!(seen.contains(&secret), "{} should see it", user.username);
        assert!(seen.contains(&public));
    }
    let seen = channels_seen_by(&app, team.ws, &team.moderator).await;
    assert!(!seen.contains(&secret), "a moderator outside it does not");
    assert!(seen.contains(&public));
}

#[tokio::test]
async fn a_non_member_cannot_list_a_workspaces_channels() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .get(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.outsider.token,
        )
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn listing_the_channels_of_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app.get("/api/workspaces/424242/channels", &ada.token).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn listing_channels_with_a_malformed_workspace_id_is_a_bad_request() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in ["abc", "0", "-4", "99999999999999999999"] {
        let (status, err) = app
            .get(&format!("/api/workspaces/{id}/channels"), &ada.token)
            .await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn listing_channels_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .call(
            Method::GET,
            &format!("/api/workspaces/{}/channels", team.ws),
            None,
            None,
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- GET /api/channels/{id} ---

#[tokio::test]
async fn any_member_can_read_a_public_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "announcements", false)
        .await;

    let (status, channel) = app
        .get(&format!("/api/channels/{id}"), &team.guest.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_channel_shape(&channel);
    assert_eq!(channel["id"], id);
    assert_eq!(channel["name"], "announcements");
    assert_eq!(channel["owner_id"], team.owner.id);
    assert_eq!(channel["workspace_id"], team.ws);
}

#[tokio::test]
async fn a_private_channel_can_be_read_by_its_members_the_owner_and_admins() {
    let app = spawn_app().await;
    let team = app.team().await;
    let member = app.sign_up("member").await;
    app.add_member(team.ws, &team.owner, &member).await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.guest, member.id).await;

    for user in [&team.guest, &member, &team.owner, &team.admin] {
        let (status, channel) = app
            .get(&format!("/api/channels/{secret}"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {channel}", user.username);
        assert_eq!(channel["private"], true);
    }
}

#[tokio::test]
async fn a_private_channel_is_forbidden_to_other_members_and_to_non_members() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;

    for user in [&team.moderator, &other_guest, &team.outsider] {
        let (status, err) = app
            .get(&format!("/api/channels/{secret}"), &user.token)
            .await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        assert!(!err.to_string().contains("secret\""), "{err}");
    }
}

#[tokio::test]
async fn a_non_member_cannot_read_a_public_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .get(&format!("/api/channels/{id}"), &team.outsider.token)
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn an_unknown_channel_is_channel_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in [424_242, i64::MAX] {
        let (status, err) = app.get(&format!("/api/channels/{id}"), &ada.token).await;
        assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
    }
}

#[tokio::test]
async fn reading_a_channel_with_a_malformed_id_is_a_bad_request() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in ["abc", "0", "-1", "99999999999999999999"] {
        let (status, err) = app.get(&format!("/api/channels/{id}"), &ada.token).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn reading_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;

    let (status, err) = app
        .call(Method::GET, &format!("/api/channels/{general}"), None, None)
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- PUT /api/channels/{id} ---

#[tokio::test]
async fn the_creator_can_edit_their_channel_and_the_change_is_visible_afterwards() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app.create_channel(team.ws, &team.guest, "old", false).await;
    let path = format!("/api/channels/{id}");

    let (status, channel) = app
        .put(
            &path,
            &team.guest.token,
            json!({"name": "new", "description": "New description", "topic": "New topic", "private": false}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_channel_shape(&channel);
    assert_eq!(channel["id"], id);
    assert_eq!(channel["name"], "new");
    assert_eq!(channel["description"], "New description");
    assert_eq!(channel["topic"], "New topic");
    assert_eq!(
        channel["owner_id"], team.guest.id,
        "editing keeps the owner"
    );

    let (_, seen) = app.get(&path, &team.owner.token).await;
    assert_eq!(seen["name"], "new");
    assert_eq!(seen["description"], "New description");
    assert_eq!(seen["topic"], "New topic");
}

#[tokio::test]
async fn an_edit_changes_only_the_fields_it_names() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (_, created) = app
        .post(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.owner.token,
            json!({"name": "keep", "description": "Keep me", "topic": "Old topic"}),
        )
        .await;
    let id = created["id"].as_i64().expect("id");

    let (status, channel) = app
        .put(
            &format!("/api/channels/{id}"),
            &team.owner.token,
            json!({"topic": "New topic"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["name"], "keep");
    assert_eq!(channel["description"], "Keep me");
    assert_eq!(channel["topic"], "New topic");
}

#[tokio::test]
async fn making_a_channel_private_hides_it_from_workspace_members_outside_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.admin, "was-open", false)
        .await;
    assert!(
        channels_seen_by(&app, team.ws, &team.guest)
            .await
            .contains(&id)
    );

    let (status, channel) = app
        .put(
            &format!("/api/channels/{id}"),
            &team.admin.token,
            json!({"private": true}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["private"], true);
    assert!(
        !channels_seen_by(&app, team.ws, &team.guest)
            .await
            .contains(&id)
    );
    let (status, _) = app
        .get(&format!("/api/channels/{id}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn moderators_admins_and_the_owner_can_edit_anyones_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.guest, "guests", false)
        .await;

    for user in [&team.moderator, &team.admin, &team.owner] {
        let topic = format!("set by {}", user.username);
        let (status, channel) = app
            .put(
                &format!("/api/channels/{id}"),
                &user.token,
                json!({"topic": topic}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {channel}", user.username);
        assert_eq!(channel["topic"], topic);
    }
}

#[tokio::test]
async fn a_guest_cannot_edit_someone_elses_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.moderator, "mods", false)
        .await;
    let path = format!("/api/channels/{id}");

    let (status, err) = app
        .put(&path, &team.guest.token, json!({"name": "guests-now"}))
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (_, channel) = app.get(&path, &team.owner.token).await;
    assert_eq!(channel["name"], "mods", "a refused edit changes nothing");
}

#[tokio::test]
async fn a_non_member_cannot_edit_a_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .put(
            &format!("/api/channels/{id}"),
            &team.outsider.token,
            json!({"topic": "hi"}),
        )
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn the_general_channel_cannot_be_renamed_even_by_the_owner() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let path = format!("/api/channels/{general}");

    let (status, err) = app
        .put(&path, &team.owner.token, json!({"name": "lobby"}))
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (_, channel) = app.get(&path, &team.owner.token).await;
    assert_eq!(channel["name"], "general");
}

#[tokio::test]
async fn the_general_channels_topic_and_description_can_be_edited() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;

    let (status, channel) = app
        .put(
            &format!("/api/channels/{general}"),
            &team.owner.token,
            json!({"description": "Everyone", "topic": "Welcome"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["name"], "general");
    assert_eq!(channel["topic"], "Welcome");
}

#[tokio::test]
async fn the_general_channel_can_be_edited_with_a_full_body_that_repeats_its_name() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;

    // the seed's PUT body carries every field; the name is unchanged
    let (status, channel) = app
        .put(
            &format!("/api/channels/{general}"),
            &team.owner.token,
            json!({"name": "general", "description": "Everyone", "topic": "Welcome", "private": false}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["name"], "general");
    assert_eq!(channel["topic"], "Welcome");
}

#[tokio::test]
async fn no_channel_can_be_renamed_to_general() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "second", false)
        .await;

    let (status, err) = app
        .put(
            &format!("/api/channels/{id}"),
            &team.owner.token,
            json!({"name": "General"}),
        )
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
}

#[tokio::test]
async fn an_edit_with_invalid_fields_is_a_bad_request_and_changes_nothing() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "stable", false)
        .await;
    let path = format!("/api/channels/{id}");

    for body in [
        json!({"name": ""}),
        json!({"name": "n".repeat(81)}),
        json!({"topic": "t".repeat(1001)}),
        json!({"private": "no"}),
    ] {
        let (status, err) = app.put(&path, &team.owner.token, body).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    let (_, channel) = app.get(&path, &team.owner.token).await;
    assert_eq!(channel["name"], "stable");
    assert_eq!(channel["topic"], Value::Null);
    assert_eq!(channel["private"], false);
}

#[tokio::test]
async fn editing_an_unknown_channel_is_channel_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app
        .put("/api/channels/424242", &ada.token, json!({"topic": "x"}))
        .await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn editing_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .call(
            Method::PUT,
            &format!("/api/channels/{id}"),
            None,
            Some(json!({"topic": "x"})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- DELETE /api/channels/{id} ---

#[tokio::test]
async fn the_creator_deletes_their_channel_with_an_empty_204_and_it_is_gone() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.guest, "doomed", false)
        .await;
    let path = format!("/api/channels/{id}");

    let res = app
        .request(Method::DELETE, &path, Some(&team.guest.token), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.bytes().await.expect("body").is_empty());

    let (status, err) = app.get(&path, &team.guest.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
    assert!(
        !channels_seen_by(&app, team.ws, &team.owner)
            .await
            .contains(&id)
    );
    let (status, err) = app.delete(&path, &team.guest.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn moderators_admins_and_the_owner_can_delete_anyones_channel() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [&team.moderator, &team.admin, &team.owner] {
        let id = app
            .create_channel(team.ws, &team.guest, "guests", false)
            .await;
        let (status, body) = app
            .delete(&format!("/api/channels/{id}"), &user.token)
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::NO_CONTENT, Value::Null),
            "{}",
            user.username
        );
    }
}

#[tokio::test]
async fn a_guest_cannot_delete_someone_elses_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "owners", false)
        .await;
    let path = format!("/api/channels/{id}");

    let (status, err) = app.delete(&path, &team.guest.token).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        err["errors"],
        json!(["Must be channel owner to delete a channel"])
    );
    let (status, _) = app.get(&path, &team.guest.token).await;
    assert_eq!(status, StatusCode::OK, "the channel survives");
}

#[tokio::test]
async fn a_non_member_cannot_delete_a_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .delete(&format!("/api/channels/{id}"), &team.outsider.token)
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn the_general_channel_cannot_be_deleted_even_by_the_owner() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;

    let (status, err) = app
        .delete(&format!("/api/channels/{general}"), &team.owner.token)
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert!(
        channels_seen_by(&app, team.ws, &team.owner)
            .await
            .contains(&general)
    );
}

#[tokio::test]
async fn deleting_an_unknown_channel_is_channel_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app.delete("/api/channels/424242", &ada.token).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn deleting_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let id = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .call(Method::DELETE, &format!("/api/channels/{id}"), None, None)
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- POST /api/channels/{id}/users ---

#[tokio::test]
async fn the_creator_adds_a_member_to_a_private_channel_who_then_sees_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;
    assert!(
        !channels_seen_by(&app, team.ws, &team.moderator)
            .await
            .contains(&secret)
    );

    let (status, body) = add_to_channel(&app, secret, &team.guest, team.moderator.id).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"message": "User added to channel successfully"})
    );
    assert!(
        channels_seen_by(&app, team.ws, &team.moderator)
            .await
            .contains(&secret)
    );
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &team.moderator.token)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_owner_and_an_admin_can_add_to_a_private_channel_they_are_not_in() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;

    let (status, body) = add_to_channel(&app, secret, &team.owner, team.moderator.id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = add_to_channel(&app, secret, &team.admin, other_guest.id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    for user in [&team.moderator, &other_guest] {
        let (status, _) = app
            .get(&format!("/api/channels/{secret}"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{}", user.username);
    }
}

#[tokio::test]
async fn a_private_channel_member_who_is_not_its_creator_cannot_add_others() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.owner, team.guest.id).await;

    let (status, err) = add_to_channel(&app, secret, &team.guest, other_guest.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &other_guest.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_member_outside_a_private_channel_cannot_add_anyone_to_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;

    for (by, user) in [
        (&team.moderator, team.guest.id),
        (&team.guest, team.guest.id),
    ] {
        let (status, err) = add_to_channel(&app, secret, by, user).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
}

#[tokio::test]
async fn a_public_channel_member_can_add_another_workspace_member() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.guest, "open", false)
        .await;
    let (status, _) = add_to_channel(&app, open, &team.guest, team.moderator.id).await;
    assert_eq!(status, StatusCode::CREATED);

    // moderator is now a member (not the creator) and adds the admin
    let (status, body) = add_to_channel(&app, open, &team.moderator, team.admin.id).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, err) = add_to_channel(&app, open, &team.guest, team.admin.id).await;
    assert_envelope(status, &err, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_member_outside_a_public_channel_cannot_add_someone_else_to_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = add_to_channel(&app, open, &team.guest, other_guest.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn adding_someone_already_in_the_channel_is_a_conflict() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.owner, team.guest.id).await;

    for user in [team.guest.id, team.owner.id] {
        let (status, err) = add_to_channel(&app, secret, &team.owner, user).await;
        assert_envelope(status, &err, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn adding_an_unknown_user_to_a_channel_is_user_not_found() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = add_to_channel(&app, open, &team.owner, 424_242).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
}

#[tokio::test]
async fn a_user_outside_the_workspace_cannot_be_added_to_its_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = add_to_channel(&app, open, &team.owner, team.outsider.id).await;

    assert_envelope(status, &err, StatusCode::NOT_FOUND);
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("User not found")),
        "{err}"
    );
    let (status, _) = app
        .get(&format!("/api/channels/{open}"), &team.outsider.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_non_member_of_the_workspace_cannot_add_to_its_channels() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = add_to_channel(&app, open, &team.outsider, team.guest.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn adding_to_an_unknown_channel_is_channel_not_found() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = add_to_channel(&app, 424_242, &team.owner, team.guest.id).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn the_user_to_add_may_be_given_as_camel_case_and_as_a_string() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;

    let (status, body) = app
        .post(
            &format!("/api/channels/{secret}/users"),
            &team.owner.token,
            json!({"userId": team.guest.id.to_string()}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn adding_to_a_channel_without_a_valid_user_id_is_a_bad_request() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    for body in [
        json!({}),
        json!({"user_id": 0}),
        json!({"user_id": "x"}),
        json!({"user_id": [1]}),
    ] {
        let (status, err) = app
            .post(
                &format!("/api/channels/{open}/users"),
                &team.owner.token,
                body,
            )
            .await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn adding_to_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .call(
            Method::POST,
            &format!("/api/channels/{open}/users"),
            None,
            Some(json!({"user_id": team.guest.id})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- DELETE /api/channels/{id}/users ---

#[tokio::test]
async fn the_creator_removes_a_member_who_then_loses_the_private_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.guest, team.moderator.id).await;

    // the seed's own body: camelCase and a numeric string
    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/channels/{secret}/users"),
            Some(&team.guest.token),
            Some(json!({"userId": team.moderator.id.to_string()})),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"message": "User successfully removed from channel"})
    );
    let (status, err) = app
        .get(&format!("/api/channels/{secret}"), &team.moderator.token)
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert!(
        !channels_seen_by(&app, team.ws, &team.moderator)
            .await
            .contains(&secret)
    );
}

#[tokio::test]
async fn a_member_can_leave_a_private_channel_themself() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.owner, team.guest.id).await;

    let (status, body) = remove_from_channel(&app, secret, &team.guest, team.guest.id).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_creator_of_a_private_channel_keeps_it_after_leaving_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.guest, "secret", true)
        .await;
    let (status, body) = remove_from_channel(&app, secret, &team.guest, team.guest.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // "Its creator is one" of its members: the creator still sees it,
    // edits it and adds others to it.
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &team.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        channels_seen_by(&app, team.ws, &team.guest)
            .await
            .contains(&secret)
    );
    let (status, body) = app
        .put(
            &format!("/api/channels/{secret}"),
            &team.guest.token,
            json!({"topic": "still mine"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = add_to_channel(&app, secret, &team.guest, other_guest.id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Which is the creator's privilege, not every former member's.
    let (status, body) = remove_from_channel(&app, secret, &other_guest, other_guest.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .get(&format!("/api/channels/{secret}"), &other_guest.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_owner_and_an_admin_can_remove_anyone_from_a_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.moderator, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.moderator, team.guest.id).await;
    add_to_channel(&app, secret, &team.moderator, other_guest.id).await;

    let (status, body) = remove_from_channel(&app, secret, &team.owner, team.guest.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = remove_from_channel(&app, secret, &team.admin, other_guest.id).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for user in [&team.guest, &other_guest] {
        let (status, _) = app
            .get(&format!("/api/channels/{secret}"), &user.token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", user.username);
    }
}

#[tokio::test]
async fn a_channel_member_who_is_not_its_creator_cannot_remove_someone_else() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    add_to_channel(&app, secret, &team.owner, team.guest.id).await;
    add_to_channel(&app, secret, &team.owner, team.moderator.id).await;
    add_to_channel(&app, secret, &team.owner, other_guest.id).await;

    for (by, user) in [(&team.guest, &other_guest), (&team.moderator, &team.guest)] {
        let (status, err) = remove_from_channel(&app, secret, by, user.id).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        let (status, _) = app
            .get(&format!("/api/channels/{secret}"), &user.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{} is still in", user.username);
    }
}

#[tokio::test]
async fn removing_someone_not_in_the_channel_is_user_not_found_in_channel() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = remove_from_channel(&app, open, &team.owner, team.guest.id).await;

    assert_error(
        status,
        &err,
        StatusCode::NOT_FOUND,
        "User not found in channel",
    );
}

#[tokio::test]
async fn removing_from_an_unknown_channel_is_channel_not_found() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = remove_from_channel(&app, 424_242, &team.owner, team.guest.id).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn a_non_member_of_the_workspace_cannot_remove_from_its_channels() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = remove_from_channel(&app, open, &team.outsider, team.owner.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn removing_from_a_channel_without_a_user_id_is_a_bad_request() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    for body in [
        json!({}),
        json!({"userId": "-1"}),
        json!({"user_id": "one"}),
    ] {
        let (status, err) = app
            .call(
                Method::DELETE,
                &format!("/api/channels/{open}/users"),
                Some(&team.owner.token),
                Some(body),
            )
            .await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn removing_from_a_channel_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let open = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;

    let (status, err) = app
        .call(
            Method::DELETE,
            &format!("/api/channels/{open}/users"),
            None,
            Some(json!({"user_id": team.owner.id})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}
