//! `PATCH /members/{memberId}?serverId=` (roles) and
//! `DELETE /members/{memberId}?serverId=` (kicks).

use concord_tests::server::{Crew, create_server, crew, member_id, member_of, patch};
use concord_tests::{TestApp, TestUser, assert_envelope, assert_error, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn set_role(
    app: &TestApp,
    crew: &Crew,
    by: &TestUser,
    member: i64,
    role: &str,
) -> (StatusCode, Value) {
    patch(
        app,
        &format!("/members/{member}?serverId={}", crew.id),
        by,
        json!({"role": role}),
    )
    .await
}

async fn kick(app: &TestApp, crew: &Crew, by: &TestUser, member: i64) -> (StatusCode, Value) {
    app.delete(
        &format!("/members/{member}?serverId={}", crew.id),
        &by.token,
    )
    .await
}

fn role_in(server: &Value, user: &TestUser) -> Option<String> {
    member_of(server, user).map(|m| m["role"].as_str().unwrap_or_default().to_owned())
}

// --- roles ---

#[tokio::test]
async fn the_owner_makes_a_guest_an_admin_a_moderator_and_a_guest_again() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let guest = crew.member(&crew.guest);

    for role in ["ADMIN", "MODERATOR", "GUEST"] {
        let (status, server) = set_role(&app, &crew, &crew.owner, guest, role).await;
        assert_eq!(status, StatusCode::OK, "{role}: {server}");
        assert_eq!(server["id"], crew.id);
        assert_eq!(role_in(&server, &crew.guest).as_deref(), Some(role));
        assert_eq!(
            member_of(&server, &crew.guest).map(|m| &m["isOwner"]),
            Some(&json!(false))
        );
        assert_eq!(server["members"].as_array().map(Vec::len), Some(4));
    }
}

#[tokio::test]
async fn the_owner_demotes_an_admin() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) =
        set_role(&app, &crew, &crew.owner, crew.member(&crew.admin), "GUEST").await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(role_in(&server, &crew.admin).as_deref(), Some("GUEST"));
}

#[tokio::test]
async fn a_new_role_takes_effect() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, _) = set_role(
        &app,
        &crew,
        &crew.owner,
        crew.member(&crew.guest),
        "MODERATOR",
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, server) = app
        .post(
            &crew.with_server("/channels"),
            &crew.guest.token,
            json!({"name": "promoted", "type": "TEXT"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a new moderator creates channels: {server}"
    );
}

#[tokio::test]
async fn an_admin_makes_moderators_and_guests_but_not_admins() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = set_role(
        &app,
        &crew,
        &crew.admin,
        crew.member(&crew.guest),
        "MODERATOR",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(role_in(&server, &crew.guest).as_deref(), Some("MODERATOR"));

    let (status, server) = set_role(
        &app,
        &crew,
        &crew.admin,
        crew.member(&crew.moderator),
        "GUEST",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(role_in(&server, &crew.moderator).as_deref(), Some("GUEST"));

    let (status, body) = set_role(
        &app,
        &crew,
        &crew.admin,
        crew.member(&crew.moderator),
        "ADMIN",
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(role_in(&server, &crew.moderator).as_deref(), Some("GUEST"));
}

#[tokio::test]
async fn an_admin_cannot_change_another_admin() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second = crew.recruit(&app, "second", "admin").await;
    let server = crew.view(&app, &crew.owner).await;

    let (status, body) = set_role(
        &app,
        &crew,
        &crew.admin,
        member_id(&server, &second),
        "GUEST",
    )
    .await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn nobody_changes_the_owners_role() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let owner = crew.member(&crew.owner);

    for (by, role) in [
        (&crew.admin, "GUEST"),
        (&crew.admin, "MODERATOR"),
        (&crew.owner, "GUEST"),
        (&crew.owner, "ADMIN"),
        (&crew.moderator, "GUEST"),
        (&crew.guest, "GUEST"),
    ] {
        let (status, body) = set_role(&app, &crew, by, owner, role).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(
        member_of(&server, &crew.owner).map(|m| (&m["role"], &m["isOwner"])),
        Some((&json!("ADMIN"), &json!(true)))
    );
}

#[tokio::test]
async fn nobody_changes_their_own_role() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (user, role) in [
        (&crew.admin, "MODERATOR"),
        (&crew.moderator, "ADMIN"),
        (&crew.moderator, "GUEST"),
        (&crew.guest, "MODERATOR"),
    ] {
        let (status, body) = set_role(&app, &crew, user, crew.member(user), role).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(role_in(&server, &crew.admin).as_deref(), Some("ADMIN"));
    assert_eq!(
        role_in(&server, &crew.moderator).as_deref(),
        Some("MODERATOR")
    );
    assert_eq!(role_in(&server, &crew.guest).as_deref(), Some("GUEST"));
}

#[tokio::test]
async fn moderators_guests_and_non_members_cannot_change_roles() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second_guest = crew.recruit(&app, "second", "guest").await;
    let server = crew.view(&app, &crew.owner).await;
    let target = member_id(&server, &second_guest);

    for user in [&crew.moderator, &crew.guest, &crew.outsider] {
        let (status, body) = set_role(&app, &crew, user, target, "MODERATOR").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (status, body) = set_role(
        &app,
        &crew,
        &crew.moderator,
        crew.member(&crew.guest),
        "MODERATOR",
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(role_in(&server, &second_guest).as_deref(), Some("GUEST"));
    assert_eq!(role_in(&server, &crew.guest).as_deref(), Some("GUEST"));
}

#[tokio::test]
async fn an_unknown_role_is_a_validation_error() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let guest = crew.member(&crew.guest);

    let (status, body) = set_role(&app, &crew, &crew.owner, guest, "KING").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");

    let (status, body) = patch(
        &app,
        &format!("/members/{guest}?serverId={}", crew.id),
        &crew.owner,
        json!({}),
    )
    .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = patch(
        &app,
        &format!("/members/{guest}?serverId={}", crew.id),
        &crew.owner,
        json!({"role": 3}),
    )
    .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_owner_role_cannot_be_given() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) =
        set_role(&app, &crew, &crew.owner, crew.member(&crew.admin), "OWNER").await;

    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["profileId"], crew.owner.id);
    assert_eq!(role_in(&server, &crew.admin).as_deref(), Some("ADMIN"));
}

#[tokio::test]
async fn a_role_change_needs_the_server_id() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = patch(
        &app,
        &format!("/members/{}", crew.member(&crew.guest)),
        &crew.owner,
        json!({"role": "MODERATOR"}),
    )
    .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = patch(
        &app,
        &format!("/members/{}?serverId=abc", crew.member(&crew.guest)),
        &crew.owner,
        json!({"role": "MODERATOR"}),
    )
    .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_member_of_another_server_is_member_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    // the owner also owns a second server, which the outsider joins
    let other = create_server(&app, &crew.owner, "Other").await;
    let other_id = id_of(&other);
    let (status, other) = concord_tests::server::join(
        &app,
        other_id,
        &concord_tests::server::invite_code(&other),
        &crew.outsider,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    let foreign = member_id(&other, &crew.outsider);

    let (status, body) = set_role(&app, &crew, &crew.owner, foreign, "MODERATOR").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Member not found");
    let (status, body) = kick(&app, &crew, &crew.owner, foreign).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Member not found");
    let (status, body) = set_role(&app, &crew, &crew.owner, 99_999_999, "GUEST").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Member not found");
}

#[tokio::test]
async fn roles_on_a_missing_server_are_server_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = patch(
        &app,
        &format!("/members/{}?serverId=999999", crew.member(&crew.guest)),
        &crew.owner,
        json!({"role": "MODERATOR"}),
    )
    .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

// --- kicks ---

#[tokio::test]
async fn the_owner_kicks_an_admin() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = kick(&app, &crew, &crew.owner, crew.member(&crew.admin)).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    assert!(member_of(&server, &crew.admin).is_none(), "{server}");
    assert_eq!(server["members"].as_array().map(Vec::len), Some(3));
    let (status, body) = app
        .get(&format!("/api/workspaces/{}", crew.id), &crew.admin.token)
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn the_owner_kicks_a_moderator_and_a_guest() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.moderator, &crew.guest] {
        let (status, server) = kick(&app, &crew, &crew.owner, crew.member(user)).await;
        assert_eq!(status, StatusCode::OK, "{server}");
        assert!(member_of(&server, user).is_none(), "{server}");
    }
}

