//! Concord's adapters: the outside world behind the ports of `concord-ports`.
//!
//! - [`postgres`]: every repository, with diesel on an r2d2 pool. All SQL lives here.
//! - [`auth`]: bcrypt password hashing, HS256 JWTs and the system clock.
//! - [`realtime`]: the hub that fans committed events out to this node's
//!   WebSocket connections, and the notifiers that carry events between nodes
//!   (in-process, Postgres `LISTEN/NOTIFY`, Redis).
//!
//! Only outbound adapters live here; the WebSocket sessions, like the HTTP
//! routes, are the api crate's.
//!
//! Adapters translate driver errors into `RepoError` at the boundary and never
//! decide a business rule.

pub mod auth;
pub mod postgres;
pub mod realtime;

pub use auth::{BcryptHasher, JwtIssuer, SystemClock};
pub use postgres::PgStore;
