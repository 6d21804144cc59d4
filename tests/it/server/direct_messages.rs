//! `POST /conversations?serverId=`, `POST /socket/direct-messages`,
//! `PATCH|DELETE /socket/direct-messages/{directMessageId}` and
//! `GET /direct-messages`.

use std::collections::HashSet;

use concord_tests::server::{Crew, all_pages, create_server, crew, page, patch};
use concord_tests::{
    TOMBSTONE, TestApp, TestUser, assert_envelope, assert_error, id_of, keys_of, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn start(app: &TestApp, crew: &Crew, by: &TestUser, member: i64) -> (StatusCode, Value) {
    app.post(
        &crew.with_server("/conversations"),
        &by.token,
        json!({"memberId": member}),
    )
    .await
}

/// The conversation between `by` and `with`; asserts success, returns its id.
async fn conversation(app: &TestApp, crew: &Crew, by: &TestUser, with: &TestUser) -> i64 {
    let (status, body) = start(app, crew, by, crew.member(with)).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::CREATED,
        "{status}: {body}"
    );
    id_of(&body)
}

async fn send(
    app: &TestApp,
    conversation: i64,
    by: &TestUser,
    content: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/socket/direct-messages?conversationId={conversation}"),
        &by.token,
        json!({"content": content}),
    )
    .await
}

async fn sent(app: &TestApp, conversation: i64, by: &TestUser, content: &str) -> Value {
    let (status, message) = send(app, conversation, by, content).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    message
}

fn message_path(conversation: i64, message: i64) -> String {
    format!("/socket/direct-messages/{message}?conversationId={conversation}")
}

// --- conversations ---

#[tokio::test]
async fn starting_a_conversation_twice_returns_the_same_one_from_either_side() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, first) = start(&app, &crew, &crew.owner, crew.member(&crew.guest)).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::CREATED,
        "{status}: {first}"
    );
    assert!(id_of(&first) > 0);
    assert_eq!(first["serverId"], crew.id);
    let pair: HashSet<i64> = [&first["memberOneId"], &first["memberTwoId"]]
        .into_iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(
        pair,
        HashSet::from([crew.member(&crew.owner), crew.member(&crew.guest)]),
        "{first}"
    );

    let (status, again) = start(&app, &crew, &crew.owner, crew.member(&crew.guest)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);

    let (status, reverse) = start(&app, &crew, &crew.guest, crew.member(&crew.owner)).await;
    assert!(status.is_success(), "{status}: {reverse}");
    assert_eq!(reverse["id"], first["id"]);
}

#[tokio::test]
async fn different_pairs_get_different_conversations() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let a = conversation(&app, &crew, &crew.owner, &crew.guest).await;
    let b = conversation(&app, &crew, &crew.owner, &crew.moderator).await;
    let c = conversation(&app, &crew, &crew.guest, &crew.moderator).await;

    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_ne!(b, c);
}

