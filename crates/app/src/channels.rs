//! Channels and their member lists.

use concord_domain::{
    Channel, ChannelId, ChannelPatch, Invalid, Membership, NewChannel, UserId, WorkspaceId,
    permissions,
};
use concord_ports::{AccessChange, RepoError};

use crate::workspaces::not_found;
use crate::{Channels, Clash, Missing, NOT_A_MEMBER, ServerView, ServiceError, Shared};

impl Channels {
    /// Create a channel; `actor` becomes its creator and first member.
    pub fn create_channel(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        new: NewChannel,
    ) -> Result<Channel, ServiceError> {
        let (ws, me) = self.member_of(actor, workspace)?;
        permissions::create_channel(me.role, &ws)?;
        let channel = self
            .ports
            .channels
            .create_channel(workspace, actor, &new)
            .map_err(not_found(Missing::Workspace))?;
        // Public, every member gains it; private, its creator and the
        // admins and owner do: either way members of the workspace.
        self.announce(AccessChange::WorkspaceGained(workspace));
        Ok(channel)
    }

    /// The channels of a workspace that `actor` may see.
    pub fn list_channels(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Vec<Channel>, ServiceError> {
        self.visible_channels(actor, workspace)
    }

    /// One channel, if `actor` may see it.
    pub fn get_channel(&self, actor: UserId, id: ChannelId) -> Result<Channel, ServiceError> {
        let (channel, _) = self.visible_channel(actor, id)?;
        Ok(channel)
    }

    /// Change a channel; its creator and moderators and up. `general` keeps its name.
    pub fn update_channel(
        &self,
        actor: UserId,
        id: ChannelId,
        patch: ChannelPatch,
    ) -> Result<Channel, ServiceError> {
        let (channel, me) = self.visible_channel(actor, id)?;
        permissions::edit_channel(&me, &channel, patch.renames(&channel))?;
        if patch.takes_reserved_name(&channel) {
            return Err(Invalid::one("Name cannot be 'general'").into());
        }
        let updated = self
            .ports
            .channels
            .update_channel(id, &patch)
            .map_err(not_found(Missing::Channel))?;
        match (channel.private, updated.private) {
            (false, true) => self.announce(AccessChange::Room(id.into())),
            (true, false) => self.announce(AccessChange::WorkspaceGained(channel.workspace_id)),
            _ => {}
        }
        Ok(updated)
    }

    /// Delete a channel and its messages; its creator and moderators and up.
    /// Returns it as it was.
    pub fn delete_channel(&self, actor: UserId, id: ChannelId) -> Result<Channel, ServiceError> {
        let (channel, me) = self.visible_channel(actor, id)?;
        permissions::delete_channel(&me, &channel)?;
        self.ports
            .channels
            .delete_channel(id)
            .map_err(not_found(Missing::Channel))?;
        self.announce(AccessChange::Room(id.into()));
        Ok(channel)
    }

    /// Add `user` (a workspace member) to a channel.
    /// # Errors
    /// `NotFound(User)` for an unknown user, `NotFound(WorkspaceMember)` for a
    /// user outside the workspace, `Conflict(ChannelMemberExists)`.
    pub fn add_to_channel(
        &self,
        actor: UserId,
        id: ChannelId,
        user: UserId,
    ) -> Result<(), ServiceError> {
        let (channel, me) = self.visible_channel(actor, id)?;
        let actor_in_channel = self.ports.channels.is_channel_member(id, actor)?;
        permissions::add_to_channel(&me, &channel, actor_in_channel, user)?;
        self.user(user)?;
        if self
            .ports
            .members
            .membership(channel.workspace_id, user)?
            .is_none()
        {
            return Err(ServiceError::NotFound(Missing::WorkspaceMember));
        }
        self.ports
            .channels
            .add_channel_member(id, user)
            .map_err(|e| match e {
                RepoError::Duplicate => ServiceError::Conflict(Clash::ChannelMemberExists),
                RepoError::NotFound => ServiceError::NotFound(Missing::Channel),
                e => e.into(),
            })?;
        // Every member of the workspace reads a public channel already.
        if channel.private {
            self.announce(AccessChange::UserGained(user));
        }
        Ok(())
    }

    /// Remove `user` from a channel: its creator, the owner, admins, or the user themself.
    /// # Errors
    /// `NotFound(ChannelMember)` if they were not in it.
    pub fn remove_from_channel(
        &self,
        actor: UserId,
        id: ChannelId,
        user: UserId,
    ) -> Result<(), ServiceError> {
        let (channel, me) = self.visible_channel(actor, id)?;
        permissions::remove_from_channel(&me, &channel, user)?;
        self.ports
            .channels
            .remove_channel_member(id, user)
            .map_err(not_found(Missing::ChannelMember))?;
        self.announce(AccessChange::User(user));
        Ok(())
    }

    /// Create a channel in a server: [`Self::create_channel`], answered with
    /// the server view.
    pub fn create_in_server(
        &self,
        actor: UserId,
        server: WorkspaceId,
        new: NewChannel,
    ) -> Result<ServerView, ServiceError> {
        self.create_channel(actor, server, new)?;
        self.server_view(actor, server)
    }

    /// Change a channel of a server: [`Self::update_channel`] for a channel of
    /// `server`, answered with the server view.
    /// # Errors
    /// `NotFound(Channel)` when it is in another workspace.
    pub fn update_in_server(
        &self,
        actor: UserId,
        server: WorkspaceId,
        id: ChannelId,
        patch: ChannelPatch,
    ) -> Result<ServerView, ServiceError> {
        self.channel_of_server(actor, server, id)?;
        self.update_channel(actor, id, patch)?;
        self.server_view(actor, server)
    }

    /// Delete a channel of a server: [`Self::delete_channel`] for a channel
    /// of `server`, answered with the server view.
    /// # Errors
    /// `NotFound(Channel)` when it is in another workspace.
    pub fn delete_in_server(
        &self,
        actor: UserId,
        server: WorkspaceId,
        id: ChannelId,
    ) -> Result<ServerView, ServiceError> {
        self.channel_of_server(actor, server, id)?;
        self.delete_channel(actor, id)?;
        self.server_view(actor, server)
    }
}

impl Shared {
    /// The channels of a workspace that `actor` may see.
    pub(crate) fn visible_channels(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Vec<Channel>, ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        let joined = self
            .ports
            .channels
            .channel_ids_of_member(workspace, actor)?;
        let all = self.ports.channels.channels_of_workspace(workspace)?;
        Ok(all
            .into_iter()
            .filter(|c| permissions::see_channel(&me, c, joined.contains(&c.id)).is_ok())
            .collect())
    }

