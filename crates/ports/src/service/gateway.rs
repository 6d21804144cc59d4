//! What the realtime gateway asks of the domain: who may follow which room,
//! the room's event log, and who wrote a message.

use concord_domain::{Membership, Room, RoomEvent, RoomId, Seq, User, UserId, WorkspaceId};

use super::{ChatService, Missing, ServiceError};
use crate::repo::RoomInfo;

/// Most events one log read returns.
pub const MAX_EVENTS_PER_READ: u32 = 500;

impl ChatService {
    /// The room behind a topic, if `actor` may read it now: the same rule as
    /// reading its history over HTTP.
    /// # Errors
    /// `NotFound(Room)` for no such room; `Forbidden`/`NotFound` as reading it would.
    pub fn open_room(&self, actor: UserId, room_id: RoomId) -> Result<RoomInfo, ServiceError> {
        let info = self
            .ports
            .messages
            .room_info(room_id)?
            .ok_or(ServiceError::NotFound(Missing::Room))?;
        self.room_role(actor, info.room)?;
        Ok(info)
    }

    /// Whether the access memo vouches for `actor` reading `room`: a recent
    /// grant that no access change has ended. `false` means "ask the store"
    /// ([`Self::open_room`]), not "no".
    pub fn may_read_from_memory(&self, actor: UserId, room: Room) -> bool {
        self.memo.room_grant(actor, room).is_some()
    }

    /// Whether `actor` may still read `room`. Storage failures are errors, not
    /// a "no": a subscription is not dropped because the database blinked.
    pub fn may_read(&self, actor: UserId, room: Room) -> Result<bool, ServiceError> {
        match self.room_role(actor, room) {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Up to `limit` (at most [`MAX_EVENTS_PER_READ`]) events of `room` after
    /// `seq`, oldest first. No access check: callers authorised the room first.
    pub fn room_events(
        &self,
        room: Room,
        after: Seq,
        limit: u32,
    ) -> Result<Vec<RoomEvent>, ServiceError> {
        Ok(self.ports.messages.events_after(
            room,
            after.max(Seq::ZERO),
            limit.clamp(1, MAX_EVENTS_PER_READ),
        )?)
    }

    /// The latest `seq` of each of `room_ids` that still exists.
    pub fn latest_seqs(&self, room_ids: &[RoomId]) -> Result<Vec<(RoomId, Seq)>, ServiceError> {
        Ok(self.ports.messages.latest_seqs(room_ids)?)
    }

    /// The membership and profile of a message's author, while they are a
    /// member of `workspace` (the server dialect shows them with each message).
    pub fn author(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<(Membership, User)>, ServiceError> {
        let Some(membership) = self.ports.members.membership(workspace, user)? else {
            return Ok(None);
        };
        Ok(self.ports.users.user_by_id(user)?.map(|u| (membership, u)))
    }
}
