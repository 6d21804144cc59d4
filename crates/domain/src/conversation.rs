//! Conversations: direct messages between members of one workspace, 1:1 or
//! in a group (the server dialect's "conversations").

use chrono::{DateTime, Utc};

use crate::ids::{ConversationId, UserId, WorkspaceId};

/// A conversation and its participants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub topic: Option<String>,
    /// Who started it; the only one who may retitle or delete it.
    pub creator_id: UserId,
    /// Every participant, the creator included, in ascending id order.
    pub participants: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_at: Option<DateTime<Utc>>,
}

impl Conversation {
    pub fn has_participant(&self, user: UserId) -> bool {
        self.participants.contains(&user)
    }
}

/// What a caller asks to create: the creator plus `others`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConversation {
    pub topic: Option<String>,
    /// Participants other than the creator; deduplicated, never containing the creator.
    pub others: Vec<UserId>,
}

impl NewConversation {
    /// Builds the participant list without duplicates and without the creator.
    pub fn new(
        creator: UserId,
        topic: Option<String>,
        users: impl IntoIterator<Item = UserId>,
    ) -> Self {
        let mut others: Vec<UserId> = users.into_iter().filter(|u| *u != creator).collect();
        others.sort();
        others.dedup();
        Self { topic, others }
    }
}

/// The key of the one 1:1 conversation between two users of a workspace:
/// `"{low}:{high}"`, the same whichever of them asks.
pub fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participants_are_deduplicated_and_exclude_the_creator() {
        let c = NewConversation::new(UserId::new(1), None, [3, 1, 2, 3].map(UserId::new));
        assert_eq!(c.others, vec![UserId::new(2), UserId::new(3)]);
    }

    #[test]
    fn the_direct_key_is_symmetric() {
        assert_eq!(direct_key(UserId::new(9), UserId::new(4)), "4:9");
        assert_eq!(direct_key(UserId::new(4), UserId::new(9)), "4:9");
    }
}