    /// Channel `channel`, which must belong to `workspace` and be visible to `actor`.
    /// # Errors
    /// `NotFound(Channel)` when it is in another workspace.
    pub(crate) fn channel_of_server(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        channel: ChannelId,
    ) -> Result<Channel, ServiceError> {
        Some(self.visible_channel(actor, channel)?.0)
            .filter(|c| c.workspace_id == workspace)
            .ok_or(ServiceError::NotFound(Missing::Channel))
    }

    /// The channel and the caller's membership of its workspace, if the caller may see it.
    pub(crate) fn visible_channel(
        &self,
        actor: UserId,
        id: ChannelId,
    ) -> Result<(Channel, Membership), ServiceError> {
        let channel = self
            .ports
            .channels
            .channel_by_id(id)?
            .ok_or(ServiceError::NotFound(Missing::Channel))?;
        // A channel's workspace exists while it does (deletion cascades), so
        // only the membership needs reading: one query less on every channel
        // request, posts included.
        let me = self
            .ports
            .members
            .membership(channel.workspace_id, actor)?
            .ok_or(ServiceError::Forbidden(NOT_A_MEMBER))?;
        let in_channel = channel.private && self.ports.channels.is_channel_member(id, actor)?;
        permissions::see_channel(&me, &channel, in_channel)?;
        Ok((channel, me))
    }
}
