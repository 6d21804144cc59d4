-- Full-text search over messages (GET /api/workspaces/:id/search, GET /search).
--
-- An index on an expression rather than a stored tsvector column: a post
-- computes the vector once, for the index entry, and the row stays as wide
-- as it was. 'simple' lower-cases words and neither stems nor drops stop
-- words, so a word of any language is found as typed. Deleted messages are
-- never found, so they are not indexed (and leave the index when deleted).
-- The search query repeats this expression and predicate exactly.
--
-- CONCURRENTLY, so that posting goes on while the index is built on a
-- large table (metadata.toml runs this file outside a transaction, which
-- is why it holds one statement). A failed build leaves an invalid index
-- behind; the next start then fails on the name until it is dropped.
CREATE INDEX CONCURRENTLY messages_content_search_idx ON messages
    USING GIN (to_tsvector('simple', content)) WHERE deleted_at IS NULL;
