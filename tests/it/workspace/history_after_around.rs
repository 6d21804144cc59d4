//! `GET /api/channels/{id}/messages` and `GET /api/direct_messages/{id}/messages`
//! with `after` (oldest first, paging forward) and `around` (centred on a
//! message, cursors both ways), API.md section 7.

use std::sync::Arc;

use concord_tests::{TestApp, TestUser, assert_error, id_of, keys_of, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Barrier;

fn cursor(body: &Value, key: &str) -> Option<i64> {
    match &body[key] {
        Value::Null => None,
        c => Some(c.as_i64().unwrap_or_else(|| panic!("bad {key}: {body}"))),
    }
}

fn message_ids(body: &Value) -> Vec<i64> {
    body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("messages is not an array: {body}"))
        .iter()
        .map(id_of)
        .collect()
}

/// A `before` or `after` page: its ids in the order given and its
/// `next_cursor`, and no other key.
async fn page(app: &TestApp, path: &str, user: &TestUser) -> (Vec<i64>, Option<i64>) {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(keys_of(&body), ["messages", "next_cursor"], "{body}");
    (message_ids(&body), cursor(&body, "next_cursor"))
}

/// An `around` page: its ids, `next_cursor` (older) and `prev_cursor` (newer).
async fn around_page(
    app: &TestApp,
    path: &str,
    user: &TestUser,
) -> (Vec<i64>, Option<i64>, Option<i64>) {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(
        keys_of(&body),
        ["messages", "next_cursor", "prev_cursor"],
        "{body}"
    );
    (
        message_ids(&body),
        cursor(&body, "next_cursor"),
        cursor(&body, "prev_cursor"),
    )
}

/// Posts `n` messages to `path` one after another; returns their ids, oldest first.
async fn post_many(app: &TestApp, path: &str, by: &TestUser, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(id_of(&app.send_message(path, by, &format!("m{i}")).await));
    }
    ids
}

fn newest_first(ids: &[i64]) -> Vec<i64> {
    ids.iter().rev().copied().collect()
}

/// A public channel of a fresh team; returns the team and its messages path.
async fn channel(app: &TestApp) -> (concord_tests::Team, String) {
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    (team, format!("/api/channels/{channel}/messages"))
}

#[tokio::test]
async fn after_pages_forward_oldest_first_and_its_cursor_reaches_the_newest() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 12).await;

    let mut seen: Vec<i64> = Vec::new();
    let mut after = all[0];
    for _ in 0..all.len() {
        let (ids, next) = page(&app, &format!("{path}?after={after}&limit=5"), &team.owner).await;
        assert!(ids.len() <= 5, "{ids:?}");
        seen.extend(&ids);
        match next {
            Some(next) => {
                assert_eq!(Some(&next), ids.last(), "the cursor is the page's newest");
                after = next;
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        all[1..],
        "everything newer than the first, once, oldest first"
    );

    let (ids, next) = page(&app, &format!("{path}?after={}", all[11]), &team.owner).await;
    assert_eq!((ids, next), (vec![], None), "nothing after the newest");
}

#[tokio::test]
async fn an_after_page_carries_the_same_messages_as_a_before_page() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 4).await;

    let (_, before) = app.get(&path, &team.guest.token).await;
    let (status, after) = app
        .get(&format!("{path}?after={}", all[0]), &team.guest.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{after}");
    let mut newer_than_first = before["messages"].as_array().unwrap()[..3].to_vec();
    newer_than_first.reverse();
    assert_eq!(after["messages"], Value::Array(newer_than_first));
    assert_eq!(after["next_cursor"], Value::Null);
}

#[tokio::test]
async fn around_is_centred_on_its_message_newest_first_with_cursors_both_ways() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 20).await;

    // 5: the message, 2 newer, 2 older.
    let (ids, next, prev) = around_page(
        &app,
        &format!("{path}?around={}&limit=5", all[10]),
        &team.owner,
    )
    .await;
    assert_eq!(ids, newest_first(&all[8..13]));
    assert_eq!((next, prev), (Some(all[8]), Some(all[12])));

    // 4: the message, 1 newer, 2 older.
    let (ids, _, _) = around_page(
        &app,
        &format!("{path}?around={}&limit=4", all[10]),
        &team.owner,
    )
    .await;
    assert_eq!(ids, newest_first(&all[8..12]));

    // The default 50 holds the whole room: nothing lies beyond either way.
    let (ids, next, prev) =
        around_page(&app, &format!("{path}?around={}", all[10]), &team.owner).await;
    assert_eq!((ids, next, prev), (newest_first(&all), None, None));
}

