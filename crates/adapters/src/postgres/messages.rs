//! Messages, the per-room event log ([`EventLog`]) and idempotency keys.
//!
//! Every write locks the room's row first (`UPDATE ... SET last_seq = last_seq
//! + 1`), so writers to one room are serialised on that row: `seq` is
//! assigned in commit order, with no gap and no duplicate, and
//! `last_message_at` moves in the same statement.

use std::sync::Arc;

use crate::auth::sha256_hex;
use chrono::{DateTime, Utc};
use concord_domain::message::DELETED_CONTENT;
use concord_domain::reaction::{MAX_EMOJI_PER_MESSAGE, MAX_PINS_PER_ROOM, MAX_REACTORS_LISTED};
use concord_domain::{AroundSplit, Window};
use concord_domain::{
    ChannelId, ConversationId, Emoji, Message, MessageContent, MessageId, NewMessage, Page, Room,
    RoomEvent, RoomEventKind, RoomId, Seq, UserId, WorkspaceId,
};
use concord_ports::{
    EventLog, Idempotency, MessageChange, MessageRepository, OnCommit, PendingPage, PendingPost,
    Posted, RepoError, RoomInfo, Toggled,
};
use diesel::dsl::{now, sql};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Bool;

use super::group_commit::writer_gone;
use super::reaction_commit::{Toggle, reaction_writer_gone};
use super::rows::{MessageRow, NewEventRow, NewMessageRow, room_columns};
use super::schema::{
    attachments, channels, conversations, idempotency_keys, message_events, message_mentions,
    message_reactions, messages,
};
use super::{PgConn, PgStore, db_err};

/// How long an idempotency key is remembered, in hours.
const IDEMPOTENCY_HOURS: i64 = 24;

/// Advances `room`'s sequence and returns the new `seq`; for a post
/// (`posting`), also its post count and last-message time, and returns the
/// new count too (the post's `room_pos`). Takes the room row's lock until
/// commit.
fn advance_room(c: &mut PgConn, room: Room, posting: bool) -> QueryResult<(Seq, i64)> {
    let advanced = match (room, posting) {
        (Room::Channel(id), true) => diesel::update(channels::table.find(id.get()))
            .set((
                channels::last_seq.eq(channels::last_seq + 1),
                channels::posted.eq(channels::posted + 1),
                channels::last_message_at.eq(now),
            ))
            .returning((channels::last_seq, channels::posted))
            .get_result(c),
        (Room::Channel(id), false) => diesel::update(channels::table.find(id.get()))
            .set(channels::last_seq.eq(channels::last_seq + 1))
            .returning((channels::last_seq, channels::posted))
            .get_result(c),
        (Room::Conversation(id), true) => diesel::update(conversations::table.find(id.get()))
            .set((
                conversations::last_seq.eq(conversations::last_seq + 1),
                conversations::posted.eq(conversations::posted + 1),
                conversations::last_message_at.eq(now),
            ))
            .returning((conversations::last_seq, conversations::posted))
            .get_result(c),
        (Room::Conversation(id), false) => diesel::update(conversations::table.find(id.get()))
            .set(conversations::last_seq.eq(conversations::last_seq + 1))
            .returning((conversations::last_seq, conversations::posted))
            .get_result(c),
    };
    advanced.map(|(seq, posted)| (Seq::new(seq), posted))
}

/// `mentions` as the column stores them: NULL for none.
fn stored_mentions(mentions: &[UserId]) -> Option<Vec<i64>> {
    (!mentions.is_empty()).then(|| mentions.iter().map(|u| u.get()).collect())
}

