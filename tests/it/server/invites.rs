//! `PATCH /servers/{serverId}/invite-code`: joining with the code, and
//! regenerating it.

use concord_tests::server::{
    create_server, crew, invite_code, join, member_of, members, patch, patch_empty,
};
use concord_tests::{assert_envelope, assert_error, id_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_invite_code_joins_the_caller_as_a_guest() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let bob = app.sign_up("bob").await;
    let created = create_server(&app, &owner, "Open").await;
    let id = id_of(&created);

    let (status, server) = join(&app, id, &invite_code(&created), &bob).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], id);
    assert_eq!(members(&server).len(), 2, "{server}");
    let me = member_of(&server, &bob).unwrap_or_else(|| panic!("bob missing: {server}"));
    assert_eq!(me["role"], "GUEST");
    assert_eq!(me["isOwner"], false);
    assert_eq!(me["serverId"], id);
    assert_eq!(me["profile"]["email"], bob.email.as_str());
    // and a guest may now post in general
    let general = server["channels"][0]["id"].as_i64().unwrap_or_default();
    let (status, body) = app
        .post(
            &format!("/socket/messages?serverId={id}&channelId={general}"),
            &bob.token,
            json!({"content": "hi all"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn joining_again_changes_nothing() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = join(&app, crew.id, &crew.code, &crew.guest).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    let (status, again) = join(&app, crew.id, &crew.code, &crew.moderator).await;
    assert_eq!(status, StatusCode::OK, "{again}");

    assert_eq!(members(&again).len(), 4, "{again}");
    let guests = members(&again)
        .iter()
        .filter(|m| m["profileId"] == crew.guest.id)
        .count();
    assert_eq!(guests, 1, "{again}");
    assert_eq!(
        member_of(&again, &crew.moderator).map(|m| &m["role"]),
        Some(&json!("MODERATOR")),
        "re-joining must not demote: {again}"
    );
    assert_eq!(
        member_of(&again, &crew.owner).map(|m| &m["isOwner"]),
        Some(&json!(true))
    );
}

#[tokio::test]
async fn a_wrong_code_is_not_found_alike_for_a_real_and_a_missing_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, wrong_code) = join(&app, crew.id, "ZZZZZZZZZZZZZZZZ", &crew.outsider).await;
    assert_envelope(status, &wrong_code, StatusCode::NOT_FOUND);
    let (status, missing_server) = join(&app, 987_654, &crew.code, &crew.outsider).await;
    assert_envelope(status, &missing_server, StatusCode::NOT_FOUND);
    let (status, malformed) = join(&app, crew.id, "x", &crew.outsider).await;
    assert_envelope(status, &malformed, StatusCode::NOT_FOUND);

    assert_eq!(
        wrong_code, missing_server,
        "the body must not reveal whether the server exists"
    );
    assert_eq!(wrong_code, malformed);
    let server = crew.view(&app, &crew.owner).await;
    assert!(member_of(&server, &crew.outsider).is_none(), "{server}");
}

#[tokio::test]
async fn another_servers_code_does_not_open_this_one() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let other = create_server(&app, &crew.outsider, "Elsewhere").await;
    let eve = app.sign_up("eve").await;

    let (status, body) = join(&app, crew.id, &invite_code(&other), &eve).await;

    assert_envelope(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn joining_requires_authentication() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/servers/{}/invite-code", crew.id),
            None,
            Some(json!({"inviteCode": crew.code})),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

#[tokio::test]
async fn the_owner_regenerates_the_code_without_a_body_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}/invite-code", crew.id);

    let (status, server) = patch_empty(&app, &path, &crew.owner).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    let fresh = invite_code(&server);
    assert_ne!(fresh, crew.code);
    assert!(fresh.len() >= 10, "{fresh}");
    let (status, body) = join(&app, crew.id, &crew.code, &crew.outsider).await;
    assert_envelope(status, &body, StatusCode::NOT_FOUND);
    let (status, joined) = join(&app, crew.id, &fresh, &crew.outsider).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(
        member_of(&joined, &crew.outsider).map(|m| &m["role"]),
        Some(&json!("GUEST"))
    );
}

#[tokio::test]
async fn an_admin_regenerates_the_code_with_an_empty_object() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}/invite-code", crew.id);

    let (status, server) = patch(&app, &path, &crew.admin, json!({})).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    let fresh = invite_code(&server);
    assert_ne!(fresh, crew.code);
    let (status, body) = join(&app, crew.id, &crew.code, &crew.outsider).await;
    assert_envelope(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = join(&app, crew.id, &fresh, &crew.outsider).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// `null` is the JSON spelling of "no body", which the OpenAPI document
/// allows; an array is no body object at all.
#[tokio::test]
async fn a_null_body_regenerates_the_code_and_an_array_is_refused() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}/invite-code", crew.id);

    let (status, server) = patch(&app, &path, &crew.owner, json!(null)).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_ne!(invite_code(&server), crew.code);
    let (status, body) = patch(&app, &path, &crew.owner, json!([null])).await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_guest_a_moderator_and_a_non_member_cannot_regenerate_the_code() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!("/servers/{}/invite-code", crew.id);

    for user in [&crew.guest, &crew.moderator, &crew.outsider] {
        let (status, body) = patch_empty(&app, &path, user).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = patch(&app, &path, user, json!({})).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["inviteCode"], crew.code.as_str());
}

#[tokio::test]
async fn regenerating_on_a_missing_server_is_server_not_found() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;

    let (status, body) = patch_empty(&app, "/servers/555555/invite-code", &owner).await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

#[tokio::test]
async fn the_invite_code_may_be_sent_in_snake_case() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = patch(
        &app,
        &format!("/servers/{}/invite-code", crew.id),
        &crew.outsider,
        json!({"invite_code": crew.code}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(
        member_of(&server, &crew.outsider).map(|m| &m["role"]),
        Some(&json!("GUEST"))
    );
    assert_eq!(
        server["inviteCode"],
        crew.code.as_str(),
        "joining keeps the code"
    );
}
