//! What the realtime gateway asks of the domain: who may follow which room,
//! and whose user topic.

use concord_domain::{Room, RoomId, UserId, UserTopic, WorkspaceId, permissions};

use concord_ports::RoomInfo;

use crate::{Gateway, Missing, ServiceError};

/// What a user may read now: the workspaces they belong to and every room
/// they may read in them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readable {
    pub workspaces: Vec<WorkspaceId>,
    pub rooms: Vec<RoomInfo>,
}

impl Gateway {
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

    /// Whether `actor` may follow `topic`: their own alone. Needs no store.
    /// # Errors
    /// `Forbidden` for anyone else's.
    pub fn follow_user_topic(&self, actor: UserId, topic: UserTopic) -> Result<(), ServiceError> {
        Ok(permissions::follow_user_topic(actor, &topic)?)
    }

    /// Whether the access memo vouches for `actor` reading `room`: a recent
    /// grant that no access change has ended. `false` means "ask the store"
    /// ([`Self::open_room`]), not "no".
    pub fn may_read_from_memory(&self, actor: UserId, room: Room) -> bool {
        self.memo.room_grant(actor, room).is_some()
    }

    /// Every room `actor` may read now, in every workspace they belong to:
    /// the channels they may see, then their conversations (the Socket.IO
    /// transport follows all of them at once); and those workspaces.
    /// # Errors
    /// When the store cannot be read.
    pub fn readable_rooms(&self, actor: UserId) -> Result<Readable, ServiceError> {
        let mut rooms: Vec<RoomId> = Vec::new();
        let mut workspaces = Vec::new();
        for workspace in self.ports.workspaces.workspaces_of_user(actor)? {
            match self.visible_channels(actor, workspace.id) {
                Ok(channels) => {
                    workspaces.push(workspace.id);
                    rooms.extend(channels.into_iter().map(|c| RoomId::from(c.id)));
                }
                // Left the workspace between the two reads.
                Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        for conversation in self
            .ports
            .conversations
            .conversations_of_user(actor, None)?
        {
            // A participant who left the workspace keeps the row, not access.
            let room = Room::Conversation(conversation.id);
            if self.may_read(actor, room)? {
                rooms.push(room.id());
            }
        }
        let mut infos = Vec::with_capacity(rooms.len());
        for room_id in rooms {
            if let Some(info) = self.ports.messages.room_info(room_id)? {
                infos.push(info);
            }
        }
        Ok(Readable {
            workspaces,
            rooms: infos,
        })
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
}