/// Records who message `id` of `room` mentions, for mention counts: the
/// rows replace any earlier ones (an edit re-parses the text).
fn record_mentions(c: &mut PgConn, room: Room, id: i64, mentions: &[UserId]) -> QueryResult<()> {
    diesel::delete(message_mentions::table.filter(message_mentions::message_id.eq(id)))
        .execute(c)?;
    let rows: Vec<_> = mentions
        .iter()
        .map(|user| {
            (
                message_mentions::user_id.eq(user.get()),
                message_mentions::room_id.eq(room.id().get()),
                message_mentions::message_id.eq(id),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(message_mentions::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(c)?;
    }
    Ok(())
}

/// Rewrites the reaction summary of each message of `ids` from its
/// reactions: each emoji in order of first use, its count and its first
/// reactors (NULL for none).
pub(super) fn summarise_reactions(c: &mut PgConn, ids: &[i64]) -> QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE messages m SET reactions = ( \
             SELECT jsonb_agg(jsonb_build_object('emoji', emoji, 'count', n, 'user_ids', to_jsonb(users)) \
                              ORDER BY first) \
             FROM (SELECT emoji, count(*) AS n, min(id) AS first, \
                          (array_agg(user_id ORDER BY id))[1:{MAX_REACTORS_LISTED}] AS users \
                   FROM message_reactions WHERE message_id = m.id GROUP BY emoji) s \
         ) WHERE m.id = ANY($1)"
    ))
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
    .execute(c)
    .map(|_| ())
}

/// The message `id` with its attachment's URL.
fn load_message(c: &mut PgConn, id: i64) -> QueryResult<Option<(MessageRow, Option<String>)>> {
    messages::table
        .left_join(attachments::table)
        .filter(messages::id.eq(id))
        .select((MessageRow::as_select(), attachments::url.nullable()))
        .first(c)
        .optional()
}

/// The messages of `ids` with their attachments' URLs, in no order.
pub(super) fn load_messages(
    c: &mut PgConn,
    ids: &[i64],
) -> QueryResult<Vec<(MessageRow, Option<String>)>> {
    messages::table
        .left_join(attachments::table)
        .filter(messages::id.eq_any(ids))
        .select((MessageRow::as_select(), attachments::url.nullable()))
        .load(c)
}

fn to_domain(rows: Vec<(MessageRow, Option<String>)>) -> Result<Vec<Message>, RepoError> {
    rows.into_iter()
        .map(|(m, url)| m.into_domain(url))
        .collect()
}

/// The page query, written once for both read paths: diesel runs it on a
/// pooled connection, and the async [`Reader`] prepares the SQL diesel
/// renders of it (`$1`..`$4`: room, room, cursor, rows).
///
/// One shape whether or not a cursor is given, so that it is prepared once
/// per connection. The room is a one-value range, not `=`, ordered by room
/// and id: only the `(room_id, id)` index then yields the order. With `=`,
/// the generic plan of the prepared statement (which cannot know how big the
/// room is) walked the primary key backwards filtering by room, 239 ms for a
/// 200-message room under a deep cursor next to a million-message one,
/// against 0.03 ms this way.
macro_rules! history_page {
    ($room:expr, $before:expr, $rows:expr) => {
        messages::table
            .left_join(attachments::table)
            .filter(messages::room_id.between($room, $room))
            .filter(messages::id.lt($before))
            .order((messages::room_id.desc(), messages::id.desc()))
            .limit($rows)
            .select((MessageRow::as_select(), attachments::url.nullable()))
    };
}

/// [`history_page!`] the other way: up to `$rows` messages of the room newer
/// than `$after`, oldest first. The same one-value range on the room, for
/// the same reason: ordered by `(room_id, id)`, only the room index serves it.
macro_rules! history_after_page {
    ($room:expr, $after:expr, $rows:expr) => {
        messages::table
            .left_join(attachments::table)
            .filter(messages::room_id.between($room, $room))
            .filter(messages::id.gt($after))
            .order((messages::room_id.asc(), messages::id.asc()))
            .limit($rows)
            .select((MessageRow::as_select(), attachments::url.nullable()))
    };
}

/// The SQL of [`history_page!`], for the async reader to prepare.
pub(super) fn history_page_sql() -> QueryResult<String> {
    use diesel::pg::{Pg, PgQueryBuilder};
    use diesel::query_builder::{QueryBuilder, QueryFragment};
    let mut sql = PgQueryBuilder::default();
    QueryFragment::<Pg>::to_sql(&history_page!(0_i64, 0_i64, 0_i64), &mut sql, &Pg)?;
    Ok(sql.finish())
}

/// A page's cursor as the query takes it: no cursor reads from the newest.
fn page_cursor(before: Option<MessageId>) -> i64 {
    before.map_or(i64::MAX, MessageId::get)
}

