//! Read markers and the unread and mention counts after them.
//!
//! Counting never reads a room's history. Every post takes the next
//! `room_pos` from its room's `posted` counter (in the statement that
//! advances `last_seq`), and a marker remembers the `room_pos` of the
//! message it is at. The messages after a marker number `posted −
//! last_read_pos`; unread are those minus the deleted ones and the reader's
//! own after the marker, each counted on an index that holds only such rows
//! (deleted messages; the reader's messages in the room), and mentions are
//! counted on `message_mentions`, which holds only mentions. Each count costs
//! index probes bounded by deletions, own posts and mentions after the
//! marker, never by the messages there.
//!
//! A room without a marker row for a user was empty when they gained access
//! (a room they are given access to with messages in it gets a marker at its
//! latest message here: [`start_in_public_channels`], [`start_in_channel`],
//! [`start_for_workspace`]).

use concord_domain::{ChannelId, ConversationId, MessageId, Room, UserId, WorkspaceId};
use concord_ports::{MarkedRead, ReadStateRepository, RepoError, RoomUnread};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable};

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

/// `$1` the reader, `$2` the rooms. Rooms that no longer exist drop out.
const UNREAD_SQL: &str = "\
SELECT r.room_id, c.id IS NOT NULL AS is_channel, mk.last_read_id, \
    (SELECT m.id FROM messages m WHERE m.room_id = r.room_id \
     ORDER BY m.room_id DESC, m.id DESC LIMIT 1) AS last_message_id, \
    COALESCE(c.posted, v.posted) - COALESCE(mk.last_read_pos, 0) \
    - (SELECT count(*) FROM messages m \
       WHERE m.room_id = r.room_id AND m.id > COALESCE(mk.last_read_id, 0) \
         AND m.deleted_at IS NOT NULL) \
    - (SELECT count(*) FROM messages m \
       WHERE m.author_id = $1 AND m.room_id = r.room_id AND m.id > COALESCE(mk.last_read_id, 0) \
         AND m.deleted_at IS NULL) AS unread, \
    (SELECT count(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id \
     WHERE mm.user_id = $1 AND mm.room_id = r.room_id AND mm.message_id > COALESCE(mk.last_read_id, 0) \
       AND m.deleted_at IS NULL AND m.author_id <> $1) AS mentions \
FROM unnest($2::bigint[]) WITH ORDINALITY AS r(room_id, ord) \
LEFT JOIN channels c ON c.id = r.room_id \
LEFT JOIN conversations v ON v.id = r.room_id \
LEFT JOIN read_markers mk ON mk.user_id = $1 AND mk.room_id = r.room_id \
WHERE c.id IS NOT NULL OR v.id IS NOT NULL \
ORDER BY r.ord";

fn unread_in(c: &mut PgConn, user: UserId, rooms: &[Room]) -> QueryResult<Vec<RoomUnread>> {
    let ids: Vec<i64> = rooms.iter().map(|r| r.id().get()).collect();
    let rows: Vec<UnreadRow> = diesel::sql_query(UNREAD_SQL)
        .bind::<BigInt, _>(user.get())
        .bind::<Array<BigInt>, _>(ids)
        .load(c)?;
    Ok(rows.into_iter().map(UnreadRow::into_domain).collect())
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
