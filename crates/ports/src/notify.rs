//! The outbound port to the realtime gateway.
//!
//! The services call a [`Notifier`] only after the write it reports has
//! committed, so a subscriber never sees an event the store does not have.
//! Publishing is fire-and-forget: the event log in the store is the source of
//! truth, and the gateway reads it to fill any gap a lost notification leaves.

use concord_domain::{RoomEvent, RoomId, UserId, WorkspaceId};

use crate::RoomUnread;

/// Whose read access changed, so live subscriptions must be checked again.
///
/// The first three may shrink access: every subscription they name is
/// re-authorised, and remembered grants they touch are forgotten. The two
/// `…Gained` ones only widen it (API.md section 6: a Socket.IO socket starts
/// following a room its user gains without reconnecting): nothing is
/// forgotten, nothing re-authorised, and only connections that follow every
/// readable room look again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessChange {
    /// The user left or was removed from a workspace or channel, or lost a role.
    User(UserId),
    /// A channel or conversation changed visibility or was deleted.
    Room(RoomId),
    /// A workspace and every room in it were deleted.
    Workspace(WorkspaceId),
    /// The user may read rooms they could not before, and lost none: they
    /// joined or created a workspace, were added to a private channel, or
    /// take part in a new conversation.
    UserGained(UserId),
    /// Members of the workspace may read a room they could not before, and
    /// lost none: a channel was created, or made public.
    WorkspaceGained(WorkspaceId),
}

impl AccessChange {
    /// Whether the change may only have widened access.
    pub fn is_gain(self) -> bool {
        matches!(self, Self::UserGained(_) | Self::WorkspaceGained(_))
    }
}

/// Delivers committed facts to realtime subscribers, on this node and others.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Notifier: Send + Sync {
    /// A room event that has committed. Never blocks on the network.
    fn publish(&self, event: &RoomEvent);

    /// Read access changed; subscriptions it affects are re-authorised.
    fn access_changed(&self, change: AccessChange);

    /// `user`'s read marker moved; `state` is the room's read state after
    /// it, for their every device following `user:{id}`. Not logged:
    /// a device that missed it reads the summary again.
    fn read_updated(&self, user: UserId, state: &RoomUnread);
}