#[tokio::test]
async fn an_admin_kicks_a_moderator_and_a_guest_but_not_another_admin() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second = crew.recruit(&app, "second", "admin").await;
    let server = crew.view(&app, &crew.owner).await;

    let (status, body) = kick(&app, &crew, &crew.admin, member_id(&server, &second)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");

    for user in [&crew.moderator, &crew.guest] {
        let (status, server) = kick(&app, &crew, &crew.admin, crew.member(user)).await;
        assert_eq!(status, StatusCode::OK, "{server}");
        assert!(member_of(&server, user).is_none(), "{server}");
    }
    let server = crew.view(&app, &crew.owner).await;
    assert!(member_of(&server, &second).is_some(), "{server}");
}

#[tokio::test]
async fn a_moderator_kicks_a_guest_but_not_a_moderator_or_an_admin() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second = crew.recruit(&app, "second", "moderator").await;
    let server = crew.view(&app, &crew.owner).await;

    for target in [member_id(&server, &second), crew.member(&crew.admin)] {
        let (status, body) = kick(&app, &crew, &crew.moderator, target).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (status, server) = kick(&app, &crew, &crew.moderator, crew.member(&crew.guest)).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert!(member_of(&server, &crew.guest).is_none(), "{server}");
    assert!(member_of(&server, &second).is_some(), "{server}");
    assert!(member_of(&server, &crew.admin).is_some(), "{server}");
}

#[tokio::test]
async fn a_guest_kicks_nobody() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second = crew.recruit(&app, "second", "guest").await;
    let server = crew.view(&app, &crew.owner).await;

    for target in [
        member_id(&server, &second),
        crew.member(&crew.moderator),
        crew.member(&crew.admin),
        crew.member(&crew.owner),
    ] {
        let (status, body) = kick(&app, &crew, &crew.guest, target).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["members"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn nobody_kicks_the_owner() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let owner = crew.member(&crew.owner);

    for user in [&crew.owner, &crew.admin, &crew.moderator, &crew.guest] {
        let (status, body) = kick(&app, &crew, user, owner).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert!(member_of(&server, &crew.owner).is_some(), "{server}");
}

#[tokio::test]
async fn a_non_member_kicks_nobody() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = kick(&app, &crew, &crew.outsider, crew.member(&crew.guest)).await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn a_kick_needs_the_server_id() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .delete(
            &format!("/members/{}", crew.member(&crew.guest)),
            &crew.owner.token,
        )
        .await;

    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_kicked_member_can_no_longer_post() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    // A post first, so that the node has just seen the guest allowed in.
    let (status, body) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, _) = kick(&app, &crew, &crew.owner, crew.member(&crew.guest)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "let me in"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}
