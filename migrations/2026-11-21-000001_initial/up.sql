-- Concord's schema for the whole contract: both HTTP dialects share these tables.
-- Every query the API makes is served by a primary key, a unique constraint or
-- one of the indexes below.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL,
    -- stored lower-cased by the application
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    image_url     TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

-- Logged-out tokens, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);

CREATE TABLE workspaces (
    id                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                        TEXT NOT NULL,
    description                 TEXT,
    image_url                   TEXT,
    owner_id                    BIGINT NOT NULL REFERENCES users (id),
    invite_code                 TEXT NOT NULL,
    -- true for workspaces created in the workspace dialect, false for servers
    members_can_create_channels BOOLEAN NOT NULL,
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT workspaces_invite_code_key UNIQUE (invite_code)
);
CREATE INDEX workspaces_owner_id_idx ON workspaces (owner_id);

CREATE TABLE memberships (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'moderator', 'guest')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT memberships_workspace_user_key UNIQUE (workspace_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id, workspace_id);
-- exactly one owner per workspace
CREATE UNIQUE INDEX memberships_one_owner_idx ON memberships (workspace_id) WHERE role = 'owner';

-- Channels and conversations draw their ids from one sequence, so a realtime
-- topic chat:{id}:messages names exactly one room.
CREATE SEQUENCE room_id_seq AS BIGINT;

CREATE TABLE channels (
    id              BIGINT PRIMARY KEY DEFAULT nextval('room_id_seq'),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'TEXT' CHECK (kind IN ('TEXT', 'AUDIO', 'VIDEO')),
    description     TEXT,
    topic           TEXT,
    private         BOOLEAN NOT NULL DEFAULT false,
    creator_id      BIGINT NOT NULL REFERENCES users (id),
    is_general      BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- advanced in the same statement as last_seq, so a post touches this row once
    last_message_at TIMESTAMPTZ,
    -- the room's event sequence: the seq of its latest event, gapless
    last_seq        BIGINT NOT NULL DEFAULT 0
);
ALTER SEQUENCE room_id_seq OWNED BY channels.id;
CREATE INDEX channels_workspace_id_idx ON channels (workspace_id, id);
CREATE UNIQUE INDEX channels_one_general_idx ON channels (workspace_id) WHERE is_general;

CREATE TABLE channel_members (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user_id_idx ON channel_members (user_id, channel_id);

CREATE TABLE conversations (
    id              BIGINT PRIMARY KEY DEFAULT nextval('room_id_seq'),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    topic           TEXT,
    creator_id      BIGINT NOT NULL REFERENCES users (id),
    -- for 1:1 conversations started with the server dialect: "{low user id}:{high user id}",
    -- so that get-or-create finds the one conversation between two members
    direct_key      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_message_at TIMESTAMPTZ,
    last_seq        BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT conversations_direct_key_key UNIQUE (workspace_id, direct_key)
);
CREATE INDEX conversations_workspace_id_idx ON conversations (workspace_id, id);

CREATE TABLE conversation_participants (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_participants_user_id_idx ON conversation_participants (user_id, conversation_id);

-- Files attached to messages (the server dialect's fileUrl, the workspace
-- dialect's attachment_id).
CREATE TABLE attachments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url         TEXT NOT NULL,
    uploader_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_uploader_id_idx ON attachments (uploader_id);

CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id      BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE,
    -- the room, whichever kind: what history pages and realtime topics key on
    room_id         BIGINT GENERATED ALWAYS AS (COALESCE(channel_id, conversation_id)) STORED,
    author_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- always a thread's root: a reply to a reply is attached to the root
    parent_id       BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    content         TEXT NOT NULL,
    attachment_id   BIGINT REFERENCES attachments (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    edited_at       TIMESTAMPTZ,
    -- soft delete: the row stays as a tombstone so that replies survive
    deleted_at      TIMESTAMPTZ,
    CONSTRAINT messages_one_room CHECK ((channel_id IS NULL) <> (conversation_id IS NULL))
);
-- keyset pagination, newest first: WHERE room_id = $1 AND id < $cursor ORDER BY id DESC
CREATE INDEX messages_room_id_idx ON messages (room_id, id);
CREATE INDEX messages_parent_id_idx ON messages (parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_author_id_idx ON messages (author_id);
CREATE INDEX messages_attachment_id_idx ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
CREATE INDEX messages_channel_id_idx ON messages (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX messages_conversation_id_idx ON messages (conversation_id) WHERE conversation_id IS NOT NULL;

-- The event log: every message create, edit and delete, with the room's
-- gapless sequence number. The realtime gateway replays from it on resume.
CREATE TABLE message_events (
    channel_id      BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE,
    room_id         BIGINT GENERATED ALWAYS AS (COALESCE(channel_id, conversation_id)) STORED,
    seq             BIGINT NOT NULL CHECK (seq > 0),
    kind            TEXT NOT NULL CHECK (kind IN ('message.created', 'message.updated', 'message.deleted')),
    message_id      BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT message_events_one_room CHECK ((channel_id IS NULL) <> (conversation_id IS NULL)),
    CONSTRAINT message_events_pkey PRIMARY KEY (room_id, seq)
);
CREATE INDEX message_events_message_id_idx ON message_events (message_id);
CREATE INDEX message_events_channel_id_idx ON message_events (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX message_events_conversation_id_idx ON message_events (conversation_id) WHERE conversation_id IS NOT NULL;

-- Exactly-once sends: a client's Idempotency-Key, scoped to its author, stored
-- in the same transaction as the message it created.
CREATE TABLE idempotency_keys (
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    -- a digest of the request, so that the same key with another body is refused
    request_hash TEXT NOT NULL,
    message_id   BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_message_id_idx ON idempotency_keys (message_id);