/// Rows a page of `limit` asks for: one more, to learn whether more follow.
fn page_rows(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// The page of `limit` messages in `rows` (read with [`page_rows`]).
fn into_page(mut messages: Vec<Message>, limit: u32) -> Page {
    let more = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    let next_cursor = if more {
        messages.last().map(|m| m.id)
    } else {
        None
    };
    Page {
        messages,
        next_cursor,
    }
}

/// The outcome of an earlier request under the same key, if still remembered.
fn replay(
    c: &mut PgConn,
    author: i64,
    idem: &Idempotency,
    hash: &str,
) -> Result<Option<Posted>, RepoError> {
    let found: Option<(String, i64)> = idempotency_keys::table
        .find((author, idem.key.as_str()))
        .filter(sql::<Bool>(&format!(
            "created_at > now() - interval '{IDEMPOTENCY_HOURS} hours'"
        )))
        .select((idempotency_keys::request_hash, idempotency_keys::message_id))
        .first(c)
        .optional()
        .map_err(db_err("idempotency key"))?;
    found
        .map(|(stored, message_id)| answer_again(c, &stored, message_id, hash))
        .transpose()
}

/// The answer to a request whose key was used before, for `message_id`
/// under the fingerprint hash `stored`: the original message (as it is
/// now) for the same request, `Duplicate` for another.
pub(super) fn answer_again(
    c: &mut PgConn,
    stored: &str,
    message_id: i64,
    hash: &str,
) -> Result<Posted, RepoError> {
    if stored != hash {
        return Err(RepoError::Duplicate);
    }
    let (row, url) = load_message(c, message_id)
        .map_err(db_err("replayed message"))?
        .ok_or(RepoError::NotFound)?;
    Ok(Posted::Replayed(row.into_domain(url)?))
}

/// Forgets every idempotency key past its window (indexed on `created_at`).
pub(super) fn forget_expired_keys(c: &mut PgConn) -> Result<(), RepoError> {
    diesel::delete(idempotency_keys::table)
        .filter(sql::<Bool>(&format!(
            "created_at <= now() - interval '{IDEMPOTENCY_HOURS} hours'"
        )))
        .execute(c)
        .map(|_| ())
        .map_err(db_err("forget expired idempotency keys"))
}

/// A key used earlier and still remembered: its author, the key, the
/// request's fingerprint hash and the message it created.
pub(super) struct EarlierUse {
    pub user_id: i64,
    pub key: String,
    pub request_hash: String,
    pub message_id: i64,
}

/// The remembered uses of the (author, key) pairs `authors` and `keys`.
/// Expired ones among them are forgotten first, so that the batch may store
/// them anew; that is rare, and the common case is one prepared `SELECT`.
pub(super) fn earlier_uses(
    c: &mut PgConn,
    authors: &[i64],
    keys: &[&str],
) -> QueryResult<Vec<EarlierUse>> {
    let found: Vec<(i64, String, String, i64, DateTime<Utc>)> =
        KeyLookup { authors, keys }.load(c)?;
    // This node's clock against the stored times: a key at the window's
    // very edge may count as fresh or expired a moment apart between nodes.
    let cutoff = Utc::now() - chrono::Duration::hours(IDEMPOTENCY_HOURS);
    let mut fresh = Vec::with_capacity(found.len());
    for (user_id, key, request_hash, message_id, created_at) in found {
        if created_at > cutoff {
            fresh.push(EarlierUse {
                user_id,
                key,
                request_hash,
                message_id,
            });
        } else {
            diesel::delete(idempotency_keys::table.find((user_id, key.as_str())))
                .filter(idempotency_keys::created_at.le(cutoff))
                .execute(c)?;
        }
    }
    Ok(fresh)
}

/// The stored uses of exactly the given (author, key) pairs, joined on the
/// primary key. A query type of its own, like the batch's, so that it is
/// prepared once per connection.
struct KeyLookup<'a> {
    authors: &'a [i64],
    keys: &'a [&'a str],
}

impl diesel::query_builder::QueryId for KeyLookup<'_> {
    type QueryId = KeyLookup<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for KeyLookup<'_> {
    type SqlType = (
        diesel::sql_types::BigInt,
        diesel::sql_types::Text,
        diesel::sql_types::Text,
        diesel::sql_types::BigInt,
        diesel::sql_types::Timestamptz,
    );
}

