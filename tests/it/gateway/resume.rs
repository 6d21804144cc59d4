//! Resuming with `since`: a client that reconnects replays what it missed,
//! in order, exactly once, then carries on live.

use concord_tests::ws::{WsClient, messages_topic, updates_topic};
use concord_tests::{
    TOMBSTONE, TestApp, TestUser, channel_message_path, channel_messages_path, id_of, spawn_app,
    spawn_app_with,
};
use serde_json::{Value, json};

use super::{QUIET, assert_event, assert_lifecycle, assert_topic_error};

/// A fresh connection of `user` subscribed to `topic` with `since`; returns
/// it with the `seq` its `subscribed` frame reported.
async fn resume(app: &TestApp, user: &TestUser, topic: &str, since: i64) -> (WsClient, i64) {
    let (mut client, _) = WsClient::identified(&app.address, &user.token, "workspace").await;
    let reply = client
        .subscribe(&[topic], Some(json!({ topic: since })))
        .await
        .remove(0);
    assert_eq!(reply["op"], "subscribed", "{reply}");
    assert_eq!(reply["topic"], topic, "{reply}");
    (client, reply["seq"].as_i64().unwrap())
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed_then_live_events() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let start = client.subscribe_ok(&topic).await;
    for i in 1..=3 {
        app.send_message(
            &channel_messages_path(general),
            &team.owner,
            &format!("m{i}"),
        )
        .await;
    }
    let seen = client.events(3).await;
    let last_seen = seen[2]["seq"].as_i64().unwrap();
    assert_eq!(last_seen, start + 3);
    drop(client);

    let mut missed = Vec::new();
    for i in 4..=6 {
        missed.push(
            app.send_message(
                &channel_messages_path(general),
                &team.owner,
                &format!("m{i}"),
            )
            .await,
        );
    }
    let (mut client, latest) = resume(&app, &team.guest, &topic, last_seen).await;
    assert_eq!(latest, start + 6);
    let replayed = client.events(3).await;
    let live = app
        .send_message(&channel_messages_path(general), &team.owner, "m7")
        .await;

    for (i, (event, sent)) in replayed.iter().zip(&missed).enumerate() {
        assert_event(event, &topic, "message.created", last_seen + 1 + i as i64);
        assert_eq!(event["data"], *sent);
    }
    let event = client.event().await;
    assert_event(&event, &topic, "message.created", start + 7);
    assert_eq!(event["data"], live);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn resuming_the_update_topic_replays_only_edits_and_deletes() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let first = id_of(
        &app.send_message(&channel_messages_path(general), &team.owner, "first")
            .await,
    );
    let second = id_of(
        &app.send_message(&channel_messages_path(general), &team.owner, "second")
            .await,
    );
    let edited = app
        .edit_message(
            &channel_message_path(general, first),
            &team.owner,
            "first, edited",
        )
        .await;
    app.delete_message(&channel_message_path(general, second), &team.owner)
        .await;
    app.send_message(&channel_messages_path(general), &team.owner, "third")
        .await;

    let (mut client, latest) = resume(&app, &team.guest, &updates_topic(general), 0).await;

    assert_eq!(latest, 5);
    let events = client.events(2).await;
    assert_event(&events[0], &updates_topic(general), "message.updated", 3);
    assert_eq!(events[0]["data"], edited);
    assert_event(&events[1], &updates_topic(general), "message.deleted", 4);
    assert_eq!(events[1]["data"]["id"], second);
    assert_eq!(events[1]["data"]["content"], TOMBSTONE);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn resuming_from_zero_replays_the_whole_log() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let mut sent = Vec::new();
    for i in 1..=4 {
        sent.push(
            app.send_message(
                &channel_messages_path(general),
                &team.owner,
                &format!("m{i}"),
            )
            .await,
        );
    }

    let (mut client, latest) = resume(&app, &team.guest, &messages_topic(general), 0).await;

    assert_eq!(latest, 4);
    let events = client.events(4).await;
    for (i, (event, sent)) in events.iter().zip(&sent).enumerate() {
        assert_event(
            event,
            &messages_topic(general),
            "message.created",
            1 + i as i64,
        );
        assert_eq!(event["data"], *sent);
    }
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_message_edited_while_offline_replays_its_original_then_its_edit() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let before = client.subscribe_ok(&messages_topic(general)).await;
    drop(client);

    let sent = app
        .send_message(
            &channel_messages_path(general),
            &team.owner,
            "what I first said",
        )
        .await;
    let edited = app
        .edit_message(
            &channel_message_path(general, id_of(&sent)),
            &team.owner,
            "what I meant",
        )
        .await;

    let (mut created, _) = resume(&app, &team.guest, &messages_topic(general), before).await;
    let replayed = created.event().await;
    assert_event(
        &replayed,
        &messages_topic(general),
        "message.created",
        before + 1,
    );
    assert_eq!(replayed["data"], sent);
    assert_eq!(replayed["data"]["content"], "what I first said");
    let (mut updates, _) = resume(&app, &team.guest, &updates_topic(general), before).await;
    let replayed = updates.event().await;
    assert_event(
        &replayed,
        &updates_topic(general),
        "message.updated",
        before + 2,
    );
    assert_eq!(replayed["data"], edited);
    assert_eq!(replayed["data"]["content"], "what I meant");
}

