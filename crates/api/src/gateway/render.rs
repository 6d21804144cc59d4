//! Event frames in each dialect: the same JSON each dialect's HTTP routes
//! give for what an event is about, inside the protocol's event frame.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use bytestring::ByteString;
use concord_adapters::realtime::{Dialect, Renderer};
use concord_domain::{Membership, RoomEvent, Seq, Topic, User, UserId, UserTopic, WorkspaceId};
use concord_ports::{MembershipRepository, RepoError, RoomUnread, UserRepository};

use super::protocol;
use crate::routes::server::dto::{self as server_dto, Authors};
use crate::routes::workspace::dto as workspace_dto;

/// Renders room events for the hub and for replay.
pub struct DialectRenderer {
    members: Arc<dyn MembershipRepository>,
    users: Arc<dyn UserRepository>,
}

impl DialectRenderer {
    /// A renderer that reads authors (the server dialect shows each one's
    /// membership) from `members` and `users`.
    pub fn new(members: Arc<dyn MembershipRepository>, users: Arc<dyn UserRepository>) -> Self {
        Self { members, users }
    }

    /// The membership and profile of a message's author, while they are a
    /// member of `workspace`.
    fn author(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<(Membership, User)>, RepoError> {
        let Some(membership) = self.members.membership(workspace, user)? else {
            return Ok(None);
        };
        Ok(self.users.user_by_id(user)?.map(|u| (membership, u)))
    }

    /// The `data` of each of `events` as JSON in `dialect`.
    fn data(
        &self,
        events: &[&RoomEvent],
        workspace: WorkspaceId,
        dialect: Dialect,
    ) -> anyhow::Result<Vec<String>> {
        let json = |r: serde_json::Result<String>| {
            r.map_err(|e| anyhow::anyhow!("rendering an event: {e}"))
        };
        match dialect {
            Dialect::Workspace => events
                .iter()
                .map(|e| {
                    json(serde_json::to_string(&workspace_dto::MessageDto::from(
                        e.payload.message(),
                    )))
                })
                .collect(),
            Dialect::Server => {
                // One lookup per author per batch, not per message.
                let mut found: HashMap<UserId, Option<_>> = HashMap::new();
                for m in events.iter().map(|e| e.payload.message()) {
                    if let Entry::Vacant(slot) = found.entry(m.author_id) {
                        slot.insert(self.author(workspace, m.author_id)?);
                    }
                }
                let authors = Authors::new(found.into_values().flatten().collect());
                events
                    .iter()
                    .map(|e| {
                        json(serde_json::to_string(&server_dto::MessageDto::new(
                            e.payload.message(),
                            &authors,
                        )))
                    })
                    .collect()
            }
        }
    }
}

impl Renderer for DialectRenderer {
    fn frames(
        &self,
        events: &[&RoomEvent],
        workspace: WorkspaceId,
        dialect: Dialect,
    ) -> anyhow::Result<Vec<ByteString>> {
        let data = self.data(events, workspace, dialect)?;
        Ok(events
            .iter()
            .zip(data)
            .map(|(e, json)| {
                let topic = Topic {
                    room_id: e.room(),
                    kind: e.payload.topic_kind(),
                };
                ByteString::from(protocol::event(&topic, e.payload.name(), e.seq, &json))
            })
            .collect())
    }

    fn reads_store(&self, dialect: Dialect) -> bool {
        // The server dialect shows each author's membership.
        matches!(dialect, Dialect::Server)
    }

    /// `data` is the room's row of the dialect's unread summary. A user
    /// topic has no log, so its `seq` is always 0.
    fn read_frame(
        &self,
        topic: UserTopic,
        state: &RoomUnread,
        dialect: Dialect,
    ) -> anyhow::Result<ByteString> {
        let data = match dialect {
            Dialect::Workspace => serde_json::to_string(&workspace_dto::RoomUnreadDto::from(state)),
            Dialect::Server => serde_json::to_string(&server_dto::ServerRoomUnreadDto::from(state)),
        }
        .map_err(|e| anyhow::anyhow!("rendering a read update: {e}"))?;
        Ok(protocol::event(&topic, READ_UPDATED, Seq::ZERO, &data).into())
    }
}

/// The event type on a user topic when one of their read markers moves.
pub const READ_UPDATED: &str = "read.updated";
