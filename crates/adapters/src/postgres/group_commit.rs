//! Group commit for posts: concurrent posts share one transaction.
//!
//! A commit costs a WAL flush and a handful of round trips whatever it
//! carries, so under load one transaction for many posts is far cheaper than
//! one each. The first poster to find no batch running becomes the leader: it
//! takes every post queued meanwhile, writes them in one transaction, hands
//! each poster its result, and repeats until the queue is empty. Posters that
//! arrive while a batch runs just wait for theirs. Nobody waits on a timer:
//! a lone post is written at once, exactly as before.
//!
//! Only one batch runs at a time per node, and it locks its rooms' rows in
//! one statement, so batches never deadlock with each other or with the
//! single-room transactions of edits, deletes and keyed posts. Each room's
//! `seq` still advances under its row lock: gapless, in commit order.

use std::collections::BTreeMap;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};

use concord_domain::{ChatEvent, EventKind, MessageId, NewMessage, Room};
use concord_ports::{Posted, RepoError};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt};

use super::rows::{MessageRow, NewEventRow, NewMessageRow, room_columns};
use super::schema::{message_events, messages};
use super::{PgConn, PgStore, db_err};

/// Most posts one transaction carries; more wait for the next one.
const MAX_BATCH: usize = 256;

type Reply = SyncSender<Result<Posted, RepoError>>;

/// The queue of posts waiting for a batch, and whether one is running.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(NewMessage, Reply)>,
    leader_active: bool,
}

impl GroupCommit {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Every critical section is a push, a take or a flag flip.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PgStore {
    /// Posts `msg` (no idempotency key, no attachment) in a shared transaction.
    pub(super) fn post_grouped(&self, msg: &NewMessage) -> Result<Posted, RepoError> {
        let (reply, result) = sync_channel(1);
        let lead = {
            let mut queue = self.group.lock();
            queue.waiting.push((msg.clone(), reply));
            !std::mem::replace(&mut queue.leader_active, true)
        };
        if lead {
            self.lead_batches();
        }
        result.recv().unwrap_or_else(|_| {
            Err(RepoError::Unexpected(anyhow::anyhow!(
                "the batch writing this post ended without an answer"
            )))
        })
    }

    /// Writes batches until nobody is waiting.
    fn lead_batches(&self) {
        loop {
            let batch: Vec<(NewMessage, Reply)> = {
                let mut queue = self.group.lock();
                if queue.waiting.is_empty() {
                    queue.leader_active = false;
                    return;
                }
                let take = queue.waiting.len().min(MAX_BATCH);
                queue.waiting.drain(..take).collect()
            };
            let (posts, replies): (Vec<NewMessage>, Vec<Reply>) = batch.into_iter().unzip();
            match self.write_batch(&posts) {
                Ok(events) => {
                    for (reply, event) in replies.into_iter().zip(events) {
                        let _ = reply.send(Ok(Posted::Created(event)));
                    }
                }
                // One bad post (its room deleted meanwhile, say) must not fail
                // the others: each is retried alone and gets its own answer.
                Err(_) => {
                    for (reply, post) in replies.into_iter().zip(&posts) {
                        let _ = reply.send(self.post_single(post, None));
                    }
                }
            }
        }
    }

    fn write_batch(&self, posts: &[NewMessage]) -> Result<Vec<ChatEvent>, RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| write_batch(c, posts))
            .map_err(db_err("post batch"))
    }
}

/// Advances every room of `posts` by its count in one statement per room
/// kind, inserts the messages and their events, and returns the events in
/// the order of `posts`.
fn write_batch(c: &mut PgConn, posts: &[NewMessage]) -> QueryResult<Vec<ChatEvent>> {
    let mut per_room: BTreeMap<i64, (Room, i64)> = BTreeMap::new();
    for post in posts {
        per_room.entry(post.room.id()).or_insert((post.room, 0)).1 += 1;
    }
    let mut last_seq = BTreeMap::new();
    for (table, kind) in [
        ("channels", RoomKind::Channel),
        ("conversations", RoomKind::Conversation),
    ] {
        let (ids, counts): (Vec<i64>, Vec<i64>) = per_room
            .iter()
            .filter(|(_, (room, _))| RoomKind::of(*room) == kind)
            .map(|(id, (_, n))| (*id, *n))
            .unzip();
        if ids.is_empty() {
            continue;
        }
        let advanced: Vec<Advanced> = diesel::sql_query(format!(
            "UPDATE {table} AS r SET last_seq = r.last_seq + v.n, last_message_at = now() \
             FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n) \
             WHERE r.id = v.id RETURNING r.id, r.last_seq"
        ))
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<BigInt>, _>(&counts)
        .load(c)?;
        if advanced.len() != ids.len() {
            // A room vanished: let each post fail or succeed on its own.
            return Err(DieselError::NotFound);
        }
        last_seq.extend(advanced.into_iter().map(|a| (a.id, a.last_seq)));
    }
    // Each room's posts take the seqs just reserved, in arrival order.
    let mut next_seq: BTreeMap<i64, i64> = per_room
        .iter()
        .map(|(id, (_, n))| (*id, last_seq.get(id).copied().unwrap_or(0) - n + 1))
        .collect();
    let rows: Vec<NewMessageRow<'_>> = posts
        .iter()
        .map(|p| {
            let (channel_id, conversation_id) = room_columns(p.room);
            NewMessageRow {
                channel_id,
                conversation_id,
                author_id: p.author_id.get(),
                parent_id: p.parent_id.map(MessageId::get),
                content: p.content.as_str(),
                attachment_id: None,
            }
        })
        .collect();
    let mut stored: Vec<MessageRow> = diesel::insert_into(messages::table)
        .values(&rows)
        .returning(MessageRow::as_returning())
        .get_results(c)?;
    // Ids come from the sequence in VALUES order; sorting restores it
    // whatever order RETURNING used.
    stored.sort_by_key(|m| m.id);
    let mut events = Vec::with_capacity(posts.len());
    for (post, row) in posts.iter().zip(stored) {
        let seq = next_seq.get_mut(&post.room.id()).map_or(0, |s| {
            *s += 1;
            *s - 1
        });
        let message = row
            .into_domain(None)
            .map_err(|e| DieselError::QueryBuilderError(e.to_string().into()))?;
        events.push(ChatEvent {
            seq,
            kind: EventKind::Created,
            message,
        });
    }
    let event_rows: Vec<NewEventRow<'_>> = events
        .iter()
        .zip(posts)
        .map(|(e, p)| {
            NewEventRow::new(
                e.message.room,
                e.seq,
                EventKind::Created,
                e.message.id.get(),
                Some(p.content.as_str()),
            )
        })
        .collect();
    diesel::insert_into(message_events::table)
        .values(&event_rows)
        .execute(c)?;
    Ok(events)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RoomKind {
    Channel,
    Conversation,
}

impl RoomKind {
    fn of(room: Room) -> Self {
        match room {
            Room::Channel(_) => RoomKind::Channel,
            Room::Conversation(_) => RoomKind::Conversation,
        }
    }
}

#[derive(QueryableByName)]
struct Advanced {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}
