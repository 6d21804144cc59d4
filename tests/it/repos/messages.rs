use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use concord_adapters::PgStore;
use concord_domain::message::DELETED_CONTENT;
use concord_domain::{
    IdempotencyKey, Message, MessageContent, MessageId, NewConversation, NewMessage, Room,
    RoomEvent, RoomEventKind, RoomId, Seq, UserId,
};
use concord_ports::{
    ConversationRepository, EventLog, Idempotency, MessageChange, MessageRepository, Posted,
    RepoError,
};
use diesel::{Connection, RunQueryDsl, pg::PgConnection};

use super::{add_channel, add_user, add_workspace, store};

fn new_message(room: Room, author: UserId, text: &str) -> NewMessage {
    NewMessage {
        room,
        author_id: author,
        parent_id: None,
        content: MessageContent::parse(text).unwrap(),
        attachment_url: None,
        mentions: Vec::new(),
    }
}

/// A message event taken apart: its `seq`, its name and its message.
struct Recorded {
    seq: Seq,
    kind: &'static str,
    message: Message,
}

fn recorded(event: RoomEvent) -> Recorded {
    Recorded {
        seq: event.seq,
        kind: event.payload.name(),
        message: event.payload.message().clone(),
    }
}

fn created(posted: Posted) -> Recorded {
    match posted {
        Posted::Created(event) => recorded(event),
        Posted::Replayed(m) => panic!("expected a new message, got replay of {:?}", m.id),
    }
}

fn made(change: MessageChange) -> Recorded {
    match change {
        MessageChange::Made(event) => recorded(event),
        MessageChange::AlreadyDeleted(m) => panic!("expected a change, {:?} was deleted", m.id),
    }
}

fn idem(key: &str, fingerprint: &str) -> Option<Idempotency> {
    Some(Idempotency {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: fingerprint.into(),
    })
}

/// (seq, kind, message id) of every event of `room`, in seq order.
fn events(db_url: &str, room: RoomId) -> Vec<(i64, String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        message_id: i64,
    }
    let mut conn = PgConnection::establish(db_url).unwrap();
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT seq, kind, message_id FROM message_events WHERE room_id = {room} ORDER BY seq"
    ))
    .load(&mut conn)
    .unwrap();
    rows.into_iter()
        .map(|r| (r.seq, r.kind, r.message_id))
        .collect()
}

#[test]
fn posting_edits_and_deletes_each_append_the_next_seq() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);

    let first = created(
        store
            .post_message(&new_message(room, ada.id, "one"), None)
            .unwrap(),
    );
    let edit = made(
        store
            .edit_message(
                first.message.id,
                &MessageContent::parse("uno").unwrap(),
                &[],
            )
            .unwrap(),
    );
    let delete = made(store.delete_message(first.message.id).unwrap());

    assert_eq!(
        (first.seq, edit.seq, delete.seq),
        (Seq::new(1), Seq::new(2), Seq::new(3))
    );
    assert_eq!(
        (edit.kind, edit.message.content.as_str()),
        (RoomEventKind::MESSAGE_UPDATED, "uno")
    );
    assert!(edit.message.edited_at.is_some());
    assert_eq!(
        (delete.kind, delete.message.content.as_str()),
        (RoomEventKind::MESSAGE_DELETED, DELETED_CONTENT)
    );
    assert!(delete.message.is_deleted());
    let id = first.message.id.get();
    assert_eq!(
        events(&db.url, room.id()),
        vec![
            (1, "message.created".into(), id),
            (2, "message.updated".into(), id),
            (3, "message.deleted".into(), id)
        ]
    );
}

#[test]
fn a_post_advances_the_rooms_last_message_time() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let channel = add_channel(&store, &ws, ada.id, "c");

    let event = created(
        store
            .post_message(&new_message(Room::Channel(channel.id), ada.id, "hi"), None)
            .unwrap(),
    );

    use concord_ports::ChannelRepository;
    let after = store.channel_by_id(channel.id).unwrap().unwrap();
    assert_eq!(after.last_message_at, Some(event.message.created_at));
}

