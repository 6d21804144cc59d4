//! History after and around a message: the access rule of `before` pages,
//! and what is asked of the store.

use chrono::TimeZone;
use concord_domain::{Conversation, Window};

use super::*;

fn window(ids: &[i64]) -> Window {
    Window {
        messages: ids
            .iter()
            .map(|&id| message(id, OWNER, ROOM, None))
            .collect(),
        next_cursor: ids.last().map(|&id| MessageId::new(id)),
        prev_cursor: ids.first().map(|&id| MessageId::new(id)),
    }
}

fn page(ids: &[i64]) -> Page {
    Page {
        messages: ids
            .iter()
            .map(|&id| message(id, OWNER, ROOM, None))
            .collect(),
        next_cursor: ids.last().map(|&id| MessageId::new(id)),
    }
}

#[test]
fn a_member_reads_the_messages_after_one_as_the_store_gives_them() {
    let mut m = with_channel(false);
    m.messages
        .expect_history_after()
        .withf(|room, after, limit| (*room, after.get(), *limit) == (ROOM, 7, 20))
        .times(1)
        .returning(|_, _, _| Ok(page(&[8, 9])));

    let got = m
        .service()
        .messages
        .history_after(GUEST, ROOM, MessageId::new(7), 20)
        .unwrap();

    assert_eq!(got, page(&[8, 9]));
}

#[test]
fn a_member_reads_the_messages_around_one_as_the_store_gives_them() {
    let mut m = with_channel(false);
    m.messages
        .expect_history_around()
        .withf(|room, anchor, limit| (*room, anchor.get(), *limit) == (ROOM, 7, 3))
        .times(1)
        .returning(|_, _, _| Ok(window(&[8, 7, 6])));

    let got = m
        .service()
        .messages
        .history_around(GUEST, ROOM, MessageId::new(7), 3)
        .unwrap();

    assert_eq!(got, window(&[8, 7, 6]));
}

#[test]
fn an_outsider_reads_neither_after_nor_around_and_nothing_is_read() {
    let mut m = with_channel(false);
    m.messages.expect_history_after().never();
    m.messages.expect_history_around().never();
    let service = m.service();

    let after = service
        .messages
        .history_after(OUTSIDER, ROOM, MessageId::new(1), 50)
        .unwrap_err();
    let around = service
        .messages
        .history_around(OUTSIDER, ROOM, MessageId::new(1), 50)
        .unwrap_err();

    assert!(matches!(after, ServiceError::Forbidden(_)));
    assert!(matches!(around, ServiceError::Forbidden(_)));
}

#[test]
fn a_guest_outside_a_private_channel_reads_neither_after_nor_around() {
    let mut m = with_channel(true);
    m.messages.expect_history_after().never();
    m.messages.expect_history_around().never();
    let service = m.service();

    assert!(matches!(
        service
            .messages
            .history_after(GUEST, ROOM, MessageId::new(1), 50),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        service
            .messages
            .history_around(GUEST, ROOM, MessageId::new(1), 50),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn only_participants_read_a_conversation_after_or_around_a_message() {
    let mut m = Mocks::with_workspace(true);
    m.conversations.expect_conversation_by_id().returning(|id| {
        Ok(Some(Conversation {
            id,
            workspace_id: WS,
            topic: None,
            creator_id: OWNER,
            participants: vec![OWNER],
            created_at: Utc.timestamp_opt(0, 0).unwrap(),
            updated_at: Utc.timestamp_opt(0, 0).unwrap(),
            last_message_at: None,
        }))
    });
    m.messages
        .expect_history_after()
        .times(1)
        .returning(|_, _, _| Ok(page(&[])));
    m.messages
        .expect_history_around()
        .times(1)
        .returning(|_, _, _| Ok(window(&[])));
    let room = Room::Conversation(ConversationId::new(20));
    let service = m.service();
    let anchor = MessageId::new(1);

    assert!(matches!(
        service.messages.history_after(GUEST, room, anchor, 50),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        service.messages.history_around(GUEST, room, anchor, 50),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(
        service
            .messages
            .history_after(OWNER, room, anchor, 50)
            .is_ok()
    );
    assert!(
        service
            .messages
            .history_around(OWNER, room, anchor, 50)
            .is_ok()
    );
}

#[test]
fn after_and_around_clamp_the_limit_to_one_to_a_hundred() {
    let mut m = with_channel(false);
    m.messages
        .expect_history_after()
        .withf(|_, _, limit| *limit == 100)
        .times(1)
        .returning(|_, _, _| Ok(page(&[])));
    m.messages
        .expect_history_around()
        .withf(|_, _, limit| *limit == 1)
        .times(1)
        .returning(|_, _, _| Ok(window(&[])));
    let service = m.service();

    service
        .messages
        .history_after(GUEST, ROOM, MessageId::new(1), 5000)
        .unwrap();
    service
        .messages
        .history_around(GUEST, ROOM, MessageId::new(1), 0)
        .unwrap();
}

#[test]
fn a_missing_channel_is_not_found_after_or_around() {
    let mut m = Mocks::with_workspace(true);
    m.channels.expect_channel_by_id().returning(|_| Ok(None));
    m.messages.expect_history_after().never();
    m.messages.expect_history_around().never();
    let service = m.service();

    assert!(matches!(
        service
            .messages
            .history_after(GUEST, ROOM, MessageId::new(1), 50),
        Err(ServiceError::NotFound(Missing::Channel))
    ));
    assert!(matches!(
        service
            .messages
            .history_around(GUEST, ROOM, MessageId::new(1), 50),
        Err(ServiceError::NotFound(Missing::Channel))
    ));
}
