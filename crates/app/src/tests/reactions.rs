//! Reactions: what a toggle answers and who publishes its event.

use concord_domain::{Emoji, RoomEvent, RoomEventKind, Seq};
use concord_ports::Toggled;

use super::*;

fn thumbs() -> Emoji {
    Emoji::parse("👍").unwrap()
}

/// The public channel's message 5, and the store answering a toggle of
/// it with `toggled`.
fn reacting(toggled: Toggled) -> Mocks {
    let mut m = with_channel(false);
    m.messages
        .expect_message_by_id()
        .returning(|_| Ok(Some(message(5, OWNER, ROOM, None))));
    m.messages
        .expect_set_reaction()
        .withf(|id, user, _, on| *id == MessageId::new(5) && *user == GUEST && *on)
        .times(1)
        .return_once(move |_, _, _, _| Ok(toggled));
    m
}

#[test]
fn the_caller_handed_its_commits_event_publishes_it_once() {
    let mut reacted = message(5, OWNER, ROOM, None);
    reacted.reactions = vec![concord_domain::Reaction {
        emoji: "👍".into(),
        count: 1,
        user_ids: vec![GUEST],
    }];
    let event = RoomEvent {
        seq: Seq::new(9),
        payload: RoomEventKind::MessageReactions(reacted.clone()),
    };
    let mut m = reacting(Toggled::Made(event.clone()));
    m.notifier
        .expect_publish()
        .withf(move |published| *published == event)
        .times(1)
        .return_const(());

    let result = m
        .service()
        .messages
        .set_reaction(GUEST, MessageId::new(5), &thumbs(), true)
        .unwrap();

    assert_eq!(result.message, reacted);
}

#[test]
fn a_toggle_sharing_another_callers_event_publishes_nothing() {
    let mut reacted = message(5, OWNER, ROOM, None);
    reacted.reactions = vec![concord_domain::Reaction {
        emoji: "👍".into(),
        count: 2,
        user_ids: vec![OWNER, GUEST],
    }];
    let mut m = reacting(Toggled::Shared(reacted.clone()));
    m.notifier.expect_publish().never();

    let result = m
        .service()
        .messages
        .set_reaction(GUEST, MessageId::new(5), &thumbs(), true)
        .unwrap();

    assert_eq!((result.message, result.event), (reacted, None));
}
