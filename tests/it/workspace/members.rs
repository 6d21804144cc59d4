//! `POST /api/workspaces/{id}/members` and
//! `DELETE /api/workspaces/{workspaceId}/members/{userId}`.

use concord_tests::{TestApp, TestUser, assert_error, spawn_app, workspace_role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn add(app: &TestApp, ws: i64, by: &TestUser, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/workspaces/{ws}/members"), &by.token, body)
        .await
}

async fn remove(app: &TestApp, ws: i64, by: &TestUser, user: i64) -> (StatusCode, Value) {
    app.delete(&format!("/api/workspaces/{ws}/members/{user}"), &by.token)
        .await
}

// --- adding ---

#[tokio::test]
async fn the_owner_adds_a_user_who_joins_as_a_guest() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, membership) = add(&app, ws, &ada, json!({"user_id": bob.id})).await;

    assert_eq!(status, StatusCode::CREATED, "{membership}");
    assert!(membership["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(membership["workspace_id"], ws);
    assert_eq!(membership["user_id"], bob.id);
    assert_eq!(
        membership.as_object().expect("object").len(),
        3,
        "{membership}"
    );
    assert_eq!(
        workspace_role(&app.workspace(ws, &ada).await, &bob).as_deref(),
        Some("guest")
    );
    let (status, _) = app.get(&format!("/api/workspaces/{ws}"), &bob.token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new member can see the workspace"
    );
}

#[tokio::test]
async fn an_admin_can_add_members() {
    let app = spawn_app().await;
    let team = app.team().await;
    let newcomer = app.sign_up("newcomer").await;

    let (status, body) = add(&app, team.ws, &team.admin, json!({"user_id": newcomer.id})).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &newcomer).as_deref(),
        Some("guest")
    );
}

#[tokio::test]
async fn a_moderator_a_guest_and_a_non_member_cannot_add_members() {
    let app = spawn_app().await;
    let team = app.team().await;
    let newcomer = app.sign_up("newcomer").await;

    for user in [&team.moderator, &team.guest, &team.outsider] {
        let (status, err) = add(&app, team.ws, user, json!({"user_id": newcomer.id})).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }

    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &newcomer),
        None
    );
}

#[tokio::test]
async fn a_non_member_cannot_add_themself() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = add(
        &app,
        team.ws,
        &team.outsider,
        json!({"user_id": team.outsider.id}),
    )
    .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, _) = app
        .get(
            &format!("/api/workspaces/{}", team.ws),
            &team.outsider.token,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn adding_someone_already_in_the_workspace_is_a_conflict() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [&team.guest, &team.owner] {
        let (status, err) = add(&app, team.ws, &team.owner, json!({"user_id": user.id})).await;
        assert_error(status, &err, StatusCode::CONFLICT, "Member already exists");
    }
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &team.owner).as_deref(),
        Some("owner"),
        "the owner stays owner"
    );
}

#[tokio::test]
async fn adding_an_unknown_user_is_user_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, err) = add(&app, ws, &ada, json!({"user_id": 424_242})).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
}

#[tokio::test]
async fn adding_to_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;

    let (status, err) = add(&app, 424_242, &ada, json!({"user_id": bob.id})).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn the_user_id_may_be_camel_case_or_a_numeric_string() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, body) = add(&app, ws, &ada, json!({"userId": bob.id})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = add(&app, ws, &ada, json!({"user_id": carol.id.to_string()})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user_id"], carol.id);
}

#[tokio::test]
async fn the_workspace_in_the_path_wins_over_one_in_the_body() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let other = app.create_workspace(&ada, "Other").await;

    let (status, body) = add(
        &app,
        ws,
        &ada,
        json!({"workspace_id": other, "user_id": bob.id}),
    )
    .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["workspace_id"], ws);
    assert_eq!(
        workspace_role(&app.workspace(ws, &ada).await, &bob).as_deref(),
        Some("guest")
    );
    assert_eq!(
        workspace_role(&app.workspace(other, &ada).await, &bob),
        None
    );
}

#[tokio::test]
async fn adding_a_member_without_a_valid_user_id_is_a_bad_request() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    for body in [
        json!({}),
        json!({"user_id": null}),
        json!({"user_id": 0}),
        json!({"user_id": -3}),
        json!({"user_id": "abc"}),
        json!({"user_id": 1.5}),
        json!({"user_id": true}),
    ] {
        let (status, err) = add(&app, ws, &ada, body.clone()).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    // beyond a 64-bit id
    let (status, err) = app
        .send_raw(
            Method::POST,
            &format!("/api/workspaces/{ws}/members"),
            Some(&ada.token),
            Some("application/json"),
            br#"{"user_id": 99999999999999999999}"#.to_vec(),
        )
        .await;
    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
}

