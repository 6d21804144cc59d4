//! Read markers and the unread and mention counts after them.
//!
//! Counting never reads a room's history. Every post takes the next
//! `room_pos` from its room's `posted` counter (in the statement that
//! advances `last_seq`), and a marker remembers the `room_pos` of the
//! message it is at. The messages after a marker number `posted −
//! last_read_pos`; unread are those minus the ones others deleted and minus
//! all of the reader's own after the marker, deleted or not, each counted
//! on an index that holds only such rows (deleted messages; the reader's
//! messages in the room), and mentions are counted on `message_mentions`,
//! which holds only mentions. Each count costs index probes bounded by
//! deletions, own posts and mentions after the marker, never by the
//! messages there.
//!
//! The reader's own messages are counted whatever their state, so that the
//! count reads `messages_author_room_idx` alone (an index-only scan).
//! Counting only the live ones needs each row's `deleted_at`, which no
//! index holds, and the generic plan then weighs the author index against the room index as equals wherever
//! few people write (a room filled by one bot, or the benchmark's), picks
//! the room index and filters every message after the marker, 10,000 of
//! them for an unread room of the `unread` scenario: 7 ms a room instead of
//! a microsecond. Own deleted messages are then left out of the deleted
//! count instead, which reads deleted rows only.
//!
//! A room without a marker row for a user was empty when they gained access
//! (a room they are given access to with messages in it gets a marker at its
//! latest message here: [`start_in_public_channels`], [`start_in_channel`],
//! [`start_for_workspace`]).

use std::collections::HashMap;

use concord_domain::{ChannelId, ConversationId, MessageId, Room, UserId, WorkspaceId};
use concord_ports::{MarkedRead, ReadStateRepository, RepoError, RoomUnread};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Untyped};

use super::rows::room_columns;
use super::{PgConn, PgStore, db_err};

/// The counts of one room, as [`UNREAD_SQL`] reads them.
#[derive(QueryableByName)]
struct UnreadRow {
    #[diesel(sql_type = BigInt)]
    room_id: i64,
    #[diesel(sql_type = Bool)]
    is_channel: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_read_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_message_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    unread: i64,
    #[diesel(sql_type = BigInt)]
    mentions: i64,
}

impl UnreadRow {
    fn into_domain(self) -> RoomUnread {
        RoomUnread {
            room: if self.is_channel {
                Room::Channel(ChannelId::new(self.room_id))
            } else {
                Room::Conversation(ConversationId::new(self.room_id))
            },
            last_read_id: self.last_read_id.map(MessageId::new),
            last_message_id: self.last_message_id.map(MessageId::new),
            unread: self.unread.max(0).unsigned_abs(),
            mentions: self.mentions.max(0).unsigned_abs(),
        }
    }
}

/// `$1` the reader, `$2` the channels, `$3` the conversations; rows in no
/// particular order. Rooms that no longer exist drop out.
///
/// Its text is the same whatever the rooms (they are bound as arrays), so
/// each connection prepares it once ([`UnreadQuery`]) and runs the generic
/// plan every pooled connection is set to: per room, a primary-key probe of
/// its table and of the reader's marker (the `LIMIT 1` keeps that probe a
/// lookup rather than a join against all of the reader's markers), and
/// the index probes counted above. Planning it anew for every summary cost
/// more than running it.
const UNREAD_SQL: &str = "\
SELECT r.room_id, r.is_channel, mk.last_read_id, \
    (SELECT m.id FROM messages m WHERE m.room_id = r.room_id \
     ORDER BY m.room_id DESC, m.id DESC LIMIT 1) AS last_message_id, \
    r.posted - COALESCE(mk.last_read_pos, 0) \
    - (SELECT count(*) FROM messages m \
       WHERE m.room_id = r.room_id AND m.id > COALESCE(mk.last_read_id, 0) \
         AND m.deleted_at IS NOT NULL AND m.author_id <> $1) \
    - (SELECT count(*) FROM messages m \
       WHERE m.author_id = $1 AND m.room_id = r.room_id AND m.id > COALESCE(mk.last_read_id, 0)) \
    AS unread, \
    (SELECT count(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id \
     WHERE mm.user_id = $1 AND mm.room_id = r.room_id AND mm.message_id > COALESCE(mk.last_read_id, 0) \
       AND m.deleted_at IS NULL AND m.author_id <> $1) AS mentions \
FROM (SELECT c.id AS room_id, true AS is_channel, c.posted FROM channels c \
      WHERE c.id = ANY($2::bigint[]) \
      UNION ALL \
      SELECT v.id, false, v.posted FROM conversations v \
      WHERE v.id = ANY($3::bigint[])) AS r \
LEFT JOIN LATERAL (SELECT k.last_read_id, k.last_read_pos FROM read_markers k \
                   WHERE k.user_id = $1 AND k.room_id = r.room_id LIMIT 1) AS mk ON true";

