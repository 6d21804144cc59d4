-- Bans keep a user out of a workspace (no joining by invite code, no being
-- added) until lifted. One row per banned user and workspace; lifting a ban
-- deletes its row.
CREATE TABLE bans (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the role the user held when banned ('guest' if they were not a member):
    -- lifting the ban takes the rank that kicking them would have taken
    role         TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'guest')),
    reason       TEXT CHECK (char_length(reason) <= 1000),
    banned_by    BIGINT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
-- for the foreign keys' checks when a user row is deleted
CREATE INDEX bans_user_id_idx ON bans (user_id);
CREATE INDEX bans_banned_by_idx ON bans (banned_by);
