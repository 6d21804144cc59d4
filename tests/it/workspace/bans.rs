//! `PUT|DELETE /api/workspaces/{workspaceId}/bans/{userId}` and
//! `GET /api/workspaces/{workspaceId}/bans`: a ban removes a member and keeps
//! them out until it is lifted.

use concord_tests::server::{fresh_invite_code, join};
use concord_tests::{TestApp, TestUser, assert_error, spawn_app, workspace_role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `PUT .../bans/{user}` as `by`, with `body` (none when `None`).
async fn ban(
    app: &TestApp,
    ws: i64,
    by: &TestUser,
    user: i64,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/workspaces/{ws}/bans/{user}"),
        Some(&by.token),
        body,
    )
    .await
}

async fn lift(app: &TestApp, ws: i64, by: &TestUser, user: i64) -> (StatusCode, Value) {
    app.delete(&format!("/api/workspaces/{ws}/bans/{user}"), &by.token)
        .await
}

async fn bans(app: &TestApp, ws: i64, by: &TestUser) -> (StatusCode, Value) {
    app.get(&format!("/api/workspaces/{ws}/bans"), &by.token)
        .await
}

/// `POST .../members` adding `user` as `by`.
async fn add(app: &TestApp, ws: i64, by: &TestUser, user: &TestUser) -> (StatusCode, Value) {
    app.post(
        &format!("/api/workspaces/{ws}/members"),
        &by.token,
        json!({"user_id": user.id}),
    )
    .await
}

fn assert_banned(status: StatusCode, body: &Value) {
    assert_error(status, body, StatusCode::FORBIDDEN, "User is banned");
}

#[tokio::test]
async fn a_banned_member_is_removed_and_can_neither_rejoin_nor_be_added_back() {
    let app = spawn_app().await;
    let team = app.team().await;
    let code = fresh_invite_code(&app, team.ws, &team.owner).await;

    let (status, body) = ban(
        &app,
        team.ws,
        &team.owner,
        team.guest.id,
        Some(json!({"reason": "spam"})),
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest).is_none());
    let (status, err) = app
        .get(&format!("/api/workspaces/{}", team.ws), &team.guest.token)
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, err) = join(&app, team.ws, &code, &team.guest).await;
    assert_banned(status, &err);
    let (status, err) = add(&app, team.ws, &team.owner, &team.guest).await;
    assert_banned(status, &err);
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest).is_none());
}

