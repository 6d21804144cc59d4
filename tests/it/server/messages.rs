//! `POST /socket/messages`, `PATCH|DELETE /socket/messages/{messageId}` and
//! `GET /messages`.

use std::collections::HashSet;

use concord_tests::server::{Crew, all_pages, crew, page, patch};
use concord_tests::{
    TOMBSTONE, TestApp, TestUser, assert_envelope, assert_error, assert_rfc3339_utc, id_of,
    keys_of, spawn_app,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn edit(
    app: &TestApp,
    crew: &Crew,
    by: &TestUser,
    message: i64,
    content: &str,
) -> (StatusCode, Value) {
    patch(
        app,
        &crew.message_path(crew.general, message),
        by,
        json!({"content": content}),
    )
    .await
}

async fn remove(app: &TestApp, crew: &Crew, by: &TestUser, message: i64) -> (StatusCode, Value) {
    app.delete(&crew.message_path(crew.general, message), &by.token)
        .await
}

fn assert_tombstone(message: &Value) {
    assert_eq!(message["deleted"], true, "{message}");
    assert_eq!(message["content"], TOMBSTONE, "{message}");
    assert!(message["fileUrl"].is_null(), "{message}");
}

/// Posts `n` messages `"m{i}"` to general as `by`; returns their ids, oldest first.
async fn post_many(app: &TestApp, crew: &Crew, by: &TestUser, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(id_of(
            &crew.send(app, crew.general, by, &format!("m{i}")).await,
        ));
    }
    ids
}

// --- sending ---

#[tokio::test]
async fn a_member_posts_a_message_and_gets_it_back_with_its_author() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, message) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "hello, server", "fileUrl": "https://example.com/cat.png"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(
        keys_of(&message),
        [
            "channelId",
            "content",
            "createdAt",
            "deleted",
            "fileUrl",
            "id",
            "member",
            "memberId",
            "mentions",
            "pinned",
            "reactions",
            "updatedAt"
        ],
        "{message}"
    );
    assert!(id_of(&message) > 0);
    assert_eq!(message["content"], "hello, server");
    assert_eq!(message["fileUrl"], "https://example.com/cat.png");
    assert_eq!(message["channelId"], crew.general);
    assert_eq!(message["memberId"], crew.member(&crew.guest));
    assert_eq!(message["deleted"], false);
    assert_rfc3339_utc(&message["createdAt"]);
    assert_rfc3339_utc(&message["updatedAt"]);
    let member = &message["member"];
    assert_eq!(member["id"], crew.member(&crew.guest));
    assert_eq!(member["role"], "GUEST");
    assert_eq!(member["profileId"], crew.guest.id);
    assert_eq!(member["serverId"], crew.id);
    assert_eq!(member["profile"]["id"], crew.guest.id);
    assert_eq!(member["profile"]["name"], "guest Tester");
    assert_eq!(member["profile"]["email"], crew.guest.email.as_str());
}

#[tokio::test]
async fn a_message_without_a_file_has_a_null_file_url() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let message = crew.send(&app, crew.general, &crew.owner, "plain").await;

    assert!(message["fileUrl"].is_null(), "{message}");
    assert_eq!(message["member"]["isOwner"], true);
    assert_eq!(message["member"]["role"], "ADMIN");
}

#[tokio::test]
async fn every_role_posts_and_a_non_member_does_not() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.owner, &crew.admin, &crew.moderator, &crew.guest] {
        crew.send(&app, crew.general, user, "present").await;
    }

    let (status, body) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.outsider.token,
            json!({"content": "let me in"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn empty_or_missing_content_is_rejected() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for body in [
        json!({}),
        json!({"content": ""}),
        json!({"content": "   "}),
        json!({"content": "x".repeat(4001)}),
        json!({"content": 5}),
    ] {
        let (status, err) = app
            .post(&crew.messages_path(crew.general), &crew.guest.token, body)
            .await;
        assert_envelope(status, &err, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_bad_content_and_a_bad_file_url_are_both_reported() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, err) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "", "fileUrl": "not a url"}),
        )
        .await;

    assert_envelope(status, &err, StatusCode::BAD_REQUEST);
    let errors = err["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].as_str().is_some_and(|e| e.contains("content")),
        "{err}"
    );
    assert!(
        errors[1]
            .as_str()
            .is_some_and(|e| e.starts_with("File URL")),
        "{err}"
    );
}

