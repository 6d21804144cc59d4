//! Concord's ports and use cases.
//!
//! `repo` and `auth` hold the outbound ports: the traits the adapters implement
//! (storage, password hashing, tokens, time). `service` holds the use cases,
//! written only against those traits so that they can be unit-tested with the
//! `mockall` mocks generated under the `mock` feature. Nothing here performs I/O
//! itself.
//!
//! Ports are synchronous: diesel and r2d2 are, and a use case runs whole inside
//! one blocking task at the edge (see the api crate), so no actix worker ever
//! waits on Postgres or bcrypt.

pub mod auth;
pub mod repo;
pub mod service;

pub use auth::{Claims, Clock, IssuedToken, PasswordHasher, TokenError, TokenIssuer};
pub use repo::{
    ChannelRepository, ConversationRepository, Idempotency, MembershipRepository,
    MessageRepository, Posted, RepoError, SessionRepository, StoreHealth, UserInsert,
    UserRepository, WorkspaceRepository,
};
pub use service::{
    ChatService, Clash, Missing, Ports, PostResult, ServerView, ServiceError, Thread,
    WorkspaceDetails,
};
