//! Bans: keeping a user out of a workspace until the ban is lifted.

use concord_domain::{Ban, NewBan, Role, UserId, WorkspaceId, permissions};

use concord_ports::AccessChange;

use crate::workspaces::not_found;
use crate::{Members, Missing, ServerView, ServiceError};

impl Members {
    /// Ban `user` from the workspace with an optional `reason` (already
    /// validated): they are removed from it, like a kick, and cannot join with
    /// the invite code nor be added until the ban is lifted. Who may: as for
    /// kicking, ranked against the role `user` holds (or was banned with, when
    /// banning again); a user who is not a member ranks as a guest. Banning
    /// again replaces the reason.
    /// # Errors
    /// `NotFound(User)` for an unknown user; `Forbidden` by rank, for the
    /// owner and for the caller themself.
    pub fn ban_member(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        user: UserId,
        reason: Option<String>,
    ) -> Result<Ban, ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        let role = match self.ports.members.ban(workspace, user)? {
            Some(ban) => ban.role,
            None => match self.ports.members.membership(workspace, user)? {
                Some(target) => target.role,
                None => {
                    self.user(user)?;
                    Role::Guest
                }
            },
        };
        permissions::ban_member(&me, user, role)?;
        let ban = self
            .ports
            .members
            .ban_member(&NewBan {
                workspace_id: workspace,
                user_id: user,
                role,
                reason,
                banned_by: actor,
            })
            .map_err(not_found(Missing::User))?;
        // Like a kick: the user's live subscriptions and remembered grants go.
        self.announce(AccessChange::User(user));
        Ok(ban)
    }

    /// Lift `user`'s ban from the workspace; whoever could have placed it
    /// may. There being no ban is not an error (for moderators and up).
    /// # Errors
    /// `Forbidden` by rank.
    pub fn lift_ban(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<(), ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        let ban = self.ports.members.ban(workspace, user)?;
        permissions::lift_ban(&me, ban.as_ref().map(|b| b.role))?;
        if ban.is_some() {
            self.ports.members.lift_ban(workspace, user)?;
        }
        Ok(())
    }

    /// The workspace's bans, oldest first; moderators and up.
    pub fn bans_of(&self, actor: UserId, workspace: WorkspaceId) -> Result<Vec<Ban>, ServiceError> {
        let (_, me) = self.member_of(actor, workspace)?;
        permissions::list_bans(me.role)?;
        Ok(self.ports.members.bans(workspace)?)
    }

    /// [`Self::ban_member`], answered with the server view (without them).
    pub fn ban_from_server(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        user: UserId,
        reason: Option<String>,
    ) -> Result<ServerView, ServiceError> {
        self.ban_member(actor, workspace, user, reason)?;
        self.server_view(actor, workspace)
    }

    /// [`Self::lift_ban`], answered with the server view.
    pub fn lift_server_ban(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<ServerView, ServiceError> {
        self.lift_ban(actor, workspace, user)?;
        self.server_view(actor, workspace)
    }
}