#[tokio::test]
async fn query_parameters_are_accepted_in_snake_case_too() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let path = format!(
        "/socket/messages?server_id={}&channel_id={}",
        crew.id, crew.general
    );

    let (status, sent) = app
        .post(&path, &crew.guest.token, json!({"content": "hi"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (status, page) = app
        .get(
            &format!("/messages?channel_id={}", crew.general),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["id"], sent["id"], "{page}");
}

#[tokio::test]
async fn posting_needs_both_the_server_and_the_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for path in [
        format!("/socket/messages?serverId={}", crew.id),
        format!("/socket/messages?channelId={}", crew.general),
        "/socket/messages".to_owned(),
    ] {
        let (status, body) = app
            .post(&path, &crew.guest.token, json!({"content": "hi"}))
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_channel_of_another_server_is_channel_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let other = concord_tests::server::create_server(&app, &crew.owner, "Other").await;
    let foreign = concord_tests::server::general_id(&other);

    let (status, body) = app
        .post(
            &crew.messages_path(foreign),
            &crew.owner.token,
            json!({"content": "wrong room"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");

    let (status, body) = app
        .post(
            &crew.messages_path(99_999_999),
            &crew.owner.token,
            json!({"content": "no room"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn posting_requires_authentication() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .call(
            Method::POST,
            &crew.messages_path(crew.general),
            None,
            Some(json!({"content": "anonymous"})),
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
async fn the_author_edits_their_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let message = crew.send(&app, crew.general, &crew.guest, "frist").await;

    let (status, edited) = edit(&app, &crew, &crew.guest, id_of(&message), "first").await;

    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["id"], message["id"]);
    assert_eq!(edited["content"], "first");
    assert_eq!(edited["deleted"], false);
    assert_eq!(edited["memberId"], crew.member(&crew.guest));
    assert_eq!(edited["channelId"], crew.general);
    assert_eq!(edited["createdAt"], message["createdAt"]);
    assert_rfc3339_utc(&edited["updatedAt"]);
    let (ids, _) = page(
        &app,
        &format!("/messages?channelId={}", crew.general),
        &crew.owner,
    )
    .await;
    assert_eq!(ids, [id_of(&message)]);
}

#[tokio::test]
async fn nobody_but_the_author_edits_a_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let message = id_of(&crew.send(&app, crew.general, &crew.guest, "mine").await);

    for user in [&crew.owner, &crew.admin, &crew.moderator, &crew.outsider] {
        let (status, body) = edit(&app, &crew, user, message, "theirs").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["content"], "mine");
}

#[tokio::test]
async fn a_deleted_message_cannot_be_edited() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let message = id_of(&crew.send(&app, crew.general, &crew.guest, "oops").await);
    let (status, _) = remove(&app, &crew, &crew.guest, message).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = edit(&app, &crew, &crew.guest, message, "resurrected").await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn editing_a_missing_message_is_not_found_and_empty_content_is_rejected() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let message = id_of(&crew.send(&app, crew.general, &crew.guest, "ok").await);

    let (status, body) = edit(&app, &crew, &crew.guest, 99_999_999, "ghost").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");

    let (status, body) = edit(&app, &crew, &crew.guest, message, "  ").await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

// --- deleting ---

#[tokio::test]
async fn the_author_deletes_their_message_leaving_a_tombstone() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, message) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "regret", "fileUrl": "https://example.com/oops.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");

    let (status, deleted) = remove(&app, &crew, &crew.guest, id_of(&message)).await;

    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["id"], message["id"]);
    assert_tombstone(&deleted);
    assert_eq!(deleted["memberId"], crew.member(&crew.guest));
    let (status, listed) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_tombstone(&listed["items"][0]);
}

#[tokio::test]
async fn moderators_and_up_delete_anyones_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.moderator, &crew.admin, &crew.owner] {
        let message = id_of(&crew.send(&app, crew.general, &crew.guest, "spam").await);
        let (status, deleted) = remove(&app, &crew, user, message).await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_tombstone(&deleted);
    }
    // a moderator's message, deleted by an admin
    let message = id_of(&crew.send(&app, crew.general, &crew.moderator, "mod").await);
    let (status, deleted) = remove(&app, &crew, &crew.admin, message).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
}

#[tokio::test]
async fn a_guest_cannot_delete_someone_elses_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let second = crew.recruit(&app, "second", "guest").await;

    for author in [&crew.owner, &crew.moderator, &second] {
        let message = id_of(&crew.send(&app, crew.general, author, "keep me").await);
        let (status, body) = remove(&app, &crew, &crew.guest, message).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for item in body["items"].as_array().into_iter().flatten() {
        assert_eq!(item["deleted"], false, "{item}");
    }
}

#[tokio::test]
async fn a_non_member_cannot_delete_or_read_messages() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let message = id_of(
        &crew
            .send(&app, crew.general, &crew.guest, "members only")
            .await,
    );

    let (status, body) = remove(&app, &crew, &crew.outsider, message).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.outsider.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn deleting_a_message_through_another_channel_is_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, server) = app
        .post(
            &crew.with_server("/channels"),
            &crew.owner.token,
            json!({"name": "side", "type": "TEXT"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    let side = id_of(
        concord_tests::server::channel_named(&server, "side").unwrap_or_else(|| panic!("{server}")),
    );
    let message = id_of(
        &crew
            .send(&app, crew.general, &crew.guest, "in general")
            .await,
    );

    let (status, body) = app
        .delete(&crew.message_path(side, message), &crew.guest.token)
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "Message not found");
}

// --- reading ---

#[tokio::test]
async fn an_empty_channel_has_no_items_and_no_cursor() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (ids, cursor) = page(
        &app,
        &format!("/messages?channelId={}", crew.general),
        &crew.guest,
    )
    .await;

    assert!(ids.is_empty());
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn messages_come_newest_first_ten_at_a_time_by_default() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let ids = post_many(&app, &crew, &crew.guest, 12).await;

    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.moderator.token,
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(items.len(), 10, "{body}");
    assert_eq!(items[0]["id"], ids[11]);
    assert_eq!(items[0]["content"], "m11");
    assert_eq!(items[9]["id"], ids[2]);
    assert_eq!(items[0]["memberId"], crew.member(&crew.guest));
    assert_eq!(items[0]["member"]["profile"]["id"], crew.guest.id);
    assert!(body["nextCursor"].is_i64(), "{body}");
}

