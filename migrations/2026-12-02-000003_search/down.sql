DROP INDEX CONCURRENTLY IF EXISTS messages_content_search_idx;
