//! `GET /metrics` on its own listener: Prometheus text, counters that move by
//! exactly what was done, and nothing of it on the public port.

use std::time::Duration;

use concord_tests::TestDb;
use concord_tests::eio::{Polling, next_text, upgrade};
use concord_tests::node::Node;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The value of the sample `name{labels}` (labels in the exporter's order),
/// 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

async fn scrape(node: &Node) -> String {
    let url = format!(
        "{}/metrics",
        node.metrics_address.as_ref().expect("metrics on")
    );
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn counters_move_by_exactly_what_was_done() {
    let db = TestDb::new();
    let node = Node::start(&db.url, &[("CONCORD__RATE_LIMIT__ADDRESS_BURST", "3")]).await;
    let client = reqwest::Client::new();
    let before = scrape(&node).await;
    let health =
        r#"concord_http_request_duration_seconds_count{route="/health",method="GET",status="200"}"#;
    let missing = r#"concord_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}"#;
    let message = r#"concord_http_request_duration_seconds_count{route="/api/users/{id}",method="GET",status="401"}"#;

    for _ in 0..3 {
        let res = client
            .get(format!("{}/health", node.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    for path in ["/no/such/thing", "/nor/this/42"] {
        client
            .get(format!("{}{path}", node.address))
            .send()
            .await
            .unwrap();
    }
    for id in [7, 8] {
        client
            .get(format!("{}/api/users/{id}", node.address))
            .send()
            .await
            .unwrap();
    }
    // Four sign-ups from one address against a burst of three: one refused.
    let mut statuses = Vec::new();
    for n in 0..4 {
        let res = client
            .post(format!("{}/api/users", node.address))
            .json(&json!({
                "username": format!("user{n}"), "email": format!("u{n}@example.com"),
                "password": "a-long-password", "first_name": "U", "last_name": "Ser"
            }))
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        1
    );

    let after = scrape(&node).await;
    assert_eq!(
        sample(&after, health) - sample(&before, health),
        3.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, missing) - sample(&before, missing),
        2.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, message) - sample(&before, message),
        2.0,
        "{after}"
    );
    let refused = r#"concord_rate_limit_rejections_total{limit="address"}"#;
    assert_eq!(
        sample(&after, refused) - sample(&before, refused),
        1.0,
        "{after}"
    );
    for family in [
        "concord_db_pool_in_use",
        "concord_db_pool_idle",
        "process_resident_memory_bytes",
    ] {
        assert!(after.contains(family), "{family} missing:\n{after}");
    }
    // No path of an unmatched request becomes a label.
    assert!(!after.contains("/no/such/thing"), "{after}");

    // The public port has no metrics.
    let res = client
        .get(format!("{}/metrics", node.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A user with a workspace on `node`: a client, the user's token and the
/// workspace's general channel.
async fn poster(node: &Node) -> (reqwest::Client, String, i64) {
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/users", node.address))
        .json(&json!({
            "username": "poster", "email": "poster@example.com",
            "password": "a-long-password", "first_name": "P", "last_name": "Oster"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = client
        .post(format!("{}/api/session", node.address))
        .json(&json!({"email": "poster@example.com", "password": "a-long-password"}))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = client
        .post(format!("{}/api/workspaces", node.address))
        .bearer_auth(&token)
        .json(&json!({"name": "Metered", "description": "metered"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let workspace: Value = res.json().await.unwrap();
    let res = client
        .get(format!(
            "{}/api/workspaces/{}/channels",
            node.address, workspace["id"]
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let channels: Value = res.json().await.unwrap();
    let channel = channels
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "general"))
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no general channel: {channels}"));
    (client, token, channel)
}

#[tokio::test]
async fn posts_and_gateway_deliveries_are_counted() {
    let db = TestDb::new();
    let node = Node::start(&db.url, &[]).await;
    let (client, token, channel) = poster(&node).await;
    let (mut ws, _) =
        concord_tests::ws::WsClient::identified(&node.address, &token, "workspace").await;
    ws.subscribe_ok(&concord_tests::ws::messages_topic(channel))
        .await;
    let before = scrape(&node).await;

    for n in 0..5 {
        let res = client
            .post(format!("{}/api/channels/{channel}/messages", node.address))
            .bearer_auth(&token)
            .json(&json!({"content": format!("metered {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    ws.events(5).await;

    let after = scrape(&node).await;
    let batched = r#"concord_group_commit_batch_size_sum{writer="posts"}"#;
    assert_eq!(
        sample(&after, batched) - sample(&before, batched),
        5.0,
        "{after}"
    );
    let delivered = "concord_gateway_events_delivered_total";
    assert_eq!(
        sample(&after, delivered) - sample(&before, delivered),
        5.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, "concord_gateway_connections"),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, "concord_gateway_subscriptions"),
        1.0,
        "{after}"
    );
}

#[tokio::test]
async fn socketio_sessions_connects_and_events_are_counted() {
    let db = TestDb::new();
    let node = Node::start(&db.url, &[("CONCORD__SOCKETIO__QUEUE_CAPACITY", "3")]).await;
    let (client, token, channel) = poster(&node).await;
    let auth = json!({"token": token});
    let before = scrape(&node).await;

    // One socket connects over polling and upgrades; one is refused; one
    // connects and never polls again.
    let upgraded = Polling::open(&node.address, "", &[]).await;
    assert!(upgraded.connect(Some(&auth)).await.starts_with("40{"));
    let mut ws = upgrade(&node.address, &upgraded.sid).await;
    let refused = Polling::open(&node.address, "", &[]).await;
    assert_eq!(
        refused.connect(None).await,
        r#"44{"message":"Authentication required"}"#
    );
    let slow = Polling::open(&node.address, "", &[]).await;
    assert!(slow.connect(Some(&auth)).await.starts_with("40{"));

    // Four events: all four reach the WebSocket; the slow one's queue of
    // three takes three and the fourth closes it.
    for n in 0..4 {
        let res = client
            .post(format!("{}/api/channels/{channel}/messages", node.address))
            .bearer_auth(&token)
            .json(&json!({"content": format!("counted {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for _ in 0..4 {
        let frame = next_text(&mut ws).await;
        assert!(frame.starts_with("42[\"chat:"), "{frame}");
    }
    let slow_closes = "concord_socketio_slow_closes_total";
    let mut after = scrape(&node).await;
    for _ in 0..50 {
        if sample(&after, slow_closes) - sample(&before, slow_closes) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&node).await;
    }

    for (series, moved) in [
        (r#"concord_socketio_connects_total{result="accepted"}"#, 2.0),
        (r#"concord_socketio_connects_total{result="refused"}"#, 1.0),
        ("concord_socketio_upgrades_total", 1.0),
        ("concord_socketio_events_emitted_total", 7.0),
        (slow_closes, 1.0),
    ] {
        assert_eq!(
            sample(&after, series) - sample(&before, series),
            moved,
            "{series}:\n{after}"
        );
    }
    // Open now: the refused one still polling, the upgraded one.
    for (series, open) in [
        (r#"concord_socketio_sessions{transport="polling"}"#, 1.0),
        (r#"concord_socketio_sessions{transport="websocket"}"#, 1.0),
    ] {
        assert_eq!(sample(&after, series), open, "{series}:\n{after}");
    }
}
