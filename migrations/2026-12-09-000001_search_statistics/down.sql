DROP STATISTICS IF EXISTS messages_content_search_stats;
