//! The workspace dialect (`/api`, seed 004): snake_case JSON.

pub mod bans;
pub mod channels;
pub mod direct_messages;
pub mod dto;
pub mod messages;
pub mod reactions;
pub mod read_state;
pub mod search;
pub mod session;
pub mod workspaces;
