//! The use cases: every operation either dialect or the gateway performs.
//!
//! Each method loads the facts it needs, asks `concord_domain::permissions`,
//! and only then writes. A denied or invalid request writes nothing.

mod accounts;
mod bans;
mod channels;
mod gateway;
mod memo;
mod messages;
mod servers;
mod workspaces;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use concord_domain::{Denied, Invalid, Membership, User, UserId, Workspace, WorkspaceId};

use crate::auth::{Clock, PasswordHasher, TokenIssuer};
use crate::notify::{AccessChange, Notifier};
use crate::repo::{
    ChannelRepository, ConversationRepository, MembershipRepository, MessageRepository, RepoError,
    SessionRepository, StoreHealth, UserRepository, WorkspaceRepository,
};

pub use messages::{PostResult, Thread};
pub use servers::ServerView;
pub use workspaces::WorkspaceDetails;

/// Everything the services need from the outside world.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub workspaces: Arc<dyn WorkspaceRepository>,
    pub members: Arc<dyn MembershipRepository>,
    pub channels: Arc<dyn ChannelRepository>,
    pub conversations: Arc<dyn ConversationRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
    pub health: Arc<dyn StoreHealth>,
    pub notifier: Arc<dyn Notifier>,
}

/// Concord's use cases. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct ChatService {
    ports: Ports,
    memo: Arc<memo::AccessMemo>,
}

impl ChatService {
    /// The use cases over `ports`, reading every access fact from the store
    /// on every request.
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            memo: Arc::new(memo::AccessMemo::new(Duration::ZERO)),
        }
    }

    /// Remember, for up to `ttl`, that a token is unrevoked and that a user
    /// may read a room, instead of reading both from the store on every
    /// request. Grants are forgotten at once when access changes on this node,
    /// and when the change is reported from another node
    /// ([`ChatService::access_changed_elsewhere`]); `ttl` bounds how long a
    /// grant can outlive a change whose report was lost.
    #[must_use]
    pub fn remembering_access(mut self, ttl: Duration) -> Self {
        self.memo = Arc::new(memo::AccessMemo::new(ttl));
        self
    }

    /// Another node changed access: forget what it may have invalidated.
    pub fn access_changed_elsewhere(&self, change: AccessChange) {
        self.memo.forget(change);
    }

    /// Access changed here: forget what it invalidated, then tell the
    /// gateway (and through it the other nodes).
    fn announce(&self, change: AccessChange) {
        self.memo.forget(change);
        self.ports.notifier.access_changed(change);
    }

    /// Whether the service can reach its storage.
    /// # Errors
    /// `Unavailable` when it cannot.
    pub fn ready(&self) -> Result<(), ServiceError> {
        Ok(self.ports.health.ping()?)
    }

    /// The caller's membership of `workspace`, which must exist.
    /// # Errors
    /// `NotFound(Workspace)` if it does not exist; `Forbidden` if the caller is not a member.
    fn member_of(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<(Workspace, Membership), ServiceError> {
        let ws = self
            .ports
            .workspaces
            .workspace_by_id(workspace)?
            .ok_or(ServiceError::NotFound(Missing::Workspace))?;
        let membership = self
            .ports
            .members
            .membership(workspace, actor)?
            .ok_or(ServiceError::Forbidden(NOT_A_MEMBER))?;
        Ok((ws, membership))
    }

    fn user(&self, id: UserId) -> Result<User, ServiceError> {
        self.ports
            .users
            .user_by_id(id)?
            .ok_or(ServiceError::NotFound(Missing::User))
    }
}

const NOT_A_MEMBER: Denied = Denied("You are not a member of this workspace");

/// Why a use case failed. The api crate maps each variant to a status and the
/// contract's envelope; no variant carries internals a client may see except
/// `Unexpected`, which is logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    Invalid(#[from] Invalid),
    /// No valid session: missing, malformed, expired or revoked token.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong email or password at login.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden: {0}")]
    Forbidden(#[from] Denied),
    /// The user is banned from the workspace they tried to join or be added to.
    #[error("user is banned")]
    Banned,
    #[error("{0:?} not found")]
    NotFound(Missing),
    #[error("conflict: {0:?}")]
    Conflict(Clash),
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// What was not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    User,
    Workspace,
    Channel,
    /// The user exists but is not a member of the workspace.
    WorkspaceMember,
    /// The user is not a member of the channel.
    ChannelMember,
    Conversation,
    /// No such message in the room named.
    Message,
    /// A reply's parent is not a message of the same room.
    ParentMessage,
    /// No membership with that id in the workspace.
    Member,
    /// No workspace matches the invite code (or the workspace does not exist:
    /// the answer is the same, so a code reveals nothing).
    InviteCode,
    /// No channel or conversation has that room id.
    Room,
}

/// What already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clash {
    /// The email or username is taken.
    UserExists,
    /// The user is a member of the workspace already.
    MemberExists,
    /// The user is a member of the channel already.
    ChannelMemberExists,
    /// The Idempotency-Key was used for a different request.
    IdempotencyKeyReused,
}

impl From<RepoError> for ServiceError {
    /// Storage failures the use case did not anticipate. `Duplicate` and
    /// `NotFound` reach here only when a concurrent request changed the data
    /// between a check and a write; they surface as a conflict or a missing row
    /// of the kind the operation was about, which callers map explicitly.
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(e) => ServiceError::Unavailable(e),
            RepoError::Unexpected(e) => ServiceError::Unexpected(e),
            RepoError::Banned => ServiceError::Banned,
            RepoError::Duplicate => {
                ServiceError::Unexpected(anyhow::anyhow!("unexpected duplicate"))
            }
            RepoError::NotFound => {
                ServiceError::Unexpected(anyhow::anyhow!("unexpected missing row"))
            }
        }
    }
}
