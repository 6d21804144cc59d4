//! Reaction toggles through the store's group commit: toggles that share
//! one transaction decide exactly as one transaction each would, in the
//! order they arrived, and record one event per changed message.
//!
//! To put toggles in one batch for certain, a test holds the lock of
//! another room, hands the writer a toggle there (it waits on that lock),
//! queues the batch under test behind it and then lets go.

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use concord_adapters::PgStore;
use concord_domain::{
    Emoji, Message, MessageContent, MessageId, NewMessage, Room, RoomEventKind, Seq, UserId,
};
use concord_ports::{MessageRepository, Posted, RepoError, Toggled};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use futures_util::future::join_all;

use super::{add_channel, add_user, add_workspace, store};

fn emoji(s: &str) -> Emoji {
    Emoji::parse(s).unwrap()
}

fn post(store: &PgStore, room: Room, author: UserId, text: &str) -> Message {
    let posted = store
        .post_message(
            &NewMessage {
                room,
                author_id: author,
                parent_id: None,
                content: MessageContent::parse(text).unwrap(),
                attachment_url: None,
                mentions: Vec::new(),
            },
            None,
        )
        .unwrap();
    match posted {
        Posted::Created(event) => event.payload.message().clone(),
        Posted::Replayed(m) => panic!("a fresh post replayed {:?}", m.id),
    }
}

/// A channel with one message in it, and `users` more users to react.
struct World {
    store: PgStore,
    db: concord_tests::TestDb,
    room: Room,
    message: Message,
    users: Vec<UserId>,
    /// A second channel of the same workspace, whose lock holds the writer.
    blocker: Room,
    blocker_message: MessageId,
}

fn world(users: usize) -> World {
    let (store, db) = store();
    let owner = add_user(&store, "owner");
    let ws = add_workspace(&store, owner.id);
    let room = Room::Channel(add_channel(&store, &ws, owner.id, "hot").id);
    let blocker = Room::Channel(add_channel(&store, &ws, owner.id, "blocker").id);
    let message = post(&store, room, owner.id, "react here");
    let blocker_message = post(&store, blocker, owner.id, "hold").id;
    let users = (0..users)
        .map(|i| add_user(&store, &format!("user{i}")).id)
        .collect();
    World {
        store,
        db,
        room,
        message,
        users,
        blocker,
        blocker_message,
    }
}

/// `(seq, kind, message id)` of every event of `room` after `after`.
fn events_after(db_url: &str, room: Room, after: i64) -> Vec<(i64, String, i64)> {
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
        "SELECT seq, kind, message_id FROM message_events \
         WHERE room_id = {} AND seq > {after} ORDER BY seq",
        room.id()
    ))
    .load(&mut conn)
    .unwrap();
    rows.into_iter()
        .map(|r| (r.seq, r.kind, r.message_id))
        .collect()
}

/// Per emoji of `message`: how many reactions are stored.
fn stored_counts(db_url: &str, message: MessageId) -> Vec<(String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        emoji: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(db_url).unwrap();
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT emoji, count(*) AS n FROM message_reactions \
         WHERE message_id = {message} GROUP BY emoji ORDER BY min(id)"
    ))
    .load(&mut conn)
    .unwrap();
    rows.into_iter().map(|r| (r.emoji, r.n)).collect()
}

/// The message's summary as every read shows it: (emoji, count, user ids).
fn shown(store: &PgStore, message: MessageId) -> Vec<(String, u32, Vec<UserId>)> {
    store
        .message_by_id(message)
        .unwrap()
        .unwrap()
        .reactions
        .into_iter()
        .map(|r| (r.emoji, r.count, r.user_ids))
        .collect()
}

type Answer = Result<Toggled, RepoError>;

