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
    /// A message, in a channel or a conversation.
    MessageId
);
id_type!(
    /// A file attached to a message.
    AttachmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive() {
        assert_eq!(UserId::parse(1), Some(UserId::new(1)));
        assert_eq!(UserId::parse(0), None);
        assert_eq!(UserId::parse(-7), None);
    }
}
