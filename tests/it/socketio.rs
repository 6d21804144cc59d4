//! Socket.IO (API.md section 6) through a real `socket.io-client` 4.7.2:
//! every room a user may read, with no join call, in the dialect's HTTP
//! JSON; nothing for anyone else.

use concord_tests::peer::{Peer, Peers};
use concord_tests::server::{crew, patch};
use concord_tests::{TestApp, TestUser, channel_messages_path, id_of, spawn_app};
use serde_json::{Value, json};

fn events_of<'a>(results: &'a Value, name: &str) -> &'a Vec<Value> {
    results[name]["events"].as_array().unwrap()
}

fn peer(name: &'static str, user: &TestUser, until: &str) -> Peer {
    Peer {
        name,
        token: Some(user.token.clone()),
        dialect: Some("workspace"),
        until: Some(until.to_owned()),
        ..Peer::default()
    }
}

/// Posts in `channel` as `by` once the clients are connected, and returns
/// the HTTP answer.
async fn post(app: &TestApp, channel: i64, by: &TestUser, content: &str) -> Value {
    app.send_message(&channel_messages_path(channel), by, content)
        .await
}

#[tokio::test]
async fn each_transport_gets_a_created_message_as_the_http_api_returns_it() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let event = format!("chat:{general}:messages");
    let peers = [
        peer("default", &team.guest, &event),
        Peer {
            transports: Some(vec!["websocket"]),
            ..peer("websocket", &team.guest, &event)
        },
        Peer {
            transports: Some(vec!["polling"]),
            ..peer("polling", &team.admin, &event)
        },
    ];
    for path in ["/api/socket/io", "/socket.io"] {
        let clients = Peers::connect(&app.address, path, &peers).await;
        let sent = post(&app, general, &team.owner, &format!("hello over {path}")).await;
        let results = clients.results().await;
        for name in ["default", "websocket", "polling"] {
            assert_eq!(results[name]["connected"], true, "{path} {name}: {results}");
            assert_eq!(
                events_of(&results, name),
                &vec![json!([event, sent])],
                "{path} {name}"
            );
        }
        assert_eq!(results["default"]["upgraded"], true, "{results}");
        assert_eq!(results["default"]["transport"], "websocket");
        assert_eq!(results["websocket"]["transport"], "websocket");
        assert_eq!(results["polling"]["transport"], "polling");
    }
}

#[tokio::test]
async fn edits_and_deletes_arrive_as_updates_in_the_server_dialect_by_default() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let update = format!("chat:{}:messages:update", crew.general);
    let sent = crew.send(&app, crew.general, &crew.owner, "draft").await;
    let id = id_of(&sent);
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[Peer {
            dialect: None,
            transports: Some(vec!["websocket"]),
            until: Some(format!("chat:{}:messages", crew.general)),
            ..peer("guest", &crew.guest, "")
        }],
    )
    .await;
    let (status, edited) = patch(
        &app,
        &crew.message_path(crew.general, id),
        &crew.owner,
        json!({"content": "final"}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    let (status, tombstone) = app
        .delete(&crew.message_path(crew.general, id), &crew.owner.token)
        .await;
    assert_eq!(status, 200, "{tombstone}");
    let last = crew.send(&app, crew.general, &crew.owner, "after").await;
    let results = clients.results().await;
    assert_eq!(
        events_of(&results, "guest"),
        &vec![
            json!([update, edited]),
            json!([update, tombstone]),
            json!([format!("chat:{}:messages", crew.general), last]),
        ],
        "{results}"
    );
    assert_eq!(edited["content"], "final");
    assert_eq!(tombstone["deleted"], true);
    // The server dialect's shape: camelCase, with the author's membership.
    assert!(last["member"].is_object(), "{last}");
}

#[tokio::test]
async fn an_outsider_gets_nothing_and_anonymous_or_bad_tokens_are_refused() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    // The outsider's own workspace: their sentinel arrives there, after the
    // team's message, so its absence means no delivery, not a slow one.
    let elsewhere = app.create_workspace(&team.outsider, "Elsewhere").await;
    let lobby = app.general_channel(elsewhere, &team.outsider).await;
    let sentinel = format!("chat:{lobby}:messages");
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[
            peer("outsider", &team.outsider, &sentinel),
            Peer {
                name: "anonymous",
                ..Peer::default()
            },
            Peer {
                name: "forged",
                token: Some("not-a-token".into()),
                ..Peer::default()
            },
        ],
    )
    .await;
    post(&app, general, &team.owner, "team only").await;
    let mark = post(&app, lobby, &team.outsider, "sentinel").await;
    let results = clients.results().await;
    assert_eq!(
        events_of(&results, "outsider"),
        &vec![json!([sentinel, mark])],
        "{results}"
    );
    for name in ["anonymous", "forged"] {
        assert_eq!(results[name]["connected"], false, "{results}");
        assert_eq!(results[name]["error"], "Authentication required");
        assert!(events_of(&results, name).is_empty());
    }
}

#[tokio::test]
async fn a_removed_member_stops_receiving_at_once_without_reconnecting() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    // The guest's own workspace carries the sentinel.
    let own = app.create_workspace(&team.guest, "Own").await;
    let lobby = app.general_channel(own, &team.guest).await;
    let sentinel = format!("chat:{lobby}:messages");
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[peer("guest", &team.guest, &sentinel)],
    )
    .await;
    let before = post(&app, general, &team.owner, "still a member").await;
    app.remove_member(team.ws, &team.owner, &team.guest).await;
    post(&app, general, &team.owner, "after the removal").await;
    let mark = post(&app, lobby, &team.guest, "sentinel").await;
    let results = clients.results().await;
    assert_eq!(
        events_of(&results, "guest"),
        &vec![
            json!([format!("chat:{general}:messages"), before]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
}
