//! Realtime topics (API.md section 5): what a gateway client subscribes to.
//!
//! A room has two topics: `chat:{roomId}:messages` carries new messages, and
//! `chat:{roomId}:messages:update` carries edits and deletions. Both share the
//! room's one `seq`, so a client subscribed to both sees it rise by one per
//! event; on one of them alone it rises with gaps, never backwards.
//!
//! A user also has a topic of their own, `user:{userId}` ([`UserTopic`]),
//! which carries what concerns them on every device (`read.updated`). It is
//! state, not history: it has no log and no `seq` to resume from.

use std::fmt;

use crate::event::RoomEvent;
use crate::ids::{RoomId, UserId};

/// Which half of a room's events a topic carries; each event says which
/// ([`crate::RoomEventKind::topic_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopicKind {
    /// `message.created`.
    Messages,
    /// `message.updated` and `message.deleted`.
    Updates,
}

/// A topic: a room (channel or conversation id, one id space) and a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic {
    pub room_id: RoomId,
    pub kind: TopicKind,
}

impl Topic {
    /// Parses the contract's spelling. Anything else, including ids that are
    /// not positive, is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("chat:")?;
        let (id, kind) = match rest.split_once(':')? {
            (id, "messages") => (id, TopicKind::Messages),
            (id, "messages:update") => (id, TopicKind::Updates),
            _ => return None,
        };
        // `i64::from_str` accepts a leading '+'; the contract's ids do not.
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let room_id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        Some(Self {
            room_id: RoomId::new(room_id),
            kind,
        })
    }

    /// Whether `event` belongs on this topic: its room's, of its kind.
    pub fn carries(self, event: &RoomEvent) -> bool {
        event.room() == self.room_id && event.payload.topic_kind() == self.kind
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TopicKind::Messages => write!(f, "chat:{}:messages", self.room_id),
            TopicKind::Updates => write!(f, "chat:{}:messages:update", self.room_id),
        }
    }
}

/// `user:{userId}`: what concerns one user on all their devices. Only that
/// user may follow it ([`crate::permissions::follow_user_topic`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserTopic {
    pub user_id: UserId,
}

impl UserTopic {
    /// Parses the contract's spelling, with the same rules for the id as
    /// [`Topic::parse`].
    pub fn parse(raw: &str) -> Option<Self> {
        let id = raw.strip_prefix("user:")?;
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let user_id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        Some(Self {
            user_id: UserId::new(user_id),
        })
    }
}

impl fmt::Display for UserTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user:{}", self.user_id.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RoomEventKind;

    #[test]
    fn topics_round_trip_through_their_contract_spelling() {
        for raw in ["chat:42:messages", "chat:42:messages:update"] {
            assert_eq!(Topic::parse(raw).unwrap().to_string(), raw);
        }
        assert_eq!(
            Topic::parse("chat:7:messages:update"),
            Some(Topic {
                room_id: RoomId::new(7),
                kind: TopicKind::Updates
            })
        );
    }

    #[test]
    fn malformed_topics_are_refused() {
        for raw in [
            "",
            "chat:",
            "chat:1",
            "chat::messages",
            "chat:0:messages",
            "chat:-1:messages",
            "chat:+1:messages",
            "chat:1:messages:",
            "chat:1:message",
            "chat:99999999999999999999:messages",
            "room:1:messages",
            "CHAT:1:messages",
        ] {
            assert_eq!(Topic::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn user_topics_round_trip_and_refuse_anything_else() {
        let topic = UserTopic::parse("user:42").unwrap();
        assert_eq!(topic.user_id, UserId::new(42));
        assert_eq!(topic.to_string(), "user:42");
        for raw in [
            "user:",
            "user:0",
            "user:-3",
            "user:+3",
            "user:3:",
            "user:x",
            "USER:3",
            "chat:3:messages",
        ] {
            assert_eq!(UserTopic::parse(raw), None, "{raw:?}");
        }
        assert_eq!(Topic::parse("user:3"), None, "a user topic is not a room's");
    }

    #[test]
    fn a_topic_carries_its_own_rooms_events_of_its_kind() {
        let message = crate::Message {
            id: crate::MessageId::new(3),
            room: crate::Room::Channel(crate::ChannelId::new(1)),
            author_id: crate::UserId::new(1),
            parent_id: None,
            content: "hi".into(),
            attachment: None,
            created_at: chrono::Utc::now(),
            edited_at: None,
            deleted_at: None,
            reactions: Vec::new(),
            pinned: false,
            mentions: Vec::new(),
        };
        let event = |payload| RoomEvent {
            seq: crate::Seq::new(1),
            payload,
        };
        let created = event(RoomEventKind::MessageCreated(message.clone()));
        let updated = event(RoomEventKind::MessageUpdated(message.clone()));
        let deleted = event(RoomEventKind::MessageDeleted(message));
        let messages = Topic::parse("chat:1:messages").unwrap();
        let updates = Topic::parse("chat:1:messages:update").unwrap();
        assert!(messages.carries(&created));
        assert!(!messages.carries(&updated));
        assert!(updates.carries(&updated));
        assert!(updates.carries(&deleted));
        assert!(!updates.carries(&created));
        assert!(!Topic::parse("chat:2:messages").unwrap().carries(&created));
    }
}
