//! Typed identifiers. Ids are positive 64-bit integers; a bare `i64` never
//! crosses a layer boundary.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id. Callers at the edges validate positivity with [`Self::parse`].
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// Accepts only positive ids, the only ones Concord ever hands out.
            pub fn parse(raw: i64) -> Option<Self> {
                (raw > 0).then_some(Self(raw))
            }

            /// The raw value, for storage and the wire.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A registered user.
    UserId
);
id_type!(
    /// A workspace, which the server dialect calls a server.
    WorkspaceId
);
id_type!(
    /// A membership of one user in one workspace (the server dialect's member id).
    MembershipId
);
id_type!(
    /// A channel. Drawn from the same sequence as conversation ids, so a room id
    /// names exactly one room.
    ChannelId
);

id_type!(
    /// A conversation (a direct message between members of one workspace).
    /// Drawn from the same sequence as channel ids.
    ConversationId
);
id_type!(
    /// A room: a channel or a conversation, whose ids share one sequence, so
    /// a room id names exactly one of them. Events, topics and the log are
    /// keyed by it.
    RoomId
);
id_type!(
    /// A message, in a channel or a conversation.
    MessageId
);
id_type!(
    /// A file attached to a message.
    AttachmentId
);

impl From<ChannelId> for RoomId {
    fn from(id: ChannelId) -> Self {
        Self(id.get())
    }
}

impl From<ConversationId> for RoomId {
    fn from(id: ConversationId) -> Self {
        Self(id.get())
    }
}

/// A position in a room's event log. A room's first event is 1 and each
/// later one the next number, without gaps; 0 is the position before any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seq(i64);

impl Seq {
    /// Before the room's first event.
    pub const ZERO: Self = Self(0);

    /// Wraps a raw position, as read from the store or the wire.
    pub const fn new(raw: i64) -> Self {
        Self(raw)
    }

    /// The raw value, for storage and the wire.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The position right after this one.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// How many events lie after `earlier` up to this position (0 when
    /// `earlier` is not before it).
    pub fn since(self, earlier: Seq) -> i64 {
        (self.0 - earlier.0).max(0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive() {
        assert_eq!(UserId::parse(1), Some(UserId::new(1)));
        assert_eq!(UserId::parse(0), None);
        assert_eq!(UserId::parse(-7), None);
    }

    #[test]
    fn a_room_id_is_its_channel_or_conversation_id() {
        assert_eq!(RoomId::from(ChannelId::new(4)), RoomId::new(4));
        assert_eq!(RoomId::from(ConversationId::new(5)), RoomId::new(5));
    }

    #[test]
    fn seqs_count_the_events_between_them() {
        assert_eq!(Seq::ZERO.next(), Seq::new(1));
        assert_eq!(Seq::new(9).since(Seq::new(4)), 5);
        assert_eq!(Seq::new(4).since(Seq::new(9)), 0);
    }
}