#[tokio::test]
async fn twenty_five_messages_page_back_ten_ten_and_five() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let ids = post_many(&app, &crew, &crew.guest, 25).await;

    let pages = all_pages(
        &app,
        &format!("/messages?channelId={}", crew.general),
        &crew.owner,
        None,
    )
    .await;

    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [10, 10, 5],
        "{pages:?}"
    );
    let seen: Vec<i64> = pages.into_iter().flatten().collect();
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "duplicates: {seen:?}");
    let mut newest_first = ids;
    newest_first.reverse();
    assert_eq!(seen, newest_first, "none skipped, newest first");
}

#[tokio::test]
async fn a_limit_sets_the_page_size() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let ids = post_many(&app, &crew, &crew.guest, 7).await;
    let base = format!("/messages?channelId={}", crew.general);

    let (first, cursor) = page(&app, &format!("{base}&limit=3"), &crew.guest).await;
    assert_eq!(first, [ids[6], ids[5], ids[4]]);
    assert!(cursor.is_some());

    let pages = all_pages(&app, &base, &crew.guest, Some(3)).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [3, 3, 1],
        "{pages:?}"
    );
}

#[tokio::test]
async fn a_limit_outside_one_to_a_hundred_is_rejected() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let base = format!("/messages?channelId={}", crew.general);

    for limit in ["0", "101", "-1", "many"] {
        let (status, body) = app
            .get(&format!("{base}&limit={limit}"), &crew.guest.token)
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
    let (status, body) = app
        .get(&format!("{base}&limit=100"), &crew.guest.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn reading_needs_a_channel_id_and_an_existing_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app.get("/messages", &crew.guest.token).await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .get("/messages?channelId=99999999", &crew.guest.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
}

#[tokio::test]
async fn paging_while_others_post_neither_skips_nor_repeats() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let older = post_many(&app, &crew, &crew.guest, 15).await;
    let base = format!("/messages?channelId={}", crew.general);

    let (first, cursor) = page(&app, &base, &crew.owner).await;
    let cursor = cursor.unwrap_or_else(|| panic!("a second page is due"));
    post_many(&app, &crew, &crew.admin, 5).await;
    let (second, next) = page(&app, &format!("{base}&cursor={cursor}"), &crew.owner).await;

    let mut expected = older;
    expected.reverse();
    assert_eq!(first, expected[..10]);
    assert_eq!(second, expected[10..]);
    assert_eq!(next, None);
}

#[tokio::test]
async fn the_file_url_may_be_sent_in_snake_case() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, message) = app
        .post(
            &crew.messages_path(crew.general),
            &crew.guest.token,
            json!({"content": "look", "file_url": "https://example.com/look.png"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["fileUrl"], "https://example.com/look.png");
}
