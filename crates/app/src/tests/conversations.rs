//! Conversations: who reads, posts in and retitles them.

use concord_domain::{Conversation, NewConversation};

use super::*;

fn conversation(participants: &[UserId]) -> Conversation {
    Conversation {
        id: ConversationId::new(20),
        workspace_id: WS,
        topic: None,
        creator_id: participants[0],
        participants: participants.to_vec(),
        created_at: Utc.timestamp_opt(0, 0).unwrap(),
        updated_at: Utc.timestamp_opt(0, 0).unwrap(),
        last_message_at: None,
    }
}

#[test]
fn only_participants_read_or_post_in_a_conversation() {
    let mut m = Mocks::with_workspace(true);
    m.conversations
        .expect_conversation_by_id()
        .returning(|_| Ok(Some(conversation(&[OWNER]))));
    m.messages.expect_post_message().never();
    let room = Room::Conversation(ConversationId::new(20));

    let err = m
        .service()
        .messages
        .post_message(GUEST, room, text("let me in"), None, None, None)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn only_the_creator_retitles_a_conversation() {
    let mut m = Mocks::with_workspace(true);
    m.conversations
        .expect_conversation_by_id()
        .returning(|_| Ok(Some(conversation(&[OWNER, GUEST]))));
    m.conversations.expect_set_conversation_topic().never();

    let err = m
        .service()
        .conversations
        .set_conversation_topic(GUEST, ConversationId::new(20), None)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn conversations_are_only_with_workspace_members() {
    let mut m = Mocks::with_workspace(true);
    m.conversations.expect_create_conversation().never();

    let new = NewConversation::new(OWNER, None, [GUEST, OUTSIDER]);
    let err = m
        .service()
        .conversations
        .create_conversation(OWNER, WS, new)
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::WorkspaceMember)
    ));
}

#[test]
fn every_participant_of_a_new_conversation_gains_it() {
    let mut m = Mocks::with_workspace(true);
    m.conversations
        .expect_create_conversation()
        .withf(|_, _, _, key| key.is_none())
        .times(1)
        .returning(|_, _, _, _| Ok(conversation(&[OWNER, GUEST])));
    m.expect_announced(AccessChange::UserGained(OWNER));
    m.expect_announced(AccessChange::UserGained(GUEST));

    let new = NewConversation::new(OWNER, None, [GUEST]);
    m.service()
        .conversations
        .create_conversation(OWNER, WS, new)
        .unwrap();
}

#[test]
fn both_sides_of_a_direct_conversation_gain_it() {
    let mut m = Mocks::with_workspace(true);
    m.members
        .expect_membership_by_id()
        .returning(|id| Ok(Some(membership(id.get(), Role::Guest))));
    m.members
        .expect_members_with_users()
        .returning(|_| Ok(vec![]));
    m.conversations
        .expect_create_conversation()
        .withf(|_, _, _, key| key.is_some())
        .times(1)
        .returning(|_, _, _, _| Ok(conversation(&[OWNER, GUEST])));
    m.expect_announced(AccessChange::UserGained(OWNER));
    m.expect_announced(AccessChange::UserGained(GUEST));

    m.service()
        .conversations
        .start_direct(OWNER, WS, concord_domain::MembershipId::new(GUEST.get()))
        .unwrap();
}
