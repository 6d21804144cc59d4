//! Workspaces and their members.

use concord_domain::{
    Membership, NewWorkspace, Role, User, UserId, Workspace, WorkspaceId, WorkspacePatch,
    permissions,
};

use super::{ChatService, Clash, Missing, ServiceError};
use crate::notify::AccessChange;
use crate::repo::RepoError;

/// A workspace with its owner and every member (owner included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceDetails {
    pub workspace: Workspace,
    pub owner: User,
    pub members: Vec<(Membership, User)>,
}

impl ChatService {
    /// Create a workspace owned by `actor`, with its `general` channel.
    pub fn create_workspace(
        &self,
        actor: UserId,
        new: NewWorkspace,
    ) -> Result<(Workspace, User), ServiceError> {
        let owner = self.user(actor)?;
        let ws = self.ports.workspaces.create_workspace(actor, &new)?;
        Ok((ws, owner))
    }

    /// The workspaces `actor` belongs to.
    /// # Errors
    /// `NotFound(User)` if the caller's account no longer exists.
    pub fn workspaces_of(&self, actor: UserId) -> Result<Vec<Workspace>, ServiceError> {
        self.user(actor)?;
        Ok(self.ports.workspaces.workspaces_of_user(actor)?)
    }

    /// A workspace with its owner and members; members only.
    pub fn workspace_details(
        &self,
        actor: UserId,
        id: WorkspaceId,
    ) -> Result<WorkspaceDetails, ServiceError> {
        let (workspace, _) = self.member_of(actor, id)?;
        self.details(workspace)
    }

    /// Rename a workspace or change its description or image; owner and admins.
    pub fn update_workspace(
        &self,
        actor: UserId,
        id: WorkspaceId,
        patch: WorkspacePatch,
    ) -> Result<(Workspace, User), ServiceError> {
        let (ws, me) = self.member_of(actor, id)?;
        permissions::edit_workspace(me.role)?;
        let updated = self
            .ports
            .workspaces
            .update_workspace(id, &patch)
            .map_err(not_found(Missing::Workspace))?;
        let owner = self.user(ws.owner_id)?;
        Ok((updated, owner))
    }

    /// Delete a workspace and everything in it; the owner alone. Returns it as it was.
    pub fn delete_workspace(
        &self,
        actor: UserId,
        id: WorkspaceId,
    ) -> Result<WorkspaceDetails, ServiceError> {
        let (ws, me) = self.member_of(actor, id)?;
        permissions::delete_workspace(me.role)?;
        let details = self.details(ws)?;
        self.ports
            .workspaces
            .delete_workspace(id)
            .map_err(not_found(Missing::Workspace))?;
        self.announce(AccessChange::Workspace(id));
        Ok(details)
    }

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
        self.ports
            .members
            .add_member(id, user, Role::Guest)
            .map_err(|e| match e {
                RepoError::Duplicate => ServiceError::Conflict(Clash::MemberExists),
                RepoError::NotFound => ServiceError::NotFound(Missing::User),
                e => e.into(),
            })
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

    fn details(&self, workspace: Workspace) -> Result<WorkspaceDetails, ServiceError> {
        let members = self.ports.members.members_with_users(workspace.id)?;
        let owner = match members.iter().find(|(m, _)| m.role == Role::Owner) {
            Some((_, user)) => user.clone(),
            None => self.user(workspace.owner_id)?,
        };
        Ok(WorkspaceDetails {
            workspace,
            owner,
            members,
        })
    }
}

/// Maps a repository's `NotFound` (the row vanished under a concurrent
/// request) to the caller-facing missing entity.
pub(super) fn not_found(what: Missing) -> impl Fn(RepoError) -> ServiceError {
    move |e| match e {
        RepoError::NotFound => ServiceError::NotFound(what),
        e => e.into(),
    }
}
