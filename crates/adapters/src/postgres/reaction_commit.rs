//! Group commit for reaction toggles: concurrent toggles share one
//! transaction.
//!
//! A toggle used to be a transaction of its own, queued on its message's
//! row: one WAL flush per toggle, whatever else was waiting. Here, as for
//! posts ([`super::group_commit`]), each store has one writer thread that
//! takes every toggle queued while it was busy and applies them all in one
//! transaction. It locks the batch's rooms in id order (channels, then
//! conversations, as the post writer does) and then the messages' rows, so
//! batches never deadlock with each other, with posts, or with the
//! single-message transactions of edits, deletes and pins, on this node or
//! another. Under those locks it reads what the toggles depend on (each
//! message's emoji counts, whether each toggled reaction is there), decides
//! every toggle in arrival order exactly as one transaction per toggle
//! would ([`plan`]), writes the net difference, rewrites each changed
//! message's summary once and appends one `message.reactions` event per
//! changed message (docs/decisions.md, "Reactions", says why one and not one
//! per toggle). The first caller whose toggle changed a message is answered
//! with that event, to publish; the others with the message (`Shared`).
//!
//! When the batch fails (a user deleted meanwhile fails its foreign key,
//! a serialization error, ...), each toggle is retried alone, in order, so
//! that one bad toggle fails only itself. A toggle is idempotent, so a
//! retry after a commit whose answer was lost sets nothing twice.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use chrono::{DateTime, Utc};
use concord_domain::reaction::MAX_EMOJI_PER_MESSAGE;
use concord_domain::{
    ChannelId, ConversationId, Emoji, Message, MessageId, Room, RoomEvent, RoomEventKind, Seq,
    UserId,
};
use concord_ports::{RepoError, Toggled};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use tokio::sync::oneshot;

use super::messages::{load_messages, react_alone, summarise_reactions};
use super::outage::Connections;
use super::rows::NewEventRow;
use super::schema::{channels, conversations, message_events, messages};
use super::{PgConn, PgStore};

/// Most toggles one transaction carries; more wait for the next one.
const MAX_BATCH: usize = 1024;

type Answer = Result<Toggled, RepoError>;

/// One toggle as asked: add (`on`) or remove `user`'s `emoji` on `message`.
#[derive(Clone, Debug)]
pub(crate) struct Toggle {
    pub message: i64,
    pub user: i64,
    pub emoji: String,
    pub on: bool,
}

impl Toggle {
    pub(crate) fn new(message: MessageId, user: UserId, emoji: &Emoji, on: bool) -> Self {
        Self {
            message: message.get(),
            user: user.get(),
            emoji: emoji.as_str().to_owned(),
            on,
        }
    }
}

/// A queued toggle and whom to answer.
struct Job {
    toggle: Toggle,
    reply: oneshot::Sender<Answer>,
}

/// The way to a store's reaction writer. The writer stops once every
/// handle to its store is gone.
pub(crate) struct ReactionCommit {
    queue: Sender<Job>,
}

impl ReactionCommit {
    /// Starts the writer, which writes on connections from `pool`.
    pub(crate) fn start(pool: Arc<Connections>) -> std::io::Result<Self> {
        let (queue, jobs) = channel();
        thread::Builder::new()
            .name("concord-reaction-writer".into())
            .spawn(move || Writer { pool, jobs }.run())?;
        Ok(Self { queue })
    }

    /// Queues `toggle` for the next batch; the answer arrives once it is
    /// decided.
    pub(crate) fn submit(&self, toggle: Toggle) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        if let Err(refused) = self.queue.send(Job { toggle, reply }) {
            let _ = refused.0.reply.send(Err(reaction_writer_gone()));
        }
        answer
    }
}

/// What a caller hears when the writer vanished without answering (it
/// panicked, or the store is shutting down).
pub(crate) fn reaction_writer_gone() -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!(
        "the batch applying this reaction ended without an answer"
    ))
}

impl PgStore {
    /// [`concord_ports::MessageRepository::set_reaction`] for an async
    /// caller: the toggle is handed over at once (toggles handed over one
    /// after another are applied in that order) and the future waits for
    /// its answer without holding a thread.
    pub fn queue_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        on: bool,
    ) -> impl Future<Output = Result<Toggled, RepoError>> + Send + use<> {
        let answer = self.reactions.submit(Toggle::new(id, user, emoji, on));
        async move { answer.await.unwrap_or_else(|_| Err(reaction_writer_gone())) }
    }
}

