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
//! Posts with an idempotency key ride the same batches: the keys of a
//! batch are looked up in one statement first (a key used before answers
//! as a retry, and writes nothing), and the batch statement stores each new
//! key beside its message. A key that another node stores meanwhile fails
//! the statement on the key's primary key, and each post of the batch is
//! then retried alone, which answers the loser as a retry.
//!
//! The statement locks its rooms' rows in id order, so batches never
//! deadlock with each other (on this node or another) or with the
//! single-room transactions of edits, deletes and posts with attachments. Each room's
//! `seq` advances under its row lock: gapless, in commit order.
//!
//! One batch is in flight per node: measured with `make bench`, a second
//! concurrent one cut throughput by a third (smaller batches contending for
//! the same row locks).

use std::cell::Cell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use concord_domain::{Message, MessageId, NewMessage, RoomEvent, RoomEventKind, Seq, UserId};
use concord_ports::{Idempotency, OnCommit, Posted, RepoError};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use tokio::sync::oneshot;

use super::messages::{answer_again, earlier_uses, forget_expired_keys, post_single};
use super::outage::Connections;
use super::rows::room_columns;
use super::{PgConn, db_err};
use crate::auth::sha256_hex;

/// Most posts one transaction carries; more wait for the next one.
const MAX_BATCH: usize = 256;

type Answer = Result<Posted, RepoError>;

/// A queued post, what to run once it is decided, and whom to answer.
struct Job {
    post: NewMessage,
    idempotency: Option<Idempotency>,
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
                Writer {
                    pool,
                    jobs,
                    forgot_at: Cell::new(Instant::now()),
                }
                .run();
            })?;
        Ok(Self { queue })
    }

    /// Queues `post` (without attachment) for the next batch;
    /// `on_commit` runs and the answer arrives once it is decided.
    pub(crate) fn submit(
        &self,
        post: NewMessage,
        idempotency: Option<Idempotency>,
        on_commit: Option<OnCommit>,
    ) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            post,
            idempotency,
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
    /// When expired idempotency keys were last forgotten.
    forgot_at: Cell<Instant>,
}

/// How often the writer forgets expired idempotency keys, when it writes
/// keyed posts.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl Writer {
    /// Writes batches until every store handle is dropped.
    /// A panic fails one batch's posters (their replies are dropped:
    /// `writer_gone`), not every post after it.
    fn run(self) {
        super::run_batches("posts", &self.jobs, MAX_BATCH, |batch| self.write(batch));
    }

    /// Writes `batch` in one statement and answers each poster: with its
    /// event; for a post whose key was used before, as a retry is answered;
    /// for a post whose room vanished meanwhile (or when the statement
    /// failed), with the answer of posting it alone.
    fn write(&self, batch: Vec<Job>) {
        let mut conn = match self.pool.get() {
            Ok(conn) => conn,
            // No connection to give (the database is down): the whole
            // batch fails at once rather than post by post.
            Err(e) => {
                let mut first = Some(e);
                for job in batch {
                    job.answer(Err(first.take().unwrap_or_else(|| {
                        RepoError::Unavailable(anyhow::anyhow!(
                            "no database connection for this batch"
                        ))
                    })));
                }
                return;
            }
        };
        let hashes: Vec<Option<String>> = batch
            .iter()
            .map(|job| job.idempotency.as_ref().map(|i| sha256_hex(&i.fingerprint)))
            .collect();
        // One bad post must not fail the others: when the batch cannot be
        // planned or written, each post is retried alone.
        let mut steps = plan(&mut conn, &batch, &hashes)
            .unwrap_or_else(|_| batch.iter().map(|_| Step::Alone).collect());
        let to_write = batch
            .iter()
            .zip(&hashes)
            .zip(&steps)
            .filter(|(_, step)| matches!(step, Step::Write))
            .map(|((job, hash), _)| (&job.post, job.idempotency.as_ref(), hash.as_deref()));
        let mut written = match write_batch(&mut conn, to_write) {
            Ok(rows) => rows.into_iter().peekable(),
            Err(_) => {
                for step in &mut steps {
                    if matches!(step, Step::Write) {
                        *step = Step::Alone;
                    }
                }
                Vec::new().into_iter().peekable()
            }
        };
        // What each post made, for the twins that repeat its key.
        let mut made: Vec<Option<Message>> = Vec::with_capacity(batch.len());
        let mut ord = 0;
        for ((job, step), hash) in batch.into_iter().zip(steps).zip(&hashes) {
            let answer = match step {
                Step::Answered(answer) => answer,
                Step::Write => {
                    ord += 1;
                    match written.next_if(|row| row.ord == ord) {
                        Some(row) => row.into_event(&job.post),
                        None => post_single(&mut conn, &job.post, job.idempotency.clone()),
                    }
                }
                Step::Twin(first) => match &made[first] {
                    Some(message) if *hash == hashes[first] => {
                        Ok(Posted::Replayed(message.clone()))
                    }
                    Some(_) => Err(RepoError::Duplicate),
                    None => post_single(&mut conn, &job.post, job.idempotency.clone()),
                },
                Step::Alone => post_single(&mut conn, &job.post, job.idempotency.clone()),
            };
            made.push(match &answer {
                Ok(Posted::Created(event)) => Some(event.payload.message().clone()),
                Ok(Posted::Replayed(message)) => Some(message.clone()),
                Err(_) => None,
            });
            job.answer(answer);
        }
        if hashes.iter().any(Option::is_some) && self.forgot_at.get().elapsed() >= FORGET_EVERY {
            self.forgot_at.set(Instant::now());
            if let Err(e) = forget_expired_keys(&mut conn) {
                tracing::warn!(error = %e, "forgetting expired idempotency keys failed");
            }
        }
    }
}