/// [`UNREAD_SQL`] with its parameters: a statement diesel prepares once per
/// connection and keeps, unlike a `sql_query`, which it prepares at every
/// run because it cannot know that the text never changes.
struct UnreadQuery {
    user: i64,
    channels: Vec<i64>,
    conversations: Vec<i64>,
}

impl QueryId for UnreadQuery {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for UnreadQuery {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for UnreadQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Diesel numbers binds in the order they are pushed, so each `$n`
        // of the text becomes a bind of its own (`$1` five of them).
        let mut rest = UNREAD_SQL;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let (n, tail) = rest[at + 1..].split_at(1);
            match n {
                "1" => out.push_bind_param::<BigInt, _>(&self.user)?,
                "2" => out.push_bind_param::<Array<BigInt>, _>(&self.channels)?,
                "3" => out.push_bind_param::<Array<BigInt>, _>(&self.conversations)?,
                _ => unreachable!("UNREAD_SQL has parameters $1 to $3 only"),
            }
            rest = tail;
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for UnreadQuery {}

/// The counts of each of `rooms` that exists, in the order of `rooms`.
fn unread_in(c: &mut PgConn, user: UserId, rooms: &[Room]) -> QueryResult<Vec<RoomUnread>> {
    let (mut channels, mut conversations) = (Vec::new(), Vec::new());
    for room in rooms {
        match room {
            Room::Channel(id) => channels.push(id.get()),
            Room::Conversation(id) => conversations.push(id.get()),
        }
    }
    let rows: Vec<UnreadRow> = UnreadQuery {
        user: user.get(),
        channels,
        conversations,
    }
    .load(c)?;
    // Channels and conversations share one id sequence.
    let mut by_room: HashMap<i64, UnreadRow> = rows.into_iter().map(|r| (r.room_id, r)).collect();
    Ok(rooms
        .iter()
        .filter_map(|room| by_room.remove(&room.id().get()))
        .map(UnreadRow::into_domain)
        .collect())
}

impl ReadStateRepository for PgStore {
    fn mark_read(
        &self,
        user: UserId,
        room: Room,
        message: MessageId,
        force: bool,
    ) -> Result<MarkedRead, RepoError> {
        let mut conn = self.conn()?;
        let (channel_id, conversation_id) = room_columns(room);
        let moved = diesel::sql_query(
            "INSERT INTO read_markers (user_id, channel_id, conversation_id, last_read_id, last_read_pos) \
             SELECT $1, $2, $3, m.id, m.room_pos FROM messages m WHERE m.id = $4 AND m.room_id = $5 \
             ON CONFLICT (user_id, room_id) DO UPDATE \
             SET last_read_id = EXCLUDED.last_read_id, last_read_pos = EXCLUDED.last_read_pos, \
                 updated_at = now() \
             WHERE $6 OR read_markers.last_read_id IS NULL \
                OR read_markers.last_read_pos < EXCLUDED.last_read_pos",
        )
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<BigInt>, _>(channel_id)
        .bind::<Nullable<BigInt>, _>(conversation_id)
        .bind::<BigInt, _>(message.get())
        .bind::<BigInt, _>(room.id().get())
        .bind::<Bool, _>(force)
        .execute(&mut conn)
        .map_err(db_err("mark read"))?;
        if moved == 0 {
            // Nothing inserted or moved: the message is not in the room, or
            // the marker is already at or past it.
            let in_room: bool = diesel::sql_query(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND room_id = $2) AS found",
            )
            .bind::<BigInt, _>(message.get())
            .bind::<BigInt, _>(room.id().get())
            .get_result::<Found>(&mut conn)
            .map_err(db_err("mark read"))?
            .found;
            if !in_room {
                return Err(RepoError::NotFound);
            }
        }
        let state = unread_in(&mut conn, user, &[room])
            .map_err(db_err("read state"))?
            .pop()
            .ok_or(RepoError::NotFound)?;
        Ok(if moved == 0 {
            MarkedRead::Unchanged(state)
        } else {
            MarkedRead::Moved(state)
        })
    }