#[tokio::test]
async fn the_ban_list_shows_who_why_by_whom_and_since_when() {
    let app = spawn_app().await;
    let team = app.team().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let (status, _) = ban(
        &app,
        team.ws,
        &team.admin,
        team.guest.id,
        Some(json!({"reason": "  spam  "})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = ban(&app, team.ws, &team.owner, team.outsider.id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, list) = bans(&app, team.ws, &team.moderator).await;

    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    assert_eq!(list.len(), 2, "{list:?}");
    let mut keys: Vec<_> = list[0].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["banned_at", "banned_by", "reason", "user_id"]);
    assert_eq!(list[0]["user_id"], team.guest.id);
    assert_eq!(list[0]["reason"], "spam");
    assert_eq!(list[0]["banned_by"], team.admin.id);
    let at = list[0]["banned_at"].as_str().unwrap_or_default();
    assert!(at.ends_with('Z'), "{at}");
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    assert!(at >= before, "{at}");
    assert_eq!(list[1]["user_id"], team.outsider.id);
    assert_eq!(list[1]["reason"], Value::Null);
    assert_eq!(list[1]["banned_by"], team.owner.id);
}

#[tokio::test]
async fn a_lifted_ban_lets_the_user_rejoin_with_the_code_and_be_added() {
    let app = spawn_app().await;
    let team = app.team().await;
    let code = fresh_invite_code(&app, team.ws, &team.owner).await;
    for user in [&team.guest, &team.outsider] {
        let (status, _) = ban(&app, team.ws, &team.owner, user.id, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    for user in [&team.guest, &team.outsider] {
        let (status, body) = lift(&app, team.ws, &team.moderator, user.id).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(body, Value::Null);
    }

    let (status, body) = join(&app, team.ws, &code, &team.guest).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = add(&app, team.ws, &team.owner, &team.outsider).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.guest).is_some());
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.outsider).is_some());
    let (_, list) = bans(&app, team.ws, &team.owner).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn bans_follow_the_ranks_of_kicks() {
    let app = spawn_app().await;
    let team = app.team().await;
    let admin2 = team.recruit(&app, "admin2", "admin").await;
    let moderator2 = team.recruit(&app, "moderator2", "moderator").await;
    let guest2 = team.recruit(&app, "guest2", "guest").await;
    let guest3 = team.recruit(&app, "guest3", "guest").await;

    // refused: (actor, target)
    for (actor, target) in [
        (&team.guest, &guest2),
        (&team.guest, &team.moderator),
        (&team.moderator, &moderator2),
        (&team.moderator, &team.admin),
        (&team.admin, &admin2),
        (&team.outsider, &team.guest),
    ] {
        let (status, err) = ban(&app, team.ws, actor, target.id, None).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        assert!(
            workspace_role(&app.workspace(team.ws, &team.owner).await, target).is_some(),
            "{} was banned by {}",
            target.username,
            actor.username
        );
    }
    // allowed: a moderator bans a guest, an admin a moderator and a guest,
    // the owner an admin
    for (actor, target) in [
        (&team.moderator, &guest2),
        (&team.admin, &moderator2),
        (&team.admin, &guest3),
        (&team.owner, &admin2),
    ] {
        let (status, body) = ban(&app, team.ws, actor, target.id, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, target).is_none());
    }
}

#[tokio::test]
async fn nobody_bans_the_owner_or_themself() {
    let app = spawn_app().await;
    let team = app.team().await;

    for actor in [&team.admin, &team.moderator, &team.guest, &team.owner] {
        let (status, err) = ban(&app, team.ws, actor, team.owner.id, None).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (_, err) = ban(&app, team.ws, &team.admin, team.owner.id, None).await;
    assert_eq!(err["errors"], json!(["The owner cannot be banned"]));
    for actor in [&team.admin, &team.moderator, &team.guest] {
        let (status, err) = ban(&app, team.ws, actor, actor.id, None).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
        assert_eq!(err["errors"], json!(["You cannot ban yourself"]));
    }
    assert!(workspace_role(&app.workspace(team.ws, &team.owner).await, &team.admin).is_some());
}

#[tokio::test]
async fn a_user_outside_the_workspace_may_be_banned_ahead() {
    let app = spawn_app().await;
    let team = app.team().await;
    let code = fresh_invite_code(&app, team.ws, &team.owner).await;

    let (status, body) = ban(&app, team.ws, &team.moderator, team.outsider.id, None).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, err) = join(&app, team.ws, &code, &team.outsider).await;
    assert_banned(status, &err);
    let (status, err) = add(&app, team.ws, &team.admin, &team.outsider).await;
    assert_banned(status, &err);
}

