//! Full-text message search ([`MessageSearch`]), by Postgres alone.
//!
//! Messages are matched on `to_tsvector('simple', content)`, the expression
//! of the partial GIN index `messages_content_search_idx` (migration
//! `2026-12-02-000003_search`), which holds live messages only. The query
//! repeats that expression and the index's `deleted_at IS NULL` word for
//! word, so that the planner can use the index; a post pays for one index
//! entry and no stored column. `simple` lower-cases words and neither stems
//! nor drops stop words, so a word of any script is found as typed, case
//! aside. The query text goes to `websearch_to_tsquery` as a bound
//! parameter, never into the SQL.
//!
//! A page is read in two steps, in one transaction whose statements are
//! planned for their actual parameters (`force_custom_plan`; the pool's
//! generic plans cannot know the words, and these statements are never
//! reused anyway), with statistics on the index expression that tell the
//! planner how often each word occurs:
//!
//! 1. Among the [`RECENT`] newest messages below the cursor, in any room:
//!    a word in many messages fills the page within a few hundred of them,
//!    on a backward walk of the primary key that cannot go past the window;
//!    a rare word is looked up in the GIN index. When this fills the page,
//!    the page is exact: every message newer than its last is in the
//!    window.
//! 2. Otherwise all of the rooms' matches below the cursor: a bitmap scan
//!    of the GIN index (intersected with the rooms' `messages_room_id_idx`
//!    when the planner finds the rooms a small part of the table), then the
//!    newest of the matches. Two things keep the planner to it:
//!
//! - The page is ordered by `id + 0`, which no index yields: otherwise a
//!   word guessed common makes walking the primary key backwards look
//!   cheap, and for a rare word, or rooms whose messages are old, that walk
//!   reads the whole table, computing every message's vector (seconds, not
//!   milliseconds).
//! - The room ids are written into the SQL, not bound: they are integers of
//!   our own, and with them the planner knows how much of the table the
//!   rooms hold, so it intersects with the room index only when that
//!   narrows the matches. Such a statement is planned at each search
//!   (about a millisecond), never prepared for reuse.
//!
//! docs/performance.md has the plans and their timings.

use concord_domain::{Message, MessageId, Page, RoomId, SearchQuery, UserId};
use concord_ports::{Found, MessageSearch, RepoError};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};

use super::rows::MessageRow;
use super::schema::{attachments, messages};
use super::{PgStore, db_err};

/// `to_tsvector('simple', messages.content) @@ websearch_to_tsquery('simple', $query)`.
#[derive(Debug, Clone, Copy)]
struct Matches<'a> {
    query: &'a str,
}

impl Expression for Matches<'_> {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Matches<'_> where messages::content: AppearsOnTable<QS> {}

impl<QS> SelectableExpression<QS> for Matches<'_> where messages::content: SelectableExpression<QS> {}

impl ValidGrouping<()> for Matches<'_> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

// Its SQL is the same whatever the query text, which is bound.
impl QueryId for Matches<'_> {
    type QueryId = Matches<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for Matches<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(to_tsvector('simple', ");
        messages::content.walk_ast(out.reborrow())?;
        out.push_sql(") @@ websearch_to_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.query)?;
        out.push_sql("))");
        Ok(())
    }
}

/// `querytree(websearch_to_tsquery('simple', $query))`: what of the query
/// an index can look up. Empty when the query has no word, `T` when it
/// has only excluded ones.
#[derive(Debug, Clone, Copy)]
struct Findable<'a> {
    query: &'a str,
}

impl Expression for Findable<'_> {
    type SqlType = Text;
}

impl<QS> AppearsOnTable<QS> for Findable<'_> {}

impl<QS> SelectableExpression<QS> for Findable<'_> {}

impl ValidGrouping<()> for Findable<'_> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for Findable<'_> {
    type QueryId = Findable<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for Findable<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("querytree(websearch_to_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.query)?;
        out.push_sql("))");
        Ok(())
    }
}

