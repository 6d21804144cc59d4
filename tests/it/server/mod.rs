//! End-to-end tests of the server dialect (seed 000) and its crossings with the workspace dialect.

mod bans;
mod channels;
mod crossing;
mod direct_messages;
mod history;
mod invites;
mod members;
mod messages;
mod reactions;
mod routes;
mod scenario;
mod search;
mod servers;
