//! A client that cannot keep up is closed with "resume required" (4008)
//! while the server's memory stays bounded, and clients that keep up lose
//! nothing.

use concord_tests::ws::{WsClient, messages_topic};
use concord_tests::{channel_messages_path, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_stalled_client_is_told_to_resume_while_a_fast_one_loses_nothing() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__QUEUE_CAPACITY", "8")]).await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;
    let topic = messages_topic(general);

    let mut slow = WsClient::connect_slow(&app.address).await;
    let ready = slow.identify(&owner.token, "workspace").await;
    assert_eq!(ready["op"], "ready");
    let start = slow.subscribe_ok(&topic).await;
    let (mut fast, _) = WsClient::identified(&app.address, &owner.token, "workspace").await;
    fast.subscribe_ok(&topic).await;

    // ~16 KB frames: the slow client's tiny window and a queue of 8 fill fast.
    let bulky = "🦀".repeat(3990);
    const POSTS: i64 = 400;
    let reader = tokio::spawn(async move {
        let events = fast.events(POSTS as usize).await;
        events
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>()
    });
    for i in 0..POSTS {
        app.send_message(
            &channel_messages_path(general),
            &owner,
            &format!("{i} {bulky}"),
        )
        .await;
    }

    let fast_seqs = reader.await.unwrap();
    assert_eq!(
        fast_seqs,
        ((start + 1)..=(start + POSTS)).collect::<Vec<_>>()
    );

    // The slow client reads what was in flight: a gapless prefix, then 4008.
    let mut last = start;
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(15), slow.socket_next()).await {
            Ok(Some(frame)) if frame["op"] == "event" => {
                assert_eq!(frame["seq"], last + 1);
                last += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => break slow.close_code(),
            Err(_) => panic!(
                "the slow client was never closed; it read up to seq {last} of {}",
                start + POSTS
            ),
        }
    };
    assert_eq!(closed, Some(4008));
    assert!(last < start + POSTS, "the slow client was not slow enough");

    // Resuming from its last seq returns exactly what it missed.
    let (mut resumed, _) = WsClient::identified(&app.address, &owner.token, "workspace").await;
    resumed
        .subscribe(&[&topic], Some(json!({ topic.clone(): last })))
        .await;
    let missed = resumed.events((start + POSTS - last) as usize).await;
    let seqs: Vec<i64> = missed.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, ((last + 1)..=(start + POSTS)).collect::<Vec<_>>());
}

/// A client that reads slowly — here, one that pauses for longer than the
/// server waits to hand over a close frame — is told to resume with 4008
/// too: the close frame goes out ahead of the frames still queued for it,
/// instead of waiting behind them until the server gives up and drops the
/// connection (1006).
#[tokio::test]
async fn a_slow_reader_with_a_large_backlog_still_gets_the_resume_code() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__QUEUE_CAPACITY", "8")]).await;
    let owner = app.sign_up("owner").await;
    let ws = app.create_workspace(&owner, "Team").await;
    let general = app.general_channel(ws, &owner).await;
    let topic = messages_topic(general);
    let mut slow = WsClient::connect_slow(&app.address).await;
    assert_eq!(
        slow.identify(&owner.token, "workspace").await["op"],
        "ready"
    );
    let start = slow.subscribe_ok(&topic).await;

    // Far more than the queue, the socket's channel and the kernel's buffers
    // hold between them.
    let bulky = "🦀".repeat(3990);
    const POSTS: i64 = 400;
    for i in 0..POSTS {
        app.send_message(
            &channel_messages_path(general),
            &owner,
            &format!("{i} {bulky}"),
        )
        .await;
    }

    // Longer than the ten seconds a close frame may wait behind a backlog.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let began = std::time::Instant::now();
    let mut last = start;
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(15), slow.socket_next()).await {
            Ok(Some(frame)) if frame["op"] == "event" => {
                assert_eq!(frame["seq"], last + 1, "a gap in what was delivered");
                last += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => break slow.close_code(),
            Err(_) => panic!("the slow reader was never closed; it read up to seq {last}"),
        }
        assert!(
            last < start + POSTS,
            "read all {POSTS} frames: the reader was never closed"
        );
    };
    assert_eq!(
        closed,
        Some(4008),
        "dropped without the resume code after reading up to seq {last} in {:?}",
        began.elapsed()
    );
}
