//! Members of a workspace: adding and removing them (the workspace
//! dialect), and joining with the invite code, leaving, roles and kicks by
//! membership id (the server dialect). Bans are in `bans.rs`.

use concord_domain::{
    InviteCode, Membership, MembershipId, Role, UserId, WorkspaceId, permissions,
};
use concord_ports::{AccessChange, RepoError};

use crate::workspaces::not_found;
use crate::{Clash, Members, Missing, ServerView, ServiceError, Shared};

impl Members {
    /// Add `user` to the workspace as a guest; owner and admins.
    /// # Errors
    /// `NotFound(User)` for an unknown user; `Conflict(MemberExists)` if already a member.
    pub fn add_member(
        &self,
        actor: UserId,
        id: WorkspaceId,
        user: UserId,
    ) -> Result<Membership, ServiceError> {
        let (_, me) = self.member_of(actor, id)?;
        permissions::add_member(me.role)?;
        self.user(user)?;
        let added = self
            .ports
            .members
            .add_member(id, user, Role::Guest)
            .map_err(|e| match e {
                RepoError::Duplicate => ServiceError::Conflict(Clash::MemberExists),
                RepoError::NotFound => ServiceError::NotFound(Missing::User),
                e => e.into(),
            })?;
        self.announce(AccessChange::UserGained(user));
        Ok(added)
    }

    /// Remove `user` from the workspace: leaving when `user` is the caller,
    /// kicking otherwise.
    /// # Errors
    /// `NotFound(WorkspaceMember)` if `user` is not a member.
    pub fn remove_member(
        &self,
        actor: UserId,
        id: WorkspaceId,
        user: UserId,
    ) -> Result<(), ServiceError> {
        let (_, me) = self.member_of(actor, id)?;
        if user == actor {
            permissions::leave_workspace(me.role)?;
        } else {
            let target = self
                .ports
                .members
                .membership(id, user)?
                .ok_or(ServiceError::NotFound(Missing::WorkspaceMember))?;
            permissions::kick_member(&me, &target)?;
        }
        self.ports
            .members
            .remove_member(id, user)
            .map_err(not_found(Missing::WorkspaceMember))?;
        self.announce(AccessChange::User(user));
        Ok(())
    }

    /// Join with an invite code as a guest. Already a member: nothing changes.
    /// Answered with the server view.
    /// # Errors
    /// `NotFound(InviteCode)` when the workspace does not exist or the code is
    /// wrong, alike.
    pub fn join_with_invite(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        code: &InviteCode,
    ) -> Result<ServerView, ServiceError> {
        let ws = self
            .ports
            .workspaces
            .workspace_by_id(workspace)?
            .filter(|ws| constant_time_eq(ws.invite_code.as_bytes(), code.as_str().as_bytes()))
            .ok_or(ServiceError::NotFound(Missing::InviteCode))?;
        match self.ports.members.add_member(workspace, actor, Role::Guest) {
            Ok(_) => self.announce(AccessChange::UserGained(actor)),
            Err(RepoError::Duplicate) => {}
            Err(RepoError::NotFound) => return Err(ServiceError::NotFound(Missing::InviteCode)),
            Err(e) => return Err(e.into()),
        }
        self.server_view(actor, ws.id)
    }

    /// Leave a server; anyone but the owner. Answered with the server as the
    /// caller saw it, without the caller and the private channels.
    pub fn leave_server(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<ServerView, ServiceError> {
        let mut view = self.server_view(actor, workspace)?;
        self.remove_member(actor, workspace, actor)?;
        view.workspace = self
            .ports
            .workspaces
            .workspace_by_id(workspace)?
            .ok_or(ServiceError::NotFound(Missing::Workspace))?;
        view.members.retain(|(m, _)| m.user_id != actor);
        view.channels.retain(|c| !c.private);
        Ok(view)
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
}

impl Shared {
    /// The membership `id`, which must be one of `workspace`.
    /// # Errors
    /// `NotFound(Member)`.
    pub(crate) fn membership_in(
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
