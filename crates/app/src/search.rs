//! Message search across a workspace: the rooms the caller may read now,
//! decided here by the same rules as reading each room's history, and
//! searched by the store.

use concord_domain::message::MAX_PAGE;
use concord_domain::search::NOTHING_TO_FIND;
use concord_domain::{
    ChannelId, Invalid, MembershipId, MessageId, Page, RoomId, SearchQuery, UserId, WorkspaceId,
    permissions,
};
use concord_ports::Found;

use crate::{Authored, Missing, Search, ServiceError, Shared};

/// A search: its words and what narrows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchMessages {
    pub query: SearchQuery,
    /// Only messages by this user.
    pub author: Option<UserId>,
    /// Only messages older than this one (the previous page's cursor).
    pub before: Option<MessageId>,
    /// Page size, clamped to 1..=100.
    pub limit: u32,
}

impl Search {
    /// The messages of `workspace` whose text matches, among those `actor`
    /// may read now, newest first: in every room they may read, or in
    /// `room` alone. Deleted messages are never found.
    /// # Errors
    /// `NotFound(Workspace)` and `Forbidden` as for reading the workspace;
    /// `NotFound(Room)` for a `room` that is not one of the workspace's;
    /// `Forbidden` for one the caller may not read (as reading its history);
    /// `Invalid` for a query that names nothing to find.
    pub fn search_workspace(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        room: Option<RoomId>,
        search: SearchMessages,
    ) -> Result<Page, ServiceError> {
        let rooms = match room {
            Some(room) => {
                self.member_of(actor, workspace)?;
                vec![self.room_to_search(actor, workspace, room)?]
            }
            None => self.readable_rooms(actor, workspace)?,
        };
        self.find(&rooms, search)
    }

    /// [`Self::search_workspace`] as the server dialect asks it: narrowed
    /// to a channel of the server and to a member's messages, answered with
    /// the server's members as authors.
    /// # Errors
    /// Those of [`Self::search_workspace`]; `NotFound(Channel)` for a
    /// channel of another server; `NotFound(Member)` for a member of another
    /// server.
    pub fn search_server(
        &self,
        actor: UserId,
        server: WorkspaceId,
        channel: Option<ChannelId>,
        member: Option<MembershipId>,
        mut search: SearchMessages,
    ) -> Result<Authored<Page>, ServiceError> {
        self.member_of(actor, server)?;
        if let Some(member) = member {
            search.author = Some(self.membership_in(server, member)?.user_id);
        }
        let rooms = match channel {
            Some(channel) => vec![self.channel_of_server(actor, server, channel)?.id.into()],
            None => self.readable_rooms(actor, server)?,
        };
        Ok(Authored {
            value: self.find(&rooms, search)?,
            members: self.ports.members.members_with_users(server)?,
        })
    }

    fn find(&self, rooms: &[RoomId], search: SearchMessages) -> Result<Page, ServiceError> {
        match self.ports.search.search_messages(
            &search.query,
            rooms,
            search.author,
            search.before,
            search.limit.clamp(1, MAX_PAGE),
        )? {
            Found::Page(page) => Ok(page),
            Found::NothingToFind => Err(Invalid::one(NOTHING_TO_FIND).into()),
        }
    }
}

impl Shared {
    /// Every room of `workspace` whose history `actor` may read now: the
    /// channels they may see and the conversations they take part in.
    /// # Errors
    /// `NotFound(Workspace)`, or `Forbidden` for a non-member.
    fn readable_rooms(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Vec<RoomId>, ServiceError> {
        let channels = self.visible_channels(actor, workspace)?;
        let conversations = self
            .ports
            .conversations
            .conversations_of_user(actor, Some(workspace))?;
        Ok(channels
            .iter()
            .map(|c| RoomId::from(c.id))
            .chain(
                conversations
                    .iter()
                    .filter(|c| {
                        c.workspace_id == workspace
                            && permissions::use_conversation(c.has_participant(actor)).is_ok()
                    })
                    .map(|c| RoomId::from(c.id)),
            )
            .collect())
    }

    /// The room `room` of `workspace`, if `actor` may read its history.
    /// A room of another workspace is not one of this one's, whoever asks.
    fn room_to_search(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        room: RoomId,
    ) -> Result<RoomId, ServiceError> {
        let info = self
            .ports
            .messages
            .room_info(room)?
            .filter(|info| info.workspace_id == workspace)
            .ok_or(ServiceError::NotFound(Missing::Room))?;
        self.room_role(actor, info.room)?;
        Ok(info.room.id())
    }
}