#[test]
fn concurrent_posts_get_a_gapless_duplicate_free_seq() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "busy").id);
    let store = Arc::new(store);

    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for i in 0..25 {
                    store
                        .post_message(&new_message(room, ada.id, &format!("w{w} m{i}")), None)
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }

    let seqs: Vec<i64> = events(&db.url, room.id())
        .into_iter()
        .map(|(seq, _, _)| seq)
        .collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    let ids: HashSet<i64> = events(&db.url, room.id())
        .into_iter()
        .map(|(_, _, id)| id)
        .collect();
    assert_eq!(ids.len(), 200);
}

#[tokio::test]
async fn queued_posts_commit_in_the_order_they_were_handed_over() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "queued").id);

    // Handed over all at once, before any is awaited: they share batches.
    let pending: Vec<_> = (0..300)
        .map(|i| {
            store.queue_post(
                new_message(room, ada.id, &format!("m{i}")),
                None,
                Box::new(|_| {}),
            )
        })
        .collect();
    let mut answered = Vec::new();
    for (i, post) in pending.into_iter().enumerate() {
        let event = created(post.await.unwrap());
        assert_eq!(event.message.content, format!("m{i}"));
        answered.push((event.seq.get(), event.message.id.get()));
    }

    let logged: Vec<(i64, i64)> = events(&db.url, room.id())
        .into_iter()
        .map(|(seq, _, id)| (seq, id))
        .collect();
    assert_eq!(logged, answered, "each answer is what the log recorded");
    assert_eq!(
        logged.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=300).collect::<Vec<_>>()
    );
    assert!(logged.is_sorted_by_key(|(_, id)| *id), "ids follow seq");
}

#[test]
fn a_queued_post_commits_and_reports_even_when_its_future_is_dropped() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "hung-up").id);

    let (reported, report) = std::sync::mpsc::channel();
    drop(store.queue_post(
        new_message(room, ada.id, "orphan"),
        None,
        Box::new(move |posted| {
            let seq = posted.as_ref().ok().map(|p| created(p.clone()).seq);
            reported.send(seq).unwrap();
        }),
    ));

    let seq = report
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("on_commit ran");
    assert_eq!(seq, Some(Seq::new(1)));
    assert_eq!(events(&db.url, room.id()).len(), 1);
}

#[tokio::test]
async fn while_the_database_refuses_connections_queued_posts_fail_fast_then_posting_resumes() {
    use std::time::{Duration, Instant};

    let db = concord_tests::TestDb::new();
    let timeout = Duration::from_millis(300);
    let store = PgStore::connect(&db.url, 1, timeout).expect("connect");
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "outage").id);
    let admin_url = db.url.rsplit_once('/').unwrap().0.to_owned() + "/postgres";
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    let allow = |admin: &mut PgConnection, allowed: bool| {
        diesel::sql_query(format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS {allowed}",
            db.name
        ))
        .execute(admin)
        .unwrap();
    };

    // The database goes away: no new connections, and the pooled one is cut.
    allow(&mut admin, false);
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        db.name
    ))
    .execute(&mut admin)
    .unwrap();
    let started = Instant::now();
    let pending: Vec<_> = (0..20)
        .map(|i| {
            store.queue_post(
                new_message(room, ada.id, &format!("m{i}")),
                None,
                Box::new(|_| {}),
            )
        })
        .collect();
    for post in pending {
        assert!(matches!(post.await, Err(RepoError::Unavailable(_))));
    }
    // One pool timeout for the batch, not one per post (20 × 300 ms).
    assert!(
        started.elapsed() < timeout * 10,
        "took {:?}",
        started.elapsed()
    );

    // Known to be down now: the next ones fail without waiting at all.
    let started = Instant::now();
    for i in 0..20 {
        let post = store.queue_post(
            new_message(room, ada.id, &format!("n{i}")),
            None,
            Box::new(|_| {}),
        );
        assert!(matches!(post.await, Err(RepoError::Unavailable(_))));
        assert!(matches!(
            store.message_by_id(MessageId::new(1)),
            Err(RepoError::Unavailable(_))
        ));
    }
    assert!(
        started.elapsed() < timeout,
        "40 requests took {:?}",
        started.elapsed()
    );

    // Back within a moment of the database answering again.
    allow(&mut admin, true);
    let started = Instant::now();
    let back = loop {
        let back = store.queue_post(new_message(room, ada.id, "back"), None, Box::new(|_| {}));
        match back.await {
            Ok(posted) => break created(posted),
            Err(RepoError::Unavailable(_)) if started.elapsed() < Duration::from_secs(3) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("not back after {:?}: {e}", started.elapsed()),
        }
    };
    assert_eq!(back.message.content, "back");
}

