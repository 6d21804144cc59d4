-- What a message said when each event happened, so that a client resuming
-- from the log sees the text a live subscriber saw then, not today's.
-- NULL once the message is deleted: its old words must not be replayable.
ALTER TABLE message_events ADD COLUMN content TEXT;