impl RunQueryDsl<diesel::pg::PgConnection> for KeyLookup<'_> {}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for KeyLookup<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Text};
        out.push_sql(
            "SELECT i.user_id, i.key, i.request_hash, i.message_id, i.created_at \
             FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.authors)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.keys)?;
        out.push_sql(
            ") AS a(user_id, key) \
             JOIN idempotency_keys i ON i.user_id = a.user_id AND i.key = a.key",
        );
        Ok(())
    }
}

impl MessageRepository for PgStore {
    fn post_message(
        &self,
        msg: &NewMessage,
        idempotency: Option<Idempotency>,
    ) -> Result<Posted, RepoError> {
        // Posts share transactions under load, keyed ones too; an
        // attachment needs its own row first, so it keeps a transaction of
        // its own.
        if msg.attachment_url.is_none() {
            self.group
                .submit(msg.clone(), idempotency, None)
                .blocking_recv()
                .unwrap_or_else(|_| Err(writer_gone()))
        } else {
            post_single(&mut self.conn()?, msg, idempotency)
        }
    }

    fn queue_post(
        &self,
        msg: NewMessage,
        idempotency: Option<Idempotency>,
        on_commit: OnCommit,
    ) -> PendingPost {
        let answer = self.group.submit(msg, idempotency, Some(on_commit));
        Box::pin(async move { answer.await.unwrap_or_else(|_| Err(writer_gone())) })
    }

    fn message_by_id(&self, id: MessageId) -> Result<Option<Message>, RepoError> {
        let mut conn = self.conn()?;
        load_message(&mut conn, id.get())
            .map_err(db_err("message by id"))?
            .map(|(row, url)| row.into_domain(url))
            .transpose()
    }

    fn edit_message(
        &self,
        id: MessageId,
        content: &MessageContent,
        mentions: &[UserId],
    ) -> Result<MessageChange, RepoError> {
        self.change_message(
            id,
            RoomEventKind::MessageUpdated,
            Some(content.as_str()),
            |c, room| {
                let edited = diesel::update(messages::table.find(id.get()))
                    .filter(messages::deleted_at.is_null())
                    .set((
                        messages::content.eq(content.as_str()),
                        messages::edited_at.eq(now),
                        messages::mentions.eq(stored_mentions(mentions)),
                    ))
                    .execute(c)?;
                if edited > 0 {
                    record_mentions(c, room, id.get(), mentions)?;
                }
                Ok(edited)
            },
        )
    }

    fn delete_message(&self, id: MessageId) -> Result<MessageChange, RepoError> {
        self.change_message(id, RoomEventKind::MessageDeleted, None, |c, _| {
            let deleted = diesel::update(messages::table.find(id.get()))
                .filter(messages::deleted_at.is_null())
                .set((
                    messages::content.eq(DELETED_CONTENT),
                    messages::attachment_id.eq(None::<i64>),
                    messages::deleted_at.eq(now),
                    // a tombstone leaves its room's pins
                    messages::pinned_at.eq(None::<DateTime<Utc>>),
                ))
                .execute(c)?;
            if deleted > 0 {
                // The log must not replay what the author took back.
                diesel::update(message_events::table)
                    .filter(message_events::message_id.eq(id.get()))
                    .set(message_events::content.eq(None::<String>))
                    .execute(c)?;
            }
            Ok(deleted)
        })
    }

