//! What the server dialect shows beside its answers: the server view, with
//! members and channels, and the members of a room's workspace as the
//! authors of its messages.

use concord_domain::{
    Channel, ChannelId, ConversationId, Membership, Room, User, UserId, Workspace, WorkspaceId,
};

use crate::{ServiceError, Shared};

/// A workspace as the server dialect shows it: with every member and the
/// channels the caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub workspace: Workspace,
    pub members: Vec<(Membership, User)>,
    pub channels: Vec<Channel>,
}

/// A message, page or conversation with every member of its workspace, who
/// may have written it (the server dialect shows authors with their
/// membership).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authored<T> {
    pub value: T,
    pub members: Vec<(Membership, User)>,
}

/// A room as the server dialect names it in a message route: a channel
/// with the server it must belong to, or a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTarget {
    Channel {
        server: WorkspaceId,
        channel: ChannelId,
    },
    Conversation(ConversationId),
}

impl ServerTarget {
    pub fn room(self) -> Room {
        match self {
            Self::Channel { channel, .. } => Room::Channel(channel),
            Self::Conversation(id) => Room::Conversation(id),
        }
    }
}

impl Shared {
    /// The server view of `workspace` for `actor`, a member.
    pub(crate) fn server_view(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<ServerView, ServiceError> {
        let (ws, _) = self.member_of(actor, workspace)?;
        self.view_of(actor, ws)
    }

    /// The server view of `workspace`, for `actor`, known to be a member.
    pub(crate) fn view_of(
        &self,
        actor: UserId,
        workspace: Workspace,
    ) -> Result<ServerView, ServiceError> {
        let channels = self.visible_channels(actor, workspace.id)?;
        let members = self.ports.members.members_with_users(workspace.id)?;
        Ok(ServerView {
            workspace,
            members,
            channels,
        })
    }

    /// The channel `target` names must belong to its server and be visible
    /// to `actor`. A conversation needs no check here.
    pub(crate) fn check_target(
        &self,
        actor: UserId,
        target: ServerTarget,
    ) -> Result<(), ServiceError> {
        if let ServerTarget::Channel { server, channel } = target {
            self.channel_of_server(actor, server, channel)?;
        }
        Ok(())
    }

    /// Every member of the workspace `room` belongs to, if `actor` may read the room.
    pub(crate) fn room_members(
        &self,
        actor: UserId,
        room: Room,
    ) -> Result<Vec<(Membership, User)>, ServiceError> {
        let workspace = match room {
            Room::Channel(id) => self.visible_channel(actor, id)?.0.workspace_id,
            Room::Conversation(id) => self.readable_conversation(actor, id)?.0.workspace_id,
        };
        Ok(self.ports.members.members_with_users(workspace)?)
    }
}
