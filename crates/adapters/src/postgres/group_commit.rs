//! Group commit for posts: concurrent posts share one statement.
//!
//! A commit costs a WAL flush and a round trip whatever it carries, so under
//! load one transaction for many posts is far cheaper than one each. Each
//! store has one writer thread. It takes every post queued while it was busy,
//! writes them with one statement (its own transaction: one round trip),
//! answers each poster and waits for more. Nobody waits on a timer: a lone
//! post is written as soon as the writer wakes. Posters hand a post over
//! without blocking, so an async caller never ties up a thread; the writer is
//! woken once per batch, not once per post.
//!
//! The statement locks its rooms' rows in id order, so batches never
//! deadlock with each other (on this node or another) or with the
//! single-room transactions of edits, deletes and keyed posts. Each room's
//! `seq` advances under its row lock: gapless, in commit order.
//!
//! One batch is in flight per node: measured with `make bench`, a second
//! concurrent one cut throughput by a third (smaller batches contending for
//! the same row locks).

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use chrono::{DateTime, Utc};
use concord_domain::{ChatEvent, EventKind, Message, MessageId, NewMessage};
use concord_ports::{OnCommit, Posted, RepoError};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use tokio::sync::oneshot;

use super::messages::post_single;
use super::outage::Connections;
use super::rows::room_columns;
use super::{PgConn, db_err};

/// Most posts one transaction carries; more wait for the next one.
const MAX_BATCH: usize = 256;

type Answer = Result<Posted, RepoError>;

/// A queued post, what to run once it is decided, and whom to answer.
struct Job {
    post: NewMessage,
    on_commit: Option<OnCommit>,
    reply: oneshot::Sender<Answer>,
}

/// The way to a store's post writer. The writer stops once every handle to
/// its store is gone.
pub(crate) struct GroupCommit {
    queue: Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer, which writes on connections from `pool`.
    pub(crate) fn start(pool: Arc<Connections>) -> std::io::Result<Self> {
        let (queue, jobs) = channel();
        thread::Builder::new()
            .name("concord-post-writer".into())
            .spawn(move || {
                Writer { pool, jobs }.run();
            })?;
        Ok(Self { queue })
    }

    /// Queues `post` (no idempotency key, no attachment) for the next
    /// batch; `on_commit` runs and the answer arrives once it is decided.
    pub(crate) fn submit(
        &self,
        post: NewMessage,
        on_commit: Option<OnCommit>,
    ) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            post,
            on_commit,
            reply,
        };
        if let Err(refused) = self.queue.send(job) {
            refused.0.answer(Err(writer_gone()));
        }
        answer
    }
}

impl Job {
    fn answer(self, answer: Answer) {
        if let Some(on_commit) = self.on_commit {
            on_commit(&answer);
        }
        let _ = self.reply.send(answer);
    }
}

/// What a poster hears when the writer vanished without answering (it
/// panicked, or the store is shutting down).
pub(crate) fn writer_gone() -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!(
        "the batch writing this post ended without an answer"
    ))
}

struct Writer {
    pool: Arc<Connections>,
    jobs: Receiver<Job>,
}

impl Writer {
    /// Writes batches until every store handle is dropped.
    fn run(self) {
        while let Ok(first) = self.jobs.recv() {
            let mut batch = vec![first];
            batch.extend(self.jobs.try_iter().take(MAX_BATCH - 1));
            // A panic fails this batch's posters (their replies are dropped:
            // `writer_gone`), not every post after it.
            let written = panic::catch_unwind(AssertUnwindSafe(|| self.write(batch)));
            if written.is_err() {
                tracing::error!("the post writer panicked; its batch failed");
            }
        }
    }

    /// Writes `batch` in one statement and answers each poster: with its
    /// event, or, for a post whose room vanished meanwhile, with the answer
    /// of posting it alone.
    fn write(&self, batch: Vec<Job>) {
        let posts: Vec<&NewMessage> = batch.iter().map(|job| &job.post).collect();
        // Once the pool has no connection to give (the database is down for
        // longer than its timeout), the rest of the batch fails at once
        // rather than waiting out the timeout post by post.
        let mut pool_down = false;
        let written = match self.pool.get() {
            Ok(mut c) => write_batch(&mut c, &posts).map_err(db_err("post batch")),
            Err(e) => {
                pool_down = true;
                Err(e)
            }
        };
        let mut written = match written {
            Ok(rows) => rows.into_iter().peekable(),
            // One bad post must not fail the others: each is retried alone
            // and gets its own answer.
            Err(_) => Vec::new().into_iter().peekable(),
        };
        for (ord, job) in (1..).zip(batch) {
            let answer = match written.next_if(|row| row.ord == ord) {
                Some(row) => row.into_event(&job.post),
                None if pool_down => Err(RepoError::Unavailable(anyhow::anyhow!(
                    "no database connection for this batch"
                ))),
                None => match self.pool.get() {
                    Ok(mut c) => post_single(&mut c, &job.post, None),
                    Err(e) => {
                        pool_down = true;
                        Err(e)
                    }
                },
            };
            job.answer(answer);
        }
    }
}