struct Writer {
    pool: Arc<Connections>,
    jobs: Receiver<Job>,
}

impl Writer {
    /// Applies batches until every store handle is dropped.
    /// A panic fails one batch's callers (their replies are dropped:
    /// `reaction_writer_gone`), not every toggle after it.
    fn run(self) {
        super::run_batches("reactions", &self.jobs, MAX_BATCH, |batch| {
            self.write(batch)
        });
    }

    /// Applies `batch` in one transaction and answers each caller; when
    /// that fails, with the answer of applying its toggle alone.
    fn write(&self, batch: Vec<Job>) {
        let mut conn = match self.pool.get() {
            Ok(conn) => conn,
            // No connection to give (the database is down): the whole
            // batch fails at once rather than toggle by toggle.
            Err(e) => {
                let mut first = Some(e);
                for job in batch {
                    let _ = job.reply.send(Err(first.take().unwrap_or_else(|| {
                        RepoError::Unavailable(anyhow::anyhow!(
                            "no database connection for this batch"
                        ))
                    })));
                }
                return;
            }
        };
        let toggles: Vec<&Toggle> = batch.iter().map(|job| &job.toggle).collect();
        let answers = match apply(&mut conn, &toggles) {
            Ok(answers) => answers,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    toggles = toggles.len(),
                    "a batch of reaction toggles failed; each is retried alone"
                );
                toggles
                    .iter()
                    .map(|toggle| react_alone(&mut conn, toggle))
                    .collect()
            }
        };
        for (job, answer) in batch.into_iter().zip(answers) {
            let _ = job.reply.send(answer);
        }
    }
}

/// What one toggle came to, decided in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Its message does not exist (or went with its room).
    Missing,
    /// Its message is deleted: nothing changed.
    Deleted,
    /// Already so: the reaction was there (added) or absent (removed).
    Unchanged,
    /// Adding would pass the bound of distinct emoji.
    Full,
    /// It added or removed the reaction.
    Changed,
}

/// A message under the batch's lock, as its toggles start from.
#[derive(Default)]
struct Start {
    deleted: bool,
    /// Rows per emoji in use.
    counts: HashMap<String, i64>,
    /// The toggled (emoji, user) reactions that are there.
    present: Vec<(String, i64)>,
}

/// One (message, emoji, user) reaction through the batch.
#[derive(Clone, Copy)]
struct Pair {
    /// Its row is there now.
    current: bool,
    /// Its row from before the batch is removed.
    drop_original: bool,
    /// The row there now was added by this toggle of the batch.
    added_by: Option<usize>,
}

/// What a batch does: each toggle's outcome and the net writes.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    outcomes: Vec<Outcome>,
    /// Reactions from before the batch to delete: (message, emoji, user).
    deletes: Vec<(i64, String, i64)>,
    /// Reactions to insert, in the order of the toggles that added them
    /// (row ids order reactors and emoji by first use).
    inserts: Vec<(i64, String, i64)>,
    /// Messages whose reactions end the batch otherwise than they began
    /// it, each with the first toggle that changed it, in that order.
    changed: Vec<(i64, usize)>,
}

