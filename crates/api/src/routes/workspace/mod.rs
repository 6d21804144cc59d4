//! The workspace dialect (`/api`, seed 004): snake_case JSON.

pub mod channels;
pub mod dto;
pub mod session;
pub mod workspaces;
