//! Full-text message search ([`MessageSearch`]), by Postgres alone.
//!
//! Messages are matched on `to_tsvector('simple', content)`, the expression
//! of the partial GIN index `messages_content_search_idx` (migration
//! `2026-12-02-000003_search`), which holds live messages only. The query
//! repeats that expression and the index's `deleted_at IS NULL` word for
//! word, so that the planner can use the index; a post pays for one index
//! entry and no stored column. `simple` lower-cases words and neither stems
//! nor drops stop words, so a word of any script is found as typed, case
//! aside. The query text goes to `websearch_to_tsquery`, as a bound
//! parameter, never spliced into the SQL.
//!
//! The pooled connections plan every statement once (`plan_cache_mode =
//! force_generic_plan`, see the module above), and the generic plan is the
//! one wanted here: the GIN index's matches intersected with those of the
//! readable rooms (`messages_room_id_idx`), then the newest of them. A plan
//! made for the actual words could walk the primary key backwards instead
//! when it guesses a word common, which is ruinous for a rare word it
//! guessed wrong (docs/performance.md has the figures).

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

// Its SQL is the same whatever the query text, so statements holding it are
// prepared once per connection.
impl QueryId for Matches<'_> {
    type QueryId = Matches<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for Matches<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("to_tsvector('simple', ");
        messages::content.walk_ast(out.reborrow())?;
        out.push_sql(") @@ websearch_to_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.query)?;
        out.push_sql(")");
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
        let room_ids: Vec<i64> = rooms.iter().map(|r| r.get()).collect();
        let mut page = messages::table
            .left_join(attachments::table)
            .filter(Matches {
                query: query.as_str(),
            })
            .filter(messages::deleted_at.is_null())
            .filter(messages::room_id.eq_any(room_ids))
            .filter(messages::id.lt(before.map_or(i64::MAX, MessageId::get)))
            .order(messages::id.desc())
            // One more than asked for, to learn whether more follow.
            .limit(i64::from(limit) + 1)
            .select((MessageRow::as_select(), attachments::url.nullable()))
            .into_boxed();
        if let Some(author) = author {
            page = page.filter(messages::author_id.eq(author.get()));
        }
        let rows: Vec<(MessageRow, Option<String>)> =
            page.load(&mut conn).map_err(db_err("search"))?;
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
                "to_tsvector('simple', \"messages\".\"content\") @@ websearch_to_tsquery('simple', $1)"
            ),
            "{sql}"
        );
        assert!(
            sql.contains("binds: [\"'; DROP TABLE messages; --\"]"),
            "{sql}"
        );
    }
}
