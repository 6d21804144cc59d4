//! `GET /api/workspaces/{id}/search`: full-text search over the messages
//! the caller may read, newest first, in history's page shape.

use std::collections::HashSet;

use concord_tests::{
    Team, TestApp, TestUser, assert_envelope, assert_error, channel_message_path,
    channel_messages_path, dm_messages_path, id_of, keys_of, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `/api/workspaces/{ws}/search` with `params`, percent-encoded.
fn search_path(ws: i64, params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://concord.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    format!("/api/workspaces/{ws}/search?{}", url.query().unwrap_or(""))
}

/// One page of a search as `user`: its message ids in order and its cursor.
async fn page(
    app: &TestApp,
    ws: i64,
    user: &TestUser,
    params: &[(&str, &str)],
) -> (Vec<i64>, Option<i64>) {
    let path = search_path(ws, params);
    let (status, body) = app.get(&path, &user.token).await;
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

/// The ids `user` finds with `q` (one page of up to 100).
async fn found(app: &TestApp, ws: i64, user: &TestUser, q: &str) -> Vec<i64> {
    let (ids, cursor) = page(app, ws, user, &[("q", q), ("limit", "100")]).await;
    assert_eq!(cursor, None, "{q:?} found more than a page");
    ids
}

/// `messages`' ids, newest first.
fn newest_first(messages: &[&Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = messages.iter().map(|m| id_of(m)).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

async fn team_in_random(app: &TestApp) -> (Team, i64, String) {
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    (team, channel, channel_messages_path(channel))
}

#[tokio::test]
async fn words_phrases_exclusions_and_or_find_what_a_web_search_would() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    let big_cat = app
        .send_message(&random, &team.guest, "The big cat sat on the mat")
        .await;
    let cat_big = app
        .send_message(&random, &team.owner, "A cat, big and grumpy")
        .await;
    let dog = app
        .send_message(&random, &team.guest, "The big dog barked")
        .await;
    let both = app
        .send_message(&random, &team.admin, "cat and dog, friends at last")
        .await;
    let (ws, me) = (team.ws, &team.moderator);

    assert_eq!(
        found(&app, ws, me, "cat").await,
        newest_first(&[&big_cat, &cat_big, &both])
    );
    assert_eq!(
        found(&app, ws, me, "\"big cat\"").await,
        vec![id_of(&big_cat)],
        "a phrase needs its words in order"
    );
    assert_eq!(
        found(&app, ws, me, "cat -dog").await,
        newest_first(&[&big_cat, &cat_big])
    );
    assert_eq!(
        found(&app, ws, me, "barked or grumpy").await,
        newest_first(&[&dog, &cat_big])
    );
    assert_eq!(
        found(&app, ws, me, "BIG Cat").await,
        newest_first(&[&big_cat, &cat_big]),
        "case does not matter"
    );
    assert_eq!(found(&app, ws, me, "giraffe").await, Vec::<i64>::new());
}

#[tokio::test]
async fn words_of_any_script_are_found_whatever_their_case() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    let russian = app.send_message(&random, &team.guest, "Привет, МИР!").await;
    let japanese = app
        .send_message(&random, &team.guest, "東京 タワー に 行きました")
        .await;

    assert_eq!(
        found(&app, team.ws, &team.owner, "мир").await,
        vec![id_of(&russian)]
    );
    assert_eq!(
        found(&app, team.ws, &team.owner, "ПРИВЕТ").await,
        vec![id_of(&russian)]
    );
    assert_eq!(
        found(&app, team.ws, &team.owner, "タワー").await,
        vec![id_of(&japanese)]
    );
    assert_eq!(
        found(&app, team.ws, &team.owner, "\"東京 タワー\"").await,
        vec![id_of(&japanese)]
    );
}

#[tokio::test]
async fn found_messages_are_exactly_as_history_shows_them() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    let root = app
        .send_message(&random, &team.guest, "deploy tonight?")
        .await;
    let (status, reply) = app
        .post(
            &random,
            &team.owner.token,
            json!({"content": "deploy tomorrow", "parent_id": id_of(&root)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    app.send_message(&random, &team.guest, "unrelated").await;

    let (status, body) = app
        .get(&search_path(team.ws, &[("q", "deploy")]), &team.admin.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let history = app.history(&random, &team.admin).await;
    let as_history: Vec<&Value> = history
        .iter()
        .filter(|m| m["content"].as_str().unwrap().contains("deploy"))
        .collect();
    assert_eq!(
        body,
        json!({"messages": as_history, "next_cursor": null}),
        "the reply keeps its parent_id, and nothing else differs"
    );
}

#[tokio::test]
async fn a_private_channel_is_searched_by_its_members_only() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.moderator, "secret", true)
        .await;
    let message = app
        .send_message(
            &channel_messages_path(secret),
            &team.moderator,
            "the launch code is tangerine",
        )
        .await;
    let hit = vec![id_of(&message)];

    assert_eq!(
        found(&app, team.ws, &team.guest, "tangerine").await,
        Vec::<i64>::new(),
        "a guest outside the channel"
    );
    assert_eq!(
        found(&app, team.ws, &team.moderator, "tangerine").await,
        hit,
        "its creator"
    );
    assert_eq!(
        found(&app, team.ws, &team.owner, "tangerine").await,
        hit,
        "the owner, who may see every channel"
    );
    let (status, body) = app
        .post(
            &format!("/api/channels/{secret}/users"),
            &team.moderator.token,
            json!({"user_id": team.guest.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        found(&app, team.ws, &team.guest, "tangerine").await,
        hit,
        "the guest once added to it"
    );
}

#[tokio::test]
async fn a_direct_message_is_searched_by_its_participants_only() {
    let app = spawn_app().await;
    let team = app.team().await;
    let dm = app
        .create_direct_message(team.ws, &team.guest, &[&team.moderator], "plans")
        .await;
    let message = app
        .send_message(
            &dm_messages_path(id_of(&dm)),
            &team.guest,
            "surprise party friday",
        )
        .await;
    let hit = vec![id_of(&message)];

    assert_eq!(found(&app, team.ws, &team.guest, "surprise").await, hit);
    assert_eq!(found(&app, team.ws, &team.moderator, "surprise").await, hit);
    for outsider in [&team.owner, &team.admin] {
        assert_eq!(
            found(&app, team.ws, outsider, "surprise").await,
            Vec::<i64>::new(),
            "{} does not take part",
            outsider.username
        );
    }
}

#[tokio::test]
async fn deleted_messages_are_never_found_and_edits_only_by_their_new_text() {
    let app = spawn_app().await;
    let (team, channel, random) = team_in_random(&app).await;
    let deleted = app
        .send_message(&random, &team.guest, "the password is swordfish")
        .await;
    let edited = app.send_message(&random, &team.guest, "meet at noon").await;
    app.delete_message(&channel_message_path(channel, id_of(&deleted)), &team.guest)
        .await;
    app.edit_message(
        &channel_message_path(channel, id_of(&edited)),
        &team.guest,
        "meet at dusk",
    )
    .await;

    for q in ["swordfish", "deleted", "noon"] {
        assert_eq!(
            found(&app, team.ws, &team.owner, q).await,
            Vec::<i64>::new(),
            "{q}"
        );
    }
    let (status, body) = app
        .get(&search_path(team.ws, &[("q", "dusk")]), &team.owner.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messages"][0]["id"], id_of(&edited), "{body}");
    assert_eq!(body["messages"][0]["content"], "meet at dusk", "{body}");
    assert!(body["messages"][0]["edited_at"].is_string(), "{body}");
}

#[tokio::test]
async fn from_and_in_narrow_the_search_to_an_author_and_a_room() {
    let app = spawn_app().await;
    let (team, channel, random) = team_in_random(&app).await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.owner, &[&team.guest], "1:1")
            .await,
    );
    let by_guest = app.send_message(&random, &team.guest, "budget draft").await;
    let by_owner = app.send_message(&random, &team.owner, "budget final").await;
    let in_general = app
        .send_message(&channel_messages_path(general), &team.guest, "budget?")
        .await;
    let in_dm = app
        .send_message(&dm_messages_path(dm), &team.owner, "budget, privately")
        .await;
    let ws = team.ws;
    let guest = team.guest.id.to_string();
    let (random_id, dm_id) = (channel.to_string(), dm.to_string());
    let (guest, random_id, dm_id) = (guest.as_str(), random_id.as_str(), dm_id.as_str());

    let (ids, _) = page(&app, ws, &team.owner, &[("q", "budget"), ("from", guest)]).await;
    assert_eq!(ids, newest_first(&[&by_guest, &in_general]));
    let (ids, _) = page(&app, ws, &team.owner, &[("q", "budget"), ("in", random_id)]).await;
    assert_eq!(ids, newest_first(&[&by_guest, &by_owner]));
    let (ids, _) = page(&app, ws, &team.guest, &[("q", "budget"), ("in", dm_id)]).await;
    assert_eq!(ids, vec![id_of(&in_dm)]);
    let both = [("q", "budget"), ("in", random_id), ("from", guest)];
    let (ids, _) = page(&app, ws, &team.owner, &both).await;
    assert_eq!(ids, vec![id_of(&by_guest)]);
}

#[tokio::test]
async fn pages_go_back_newest_first_without_repeating_while_others_post() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    let mut hits = Vec::new();
    for i in 0..5 {
        hits.push(
            app.send_message(&random, &team.guest, &format!("standup notes {i}"))
                .await,
        );
        app.send_message(&random, &team.guest, &format!("chatter {i}"))
            .await;
    }
    let expected = newest_first(&hits.iter().collect::<Vec<_>>());

    let mut seen = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let before = cursor.map(|c| c.to_string());
        let mut params = vec![("q", "standup"), ("limit", "2")];
        if let Some(before) = &before {
            params.push(("before", before.as_str()));
        }
        let (ids, next) = page(&app, team.ws, &team.owner, &params).await;
        assert!(ids.len() <= 2, "{ids:?}");
        seen.extend(ids);
        // A newer match posted mid-way belongs before the first page, not in a later one.
        app.send_message(&random, &team.admin, "standup moved")
            .await;
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(seen.len() < 20, "paging never ends: {seen:?}");
    }

    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    let (first, _) = page(&app, team.ws, &team.owner, &[("q", "standup")]).await;
    assert_eq!(first.len(), 8, "20 by default: 5 notes and 3 moves");
}

#[tokio::test]
async fn an_empty_blank_overlong_or_wordless_query_is_a_400() {
    let app = spawn_app().await;
    let team = app.team().await;
    let long = "a".repeat(201);
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[], "Search query is required"),
        (&[("q", "")], "Search query is required"),
        (&[("q", "   ")], "Search query is required"),
        (
            &[("q", long.as_str())],
            "Search query must be at most 200 characters",
        ),
        (&[("q", "-cat")], "Search query must contain a word to find"),
        (&[("q", "\"\"")], "Search query must contain a word to find"),
        (&[("q", "?!")], "Search query must contain a word to find"),
    ];

    for (params, error) in cases {
        let (status, body) = app
            .get(&search_path(team.ws, params), &team.owner.token)
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
        assert!(
            body["errors"][0].as_str().unwrap().starts_with(error),
            "{params:?}: {body}"
        );
    }
    let two_hundred = "a".repeat(200);
    let (ids, _) = page(&app, team.ws, &team.owner, &[("q", two_hundred.as_str())]).await;
    assert!(ids.is_empty());
}