/// Decides `toggles` one after another, as one transaction each would,
/// from the state of their messages in `start` (absent: missing).
fn plan(toggles: &[&Toggle], start: HashMap<i64, Start>) -> Plan {
    struct Live {
        counts: HashMap<String, i64>,
        pairs: HashMap<(String, i64), Pair>,
        first_change: Option<usize>,
    }
    let mut deleted = Vec::new();
    let mut live: HashMap<i64, Live> = HashMap::new();
    for (id, s) in start {
        if s.deleted {
            deleted.push(id);
            continue;
        }
        let pairs = s
            .present
            .into_iter()
            .map(|pair| {
                let there = Pair {
                    current: true,
                    drop_original: false,
                    added_by: None,
                };
                (pair, there)
            })
            .collect();
        live.insert(
            id,
            Live {
                counts: s.counts,
                pairs,
                first_change: None,
            },
        );
    }
    let absent = Pair {
        current: false,
        drop_original: false,
        added_by: None,
    };
    let mut plan = Plan::default();
    for (i, toggle) in toggles.iter().enumerate() {
        let Some(message) = live.get_mut(&toggle.message) else {
            plan.outcomes.push(if deleted.contains(&toggle.message) {
                Outcome::Deleted
            } else {
                Outcome::Missing
            });
            continue;
        };
        let pair = message
            .pairs
            .entry((toggle.emoji.clone(), toggle.user))
            .or_insert(absent);
        let outcome = if pair.current == toggle.on {
            Outcome::Unchanged
        } else if toggle.on {
            let in_use = message.counts.contains_key(&toggle.emoji);
            if !in_use && message.counts.len() >= MAX_EMOJI_PER_MESSAGE {
                Outcome::Full
            } else {
                pair.current = true;
                pair.added_by = Some(i);
                *message.counts.entry(toggle.emoji.clone()).or_default() += 1;
                Outcome::Changed
            }
        } else {
            pair.current = false;
            // Taking back a reaction added earlier in the batch cancels its
            // insert; otherwise the row from before goes.
            if pair.added_by.take().is_none() {
                pair.drop_original = true;
            }
            if let Some(n) = message.counts.get_mut(&toggle.emoji) {
                *n -= 1;
                if *n <= 0 {
                    message.counts.remove(&toggle.emoji);
                }
            }
            Outcome::Changed
        };
        if outcome == Outcome::Changed && message.first_change.is_none() {
            message.first_change = Some(i);
        }
        plan.outcomes.push(outcome);
    }
    let mut inserts = Vec::new();
    let mut changed = Vec::new();
    for (id, message) in live {
        let mut touched = false;
        for ((emoji, user), pair) in message.pairs {
            if pair.drop_original {
                plan.deletes.push((id, emoji.clone(), user));
                touched = true;
            }
            if let Some(by) = pair.added_by {
                inserts.push((by, (id, emoji, user)));
                touched = true;
            }
        }
        if let (true, Some(first)) = (touched, message.first_change) {
            changed.push((id, first));
        }
    }
    inserts.sort_by_key(|(by, _)| *by);
    plan.inserts = inserts.into_iter().map(|(_, row)| row).collect();
    changed.sort_by_key(|(_, first)| *first);
    plan.changed = changed;
    plan.deletes.sort();
    plan
}

