//! Room events: the facts a room's log records, each numbered by the room's
//! gapless `seq`.
//!
//! Every kind of event is one variant of [`RoomEventKind`] with its payload.
//! The variant decides its name (the wire's `type` and the log's `kind`), the
//! topic it is published on and the room it belongs to. How its payload looks
//! on the wire is the api crate's business, per dialect.

use crate::ids::{RoomId, Seq};
use crate::message::Message;
use crate::topic::TopicKind;

/// A fact about a room, numbered by the room's gapless sequence `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomEvent {
    pub seq: Seq,
    pub payload: RoomEventKind,
}

impl RoomEvent {
    /// The room whose log holds the event.
    pub fn room(&self) -> RoomId {
        self.payload.room()
    }
}

/// What happened in a room, with what it happened to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomEventKind {
    /// A message was posted: the message as posted.
    MessageCreated(Message),
    /// A message's text was edited: the message after the edit.
    MessageUpdated(Message),
    /// A message became a tombstone: the tombstone.
    MessageDeleted(Message),
}

impl RoomEventKind {
    /// The name of [`RoomEventKind::MessageCreated`].
    pub const MESSAGE_CREATED: &'static str = "message.created";
    /// The name of [`RoomEventKind::MessageUpdated`].
    pub const MESSAGE_UPDATED: &'static str = "message.updated";
    /// The name of [`RoomEventKind::MessageDeleted`].
    pub const MESSAGE_DELETED: &'static str = "message.deleted";

    /// The wire and storage name (`message.created`, ...).
    pub const fn name(&self) -> &'static str {
        match self {
            RoomEventKind::MessageCreated(_) => Self::MESSAGE_CREATED,
            RoomEventKind::MessageUpdated(_) => Self::MESSAGE_UPDATED,
            RoomEventKind::MessageDeleted(_) => Self::MESSAGE_DELETED,
        }
    }

    /// The topic of its room the event is published on.
    pub const fn topic_kind(&self) -> TopicKind {
        match self {
            RoomEventKind::MessageCreated(_) => TopicKind::Messages,
            RoomEventKind::MessageUpdated(_) | RoomEventKind::MessageDeleted(_) => {
                TopicKind::Updates
            }
        }
    }

    /// The room the event belongs to.
    pub fn room(&self) -> RoomId {
        match self {
            RoomEventKind::MessageCreated(m)
            | RoomEventKind::MessageUpdated(m)
            | RoomEventKind::MessageDeleted(m) => m.room.id(),
        }
    }

    /// The message the event is about, for an event about a message.
    pub fn message(&self) -> Option<&Message> {
        match self {
            RoomEventKind::MessageCreated(m)
            | RoomEventKind::MessageUpdated(m)
            | RoomEventKind::MessageDeleted(m) => Some(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::ids::{ConversationId, MessageId, UserId};
    use crate::message::Room;

    fn message() -> Message {
        Message {
            id: MessageId::new(3),
            room: Room::Conversation(ConversationId::new(7)),
            author_id: UserId::new(1),
            parent_id: None,
            content: "hi".into(),
            attachment: None,
            created_at: DateTime::UNIX_EPOCH,
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn a_new_message_goes_to_its_rooms_messages_topic() {
        let event = RoomEventKind::MessageCreated(message());
        assert_eq!(event.name(), "message.created");
        assert_eq!(event.topic_kind(), TopicKind::Messages);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), Some(&message()));
    }

    #[test]
    fn an_edit_goes_to_its_rooms_updates_topic() {
        let event = RoomEventKind::MessageUpdated(message());
        assert_eq!(event.name(), "message.updated");
        assert_eq!(event.topic_kind(), TopicKind::Updates);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), Some(&message()));
    }

    #[test]
    fn a_deletion_goes_to_its_rooms_updates_topic() {
        let event = RoomEventKind::MessageDeleted(message());
        assert_eq!(event.name(), "message.deleted");
        assert_eq!(event.topic_kind(), TopicKind::Updates);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), Some(&message()));
    }
}
