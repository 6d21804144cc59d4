//! `GET /api/channels/{id}/messages` and `GET /api/direct_messages/{id}/messages`:
//! history pages, newest first, with a `before` cursor.

use std::collections::HashSet;
use std::sync::Arc;

use concord_tests::{TestApp, TestUser, assert_envelope, assert_error, id_of, keys_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Barrier;

/// One page: its message ids (in the order given) and its `next_cursor`.
async fn page(app: &TestApp, path: &str, user: &TestUser) -> (Vec<i64>, Option<i64>) {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(keys_of(&body), ["messages", "next_cursor"], "{body}");
    let ids = body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("messages is not an array: {body}"))
        .iter()
        .map(id_of)
        .collect();
    let cursor = match &body["next_cursor"] {
        Value::Null => None,
        c => Some(c.as_i64().unwrap_or_else(|| panic!("bad cursor: {body}"))),
    };
    (ids, cursor)
}

/// Posts `n` messages `"{prefix}{i}"` to `path` one after another; returns their ids.
async fn post_many(app: &TestApp, path: &str, by: &TestUser, prefix: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(id_of(
            &app.send_message(path, by, &format!("{prefix}{i}")).await,
        ));
    }
    ids
}

fn newest_first(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

#[tokio::test]
async fn an_empty_channel_has_an_empty_page_and_no_cursor() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let (status, body) = app
        .get(
            &format!("/api/channels/{channel}/messages"),
            &team.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"messages": [], "next_cursor": null}));
}

#[tokio::test]
async fn history_is_newest_first_fifty_by_default_with_a_cursor_to_the_rest() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let sent = post_many(&app, &path, &team.guest, "m", 55).await;
    let all = newest_first(sent);

    let (first, cursor) = page(&app, &path, &team.owner).await;
    assert_eq!(first, all[..50]);
    assert_eq!(cursor, Some(all[49]), "the cursor is the page's oldest id");

    let (second, cursor) = page(&app, &format!("{path}?before={}", all[49]), &team.owner).await;
    assert_eq!(second, all[50..]);
    assert_eq!(cursor, None, "the beginning of the channel was reached");
}

#[tokio::test]
async fn history_returns_full_messages_newest_first() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let first = app.send_message(&path, &team.guest, "one").await;
    let second = app.send_message(&path, &team.owner, "two").await;
    let (status, body) = app.get(&path, &team.admin.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"messages": [second, first], "next_cursor": null})
    );
}

#[tokio::test]
async fn untidy_slashes_reach_the_same_page_and_keep_the_query() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let all = newest_first(post_many(&app, &path, &team.guest, "m", 3).await);

    for untidy in [
        format!("/api/channels/{channel}/messages/?limit=2"),
        format!("//api///channels/{channel}//messages//?limit=2"),
    ] {
        let (ids, cursor) = page(&app, &untidy, &team.guest).await;
        assert_eq!(ids, all[..2], "{untidy}");
        assert_eq!(cursor, Some(all[1]), "{untidy}");
    }
}

#[tokio::test]
async fn paging_with_a_limit_walks_back_to_the_first_message() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let all = newest_first(post_many(&app, &path, &team.guest, "m", 5).await);

    let (p1, c1) = page(&app, &format!("{path}?limit=2"), &team.guest).await;
    assert_eq!(p1, all[..2]);
    assert_eq!(c1, Some(all[1]));
    let (p2, c2) = page(
        &app,
        &format!("{path}?before={}&limit=2", all[1]),
        &team.guest,
    )
    .await;
    assert_eq!(p2, all[2..4]);
    assert_eq!(c2, Some(all[3]));
    let (p3, c3) = page(
        &app,
        &format!("{path}?limit=2&before={}", all[3]),
        &team.guest,
    )
    .await;
    assert_eq!(p3, all[4..]);
    assert_eq!(c3, None);
}

#[tokio::test]
async fn paging_to_the_end_collects_every_message_once_and_ends_with_a_null_cursor() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let all = newest_first(post_many(&app, &path, &team.guest, "m", 12).await);

    for limit in [1, 3, 4, 5, 12, 100] {
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..=all.len() {
            let url = match cursor {
                Some(c) => format!("{path}?limit={limit}&before={c}"),
                None => format!("{path}?limit={limit}"),
            };
            let (ids, next) = page(&app, &url, &team.owner).await;
            assert!(ids.len() <= limit, "limit {limit}: {ids:?}");
            seen.extend(ids);
            cursor = next;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(cursor, None, "limit {limit}: paging did not end");
        assert_eq!(seen, all, "limit {limit}");
    }
}

#[tokio::test]
async fn the_limit_is_between_1_and_100() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let all = newest_first(post_many(&app, &path, &team.guest, "m", 3).await);
    for bad in ["0", "101", "-1", "1000000", "abc"] {
        let (status, body) = app
            .get(&format!("{path}?limit={bad}"), &team.guest.token)
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
    let (ids, _) = page(&app, &format!("{path}?limit=1"), &team.guest).await;
    assert_eq!(ids, all[..1]);
    let (ids, cursor) = page(&app, &format!("{path}?limit=100"), &team.guest).await;
    assert_eq!(ids, all);
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn a_malformed_cursor_is_400() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    for bad in ["abc", "0", "-5", "1.5"] {
        let (status, body) = app
            .get(&format!("{path}?before={bad}"), &team.guest.token)
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn every_malformed_query_parameter_is_named_in_one_answer() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let path = format!("/api/channels/{channel}/messages?before=abc&limit=-1");

    let (status, body) = app.get(&path, &team.guest.token).await;

    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .starts_with("Invalid query parameter before:"),
        "{body}"
    );
    assert!(
        errors[1]
            .as_str()
            .unwrap()
            .starts_with("Invalid query parameter limit:"),
        "{body}"
    );
}

