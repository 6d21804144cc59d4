-- Reactions, pins, mentions and read state (API.md section 7).

-- What every message JSON shows lives on the message row, so that history,
-- single messages and events read it without a join:
--   reactions: [{"emoji", "count", "user_ids": [first 100]}] in order of
--              first use, rewritten from message_reactions under the row's
--              lock with every reaction change; NULL for none;
--   pinned_at: when it was pinned, if it is;
--   mentions:  the users it mentions who could read its room when it was
--              written (or last edited); NULL for none.
-- NULL rather than an empty array or list: most messages have neither, and
-- a NULL costs a history read nothing to decode;
--   room_pos:  its place among its room's posts (1, 2, ...), for counting
--              unread messages without reading them.
ALTER TABLE messages
    ADD COLUMN reactions JSONB,
    ADD COLUMN pinned_at TIMESTAMPTZ,
    ADD COLUMN mentions  BIGINT[],
    ADD COLUMN room_pos  BIGINT;

-- How many messages each room has had posted (deleted ones included):
-- advanced in the same statement as last_seq.
ALTER TABLE channels ADD COLUMN posted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN posted BIGINT NOT NULL DEFAULT 0;

UPDATE messages m SET room_pos = n.pos
FROM (SELECT id, row_number() OVER (PARTITION BY room_id ORDER BY id) AS pos FROM messages) n
WHERE m.id = n.id;
UPDATE channels c SET posted = (SELECT count(*) FROM messages m WHERE m.room_id = c.id);
UPDATE conversations c SET posted = (SELECT count(*) FROM messages m WHERE m.room_id = c.id);
ALTER TABLE messages ALTER COLUMN room_pos SET NOT NULL;

-- pin lists, most recently pinned first, and the 50-per-room bound
CREATE INDEX messages_pinned_idx ON messages (room_id, pinned_at) WHERE pinned_at IS NOT NULL;
-- unread counts subtract deleted messages after a read marker ...
CREATE INDEX messages_deleted_idx ON messages (room_id, id) WHERE deleted_at IS NOT NULL;
-- ... and the reader's own: this index replaces the one on author_id alone
-- (which served the users foreign key), so a post writes no more indexes.
CREATE INDEX messages_author_room_idx ON messages (author_id, room_id, id);
DROP INDEX messages_author_id_idx;

-- Who reacted to what. `id` orders reactions by first use.
CREATE TABLE message_reactions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL CHECK (octet_length(emoji) BETWEEN 1 AND 34),
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, emoji, user_id)
);
CREATE INDEX message_reactions_user_id_idx ON message_reactions (user_id);

-- One row per mention of a user who could read the room, for mention
-- counts after a read marker.
CREATE TABLE message_mentions (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, message_id)
);
CREATE INDEX message_mentions_message_id_idx ON message_mentions (message_id);

-- Where each user has read up to in each room. No row: the room was empty
-- when the user gained access (a marker is written whenever access is
-- gained to a room that has messages).
CREATE TABLE read_markers (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id      BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE,
    room_id         BIGINT GENERATED ALWAYS AS (COALESCE(channel_id, conversation_id)) STORED,
    -- the last message read (NULL: none), and its room_pos (0: none)
    last_read_id    BIGINT,
    last_read_pos   BIGINT NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT read_markers_one_room CHECK ((channel_id IS NULL) <> (conversation_id IS NULL)),
    CONSTRAINT read_markers_pkey PRIMARY KEY (user_id, room_id)
);
CREATE INDEX read_markers_channel_id_idx ON read_markers (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX read_markers_conversation_id_idx ON read_markers (conversation_id) WHERE conversation_id IS NOT NULL;

-- The log records reactions and pins like edits.
ALTER TABLE message_events DROP CONSTRAINT message_events_kind_check;
ALTER TABLE message_events ADD CONSTRAINT message_events_kind_check CHECK (kind IN (
    'message.created', 'message.updated', 'message.deleted',
    'message.reactions', 'message.pinned', 'message.unpinned'));