#[tokio::test]
async fn a_queued_post_to_a_missing_room_is_not_found_and_spares_its_batch() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "real").id);
    let gone = Room::Channel(concord_domain::ChannelId::new(i64::MAX));

    let before = store.queue_post(new_message(room, ada.id, "before"), None, Box::new(|_| {}));
    let lost = store.queue_post(new_message(gone, ada.id, "lost"), None, Box::new(|_| {}));
    let after = store.queue_post(new_message(room, ada.id, "after"), None, Box::new(|_| {}));

    assert_eq!(created(before.await.unwrap()).seq, Seq::new(1));
    assert!(matches!(lost.await, Err(RepoError::NotFound)));
    assert_eq!(created(after.await.unwrap()).seq, Seq::new(2));
}

#[test]
fn concurrent_posts_across_rooms_each_get_the_seq_their_event_records() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let rooms: Vec<Room> = (0..3)
        .map(|i| Room::Channel(add_channel(&store, &ws, ada.id, &format!("c{i}")).id))
        .collect();
    let store = Arc::new(store);

    let writers: Vec<_> = (0..12)
        .map(|w| {
            let store = Arc::clone(&store);
            let room = rooms[w % rooms.len()];
            thread::spawn(move || {
                (0..20)
                    .map(|i| {
                        let text = format!("w{w} m{i}");
                        let event = created(
                            store
                                .post_message(&new_message(room, ada.id, &text), None)
                                .unwrap(),
                        );
                        assert_eq!(event.message.content, text);
                        assert_eq!(event.message.room, room);
                        (room.id().get(), event.seq.get(), event.message.id.get())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut answered: Vec<(i64, i64, i64)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    answered.sort_unstable();

    let mut logged = Vec::new();
    for room in &rooms {
        let seqs: Vec<(i64, String, i64)> = events(&db.url, room.id());
        assert_eq!(
            seqs.iter().map(|(seq, _, _)| *seq).collect::<Vec<_>>(),
            (1..=80).collect::<Vec<_>>()
        );
        logged.extend(
            seqs.into_iter()
                .map(|(seq, _, id)| (room.id().get(), seq, id)),
        );
    }
    logged.sort_unstable();
    // What each poster was told is exactly what the log says.
    assert_eq!(answered, logged);
}

#[test]
fn rooms_count_their_seq_independently() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let a = Room::Channel(add_channel(&store, &ws, ada.id, "a").id);
    let b = Room::Channel(add_channel(&store, &ws, ada.id, "b").id);

    created(
        store
            .post_message(&new_message(a, ada.id, "1"), None)
            .unwrap(),
    );
    created(
        store
            .post_message(&new_message(a, ada.id, "2"), None)
            .unwrap(),
    );
    let first_in_b = created(
        store
            .post_message(&new_message(b, ada.id, "1"), None)
            .unwrap(),
    );

    assert_eq!(first_in_b.seq, Seq::new(1));
}

#[test]
fn an_idempotent_retry_returns_the_original_and_writes_nothing() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let msg = new_message(room, ada.id, "once");

    let first = created(store.post_message(&msg, idem("k-1", "fp")).unwrap());
    let again = store.post_message(&msg, idem("k-1", "fp")).unwrap();

    assert_eq!(again, Posted::Replayed(first.message.clone()));
    assert_eq!(events(&db.url, room.id()).len(), 1);
    assert!(matches!(
        store.post_message(&msg, idem("k-1", "other")),
        Err(RepoError::Duplicate)
    ));
}

#[test]
fn idempotency_keys_are_scoped_to_their_author() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);

    let a = created(
        store
            .post_message(&new_message(room, ada.id, "x"), idem("same", "fp"))
            .unwrap(),
    );
    let b = created(
        store
            .post_message(&new_message(room, bob.id, "x"), idem("same", "fp"))
            .unwrap(),
    );

    assert_ne!(a.message.id, b.message.id);
}

#[test]
fn concurrent_sends_with_one_key_create_one_message() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let store = Arc::new(store);

    let senders: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let posted = store
                    .post_message(&new_message(room, ada.id, "race"), idem("race-key", "fp"))
                    .unwrap();
                match posted {
                    Posted::Created(e) => recorded(e).message.id,
                    Posted::Replayed(m) => m.id,
                }
            })
        })
        .collect();
    let ids: HashSet<MessageId> = senders.into_iter().map(|s| s.join().unwrap()).collect();

    assert_eq!(ids.len(), 1);
    assert_eq!(events(&db.url, room.id()).len(), 1);
}