/// Applies `toggles` in one transaction and answers each.
fn apply(c: &mut PgConn, toggles: &[&Toggle]) -> Result<Vec<Answer>, DieselError> {
    let mut ids: Vec<i64> = toggles.iter().map(|t| t.message).collect();
    ids.sort_unstable();
    ids.dedup();
    // A message never changes room: its room is read before the lock.
    let rooms: Vec<(i64, Option<i64>, Option<i64>)> = messages::table
        .filter(messages::id.eq_any(&ids))
        .select((
            messages::id,
            messages::channel_id,
            messages::conversation_id,
        ))
        .load(c)?;
    let mut channel_ids: Vec<i64> = rooms.iter().filter_map(|r| r.1).collect();
    let mut conversation_ids: Vec<i64> = rooms.iter().filter_map(|r| r.2).collect();
    for room_ids in [&mut channel_ids, &mut conversation_ids] {
        room_ids.sort_unstable();
        room_ids.dedup();
    }
    let room_of: HashMap<i64, Room> = rooms
        .iter()
        .filter_map(
            |&(id, channel, conversation)| match (channel, conversation) {
                (Some(c), None) => Some((id, Room::Channel(ChannelId::new(c)))),
                (None, Some(c)) => Some((id, Room::Conversation(ConversationId::new(c)))),
                _ => None,
            },
        )
        .collect();
    let found: Vec<i64> = rooms.iter().map(|r| r.0).collect();

    c.transaction(|c| {
        // Rooms in id order, channels first, as the post writer takes them.
        if !channel_ids.is_empty() {
            channels::table
                .filter(channels::id.eq_any(&channel_ids))
                .order(channels::id)
                .select(channels::id)
                .for_update()
                .load::<i64>(c)?;
        }
        if !conversation_ids.is_empty() {
            conversations::table
                .filter(conversations::id.eq_any(&conversation_ids))
                .order(conversations::id)
                .select(conversations::id)
                .for_update()
                .load::<i64>(c)?;
        }
        let locked: Vec<(i64, Option<DateTime<Utc>>)> = messages::table
            .filter(messages::id.eq_any(&found))
            .order(messages::id)
            .select((messages::id, messages::deleted_at))
            .for_update()
            .load(c)?;
        let mut start: HashMap<i64, Start> = locked
            .iter()
            .map(|&(id, deleted_at)| {
                let s = Start {
                    deleted: deleted_at.is_some(),
                    ..Start::default()
                };
                (id, s)
            })
            .collect();
        let live: Vec<i64> = locked
            .iter()
            .filter(|(_, deleted_at)| deleted_at.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !live.is_empty() {
            for row in reaction_state(c, toggles, &live)? {
                if let Some(s) = start.get_mut(&row.message_id) {
                    for user in row.touched.unwrap_or_default() {
                        s.present.push((row.emoji.clone(), user));
                    }
                    s.counts.insert(row.emoji, row.n);
                }
            }
        }
        let plan = plan(toggles, start);
        write_rows(c, &plan)?;

        let changed: Vec<i64> = plan.changed.iter().map(|(id, _)| *id).collect();
        if !changed.is_empty() {
            summarise_reactions(c, &changed)?;
        }
        // Each room advances by its changed messages, which take its next
        // seqs in the order they were first changed.
        let room = |id: &i64| room_of.get(id).copied().ok_or(DieselError::NotFound);
        let mut per_room: Vec<(Room, i64)> = Vec::new();
        for id in &changed {
            let room = room(id)?;
            match per_room.iter_mut().find(|(r, _)| *r == room) {
                Some((_, n)) => *n += 1,
                None => per_room.push((room, 1)),
            }
        }
        let mut next_seq: HashMap<Room, i64> = HashMap::new();
        for (room, n) in per_room {
            next_seq.insert(room, advance_room_by(c, room, n)? - n + 1);
        }
        let mut seqs: HashMap<i64, Seq> = HashMap::new();
        let mut events = Vec::with_capacity(changed.len());
        for id in &changed {
            let room = room(id)?;
            let Some(next) = next_seq.get_mut(&room) else {
                return Err(DieselError::NotFound);
            };
            let seq = Seq::new(*next);
            *next += 1;
            seqs.insert(*id, seq);
            events.push(NewEventRow::new(
                room,
                seq,
                RoomEventKind::MESSAGE_REACTIONS,
                *id,
                None,
            ));
        }
        if !events.is_empty() {
            diesel::insert_into(message_events::table)
                .values(&events)
                .execute(c)?;
        }

        let mut after: HashMap<i64, Message> = HashMap::new();
        if !live.is_empty() {
            for (row, url) in load_messages(c, &live)? {
                let message = row
                    .into_domain(url)
                    .map_err(|e| DieselError::DeserializationError(e.into()))?;
                after.insert(message.id.get(), message);
            }
        }
        let publisher: HashMap<i64, usize> = plan.changed.iter().copied().collect();
        let answers = toggles
            .iter()
            .zip(&plan.outcomes)
            .enumerate()
            .map(|(i, (toggle, outcome))| {
                let message = || {
                    after
                        .get(&toggle.message)
                        .cloned()
                        .ok_or(RepoError::NotFound)
                };
                match outcome {
                    Outcome::Missing => Err(RepoError::NotFound),
                    Outcome::Deleted => Ok(Toggled::Deleted),
                    Outcome::Full => Ok(Toggled::Full),
                    Outcome::Unchanged => message().map(Toggled::Unchanged),
                    Outcome::Changed => {
                        match (publisher.get(&toggle.message), seqs.get(&toggle.message)) {
                            (Some(&first), Some(&seq)) if first == i => message().map(|m| {
                                Toggled::Made(RoomEvent {
                                    seq,
                                    payload: RoomEventKind::MessageReactions(m),
                                })
                            }),
                            _ => message().map(Toggled::Shared),
                        }
                    }
                }
            })
            .collect();
        Ok(answers)
    })
}

/// Under the batch's locks, for each of the `live` messages: its emoji in
/// use, how many reacted with each, and which of the toggled users among
/// them.
fn reaction_state(
    c: &mut PgConn,
    toggles: &[&Toggle],
    live: &[i64],
) -> QueryResult<Vec<EmojiState>> {
    let messages: Vec<i64> = toggles.iter().map(|t| t.message).collect();
    let emoji: Vec<&str> = toggles.iter().map(|t| t.emoji.as_str()).collect();
    let users: Vec<i64> = toggles.iter().map(|t| t.user).collect();
    diesel::sql_query(
        "SELECT r.message_id, r.emoji, count(*) AS n, \
                array_agg(r.user_id) FILTER (WHERE t.user_id IS NOT NULL) AS touched \
         FROM message_reactions r \
         LEFT JOIN (SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) \
                    AS t(message_id, emoji, user_id)) t \
           ON t.message_id = r.message_id AND t.emoji = r.emoji AND t.user_id = r.user_id \
         WHERE r.message_id = ANY($4) \
         GROUP BY r.message_id, r.emoji",
    )
    .bind::<Array<BigInt>, _>(&messages)
    .bind::<Array<Text>, _>(&emoji)
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<BigInt>, _>(live)
    .load(c)
}

/// One emoji in use on one message.
#[derive(QueryableByName)]
struct EmojiState {
    #[diesel(sql_type = BigInt)]
    message_id: i64,
    #[diesel(sql_type = Text)]
    emoji: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Array<BigInt>>)]
    touched: Option<Vec<i64>>,
}

