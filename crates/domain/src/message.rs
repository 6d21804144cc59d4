//! Messages and the rooms they live in.

use chrono::{DateTime, Utc};

use crate::ids::{AttachmentId, ChannelId, ConversationId, MessageId, RoomId, UserId};
use crate::reaction::Reaction;
use crate::validation::Invalid;

/// What a deleted message shows instead of its content.
pub const DELETED_CONTENT: &str = "This message has been deleted.";

/// Longest message, in characters after trimming.
pub const MAX_CONTENT_CHARS: usize = 4000;

/// Where a message lives. Channel and conversation ids come from one sequence,
/// so [`Room::id`] names exactly one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Room {
    Channel(ChannelId),
    Conversation(ConversationId),
}

impl Room {
    /// The room's id, unique across both kinds.
    pub fn id(self) -> RoomId {
        match self {
            Room::Channel(c) => c.into(),
            Room::Conversation(c) => c.into(),
        }
    }
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub url: String,
}

/// A message. A deleted one is a tombstone: its content is
/// [`DELETED_CONTENT`], its attachment is gone, and its replies stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub room: Room,
    pub author_id: UserId,
    /// The thread's root, for a reply.
    pub parent_id: Option<MessageId>,
    pub content: String,
    pub attachment: Option<Attachment>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Its reactions, in order of first use.
    pub reactions: Vec<Reaction>,
    pub pinned: bool,
    /// The users it mentions who could read its room when it was written
    /// (or last edited).
    pub mentions: Vec<UserId>,
}

impl Message {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The root of the thread this message belongs to: a reply to a reply is
    /// attached to the root.
    pub fn thread_root(&self) -> MessageId {
        self.parent_id.unwrap_or(self.id)
    }
}

/// Message text: trimmed, 1–4,000 characters, no NUL byte. Anything else,
/// markup and look-alike SQL included, is stored and returned verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.contains('\0') {
            return Err(Invalid::one("Message content must not contain NUL bytes"));
        }
        let s = raw.trim();
        match s.chars().count() {
            0 => Err(Invalid::one("Message content is required")),
            n if n > MAX_CONTENT_CHARS => Err(Invalid::one(
                "Message content must be at most 4000 characters",
            )),
            _ => Ok(Self(s.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message to post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub room: Room,
    pub author_id: UserId,
    /// Already resolved to the thread's root.
    pub parent_id: Option<MessageId>,
    pub content: MessageContent,
    pub attachment_url: Option<String>,
    /// Who it mentions, already limited to those who may read the room.
    pub mentions: Vec<UserId>,
}

/// A client's `Idempotency-Key`: 1–64 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
            .ok_or_else(|| Invalid::one("Idempotency-Key must be 1-64 visible ASCII characters"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page of history, newest first, and the cursor for the next older page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub messages: Vec<Message>,
    pub next_cursor: Option<MessageId>,
}

/// Page size bounds for history.
pub const MAX_PAGE: u32 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(MessageContent::parse("  hi  ").unwrap().as_str(), "hi");
        assert_eq!(
            MessageContent::parse("   ").unwrap_err().0,
            vec!["Message content is required"]
        );
        assert!(MessageContent::parse(&"é".repeat(4000)).is_ok());
        assert!(MessageContent::parse(&"é".repeat(4001)).is_err());
    }

    #[test]
    fn hostile_content_is_kept_verbatim_but_nul_is_refused() {
        for s in [
            "'; DROP TABLE messages; --",
            "<script>alert(1)</script>",
            "🎉\u{202e}gnp.exe",
        ] {
            assert_eq!(MessageContent::parse(s).unwrap().as_str(), s);
        }
        assert!(MessageContent::parse("a\0b").is_err());
    }

    #[test]
    fn idempotency_keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
    }

    #[test]
    fn room_ids_are_the_channel_or_conversation_id() {
        assert_eq!(Room::Channel(ChannelId::new(4)).id(), RoomId::new(4));
        assert_eq!(
            Room::Conversation(ConversationId::new(5)).id(),
            RoomId::new(5)
        );
    }
}
