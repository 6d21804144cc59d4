//! `MessageSearch` on Postgres: what the query syntax finds, in which rooms,
//! by whom, in which order and pages, and what it never finds.

use concord_adapters::PgStore;
use concord_domain::{
    Message, MessageContent, MessageId, NewConversation, NewMessage, Room, RoomId, SearchQuery,
    UserId,
};
use concord_ports::{ConversationRepository, Found, MessageRepository, MessageSearch, Posted};

use super::{add_channel, add_user, add_workspace, store};

fn post(store: &PgStore, room: Room, author: UserId, text: &str) -> Message {
    let new = NewMessage {
        room,
        author_id: author,
        parent_id: None,
        content: MessageContent::parse(text).unwrap(),
        attachment_url: None,
        mentions: Vec::new(),
    };
    match store.post_message(&new, None).unwrap() {
        Posted::Created(event) => event.payload.message().clone(),
        Posted::Replayed(m) => panic!("expected a new message, got a replay of {:?}", m.id),
    }
}

/// One page of `q` in `rooms`: its message ids, newest first, and its cursor.
fn search(
    store: &PgStore,
    q: &str,
    rooms: &[Room],
    author: Option<UserId>,
    before: Option<MessageId>,
    limit: u32,
) -> (Vec<MessageId>, Option<MessageId>) {
    let rooms: Vec<RoomId> = rooms.iter().map(|r| r.id()).collect();
    match store
        .search_messages(
            &SearchQuery::parse(q).unwrap(),
            &rooms,
            author,
            before,
            limit,
        )
        .unwrap()
    {
        Found::Page(page) => (
            page.messages.iter().map(|m| m.id).collect(),
            page.next_cursor,
        ),
        Found::NothingToFind => panic!("{q:?} was taken for naming nothing to find"),
    }
}

fn found(store: &PgStore, q: &str, rooms: &[Room]) -> Vec<MessageId> {
    search(store, q, rooms, None, None, 100).0
}

fn newest_first(messages: &[&Message]) -> Vec<MessageId> {
    let mut ids: Vec<MessageId> = messages.iter().map(|m| m.id).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

#[test]
fn words_phrases_exclusions_and_or_find_what_a_web_search_would() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let big_cat = post(&store, room, ada.id, "The big cat sat on the mat");
    let cat_big = post(&store, room, ada.id, "A cat, big and grumpy");
    let dog = post(&store, room, ada.id, "The big dog barked");
    let both = post(&store, room, ada.id, "cat and dog, friends at last");
    let rooms = [room];

    assert_eq!(
        found(&store, "cat", &rooms),
        newest_first(&[&big_cat, &cat_big, &both])
    );
    assert_eq!(
        found(&store, "CAT Big", &rooms),
        newest_first(&[&big_cat, &cat_big]),
        "words are compared without case, and all must appear"
    );
    assert_eq!(
        found(&store, "\"big cat\"", &rooms),
        vec![big_cat.id],
        "a phrase needs its words in order, side by side"
    );
    assert_eq!(
        found(&store, "cat -dog", &rooms),
        newest_first(&[&big_cat, &cat_big])
    );
    assert_eq!(
        found(&store, "barked or grumpy", &rooms),
        newest_first(&[&dog, &cat_big])
    );
    assert_eq!(found(&store, "cats", &rooms), vec![], "no stemming");
}

#[test]
fn words_of_any_script_are_found_as_typed_whatever_their_case() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let russian = post(&store, room, ada.id, "Привет, МИР и всем");
    let japanese = post(&store, room, ada.id, "東京 タワー に 行きました");
    let greek = post(&store, room, ada.id, "Καλημέρα κόσμε");
    let rooms = [room];

    assert_eq!(found(&store, "мир", &rooms), vec![russian.id]);
    assert_eq!(found(&store, "ПРИВЕТ всем", &rooms), vec![russian.id]);
    assert_eq!(found(&store, "タワー", &rooms), vec![japanese.id]);
    assert_eq!(found(&store, "\"東京 タワー\"", &rooms), vec![japanese.id]);
    assert_eq!(found(&store, "ΚΌΣΜΕ", &rooms), vec![greek.id]);
}