/// Deletes and inserts what `plan` says, with one statement each. New rows
/// take ids in the plan's order: the ids are drawn first and handed out by
/// position, since an `INSERT ... SELECT ... ORDER BY` promises no order
/// for the identity's defaults.
fn write_rows(c: &mut PgConn, plan: &Plan) -> QueryResult<()> {
    if !plan.deletes.is_empty() {
        let (messages, emoji, users) = columns(&plan.deletes);
        diesel::sql_query(
            "DELETE FROM message_reactions r \
             USING unnest($1::bigint[], $2::text[], $3::bigint[]) AS d(message_id, emoji, user_id) \
             WHERE r.message_id = d.message_id AND r.emoji = d.emoji AND r.user_id = d.user_id",
        )
        .bind::<Array<BigInt>, _>(&messages)
        .bind::<Array<Text>, _>(&emoji)
        .bind::<Array<BigInt>, _>(&users)
        .execute(c)?;
    }
    if !plan.inserts.is_empty() {
        let (messages, emoji, users) = columns(&plan.inserts);
        diesel::sql_query(
            "WITH ids AS ( \
                 SELECT array_agg(id ORDER BY id) AS id FROM ( \
                     SELECT nextval(pg_get_serial_sequence('message_reactions', 'id')) AS id \
                     FROM unnest($1::bigint[]) \
                 ) drawn \
             ) \
             INSERT INTO message_reactions (id, message_id, emoji, user_id) OVERRIDING SYSTEM VALUE \
             SELECT (SELECT id FROM ids)[a.ord], a.message_id, a.emoji, a.user_id \
             FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY \
                  AS a(message_id, emoji, user_id, ord)",
        )
        .bind::<Array<BigInt>, _>(&messages)
        .bind::<Array<Text>, _>(&emoji)
        .bind::<Array<BigInt>, _>(&users)
        .execute(c)?;
    }
    Ok(())
}

/// `rows` as one array per column.
fn columns(rows: &[(i64, String, i64)]) -> (Vec<i64>, Vec<&str>, Vec<i64>) {
    let mut messages = Vec::with_capacity(rows.len());
    let mut emoji = Vec::with_capacity(rows.len());
    let mut users = Vec::with_capacity(rows.len());
    for (message, e, user) in rows {
        messages.push(*message);
        emoji.push(e.as_str());
        users.push(*user);
    }
    (messages, emoji, users)
}

