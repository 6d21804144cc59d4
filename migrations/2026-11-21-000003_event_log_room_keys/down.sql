CREATE INDEX message_events_conversation_id_idx ON message_events (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX message_events_channel_id_idx ON message_events (channel_id) WHERE channel_id IS NOT NULL;
ALTER TABLE message_events ADD CONSTRAINT message_events_conversation_id_fkey
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE message_events ADD CONSTRAINT message_events_channel_id_fkey
    FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