#[tokio::test]
async fn a_bad_query_and_a_bad_limit_are_reported_together() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, body) = app
        .get(
            &search_path(team.ws, &[("q", ""), ("limit", "101")]),
            &team.owner.token,
        )
        .await;

    assert_error(status, &body, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(
        body["errors"],
        json!([
            "Search query is required",
            "limit must be between 1 and 100"
        ])
    );
}

#[tokio::test]
async fn a_non_member_is_refused_as_reading_the_workspaces_history_is() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    app.send_message(&random, &team.guest, "roadmap").await;

    let (status, searched) = app
        .get(
            &search_path(team.ws, &[("q", "roadmap")]),
            &team.outsider.token,
        )
        .await;
    let (history_status, read) = app.get(&random, &team.outsider.token).await;

    assert_error(status, &searched, StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!((status, &searched), (history_status, &read));
    let (status, body) = app
        .get(
            &search_path(999_999, &[("q", "roadmap")]),
            &team.owner.token,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Workspace not found");
    let (status, body) = app
        .call(
            reqwest::Method::GET,
            &search_path(team.ws, &[("q", "roadmap")]),
            None,
            None,
        )
        .await;
    assert_envelope(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn in_a_room_the_caller_may_not_read_is_refused_as_its_history_is() {
    let app = spawn_app().await;
    let team = app.team().await;
    let secret = app
        .create_channel(team.ws, &team.owner, "secret", true)
        .await;
    let dm = id_of(
        &app.create_direct_message(team.ws, &team.owner, &[&team.admin], "staff")
            .await,
    );

    for (room, history) in [
        (secret, channel_messages_path(secret)),
        (dm, dm_messages_path(dm)),
    ] {
        let room = room.to_string();
        let (status, searched) = app
            .get(
                &search_path(team.ws, &[("q", "anything"), ("in", room.as_str())]),
                &team.guest.token,
            )
            .await;
        let (history_status, read) = app.get(&history, &team.guest.token).await;
        assert_envelope(status, &searched, StatusCode::FORBIDDEN);
        assert_eq!((status, &searched), (history_status, &read), "{room}");
    }
}

#[tokio::test]
async fn in_a_room_of_another_workspace_or_of_none_is_not_found() {
    let app = spawn_app().await;
    let team = app.team().await;
    let elsewhere = app.create_workspace(&team.owner, "Elsewhere").await;
    let theirs = app
        .create_channel(elsewhere, &team.owner, "theirs", false)
        .await;

    for room in [theirs, 999_999] {
        let room = room.to_string();
        let (status, body) = app
            .get(
                &search_path(team.ws, &[("q", "anything"), ("in", room.as_str())]),
                &team.owner.token,
            )
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Room not found");
    }
}

#[tokio::test]
async fn another_workspace_is_never_searched() {
    let app = spawn_app().await;
    let (team, _, random) = team_in_random(&app).await;
    let elsewhere = app.create_workspace(&team.owner, "Elsewhere").await;
    let theirs = app
        .create_channel(elsewhere, &team.owner, "theirs", false)
        .await;
    let here = app
        .send_message(&random, &team.owner, "quarterly numbers")
        .await;
    let there = app
        .send_message(
            &channel_messages_path(theirs),
            &team.owner,
            "quarterly plans",
        )
        .await;

    assert_eq!(
        found(&app, team.ws, &team.owner, "quarterly").await,
        vec![id_of(&here)]
    );
    assert_eq!(
        found(&app, elsewhere, &team.owner, "quarterly").await,
        vec![id_of(&there)]
    );
}