    fn history(
        &self,
        room: Room,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Page, RepoError> {
        let mut conn = self.conn()?;
        let rows = history_page!(room.id().get(), page_cursor(before), page_rows(limit))
            .load(&mut conn)
            .map_err(db_err("history"))?;
        Ok(into_page(to_domain(rows)?, limit))
    }

    fn read_history(&self, room: Room, before: Option<MessageId>, limit: u32) -> PendingPage {
        match &self.reader {
            Some(reader) => {
                let reader = Arc::clone(reader);
                Box::pin(async move {
                    let messages = reader
                        .page(room.id().get(), page_cursor(before), page_rows(limit))
                        .await?;
                    Ok(into_page(messages, limit))
                })
            }
            // No async connection to the server: a blocking thread reads it.
            None => {
                let store = self.clone();
                Box::pin(async move {
                    tokio::task::spawn_blocking(move || store.history(room, before, limit))
                        .await
                        .map_err(|e| RepoError::Unexpected(e.into()))?
                })
            }
        }
    }

    fn history_after(&self, room: Room, after: MessageId, limit: u32) -> Result<Page, RepoError> {
        let mut conn = self.conn()?;
        let rows = history_after_page!(room.id().get(), after.get(), page_rows(limit))
            .load(&mut conn)
            .map_err(db_err("history after"))?;
        Ok(into_page(to_domain(rows)?, limit))
    }

    fn history_around(
        &self,
        room: Room,
        anchor: MessageId,
        limit: u32,
    ) -> Result<Window, RepoError> {
        let split = AroundSplit::of(limit);
        let room_id = room.id().get();
        let mut conn = self.conn()?;
        // Two statements, no snapshot shared: a room's new messages take
        // greater ids than those already visible (as `before` pages rely
        // on), so the older side (the anchor and below) never gains a row
        // and the newer side, read second, continues it without a gap. "Up
        // to and including the anchor" is "below the next id", which keeps
        // the older side the very statement of `before` pages.
        let older = history_page!(
            room_id,
            anchor.get().saturating_add(1),
            page_rows(split.older)
        )
        .load(&mut conn)
        .map_err(db_err("history around"))?;
        let newer = history_after_page!(room_id, anchor.get(), page_rows(split.newer))
            .load(&mut conn)
            .map_err(db_err("history around"))?;
        Ok(Window::around(
            anchor,
            split,
            to_domain(older)?,
            to_domain(newer)?,
        ))
    }

    fn replies(&self, root: MessageId) -> Result<Vec<Message>, RepoError> {
        let mut conn = self.conn()?;
        let rows = messages::table
            .left_join(attachments::table)
            .filter(messages::parent_id.eq(root.get()))
            .order(messages::id.asc())
            .select((MessageRow::as_select(), attachments::url.nullable()))
            .load(&mut conn)
            .map_err(db_err("replies"))?;
        to_domain(rows)
    }

    fn set_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        on: bool,
    ) -> Result<Toggled, RepoError> {
        self.reactions
            .submit(Toggle::new(id, user, emoji, on))
            .blocking_recv()
            .unwrap_or_else(|_| Err(reaction_writer_gone()))
    }

    fn set_pin(&self, id: MessageId, on: bool) -> Result<Toggled, RepoError> {
        let id = id.get();
        let event = if on {
            RoomEventKind::MessagePinned
        } else {
            RoomEventKind::MessageUnpinned
        };
        toggle_message(&mut self.conn()?, id, event, |c| {
            let (room_id, pinned_at): (Option<i64>, Option<DateTime<Utc>>) = messages::table
                .find(id)
                .select((messages::room_id, messages::pinned_at))
                .first(c)?;
            if pinned_at.is_some() == on {
                return Ok(Step::Unchanged);
            }
            if on {
                // Counted under the room's lock: concurrent pins cannot
                // pass the bound together.
                let pins: i64 = messages::table
                    .filter(messages::room_id.eq(room_id))
                    .filter(messages::pinned_at.is_not_null())
                    .count()
                    .get_result(c)?;
                if pins >= MAX_PINS_PER_ROOM as i64 {
                    return Ok(Step::Full);
                }
            }
            diesel::update(messages::table.find(id))
                .set(messages::pinned_at.eq(on.then(Utc::now)))
                .execute(c)?;
            Ok(Step::Changed)
        })
    }

    fn pins(&self, room: Room) -> Result<Vec<Message>, RepoError> {
        let mut conn = self.conn()?;
        let rows = messages::table
            .left_join(attachments::table)
            .filter(messages::room_id.eq(room.id().get()))
            .filter(messages::pinned_at.is_not_null())
            .order((messages::pinned_at.desc(), messages::id.desc()))
            .limit(MAX_PINS_PER_ROOM as i64)
            .select((MessageRow::as_select(), attachments::url.nullable()))
            .load(&mut conn)
            .map_err(db_err("pins"))?;
        to_domain(rows)
    }

