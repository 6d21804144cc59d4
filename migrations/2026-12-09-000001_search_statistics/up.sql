-- Statistics on the search index's expression, so that the planner knows
-- how often a searched word occurs. ANALYZE gathers the most common words
-- of an expression index, but the planner ignores a partial index's
-- statistics (messages_content_search_idx holds live messages only) and
-- guessed that every word matches 0.5 % of the table: a word in one message
-- of ten and a word in a hundred messages got the same plan. Expression
-- statistics need PostgreSQL 14; on 13 the guess stays.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'CREATE STATISTICS messages_content_search_stats '
                'ON (to_tsvector(''simple''::regconfig, content)) FROM messages';
    END IF;
END
$$;