#[test]
fn only_the_rooms_given_are_searched() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let here = Room::Channel(add_channel(&store, &ws, ada.id, "here").id);
    let there = Room::Channel(add_channel(&store, &ws, ada.id, "there").id);
    let dm = store
        .create_conversation(
            ws.id,
            ada.id,
            &NewConversation::new(ada.id, None, [bob.id]),
            None,
        )
        .unwrap();
    let dm = Room::Conversation(dm.id);
    let in_here = post(&store, here, ada.id, "launch plans");
    let in_there = post(&store, there, ada.id, "launch party");
    let in_dm = post(&store, dm, bob.id, "launch secrets");

    assert_eq!(found(&store, "launch", &[here]), vec![in_here.id]);
    assert_eq!(
        found(&store, "launch", &[here, dm]),
        newest_first(&[&in_here, &in_dm])
    );
    assert_eq!(
        found(&store, "launch", &[here, there, dm]),
        newest_first(&[&in_here, &in_there, &in_dm])
    );
    assert_eq!(found(&store, "launch", &[]), vec![]);
}

#[test]
fn deleted_messages_are_never_found_and_edits_only_by_their_new_text() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let deleted = post(&store, room, ada.id, "the password is swordfish");
    let edited = post(&store, room, ada.id, "meet at noon");
    store.delete_message(deleted.id).unwrap();
    store
        .edit_message(
            edited.id,
            &MessageContent::parse("meet at dusk").unwrap(),
            &[],
        )
        .unwrap();
    let rooms = [room];

    assert_eq!(found(&store, "swordfish", &rooms), vec![]);
    assert_eq!(
        found(&store, "deleted", &rooms),
        vec![],
        "nor by the tombstone's text"
    );
    assert_eq!(found(&store, "noon", &rooms), vec![]);
    assert_eq!(found(&store, "dusk", &rooms), vec![edited.id]);
    let page = match store
        .search_messages(
            &SearchQuery::parse("dusk").unwrap(),
            &[room.id()],
            None,
            None,
            10,
        )
        .unwrap()
    {
        Found::Page(page) => page,
        Found::NothingToFind => panic!("dusk names a word"),
    };
    assert_eq!(
        page.messages,
        vec![store.message_by_id(edited.id).unwrap().unwrap()],
        "a found message is the message as history shows it"
    );
}

#[test]
fn an_author_narrows_the_search_to_their_messages() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let by_ada = post(&store, room, ada.id, "release notes");
    let by_bob = post(&store, room, bob.id, "release date");

    let of = |author| search(&store, "release", &[room], Some(author), None, 10).0;
    assert_eq!(of(ada.id), vec![by_ada.id]);
    assert_eq!(of(bob.id), vec![by_bob.id]);
}

#[test]
fn pages_go_back_newest_first_by_keyset_without_repeating() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    let mut hits = Vec::new();
    for i in 0..7 {
        hits.push(post(&store, room, ada.id, &format!("report {i}")));
        post(&store, room, ada.id, &format!("noise {i}"));
    }
    let all = newest_first(&hits.iter().collect::<Vec<_>>());

    let (first, cursor) = search(&store, "report", &[room], None, None, 3);
    assert_eq!((first.as_slice(), cursor), (&all[..3], Some(all[2])));
    let (second, cursor) = search(&store, "report", &[room], None, cursor, 3);
    assert_eq!((second.as_slice(), cursor), (&all[3..6], Some(all[5])));
    let (last, cursor) = search(&store, "report", &[room], None, cursor, 3);
    assert_eq!((last.as_slice(), cursor), (&all[6..], None));
}

#[test]
fn a_query_naming_nothing_to_find_is_told_apart_from_one_finding_nothing() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let room = Room::Channel(add_channel(&store, &ws, ada.id, "c").id);
    post(&store, room, ada.id, "anything at all");

    for q in ["-anything", "\"\"", "!!! ???", "- -", "-anything -at"] {
        let got = store
            .search_messages(
                &SearchQuery::parse(q).unwrap(),
                &[room.id()],
                None,
                None,
                10,
            )
            .unwrap();
        assert_eq!(got, Found::NothingToFind, "{q:?}");
    }
    for q in [
        "nothing",
        "'; DROP TABLE messages; --",
        "\"unclosed phrase",
        "or",
        "a & b | !c <-> d:*",
    ] {
        let (ids, cursor) = search(&store, q, &[room], None, None, 10);
        assert!(ids.is_empty() && cursor.is_none(), "{q:?}: {ids:?}");
    }
}
