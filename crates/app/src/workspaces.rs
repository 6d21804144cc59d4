//! Workspaces, which the server dialect calls servers.

use concord_domain::{
    Membership, NewWorkspace, Role, User, UserId, Workspace, WorkspaceId, WorkspaceName,
    WorkspacePatch, permissions,
};
use concord_ports::{AccessChange, RepoError};

use crate::{Missing, ServerView, ServiceError, Workspaces};

/// A workspace with its owner and every member (owner included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceDetails {
    pub workspace: Workspace,
    pub owner: User,
    pub members: Vec<(Membership, User)>,
}

impl Workspaces {
    /// Create a workspace owned by `actor`, with its `general` channel. Every
    /// member of a workspace created here may create channels.
    pub fn create_workspace(
        &self,
        actor: UserId,
        name: WorkspaceName,
        description: Option<String>,
        image_url: Option<String>,
    ) -> Result<(Workspace, User), ServiceError> {
        let owner = self.user(actor)?;
        let new = NewWorkspace {
            name,
            description,
            image_url,
            members_can_create_channels: true,
        };
        let ws = self.ports.workspaces.create_workspace(actor, &new)?;
        self.announce(AccessChange::UserGained(actor));
        Ok((ws, owner))
    }

    /// Create a server owned by `actor`, with its `general` channel: a
    /// workspace without a description where only moderators and up create
    /// channels (API.md section 2).
    pub fn create_server(
        &self,
        actor: UserId,
        name: WorkspaceName,
        image_url: Option<String>,
    ) -> Result<ServerView, ServiceError> {
        self.user(actor)?;
        let new = NewWorkspace {
            name,
            description: None,
            image_url,
            members_can_create_channels: false,
        };
        let ws = self.ports.workspaces.create_workspace(actor, &new)?;
        self.announce(AccessChange::UserGained(actor));
        self.view_of(actor, ws)
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

    /// [`Self::update_workspace`], answered with the server view.
    pub fn update_server(
        &self,
        actor: UserId,
        id: WorkspaceId,
        patch: WorkspacePatch,
    ) -> Result<ServerView, ServiceError> {
        let (updated, _) = self.update_workspace(actor, id, patch)?;
        self.view_of(actor, updated)
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

    /// Delete a server and everything in it; the owner alone. Returns its
    /// view as it was.
    pub fn delete_server(
        &self,
        actor: UserId,
        id: WorkspaceId,
    ) -> Result<ServerView, ServiceError> {
        let (ws, me) = self.member_of(actor, id)?;
        let view = self.view_of(actor, ws)?;
        permissions::delete_workspace(me.role)?;
        self.ports
            .workspaces
            .delete_workspace(id)
            .map_err(not_found(Missing::Workspace))?;
        self.announce(AccessChange::Workspace(id));
        Ok(view)
    }

    /// A fresh invite code; owner and admins. Answered with the server view.
    pub fn regenerate_invite_code(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<ServerView, ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        permissions::regenerate_invite_code(me.role)?;
        let ws = self
            .ports
            .workspaces
            .regenerate_invite_code(workspace)
            .map_err(not_found(Missing::Workspace))?;
        self.view_of(actor, ws)
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
pub(crate) fn not_found(what: Missing) -> impl Fn(RepoError) -> ServiceError {
    move |e| match e {
        RepoError::NotFound => ServiceError::NotFound(what),
        e => e.into(),
    }
}