/// `"messages"."room_id" = ANY(ARRAY[...]::bigint[])` with the room ids
/// written out, so that the planner sees how much of the table they hold
/// (see the module's documentation). The SQL differs with the rooms, so a
/// statement holding it is never cached.
#[derive(Debug, Clone, Copy)]
struct InRooms<'a> {
    rooms: &'a [RoomId],
}

impl Expression for InRooms<'_> {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for InRooms<'_> where messages::room_id: AppearsOnTable<QS> {}

impl<QS> SelectableExpression<QS> for InRooms<'_> where messages::room_id: SelectableExpression<QS> {}

impl ValidGrouping<()> for InRooms<'_> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for InRooms<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for InRooms<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("(");
        messages::room_id.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(ARRAY[");
        for (i, room) in self.rooms.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            // An i64 printed in decimal: digits and a sign, nothing to escape.
            out.push_sql(&room.get().to_string());
        }
        out.push_sql("]::bigint[]))");
        Ok(())
    }
}

/// The messages of `$rooms` matching `$query` older than `$before` (a
/// message id), unordered and unlimited; [`search_page`] and
/// [`recent_page`] order and cut them. Boxed, so that filters can be added.
macro_rules! search_matches {
    ($query:expr, $rooms:expr, $before:expr) => {
        messages::table
            .left_join(attachments::table)
            .filter(Matches { query: $query })
            .filter(messages::deleted_at.is_null())
            .filter(InRooms { rooms: $rooms })
            .filter(messages::id.lt($before))
            .select((MessageRow::as_select(), attachments::url.nullable()))
            .into_boxed()
    };
}

/// The page of messages of `$rooms` matching `$query` older than `$before`,
/// newest first: `$limit` and one more, to learn whether more follow.
macro_rules! search_page {
    ($query:expr, $rooms:expr, $before:expr, $limit:expr) => {
        search_matches!($query, $rooms, $before)
            // `+ 0`: no index may yield this order (see the module's documentation).
            .order((messages::id + 0_i64).desc())
            .limit(i64::from($limit) + 1)
    };
}

/// [`search_page`] among the messages with ids from `$from` (the window of
/// [`RECENT`] messages below `$before`): ordered by `id`, which a backward
/// walk of the primary key over that window may yield.
macro_rules! recent_page {
    ($query:expr, $rooms:expr, $from:expr, $before:expr, $limit:expr) => {
        search_matches!($query, $rooms, $before)
            .filter(messages::id.ge($from))
            .order(messages::id.desc())
            .limit(i64::from($limit) + 1)
    };
}

/// How many of the newest messages below a page's cursor, in any room,
/// [`recent_page`] looks among first.
const RECENT: i64 = 1_000;

/// Plans the statements of the transaction it runs in for their actual
/// parameters: the query's words, whose frequency the statistics on the
/// index expression give (migration `2026-12-09-000001_search_statistics`).
const CUSTOM_PLANS: &str = "SET LOCAL plan_cache_mode = force_custom_plan";

/// A page's cursor as the query takes it: no cursor reads from the newest.
fn page_cursor(before: Option<MessageId>) -> i64 {
    before.map_or(i64::MAX, MessageId::get)
}

/// Whether the index part of a parsed query (see [`Findable`]) looks up
/// anything.
fn names_something(tree: &str) -> bool {
    !matches!(tree.trim(), "" | "T")
}

