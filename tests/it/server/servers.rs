//! `POST /servers`, `PATCH|DELETE /servers/{serverId}` and
//! `PATCH /servers/{serverId}/leave`.

use concord_tests::server::{
    channels, create_server, crew, invite_code, member_of, members, patch,
};
use concord_tests::{assert_envelope, assert_error, assert_rfc3339_utc, id_of, keys_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

// --- creating ---

#[tokio::test]
async fn creating_a_server_returns_it_with_a_general_text_channel_and_the_caller_as_owner() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, server) = app
        .post(
            "/servers",
            &owner.token,
            json!({"name": "Rustaceans", "imageUrl": "https://example.com/crab.png"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{server}");
    assert_eq!(
        keys_of(&server),
        [
            "channels",
            "createdAt",
            "id",
            "imageUrl",
            "inviteCode",
            "members",
            "name",
            "profileId",
            "updatedAt"
        ],
        "{server}"
    );
    let id = id_of(&server);
    assert!(id > 0, "{server}");
    assert_eq!(server["name"], "Rustaceans");
    assert_eq!(server["imageUrl"], "https://example.com/crab.png");
    assert_eq!(server["profileId"], owner.id);
    assert_rfc3339_utc(&server["createdAt"]);
    assert_rfc3339_utc(&server["updatedAt"]);

    let channels = channels(&server);
    assert_eq!(channels.len(), 1, "{server}");
    let general = &channels[0];
    assert_eq!(general["name"], "general");
    assert_eq!(general["type"], "TEXT");
    assert_eq!(general["serverId"], id);
    assert_eq!(general["profileId"], owner.id);
    assert!(general["id"].as_i64().is_some_and(|c| c > 0), "{general}");
    assert_rfc3339_utc(&general["createdAt"]);
    assert_rfc3339_utc(&general["updatedAt"]);

    let members = members(&server);
    assert_eq!(members.len(), 1, "{server}");
    let me = &members[0];
    assert!(me["id"].as_i64().is_some_and(|m| m > 0), "{me}");
    assert_eq!(me["role"], "ADMIN");
    assert_eq!(me["isOwner"], true);
    assert_eq!(me["profileId"], owner.id);
    assert_eq!(me["serverId"], id);
    assert_eq!(me["profile"]["id"], owner.id);
    assert_eq!(me["profile"]["name"], "owner Tester");
    assert_eq!(me["profile"]["email"], owner.email.as_str());
    assert!(
        me["profile"]
            .as_object()
            .is_some_and(|p| p.contains_key("imageUrl")),
        "{me}"
    );
}

#[tokio::test]
async fn invite_codes_are_url_safe_at_least_ten_characters_and_differ_per_server() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let mut codes = Vec::new();
    for name in ["One", "Two", "Three"] {
        let code = invite_code(&create_server(&app, &owner, name).await);
        assert!(code.len() >= 10, "too short: {code}");
        assert!(
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "not URL-safe: {code}"
        );
        codes.push(code);
    }

    assert_ne!(codes[0], codes[1]);
    assert_ne!(codes[0], codes[2]);
    assert_ne!(codes[1], codes[2]);
}

#[tokio::test]
async fn a_server_needs_a_name() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, body) = app
        .post(
            "/servers",
            &owner.token,
            json!({"imageUrl": "https://example.com/a.png"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = app
        .post("/servers", &owner.token, json!({"name": "   "}))
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn creating_a_server_requires_authentication() {
    let app = spawn_app().await;

    let (status, body) = app
        .call(
            Method::POST,
            "/servers",
            None,
            Some(json!({"name": "Anonymous"})),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- editing ---

#[tokio::test]
async fn the_owner_and_an_admin_edit_the_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}", crew.id);

    let (status, server) = patch(
        &app,
        &path,
        &crew.owner,
        json!({"name": "Renamed", "imageUrl": "https://example.com/new.png"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    assert_eq!(server["name"], "Renamed");
    assert_eq!(server["imageUrl"], "https://example.com/new.png");
    assert_eq!(members(&server).len(), 4, "{server}");
    assert!(!channels(&server).is_empty(), "{server}");

    let (status, server) = patch(&app, &path, &crew.admin, json!({"name": "By admin"})).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["name"], "By admin");
    assert_eq!(
        server["imageUrl"], "https://example.com/new.png",
        "an absent field stays as it is"
    );
}

#[tokio::test]
async fn a_moderator_a_guest_and_a_non_member_cannot_edit_the_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}", crew.id);

    for user in [&crew.moderator, &crew.guest, &crew.outsider] {
        let (status, body) = patch(&app, &path, user, json!({"name": "Hijacked"})).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["name"], "Crew");
}

#[tokio::test]
async fn editing_a_missing_server_is_server_not_found() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, body) = patch(&app, "/servers/999999", &owner, json!({"name": "Ghost"})).await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

#[tokio::test]
async fn an_overlong_server_name_is_a_validation_error() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = patch(
        &app,
        &format!("/servers/{}", crew.id),
        &crew.owner,
        json!({"name": "x".repeat(81)}),
    )
    .await;

    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

// --- deleting ---

#[tokio::test]
async fn the_owner_deletes_the_server_and_gets_it_back_then_it_is_gone() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}", crew.id);

    let (status, server) = app.delete(&path, &crew.owner.token).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    assert_eq!(server["name"], "Crew");
    assert_eq!(server["inviteCode"], crew.code.as_str());
    assert_eq!(members(&server).len(), 4, "{server}");

    let (status, body) = app.delete(&path, &crew.owner.token).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
    let (status, body) = patch(&app, &path, &crew.owner, json!({"name": "Back"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
    let (status, body) = app
        .get(&format!("/api/workspaces/{}", crew.id), &crew.admin.token)
        .await;
    assert_envelope(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_owner_deletes_the_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}", crew.id);

    for user in [&crew.admin, &crew.moderator, &crew.guest, &crew.outsider] {
        let (status, body) = app.delete(&path, &user.token).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["id"], crew.id);
}

#[tokio::test]
async fn deleting_a_missing_server_is_server_not_found() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, body) = app.delete("/servers/424242", &owner.token).await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

// --- leaving ---

#[tokio::test]
async fn a_guest_leaves_and_is_no_longer_a_member() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = app
        .call(
            Method::PATCH,
            &format!("/servers/{}/leave", crew.id),
            Some(&crew.guest.token),
            None,
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    assert!(member_of(&server, &crew.guest).is_none(), "{server}");
    assert_eq!(members(&server).len(), 3, "{server}");
    let seen_by_owner = crew.view(&app, &crew.owner).await;
    assert!(member_of(&seen_by_owner, &crew.guest).is_none());
    let (status, body) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "still here?"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn admins_and_moderators_may_leave_too() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.admin, &crew.moderator] {
        let (status, server) = app
            .call(
                Method::PATCH,
                &format!("/servers/{}/leave", crew.id),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{server}");
        assert!(member_of(&server, user).is_none(), "{server}");
    }
}

#[tokio::test]
async fn the_owner_cannot_leave() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/servers/{}/leave", crew.id),
            Some(&crew.owner.token),
            None,
        )
        .await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["profileId"], crew.owner.id);
    assert_eq!(
        member_of(&server, &crew.owner).map(|m| &m["isOwner"]),
        Some(&json!(true))
    );
}

#[tokio::test]
async fn a_non_member_cannot_leave_and_a_missing_server_is_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/servers/{}/leave", crew.id),
            Some(&crew.outsider.token),
            None,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");

    let (status, body) = app
        .call(
            Method::PATCH,
            "/servers/777777/leave",
            Some(&crew.guest.token),
            None,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

#[tokio::test]
async fn the_image_url_may_be_sent_in_snake_case() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, server) = app
        .post(
            "/servers",
            &owner.token,
            json!({"name": "Snake", "image_url": "https://example.com/snake.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    assert_eq!(server["imageUrl"], "https://example.com/snake.png");

    let (status, server) = patch(
        &app,
        &format!("/servers/{}", id_of(&server)),
        &owner,
        json!({"image_url": "https://example.com/python.png"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["imageUrl"], "https://example.com/python.png");
    assert_eq!(server["name"], "Snake");
}