#[tokio::test]
async fn banning_again_replaces_the_reason_and_keeps_the_time() {
    let app = spawn_app().await;
    let team = app.team().await;
    let (status, _) = ban(
        &app,
        team.ws,
        &team.owner,
        team.guest.id,
        Some(json!({"reason": "first"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, first) = bans(&app, team.ws, &team.owner).await;

    let (status, body) = ban(
        &app,
        team.ws,
        &team.moderator,
        team.guest.id,
        Some(json!({"reason": "second"})),
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = bans(&app, team.ws, &team.owner).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["reason"], "second");
    assert_eq!(list[0]["banned_by"], team.moderator.id);
    assert_eq!(list[0]["banned_at"], first[0]["banned_at"]);
}

#[tokio::test]
async fn a_ban_is_lifted_only_by_whoever_could_have_placed_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let admin2 = team.recruit(&app, "admin2", "admin").await;
    let (status, _) = ban(&app, team.ws, &team.owner, admin2.id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // admin2 was banned as an admin: only the owner lifts it
    for actor in [&team.admin, &team.moderator, &team.guest, &team.outsider] {
        let (status, err) = lift(&app, team.ws, actor, admin2.id).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (_, list) = bans(&app, team.ws, &team.owner).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (status, _) = lift(&app, team.ws, &team.owner, admin2.id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn lifting_a_ban_that_is_not_there_is_no_content() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, body) = lift(&app, team.ws, &team.moderator, team.outsider.id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = lift(&app, team.ws, &team.owner, 987_654).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // a guest may not lift bans at all
    let (status, err) = lift(&app, team.ws, &team.guest, team.outsider.id).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn moderators_and_up_list_bans_and_guests_and_outsiders_do_not() {
    let app = spawn_app().await;
    let team = app.team().await;

    for allowed in [&team.owner, &team.admin, &team.moderator] {
        let (status, list) = bans(&app, team.ws, allowed).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list, json!([]));
    }
    for refused in [&team.guest, &team.outsider] {
        let (status, err) = bans(&app, team.ws, refused).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
}

#[tokio::test]
async fn bad_ids_and_bodies_are_bad_requests() {
    let app = spawn_app().await;
    let team = app.team().await;
    let ws = team.ws;

    for (method, path) in [
        (Method::PUT, format!("/api/workspaces/{ws}/bans/abc")),
        (Method::PUT, "/api/workspaces/abc/bans/1".to_owned()),
        (Method::PUT, format!("/api/workspaces/{ws}/bans/0")),
        (Method::DELETE, format!("/api/workspaces/{ws}/bans/-1")),
        (
            Method::DELETE,
            format!("/api/workspaces/{ws}/bans/99999999999999999999"),
        ),
        (Method::GET, "/api/workspaces/x/bans".to_owned()),
    ] {
        let (status, err) = app.call(method, &path, Some(&team.owner.token), None).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    for body in [
        json!({"reason": "r".repeat(1001)}),
        json!({"reason": 42}),
        json!("spam"),
    ] {
        let (status, err) = ban(&app, ws, &team.owner, team.guest.id, Some(body)).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    let (_, err) = ban(
        &app,
        ws,
        &team.owner,
        team.guest.id,
        Some(json!({"reason": "r".repeat(1001)})),
    )
    .await;
    assert_eq!(
        err["errors"],
        json!(["Reason must be at most 1000 characters"])
    );
    let (status, err) = app
        .send_raw(
            Method::PUT,
            &format!("/api/workspaces/{ws}/bans/{}", team.guest.id),
            Some(&team.owner.token),
            Some("application/json"),
            b"{\"reason\":".to_vec(),
        )
        .await;
    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    // nothing was banned by any of these
    assert!(workspace_role(&app.workspace(ws, &team.owner).await, &team.guest).is_some());
    // a reason of exactly 1,000 characters is fine
    let (status, body) = ban(
        &app,
        ws,
        &team.owner,
        team.guest.id,
        Some(json!({"reason": "r".repeat(1000)})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[tokio::test]
async fn a_null_body_is_a_ban_without_a_reason() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, body) = app
        .send_raw(
            Method::PUT,
            &format!("/api/workspaces/{}/bans/{}", team.ws, team.guest.id),
            Some(&team.owner.token),
            Some("application/json"),
            b"null".to_vec(),
        )
        .await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = bans(&app, team.ws, &team.owner).await;
    assert_eq!(list[0]["user_id"], json!(team.guest.id));
    assert_eq!(list[0]["reason"], Value::Null);
}

#[tokio::test]
async fn unknown_users_and_workspaces_are_not_found_and_a_token_is_required() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = ban(&app, team.ws, &team.owner, 987_654, None).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
    let (status, err) = ban(&app, 987_654, &team.owner, team.guest.id, None).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
    let (status, err) = bans(&app, 987_654, &team.owner).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
    let (status, err) = app
        .call(
            Method::PUT,
            &format!("/api/workspaces/{}/bans/{}", team.ws, team.guest.id),
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