impl MessageSearch for PgStore {
    fn search_messages(
        &self,
        query: &SearchQuery,
        rooms: &[RoomId],
        author: Option<UserId>,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Found, RepoError> {
        let mut conn = self.conn()?;
        let tree: String = diesel::select(Findable {
            query: query.as_str(),
        })
        .get_result(&mut conn)
        .map_err(db_err("search query"))?;
        if !names_something(&tree) {
            return Ok(Found::NothingToFind);
        }
        if rooms.is_empty() {
            return Ok(Found::Page(Page {
                messages: Vec::new(),
                next_cursor: None,
            }));
        }
        let before = page_cursor(before);
        // The id `RECENT` messages below the cursor, if there are that many.
        let from: Option<i64> = messages::table
            .select(messages::id)
            .filter(messages::id.lt(before))
            .order(messages::id.desc())
            .offset(RECENT - 1)
            .first(&mut conn)
            .optional()
            .map_err(db_err("search window"))?;
        let rows: Vec<(MessageRow, Option<String>)> = conn
            .transaction(|c| {
                diesel::sql_query(CUSTOM_PLANS).execute(c)?;
                let mut recent = recent_page!(
                    query.as_str(),
                    rooms,
                    from.unwrap_or(i64::MIN),
                    before,
                    limit
                );
                if let Some(author) = author {
                    recent = recent.filter(messages::author_id.eq(author.get()));
                }
                let rows: Vec<(MessageRow, Option<String>)> = recent.load(c)?;
                // A full page of the window's matches is the newest there is:
                // every message newer than its last is in the window. So is a
                // window that reaches back to the first message.
                if rows.len() > limit as usize || from.is_none() {
                    return Ok(rows);
                }
                let mut page = search_page!(query.as_str(), rooms, before, limit);
                if let Some(author) = author {
                    page = page.filter(messages::author_id.eq(author.get()));
                }
                page.load(c)
            })
            .map_err(db_err("search"))?;
        let mut messages = rows
            .into_iter()
            .map(|(row, url)| row.into_domain(url))
            .collect::<Result<Vec<Message>, RepoError>>()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let next_cursor = if more {
            messages.last().map(|m| m.id)
        } else {
            None
        };
        Ok(Found::Page(Page {
            messages,
            next_cursor,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_with_only_excluded_words_or_none_names_nothing() {
        assert!(names_something("'cat'"));
        assert!(names_something("'big' <-> 'cat' & 'dog'"));
        assert!(!names_something(""));
        assert!(!names_something("T"));
    }

    #[test]
    fn the_match_repeats_the_index_expression_and_binds_the_query() {
        let sql =
            diesel::debug_query::<Pg, _>(&messages::table.select(messages::id).filter(Matches {
                query: "'; DROP TABLE messages; --",
            }))
            .to_string();
        assert!(
            sql.contains(
                "(to_tsvector('simple', \"messages\".\"content\") @@ websearch_to_tsquery('simple', $1))"
            ),
            "{sql}"
        );
        assert!(
            sql.contains("binds: [\"'; DROP TABLE messages; --\"]"),
            "{sql}"
        );
    }

    #[test]
    fn the_page_is_ordered_by_no_index_and_matches_as_the_index_does() {
        let rooms = [RoomId::new(7)];
        let page = search_page!("cat", &rooms, page_cursor(None), 20_u32);
        let sql = diesel::debug_query::<Pg, _>(&page).to_string();
        assert!(sql.contains("ORDER BY (\"messages\".\"id\" + $"), "{sql}");
        assert!(sql.contains("\"messages\".\"deleted_at\" IS NULL"), "{sql}");
        assert!(sql.contains("LEFT OUTER JOIN \"attachments\""), "{sql}");
    }

    #[test]
    fn the_recent_window_is_walked_newest_first_from_its_first_id() {
        let rooms = [RoomId::new(7)];
        let page = recent_page!("cat", &rooms, 900_i64, 2_000_i64, 20_u32);
        let sql = diesel::debug_query::<Pg, _>(&page).to_string();
        assert!(sql.contains("\"messages\".\"id\" >= $"), "{sql}");
        assert!(sql.contains("ORDER BY \"messages\".\"id\" DESC"), "{sql}");
        assert!(sql.contains("\"messages\".\"deleted_at\" IS NULL"), "{sql}");
    }

    #[test]
    fn the_rooms_are_written_out_and_never_cached() {
        let rooms = [RoomId::new(7), RoomId::new(42)];
        let query = messages::table
            .select(messages::id)
            .filter(InRooms { rooms: &rooms });
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            sql.contains("(\"messages\".\"room_id\" = ANY(ARRAY[7, 42]::bigint[]))"),
            "{sql}"
        );
        let fragment = InRooms { rooms: &rooms };
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(&fragment, &Pg).unwrap());
    }
}
