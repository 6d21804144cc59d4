ALTER TABLE message_events DROP COLUMN content;
