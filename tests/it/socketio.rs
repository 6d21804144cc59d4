//! Socket.IO (API.md section 6) through a real `socket.io-client` 4.7.2:
//! every room a user may read, with no join call, in the dialect's HTTP
//! JSON; nothing for anyone else; rooms gained and lost while connected;
//! and connection-state recovery, on any node, from the event log.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use concord_tests::node::Node;
use concord_tests::peer::{Peer, Peers};
use concord_tests::server::{crew, join, patch};
use concord_tests::{
    Team, TestApp, TestUser, channel_message_path, channel_messages_path, dm_messages_path, id_of,
    spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every event client `name` received, as `[name, payload]`, once checked
/// that each came with one more argument: its offset, a string.
fn events_of(results: &Value, name: &str) -> Vec<Value> {
    results[name]["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events for {name}: {results}"))
        .iter()
        .map(|event| {
            let args = event.as_array().unwrap();
            assert_eq!(args.len(), 3, "name, payload, offset: {event}");
            assert!(
                args[2].as_str().is_some_and(|o| o.starts_with('1')),
                "the offset: {event}"
            );
            json!([args[0], args[1]])
        })
        .collect()
}

/// The offset client `name`'s event number `index` came with.
fn offset_of(results: &Value, name: &str, index: usize) -> String {
    results[name]["events"][index][2]
        .as_str()
        .unwrap_or_else(|| panic!("no offset at {index}: {results}"))
        .to_owned()
}

