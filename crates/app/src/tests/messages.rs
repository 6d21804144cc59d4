//! Messages: posting, threads, idempotency, edits, deletions, history.

use concord_domain::IdempotencyKey;
use concord_ports::{MessageChange, Posted};

use super::*;

#[test]
fn a_guest_cannot_post_in_a_private_channel_they_are_not_in() {
    let mut m = with_channel(true);
    m.messages.expect_post_message().never();
    m.notifier.expect_publish().never();

    let err = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("hi"), None, None, None)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn an_outsider_cannot_post_in_a_public_channel() {
    let mut m = with_channel(false);
    m.messages.expect_post_message().never();

    let err = m
        .service()
        .messages
        .post_message(OUTSIDER, ROOM, text("hi"), None, None, None)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn a_parent_from_another_room_is_not_found_and_nothing_is_posted() {
    let mut m = with_channel(false);
    m.messages.expect_message_by_id().returning(|_| {
        Ok(Some(message(
            7,
            OWNER,
            Room::Channel(ChannelId::new(99)),
            None,
        )))
    });
    m.messages.expect_post_message().never();

    let err = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("re"), Some(MessageId::new(7)), None, None)
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::ParentMessage)
    ));
}

#[test]
fn a_reply_to_a_reply_is_attached_to_the_root() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(8, OWNER, ROOM, Some(7)))));
    m.messages
        .expect_post_message()
        .withf(|msg, _| msg.parent_id == Some(MessageId::new(7)))
        .times(1)
        .returning(|msg, _| Ok(created(msg)));
    m.notifier.expect_publish().times(1).return_const(());

    let posted = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("re"), Some(MessageId::new(8)), None, None)
        .unwrap();

    assert_eq!(posted.message.parent_id, Some(MessageId::new(7)));
    assert!(posted.event.is_some());
}

#[test]
fn a_reused_idempotency_key_is_a_conflict() {
    let mut m = with_channel(false);
    m.messages
        .expect_post_message()
        .returning(|_, _| Err(RepoError::Duplicate));

    let key = IdempotencyKey::parse("k").unwrap();
    let err = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::Conflict(Clash::IdempotencyKeyReused)
    ));
}

#[test]
fn a_replayed_send_carries_no_new_event() {
    let mut m = with_channel(false);
    m.messages
        .expect_post_message()
        .returning(|_, _| Ok(Posted::Replayed(message(5, GUEST, ROOM, None))));

    let key = IdempotencyKey::parse("k").unwrap();
    let posted = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
        .unwrap();

    assert_eq!((posted.message.id, posted.event), (MessageId::new(5), None));
}

#[test]
fn only_the_author_edits_a_message() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.messages.expect_edit_message().never();

    let err = m
        .service()
        .messages
        .edit_message(OWNER, ROOM, MessageId::new(5), text("mine now"))
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn a_message_named_through_another_room_is_not_found() {
    let mut m = with_channel(false);
    m.messages.expect_message_by_id().returning(|_| {
        Ok(Some(message(
            5,
            GUEST,
            Room::Channel(ChannelId::new(11)),
            None,
        )))
    });
    m.messages.expect_delete_message().never();

    let err = m
        .service()
        .messages
        .delete_message(GUEST, ROOM, MessageId::new(5))
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound(Missing::Message)));
}

#[test]
fn moderators_delete_others_messages_but_guests_do_not() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, OUTSIDER, ROOM, None))));
    m.messages.expect_delete_message().never();
    m.notifier.expect_publish().never();
    let err = m
        .service()
        .messages
        .delete_message(GUEST, ROOM, MessageId::new(5))
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)));

    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.messages.expect_delete_message().times(1).returning(|id| {
        let mut gone = message(id.get(), GUEST, ROOM, None);
        gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
        Ok(MessageChange::Made(concord_domain::RoomEvent {
            seq: concord_domain::Seq::new(2),
            payload: concord_domain::RoomEventKind::MessageDeleted(gone),
        }))
    });
    m.notifier
        .expect_publish()
        .withf(|e| {
            e.seq == concord_domain::Seq::new(2)
                && matches!(e.payload, concord_domain::RoomEventKind::MessageDeleted(_))
        })
        .times(1)
        .return_const(());
    assert!(
        m.service()
            .messages
            .delete_message(OWNER, ROOM, MessageId::new(5))
            .unwrap()
            .message
            .is_deleted()
    );
}