    fn room_info(&self, room_id: RoomId) -> Result<Option<RoomInfo>, RepoError> {
        let mut conn = self.conn()?;
        let room_id = room_id.get();
        let channel: Option<(i64, i64)> = channels::table
            .find(room_id)
            .select((channels::workspace_id, channels::last_seq))
            .first(&mut conn)
            .optional()
            .map_err(db_err("room"))?;
        if let Some((workspace, last_seq)) = channel {
            return Ok(Some(RoomInfo {
                room: Room::Channel(ChannelId::new(room_id)),
                workspace_id: WorkspaceId::new(workspace),
                last_seq: Seq::new(last_seq),
            }));
        }
        let conversation: Option<(i64, i64)> = conversations::table
            .find(room_id)
            .select((conversations::workspace_id, conversations::last_seq))
            .first(&mut conn)
            .optional()
            .map_err(db_err("room"))?;
        Ok(conversation.map(|(workspace, last_seq)| RoomInfo {
            room: Room::Conversation(ConversationId::new(room_id)),
            workspace_id: WorkspaceId::new(workspace),
            last_seq: Seq::new(last_seq),
        }))
    }
}

impl EventLog for PgStore {
    fn events_after(
        &self,
        room: RoomId,
        after: Seq,
        limit: u32,
    ) -> Result<Vec<RoomEvent>, RepoError> {
        let mut conn = self.conn()?;
        let rows: Vec<EventWithMessage> = message_events::table
            .inner_join(messages::table.left_join(attachments::table))
            .filter(message_events::room_id.eq(room.get()))
            .filter(message_events::seq.gt(after.get()))
            .order(message_events::seq.asc())
            .limit(i64::from(limit))
            .select((
                message_events::seq,
                message_events::kind,
                message_events::content,
                message_events::created_at,
                MessageRow::as_select(),
                attachments::url.nullable(),
            ))
            .load(&mut conn)
            .map_err(db_err("events after"))?;
        rows.into_iter().map(as_it_was).collect()
    }

    fn latest_seqs(&self, rooms: &[RoomId]) -> Result<Vec<(RoomId, Seq)>, RepoError> {
        let mut conn = self.conn()?;
        let room_ids: Vec<i64> = rooms.iter().map(|id| id.get()).collect();
        let mut seqs: Vec<(i64, i64)> = channels::table
            .filter(channels::id.eq_any(&room_ids))
            .select((channels::id, channels::last_seq))
            .load(&mut conn)
            .map_err(db_err("latest seqs"))?;
        seqs.extend(
            conversations::table
                .filter(conversations::id.eq_any(&room_ids))
                .select((conversations::id, conversations::last_seq))
                .load::<(i64, i64)>(&mut conn)
                .map_err(db_err("latest seqs"))?,
        );
        Ok(seqs
            .into_iter()
            .map(|(room, seq)| (RoomId::new(room), Seq::new(seq)))
            .collect())
    }
}

/// An event row joined with its message's current row.
type EventWithMessage = (
    i64,
    String,
    Option<String>,
    DateTime<Utc>,
    MessageRow,
    Option<String>,
);

/// The event with its message as the event left it. The log keeps the text
/// of each post and edit; deletion erases every earlier text, so a deleted
/// message replays as its tombstone. Reactions, pins and mentions replay as
/// they are now, and reaction and pin events (which keep no text) replay
/// with the message as it is now.
fn as_it_was((seq, kind, content, at, row, url): EventWithMessage) -> Result<RoomEvent, RepoError> {
    let mut message = row.into_domain(url)?;
    if let Some(content) = content {
        message.content = content;
        message.deleted_at = None;
        message.edited_at = (kind != RoomEventKind::MESSAGE_CREATED).then_some(at);
    }
    let payload = RoomEventKind::named(&kind, message)
        .ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("unknown event kind {kind:?}")))?;
    Ok(RoomEvent {
        seq: Seq::new(seq),
        payload,
    })
}