/// What a batch does with one of its posts.
enum Step {
    /// Write it with the batch's statement.
    Write,
    /// Its key was used before, by an earlier request: this is the answer.
    Answered(Answer),
    /// Its key is that of the post at this index, earlier in the batch.
    Twin(usize),
    /// Post it alone, in a transaction of its own.
    Alone,
}

/// What to do with each post of `batch`: keyed posts are looked up first
/// (one statement for all of them), and answered as retries when their key
/// was used before.
fn plan(c: &mut PgConn, batch: &[Job], hashes: &[Option<String>]) -> Result<Vec<Step>, RepoError> {
    let keyed: Vec<(i64, &str)> = batch
        .iter()
        .filter_map(|job| {
            job.idempotency
                .as_ref()
                .map(|i| (job.post.author_id.get(), i.key.as_str()))
        })
        .collect();
    if keyed.is_empty() {
        return Ok(batch.iter().map(|_| Step::Write).collect());
    }
    let (authors, keys): (Vec<i64>, Vec<&str>) = keyed.iter().copied().unzip();
    let earlier = earlier_uses(c, &authors, &keys).map_err(db_err("idempotency keys"))?;
    let mut first_use: HashMap<(i64, &str), usize> = HashMap::new();
    let mut steps = Vec::with_capacity(batch.len());
    for (i, (job, hash)) in batch.iter().zip(hashes).enumerate() {
        let (Some(idem), Some(hash)) = (&job.idempotency, hash) else {
            steps.push(Step::Write);
            continue;
        };
        let id = (job.post.author_id.get(), idem.key.as_str());
        let step = match earlier.iter().find(|u| u.user_id == id.0 && u.key == id.1) {
            Some(used) => {
                Step::Answered(answer_again(c, &used.request_hash, used.message_id, hash))
            }
            None => match first_use.entry(id) {
                Entry::Occupied(first) => Step::Twin(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                    Step::Write
                }
            },
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Advances every room of `posts` by its count, inserts the messages with
/// ids in `posts` order and their `message.created` events with each room's
/// next `seq`s in that order, all in one statement. Returns a row per post
/// written, in order; a post whose room no longer exists has none.
fn write_batch<'a>(
    c: &mut PgConn,
    posts: impl Iterator<Item = (&'a NewMessage, Option<&'a Idempotency>, Option<&'a str>)>,
) -> QueryResult<Vec<Written>> {
    let mut batch = PostBatch::default();
    for (post, idempotency, hash) in posts {
        let (channel, conversation) = room_columns(post.room);
        batch.channel_ids.push(channel);
        batch.conversation_ids.push(conversation);
        batch.authors.push(post.author_id.get());
        batch.parents.push(post.parent_id.map(MessageId::get));
        batch.contents.push(post.content.as_str());
        batch.keys.push(idempotency.map(|i| i.key.as_str()));
        batch.hashes.push(hash);
        batch.mentions.push(mention_list(&post.mentions));
    }
    if batch.authors.is_empty() {
        return Ok(Vec::new());
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
    /// Each post's idempotency key and request fingerprint hash, if keyed.
    keys: Vec<Option<&'a str>>,
    hashes: Vec<Option<&'a str>>,
    /// Each post's mentions as an array literal (`{1,2}`): Postgres has no
    /// arrays of arrays of different lengths to `unnest`.
    mentions: Vec<String>,
}

/// `ids` as a Postgres array literal.
fn mention_list(ids: &[UserId]) -> String {
    let ids: Vec<String> = ids.iter().map(|id| id.get().to_string()).collect();
    format!("{{{}}}", ids.join(","))
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
        out.push_sql("WITH post AS ( SELECT p.*, COALESCE(p.channel_id, p.conversation_id) AS room_id, NULLIF(p.mention_list::bigint[], '{}') AS mentions FROM unnest(");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.channel_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.conversation_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.authors)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.parents)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.contents)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.keys)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.hashes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.mentions)?;
        out.push_sql(
            ") WITH ORDINALITY AS p(channel_id, conversation_id, author_id, parent_id, content, key, request_hash, mention_list, ord) \
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
                 UPDATE channels AS r SET last_seq = r.last_seq + c.n, posted = r.posted + c.n, last_message_at = now() \
                 FROM counted c JOIN locked_channels l ON l.id = c.room_id \
                 WHERE r.id = c.room_id RETURNING r.id, r.last_seq - c.n AS base, r.posted - c.n AS pos_base \
             ), advanced_conversations AS ( \
                 UPDATE conversations AS r SET last_seq = r.last_seq + c.n, posted = r.posted + c.n, last_message_at = now() \
                 FROM counted c JOIN locked_conversations l ON l.id = c.room_id \
                 WHERE r.id = c.room_id RETURNING r.id, r.last_seq - c.n AS base, r.posted - c.n AS pos_base \
             ), base AS ( \
                 SELECT * FROM advanced_channels UNION ALL SELECT * FROM advanced_conversations \
             ), ids AS ( \
                 SELECT array_agg(id ORDER BY id) AS id FROM ( \
                     SELECT nextval('messages_id_seq') AS id FROM post \
                 ) drawn \
             ), numbered AS ( \
                 SELECT post.*, (SELECT id FROM ids)[post.ord] AS id, \
                        base.base + row_number() OVER (PARTITION BY post.room_id ORDER BY post.ord) AS seq, \
                        base.pos_base + row_number() OVER (PARTITION BY post.room_id ORDER BY post.ord) AS room_pos \
                 FROM post JOIN base ON base.id = post.room_id \
             ), inserted AS ( \
                 INSERT INTO messages (id, channel_id, conversation_id, author_id, parent_id, content, mentions, room_pos) \
                 OVERRIDING SYSTEM VALUE \
                 SELECT id, channel_id, conversation_id, author_id, parent_id, content, mentions, room_pos FROM numbered \
             ), mentioned AS ( \
                 INSERT INTO message_mentions (user_id, room_id, message_id) \
                 SELECT DISTINCT u, room_id, id FROM numbered, unnest(mentions) AS u \
             ), logged AS ( \
                 INSERT INTO message_events (channel_id, conversation_id, seq, kind, message_id, content) \
                 SELECT channel_id, conversation_id, seq, 'message.created', id, content FROM numbered \
             ), keyed AS ( \
                 INSERT INTO idempotency_keys (user_id, key, request_hash, message_id) \
                 SELECT author_id, key, request_hash, id FROM numbered WHERE key IS NOT NULL \
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
        Ok(Posted::Created(RoomEvent {
            seq: Seq::new(self.seq),
            payload: RoomEventKind::MessageCreated(Message {
                id: MessageId::new(self.id),
                room: post.room,
                author_id: post.author_id,
                parent_id: post.parent_id,
                content: post.content.as_str().to_owned(),
                attachment: None,
                created_at: self.created_at,
                edited_at: None,
                deleted_at: None,
                reactions: Vec::new(),
                pinned: false,
                mentions: post.mentions.clone(),
            }),
        }))
    }
}