#[tokio::test]
async fn around_cursors_chain_into_before_and_after_pages_that_cover_the_room_once() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 15).await;

    let (window, next, prev) = around_page(
        &app,
        &format!("{path}?around={}&limit=3", all[7]),
        &team.guest,
    )
    .await;
    assert_eq!(window, [all[8], all[7], all[6]]);

    let mut older = Vec::new();
    let mut before = next;
    while let Some(c) = before {
        let (ids, next) = page(&app, &format!("{path}?before={c}&limit=4"), &team.guest).await;
        older.extend(ids);
        before = next;
    }
    let mut newer = Vec::new();
    let mut after = prev;
    while let Some(c) = after {
        let (ids, next) = page(&app, &format!("{path}?after={c}&limit=4"), &team.guest).await;
        newer.extend(ids);
        after = next;
    }

    let mut whole = newest_first(&newer);
    whole.extend(window);
    whole.extend(older);
    assert_eq!(whole, newest_first(&all));
}

#[tokio::test]
async fn around_the_newest_message_has_no_newer_cursor() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 6).await;

    let (ids, next, prev) = around_page(
        &app,
        &format!("{path}?around={}&limit=5", all[5]),
        &team.guest,
    )
    .await;

    assert_eq!(ids, newest_first(&all[3..]));
    assert_eq!((next, prev), (Some(all[3]), None));
}

#[tokio::test]
async fn a_message_of_another_room_as_anchor_centres_the_page_on_its_place() {
    let app = spawn_app().await;
    let (team, here) = channel(&app).await;
    let other = app
        .create_channel(team.ws, &team.owner, "other", false)
        .await;
    let there = format!("/api/channels/{other}/messages");
    let early = post_many(&app, &here, &team.guest, 4).await;
    let foreign = id_of(&app.send_message(&there, &team.guest, "elsewhere").await);
    let late = post_many(&app, &here, &team.guest, 4).await;

    let (ids, next, prev) = around_page(
        &app,
        &format!("{here}?around={foreign}&limit=5"),
        &team.guest,
    )
    .await;

    assert_eq!(ids, [late[1], late[0], early[3], early[2], early[1]]);
    assert!(!ids.contains(&foreign));
    assert_eq!((next, prev), (Some(early[1]), Some(late[1])));
}

#[tokio::test]
async fn before_after_and_around_are_one_at_a_time() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;
    let all = post_many(&app, &path, &team.guest, 3).await;
    let (a, b) = (all[0], all[1]);

    for query in [
        format!("before={a}&after={b}"),
        format!("before={a}&around={b}"),
        format!("after={a}&around={b}"),
        format!("before={a}&after={a}&around={a}"),
    ] {
        let (status, body) = app.get(&format!("{path}?{query}"), &team.guest.token).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
        assert_eq!(
            body["errors"],
            serde_json::json!(["Only one of before, after and around may be given"]),
            "{query}: {body}"
        );
    }

    // With a bad limit too, one answer names both.
    let (status, body) = app
        .get(
            &format!("{path}?after={a}&around={b}&limit=0"),
            &team.guest.token,
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(
        body["errors"],
        serde_json::json!([
            "limit must be between 1 and 100",
            "Only one of before, after and around may be given"
        ])
    );
}

#[tokio::test]
async fn a_malformed_after_or_around_is_the_400_of_a_malformed_before() {
    let app = spawn_app().await;
    let (team, path) = channel(&app).await;

    for bad in ["abc", "0", "-5", "1.5"] {
        let (_, before) = app
            .get(&format!("{path}?before={bad}"), &team.guest.token)
            .await;
        for name in ["after", "around"] {
            let (status, body) = app
                .get(&format!("{path}?{name}={bad}"), &team.guest.token)
                .await;
            assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
            let said = body["errors"][0].as_str().unwrap_or_default();
            let said_for_before = before["errors"][0].as_str().unwrap_or_default();
            assert_eq!(
                said.strip_prefix(&format!("Invalid query parameter {name}")),
                said_for_before.strip_prefix("Invalid query parameter before"),
                "{body} vs {before}"
            );
        }
    }
}