#[test]
fn expired_idempotency_keys_are_forgotten() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let first = created(
        store
            .post_message(&new_message(room, ada.id, "day one"), idem("k", "fp"))
            .unwrap(),
    );
    let mut conn = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&mut conn)
        .unwrap();

    let second = created(
        store
            .post_message(&new_message(room, ada.id, "day two"), idem("k", "fp2"))
            .unwrap(),
    );

    assert_ne!(first.message.id, second.message.id);
}

#[test]
fn history_pages_newest_first_by_keyset() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let ids: Vec<MessageId> = (0..5)
        .map(|i| {
            created(
                store
                    .post_message(&new_message(room, ada.id, &i.to_string()), None)
                    .unwrap(),
            )
            .message
            .id
        })
        .collect();

    let first = store.history(room, None, 2).unwrap();
    assert_eq!(
        first.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3]]
    );
    assert_eq!(first.next_cursor, Some(ids[3]));
    let second = store.history(room, first.next_cursor, 2).unwrap();
    assert_eq!(
        second.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let last = store.history(room, second.next_cursor, 2).unwrap();
    assert_eq!((last.messages.len(), last.next_cursor), (1, None));
}

#[test]
fn replies_belong_to_their_root_and_survive_its_deletion() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let root = created(
        store
            .post_message(&new_message(room, ada.id, "root"), None)
            .unwrap(),
    )
    .message;
    let mut reply = new_message(room, ada.id, "reply");
    reply.parent_id = Some(root.id);
    let reply = created(store.post_message(&reply, None).unwrap()).message;

    store.delete_message(root.id).unwrap();

    assert_eq!(store.replies(root.id).unwrap(), vec![reply]);
}

#[test]
fn attachments_are_stored_and_cleared_on_delete() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let mut msg = new_message(room, ada.id, "see file");
    msg.attachment_url = Some("https://files.example/a.png".into());

    let posted = created(store.post_message(&msg, None).unwrap()).message;
    assert_eq!(
        posted.attachment.as_ref().map(|a| a.url.as_str()),
        Some("https://files.example/a.png")
    );

    let deleted = made(store.delete_message(posted.id).unwrap()).message;
    assert_eq!(deleted.attachment, None);
}

#[test]
fn posting_to_a_deleted_room_is_not_found() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let channel = add_channel(&store, &ws, ada.id, "c");
    use concord_ports::ChannelRepository;
    store.delete_channel(channel.id).unwrap();

    let got = store.post_message(
        &new_message(Room::Channel(channel.id), ada.id, "late"),
        None,
    );

    assert!(matches!(got, Err(RepoError::NotFound)));
}

fn conversation(
    store: &PgStore,
    ws: &concord_domain::Workspace,
    creator: UserId,
    others: &[UserId],
) -> concord_domain::Conversation {
    store
        .create_conversation(
            ws.id,
            creator,
            &NewConversation::new(creator, Some("t".into()), others.iter().copied()),
            None,
        )
        .unwrap()
}

