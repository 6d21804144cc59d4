//! End-to-end tests of the workspace dialect over real HTTP, one file per
//! resource, plus bad input and the system endpoints.

mod bans;
mod channels;
mod errors;
mod members;
mod rate_limits;
mod session;
mod system;
mod users;
mod workspaces;
