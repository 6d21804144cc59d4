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
    /// A message's reactions changed: the message with its reactions now.
    MessageReactions(Message),
    /// A message was pinned: the message.
    MessagePinned(Message),
    /// A message was unpinned: the message.
    MessageUnpinned(Message),
}

impl RoomEventKind {
    /// The name of [`RoomEventKind::MessageCreated`].
    pub const MESSAGE_CREATED: &'static str = "message.created";
    /// The name of [`RoomEventKind::MessageUpdated`].
    pub const MESSAGE_UPDATED: &'static str = "message.updated";
    /// The name of [`RoomEventKind::MessageDeleted`].
    pub const MESSAGE_DELETED: &'static str = "message.deleted";
    /// The name of [`RoomEventKind::MessageReactions`].
    pub const MESSAGE_REACTIONS: &'static str = "message.reactions";
    /// The name of [`RoomEventKind::MessagePinned`].
    pub const MESSAGE_PINNED: &'static str = "message.pinned";
    /// The name of [`RoomEventKind::MessageUnpinned`].
    pub const MESSAGE_UNPINNED: &'static str = "message.unpinned";

    /// The wire and storage name (`message.created`, ...).
    pub const fn name(&self) -> &'static str {
        match self {
            RoomEventKind::MessageCreated(_) => Self::MESSAGE_CREATED,
            RoomEventKind::MessageUpdated(_) => Self::MESSAGE_UPDATED,
            RoomEventKind::MessageDeleted(_) => Self::MESSAGE_DELETED,
            RoomEventKind::MessageReactions(_) => Self::MESSAGE_REACTIONS,
            RoomEventKind::MessagePinned(_) => Self::MESSAGE_PINNED,
            RoomEventKind::MessageUnpinned(_) => Self::MESSAGE_UNPINNED,
        }
    }

    /// The event named `name` about `message`, as the log stores it.
    pub fn named(name: &str, message: Message) -> Option<Self> {
        Some(match name {
            Self::MESSAGE_CREATED => RoomEventKind::MessageCreated(message),
            Self::MESSAGE_UPDATED => RoomEventKind::MessageUpdated(message),
            Self::MESSAGE_DELETED => RoomEventKind::MessageDeleted(message),
            Self::MESSAGE_REACTIONS => RoomEventKind::MessageReactions(message),
            Self::MESSAGE_PINNED => RoomEventKind::MessagePinned(message),
            Self::MESSAGE_UNPINNED => RoomEventKind::MessageUnpinned(message),
            _ => return None,
        })
    }

    /// The topic of its room the event is published on.
    pub const fn topic_kind(&self) -> TopicKind {
        match self {
            RoomEventKind::MessageCreated(_) => TopicKind::Messages,
            RoomEventKind::MessageUpdated(_)
            | RoomEventKind::MessageDeleted(_)
            | RoomEventKind::MessageReactions(_)
            | RoomEventKind::MessagePinned(_)
            | RoomEventKind::MessageUnpinned(_) => TopicKind::Updates,
        }
    }

    /// The room the event belongs to.
    pub fn room(&self) -> RoomId {
        self.message().room.id()
    }

    /// The message the event is about (every kind so far is about one).
    pub fn message(&self) -> &Message {
        match self {
            RoomEventKind::MessageCreated(m)
            | RoomEventKind::MessageUpdated(m)
            | RoomEventKind::MessageDeleted(m)
            | RoomEventKind::MessageReactions(m)
            | RoomEventKind::MessagePinned(m)
            | RoomEventKind::MessageUnpinned(m) => m,
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
            reactions: Vec::new(),
            pinned: false,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn a_new_message_goes_to_its_rooms_messages_topic() {
        let event = RoomEventKind::MessageCreated(message());
        assert_eq!(event.name(), "message.created");
        assert_eq!(event.topic_kind(), TopicKind::Messages);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), &message());
    }

    #[test]
    fn an_edit_goes_to_its_rooms_updates_topic() {
        let event = RoomEventKind::MessageUpdated(message());
        assert_eq!(event.name(), "message.updated");
        assert_eq!(event.topic_kind(), TopicKind::Updates);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), &message());
    }

    #[test]
    fn a_deletion_goes_to_its_rooms_updates_topic() {
        let event = RoomEventKind::MessageDeleted(message());
        assert_eq!(event.name(), "message.deleted");
        assert_eq!(event.topic_kind(), TopicKind::Updates);
        assert_eq!(event.room(), RoomId::new(7));
        assert_eq!(event.message(), &message());
    }

    #[test]
    fn reactions_and_pins_go_to_their_rooms_updates_topic_and_read_back_by_name() {
        for event in [
            RoomEventKind::MessageReactions(message()),
            RoomEventKind::MessagePinned(message()),
            RoomEventKind::MessageUnpinned(message()),
        ] {
            assert_eq!(event.topic_kind(), TopicKind::Updates);
            assert_eq!(event.room(), RoomId::new(7));
            assert_eq!(
                RoomEventKind::named(event.name(), message()),
                Some(event.clone())
            );
        }
        assert_eq!(RoomEventKind::named("message.exploded", message()), None);
    }
}
