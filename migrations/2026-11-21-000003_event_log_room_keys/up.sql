-- An event's room is its message's room, and every event names its message,
-- so deleting a channel or conversation already reaches its events through
-- messages (ON DELETE CASCADE twice). The log's own foreign keys to the rooms
-- and the partial indexes that served their cascades cost every post an
-- extra index insert and key check, and protected nothing the message's key
-- does not.
ALTER TABLE message_events DROP CONSTRAINT message_events_channel_id_fkey;
ALTER TABLE message_events DROP CONSTRAINT message_events_conversation_id_fkey;
DROP INDEX message_events_channel_id_idx;
DROP INDEX message_events_conversation_id_idx;