/// Posts `msg` in a transaction of its own, honouring `idempotency`.
pub(super) fn post_single(
    conn: &mut PgConn,
    msg: &NewMessage,
    idempotency: Option<Idempotency>,
) -> Result<Posted, RepoError> {
    let author = msg.author_id.get();
    let hash = idempotency.as_ref().map(|i| sha256_hex(&i.fingerprint));
    if let (Some(idem), Some(hash)) = (&idempotency, &hash) {
        // Forget keys past their window, then look for this one.
        forget_expired_keys(conn)?;
        if let Some(posted) = replay(conn, author, idem, hash)? {
            return Ok(posted);
        }
    }
    let (channel_id, conversation_id) = room_columns(msg.room);
    let created = conn.transaction(|c| {
        let (seq, room_pos) = advance_room(c, msg.room, true)?;
        let attachment_id = match &msg.attachment_url {
            Some(url) => Some(
                diesel::insert_into(attachments::table)
                    .values((
                        attachments::url.eq(url),
                        attachments::uploader_id.eq(author),
                    ))
                    .returning(attachments::id)
                    .get_result::<i64>(c)?,
            ),
            None => None,
        };
        let row = diesel::insert_into(messages::table)
            .values(NewMessageRow {
                channel_id,
                conversation_id,
                author_id: author,
                parent_id: msg.parent_id.map(MessageId::get),
                content: msg.content.as_str(),
                attachment_id,
                mentions: stored_mentions(&msg.mentions),
                room_pos,
            })
            .returning(MessageRow::as_returning())
            .get_result(c)?;
        record_mentions(c, msg.room, row.id, &msg.mentions)?;
        diesel::insert_into(message_events::table)
            .values(NewEventRow::new(
                msg.room,
                seq,
                RoomEventKind::MESSAGE_CREATED,
                row.id,
                Some(msg.content.as_str()),
            ))
            .execute(c)?;
        if let (Some(idem), Some(hash)) = (&idempotency, &hash) {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(author),
                    idempotency_keys::key.eq(idem.key.as_str()),
                    idempotency_keys::request_hash.eq(hash),
                    idempotency_keys::message_id.eq(row.id),
                ))
                .execute(c)?;
        }
        Ok((row, seq, msg.attachment_url.clone()))
    });
    match created {
        Ok((row, seq, url)) => Ok(Posted::Created(RoomEvent {
            seq,
            payload: RoomEventKind::MessageCreated(row.into_domain(url)?),
        })),
        // The same key raced in from another request (or node) and won:
        // everything above rolled back, so answer as a retry would.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
            if idempotency.is_some() =>
        {
            let (Some(idem), Some(hash)) = (&idempotency, &hash) else {
                return Err(RepoError::Duplicate);
            };
            replay(conn, author, idem, hash)?.ok_or(RepoError::Duplicate)
        }
        Err(e) => Err(db_err("post message")(e)),
    }
}

/// Adds (`on`) or removes `user`'s reaction `emoji` on message `id` in a
/// transaction of its own: what the reaction writer falls back to for each
/// toggle of a batch that failed.
pub(super) fn react_alone(c: &mut PgConn, toggle: &Toggle) -> Result<Toggled, RepoError> {
    let (id, user, emoji, on) = (
        toggle.message,
        toggle.user,
        toggle.emoji.as_str(),
        toggle.on,
    );
    toggle_message(c, id, RoomEventKind::MessageReactions, |c| {
        let mine = message_reactions::table.find((id, emoji, user));
        if !on {
            if diesel::delete(mine).execute(c)? == 0 {
                return Ok(Step::Unchanged);
            }
            summarise_reactions(c, &[id])?;
            return Ok(Step::Changed);
        }
        if diesel::select(diesel::dsl::exists(mine)).get_result(c)? {
            return Ok(Step::Unchanged);
        }
        let emoji_used: Vec<String> = message_reactions::table
            .filter(message_reactions::message_id.eq(id))
            .select(message_reactions::emoji)
            .distinct()
            .load(c)?;
        if emoji_used.len() >= MAX_EMOJI_PER_MESSAGE && !emoji_used.iter().any(|e| e == emoji) {
            return Ok(Step::Full);
        }
        diesel::insert_into(message_reactions::table)
            .values((
                message_reactions::message_id.eq(id),
                message_reactions::emoji.eq(emoji),
                message_reactions::user_id.eq(user),
            ))
            .execute(c)?;
        summarise_reactions(c, &[id])?;
        Ok(Step::Changed)
    })
}

/// What a toggle's change did, inside its transaction.
enum Step {
    Changed,
    Unchanged,
    Full,
}

/// Why a toggle's transaction rolled back.
enum Abort {
    Step(Step),
    Deleted,
    Db(DieselError),
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Self {
        Abort::Db(e)
    }
}

