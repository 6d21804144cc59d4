//! Reactions and pins (API.md section 7): changes to a message that are
//! room events like an edit.

use concord_domain::{Emoji, Message, MessageId, Room, UserId, permissions};
use concord_ports::Toggled;

use crate::messages::PostResult;
use crate::workspaces::not_found;
use crate::{Authored, Messages, Missing, ServerTarget, ServiceError};

impl Messages {
    /// Add (`on`) or remove `actor`'s reaction `emoji` on message `id`:
    /// anyone who may post in its room, on a message that is not deleted.
    /// Doing it twice changes nothing the second time.
    /// # Errors
    /// `NotFound(Message)` for a message that is missing, deleted or in a
    /// room the caller may not read; `Invalid` when the message already
    /// holds the most distinct emoji.
    pub fn set_reaction(
        &self,
        actor: UserId,
        id: MessageId,
        emoji: &Emoji,
        on: bool,
    ) -> Result<PostResult, ServiceError> {
        let message = self.readable_message(actor, id)?;
        self.react(actor, message, emoji, on)
    }

    /// Pin (`on`) or unpin message `id`: in a channel its creator and
    /// moderators and up, in a conversation any participant.
    /// # Errors
    /// `NotFound(Message)` as for [`Self::set_reaction`]; `Forbidden` for
    /// who may not pin; `Invalid` when the room already holds the most pins.
    pub fn set_pin(
        &self,
        actor: UserId,
        id: MessageId,
        on: bool,
    ) -> Result<PostResult, ServiceError> {
        let message = self.readable_message(actor, id)?;
        self.pin(actor, message, on)
    }

    /// The pinned messages of `room`, most recently pinned first.
    pub fn pins(&self, actor: UserId, room: Room) -> Result<Vec<Message>, ServiceError> {
        self.room_role(actor, room)?;
        Ok(self.ports.messages.pins(room)?)
    }

    /// [`Self::set_reaction`] on a message of the room the server dialect
    /// names, answered with the message and its workspace's members.
    pub fn set_reaction_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        id: MessageId,
        emoji: &Emoji,
        on: bool,
    ) -> Result<Authored<Message>, ServiceError> {
        let message = self.targeted_message(actor, target, id)?;
        let room = message.room;
        let reacted = self.react(actor, message, emoji, on)?;
        self.authored(actor, room, reacted.message)
    }

    /// [`Self::set_pin`] on a message of the room the server dialect names,
    /// answered with the message and its workspace's members.
    pub fn set_pin_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        id: MessageId,
        on: bool,
    ) -> Result<Authored<Message>, ServiceError> {
        let message = self.targeted_message(actor, target, id)?;
        let room = message.room;
        let pinned = self.pin(actor, message, on)?;
        self.authored(actor, room, pinned.message)
    }

    /// [`Self::pins`] with the members of the room's workspace.
    pub fn pins_with_authors(
        &self,
        actor: UserId,
        target: ServerTarget,
    ) -> Result<Authored<Vec<Message>>, ServiceError> {
        self.check_target(actor, target)?;
        let room = target.room();
        let pins = self.pins(actor, room)?;
        self.authored(actor, room, pins)
    }

    fn react(
        &self,
        actor: UserId,
        message: Message,
        emoji: &Emoji,
        on: bool,
    ) -> Result<PostResult, ServiceError> {
        let toggled = self
            .ports
            .messages
            .set_reaction(message.id, actor, emoji, on)
            .map_err(not_found(Missing::Message))?;
        self.toggled(toggled, "A message holds at most 20 different reactions")
    }

    fn pin(&self, actor: UserId, message: Message, on: bool) -> Result<PostResult, ServiceError> {
        if let Room::Channel(id) = message.room {
            let (channel, me) = self.visible_channel(actor, id)?;
            permissions::pin_in_channel(&me, &channel)?;
        }
        let toggled = self
            .ports
            .messages
            .set_pin(message.id, on)
            .map_err(not_found(Missing::Message))?;
        self.toggled(toggled, "A room holds at most 50 pinned messages")
    }

    /// What a toggle answers: the message (and the event to publish, if it
    /// changed).
    fn toggled(&self, toggled: Toggled, full: &'static str) -> Result<PostResult, ServiceError> {
        match toggled {
            Toggled::Made(event) => {
                self.ports.notifier.publish(&event);
                Ok(PostResult::recorded(event))
            }
            // Nothing to publish: nothing changed, or another toggle of the
            // same commit publishes the event recording it.
            Toggled::Unchanged(message) | Toggled::Shared(message) => Ok(PostResult {
                message,
                event: None,
            }),
            Toggled::Deleted => Err(ServiceError::NotFound(Missing::Message)),
            Toggled::Full => Err(concord_domain::Invalid::one(full).into()),
        }
    }

    /// Message `id`, not deleted, in a room `actor` may post in. A message
    /// the caller may not read is as missing as one that does not exist.
    fn readable_message(&self, actor: UserId, id: MessageId) -> Result<Message, ServiceError> {
        let message = self
            .ports
            .messages
            .message_by_id(id)?
            .filter(|m| !m.is_deleted())
            .ok_or(ServiceError::NotFound(Missing::Message))?;
        match self.room_role(actor, message.room) {
            Ok(_) => Ok(message),
            Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {
                Err(ServiceError::NotFound(Missing::Message))
            }
            Err(e) => Err(e),
        }
    }

    /// Message `id` of the room `target` names, not deleted.
    fn targeted_message(
        &self,
        actor: UserId,
        target: ServerTarget,
        id: MessageId,
    ) -> Result<Message, ServiceError> {
        self.check_target(actor, target)?;
        let room = target.room();
        self.room_role(actor, room)?;
        self.ports
            .messages
            .message_by_id(id)?
            .filter(|m| m.room == room && !m.is_deleted())
            .ok_or(ServiceError::NotFound(Missing::Message))
    }
}
