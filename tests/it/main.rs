//! Concord's integration tests: one binary, real Postgres, real HTTP.

mod http;
mod messaging;
mod repos;
mod server;
mod ws;
