//! `GET /messages` and `GET /direct-messages` with `after` and `around`
//! (API.md section 7), beside the dialect's own `cursor`.

use concord_tests::server::{Crew, crew, page};
use concord_tests::{TestApp, TestUser, assert_error, id_of, keys_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Posts `n` messages to general as `by`; returns their ids, oldest first.
async fn post_many(app: &TestApp, crew: &Crew, by: &TestUser, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(id_of(
            &crew.send(app, crew.general, by, &format!("m{i}")).await,
        ));
    }
    ids
}

fn cursor(body: &Value, key: &str) -> Option<i64> {
    match &body[key] {
        Value::Null => None,
        c => Some(c.as_i64().unwrap_or_else(|| panic!("bad {key}: {body}"))),
    }
}

/// An `around` page: its item ids, `nextCursor` (older) and `prevCursor` (newer).
async fn around(
    app: &TestApp,
    path: &str,
    user: &TestUser,
) -> (Vec<i64>, Option<i64>, Option<i64>) {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(
        keys_of(&body),
        ["items", "nextCursor", "prevCursor"],
        "{body}"
    );
    let ids = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is not an array: {body}"))
        .iter()
        .map(id_of)
        .collect();
    (
        ids,
        cursor(&body, "nextCursor"),
        cursor(&body, "prevCursor"),
    )
}

fn newest_first(ids: &[i64]) -> Vec<i64> {
    ids.iter().rev().copied().collect()
}

#[tokio::test]
async fn after_pages_forward_oldest_first_ten_at_a_time_to_the_newest() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let all = post_many(&app, &crew, &crew.guest, 23).await;
    let base = format!("/messages?channelId={}", crew.general);

    let mut pages = Vec::new();
    let mut after = all[0];
    loop {
        // `page` asserts the keys of a cursor page: items and nextCursor.
        let (ids, next) = page(&app, &format!("{base}&after={after}"), &crew.owner).await;
        pages.push(ids);
        match next {
            Some(next) => after = next,
            None => break,
        }
        assert!(pages.len() <= all.len(), "paging never ends");
    }

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 2]);
    assert_eq!(pages.concat(), all[1..]);
}

#[tokio::test]
async fn around_is_centred_on_its_message_with_both_cursors_and_items_with_their_authors() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let all = post_many(&app, &crew, &crew.guest, 30).await;
    let base = format!("/messages?channelId={}", crew.general);

    // Ten by default: 4 newer, the message, 5 older.
    let (ids, next, prev) = around(&app, &format!("{base}&around={}", all[15]), &crew.owner).await;
    assert_eq!(ids, newest_first(&all[10..20]));
    assert_eq!((next, prev), (Some(all[10]), Some(all[19])));

    let (status, body) = app
        .get(
            &format!("{base}&around={}&limit=1", all[15]),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["id"], all[15]);
    assert_eq!(item["content"], "m15");
    assert_eq!(item["memberId"], crew.member(&crew.guest));
    assert_eq!(item["member"]["profile"]["id"], crew.guest.id);
    assert_eq!(body["nextCursor"], json!(all[15]));
    assert_eq!(body["prevCursor"], json!(all[15]));
}

#[tokio::test]
async fn around_cursors_lead_on_as_cursor_and_after() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let all = post_many(&app, &crew, &crew.guest, 12).await;
    let base = format!("/messages?channelId={}", crew.general);

    let (window, next, prev) = around(
        &app,
        &format!("{base}&around={}&limit=3", all[6]),
        &crew.guest,
    )
    .await;
    assert_eq!(window, [all[7], all[6], all[5]]);
    let (older, end) = page(
        &app,
        &format!("{base}&cursor={}", next.unwrap()),
        &crew.guest,
    )
    .await;
    assert_eq!((older, end), (newest_first(&all[..5]), None));
    let (newer, end) = page(
        &app,
        &format!("{base}&after={}", prev.unwrap()),
        &crew.guest,
    )
    .await;
    assert_eq!((newer, end), (all[8..].to_vec(), None));

    // At the newest, nothing newer: prevCursor is there, and null.
    let (_, _, prev) = around(&app, &format!("{base}&around={}", all[11]), &crew.guest).await;
    assert_eq!(prev, None);
}

#[tokio::test]
async fn cursor_after_and_around_are_one_at_a_time() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let all = post_many(&app, &crew, &crew.guest, 2).await;
    let (a, b) = (all[0], all[1]);
    let base = format!("/messages?channelId={}", crew.general);

    for query in [
        format!("cursor={a}&after={b}"),
        format!("cursor={a}&around={b}"),
        format!("after={a}&around={b}"),
    ] {
        let (status, body) = app.get(&format!("{base}&{query}"), &crew.guest.token).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
        assert_eq!(
            body["errors"],
            json!(["Only one of cursor, after and around may be given"]),
            "{query}: {body}"
        );
    }
    for bad in ["after=abc", "around=0"] {
        let (status, body) = app.get(&format!("{base}&{bad}"), &crew.guest.token).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    }
}

#[tokio::test]
async fn a_non_member_reads_neither_after_nor_around() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let all = post_many(&app, &crew, &crew.guest, 2).await;
    let base = format!("/messages?channelId={}", crew.general);

    for query in [format!("after={}", all[0]), format!("around={}", all[1])] {
        let (status, body) = app
            .get(&format!("{base}&{query}"), &crew.outsider.token)
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = app
            .get(
                &format!("/messages?channelId=99999999&{query}"),
                &crew.guest.token,
            )
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    }
}

#[tokio::test]
async fn a_conversation_pages_after_and_around_for_its_two_members_only() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, conversation) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.guest.token,
            json!({"memberId": crew.member(&crew.owner)}),
        )
        .await;
    assert!(status.is_success(), "{status}: {conversation}");
    let conversation = id_of(&conversation);
    let mut all = Vec::new();
    for i in 0..5 {
        let (status, sent) = app
            .post(
                &format!("/socket/direct-messages?conversationId={conversation}"),
                &crew.guest.token,
                json!({"content": format!("d{i}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        all.push(id_of(&sent));
    }
    let base = format!("/direct-messages?conversationId={conversation}");

    let (ids, next) = page(
        &app,
        &format!("{base}&after={}&limit=2", all[0]),
        &crew.owner,
    )
    .await;
    assert_eq!((ids, next), (vec![all[1], all[2]], Some(all[2])));
    let (ids, next, prev) = around(
        &app,
        &format!("{base}&around={}&limit=3", all[2]),
        &crew.guest,
    )
    .await;
    assert_eq!(
        (ids, next, prev),
        (vec![all[3], all[2], all[1]], Some(all[1]), Some(all[3]))
    );

    for query in [format!("after={}", all[0]), format!("around={}", all[2])] {
        let (status, body) = app.get(&format!("{base}&{query}"), &crew.admin.token).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }
}
