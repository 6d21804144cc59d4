//! History after and around a message against Postgres: keyset pages
//! forward, windows centred on a message, and cursors that chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use concord_adapters::PgStore;
use concord_domain::{MessageContent, MessageId, NewMessage, Page, Room, UserId, Window};
use concord_ports::{MessageRepository, Posted};

use super::{add_channel, add_user, add_workspace, store};

fn post(store: &PgStore, room: Room, author: UserId, text: &str) -> MessageId {
    let new = NewMessage {
        room,
        author_id: author,
        parent_id: None,
        content: MessageContent::parse(text).unwrap(),
        attachment_url: None,
        mentions: Vec::new(),
    };
    match store.post_message(&new, None).unwrap() {
        Posted::Created(event) => event.payload.message().id,
        Posted::Replayed(m) => panic!("replayed {:?}", m.id),
    }
}

/// A channel holding `n` messages, interleaved with messages of a second
/// channel; returns the store, its database, the room and its message ids
/// oldest first, and the other room's ids.
fn busy_room(n: usize) -> (PgStore, concord_tests::TestDb, Room, Vec<i64>, Vec<i64>) {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "here").id);
    let elsewhere = Room::Channel(add_channel(&store, &ws, ada.id, "there").id);
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..n {
        mine.push(post(&store, room, ada.id, &format!("m{i}")).get());
        if i % 3 == 0 {
            theirs.push(post(&store, elsewhere, ada.id, "noise").get());
        }
    }
    (store, db, room, mine, theirs)
}

fn ids_of(messages: &[concord_domain::Message]) -> Vec<i64> {
    messages.iter().map(|m| m.id.get()).collect()
}

fn page_ids(page: &Page) -> (Vec<i64>, Option<i64>) {
    (ids_of(&page.messages), page.next_cursor.map(MessageId::get))
}

fn window_ids(w: &Window) -> (Vec<i64>, Option<i64>, Option<i64>) {
    (
        ids_of(&w.messages),
        w.next_cursor.map(MessageId::get),
        w.prev_cursor.map(MessageId::get),
    )
}

fn id(raw: i64) -> MessageId {
    MessageId::new(raw)
}

fn newest_first(ids: &[i64]) -> Vec<i64> {
    ids.iter().rev().copied().collect()
}

#[test]
fn after_pages_forward_oldest_first_to_the_newest_without_gap_or_repeat() {
    let (store, _db, room, all, _) = busy_room(13);

    for limit in [1, 2, 4, 5, 13, 100] {
        let mut seen: Vec<i64> = Vec::new();
        // From before the first message: its id less one is no message.
        let mut after = all[0] - 1;
        loop {
            let page = store.history_after(room, id(after), limit).unwrap();
            let (ids, next) = page_ids(&page);
            assert!(ids.len() <= limit as usize, "limit {limit}: {ids:?}");
            seen.extend(&ids);
            match next {
                Some(next) => {
                    assert_eq!(Some(&next), ids.last(), "the cursor is the page's newest");
                    after = next;
                }
                None => break,
            }
            assert!(seen.len() <= all.len(), "paging does not end");
        }
        assert_eq!(seen, all, "limit {limit}");
    }
}

#[test]
fn after_the_newest_message_is_an_empty_page_with_no_cursor() {
    let (store, _db, room, all, _) = busy_room(4);

    let last = store.history_after(room, id(all[3]), 10).unwrap();
    assert_eq!(page_ids(&last), (vec![], None));
    let exact = store.history_after(room, id(all[1]), 2).unwrap();
    assert_eq!(
        page_ids(&exact),
        (all[2..].to_vec(), None),
        "a page that reaches the newest has no cursor"
    );
    let short = store.history_after(room, id(all[0]), 2).unwrap();
    assert_eq!(page_ids(&short), (all[1..3].to_vec(), Some(all[2])));
}

#[test]
fn around_centres_on_its_anchor_newest_first_and_splits_the_limit() {
    let (store, _db, room, all, _) = busy_room(20);
    let at = |i: usize| all[i];

    // Odd: the anchor, 2 newer, 2 older.
    let w = store.history_around(room, id(at(10)), 5).unwrap();
    assert_eq!(
        window_ids(&w),
        (
            vec![at(12), at(11), at(10), at(9), at(8)],
            Some(at(8)),
            Some(at(12))
        )
    );
    // Even: the anchor, 2 newer, 3 older.
    let w = store.history_around(room, id(at(10)), 6).unwrap();
    assert_eq!(
        ids_of(&w.messages),
        [at(12), at(11), at(10), at(9), at(8), at(7)]
    );
    // One: the anchor alone, with a way on either side.
    let w = store.history_around(room, id(at(10)), 1).unwrap();
    assert_eq!(window_ids(&w), (vec![at(10)], Some(at(10)), Some(at(10))));
}