#[test]
fn deleting_a_tombstone_again_writes_nothing() {
    let mut m = with_channel(false);
    m.messages.expect_message_by_id().returning(|_| {
        let mut gone = message(5, GUEST, ROOM, None);
        gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
        Ok(Some(gone))
    });
    m.messages.expect_delete_message().never();

    let again = m
        .service()
        .messages
        .delete_message(GUEST, ROOM, MessageId::new(5))
        .unwrap();

    assert_eq!(again.event, None);
}

#[test]
fn a_delete_that_loses_the_race_to_another_publishes_nothing() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.messages.expect_delete_message().times(1).returning(|id| {
        let mut gone = message(id.get(), GUEST, ROOM, None);
        gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
        Ok(MessageChange::AlreadyDeleted(gone))
    });
    m.notifier.expect_publish().never();

    let lost = m
        .service()
        .messages
        .delete_message(GUEST, ROOM, MessageId::new(5))
        .unwrap();

    assert!(lost.message.is_deleted());
    assert_eq!(lost.event, None);
}

#[test]
fn an_edit_that_loses_the_race_to_a_delete_is_refused_and_publishes_nothing() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.messages
        .expect_edit_message()
        .times(1)
        .returning(|id, _, _| {
            let mut gone = message(id.get(), GUEST, ROOM, None);
            gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
            Ok(MessageChange::AlreadyDeleted(gone))
        });
    m.notifier.expect_publish().never();

    let err = m
        .service()
        .messages
        .edit_message(GUEST, ROOM, MessageId::new(5), text("too late"))
        .unwrap_err();

    assert!(
        matches!(err, ServiceError::Forbidden(d) if d.0.contains("deleted message")),
        "{err:?}"
    );
}

#[test]
fn a_new_post_is_published_once_after_it_is_stored() {
    let mut m = with_channel(false);
    m.messages
        .expect_post_message()
        .times(1)
        .returning(|msg, _| Ok(created(msg)));
    m.notifier
        .expect_publish()
        .withf(|e| {
            e.seq == concord_domain::Seq::new(1)
                && matches!(&e.payload, concord_domain::RoomEventKind::MessageCreated(m) if m.content == "hello")
        })
        .times(1)
        .return_const(());

    m.service()
        .messages
        .post_message(GUEST, ROOM, text("hello"), None, None, None)
        .unwrap();
}

#[test]
fn a_failed_or_replayed_post_publishes_nothing() {
    let mut m = with_channel(false);
    m.messages
        .expect_post_message()
        .returning(|_, _| Err(RepoError::Unavailable(anyhow::anyhow!("down"))));
    m.notifier.expect_publish().never();
    let err = m
        .service()
        .messages
        .post_message(GUEST, ROOM, text("hi"), None, None, None)
        .unwrap_err();
    assert!(matches!(err, ServiceError::Unavailable(_)));

    let mut m = with_channel(false);
    m.messages
        .expect_post_message()
        .returning(|_, _| Ok(Posted::Replayed(message(5, GUEST, ROOM, None))));
    m.notifier.expect_publish().never();
    let key = IdempotencyKey::parse("k").unwrap();
    m.service()
        .messages
        .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
        .unwrap();
}

#[test]
fn an_edit_is_published_and_a_refused_one_is_not() {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.messages
        .expect_edit_message()
        .times(1)
        .returning(|id, c, _| {
            let mut edited = message(id.get(), GUEST, ROOM, None);
            edited.content = c.as_str().to_owned();
            Ok(MessageChange::Made(concord_domain::RoomEvent {
                seq: concord_domain::Seq::new(3),
                payload: concord_domain::RoomEventKind::MessageUpdated(edited),
            }))
        });
    m.notifier
        .expect_publish()
        .withf(|e| {
            matches!(&e.payload, concord_domain::RoomEventKind::MessageUpdated(m) if m.content == "v2")
        })
        .times(1)
        .return_const(());
    m.service()
        .messages
        .edit_message(GUEST, ROOM, MessageId::new(5), text("v2"))
        .unwrap();

    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
    m.notifier.expect_publish().never();
    assert!(
        m.service()
            .messages
            .edit_message(OWNER, ROOM, MessageId::new(5), text("v2"))
            .is_err()
    );
}

#[test]
fn history_limits_are_clamped_to_one_hundred() {
    let mut m = with_channel(false);
    m.messages
        .expect_history()
        .withf(|_, _, limit| *limit == 100)
        .returning(|_, _, _| {
            Ok(Page {
                messages: vec![],
                next_cursor: None,
            })
        });

    m.service()
        .messages
        .history(GUEST, ROOM, None, 5000)
        .unwrap();
}
