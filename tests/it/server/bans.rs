//! `PUT|DELETE /servers/{serverId}/bans/{profileId}` and
//! `GET /servers/{serverId}/bans`, and bans across the two dialects.

use concord_tests::server::{Crew, crew, join, member_of, members};
use concord_tests::{TestApp, TestUser, assert_error, id_of, keys_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn ban(
    app: &TestApp,
    crew: &Crew,
    by: &TestUser,
    user: i64,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/servers/{}/bans/{user}", crew.id),
        Some(&by.token),
        body,
    )
    .await
}

async fn lift(app: &TestApp, crew: &Crew, by: &TestUser, user: i64) -> (StatusCode, Value) {
    app.delete(&format!("/servers/{}/bans/{user}", crew.id), &by.token)
        .await
}

async fn bans(app: &TestApp, crew: &Crew, by: &TestUser) -> (StatusCode, Value) {
    app.get(&format!("/servers/{}/bans", crew.id), &by.token)
        .await
}

fn assert_banned(status: StatusCode, body: &Value) {
    assert_error(status, body, StatusCode::FORBIDDEN, "User is banned");
}

#[tokio::test]
async fn a_ban_answers_the_server_without_them_and_the_code_no_longer_lets_them_in() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = ban(
        &app,
        &crew,
        &crew.owner,
        crew.guest.id,
        Some(json!({"reason": "spam"})),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(id_of(&server), crew.id);
    assert_eq!(keys_of(&server), keys_of(&crew.server), "{server}");
    assert!(member_of(&server, &crew.guest).is_none(), "{server}");
    assert_eq!(members(&server).len(), 3, "{server}");
    let (status, err) = join(&app, crew.id, &crew.code, &crew.guest).await;
    assert_banned(status, &err);
    assert_eq!(err["errors"], json!(["User is banned from this server"]));
    let (status, err) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "let me in"}),
        )
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn the_ban_list_is_in_this_dialects_spelling() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, _) = ban(
        &app,
        &crew,
        &crew.moderator,
        crew.guest.id,
        Some(json!({"reason": "spam"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, list) = bans(&app, &crew, &crew.admin).await;

    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(
        keys_of(&list[0]),
        ["bannedBy", "createdAt", "profileId", "reason"]
    );
    assert_eq!(list[0]["profileId"], crew.guest.id);
    assert_eq!(list[0]["reason"], "spam");
    assert_eq!(list[0]["bannedBy"], crew.moderator.id);
    assert!(
        list[0]["createdAt"]
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
        "{list}"
    );
}

#[tokio::test]
async fn a_lifted_ban_answers_the_server_and_the_code_works_again() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, _) = ban(&app, &crew, &crew.owner, crew.guest.id, None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, server) = lift(&app, &crew, &crew.admin, crew.guest.id).await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(id_of(&server), crew.id);
    let (status, server) = join(&app, crew.id, &crew.code, &crew.guest).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(
        member_of(&server, &crew.guest).map(|m| &m["role"]),
        Some(&json!("GUEST"))
    );
    let (_, list) = bans(&app, &crew, &crew.owner).await;
    assert_eq!(list, json!([]));
    // no ban to lift: 200 all the same
    let (status, server) = lift(&app, &crew, &crew.moderator, crew.outsider.id).await;
    assert_eq!(status, StatusCode::OK, "{server}");
}

#[tokio::test]
async fn who_may_ban_and_list_follows_the_ranks_of_kicks() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let guest2 = crew.recruit(&app, "guest2", "guest").await;
    let moderator2 = crew.recruit(&app, "moderator2", "moderator").await;

    for (actor, target) in [
        (&crew.guest, &guest2),
        (&crew.moderator, &moderator2),
        (&crew.moderator, &crew.admin),
        (&crew.admin, &crew.owner),
        (&crew.owner, &crew.owner),
        (&crew.outsider, &crew.guest),
    ] {
        let (status, err) = ban(&app, &crew, actor, target.id, None).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
    for refused in [&crew.guest, &crew.outsider] {
        let (status, err) = bans(&app, &crew, refused).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }
    let (status, server) = ban(&app, &crew, &crew.moderator, guest2.id, None).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    let (status, server) = ban(&app, &crew, &crew.admin, moderator2.id, None).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert!(member_of(&server, &guest2).is_none() && member_of(&server, &moderator2).is_none());
    assert!(member_of(&server, &crew.guest).is_some(), "{server}");
    // moderator2 was banned as a moderator: a moderator may not lift it
    let (status, err) = lift(&app, &crew, &crew.moderator, moderator2.id).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn bad_ids_bodies_and_servers_are_answered_in_the_envelope() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (method, path) in [
        (Method::PUT, format!("/servers/{}/bans/abc", crew.id)),
        (
            Method::DELETE,
            format!("/servers/abc/bans/{}", crew.guest.id),
        ),
        (Method::GET, "/servers/0/bans".to_owned()),
    ] {
        let (status, err) = app.call(method, &path, Some(&crew.owner.token), None).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
    let (status, err) = ban(
        &app,
        &crew,
        &crew.owner,
        crew.guest.id,
        Some(json!({"reason": "r".repeat(1001)})),
    )
    .await;
    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    let (status, err) = app
        .call(
            Method::PUT,
            &format!("/servers/987654/bans/{}", crew.guest.id),
            Some(&crew.owner.token),
            None,
        )
        .await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Server not found");
    let (status, err) = ban(&app, &crew, &crew.owner, 987_654, None).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
}

#[tokio::test]
async fn a_ban_through_one_dialect_holds_in_the_other() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    // banned through /api: listed and enforced through /servers
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/workspaces/{}/bans/{}", crew.id, crew.guest.id),
            Some(&crew.owner.token),
            Some(json!({"reason": "via api"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = bans(&app, &crew, &crew.owner).await;
    assert_eq!(list[0]["profileId"], crew.guest.id, "{list}");
    assert_eq!(list[0]["reason"], "via api");
    let (status, err) = join(&app, crew.id, &crew.code, &crew.guest).await;
    assert_banned(status, &err);

    // banned through /servers: listed and enforced through /api
    let (status, _) = ban(&app, &crew, &crew.owner, crew.outsider.id, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = app
        .get(
            &format!("/api/workspaces/{}/bans", crew.id),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let users: Vec<_> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|b| b["user_id"].clone())
        .collect();
    assert_eq!(users, [json!(crew.guest.id), json!(crew.outsider.id)]);
    let (status, err) = app
        .post(
            &format!("/api/workspaces/{}/members", crew.id),
            &crew.owner.token,
            json!({"user_id": crew.outsider.id}),
        )
        .await;
    assert_banned(status, &err);

    // lifted through /api: the code works again in /servers
    let (status, _) = app
        .delete(
            &format!("/api/workspaces/{}/bans/{}", crew.id, crew.guest.id),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, server) = join(&app, crew.id, &crew.code, &crew.guest).await;
    assert_eq!(status, StatusCode::OK, "{server}");
}