/// Advances every room of `posts` by its count, inserts the messages with
/// ids in `posts` order and their `message.created` events with each room's
/// next `seq`s in that order, all in one statement. Returns a row per post
/// written, in order; a post whose room no longer exists has none.
fn write_batch(c: &mut PgConn, posts: &[&NewMessage]) -> QueryResult<Vec<Written>> {
    let mut batch = PostBatch::default();
    for post in posts {
        let (channel, conversation) = room_columns(post.room);
        batch.channel_ids.push(channel);
        batch.conversation_ids.push(conversation);
        batch.authors.push(post.author_id.get());
        batch.parents.push(post.parent_id.map(MessageId::get));
        batch.contents.push(post.content.as_str());
    }
    batch.load(c)
}

/// The batch statement with its arguments, one array per column.
///
/// A query type of its own rather than `sql_query`, which diesel never
/// prepares: this way the statement is parsed and planned once per
/// connection, not once per batch (measured with `perf`: Postgres spent
/// more on parsing and planning it than on the inserts).
#[derive(Default)]
struct PostBatch<'a> {
    channel_ids: Vec<Option<i64>>,
    conversation_ids: Vec<Option<i64>>,
    authors: Vec<i64>,
    parents: Vec<Option<i64>>,
    contents: Vec<&'a str>,
}

impl QueryId for PostBatch<'_> {
    type QueryId = PostBatch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for PostBatch<'_> {
    type SqlType = (BigInt, BigInt, BigInt, Timestamptz);
}

impl RunQueryDsl<PgConnection> for PostBatch<'_> {}

impl QueryFragment<Pg> for PostBatch<'_> {
    // Rooms are locked in id order, so concurrent batches cannot deadlock.
    // Ids are drawn first and sorted, so that within a room both the id
    // (history's order) and the seq (the log's order) follow the batch.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH post AS ( SELECT p.*, COALESCE(p.channel_id, p.conversation_id) AS room_id FROM unnest(");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.channel_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.conversation_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.authors)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.parents)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.contents)?;
        out.push_sql(
            ") WITH ORDINALITY AS p(channel_id, conversation_id, author_id, parent_id, content, ord) \
             ), counted AS ( \
                 SELECT room_id, bool_or(channel_id IS NOT NULL) AS is_channel, count(*) AS n \
                 FROM post GROUP BY room_id \
             ), locked_channels AS ( \
                 SELECT id FROM channels \
                 WHERE id IN (SELECT room_id FROM counted WHERE is_channel) ORDER BY id FOR UPDATE \
             ), locked_conversations AS ( \
                 SELECT id FROM conversations \
                 WHERE id IN (SELECT room_id FROM counted WHERE NOT is_channel) ORDER BY id FOR UPDATE \
             ), advanced_channels AS ( \
                 UPDATE channels AS r SET last_seq = r.last_seq + c.n, last_message_at = now() \
                 FROM counted c JOIN locked_channels l ON l.id = c.room_id \
                 WHERE r.id = c.room_id RETURNING r.id, r.last_seq - c.n AS base \
             ), advanced_conversations AS ( \
                 UPDATE conversations AS r SET last_seq = r.last_seq + c.n, last_message_at = now() \
                 FROM counted c JOIN locked_conversations l ON l.id = c.room_id \
                 WHERE r.id = c.room_id RETURNING r.id, r.last_seq - c.n AS base \
             ), base AS ( \
                 SELECT * FROM advanced_channels UNION ALL SELECT * FROM advanced_conversations \
             ), ids AS ( \
                 SELECT array_agg(id ORDER BY id) AS id FROM ( \
                     SELECT nextval('messages_id_seq') AS id FROM post \
                 ) drawn \
             ), numbered AS ( \
                 SELECT post.*, (SELECT id FROM ids)[post.ord] AS id, \
                        base.base + row_number() OVER (PARTITION BY post.room_id ORDER BY post.ord) AS seq \
                 FROM post JOIN base ON base.id = post.room_id \
             ), inserted AS ( \
                 INSERT INTO messages (id, channel_id, conversation_id, author_id, parent_id, content) \
                 OVERRIDING SYSTEM VALUE \
                 SELECT id, channel_id, conversation_id, author_id, parent_id, content FROM numbered \
             ), logged AS ( \
                 INSERT INTO message_events (channel_id, conversation_id, seq, kind, message_id, content) \
                 SELECT channel_id, conversation_id, seq, 'message.created', id, content FROM numbered \
             ) \
             SELECT ord, id, seq, now() AS created_at FROM numbered ORDER BY ord",
        );
        Ok(())
    }
}

/// What the batch statement reports for one post it wrote.
#[derive(Queryable)]
struct Written {
    /// The post's 1-based position in the batch.
    ord: i64,
    id: i64,
    seq: i64,
    created_at: DateTime<Utc>,
}

impl Written {
    fn into_event(self, post: &NewMessage) -> Result<Posted, RepoError> {
        Ok(Posted::Created(ChatEvent {
            seq: self.seq,
            kind: EventKind::Created,
            message: Message {
                id: MessageId::new(self.id),
                room: post.room,
                author_id: post.author_id,
                parent_id: post.parent_id,
                content: post.content.as_str().to_owned(),
                attachment: None,
                created_at: self.created_at,
                edited_at: None,
                deleted_at: None,
            },
        }))
    }
}