#[tokio::test]
async fn a_message_deleted_while_offline_replays_only_as_a_tombstone() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let before = client.subscribe_ok(&messages_topic(general)).await;
    drop(client);

    let secret = "a password pasted by mistake";
    let sent = app
        .send_message(&channel_messages_path(general), &team.owner, secret)
        .await;
    let id = id_of(&sent);
    app.edit_message(
        &channel_message_path(general, id),
        &team.owner,
        "also a secret",
    )
    .await;
    app.delete_message(&channel_message_path(general, id), &team.owner)
        .await;
    let tombstone = app
        .message_in(&channel_messages_path(general), &team.guest, id)
        .await;

    let (mut created, _) = resume(&app, &team.guest, &messages_topic(general), before).await;
    let (mut updates, _) = resume(&app, &team.guest, &updates_topic(general), before).await;
    let mut replayed: Vec<Value> = created.events(1).await;
    replayed.extend(updates.events(2).await);

    assert_lifecycle(&replayed, general, before);
    for event in &replayed {
        let data = &event["data"];
        assert_eq!(data["id"], id, "{event}");
        assert_eq!(data["content"], TOMBSTONE, "{event}");
        assert_eq!(data["deleted"], true, "{event}");
        let text = event.to_string();
        assert!(
            !text.contains(secret) && !text.contains("also a secret"),
            "a replay leaks deleted text: {text}"
        );
    }
    assert_eq!(replayed[2]["data"], tombstone);
}

#[tokio::test]
async fn subscribing_without_since_reports_the_latest_seq_and_replays_nothing() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    for i in 1..=3 {
        app.send_message(
            &channel_messages_path(general),
            &team.owner,
            &format!("m{i}"),
        )
        .await;
    }
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;

    let seq = client.subscribe_ok(&messages_topic(general)).await;

    assert_eq!(seq, 3);
    client.expect_silence(QUIET).await;
    let live = app
        .send_message(&channel_messages_path(general), &team.owner, "m4")
        .await;
    let event = client.event().await;
    assert_event(&event, &messages_topic(general), "message.created", 4);
    assert_eq!(event["data"], live);
}

