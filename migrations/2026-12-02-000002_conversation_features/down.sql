DELETE FROM message_events WHERE kind IN ('message.reactions', 'message.pinned', 'message.unpinned');
ALTER TABLE message_events DROP CONSTRAINT message_events_kind_check;
ALTER TABLE message_events ADD CONSTRAINT message_events_kind_check CHECK (kind IN (
    'message.created', 'message.updated', 'message.deleted'));
DROP TABLE read_markers;
DROP TABLE message_mentions;
DROP TABLE message_reactions;
CREATE INDEX messages_author_id_idx ON messages (author_id);
DROP INDEX messages_author_room_idx;
DROP INDEX messages_deleted_idx;
DROP INDEX messages_pinned_idx;
ALTER TABLE conversations DROP COLUMN posted;
ALTER TABLE channels DROP COLUMN posted;
ALTER TABLE messages DROP COLUMN room_pos, DROP COLUMN mentions, DROP COLUMN pinned_at, DROP COLUMN reactions;