#[tokio::test]
async fn history_shows_only_the_rooms_own_messages() {
    let app = spawn_app().await;
    let team = app.team().await;
    let here = app
        .create_channel(team.ws, &team.owner, "here", false)
        .await;
    let there = app
        .create_channel(team.ws, &team.owner, "there", false)
        .await;
    let here_path = format!("/api/channels/{here}/messages");
    let there_path = format!("/api/channels/{there}/messages");
    let mut mine = Vec::new();
    for i in 0..4 {
        mine.push(id_of(
            &app.send_message(&here_path, &team.guest, &format!("h{i}"))
                .await,
        ));
        app.send_message(&there_path, &team.guest, &format!("t{i}"))
            .await;
    }
    let (ids, cursor) = page(&app, &here_path, &team.guest).await;
    assert_eq!(ids, newest_first(mine.clone()));
    assert_eq!(cursor, None);
    // a cursor taken from another room still only pages this one
    let (ids, _) = page(
        &app,
        &format!("{here_path}?before={}", mine[3] + 1),
        &team.guest,
    )
    .await;
    assert_eq!(ids, newest_first(mine));
}

#[tokio::test]
async fn direct_message_history_pages_the_same_way() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.guest, &[&team.owner], "dm")
            .await,
    );
    let path = format!("/api/direct_messages/{dm}/messages");
    let (ids, cursor) = page(&app, &path, &team.guest).await;
    assert!(ids.is_empty());
    assert_eq!(cursor, None);

    let mut sent = post_many(&app, &path, &team.guest, "g", 30).await;
    sent.extend(post_many(&app, &path, &team.owner, "o", 25).await);
    let all = newest_first(sent);
    let (first, cursor) = page(&app, &path, &team.owner).await;
    assert_eq!(first, all[..50]);
    assert_eq!(cursor, Some(all[49]));
    let (second, cursor) = page(&app, &format!("{path}?before={}", all[49]), &team.guest).await;
    assert_eq!(second, all[50..]);
    assert_eq!(cursor, None);

    for bad in ["0", "101"] {
        let (status, body) = app
            .get(&format!("{path}?limit={bad}"), &team.guest.token)
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn history_of_an_unknown_or_unreadable_room_is_refused() {
    let app = spawn_app().await;
    let team = app.team().await;
    let private = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    let (status, body) = app
        .get(
            &format!("/api/channels/{private}/messages"),
            &team.guest.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let general = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;
    let (status, body) = app
        .get(
            &format!("/api/channels/{general}/messages"),
            &team.outsider.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .get("/api/channels/999999/messages", &team.guest.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    let (status, body) = app
        .get("/api/direct_messages/999999/messages", &team.guest.token)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Direct Message not found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_back_while_others_post_never_skips_or_repeats_a_message() {
    const WRITERS: usize = 5;
    const PER_WRITER: usize = 10;
    const EXISTING: usize = 40;

    let app = Arc::new(spawn_app().await);
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "busy", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let existing = newest_first(post_many(&app, &path, &team.guest, "old", EXISTING).await);

    // the reader's first page and cursor, taken before any writer starts
    let (first, cursor) = page(&app, &format!("{path}?limit=5"), &team.owner).await;
    assert_eq!(first, existing[..5]);
    let cursor = cursor.expect("more pages");

    let barrier = Arc::new(Barrier::new(WRITERS + 1));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let app = Arc::clone(&app);
            let barrier = Arc::clone(&barrier);
            let path = path.clone();
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
                        &app.send_message(&path, &writer, &format!("new {w}/{i}"))
                            .await,
                    ));
                }
                ids
            })
        })
        .collect();
    let reader = {
        let app = Arc::clone(&app);
        let barrier = Arc::clone(&barrier);
        let path = path.clone();
        let owner = team.owner.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let mut pages = Vec::new();
            let mut cursor = Some(cursor);
            while let Some(c) = cursor {
                let (ids, next) = page(&app, &format!("{path}?before={c}&limit=5"), &owner).await;
                pages.push(ids);
                cursor = next;
                tokio::task::yield_now().await;
                assert!(pages.len() <= EXISTING, "paging does not end");
            }
            pages
        })
    };

    let pages = reader.await.expect("reader");
    let mut written = Vec::new();
    for writer in writers {
        written.extend(writer.await.expect("writer"));
    }

    let mut seen = first;
    for p in &pages {
        assert!(p.len() <= 5, "{p:?}");
        seen.extend(p);
    }
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "pages are not strictly newest first: {seen:?}"
    );
    assert_eq!(seen, existing, "every earlier message exactly once");

    // and every concurrent post landed, once
    assert_eq!(written.len(), WRITERS * PER_WRITER);
    let unique: HashSet<i64> = written.iter().copied().collect();
    assert_eq!(unique.len(), written.len());
    let (latest, _) = page(&app, &format!("{path}?limit=100"), &team.owner).await;
    assert_eq!(latest.len(), EXISTING + WRITERS * PER_WRITER);
    assert_eq!(latest[..WRITERS * PER_WRITER], newest_first(written));
}

#[tokio::test]
async fn a_reader_removed_from_the_workspace_is_refused_the_very_next_page() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "open", false)
        .await;
    let path = format!("/api/channels/{channel}/messages");
    let posted = id_of(&app.send_message(&path, &team.owner, "hello").await);
    // Twice: the second page is served on what the first one learned.
    for _ in 0..2 {
        assert_eq!(page(&app, &path, &team.guest).await, (vec![posted], None));
    }

    app.remove_member(team.ws, &team.owner, &team.guest).await;

    let (status, body) = app.get(&path, &team.guest.token).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(page(&app, &path, &team.owner).await, (vec![posted], None));
}