#[test]
fn conversations_list_their_participants_and_are_found_by_participant() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let cy = add_user(&store, "cy");
    let ws = add_workspace(&store, ada.id);

    let group = conversation(&store, &ws, ada.id, &[cy.id, bob.id, bob.id]);

    assert_eq!(group.participants, vec![ada.id, bob.id, cy.id]);
    assert_eq!(
        store.conversations_of_user(bob.id, Some(ws.id)).unwrap(),
        vec![group.clone()]
    );
    assert!(
        store
            .conversations_of_user(bob.id, Some(concord_domain::WorkspaceId::new(999)))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.conversation_by_id(group.id).unwrap(), Some(group));
}

#[test]
fn a_direct_key_finds_the_one_conversation_between_two_members() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let key = concord_domain::conversation::direct_key(ada.id, bob.id);

    let first = store
        .create_conversation(
            ws.id,
            ada.id,
            &NewConversation::new(ada.id, None, [bob.id]),
            Some(key.clone()),
        )
        .unwrap();
    let again = store
        .create_conversation(
            ws.id,
            bob.id,
            &NewConversation::new(bob.id, None, [ada.id]),
            Some(key),
        )
        .unwrap();

    assert_eq!(first.id, again.id);
}

#[test]
fn deleting_a_room_takes_its_messages_and_their_log() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let channel = add_channel(&store, &ws, ada.id, "doomed");
    let room = Room::Channel(channel.id);
    let m = created(
        store
            .post_message(&new_message(room, ada.id, "hi"), None)
            .unwrap(),
    )
    .message;
    store
        .edit_message(m.id, &MessageContent::parse("edited").unwrap(), &[])
        .unwrap();
    assert_eq!(events(&db.url, room.id()).len(), 2);

    use concord_ports::ChannelRepository;
    store.delete_channel(channel.id).unwrap();

    assert_eq!(store.message_by_id(m.id).unwrap(), None);
    assert_eq!(events(&db.url, room.id()), vec![]);
}

#[test]
fn deleting_a_conversation_takes_its_messages() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let conv = conversation(&store, &ws, ada.id, &[bob.id]);
    let room = Room::Conversation(conv.id);
    let m = created(
        store
            .post_message(&new_message(room, bob.id, "hi"), None)
            .unwrap(),
    )
    .message;

    store.delete_conversation(conv.id).unwrap();

    assert_eq!(store.message_by_id(m.id).unwrap(), None);
    assert_eq!(events(&db.url, room.id()), vec![]);
    assert!(matches!(
        store.delete_conversation(conv.id),
        Err(RepoError::NotFound)
    ));
}

/// Reads a page the async way, on a runtime of its own (the store's
/// blocking methods cannot run inside one).
fn read_page(
    runtime: &tokio::runtime::Runtime,
    store: &PgStore,
    room: Room,
    before: Option<MessageId>,
    limit: u32,
) -> concord_domain::Page {
    runtime
        .block_on(store.read_history(room, before, limit))
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn pages_read_without_blocking_are_the_pages_history_gives() {
    let (store, _db) = store();
    let rt = runtime();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "read").id);
    let elsewhere = Room::Channel(add_channel(&store, &ws, ada.id, "elsewhere").id);
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut msg = new_message(room, ada.id, &format!("m{i}"));
        if i == 2 {
            msg.attachment_url = Some("https://files.example/a.png".into());
        }
        ids.push(created(store.post_message(&msg, None).unwrap()).message.id);
        store
            .post_message(&new_message(elsewhere, ada.id, "noise"), None)
            .unwrap();
    }
    store.delete_message(ids[4]).unwrap();
    let reply = NewMessage {
        parent_id: Some(ids[0]),
        ..new_message(room, ada.id, "reply")
    };
    store.post_message(&reply, None).unwrap();

    // Page through with a cursor, then read the newest page and an empty room.
    let mut before = None;
    let mut seen = 0;
    loop {
        let page = read_page(&rt, &store, room, before, 3);
        assert_eq!(page, store.history(room, before, 3).unwrap());
        seen += page.messages.len();
        match page.next_cursor {
            Some(cursor) => before = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, 8);
    let newest = read_page(&rt, &store, room, None, 100);
    assert_eq!(newest.messages.len(), 8);
    assert_eq!(newest.messages[7].id, ids[0]);
    assert_eq!(
        newest.messages[5]
            .attachment
            .as_ref()
            .map(|a| a.url.as_str()),
        Some("https://files.example/a.png")
    );
    assert_eq!(newest.messages[3].content, DELETED_CONTENT);
    let unknown = Room::Channel(concord_domain::ChannelId::new(999_999));
    let nowhere = read_page(&rt, &store, unknown, None, 50);
    assert_eq!((nowhere.messages.len(), nowhere.next_cursor), (0, None));
}