/// Applies the toggles `queue` hands over as one batch, and answers them.
///
/// Holds the blocker room's lock on a connection of its own, hands the
/// writer a toggle in that room and waits until the writer waits on the
/// lock; whatever `queue` hands over meanwhile is applied in one batch
/// once the lock is let go.
fn one_batch<F>(w: &World, queue: impl FnOnce(&PgStore) -> Vec<F>) -> Vec<Answer>
where
    F: Future<Output = Answer>,
{
    let mut conn = PgConnection::establish(&w.db.url).unwrap();
    conn.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM channels WHERE id = {} FOR UPDATE;",
        w.blocker.id()
    ))
    .unwrap();
    let held = w
        .store
        .queue_reaction(w.blocker_message, w.users[0], &emoji(":hold:"), true);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        #[derive(diesel::QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let waiting: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(&mut conn)
        .unwrap();
        if waiting.n > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the writer never waited on the lock"
        );
        thread::sleep(Duration::from_millis(5));
    }
    let pending = queue(&w.store);
    conn.batch_execute("COMMIT").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let held = held.await;
        assert!(held.is_ok(), "{held:?}");
        join_all(pending).await
    })
}

/// What an answer says, for comparing whole batches at a glance.
fn kind(answer: &Answer) -> &'static str {
    match answer {
        Ok(Toggled::Made(_)) => "made",
        Ok(Toggled::Shared(_)) => "shared",
        Ok(Toggled::Unchanged(_)) => "unchanged",
        Ok(Toggled::Deleted) => "deleted",
        Ok(Toggled::Full) => "full",
        Err(RepoError::NotFound) => "not found",
        Err(_) => "error",
    }
}

fn last_seq(w: &World) -> i64 {
    events_after(&w.db.url, w.room, 0)
        .last()
        .map_or(0, |(seq, _, _)| *seq)
}

#[test]
fn many_users_toggling_one_message_at_once_keep_its_counts_exact() {
    let w = world(16);
    let store = Arc::new(w.store.clone());
    let message = w.message.id;
    let seq_before = last_seq(&w);

    // Each user toggles two emoji of its own choosing on and off, and ends
    // with its first one on: 16 threads racing on one row.
    let togglers: Vec<_> = w
        .users
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let mine = [emoji(&format!(":e{}:", i % 3)), emoji(":all:")];
                let mut made = 0;
                for round in 0..15 {
                    for e in &mine {
                        let answer = store.set_reaction(message, user, e, round % 2 == 0);
                        if let Ok(Toggled::Made(_)) = answer {
                            made += 1;
                        }
                        assert!(
                            matches!(answer, Ok(Toggled::Made(_) | Toggled::Shared(_))),
                            "{answer:?}"
                        );
                    }
                }
                // the 15th round (even) left both on; take the second back
                let last = store.set_reaction(message, user, &mine[1], false);
                assert!(matches!(last, Ok(Toggled::Made(_) | Toggled::Shared(_))));
                made + usize::from(matches!(last, Ok(Toggled::Made(_))))
            })
        })
        .collect();
    let made: usize = togglers.into_iter().map(|t| t.join().unwrap()).sum();

    let expected = |e: &str| (0..16).filter(|i| format!(":e{}:", i % 3) == e).count() as u32;
    let summary = shown(&w.store, message);
    let mut emoji_shown: Vec<&str> = summary.iter().map(|(e, _, _)| e.as_str()).collect();
    emoji_shown.sort_unstable();
    assert_eq!(emoji_shown, vec![":e0:", ":e1:", ":e2:"]);
    for (e, count, users) in &summary {
        assert_eq!(*count, expected(e), "{e}");
        assert_eq!(users.len(), *count as usize, "{e}");
    }
    let stored = stored_counts(&w.db.url, message);
    let stored: Vec<(String, u32)> = stored.into_iter().map(|(e, n)| (e, n as u32)).collect();
    let shown_counts: Vec<(String, u32)> = summary.into_iter().map(|(e, n, _)| (e, n)).collect();
    assert_eq!(shown_counts, stored, "the summary disagrees with the rows");

    // Every event is one a caller was handed to publish, and the log
    // stays gapless.
    let events = events_after(&w.db.url, w.room, seq_before);
    assert_eq!(events.len(), made);
    let seqs: Vec<i64> = events.iter().map(|(seq, _, _)| *seq).collect();
    assert_eq!(
        seqs,
        (seq_before + 1..=seq_before + made as i64).collect::<Vec<_>>()
    );
    assert!(
        events
            .iter()
            .all(|(_, kind, id)| kind == RoomEventKind::MESSAGE_REACTIONS && *id == message.get())
    );
}