#[test]
fn around_near_either_end_stays_centred_and_has_no_cursor_past_the_end() {
    let (store, _db, room, all, _) = busy_room(10);

    let newest = store.history_around(room, id(all[9]), 5).unwrap();
    assert_eq!(
        window_ids(&newest),
        (newest_first(&all[7..]), Some(all[7]), None)
    );
    let oldest = store.history_around(room, id(all[0]), 5).unwrap();
    assert_eq!(
        window_ids(&oldest),
        (newest_first(&all[..3]), None, Some(all[2]))
    );
    let whole = store.history_around(room, id(all[5]), 100).unwrap();
    assert_eq!(window_ids(&whole), (newest_first(&all), None, None));
}

#[test]
fn around_cursors_chain_into_before_and_after_pages_that_cover_the_room_once() {
    let (store, _db, room, all, _) = busy_room(17);

    let w = store.history_around(room, id(all[8]), 5).unwrap();
    let mut seen = ids_of(&w.messages);
    // Older: `before` pages from next_cursor.
    let mut before = w.next_cursor;
    while let Some(cursor) = before {
        let page = store.history(room, Some(cursor), 3).unwrap();
        seen.extend(ids_of(&page.messages));
        before = page.next_cursor;
    }
    // Newer: `after` pages from prev_cursor.
    let mut newer = Vec::new();
    let mut after = w.prev_cursor;
    while let Some(cursor) = after {
        let page = store.history_after(room, cursor, 3).unwrap();
        newer.extend(ids_of(&page.messages));
        after = page.next_cursor;
    }
    let mut everything = newest_first(&newer);
    everything.extend(seen);
    assert_eq!(everything, newest_first(&all));
}

#[test]
fn an_anchor_from_another_room_centres_the_page_on_its_place_without_it() {
    let (store, _db, room, all, theirs) = busy_room(12);
    // theirs[2] was posted right after all[6].
    let foreign = theirs[2];
    assert!(all[6] < foreign && foreign < all[7]);

    let w = store.history_around(room, id(foreign), 5).unwrap();
    assert_eq!(
        window_ids(&w),
        (
            vec![all[8], all[7], all[6], all[5], all[4]],
            Some(all[4]),
            Some(all[8])
        ),
        "2 newer, and the anchor's place goes to the older side"
    );
    // An id past every message: the newest page, nothing newer.
    let w = store.history_around(room, id(i64::MAX), 3).unwrap();
    assert_eq!(
        window_ids(&w),
        (newest_first(&all[10..]), Some(all[10]), None)
    );
}

#[test]
fn a_room_with_no_messages_has_empty_pages_both_ways() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "quiet").id);

    assert_eq!(
        page_ids(&store.history_after(room, id(1), 50).unwrap()),
        (vec![], None)
    );
    assert_eq!(
        window_ids(&store.history_around(room, id(1), 50).unwrap()),
        (vec![], None, None)
    );
}

#[test]
fn paging_forward_while_others_post_never_skips_or_repeats_a_message() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "live").id);
    let first = post(&store, room, ada.id, "start");
    let store = Arc::new(store);
    let done = Arc::new(AtomicBool::new(false));

    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                (0..40)
                    .map(|i| post(&store, room, ada.id, &format!("w{w} m{i}")).get())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let reader = {
        let store = Arc::clone(&store);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut seen = vec![first.get()];
            let mut after = first;
            // Read forward until the writers are done and the last page,
            // read after that, reached the newest.
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = store.history_after(room, after, 7).unwrap();
                if let Some(last) = page.messages.last() {
                    after = last.id;
                }
                seen.extend(ids_of(&page.messages));
                if finished && page.next_cursor.is_none() {
                    return seen;
                }
            }
        })
    };
    let mut written = vec![first.get()];
    for w in writers {
        written.extend(w.join().unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();

    written.sort_unstable();
    assert_eq!(seen, written, "every message once, oldest first");
}
