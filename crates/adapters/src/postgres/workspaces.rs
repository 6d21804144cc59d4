//! Workspaces and memberships.

use chrono::Utc;
use concord_domain::{
    Ban, ChannelKind, Membership, MembershipId, NewBan, NewWorkspace, Role, User, UserId,
    Workspace, WorkspaceId, WorkspacePatch, channel::GENERAL,
};
use concord_ports::{MembershipRepository, RepoError, WorkspaceRepository};
use diesel::prelude::*;
use rand::Rng;
use rand::distr::Alphanumeric;

use diesel::pg::upsert::excluded;
use diesel::result::Error as DieselError;

use super::read_state;
use super::rows::{
    BanRow, MembershipRow, NewBanRow, NewChannelMemberRow, NewChannelRow, NewMembershipRow,
    NewWorkspaceRow, UserRow, WorkspaceChangeset, WorkspaceRow,
};
use super::schema::{bans, channel_members, channels, memberships, users, workspaces};
use super::{PgStore, db_err};

/// Length of a generated invite code: 16 alphanumerics, about 95 bits of
/// entropy from the thread's cryptographic RNG, so codes cannot be guessed.
const INVITE_CODE_LEN: usize = 16;

/// A fresh random invite code.
pub(crate) fn new_invite_code() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(INVITE_CODE_LEN)
        .map(char::from)
        .collect()
}

impl WorkspaceRepository for PgStore {
    fn create_workspace(&self, owner: UserId, new: &NewWorkspace) -> Result<Workspace, RepoError> {
        let mut conn = self.conn()?;
        let row = conn
            .transaction(|c| {
                let ws = diesel::insert_into(workspaces::table)
                    .values(NewWorkspaceRow {
                        name: new.name.as_str(),
                        description: new.description.as_deref(),
                        image_url: new.image_url.as_deref(),
                        owner_id: owner.get(),
                        invite_code: &new_invite_code(),
                        members_can_create_channels: new.members_can_create_channels,
                    })
                    .returning(WorkspaceRow::as_returning())
                    .get_result(c)?;
                diesel::insert_into(memberships::table)
                    .values(NewMembershipRow {
                        workspace_id: ws.id,
                        user_id: owner.get(),
                        role: Role::Owner.as_str(),
                    })
                    .execute(c)?;
                let general: i64 = diesel::insert_into(channels::table)
                    .values(NewChannelRow {
                        workspace_id: ws.id,
                        name: GENERAL,
                        kind: ChannelKind::Text.as_str(),
                        description: None,
                        topic: None,
                        private: false,
                        creator_id: owner.get(),
                        is_general: true,
                    })
                    .returning(channels::id)
                    .get_result(c)?;
                diesel::insert_into(channel_members::table)
                    .values(NewChannelMemberRow {
                        channel_id: general,
                        user_id: owner.get(),
                    })
                    .execute(c)?;
                Ok(ws)
            })
            .map_err(db_err("create workspace"))?;
        Ok(row.into())
    }

    fn workspace_by_id(&self, id: WorkspaceId) -> Result<Option<Workspace>, RepoError> {
        let mut conn = self.conn()?;
        let row = workspaces::table
            .find(id.get())
            .select(WorkspaceRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("workspace by id"))?;
        Ok(row.map(Workspace::from))
    }

    fn workspaces_of_user(&self, user: UserId) -> Result<Vec<Workspace>, RepoError> {
        let mut conn = self.conn()?;
        let rows = workspaces::table
            .inner_join(memberships::table)
            .filter(memberships::user_id.eq(user.get()))
            .order(workspaces::id.asc())
            .select(WorkspaceRow::as_select())
            .load(&mut conn)
            .map_err(db_err("workspaces of user"))?;
        Ok(rows.into_iter().map(Workspace::from).collect())
    }

    fn update_workspace(
        &self,
        id: WorkspaceId,
        patch: &WorkspacePatch,
    ) -> Result<Workspace, RepoError> {
        let mut conn = self.conn()?;
        let row = diesel::update(workspaces::table.find(id.get()))
            .set(WorkspaceChangeset {
                name: patch.name.as_ref().map(|n| n.as_str()),
                description: patch.description.as_ref().map(|d| d.as_deref()),
                image_url: patch.image_url.as_ref().map(|u| u.as_deref()),
                updated_at: Utc::now(),
            })
            .returning(WorkspaceRow::as_returning())
            .get_result(&mut conn)
            .map_err(db_err("update workspace"))?;
        Ok(row.into())
    }

    fn delete_workspace(&self, id: WorkspaceId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        let n = diesel::delete(workspaces::table.find(id.get()))
            .execute(&mut conn)
            .map_err(db_err("delete workspace"))?;
        if n == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    // Retried on the (astronomically unlikely) clash of two random codes.
    fn regenerate_invite_code(&self, id: WorkspaceId) -> Result<Workspace, RepoError> {
        let mut conn = self.conn()?;
        let mut attempts = 0;
        loop {
            let result = diesel::update(workspaces::table.find(id.get()))
                .set((
                    workspaces::invite_code.eq(new_invite_code()),
                    workspaces::updated_at.eq(Utc::now()),
                ))
                .returning(WorkspaceRow::as_returning())
                .get_result(&mut conn)
                .map_err(db_err("regenerate invite code"));
            match result {
                Err(RepoError::Duplicate) if attempts < 3 => attempts += 1,
                other => return other.map(Workspace::from),
            }
        }
    }
}

impl MembershipRepository for PgStore {
    fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
    ) -> Result<Membership, RepoError> {
        let mut conn = self.conn()?;
        let row = conn
            .transaction(|c| {
                lock_user(c, user)?;
                if ban_row(c, workspace, user)?.is_some() {
                    return Ok(None);
                }
                let membership = diesel::insert_into(memberships::table)
                    .values(NewMembershipRow {
                        workspace_id: workspace.get(),
                        user_id: user.get(),
                        role: role.as_str(),
                    })
                    .returning(MembershipRow::as_returning())
                    .get_result(c)?;
                read_state::start_in_public_channels(c, workspace, user)?;
                Ok(Some(membership))
            })
            .map_err(db_err("add member"))?;
        row.ok_or(RepoError::Banned)?.try_into()
    }

