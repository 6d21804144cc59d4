//! End-to-end tests of the workspace dialect (`/api/...`) over real HTTP,
//! one file per resource, with messaging in channels and conversations.

mod bans;
mod channel_messages;
mod channels;
mod direct_messages;
mod dm_messages;
mod history;
mod history_after_around;
mod idempotency;
mod last_sent;
mod members;
mod reactions;
mod read_state;
mod search;
mod session;
mod threads;
mod users;
mod workspaces;