    fn unread(&self, user: UserId, rooms: &[Room]) -> Result<Vec<RoomUnread>, RepoError> {
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        unread_in(&mut self.conn()?, user, rooms).map_err(db_err("unread"))
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Bool)]
    found: bool,
}

/// The marker row of a user who just gained access to a room with messages:
/// at its latest message. Selected as `(user, channel, last id, posted)`.
const AT_LATEST: &str = "\
    ON CONFLICT (user_id, room_id) DO UPDATE \
    SET last_read_id = EXCLUDED.last_read_id, last_read_pos = EXCLUDED.last_read_pos, \
        updated_at = now()";

/// `user` just joined `workspace`: a marker at the latest message of each
/// of its public channels that has any.
pub(super) fn start_in_public_channels(
    c: &mut PgConn,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO read_markers (user_id, channel_id, last_read_id, last_read_pos) \
         SELECT $1, c.id, (SELECT max(m.id) FROM messages m WHERE m.room_id = c.id), c.posted \
         FROM channels c WHERE c.workspace_id = $2 AND NOT c.private AND c.posted > 0 {AT_LATEST}"
    ))
    .bind::<BigInt, _>(user.get())
    .bind::<BigInt, _>(workspace.get())
    .execute(c)
    .map(|_| ())
}

/// `user` was just added to `channel`: if it is private (a public one was
/// readable already), a marker at its latest message.
pub(super) fn start_in_channel(
    c: &mut PgConn,
    channel: ChannelId,
    user: UserId,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO read_markers (user_id, channel_id, last_read_id, last_read_pos) \
         SELECT $1, c.id, (SELECT max(m.id) FROM messages m WHERE m.room_id = c.id), c.posted \
         FROM channels c WHERE c.id = $2 AND c.private AND c.posted > 0 {AT_LATEST}"
    ))
    .bind::<BigInt, _>(user.get())
    .bind::<BigInt, _>(channel.get())
    .execute(c)
    .map(|_| ())
}

/// `channel` was just made public: every member of its workspace without a
/// marker there gets one at its latest message (those who could read it
/// keep theirs).
pub(super) fn start_for_workspace(c: &mut PgConn, channel: ChannelId) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO read_markers (user_id, channel_id, last_read_id, last_read_pos) \
         SELECT ms.user_id, c.id, (SELECT max(m.id) FROM messages m WHERE m.room_id = c.id), c.posted \
         FROM channels c JOIN memberships ms ON ms.workspace_id = c.workspace_id \
         WHERE c.id = $1 AND NOT c.private AND c.posted > 0 \
         ON CONFLICT (user_id, room_id) DO NOTHING",
    )
    .bind::<BigInt, _>(channel.get())
    .execute(c)
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_one_cached_statement_with_every_parameter_bound() {
        let query = UnreadQuery {
            user: 7,
            channels: vec![1, 2],
            conversations: vec![3],
        };
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&query, &Pg).unwrap());
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(sql.contains("ANY($5::bigint[])"), "{sql}");
        assert!(sql.contains("ANY($6::bigint[])"), "{sql}");
        assert!(sql.contains("k.user_id = $7 "), "{sql}");
        assert!(sql.contains("binds: [7, 7, 7, 7, [1, 2], [3], 7]"), "{sql}");
    }
}