    fn membership(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<Membership>, RepoError> {
        let mut conn = self.conn()?;
        memberships::table
            .filter(memberships::workspace_id.eq(workspace.get()))
            .filter(memberships::user_id.eq(user.get()))
            .select(MembershipRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("membership"))?
            .map(Membership::try_from)
            .transpose()
    }

    fn membership_by_id(&self, id: MembershipId) -> Result<Option<Membership>, RepoError> {
        let mut conn = self.conn()?;
        memberships::table
            .find(id.get())
            .select(MembershipRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("membership by id"))?
            .map(Membership::try_from)
            .transpose()
    }

    fn members_with_users(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(Membership, User)>, RepoError> {
        let mut conn = self.conn()?;
        let rows = memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq(workspace.get()))
            .order(memberships::id.asc())
            .select((MembershipRow::as_select(), UserRow::as_select()))
            .load::<(MembershipRow, UserRow)>(&mut conn)
            .map_err(db_err("members with users"))?;
        rows.into_iter()
            .map(|(m, u)| Ok((m.try_into()?, u.into())))
            .collect()
    }

    fn set_role(&self, id: MembershipId, role: Role) -> Result<Membership, RepoError> {
        let mut conn = self.conn()?;
        diesel::update(memberships::table.find(id.get()))
            .set((
                memberships::role.eq(role.as_str()),
                memberships::updated_at.eq(Utc::now()),
            ))
            .returning(MembershipRow::as_returning())
            .get_result(&mut conn)
            .map_err(db_err("set role"))?
            .try_into()
    }

    fn remove_member(&self, workspace: WorkspaceId, user: UserId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            if leave(c, workspace, user)? == 0 {
                Err(DieselError::NotFound)
            } else {
                Ok(())
            }
        })
        .map_err(db_err("remove member"))
    }

    fn ban_member(&self, ban: &NewBan) -> Result<Ban, RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            lock_user(c, ban.user_id)?;
            leave(c, ban.workspace_id, ban.user_id)?;
            diesel::insert_into(bans::table)
                .values(NewBanRow {
                    workspace_id: ban.workspace_id.get(),
                    user_id: ban.user_id.get(),
                    role: ban.role.as_str(),
                    reason: ban.reason.as_deref(),
                    banned_by: ban.banned_by.get(),
                })
                // Banning again: the first ban's role and time stand.
                .on_conflict((bans::workspace_id, bans::user_id))
                .do_update()
                .set((
                    bans::reason.eq(excluded(bans::reason)),
                    bans::banned_by.eq(excluded(bans::banned_by)),
                ))
                .returning(BanRow::as_returning())
                .get_result(c)
        })
        .map_err(db_err("ban member"))?
        .try_into()
    }

    fn ban(&self, workspace: WorkspaceId, user: UserId) -> Result<Option<Ban>, RepoError> {
        let mut conn = self.conn()?;
        ban_row(&mut conn, workspace, user)
            .map_err(db_err("ban"))?
            .map(Ban::try_from)
            .transpose()
    }

    fn bans(&self, workspace: WorkspaceId) -> Result<Vec<Ban>, RepoError> {
        let mut conn = self.conn()?;
        bans::table
            .filter(bans::workspace_id.eq(workspace.get()))
            .order((bans::created_at.asc(), bans::user_id.asc()))
            .select(BanRow::as_select())
            .load(&mut conn)
            .map_err(db_err("bans"))?
            .into_iter()
            .map(Ban::try_from)
            .collect()
    }

    fn lift_ban(&self, workspace: WorkspaceId, user: UserId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        diesel::delete(bans::table.find((workspace.get(), user.get())))
            .execute(&mut conn)
            .map(|_| ())
            .map_err(db_err("lift ban"))
    }
}

/// Locks `user`'s row until the transaction ends, so that adding them to a
/// workspace and banning them from it happen one after the other: a join
/// racing a ban either lands first (and the ban removes it) or sees the ban.
/// # Errors
/// `NotFound` if the user does not exist.
fn lock_user(c: &mut PgConnection, user: UserId) -> QueryResult<()> {
    users::table
        .find(user.get())
        .select(users::id)
        .for_no_key_update()
        .first::<i64>(c)
        .map(|_| ())
}

/// `user`'s ban from `workspace`, if any.
fn ban_row(
    c: &mut PgConnection,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Option<BanRow>> {
    bans::table
        .find((workspace.get(), user.get()))
        .select(BanRow::as_select())
        .first(c)
        .optional()
}

/// Removes `user` from `workspace` and every channel in it; the number of
/// memberships removed (0 or 1).
fn leave(c: &mut PgConnection, workspace: WorkspaceId, user: UserId) -> QueryResult<usize> {
    let in_workspace = channels::table
        .filter(channels::workspace_id.eq(workspace.get()))
        .select(channels::id);
    diesel::delete(
        channel_members::table
            .filter(channel_members::user_id.eq(user.get()))
            .filter(channel_members::channel_id.eq_any(in_workspace)),
    )
    .execute(c)?;
    diesel::delete(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace.get()))
            .filter(memberships::user_id.eq(user.get())),
    )
    .execute(c)
}