/// Applies `change` (a reaction or a pin) to message `id` and appends its
/// `event`, in one transaction that takes the room's lock and then the
/// message row's (the order every message write takes them in). A
/// deleted message is not changed. When `change` changes nothing, or
/// finds a bound reached, the transaction (with its `seq`) rolls back.
fn toggle_message(
    conn: &mut PgConn,
    id: i64,
    event: fn(Message) -> RoomEventKind,
    change: impl FnOnce(&mut PgConn) -> QueryResult<Step>,
) -> Result<Toggled, RepoError> {
    let (row, url) = load_message(conn, id)
        .map_err(db_err("message"))?
        .ok_or(RepoError::NotFound)?;
    let room = row.into_domain(url)?.room;
    let toggled = conn.transaction::<_, Abort, _>(|c| {
        let (seq, _) = advance_room(c, room, false)?;
        let deleted: Option<DateTime<Utc>> = messages::table
            .find(id)
            .select(messages::deleted_at)
            .for_update()
            .first(c)?;
        if deleted.is_some() {
            return Err(Abort::Deleted);
        }
        match change(c)? {
            Step::Changed => {}
            step => return Err(Abort::Step(step)),
        }
        let (row, url) = load_message(c, id)?.ok_or(DieselError::NotFound)?;
        let message = row
            .into_domain(url)
            .map_err(|e| DieselError::DeserializationError(e.into()))?;
        let payload = event(message);
        diesel::insert_into(message_events::table)
            .values(NewEventRow::new(room, seq, payload.name(), id, None))
            .execute(c)?;
        Ok(RoomEvent { seq, payload })
    });
    match toggled {
        Ok(event) => Ok(Toggled::Made(event)),
        Err(Abort::Deleted) => Ok(Toggled::Deleted),
        Err(Abort::Step(Step::Full)) => Ok(Toggled::Full),
        Err(Abort::Step(_)) => {
            let (row, url) = load_message(conn, id)
                .map_err(db_err("message"))?
                .ok_or(RepoError::NotFound)?;
            Ok(Toggled::Unchanged(row.into_domain(url)?))
        }
        Err(Abort::Db(DieselError::NotFound)) => Err(RepoError::NotFound),
        Err(Abort::Db(e)) => Err(db_err("change message")(e)),
    }
}

impl PgStore {
    /// Applies `change` to message `id` and appends its `event` (built from
    /// the changed message), in one transaction that first takes the room's
    /// lock. `change` writes only a message that is not deleted, and says how
    /// many rows it wrote: none means the message was deleted meanwhile, and
    /// the transaction (with its `seq`) is rolled back, so the log stays
    /// without a gap.
    fn change_message(
        &self,
        id: MessageId,
        event: fn(Message) -> RoomEventKind,
        content: Option<&str>,
        change: impl FnOnce(&mut PgConn, Room) -> QueryResult<usize>,
    ) -> Result<MessageChange, RepoError> {
        let mut conn = self.conn()?;
        let (row, url) = load_message(&mut conn, id.get())
            .map_err(db_err("message"))?
            .ok_or(RepoError::NotFound)?;
        let room = row.into_domain(url)?.room;
        let changed = conn.transaction(|c| {
            let (seq, _) = advance_room(c, room, false)?;
            if change(c, room)? == 0 {
                return Err(DieselError::RollbackTransaction);
            }
            let (row, url) = load_message(c, id.get())?.ok_or(DieselError::NotFound)?;
            let payload = event(
                row.into_domain(url)
                    .map_err(|e| DieselError::DeserializationError(e.into()))?,
            );
            diesel::insert_into(message_events::table)
                .values(NewEventRow::new(
                    room,
                    seq,
                    payload.name(),
                    id.get(),
                    content,
                ))
                .execute(c)?;
            Ok(RoomEvent { seq, payload })
        });
        match changed {
            Ok(event) => Ok(MessageChange::Made(event)),
            Err(DieselError::RollbackTransaction) => {
                let (row, url) = load_message(&mut conn, id.get())
                    .map_err(db_err("message"))?
                    .ok_or(RepoError::NotFound)?;
                Ok(MessageChange::AlreadyDeleted(row.into_domain(url)?))
            }
            Err(e) => Err(db_err("change message")(e)),
        }
    }
}