#[test]
fn toggles_in_one_batch_share_one_event_that_one_caller_publishes() {
    let w = world(3);
    let (a, b, c) = (w.users[0], w.users[1], w.users[2]);
    let seq_before = last_seq(&w);
    let thumbs = emoji("👍");

    let answers = one_batch(&w, |store| {
        let pending = [
            store.queue_reaction(w.message.id, a, &thumbs, true),
            store.queue_reaction(w.message.id, b, &thumbs, true),
            store.queue_reaction(w.message.id, a, &thumbs, true),
            store.queue_reaction(w.message.id, c, &emoji(":tada:"), true),
        ];
        pending.into_iter().collect()
    });

    let kinds: Vec<&str> = answers.iter().map(kind).collect();
    assert_eq!(kinds, ["made", "shared", "unchanged", "shared"]);
    let Ok(Toggled::Made(event)) = &answers[0] else {
        unreachable!()
    };
    // The one event carries the batch's final state, with the next seq.
    assert_eq!(event.seq, Seq::new(seq_before + 1));
    let summary = shown(&w.store, w.message.id);
    assert_eq!(
        summary,
        vec![("👍".into(), 2, vec![a, b]), (":tada:".into(), 1, vec![c]),]
    );
    assert_eq!(event.payload.message().reactions.len(), 2);
    assert_eq!(
        event.payload.message(),
        &w.store.message_by_id(w.message.id).unwrap().unwrap()
    );
    for answer in &answers[1..] {
        if let Ok(Toggled::Shared(m) | Toggled::Unchanged(m)) = answer {
            assert_eq!(m, event.payload.message());
        }
    }
    assert_eq!(
        events_after(&w.db.url, w.room, seq_before),
        vec![(
            seq_before + 1,
            RoomEventKind::MESSAGE_REACTIONS.into(),
            w.message.id.get()
        )]
    );
}

#[test]
fn a_toggle_on_a_deleted_message_is_refused_alone_in_its_batch() {
    let w = world(2);
    let (a, b) = (w.users[0], w.users[1]);
    let gone = post(&w.store, w.room, a, "soon gone").id;
    w.store.delete_message(gone).unwrap();
    let seq_before = last_seq(&w);

    let answers = one_batch(&w, |store| {
        let pending = [
            store.queue_reaction(w.message.id, a, &emoji(":ok:"), true),
            store.queue_reaction(gone, a, &emoji(":ok:"), true),
            store.queue_reaction(MessageId::new(i64::MAX), a, &emoji(":ok:"), true),
            store.queue_reaction(w.message.id, b, &emoji(":ok:"), true),
        ];
        pending.into_iter().collect()
    });

    let kinds: Vec<&str> = answers.iter().map(kind).collect();
    assert_eq!(kinds, ["made", "deleted", "not found", "shared"]);
    assert_eq!(
        shown(&w.store, w.message.id),
        vec![(":ok:".into(), 2, vec![a, b])]
    );
    assert!(shown(&w.store, gone).is_empty());
    assert!(stored_counts(&w.db.url, gone).is_empty());
    let events = events_after(&w.db.url, w.room, seq_before);
    assert_eq!(
        events,
        vec![(
            seq_before + 1,
            RoomEventKind::MESSAGE_REACTIONS.into(),
            w.message.id.get()
        )]
    );
}