/// Advances `room`'s sequence by `n` under the lock the batch holds, and
/// returns its new last `seq`.
fn advance_room_by(c: &mut PgConn, room: Room, n: i64) -> QueryResult<i64> {
    match room {
        Room::Channel(id) => diesel::update(channels::table.find(id.get()))
            .set(channels::last_seq.eq(channels::last_seq + n))
            .returning(channels::last_seq)
            .get_result(c),
        Room::Conversation(id) => diesel::update(conversations::table.find(id.get()))
            .set(conversations::last_seq.eq(conversations::last_seq + n))
            .returning(conversations::last_seq)
            .get_result(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toggle(message: i64, user: i64, emoji: &str, on: bool) -> Toggle {
        Toggle {
            message,
            user,
            emoji: emoji.into(),
            on,
        }
    }

    fn live(counts: &[(&str, i64)], present: &[(&str, i64)]) -> Start {
        Start {
            deleted: false,
            counts: counts.iter().map(|(e, n)| ((*e).to_owned(), *n)).collect(),
            present: present.iter().map(|(e, u)| ((*e).to_owned(), *u)).collect(),
        }
    }

    fn plan_of(toggles: &[Toggle], start: Vec<(i64, Start)>) -> Plan {
        let toggles: Vec<&Toggle> = toggles.iter().collect();
        plan(&toggles, start.into_iter().collect())
    }

    use Outcome::*;

    #[test]
    fn an_add_taken_back_in_the_same_batch_writes_nothing_and_changes_no_message() {
        let plan = plan_of(
            &[toggle(1, 7, ":a:", true), toggle(1, 7, ":a:", false)],
            vec![(1, live(&[], &[]))],
        );
        assert_eq!(plan.outcomes, vec![Changed, Changed]);
        assert!(plan.inserts.is_empty() && plan.deletes.is_empty());
        assert!(plan.changed.is_empty());
    }

    #[test]
    fn a_reaction_taken_back_and_given_again_moves_to_the_end() {
        let plan = plan_of(
            &[
                toggle(1, 7, ":a:", false),
                toggle(1, 8, ":a:", true),
                toggle(1, 7, ":a:", true),
            ],
            vec![(1, live(&[(":a:", 1)], &[(":a:", 7)]))],
        );
        assert_eq!(plan.outcomes, vec![Changed, Changed, Changed]);
        assert_eq!(plan.deletes, vec![(1, ":a:".into(), 7)]);
        assert_eq!(
            plan.inserts,
            vec![(1, ":a:".into(), 8), (1, ":a:".into(), 7)]
        );
        assert_eq!(plan.changed, vec![(1, 0)]);
    }

    #[test]
    fn repeating_an_add_or_a_removal_is_unchanged() {
        let plan = plan_of(
            &[
                toggle(1, 7, ":a:", true),
                toggle(1, 7, ":a:", true),
                toggle(1, 8, ":a:", false),
            ],
            vec![(1, live(&[], &[]))],
        );
        assert_eq!(plan.outcomes, vec![Changed, Unchanged, Unchanged]);
        assert_eq!(plan.inserts, vec![(1, ":a:".into(), 7)]);
    }

    #[test]
    fn the_emoji_bound_refuses_only_the_toggle_that_would_pass_it() {
        let mut toggles: Vec<Toggle> = (0..MAX_EMOJI_PER_MESSAGE)
            .map(|i| toggle(1, 7, &format!(":e{i}:"), true))
            .collect();
        // one emoji too many; one more user on an emoji in use; one emoji
        // goes, which makes room for the next new one
        toggles.push(toggle(1, 7, ":late:", true));
        toggles.push(toggle(1, 8, ":e0:", true));
        toggles.push(toggle(1, 7, ":e1:", false));
        toggles.push(toggle(1, 7, ":late:", true));
        let plan = plan_of(&toggles, vec![(1, live(&[], &[]))]);
        let tail = &plan.outcomes[MAX_EMOJI_PER_MESSAGE..];
        assert_eq!(tail, &[Full, Changed, Changed, Changed]);
        assert!(
            plan.outcomes[..MAX_EMOJI_PER_MESSAGE]
                .iter()
                .all(|o| *o == Changed)
        );
        assert_eq!(plan.inserts.len(), MAX_EMOJI_PER_MESSAGE + 1);
    }

    #[test]
    fn a_deleted_or_missing_message_takes_nothing_and_spares_the_others() {
        let deleted = Start {
            deleted: true,
            ..Start::default()
        };
        let plan = plan_of(
            &[
                toggle(1, 7, ":a:", true),
                toggle(2, 7, ":a:", true),
                toggle(3, 7, ":a:", true),
            ],
            vec![(1, live(&[], &[])), (2, deleted)],
        );
        assert_eq!(plan.outcomes, vec![Changed, Deleted, Missing]);
        assert_eq!(plan.inserts, vec![(1, ":a:".into(), 7)]);
        assert_eq!(plan.changed, vec![(1, 0)]);
    }

    #[test]
    fn messages_are_changed_in_the_order_of_their_first_change() {
        let plan = plan_of(
            &[
                toggle(2, 7, ":a:", false),
                toggle(2, 7, ":b:", true),
                toggle(1, 7, ":a:", true),
            ],
            vec![(1, live(&[], &[])), (2, live(&[], &[]))],
        );
        assert_eq!(plan.outcomes, vec![Unchanged, Changed, Changed]);
        assert_eq!(plan.changed, vec![(2, 1), (1, 2)]);
    }
}