#[test]
fn a_page_still_arrives_after_the_server_drops_the_readers_connection() {
    let (store, db) = store();
    let rt = runtime();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "dropped").id);
    let posted = created(
        store
            .post_message(&new_message(room, ada.id, "still here"), None)
            .unwrap(),
    );
    let first = read_page(&rt, &store, room, None, 50);

    let mut admin = PgConnection::establish(&db.url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Ended {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ended: bool,
    }
    let ended: Vec<Ended> = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = '{}'",
        concord_adapters::postgres::READER_APPLICATION_NAME
    ))
    .load(&mut admin)
    .unwrap();
    assert_eq!(ended.len(), 1, "the reader had one connection");
    assert!(ended[0].ended);

    let again = read_page(&rt, &store, room, None, 50);
    assert_eq!(again, first);
    assert_eq!(again.messages[0].id, posted.message.id);
}

#[test]
fn a_url_only_libpq_understands_still_gets_its_pages() {
    // `gssencmode` is libpq's alone: the async reader stands aside and the
    // page is read on the pool.
    let db = concord_tests::TestDb::new();
    let store = PgStore::connect(
        &format!("{}?gssencmode=disable", db.url),
        4,
        std::time::Duration::from_secs(5),
    )
    .expect("connect");
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "pooled").id);
    let posted = created(
        store
            .post_message(&new_message(room, ada.id, "via the pool"), None)
            .unwrap(),
    );
    let page = read_page(&runtime(), &store, room, None, 50);
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].id, posted.message.id);
}

#[test]
fn a_deleted_message_takes_no_edit_and_no_second_delete_and_its_room_keeps_its_seq() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let m = created(
        store
            .post_message(&new_message(room, ada.id, "secret"), None)
            .unwrap(),
    )
    .message;
    made(store.delete_message(m.id).unwrap());

    let edit = store
        .edit_message(m.id, &MessageContent::parse("secret again").unwrap(), &[])
        .unwrap();
    let delete = store.delete_message(m.id).unwrap();

    for change in [edit, delete] {
        let MessageChange::AlreadyDeleted(now) = change else {
            panic!("a tombstone changed: {change:?}");
        };
        assert_eq!(now.content, DELETED_CONTENT);
    }
    let next = created(
        store
            .post_message(&new_message(room, ada.id, "next"), None)
            .unwrap(),
    );
    assert_eq!(
        next.seq,
        Seq::new(3),
        "a refused change must not use up a seq"
    );
    let kinds: Vec<String> = events(&db.url, room.id())
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        kinds,
        ["message.created", "message.deleted", "message.created"]
    );
}

