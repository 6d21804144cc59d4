//! `GET /search?serverId=&q=`: the server dialect's search, in its own
//! message and page shapes.

use std::collections::HashSet;

use concord_tests::server::{Crew, all_pages, crew, page};
use concord_tests::{
    TestApp, TestUser, assert_envelope, assert_error, channel_messages_path, id_of, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `/search?serverId=&...` with `params`, percent-encoded.
fn search_path(server: i64, params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://concord.invalid/").unwrap();
    url.query_pairs_mut()
        .append_pair("serverId", &server.to_string())
        .extend_pairs(params);
    format!("/search?{}", url.query().unwrap_or(""))
}

/// The ids `user` finds in the crew's server with `q`, newest first.
async fn found(app: &TestApp, crew: &Crew, user: &TestUser, q: &str) -> Vec<i64> {
    let (ids, cursor) = page(
        app,
        &search_path(crew.id, &[("q", q), ("limit", "100")]),
        user,
    )
    .await;
    assert_eq!(cursor, None, "{q:?} found more than a page");
    ids
}

/// The conversation between `by` and `with`, started in the server dialect.
async fn conversation(app: &TestApp, crew: &Crew, by: &TestUser, with: &TestUser) -> i64 {
    let (status, body) = app
        .post(
            &crew.with_server("/conversations"),
            &by.token,
            json!({"memberId": crew.member(with)}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    id_of(&body)
}

#[tokio::test]
async fn items_are_this_dialects_messages_exactly_as_its_history_shows_them() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    crew.send(&app, crew.general, &crew.guest, "deploy tonight?")
        .await;
    crew.send(&app, crew.general, &crew.owner, "unrelated")
        .await;
    crew.send(&app, crew.general, &crew.admin, "DEPLOY tomorrow")
        .await;

    let (status, body) = app
        .get(
            &search_path(crew.id, &[("q", "deploy")]),
            &crew.moderator.token,
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, history) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let as_history: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] != "unrelated")
        .collect();
    assert_eq!(body, json!({"items": as_history, "nextCursor": null}));
    assert_eq!(body["items"][0]["member"]["profileId"], crew.admin.id);
}

#[tokio::test]
async fn ten_per_page_by_default_with_a_cursor_through_the_rest() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let mut sent = Vec::new();
    for i in 0..12 {
        sent.push(id_of(
            &crew
                .send(&app, crew.general, &crew.guest, &format!("report {i}"))
                .await,
        ));
        crew.send(&app, crew.general, &crew.guest, &format!("noise {i}"))
            .await;
    }
    sent.reverse();

    let pages = all_pages(
        &app,
        &search_path(crew.id, &[("q", "report")]),
        &crew.owner,
        None,
    )
    .await;

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 2]);
    let seen: Vec<i64> = pages.concat();
    assert_eq!(seen, sent);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 12);
}

#[tokio::test]
async fn a_member_and_a_channel_narrow_the_search() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let ops = app.create_channel(crew.id, &crew.owner, "ops", false).await;
    let by_guest = crew
        .send(&app, crew.general, &crew.guest, "incident review")
        .await;
    let by_owner = crew
        .send(&app, crew.general, &crew.owner, "incident closed")
        .await;
    let in_ops = crew.send(&app, ops, &crew.guest, "incident pager").await;
    let guest = crew.member(&crew.guest).to_string();
    let ops = ops.to_string();

    let (ids, _) = page(
        &app,
        &search_path(crew.id, &[("q", "incident"), ("memberId", guest.as_str())]),
        &crew.admin,
    )
    .await;
    assert_eq!(ids, [id_of(&in_ops), id_of(&by_guest)]);
    let (ids, _) = page(
        &app,
        &search_path(crew.id, &[("q", "incident"), ("channelId", ops.as_str())]),
        &crew.admin,
    )
    .await;
    assert_eq!(ids, [id_of(&in_ops)]);
    let general = crew.general.to_string();
    let (ids, _) = page(
        &app,
        &search_path(
            crew.id,
            &[
                ("q", "incident"),
                ("channelId", general.as_str()),
                ("memberId", guest.as_str()),
            ],
        ),
        &crew.admin,
    )
    .await;
    assert_eq!(ids, [id_of(&by_guest)]);
    assert!(!ids.contains(&id_of(&by_owner)));
}