#[tokio::test]
async fn adding_a_member_requires_authentication() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, err) = app
        .call(
            Method::POST,
            &format!("/api/workspaces/{ws}/members"),
            None,
            Some(json!({"user_id": bob.id})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
    assert_eq!(workspace_role(&app.workspace(ws, &ada).await, &bob), None);
}

// --- removing ---

#[tokio::test]
async fn a_removed_member_loses_access_to_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;
    let ws_path = format!("/api/workspaces/{}", team.ws);

    let (status, body) = remove(&app, team.ws, &team.owner, team.guest.id).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "User removed from workspace"}));
    let (status, err) = app.get(&ws_path, &team.guest.token).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, err) = app
        .get(&format!("{ws_path}/channels"), &team.guest.token)
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (_, list) = app.get("/api/workspaces/session", &team.guest.token).await;
    assert_eq!(list, json!([]));
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest),
        None
    );
}

#[tokio::test]
async fn a_removed_member_who_is_added_back_does_not_regain_their_private_channels() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.moderator, "secret", true)
        .await;
    let (status, _) = app
        .post(
            &format!("/api/channels/{secret}/users"),
            &team.moderator.token,
            json!({"user_id": team.guest.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = remove(&app, team.ws, &team.owner, team.guest.id).await;
    assert_eq!(status, StatusCode::OK);
    app.add_member(team.ws, &team.owner, &team.guest).await;

    let (status, err) = app
        .get(&format!("/api/channels/{secret}"), &team.guest.token)
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn an_admin_can_remove_a_moderator_and_a_guest() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [&team.moderator, &team.guest] {
        let (status, body) = remove(&app, team.ws, &team.admin, user.id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            workspace_role(&app.workspace(team.ws, &team.owner).await, user),
            None
        );
    }
}

#[tokio::test]
async fn the_owner_can_remove_an_admin() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, body) = remove(&app, team.ws, &team.owner, team.admin.id).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &team.admin),
        None
    );
}

#[tokio::test]
async fn a_moderator_can_remove_a_guest() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, body) = remove(&app, team.ws, &team.moderator, team.guest.id).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest),
        None
    );
}

#[tokio::test]
async fn a_moderator_cannot_remove_an_admin_or_another_moderator() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_moderator = app.sign_up("mod2").await;
    app.add_member(team.ws, &team.owner, &other_moderator).await;
    app.set_role(team.ws, &other_moderator, "moderator");

    for user in [&team.admin, &other_moderator] {
        let (status, err) = remove(&app, team.ws, &team.moderator, user.id).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, user).is_some());
    }
}

#[tokio::test]
async fn a_guest_cannot_remove_anyone_else() {
    let app = spawn_app().await;
    let team = app.team().await;
    let other_guest = app.another_guest(&team).await;

    for user in [&other_guest, &team.moderator, &team.admin] {
        let (status, err) = remove(&app, team.ws, &team.guest, user.id).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, user).is_some());
    }
}

#[tokio::test]
async fn nobody_can_remove_the_owner() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [&team.admin, &team.moderator, &team.guest] {
        let (status, err) = remove(&app, team.ws, user, team.owner.id).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.guest).await, &team.owner).as_deref(),
        Some("owner")
    );
}

#[tokio::test]
async fn a_member_can_leave_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [&team.guest, &team.moderator, &team.admin] {
        let (status, body) = remove(&app, team.ws, user, user.id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = app
            .get(&format!("/api/workspaces/{}", team.ws), &user.token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_owner_cannot_leave_their_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = remove(&app, team.ws, &team.owner, team.owner.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        workspace_role(&app.workspace(team.ws, &team.owner).await, &team.owner).as_deref(),
        Some("owner")
    );
}

#[tokio::test]
async fn a_non_member_cannot_remove_members() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = remove(&app, team.ws, &team.outsider, team.guest.id).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest).is_some());
}

#[tokio::test]
async fn removing_someone_who_is_not_a_member_is_user_not_found_in_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;

    for user in [team.outsider.id, 424_242] {
        let (status, err) = remove(&app, team.ws, &team.owner, user).await;
        assert_error(
            status,
            &err,
            StatusCode::NOT_FOUND,
            "User not found in workspace",
        );
    }
}

#[tokio::test]
async fn removing_twice_is_user_not_found_in_workspace_the_second_time() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, _) = remove(&app, team.ws, &team.owner, team.guest.id).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = remove(&app, team.ws, &team.owner, team.guest.id).await;
    assert_error(
        status,
        &err,
        StatusCode::NOT_FOUND,
        "User not found in workspace",
    );
}

#[tokio::test]
async fn removing_from_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = remove(&app, 424_242, &team.owner, team.guest.id).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn removing_a_member_with_malformed_ids_is_a_bad_request() {
    let app = spawn_app().await;
    let team = app.team().await;

    for path in [
        format!("/api/workspaces/{}/members/abc", team.ws),
        format!("/api/workspaces/{}/members/0", team.ws),
        format!("/api/workspaces/abc/members/{}", team.guest.id),
        format!(
            "/api/workspaces/99999999999999999999/members/{}",
            team.guest.id
        ),
    ] {
        let (status, err) = app.delete(&path, &team.owner.token).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn removing_a_member_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .call(
            Method::DELETE,
            &format!("/api/workspaces/{}/members/{}", team.ws, team.guest.id),
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
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest).is_some());
}
