//! Conversations and their participants.

use std::collections::HashMap;

use chrono::Utc;
use concord_domain::{Conversation, ConversationId, NewConversation, UserId, WorkspaceId};
use concord_ports::{ConversationRepository, RepoError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::rows::ConversationRow;
use super::schema::{conversation_participants, conversations};
use super::{PgConn, PgStore, db_err};

impl PgStore {
    /// Participants of each of `ids`, in ascending user id order.
    fn participants_of(conn: &mut PgConn, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<UserId>>> {
        let pairs: Vec<(i64, i64)> = conversation_participants::table
            .filter(conversation_participants::conversation_id.eq_any(ids))
            .order((
                conversation_participants::conversation_id,
                conversation_participants::user_id,
            ))
            .select((
                conversation_participants::conversation_id,
                conversation_participants::user_id,
            ))
            .load(conn)?;
        let mut map: HashMap<i64, Vec<UserId>> = HashMap::new();
        for (conversation, user) in pairs {
            map.entry(conversation).or_default().push(UserId::new(user));
        }
        Ok(map)
    }

    fn with_participants(
        conn: &mut PgConn,
        rows: Vec<ConversationRow>,
    ) -> QueryResult<Vec<Conversation>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut participants = Self::participants_of(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let users = participants.remove(&r.id).unwrap_or_default();
                r.into_domain(users)
            })
            .collect())
    }

    fn conversation_by_key(
        conn: &mut PgConn,
        workspace: WorkspaceId,
        key: &str,
    ) -> QueryResult<Option<ConversationRow>> {
        conversations::table
            .filter(conversations::workspace_id.eq(workspace.get()))
            .filter(conversations::direct_key.eq(key))
            .select(ConversationRow::as_select())
            .first(conn)
            .optional()
    }
}

impl ConversationRepository for PgStore {
    fn create_conversation(
        &self,
        workspace: WorkspaceId,
        creator: UserId,
        new: &NewConversation,
        direct_key: Option<String>,
    ) -> Result<Conversation, RepoError> {
        let mut conn = self.conn()?;
        let created = conn.transaction(|c| {
            if let Some(key) = &direct_key
                && let Some(existing) = Self::conversation_by_key(c, workspace, key)?
            {
                return Ok(existing);
            }
            let row = diesel::insert_into(conversations::table)
                .values((
                    conversations::workspace_id.eq(workspace.get()),
                    conversations::topic.eq(new.topic.as_deref()),
                    conversations::creator_id.eq(creator.get()),
                    conversations::direct_key.eq(direct_key.as_deref()),
                ))
                .returning(ConversationRow::as_returning())
                .get_result(c)?;
            let participants: Vec<_> = std::iter::once(creator)
                .chain(new.others.iter().copied())
                .map(|u| {
                    (
                        conversation_participants::conversation_id.eq(row.id),
                        conversation_participants::user_id.eq(u.get()),
                    )
                })
                .collect();
            diesel::insert_into(conversation_participants::table)
                .values(participants)
                .execute(c)?;
            Ok(row)
        });
        let row = match (created, &direct_key) {
            // Two members started the same 1:1 conversation at once: the other won.
            (Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)), Some(key)) => {
                Self::conversation_by_key(&mut conn, workspace, key)
                    .map_err(db_err("direct conversation by key"))?
                    .ok_or(RepoError::Unexpected(anyhow::anyhow!(
                        "direct conversation vanished"
                    )))?
            }
            (other, _) => other.map_err(db_err("create conversation"))?,
        };
        let mut list = Self::with_participants(&mut conn, vec![row])
            .map_err(db_err("conversation participants"))?;
        list.pop().ok_or(RepoError::NotFound)
    }

    fn conversation_by_id(&self, id: ConversationId) -> Result<Option<Conversation>, RepoError> {
        let mut conn = self.conn()?;
        let row = conversations::table
            .find(id.get())
            .select(ConversationRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("conversation by id"))?;
        let Some(row) = row else { return Ok(None) };
        let mut list = Self::with_participants(&mut conn, vec![row])
            .map_err(db_err("conversation participants"))?;
        Ok(list.pop())
    }

    fn conversations_of_user(
        &self,
        user: UserId,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<Conversation>, RepoError> {
        let mut conn = self.conn()?;
        let mut query = conversations::table
            .inner_join(conversation_participants::table)
            .filter(conversation_participants::user_id.eq(user.get()))
            .order(conversations::id.asc())
            .select(ConversationRow::as_select())
            .into_boxed();
        if let Some(ws) = workspace {
            query = query.filter(conversations::workspace_id.eq(ws.get()));
        }
        let rows = query
            .load(&mut conn)
            .map_err(db_err("conversations of user"))?;
        Self::with_participants(&mut conn, rows).map_err(db_err("conversation participants"))
    }

    fn set_conversation_topic(
        &self,
        id: ConversationId,
        topic: Option<String>,
    ) -> Result<Conversation, RepoError> {
        let mut conn = self.conn()?;
        let row = diesel::update(conversations::table.find(id.get()))
            .set((
                conversations::topic.eq(topic),
                conversations::updated_at.eq(Utc::now()),
            ))
            .returning(ConversationRow::as_returning())
            .get_result(&mut conn)
            .map_err(db_err("set conversation topic"))?;
        let mut list = Self::with_participants(&mut conn, vec![row])
            .map_err(db_err("conversation participants"))?;
        list.pop().ok_or(RepoError::NotFound)
    }

    fn delete_conversation(&self, id: ConversationId) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        let n = diesel::delete(conversations::table.find(id.get()))
            .execute(&mut conn)
            .map_err(db_err("delete conversation"))?;
        if n == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }
}
