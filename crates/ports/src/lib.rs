//! Concord's outbound ports: the traits the adapters implement (storage and
//! the event log, password hashing, tokens, time, realtime delivery) and the
//! errors they report. The use cases written against them are in the app
//! crate (`concord-app`), which unit-tests them with the `mockall` mocks
//! generated here under the `mock` feature. Nothing here performs I/O itself.
//!
//! Ports are synchronous: diesel and r2d2 are, and a use case runs whole inside
//! one blocking task at the edge (see the api crate), so no actix worker ever
//! waits on Postgres or bcrypt.

pub mod auth;
pub mod notify;
pub mod repo;

pub use auth::{Claims, Clock, IssuedToken, PasswordHasher, TokenError, TokenIssuer};
pub use notify::{AccessChange, Notifier};
pub use repo::{
    ChannelRepository, ConversationRepository, EventLog, Idempotency, MAX_EVENTS_PER_READ,
    MarkedRead, MembershipRepository, MessageChange, MessageRepository, OnCommit, PendingPage,
    PendingPost, Posted, ReadStateRepository, RepoError, RoomInfo, RoomUnread, SessionRepository,
    StoreHealth, Toggled, UserInsert, UserRepository, WorkspaceRepository,
};
pub use repo::{Found, MessageSearch};
