//! Concord's adapters: the outside world behind the ports of `concord-ports`.
//!
//! - [`postgres`]: every repository, with diesel on an r2d2 pool. All SQL lives here.
//! - [`auth`]: bcrypt password hashing, HS256 JWTs and the system clock.
//!
//! Adapters translate driver errors into `RepoError` at the boundary and never
//! decide a business rule.

pub mod auth;
pub mod postgres;

pub use auth::{BcryptHasher, JwtIssuer, SystemClock};
pub use postgres::PgStore;
