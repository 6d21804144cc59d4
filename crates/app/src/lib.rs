//! Concord's use cases: every operation either dialect or the gateway
//! performs, as one service per area. [`Concord`] bundles them for the
//! composition root and the handlers.
//!
//! Each use case loads the facts it needs, asks `concord_domain::permissions`,
//! and only then writes. A denied or invalid request writes nothing. The
//! services are written only against the traits of `concord-ports`, and
//! unit-tested with its `mockall` mocks.

mod accounts;
mod bans;
mod channels;
mod conversations;
mod gateway;
mod members;
mod memo;
mod messages;
mod reactions;
mod read_state;
mod search;
mod servers;
mod workspaces;

#[cfg(any(test, feature = "mock"))]
pub mod testing;
#[cfg(test)]
mod tests;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use concord_domain::{Denied, Invalid, Membership, User, UserId, Workspace, WorkspaceId};
use concord_ports::{
    AccessChange, ChannelRepository, Clock, ConversationRepository, MembershipRepository,
    MessageRepository, Notifier, PasswordHasher, ReadStateRepository, RepoError, SessionRepository,
    StoreHealth, TokenIssuer, UserRepository, WorkspaceRepository,
};

pub use gateway::Readable;
pub use messages::{PostResult, Thread};
pub use search::SearchMessages;
pub use servers::{Authored, ServerTarget, ServerView};
pub use workspaces::WorkspaceDetails;

/// Everything the services need from the outside world. Cheap to clone.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub workspaces: Arc<dyn WorkspaceRepository>,
    pub members: Arc<dyn MembershipRepository>,
    pub channels: Arc<dyn ChannelRepository>,
    pub conversations: Arc<dyn ConversationRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub read_state: Arc<dyn ReadStateRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
    pub health: Arc<dyn StoreHealth>,
    pub notifier: Arc<dyn Notifier>,
    pub search: Arc<dyn concord_ports::MessageSearch>,
}

use shared::Shared;

mod shared {
    /// What every service shares: the ports, the access memo, and the reads
    /// and checks more than one area needs (its methods are the crate's
    /// own). Services reach it through `Deref`; outside the crate it cannot
    /// be named.
    pub struct Shared {
        pub(crate) ports: super::Ports,
        pub(crate) memo: super::memo::AccessMemo,
    }
}

/// A service: a handle on the [`Shared`] ports and memo, one `Arc` to clone.
macro_rules! service {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            shared: Arc<Shared>,
        }

        impl Deref for $name {
            type Target = Shared;

            fn deref(&self) -> &Shared {
                &self.shared
            }
        }
    };
}

service!(
    /// Sign-up, login, logout and token checks.
    Accounts
);
service!(
    /// Workspaces (servers, in the server dialect): create, read, edit,
    /// delete, invite codes.
    Workspaces
);
service!(
    /// Members of a workspace: adding, joining, leaving, roles, kicks and bans.
    Members
);
service!(
    /// Channels and their member lists.
    Channels
);
service!(
    /// Conversations (direct messages): rooms of chosen workspace members.
    Conversations
);
service!(
    /// Messages in channels and conversations: posting (exactly once),
    /// editing, soft deletion, history and threads.
    Messages
);
service!(
    /// Read markers, and unread and mention counts.
    ReadState
);
service!(
    /// What the realtime gateway asks: who may open and keep following which
    /// room.
    Gateway
);
service!(
    /// Full-text message search over the rooms the caller may read.
    Search
);

/// Concord's use cases, one service per area, over one set of ports and one
/// access memo. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Concord {
    pub accounts: Accounts,
    pub workspaces: Workspaces,
    pub members: Members,
    pub channels: Channels,
    pub conversations: Conversations,
    pub messages: Messages,
    pub read_state: ReadState,
    pub gateway: Gateway,
    pub search: Search,
    shared: Arc<Shared>,
}

impl Concord {
    /// The use cases over `ports`, reading every access fact from the store
    /// on every request.
    pub fn new(ports: Ports) -> Self {
        Self::with_memo(ports, Duration::ZERO)
    }

    /// Remember, for up to `ttl`, that a token is unrevoked and that a user
    /// may read a room, instead of reading both from the store on every
    /// request. Grants are forgotten at once when access changes on this node,
    /// and when the change is reported from another node
    /// ([`Concord::access_changed_elsewhere`]); `ttl` bounds how long a
    /// grant can outlive a change whose report was lost.
    #[must_use]
    pub fn remembering_access(self, ttl: Duration) -> Self {
        Self::with_memo(self.shared.ports.clone(), ttl)
    }

    fn with_memo(ports: Ports, ttl: Duration) -> Self {
        let shared = Arc::new(Shared {
            ports,
            memo: memo::AccessMemo::new(ttl),
        });
        let shared = || Arc::clone(&shared);
        Self {
            accounts: Accounts { shared: shared() },
            workspaces: Workspaces { shared: shared() },
            members: Members { shared: shared() },
            channels: Channels { shared: shared() },
            conversations: Conversations { shared: shared() },
            messages: Messages { shared: shared() },
            read_state: ReadState { shared: shared() },
            gateway: Gateway { shared: shared() },
            search: Search { shared: shared() },
            shared: shared(),
        }
    }

    /// Another node changed access: forget what it may have invalidated.
    pub fn access_changed_elsewhere(&self, change: AccessChange) {
        self.shared.memo.forget(change);
    }

    /// Whether the use cases can reach their storage.
    /// # Errors
    /// `Unavailable` when they cannot.
    pub fn ready(&self) -> Result<(), ServiceError> {
        Ok(self.shared.ports.health.ping()?)
    }
}

impl Shared {
    /// Access changed here: forget what it invalidated, then tell the
    /// gateway (and through it the other nodes).
    pub(crate) fn announce(&self, change: AccessChange) {
        self.memo.forget(change);
        self.ports.notifier.access_changed(change);
    }

    /// The caller's membership of `workspace`, which must exist.
    /// # Errors
    /// `NotFound(Workspace)` if it does not exist; `Forbidden` if the caller is not a member.
    pub(crate) fn member_of(
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

    pub(crate) fn user(&self, id: UserId) -> Result<User, ServiceError> {
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
