//! Channels and channel members.

use chrono::Utc;
use concord_domain::{Channel, ChannelId, ChannelPatch, NewChannel, UserId, WorkspaceId};
use concord_ports::{ChannelRepository, RepoError};
use diesel::prelude::*;

use super::read_state;
use super::rows::{ChannelChangeset, ChannelRow, NewChannelMemberRow, NewChannelRow};
use super::schema::{channel_members, channels};
use super::{PgStore, db_err};

impl ChannelRepository for PgStore {
    fn create_channel(
        &self,
        workspace: WorkspaceId,
        creator: UserId,
        new: &NewChannel,
    ) -> Result<Channel, RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            let row = diesel::insert_into(channels::table)
                .values(NewChannelRow {
                    workspace_id: workspace.get(),
                    name: new.name.as_str(),
                    kind: new.kind.as_str(),
                    description: new.description.as_deref(),
                    topic: new.topic.as_deref(),
                    private: new.private,
                    creator_id: creator.get(),
                    is_general: false,
                })
                .returning(ChannelRow::as_returning())
                .get_result(c)?;
            diesel::insert_into(channel_members::table)
                .values(NewChannelMemberRow {
                    channel_id: row.id,
                    user_id: creator.get(),
                })
                .execute(c)?;
            Ok(row)
        })
        .map_err(db_err("create channel"))?
        .try_into()
    }

    fn channel_by_id(&self, id: ChannelId) -> Result<Option<Channel>, RepoError> {
        let mut conn = self.conn()?;
        channels::table
            .find(id.get())
            .select(ChannelRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("channel by id"))?
            .map(Channel::try_from)
            .transpose()
    }

    fn channels_of_workspace(&self, workspace: WorkspaceId) -> Result<Vec<Channel>, RepoError> {
        let mut conn = self.conn()?;
        channels::table
            .filter(channels::workspace_id.eq(workspace.get()))
            .order((channels::is_general.desc(), channels::id.asc()))
            .select(ChannelRow::as_select())
            .load(&mut conn)
            .map_err(db_err("channels of workspace"))?
            .into_iter()
            .map(Channel::try_from)
            .collect()
    }

    fn channel_ids_of_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Vec<ChannelId>, RepoError> {
        let mut conn = self.conn()?;
        let ids: Vec<i64> = channel_members::table
            .inner_join(channels::table)
            .filter(channel_members::user_id.eq(user.get()))
            .filter(channels::workspace_id.eq(workspace.get()))
            .select(channel_members::channel_id)
            .load(&mut conn)
            .map_err(db_err("channel ids of member"))?;
        Ok(ids.into_iter().map(ChannelId::new).collect())
    }

    fn update_channel(&self, id: ChannelId, patch: &ChannelPatch) -> Result<Channel, RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            let row = diesel::update(channels::table.find(id.get()))
                .set(ChannelChangeset {
                    name: patch.name.as_ref().map(|n| n.as_str()),
                    kind: patch.kind.map(|k| k.as_str()),
                    description: patch.description.as_ref().map(|d| d.as_deref()),
                    topic: patch.topic.as_ref().map(|t| t.as_deref()),
                    private: patch.private,
                    updated_at: Utc::now(),
                })
                .returning(ChannelRow::as_returning())
                .get_result(c)?;
            if patch.private == Some(false) {
                read_state::start_for_workspace(c, id)?;
            }
            Ok(row)
        })
        .map_err(db_err("update channel"))?
        .try_into()
    }

    fn delete_channel(&self, id: ChannelId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        let n = diesel::delete(channels::table.find(id.get()))
            .execute(&mut conn)
            .map_err(db_err("delete channel"))?;
        if n == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    fn is_channel_member(&self, channel: ChannelId, user: UserId) -> Result<bool, RepoError> {
        let mut conn = self.conn()?;
        diesel::select(diesel::dsl::exists(
            channel_members::table.find((channel.get(), user.get())),
        ))
        .get_result(&mut conn)
        .map_err(db_err("is channel member"))
    }

    fn add_channel_member(&self, channel: ChannelId, user: UserId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            diesel::insert_into(channel_members::table)
                .values(NewChannelMemberRow {
                    channel_id: channel.get(),
                    user_id: user.get(),
                })
                .execute(c)?;
            read_state::start_in_channel(c, channel, user)
        })
        .map_err(db_err("add channel member"))
    }

    fn remove_channel_member(&self, channel: ChannelId, user: UserId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        let n = diesel::delete(channel_members::table.find((channel.get(), user.get())))
            .execute(&mut conn)
            .map_err(db_err("remove channel member"))?;
        if n == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }
}
