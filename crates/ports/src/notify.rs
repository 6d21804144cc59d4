//! The outbound port to the realtime gateway.
//!
//! The services call a [`Notifier`] only after the write it reports has
//! committed, so a subscriber never sees an event the store does not have.
//! Publishing is fire-and-forget: the event log in the store is the source of
//! truth, and the gateway reads it to fill any gap a lost notification leaves.

use concord_domain::{RoomEvent, RoomId, UserId, WorkspaceId};

use crate::RoomUnread;

/// Whose read access may just have shrunk, so live subscriptions must be
/// checked again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessChange {
    /// The user left or was removed from a workspace or channel, or lost a role.
    User(UserId),
    /// A channel or conversation changed visibility or was deleted.
    Room(RoomId),
    /// A workspace and every room in it were deleted.
    Workspace(WorkspaceId),
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
