//! Authentication ports: password hashing, token issuing and verification, time.

use chrono::{DateTime, Utc};
use concord_domain::{Password, UserId};

/// What a verified token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub user_id: UserId,
    /// The token's unique id, used to revoke it on logout.
    pub jti: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A freshly signed token and what it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
}

/// Why a token was refused. Every variant means "401" to a client; they are
/// kept apart for logs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed or its signature is wrong")]
    Invalid,
    #[error("token has expired")]
    Expired,
}

/// Hashes and checks passwords. Implementations are deliberately slow (bcrypt);
/// callers run them off the async executor.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    /// Hash `password` for storage.
    /// # Errors
    /// Only on a failure of the underlying library.
    fn hash(&self, password: &Password) -> anyhow::Result<String>;

    /// Whether `password` matches `hash`. With `hash: None` (unknown account) it
    /// still spends the time of a real check and answers `false`, so response
    /// times do not reveal which emails are registered.
    fn verify(&self, password: &str, hash: Option<String>) -> bool;
}

/// Signs and verifies bearer tokens.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenIssuer: Send + Sync {
    /// Issue a token for `user`, valid from `now` for the configured lifetime.
    /// # Errors
    /// Only on a failure of the underlying library.
    fn issue(&self, user: UserId, now: DateTime<Utc>) -> anyhow::Result<IssuedToken>;

    /// Check a token's signature, algorithm and expiry at `now`.
    /// # Errors
    /// - `TokenError::Expired` past its `exp`.
    /// - `TokenError::Invalid` for anything else wrong with it.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError>;
}

/// The current time, injectable so that expiry is testable.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}