/// An offset as docs/decisions.md ("Socket.IO recovery") spells it, written
/// here from that description: `1`, then base64url of three varints per room
/// by rising id (id delta, messages `seq`, zigzag of updates minus messages).
fn forged_offset(rooms: &[(i64, i64, i64)]) -> String {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut rooms = rooms.to_vec();
    rooms.sort_unstable();
    let (mut bytes, mut previous) = (Vec::new(), 0);
    for (room, messages, updates) in rooms {
        varint(&mut bytes, (room - previous) as u64);
        varint(&mut bytes, messages as u64);
        let diff = updates - messages;
        varint(&mut bytes, ((diff << 1) ^ (diff >> 63)) as u64);
        previous = room;
    }
    format!("1{}", URL_SAFE_NO_PAD.encode(bytes))
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

/// A team, its general channel, and a public channel `random` beside it.
async fn team_with_random(app: &TestApp) -> (Team, i64, i64) {
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let random = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    (team, general, random)
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
                vec![json!([event, sent])],
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
        vec![
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
        vec![json!([sentinel, mark])],
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
        vec![
            json!([format!("chat:{general}:messages"), before]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
}

/// Live clients, and the events each must have got by the end, in order.
struct Watch {
    clients: Peers,
    expected: HashMap<&'static str, Vec<Value>>,
}

impl Watch {
    async fn start(app: &TestApp, users: &[(&'static str, &TestUser)]) -> Self {
        let peers: Vec<Peer> = users
            .iter()
            .map(|&(name, user)| Peer {
                until: None,
                ..peer(name, user, "")
            })
            .collect();
        Self {
            clients: Peers::connect_live(&app.address, "/api/socket/io", &peers).await,
            expected: HashMap::new(),
        }
    }

    /// Waits until `message`, posted in `room`, reached `client`.
    async fn arrives(&mut self, client: &'static str, room: i64, message: &Value) {
        let event = format!("chat:{room}:messages");
        self.clients.wait_for(client, &event, message).await;
        self.expected
            .entry(client)
            .or_default()
            .push(json!([event, message]));
    }

    /// Posts in `lobby`, a room `client`'s socket already follows, as `user`
    /// and waits until it arrived. The socket handles what the hub queues for
    /// it in order, so by then it has applied every access change announced
    /// before the post; and whatever was posted before it elsewhere and has
    /// not arrived is not coming.
    async fn barrier(&mut self, app: &TestApp, client: &'static str, user: &TestUser, lobby: i64) {
        let mark = post(app, lobby, user, "barrier").await;
        self.arrives(client, lobby, &mark).await;
    }

    /// Stops the clients and checks each got exactly what was expected.
    async fn finish(self) {
        let results = self.clients.finish().await;
        for (client, expected) in &self.expected {
            assert_eq!(
                &events_of(&results, client),
                expected,
                "{client}: {results}"
            );
        }
    }
}

/// The general channel of a workspace of `user`'s own.
async fn own_lobby(app: &TestApp, user: &TestUser) -> i64 {
    let own = app.create_workspace(user, "Own").await;
    app.general_channel(own, user).await
}

#[tokio::test]
async fn a_socket_follows_every_room_its_user_gains_without_reconnecting() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (guest, outsider) = (&crew.guest, &crew.outsider);
    let guest_lobby = own_lobby(&app, guest).await;
    let outsider_lobby = own_lobby(&app, outsider).await;
    let mut w = Watch::start(&app, &[("guest", guest), ("outsider", outsider)]).await;

    // A public channel is created: the guest, a member, gains it; the
    // outsider does not.
    let fresh = app
        .create_channel(crew.id, &crew.owner, "fresh", false)
        .await;
    w.barrier(&app, "guest", guest, guest_lobby).await;
    let m = post(&app, fresh, &crew.owner, "a fresh channel").await;
    w.arrives("guest", fresh, &m).await;
    w.barrier(&app, "outsider", outsider, outsider_lobby).await;

    // Added to a private channel, the guest gains it.
    let secret = app
        .create_channel(crew.id, &crew.owner, "secret", true)
        .await;
    let (status, body) = app
        .post(
            &format!("/api/channels/{secret}/users"),
            &crew.owner.token,
            json!({"user_id": guest.id}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    w.barrier(&app, "guest", guest, guest_lobby).await;
    let m = post(&app, secret, &crew.owner, "a secret").await;
    w.arrives("guest", secret, &m).await;

    // A new 1:1 conversation (the server dialect's): the other side gains it.
    let (status, dm) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.owner.token,
            json!({"memberId": crew.member(guest)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dm}");
    let dm = id_of(&dm);
    w.barrier(&app, "guest", guest, guest_lobby).await;
    let m = app
        .send_message(&dm_messages_path(dm), &crew.owner, "just us")
        .await;
    w.arrives("guest", dm, &m).await;

    // Joining by invite, the outsider gains the server's public channels,
    // and not its private ones, nor the conversation.
    let later = app
        .create_channel(crew.id, &crew.owner, "later", true)
        .await;
    let (status, body) = join(&app, crew.id, &crew.code, outsider).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.barrier(&app, "outsider", outsider, outsider_lobby).await;
    let m = post(&app, crew.general, &crew.owner, "welcome").await;
    w.arrives("guest", crew.general, &m).await;
    w.arrives("outsider", crew.general, &m).await;
    let m = post(&app, secret, &crew.owner, "still a secret").await;
    w.arrives("guest", secret, &m).await;
    let m = app
        .send_message(&dm_messages_path(dm), &crew.owner, "still just us")
        .await;
    w.arrives("guest", dm, &m).await;
    // Private, and neither of them was added: nobody here reads it.
    post(&app, later, &crew.owner, "not yet").await;
    w.barrier(&app, "guest", guest, guest_lobby).await;
    w.barrier(&app, "outsider", outsider, outsider_lobby).await;

    // A private channel made public: every member gains it.
    let (status, body) = app
        .put(
            &format!("/api/channels/{later}"),
            &crew.owner.token,
            json!({"name": "later", "private": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.barrier(&app, "guest", guest, guest_lobby).await;
    w.barrier(&app, "outsider", outsider, outsider_lobby).await;
    let m = post(&app, later, &crew.owner, "now for everyone").await;
    w.arrives("guest", later, &m).await;
    w.arrives("outsider", later, &m).await;

    w.finish().await;
}

#[tokio::test]
async fn a_dropped_client_recovers_what_it_missed_once_and_in_order_even_from_a_replayed_offset() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let side = app
        .create_channel(team.ws, &team.owner, "side", false)
        .await;
    // Posted in only after the reconnect: the clients stop at it.
    let random = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    let (messages, updates) = (
        format!("chat:{general}:messages"),
        format!("chat:{general}:messages:update"),
    );
    let (side_messages, sentinel) = (
        format!("chat:{side}:messages"),
        format!("chat:{random}:messages"),
    );
    let names = ["websocket", "polling"];
    let peers = [
        Peer {
            transports: Some(vec!["websocket"]),
            ..peer(names[0], &team.guest, &sentinel)
        },
        Peer {
            transports: Some(vec!["polling"]),
            ..peer(names[1], &team.admin, &sentinel)
        },
    ];
    let mut clients = Peers::connect(&app.address, "/api/socket/io", &peers).await;
    let before = post(&app, general, &team.owner, "before the drop").await;
    for name in names {
        clients.drop_after(name, 1).await;
    }
    let away = post(&app, general, &team.owner, "while away").await;
    let edited = app
        .edit_message(
            &channel_message_path(general, id_of(&before)),
            &team.owner,
            "edited while away",
        )
        .await;
    let later = post(&app, general, &team.owner, "still away").await;
    let aside = post(&app, side, &team.owner, "aside while away").await;
    for name in names {
        assert!(clients.reconnect(name, None).await, "{name} is recovered");
    }
    let live = post(&app, general, &team.owner, "live again").await;
    let mark = post(&app, random, &team.owner, "sentinel").await;
    let results = clients.results().await;
    for name in names {
        assert_eq!(results[name]["recovered"], true, "{results}");
        // Nothing twice, nothing missing; the missed events room by room, in
        // `seq` order within each, then the live ones.
        assert_eq!(
            events_of(&results, name),
            vec![
                json!([messages, before]),
                json!([messages, away]),
                json!([updates, edited]),
                json!([messages, later]),
                json!([side_messages, aside]),
                json!([messages, live]),
                json!([sentinel, mark]),
            ],
            "{name}: {results}"
        );
    }

    // Dropped again right after the first replayed event: its offset names
    // exactly what followed it, on either topic.
    let pid = results["websocket"]["pid"].as_str().unwrap().to_owned();
    let offset = offset_of(&results, "websocket", 1);
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[Peer {
            transports: Some(vec!["websocket"]),
            recover: Some((pid.clone(), offset)),
            ..peer("again", &team.guest, &sentinel)
        }],
    )
    .await;
    let results = clients.results().await;
    assert_eq!(results["again"]["recovered"], true, "{results}");
    assert_eq!(results["again"]["pid"], pid.as_str());
    assert_eq!(
        events_of(&results, "again"),
        vec![
            json!([updates, edited]),
            json!([messages, later]),
            json!([messages, live]),
            json!([side_messages, aside]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
}

#[tokio::test]
async fn a_client_recovers_on_another_node_from_the_log() {
    let app = spawn_app().await;
    let (team, general, random) = team_with_random(&app).await;
    let node_b = Node::start(&app.db.url, &[]).await;
    let messages = format!("chat:{general}:messages");
    let sentinel = format!("chat:{random}:messages");
    let mut clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[Peer {
            transports: Some(vec!["websocket"]),
            ..peer("guest", &team.guest, &sentinel)
        }],
    )
    .await;
    let before = post(&app, general, &team.owner, "on A").await;
    clients.drop_after("guest", 1).await;
    let missed = [
        post(&app, general, &team.owner, "on A while away").await,
        app.send_message_on(&node_b.address, general, &team.owner, "on B while away")
            .await,
    ];
    assert!(
        clients.reconnect("guest", Some(&node_b.address)).await,
        "recovered on node B"
    );
    let mark = app
        .send_message_on(&node_b.address, random, &team.owner, "sentinel")
        .await;
    let results = clients.results().await;
    assert_eq!(
        events_of(&results, "guest"),
        vec![
            json!([messages, before]),
            json!([messages, missed[0]]),
            json!([messages, missed[1]]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
}

#[tokio::test]
async fn a_forged_offset_replays_only_readable_rooms_and_garbage_is_no_recovery() {
    let app = spawn_app().await;
    let (team, general, random) = team_with_random(&app).await;
    let elsewhere = app.create_workspace(&team.outsider, "Elsewhere").await;
    let lobby = app.general_channel(elsewhere, &team.outsider).await;
    post(&app, lobby, &team.outsider, "not for the team").await;
    let history = [
        post(&app, general, &team.owner, "one").await,
        post(&app, general, &team.owner, "two").await,
    ];
    let messages = format!("chat:{general}:messages");
    let sentinel = format!("chat:{random}:messages");
    // From the start of both rooms' logs; the guest may read only general.
    let forged = forged_offset(&[(lobby, 0, 0), (general, 0, 0)]);
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[
            Peer {
                recover: Some(("forged-pid".into(), forged)),
                ..peer("forged", &team.guest, &sentinel)
            },
            Peer {
                recover: Some(("garbage-pid".into(), "1%%not-base64%%".into())),
                ..peer("garbage", &team.guest, &sentinel)
            },
            Peer {
                recover: Some(("future-pid".into(), "9AAAA".into())),
                ..peer("future", &team.guest, &sentinel)
            },
        ],
    )
    .await;
    let mark = post(&app, random, &team.owner, "sentinel").await;
    let results = clients.results().await;
    assert_eq!(results["forged"]["recovered"], true, "{results}");
    assert_eq!(
        events_of(&results, "forged"),
        vec![
            json!([messages, history[0]]),
            json!([messages, history[1]]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
    for (name, pid) in [("garbage", "garbage-pid"), ("future", "future-pid")] {
        assert_eq!(results[name]["connected"], true, "{results}");
        assert_eq!(results[name]["recovered"], false, "{results}");
        let new_pid = results[name]["pid"].as_str().unwrap();
        assert!(!new_pid.is_empty() && new_pid != pid, "{results}");
        assert_eq!(
            events_of(&results, name),
            vec![json!([sentinel, mark])],
            "{name}: {results}"
        );
    }
}

#[tokio::test]
async fn a_client_too_far_behind_is_not_recovered_and_starts_afresh() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__MAX_REPLAY", "2")]).await;
    let (team, general, random) = team_with_random(&app).await;
    let messages = format!("chat:{general}:messages");
    let sentinel = format!("chat:{random}:messages");
    let mut clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[Peer {
            transports: Some(vec!["websocket"]),
            ..peer("guest", &team.guest, &sentinel)
        }],
    )
    .await;
    let before = post(&app, general, &team.owner, "before").await;
    clients.drop_after("guest", 1).await;
    for content in ["away 1", "away 2", "away 3"] {
        post(&app, general, &team.owner, content).await;
    }
    assert!(
        !clients.reconnect("guest", None).await,
        "three events behind, two may be replayed"
    );
    let live = post(&app, general, &team.owner, "live").await;
    let mark = post(&app, random, &team.owner, "sentinel").await;
    let results = clients.results().await;
    assert_eq!(
        events_of(&results, "guest"),
        vec![
            json!([messages, before]),
            json!([messages, live]),
            json!([sentinel, mark]),
        ],
        "{results}"
    );
}

#[tokio::test]
async fn a_dm_reaches_both_participants_and_nobody_else() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    // Between the guest and the moderator. The owner and the admin, who may
    // read every private channel of the server, are not in it.
    let (status, conversation) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.guest.token,
            json!({"memberId": crew.member(&crew.moderator)}),
        )
        .await;
    assert!(status.is_success(), "{status}: {conversation}");
    let dm = id_of(&conversation);
    let messages = format!("chat:{dm}:messages");
    // Posted after the DM in a room all four read: each stops at it, so
    // whatever of the DM has not reached a socket by then is not coming.
    let sentinel = format!("chat:{}:messages", crew.general);
    let users = [
        ("guest", &crew.guest),
        ("moderator", &crew.moderator),
        ("owner", &crew.owner),
        ("admin", &crew.admin),
    ];
    let peers: Vec<Peer> = users
        .iter()
        .map(|&(name, user)| Peer {
            name,
            token: Some(user.token.clone()),
            // The server dialect, by default.
            dialect: None,
            until: Some(sentinel.clone()),
            ..Peer::default()
        })
        .collect();
    let clients = Peers::connect(&app.address, "/api/socket/io", &peers).await;
    let (status, sent) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &crew.moderator.token,
            json!({"content": "just us"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["conversationId"], dm, "{sent}");
    let mark = crew.send(&app, crew.general, &crew.owner, "sentinel").await;
    let results = clients.results().await;
    for (name, _) in &users[..2] {
        assert_eq!(
            events_of(&results, name),
            vec![json!([messages, sent]), json!([sentinel, mark])],
            "{name}: {results}"
        );
    }
    for (name, _) in &users[2..] {
        assert_eq!(
            events_of(&results, name),
            vec![json!([sentinel, mark])],
            "{name}: {results}"
        );
    }
}

#[tokio::test]
async fn fifty_posts_during_the_upgrade_arrive_exactly_once_and_in_order() {
    let app = spawn_app().await;
    let (team, general, random) = team_with_random(&app).await;
    let messages = format!("chat:{general}:messages");
    // Posted after the fifty: a client stops at it, so anything repeated
    // late would be seen too.
    let sentinel = format!("chat:{random}:messages");
    let upgrading = |name| Peer {
        // The library's default: polling, then the upgrade.
        transports: None,
        until_upgraded: true,
        ..peer(name, &team.guest, &sentinel)
    };
    let clients = Peers::connect(
        &app.address,
        "/api/socket/io",
        &[
            // As the library does it: the probe starts as soon as the
            // session opens, and the posts start once it connected. Here,
            // on one machine, the upgrade is usually over by then.
            upgrading("default"),
            // The same upgrade, started only once five posts arrived over
            // polling, and completed only after five more arrived once the
            // probe was answered: it happens while the others are posted.
            Peer {
                upgrade_after: Some(5),
                hold_upgrade: Some(5),
                ..upgrading("delayed")
            },
        ],
    )
    .await;
    let mut expected = Vec::new();
    for n in 1..=50 {
        let sent = post(&app, general, &team.owner, &format!("post {n}")).await;
        expected.push(json!([messages, sent]));
    }
    let mark = post(&app, random, &team.owner, "sentinel").await;
    expected.push(json!([sentinel, mark]));
    let results = clients.results().await;
    for name in ["default", "delayed"] {
        assert_eq!(events_of(&results, name), expected, "{name}: {results}");
        assert_eq!(results[name]["upgraded"], true, "{name}: {results}");
        assert_eq!(results[name]["transport"], "websocket", "{name}: {results}");
    }
    // Some posts came over polling before the probe, some while the server
    // held both transports, the others over the WebSocket.
    let count = |key: &str| {
        results["delayed"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {results}"))
    };
    let (at_probe, before) = (count("eventsAtProbe"), count("eventsBeforeUpgrade"));
    assert!(
        5 <= at_probe && at_probe + 5 <= before && before < 50,
        "{at_probe} at the probe, {before} before the upgrade"
    );
}