#[tokio::test]
async fn a_member_or_channel_of_another_server_is_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let other = app.create_workspace(&crew.owner, "Other").await;
    let theirs = app
        .create_channel(other, &crew.owner, "theirs", false)
        .await
        .to_string();

    let (status, body) = app
        .get(
            &search_path(crew.id, &[("q", "x"), ("channelId", theirs.as_str())]),
            &crew.owner.token,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    let (status, body) = app
        .get(
            &search_path(crew.id, &[("q", "x"), ("memberId", "999999")]),
            &crew.owner.token,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Member not found");
}

#[tokio::test]
async fn direct_messages_are_found_by_their_participants_only() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let dm = conversation(&app, &crew, &crew.guest, &crew.moderator).await;
    let (status, message) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &crew.guest.token,
            json!({"content": "surprise party friday"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");

    let (status, body) = app
        .get(
            &search_path(crew.id, &[("q", "surprise")]),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([message]), "as the send answered it");
    assert_eq!(body["items"][0]["conversationId"], dm);
    assert_eq!(
        found(&app, &crew, &crew.guest, "surprise").await,
        [id_of(&message)]
    );
    for outsider in [&crew.owner, &crew.admin] {
        assert!(
            found(&app, &crew, outsider, "surprise").await.is_empty(),
            "{}",
            outsider.username
        );
    }
}

#[tokio::test]
async fn a_private_channel_made_in_the_other_dialect_stays_private_here() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let secret = app
        .create_channel(crew.id, &crew.admin, "secret", true)
        .await;
    let message = app
        .send_message(
            &channel_messages_path(secret),
            &crew.admin,
            "acquisition target",
        )
        .await;

    assert!(
        found(&app, &crew, &crew.guest, "acquisition")
            .await
            .is_empty()
    );
    assert_eq!(
        found(&app, &crew, &crew.owner, "acquisition").await,
        [id_of(&message)]
    );
}

#[tokio::test]
async fn deleted_messages_are_never_found_and_edits_only_by_their_new_text() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let deleted = crew
        .send(&app, crew.general, &crew.guest, "swordfish")
        .await;
    let edited = crew
        .send(&app, crew.general, &crew.guest, "meet at noon")
        .await;
    let (status, body) = app
        .delete(
            &crew.message_path(crew.general, id_of(&deleted)),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            &crew.message_path(crew.general, id_of(&edited)),
            Some(&crew.guest.token),
            Some(json!({"content": "meet at dusk"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for q in ["swordfish", "deleted", "noon"] {
        assert!(found(&app, &crew, &crew.owner, q).await.is_empty(), "{q}");
    }
    assert_eq!(
        found(&app, &crew, &crew.owner, "dusk").await,
        [id_of(&edited)]
    );
}

#[tokio::test]
async fn bad_queries_outsiders_and_unknown_servers_are_refused() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for params in [
        &[][..],
        &[("q", "")][..],
        &[("q", "-everything")][..],
        &[("q", "fine"), ("limit", "0")][..],
    ] {
        let (status, body) = app
            .get(&search_path(crew.id, params), &crew.owner.token)
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    }
    let (status, body) = app
        .get(&search_path(crew.id, &[("q", "x")]), &crew.outsider.token)
        .await;
    assert_envelope(status, &body, StatusCode::FORBIDDEN);
    let (status, body) = app
        .get(&search_path(999_999, &[("q", "x")]), &crew.owner.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
    let (status, body) = app.get("/search?q=x", &crew.owner.token).await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}