#[tokio::test]
async fn resuming_both_topics_in_one_frame_replays_the_room_in_seq_order() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let first = app
        .send_message(&channel_messages_path(general), &team.owner, "first")
        .await;
    let edited = app
        .edit_message(
            &channel_message_path(general, id_of(&first)),
            &team.owner,
            "first, edited",
        )
        .await;
    let second = app
        .send_message(&channel_messages_path(general), &team.owner, "second")
        .await;
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let (messages, updates) = (messages_topic(general), updates_topic(general));

    client
        .send(json!({
            "op": "subscribe",
            "topics": [messages, updates],
            "since": {messages.clone(): 0, updates.clone(): 0},
        }))
        .await;

    let frames = client.recv_many(5).await;
    let ops: Vec<&Value> = frames.iter().map(|f| &f["op"]).collect();
    assert_eq!(
        ops,
        ["subscribed", "subscribed", "event", "event", "event"],
        "{frames:?}"
    );
    assert_eq!(frames[0]["topic"], messages, "{frames:?}");
    assert_eq!(frames[0]["seq"], 3, "{frames:?}");
    assert_eq!(frames[1]["topic"], updates, "{frames:?}");
    // a client keeping one last seq per room sees 1, 2, 3 and drops nothing
    assert_event(&frames[2], &messages, "message.created", 1);
    assert_eq!(frames[2]["data"]["content"], "first");
    assert_event(&frames[3], &updates, "message.updated", 2);
    assert_eq!(frames[3]["data"], edited);
    assert_event(&frames[4], &messages, "message.created", 3);
    assert_eq!(frames[4]["data"], second);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn topics_of_one_room_resume_each_from_their_own_since() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let first = app
        .send_message(&channel_messages_path(general), &team.owner, "first")
        .await; // 1
    app.edit_message(
        &channel_message_path(general, id_of(&first)),
        &team.owner,
        "edited once",
    )
    .await; // 2
    let second = app
        .send_message(&channel_messages_path(general), &team.owner, "second")
        .await; // 3
    let again = app
        .edit_message(
            &channel_message_path(general, id_of(&first)),
            &team.owner,
            "edited twice",
        )
        .await; // 4
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;
    let (messages, updates) = (messages_topic(general), updates_topic(general));

    client
        .send(json!({
            "op": "subscribe",
            "topics": [updates, messages],
            "since": {messages.clone(): 1, updates.clone(): 2},
        }))
        .await;

    let frames = client.recv_many(4).await;
    assert_eq!(frames[0]["op"], "subscribed", "{frames:?}");
    assert_eq!(frames[1]["op"], "subscribed", "{frames:?}");
    assert_event(&frames[2], &messages, "message.created", 3);
    assert_eq!(frames[2]["data"], second);
    assert_event(&frames[3], &updates, "message.updated", 4);
    assert_eq!(frames[3]["data"], again);
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_server_dialect_client_resumes_in_the_server_dialect() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let server = concord_tests::server::Server::create(&app, &owner).await;
    let sent = server.send(&app, &owner, "while you were away").await;
    let edited = server.edit(&app, &owner, id_of(&sent), "edited away").await;
    let (mut client, _) = WsClient::identified(&app.address, &owner.token, "server").await;

    let created = client
        .subscribe(
            &[&messages_topic(server.general)],
            Some(json!({messages_topic(server.general): 0})),
        )
        .await;
    assert_eq!(created[0]["op"], "subscribed", "{created:?}");
    let replayed = client.event().await;
    let updated = client
        .subscribe(
            &[&updates_topic(server.general)],
            Some(json!({updates_topic(server.general): 0})),
        )
        .await;
    assert_eq!(updated[0]["op"], "subscribed", "{updated:?}");
    let replayed_edit = client.event().await;

    assert_event(
        &replayed,
        &messages_topic(server.general),
        "message.created",
        1,
    );
    assert_eq!(replayed["data"], sent);
    assert_event(
        &replayed_edit,
        &updates_topic(server.general),
        "message.updated",
        2,
    );
    assert_eq!(replayed_edit["data"], edited);
}