#[tokio::test]
async fn a_conversation_needs_another_member_of_the_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let other = create_server(&app, &crew.outsider, "Other").await;
    let foreign = concord_tests::server::member_id(&other, &crew.outsider);

    let (status, body) = start(&app, &crew, &crew.owner, foreign).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Member not found");

    let (status, body) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.owner.token,
            json!({}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = start(&app, &crew, &crew.owner, crew.member(&crew.owner)).await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = app
        .post(
            "/conversations",
            &crew.owner.token,
            json!({"memberId": crew.member(&crew.guest)}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_non_member_cannot_start_a_conversation() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = start(&app, &crew, &crew.outsider, crew.member(&crew.guest)).await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

// --- direct messages ---

#[tokio::test]
async fn participants_exchange_direct_messages() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.owner, &crew.guest).await;

    let (status, message) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &crew.owner.token,
            json!({"content": "psst", "fileUrl": "https://example.com/secret.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(
        keys_of(&message),
        [
            "content",
            "conversationId",
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
    assert_eq!(message["conversationId"], dm);
    assert_eq!(message["content"], "psst");
    assert_eq!(message["fileUrl"], "https://example.com/secret.png");
    assert_eq!(message["memberId"], crew.member(&crew.owner));
    assert_eq!(message["member"]["profile"]["id"], crew.owner.id);
    assert_eq!(message["deleted"], false);

    let reply = sent(&app, dm, &crew.guest, "what?").await;
    assert_eq!(reply["memberId"], crew.member(&crew.guest));

    let (ids, cursor) = page(
        &app,
        &format!("/direct-messages?conversationId={dm}"),
        &crew.guest,
    )
    .await;
    assert_eq!(ids, [id_of(&reply), id_of(&message)]);
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn the_author_edits_a_direct_message_and_the_other_participant_cannot() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.owner, &crew.guest).await;
    let message = id_of(&sent(&app, dm, &crew.guest, "helo").await);

    let (status, edited) = patch(
        &app,
        &message_path(dm, message),
        &crew.guest,
        json!({"content": "hello"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["id"], message);
    assert_eq!(edited["content"], "hello");
    assert_eq!(edited["conversationId"], dm);

    let (status, body) = patch(
        &app,
        &message_path(dm, message),
        &crew.owner,
        json!({"content": "goodbye"}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn the_author_deletes_a_direct_message_leaving_a_tombstone() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.owner, &crew.guest).await;
    let (status, message) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &crew.guest.token,
            json!({"content": "oops", "fileUrl": "https://example.com/oops.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");

    let (status, deleted) = app
        .delete(&message_path(dm, id_of(&message)), &crew.guest.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["id"], message["id"]);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["content"], TOMBSTONE);
    assert!(deleted["fileUrl"].is_null(), "{deleted}");
    let (status, listed) = app
        .get(
            &format!("/direct-messages?conversationId={dm}"),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"][0]["deleted"], true);
    assert_eq!(listed["items"][0]["content"], TOMBSTONE);
}

#[tokio::test]
async fn a_guest_participant_cannot_delete_the_other_participants_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.moderator, &crew.guest).await;
    let message = id_of(&sent(&app, dm, &crew.moderator, "mine").await);

    let (status, body) = app
        .delete(&message_path(dm, message), &crew.guest.token)
        .await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
}

#[tokio::test]
async fn a_third_member_cannot_read_post_edit_or_delete() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.owner, &crew.moderator).await;
    let message = id_of(&sent(&app, dm, &crew.owner, "between us").await);

    for third in [&crew.guest, &crew.admin, &crew.outsider] {
        let (status, body) = app
            .get(
                &format!("/direct-messages?conversationId={dm}"),
                &third.token,
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = send(&app, dm, third, "me too").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = patch(
            &app,
            &message_path(dm, message),
            third,
            json!({"content": "edited"}),
        )
        .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = app.delete(&message_path(dm, message), &third.token).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (ids, _) = page(
        &app,
        &format!("/direct-messages?conversationId={dm}"),
        &crew.moderator,
    )
    .await;
    assert_eq!(ids, [message]);
}

#[tokio::test]
async fn a_missing_conversation_is_not_found_and_a_missing_id_is_rejected() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = send(&app, 99_999_999, &crew.owner, "hello?").await;
    assert_envelope(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get(
            "/direct-messages?conversationId=99999999",
            &crew.owner.token,
        )
        .await;
    assert_envelope(status, &body, StatusCode::NOT_FOUND);

    let (status, body) = app
        .post(
            "/socket/direct-messages",
            &crew.owner.token,
            json!({"content": "where?"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get("/direct-messages", &crew.owner.token).await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn direct_messages_page_back_ten_at_a_time() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.owner, &crew.guest).await;
    let mut ids = Vec::new();
    for i in 0..13 {
        let by = if i % 2 == 0 { &crew.owner } else { &crew.guest };
        ids.push(id_of(&sent(&app, dm, by, &format!("dm{i}")).await));
    }

    let pages = all_pages(
        &app,
        &format!("/direct-messages?conversationId={dm}"),
        &crew.guest,
        None,
    )
    .await;

    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [10, 3],
        "{pages:?}"
    );
    ids.reverse();
    assert_eq!(pages.concat(), ids);
}

#[tokio::test]
async fn the_member_id_may_be_snake_case_or_a_numeric_string() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let first = conversation(&app, &crew, &crew.owner, &crew.guest).await;
    let guest = crew.member(&crew.guest);

    for body in [
        json!({"member_id": guest}),
        json!({"memberId": guest.to_string()}),
    ] {
        let (status, again) = app
            .post(&crew.with_server("/conversations"), &crew.owner.token, body)
            .await;
        assert!(status.is_success(), "{status}: {again}");
        assert_eq!(again["id"], first);
    }
}

#[tokio::test]
async fn a_moderator_participant_deletes_the_other_participants_message() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.moderator, &crew.guest).await;
    let message = id_of(&sent(&app, dm, &crew.guest, "rude").await);

    let (status, deleted) = app
        .delete(&message_path(dm, message), &crew.moderator.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["content"], TOMBSTONE);
}