#[test]
fn the_emoji_bound_refuses_only_the_toggles_past_it_inside_one_batch() {
    let w = world(2);
    let (a, b) = (w.users[0], w.users[1]);

    let answers = one_batch(&w, |store| {
        let mut pending: Vec<_> = (0..20)
            .map(|i| store.queue_reaction(w.message.id, a, &emoji(&format!(":e{i}:")), true))
            .collect();
        // the 21st emoji is refused, another user on an emoji in use is not;
        // once :e0: is gone, a new emoji fits again
        pending.push(store.queue_reaction(w.message.id, b, &emoji(":late:"), true));
        pending.push(store.queue_reaction(w.message.id, b, &emoji(":e5:"), true));
        pending.push(store.queue_reaction(w.message.id, a, &emoji(":e0:"), false));
        pending.push(store.queue_reaction(w.message.id, b, &emoji(":late:"), true));
        pending.push(store.queue_reaction(w.message.id, b, &emoji(":later:"), true));
        pending.into_iter().collect()
    });

    let kinds: Vec<&str> = answers.iter().map(kind).collect();
    let mut expected = vec!["made"];
    expected.extend(["shared"; 19]);
    expected.extend(["full", "shared", "shared", "shared", "full"]);
    assert_eq!(kinds, expected);
    let summary = shown(&w.store, w.message.id);
    let names: Vec<&str> = summary.iter().map(|(e, _, _)| e.as_str()).collect();
    let mut wanted: Vec<String> = (1..20).map(|i| format!(":e{i}:")).collect();
    wanted.push(":late:".into());
    assert_eq!(names, wanted);
    assert_eq!(summary[4], (":e5:".into(), 2, vec![a, b]));
}

#[test]
fn an_add_and_its_removal_in_one_batch_leave_the_message_as_it_was() {
    let w = world(2);
    let (a, b) = (w.users[0], w.users[1]);
    let wave = emoji("👋");

    // Alone in a batch, they cancel out: nothing written, no event.
    let seq_before = last_seq(&w);
    let answers = one_batch(&w, |store| {
        let pending = [
            store.queue_reaction(w.message.id, a, &wave, true),
            store.queue_reaction(w.message.id, a, &wave, false),
        ];
        pending.into_iter().collect()
    });
    let kinds: Vec<&str> = answers.iter().map(kind).collect();
    assert_eq!(kinds, ["shared", "shared"]);
    assert!(shown(&w.store, w.message.id).is_empty());
    assert!(events_after(&w.db.url, w.room, seq_before).is_empty());

    // Beside another user's reaction, only that one stays, and a reaction
    // taken back and given again moves behind the others.
    w.store.set_reaction(w.message.id, a, &wave, true).unwrap();
    let answers = one_batch(&w, |store| {
        let pending = [
            store.queue_reaction(w.message.id, a, &wave, false),
            store.queue_reaction(w.message.id, b, &wave, true),
            store.queue_reaction(w.message.id, a, &wave, true),
            store.queue_reaction(w.message.id, b, &emoji(":x:"), true),
            store.queue_reaction(w.message.id, b, &emoji(":x:"), false),
        ];
        pending.into_iter().collect()
    });
    let kinds: Vec<&str> = answers.iter().map(kind).collect();
    assert_eq!(kinds, ["made", "shared", "shared", "shared", "shared"]);
    assert_eq!(
        shown(&w.store, w.message.id),
        vec![("👋".into(), 2, vec![b, a])]
    );
}

#[test]
fn a_batch_that_fails_retries_each_toggle_alone_and_fails_only_the_bad_one() {
    let w = world(2);
    let (a, b) = (w.users[0], w.users[1]);
    let seq_before = last_seq(&w);
    // No such user: its insert breaks the batch's foreign key.
    let nobody = UserId::new(i64::MAX);

    let answers = one_batch(&w, |store| {
        let pending = [
            store.queue_reaction(w.message.id, a, &emoji(":ok:"), true),
            store.queue_reaction(w.message.id, nobody, &emoji(":ok:"), true),
            store.queue_reaction(w.message.id, b, &emoji(":ok:"), true),
        ];
        pending.into_iter().collect()
    });
    let kinds: Vec<&str> = answers.iter().map(kind).collect();

    // Alone, each innocent toggle is a transaction and an event of its own.
    assert_eq!(kinds, ["made", "not found", "made"]);
    assert_eq!(
        shown(&w.store, w.message.id),
        vec![(":ok:".into(), 2, vec![a, b])]
    );
    let seqs: Vec<i64> = events_after(&w.db.url, w.room, seq_before)
        .into_iter()
        .map(|(seq, _, _)| seq)
        .collect();
    assert_eq!(seqs, vec![seq_before + 1, seq_before + 2]);
}
