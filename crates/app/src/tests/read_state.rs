//! Read state: a marker that moves is announced to its user's devices, one
//! that does not is not; a user topic is its user's alone.

use concord_domain::UserTopic;
use concord_ports::{MarkedRead, RoomUnread};

use super::*;

fn state(last_read: i64, unread: u64) -> RoomUnread {
    RoomUnread {
        room: ROOM,
        last_read_id: Some(MessageId::new(last_read)),
        last_message_id: Some(MessageId::new(60)),
        unread,
        mentions: 0,
    }
}

#[test]
fn a_moved_marker_is_announced_to_its_user_alone() {
    let mut m = with_channel(false);
    m.read_state
        .expect_mark_read()
        .withf(|u, r, id, force| *u == OWNER && *r == ROOM && id.get() == 55 && !force)
        .returning(|_, _, _, _| Ok(MarkedRead::Moved(state(55, 5))));
    m.notifier
        .expect_read_updated()
        .withf(|u, s| *u == OWNER && *s == state(55, 5))
        .times(1)
        .return_const(());
    let svc = m.service();

    let after = svc
        .read_state
        .mark_read(OWNER, ROOM, MessageId::new(55), false)
        .unwrap();
    assert_eq!(after, state(55, 5));
}

#[test]
fn a_marker_that_did_not_move_is_not_announced() {
    let mut m = with_channel(false);
    m.read_state
        .expect_mark_read()
        .returning(|_, _, _, _| Ok(MarkedRead::Unchanged(state(58, 2))));
    m.notifier.expect_read_updated().never();
    let svc = m.service();

    let after = svc
        .read_state
        .mark_read(OWNER, ROOM, MessageId::new(55), false)
        .unwrap();
    assert_eq!(after.last_read_id, Some(MessageId::new(58)));
}

#[test]
fn nobody_outside_the_room_moves_a_marker_in_it() {
    let mut m = with_channel(true);
    m.read_state.expect_mark_read().never();
    m.notifier.expect_read_updated().never();
    let svc = m.service();

    assert!(matches!(
        svc.read_state
            .mark_read(GUEST, ROOM, MessageId::new(55), false),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn a_user_follows_their_own_topic_and_nobody_else_s() {
    let svc = Mocks::with_workspace(true).service();
    let own = UserTopic { user_id: OWNER };
    assert!(svc.gateway.follow_user_topic(OWNER, own).is_ok());
    assert!(matches!(
        svc.gateway.follow_user_topic(GUEST, own),
        Err(ServiceError::Forbidden(_))
    ));
}
