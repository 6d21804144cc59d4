//! Concord's integration tests: one binary, real Postgres, real HTTP. The
//! folders follow the code: `workspace/` and `server/` the two dialects'
//! routes, `gateway/` the `/ws` gateway, `repos/` the Postgres adapter, and
//! `system/` what spans both dialects.

mod gateway;
mod repos;
mod server;
mod socketio;
mod socketio_ops;
mod system;
mod workspace;
