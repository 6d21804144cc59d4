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
