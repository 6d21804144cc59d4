//! Read state (API.md section 7): read markers, and unread and mention
//! counts per room; and who a message mentions.

use concord_domain::{Mentioned, MessageContent, MessageId, Room, UserId, WorkspaceId};
use concord_ports::{MarkedRead, RoomUnread};

use crate::workspaces::not_found;
use crate::{Missing, ReadState, ServerTarget, ServiceError, Shared};

impl ReadState {
    /// Move `actor`'s read marker in `room` to `message`, only forward
    /// unless `force` (mark as unread). Answers the room's counts after it;
    /// a marker that moved is announced on the actor's own user topic.
    /// # Errors
    /// `NotFound(Message)` when `message` is not a message of `room`.
    pub fn mark_read(
        &self,
        actor: UserId,
        room: Room,
        message: MessageId,
        force: bool,
    ) -> Result<RoomUnread, ServiceError> {
        self.room_role(actor, room)?;
        let marked = self
            .ports
            .read_state
            .mark_read(actor, room, message, force)
            .map_err(not_found(Missing::Message))?;
        if let MarkedRead::Moved(state) = &marked {
            self.ports.notifier.read_updated(actor, state);
        }
        Ok(marked.into_state())
    }

    /// [`Self::mark_read`] in the room the server dialect names.
    pub fn mark_read_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        message: MessageId,
        force: bool,
    ) -> Result<RoomUnread, ServiceError> {
        self.check_target(actor, target)?;
        self.mark_read(actor, target.room(), message, force)
    }

    /// `actor`'s read state in every room of `workspace` they may read:
    /// the channels they may see, then their conversations.
    pub fn unread(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
    ) -> Result<Vec<RoomUnread>, ServiceError> {
        let mut rooms: Vec<Room> = self
            .visible_channels(actor, workspace)?
            .into_iter()
            .map(|c| Room::Channel(c.id))
            .collect();
        rooms.extend(
            self.ports
                .conversations
                .conversations_of_user(actor, Some(workspace))?
                .into_iter()
                .map(|c| Room::Conversation(c.id)),
        );
        Ok(self.ports.read_state.unread(actor, &rooms)?)
    }
}

impl Shared {
    /// The users `content` mentions who may read `room`, each once:
    /// `@username` (any case) and `<@id>`. Nobody, without a read, for text
    /// without `@`.
    pub(crate) fn mentions_in(
        &self,
        room: Room,
        content: &MessageContent,
    ) -> Result<Vec<UserId>, ServiceError> {
        let named = Mentioned::parse(content.as_str());
        if named.is_empty() {
            return Ok(Vec::new());
        }
        let mut candidates = self.ports.users.user_ids_named(&named.usernames)?;
        for id in named.user_ids {
            if !candidates.contains(&id) {
                candidates.push(id);
            }
        }
        let mut readers = Vec::with_capacity(candidates.len());
        for user in candidates {
            match self.room_role(user, room) {
                Ok(_) => readers.push(user),
                Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(readers)
    }
}
