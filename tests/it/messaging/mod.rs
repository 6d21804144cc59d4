//! End-to-end tests of messaging in the workspace dialect.

mod channel_messages;
mod direct_messages;
mod dm_messages;
mod history;
mod idempotency;
mod last_sent;
mod threads;