#[tokio::test]
async fn resuming_while_others_post_misses_nothing_and_repeats_nothing() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    for i in 1..=5 {
        app.send_message(
            &channel_messages_path(general),
            &team.owner,
            &format!("before {i}"),
        )
        .await;
    }
    let last_seen = 2;

    let posting = async {
        for i in 1..=20 {
            app.send_message(
                &channel_messages_path(general),
                &team.admin,
                &format!("during {i}"),
            )
            .await;
        }
    };
    let resuming = async {
        let (mut client, _) = resume(&app, &team.guest, &topic, last_seen).await;
        let mut seqs = Vec::new();
        while seqs.last() != Some(&25) {
            let event = client.event().await;
            assert_eq!(event["topic"], topic, "{event}");
            seqs.push(event["seq"].as_i64().unwrap());
        }
        (client, seqs)
    };
    let ((mut client, seqs), ()) = tokio::join!(resuming, posting);

    assert_eq!(seqs, (last_seen + 1..=25).collect::<Vec<_>>());
    client.expect_silence(QUIET).await;
}

/// Further back than one subscribe may replay, a resume is refused with 410
/// and the room's latest `seq`: the topic is not followed, nothing is
/// replayed, and subscribing again from that `seq` works.
#[tokio::test]
async fn a_resume_further_back_than_the_replay_limit_is_refused_with_the_latest_seq() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__MAX_REPLAY", "3")]).await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let topic = messages_topic(general);
    for i in 1..=5 {
        app.send_message(
            &channel_messages_path(general),
            &team.owner,
            &format!("m{i}"),
        )
        .await;
    }
    let (mut client, _) = WsClient::identified(&app.address, &team.guest.token, "workspace").await;

    let refused = client
        .subscribe(&[&topic], Some(json!({ topic.clone(): 0 })))
        .await
        .remove(0);

    assert_topic_error(&refused, &topic, 410);
    assert_eq!(refused["seq"], 5, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("over HTTP"), "{message}");
    client.expect_silence(QUIET).await;
    app.send_message(&channel_messages_path(general), &team.owner, "m6")
        .await;
    client.expect_silence(QUIET).await;

    let reply = client
        .subscribe(&[&topic], Some(json!({ topic.clone(): 3 })))
        .await
        .remove(0);
    assert_eq!(reply["op"], "subscribed", "{reply}");
    assert_eq!(reply["seq"], 6, "{reply}");
    let replayed = client.events(3).await;
    for (event, seq) in replayed.iter().zip(4..) {
        assert_event(event, &topic, "message.created", seq);
    }
    client.expect_silence(QUIET).await;
}

/// The limit is for a whole subscribe frame: many topics far behind cannot
/// replay more than one topic could.
#[tokio::test]
async fn one_subscribe_frame_replays_at_most_the_limit_across_its_topics() {
    let app = spawn_app_with(&[("CONCORD__REALTIME__MAX_REPLAY", "3")]).await;
    let team = app.team().await;
    let general = app.general_channel(team.ws, &team.owner).await;
    let random = app
        .create_channel(team.ws, &team.owner, "random", false)
        .await;
    for room in [general, random] {
        app.send_message(&channel_messages_path(room), &team.owner, "one")
            .await;
        app.send_message(&channel_messages_path(room), &team.owner, "two")
            .await;
    }
    let (first, second) = (messages_topic(general), messages_topic(random));
    let (mut client, _) = WsClient::identified(&app.address, &team.owner.token, "workspace").await;

    let replies = client
        .subscribe(
            &[&first, &second],
            Some(json!({ first.clone(): 0, second.clone(): 0 })),
        )
        .await;

    assert_eq!(replies[0]["op"], "subscribed", "{}", replies[0]);
    assert_topic_error(&replies[1], &second, 410);
    let replayed = client.events(2).await;
    assert_event(&replayed[0], &first, "message.created", 1);
    assert_event(&replayed[1], &first, "message.created", 2);
    client.expect_silence(QUIET).await;
}
