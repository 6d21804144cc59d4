//! The use cases only the server dialect reaches: invite codes, roles and
//! kicks by membership id, and the server view with members and channels.

use concord_domain::{
    Channel, ChannelId, InviteCode, Membership, MembershipId, Role, Room, User, UserId, Workspace,
    WorkspaceId, permissions,
};

use super::workspaces::not_found;
use super::{ChatService, Missing, ServiceError};
use crate::notify::AccessChange;
use crate::repo::RepoError;

/// A workspace as the server dialect shows it: with every member and the
/// channels the caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub workspace: Workspace,
    pub members: Vec<(Membership, User)>,
    pub channels: Vec<Channel>,
}

impl ChatService {
    /// The server view of `workspace` for `actor`, a member.
    pub fn server_view(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<ServerView, ServiceError> {
        let (ws, _) = self.member_of(actor, workspace)?;
        self.view_of(actor, ws)
    }

    /// Join with an invite code as a guest. Already a member: nothing changes.
    /// # Errors
    /// `NotFound(InviteCode)` when the workspace does not exist or the code is
    /// wrong, alike.
    pub fn join_with_invite(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        code: &InviteCode,
    ) -> Result<Workspace, ServiceError> {
        let ws = self
            .ports
            .workspaces
            .workspace_by_id(workspace)?
            .filter(|ws| constant_time_eq(ws.invite_code.as_bytes(), code.as_str().as_bytes()))
            .ok_or(ServiceError::NotFound(Missing::InviteCode))?;
        match self.ports.members.add_member(workspace, actor, Role::Guest) {
            Ok(_) | Err(RepoError::Duplicate) => Ok(ws),
            Err(RepoError::NotFound) => Err(ServiceError::NotFound(Missing::InviteCode)),
            Err(e) => Err(e.into()),
        }
    }

    /// A fresh invite code; owner and admins.
    pub fn regenerate_invite_code(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Workspace, ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        permissions::regenerate_invite_code(me.role)?;
        self.ports
            .workspaces
            .regenerate_invite_code(workspace)
            .map_err(not_found(Missing::Workspace))
    }

    /// Leave a workspace; anyone but the owner. Returns it as it is afterwards.
    pub fn leave_workspace(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Workspace, ServiceError> {
        self.remove_member(actor, workspace, actor)?;
        self.ports
            .workspaces
            .workspace_by_id(workspace)?
            .ok_or(ServiceError::NotFound(Missing::Workspace))
    }

    /// Change the role of the membership `target` of `workspace`.
    pub fn change_role(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        target: MembershipId,
        role: Role,
    ) -> Result<ServerView, ServiceError> {
        let (ws, me) = self.member_of(actor, workspace)?;
        let target = self.membership_in(workspace, target)?;
        permissions::change_role(&me, &target, role)?;
        self.ports
            .members
            .set_role(target.id, role)
            .map_err(not_found(Missing::Member))?;
        self.announce(AccessChange::User(target.user_id));
        self.view_of(actor, ws)
    }

    /// Kick the membership `target` out of `workspace`.
    pub fn kick_member(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        target: MembershipId,
    ) -> Result<ServerView, ServiceError> {
        let (ws, me) = self.member_of(actor, workspace)?;
        let target = self.membership_in(workspace, target)?;
        permissions::kick_member(&me, &target)?;
        self.ports
            .members
            .remove_member(workspace, target.user_id)
            .map_err(not_found(Missing::Member))?;
        self.announce(AccessChange::User(target.user_id));
        self.view_of(actor, ws)
    }

    /// The user behind membership `target` of `workspace`.
    pub fn member_user(
        &self,
        workspace: WorkspaceId,
        target: MembershipId,
    ) -> Result<UserId, ServiceError> {
        Ok(self.membership_in(workspace, target)?.user_id)
    }

    /// Every member of `workspace` with their user (to show message authors);
    /// members only.
    pub fn members_of(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Vec<(Membership, User)>, ServiceError> {
        self.member_of(actor, workspace)?;
        Ok(self.ports.members.members_with_users(workspace)?)
    }

    /// Channel `channel`, which must belong to `workspace` and be visible to `actor`.
    /// # Errors
    /// `NotFound(Channel)` when it is in another workspace.
    pub fn channel_of_server(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        channel: ChannelId,
    ) -> Result<Channel, ServiceError> {
        Some(self.get_channel(actor, channel)?)
            .filter(|c| c.workspace_id == workspace)
            .ok_or(ServiceError::NotFound(Missing::Channel))
    }

    /// Every member of the workspace `room` belongs to, if `actor` may read the room.
    pub fn room_members(
        &self,
        actor: UserId,
        room: Room,
    ) -> Result<Vec<(Membership, User)>, ServiceError> {
        let workspace = match room {
            Room::Channel(id) => self.visible_channel(actor, id)?.0.workspace_id,
            Room::Conversation(id) => self.get_conversation(actor, id)?.workspace_id,
        };
        Ok(self.ports.members.members_with_users(workspace)?)
    }

    fn membership_in(
        &self,
        workspace: WorkspaceId,
        id: MembershipId,
    ) -> Result<Membership, ServiceError> {
        self.ports
            .members
            .membership_by_id(id)?
            .filter(|m| m.workspace_id == workspace)
            .ok_or(ServiceError::NotFound(Missing::Member))
    }

    fn view_of(&self, actor: UserId, workspace: Workspace) -> Result<ServerView, ServiceError> {
        let channels = self.list_channels(actor, workspace.id)?;
        let members = self.ports.members.members_with_users(workspace.id)?;
        Ok(ServerView {
            workspace,
            members,
            channels,
        })
    }
}

/// Compares without an early exit, so response time does not reveal how much
/// of a guessed invite code was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn codes_compare_exactly() {
        assert!(constant_time_eq(b"abcdefghij", b"abcdefghij"));
        assert!(!constant_time_eq(b"abcdefghij", b"abcdefghiJ"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