#[tokio::test]
async fn only_those_who_may_read_a_channel_read_after_or_around() {
    let app = spawn_app().await;
    let team = app.team().await;
    let private = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    let secret = format!("/api/channels/{private}/messages");
    let first = id_of(&app.send_message(&secret, &team.owner, "psst").await);
    let posted = id_of(&app.send_message(&secret, &team.owner, "hush").await);
    let public = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;
    let public = format!("/api/channels/{public}/messages");

    for query in [format!("after={first}"), format!("around={posted}&limit=1")] {
        let (status, body) = app
            .get(&format!("{secret}?{query}"), &team.guest.token)
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = app
            .get(&format!("{public}?{query}"), &team.outsider.token)
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = app
            .get(
                &format!("/api/channels/999999/messages?{query}"),
                &team.guest.token,
            )
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
        // Its creator reads it.
        let (status, body) = app
            .get(&format!("{secret}?{query}"), &team.owner.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(message_ids(&body), [posted]);
    }
}

#[tokio::test]
async fn direct_messages_page_after_and_around_for_their_participants_only() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.owner], "dm")
            .await,
    );
    let path = format!("/api/direct_messages/{dm}/messages");
    let all = post_many(&app, &path, &team.guest, 7).await;

    let (ids, next) = page(
        &app,
        &format!("{path}?after={}&limit=4", all[1]),
        &team.owner,
    )
    .await;
    assert_eq!((ids, next), (all[2..6].to_vec(), Some(all[5])));
    let (ids, next, prev) = around_page(
        &app,
        &format!("{path}?around={}&limit=3", all[3]),
        &team.guest,
    )
    .await;
    assert_eq!(ids, [all[4], all[3], all[2]]);
    assert_eq!((next, prev), (Some(all[2]), Some(all[4])));

    for query in [format!("after={}", all[1]), format!("around={}", all[3])] {
        let (status, body) = app.get(&format!("{path}?{query}"), &team.admin.token).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
        let (status, body) = app
            .get(
                &format!("/api/direct_messages/999999/messages?{query}"),
                &team.guest.token,
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "Direct Message not found",
        );
    }
    let (status, body) = app
        .get(
            &format!("{path}?before={}&around={}", all[1], all[2]),
            &team.guest.token,
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_forward_while_others_post_never_skips_or_repeats_a_message() {
    const WRITERS: usize = 3;
    const PER_WRITER: usize = 10;

    let app = Arc::new(spawn_app().await);
    let (team, path) = channel(&app).await;
    let start = id_of(&app.send_message(&path, &team.owner, "start").await);

    let barrier = Arc::new(Barrier::new(WRITERS + 1));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (app, barrier, path) = (Arc::clone(&app), Arc::clone(&barrier), path.clone());
            let writer = if w % 2 == 0 {
                team.guest.clone()
            } else {
                team.moderator.clone()
            };
            tokio::spawn(async move {
                barrier.wait().await;
                let mut ids = Vec::new();
                for i in 0..PER_WRITER {
                    ids.push(id_of(
                        &app.send_message(&path, &writer, &format!("{w}/{i}")).await,
                    ));
                }
                ids
            })
        })
        .collect();

    barrier.wait().await;
    let mut seen = Vec::new();
    let mut after = start;
    let mut finished = false;
    loop {
        // Once every writer is done, one more read to the newest ends it.
        let done = finished;
        let (ids, next) = page(&app, &format!("{path}?after={after}&limit=4"), &team.owner).await;
        if let Some(last) = ids.last() {
            after = *last;
        }
        seen.extend(ids);
        if done && next.is_none() {
            break;
        }
        finished = writers.iter().all(|w| w.is_finished());
        tokio::task::yield_now().await;
    }
    let mut written = Vec::new();
    for w in writers {
        written.extend(w.await.expect("writer"));
    }

    written.sort_unstable();
    assert_eq!(seen, written, "every new message once, oldest first");
}