#[test]
fn concurrent_edits_never_outlive_a_concurrent_delete_and_it_is_logged_once() {
    let (store, db) = store();
    let store = Arc::new(store);
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    for round in 0..20 {
        let m = created(
            store
                .post_message(&new_message(room, ada.id, "original"), None)
                .unwrap(),
        )
        .message;
        let barrier = Arc::new(std::sync::Barrier::new(10));
        let workers: Vec<_> = (0..10)
            .map(|i| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    if i % 3 == 0 {
                        store.delete_message(m.id).unwrap();
                    } else {
                        let text = MessageContent::parse(&format!("edit {i}")).unwrap();
                        store.edit_message(m.id, &text, &[]).unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }

        let now = store.message_by_id(m.id).unwrap().unwrap();
        assert!(now.is_deleted(), "round {round}");
        assert_eq!(now.content, DELETED_CONTENT, "round {round}");
        let log: Vec<_> = events(&db.url, room.id())
            .into_iter()
            .filter(|e| e.2 == m.id.get())
            .map(|e| e.1)
            .collect();
        assert_eq!(
            log.iter().filter(|k| *k == "message.deleted").count(),
            1,
            "round {round}: {log:?}"
        );
        assert_eq!(
            log.last().map(String::as_str),
            Some("message.deleted"),
            "round {round}"
        );
        let replayed = store.events_after(room.id(), Seq::ZERO, 10_000).unwrap();
        assert!(
            replayed
                .into_iter()
                .map(recorded)
                .filter(|e| e.message.id == m.id)
                .all(|e| e.message.content == DELETED_CONTENT),
            "round {round}: replay shows deleted text"
        );
    }
}

#[tokio::test]
async fn keyed_posts_in_one_batch_are_exactly_once_beside_plain_ones() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let earlier = created(
        store
            .queue_post(
                new_message(room, ada.id, "earlier"),
                idem("old", "fp-old"),
                Box::new(|_| {}),
            )
            .await
            .unwrap(),
    );

    // Handed over together, so that they share batches.
    let queued: Vec<_> = [
        (ada.id, "plain", None),
        (ada.id, "twin", idem("k1", "fp1")),
        (bob.id, "bob's own", idem("k1", "fp1")),
        (ada.id, "twin", idem("k1", "fp1")),
        (ada.id, "other body", idem("k1", "fp-other")),
        (ada.id, "earlier", idem("old", "fp-old")),
        (ada.id, "changed", idem("old", "fp-changed")),
        (ada.id, "fresh", idem("k2", "fp2")),
    ]
    .into_iter()
    .map(|(author, text, key)| {
        store.queue_post(new_message(room, author, text), key, Box::new(|_| {}))
    })
    .collect();
    let mut answers = Vec::new();
    for pending in queued {
        answers.push(pending.await);
    }

    let id = |answer: &Result<Posted, RepoError>| match answer {
        Ok(Posted::Created(e)) => recorded(e.clone()).message.id,
        Ok(Posted::Replayed(m)) => m.id,
        Err(e) => panic!("{e:?}"),
    };
    assert!(matches!(answers[0], Ok(Posted::Created(_))));
    assert!(matches!(answers[1], Ok(Posted::Created(_))));
    assert!(matches!(answers[2], Ok(Posted::Created(_))));
    assert_ne!(
        id(&answers[1]),
        id(&answers[2]),
        "keys belong to their author"
    );
    assert!(matches!(answers[3], Ok(Posted::Replayed(_))));
    assert_eq!(id(&answers[3]), id(&answers[1]));
    assert!(matches!(answers[4], Err(RepoError::Duplicate)));
    assert!(matches!(answers[5], Ok(Posted::Replayed(_))));
    assert_eq!(id(&answers[5]), earlier.message.id);
    assert!(matches!(answers[6], Err(RepoError::Duplicate)));
    assert!(matches!(answers[7], Ok(Posted::Created(_))));
    // earlier + plain + twin + bob's + fresh: nothing else was stored or logged.
    assert_eq!(events(&db.url, room.id()).len(), 5);
    let seqs: Vec<i64> = events(&db.url, room.id()).iter().map(|e| e.0).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn one_key_raced_through_two_stores_creates_one_message() {
    let (first, db) = store();
    let second = PgStore::connect(&db.url, 2, std::time::Duration::from_secs(5)).unwrap();
    let ada = add_user(&first, "ada");
    let ws = add_workspace(&first, ada.id);
    let room = Room::Channel(add_channel(&first, &ws, ada.id, "c").id);

    for round in 0..10 {
        let key = format!("race-{round}");
        let pending: Vec<_> = (0..6)
            .map(|i| {
                let store = if i % 2 == 0 { &first } else { &second };
                store.queue_post(
                    new_message(room, ada.id, "race"),
                    idem(&key, "fp"),
                    Box::new(|_| {}),
                )
            })
            .collect();
        let mut ids = HashSet::new();
        for p in pending {
            ids.insert(match p.await.unwrap() {
                Posted::Created(e) => recorded(e).message.id,
                Posted::Replayed(m) => m.id,
            });
        }
        assert_eq!(ids.len(), 1, "round {round}");
    }
    assert_eq!(events(&db.url, room.id()).len(), 10);
}
