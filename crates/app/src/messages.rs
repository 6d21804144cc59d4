//! Messages in channels and conversations: posting (exactly once),
//! editing, soft deletion, history and threads, and the server dialect's
//! answers with the authors.

use std::sync::Arc;

use concord_domain::Window;
use concord_domain::message::MAX_PAGE;
use concord_domain::{
    Denied, IdempotencyKey, Message, MessageContent, MessageId, NewMessage, Page, Role, Room,
    RoomEvent, UserId, permissions,
};
use concord_ports::{Idempotency, MessageChange, Notifier, Posted, RepoError};

use crate::memo::RoomGrant;
use crate::workspaces::not_found;
use crate::{Authored, Clash, Messages, Missing, ServerTarget, ServiceError, Shared};

/// A thread: its root and every reply, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    pub root: Message,
    pub replies: Vec<Message>,
}

/// What a post, an edit or a delete produced: the message, and the event
/// that records the change (none when nothing changed: an idempotent retry
/// returned the original, or the message was deleted already).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostResult {
    pub message: Message,
    pub event: Option<RoomEvent>,
}

impl PostResult {
    /// The result of a write the store recorded as `event`, which is about
    /// the message written.
    pub(crate) fn recorded(event: RoomEvent) -> Self {
        Self {
            message: event.payload.message().clone(),
            event: Some(event),
        }
    }
}

impl Messages {
    /// Post in a room `actor` may read. A `parent` must be a message of the
    /// same room; a reply to a reply is attached to the thread's root. With an
    /// idempotency key, a retry of the same request returns the original
    /// message and writes nothing.
    /// # Errors
    /// `NotFound(ParentMessage)`; `Conflict(IdempotencyKeyReused)` for the same
    /// key with a different request.
    pub fn post_message(
        &self,
        actor: UserId,
        room: Room,
        content: MessageContent,
        parent: Option<MessageId>,
        attachment_url: Option<String>,
        key: Option<IdempotencyKey>,
    ) -> Result<PostResult, ServiceError> {
        self.room_role(actor, room).map_err(|e| match e {
            ServiceError::Forbidden(_) => ServiceError::Forbidden(send_denied(room)),
            e => e,
        })?;
        let parent_id = match parent {
            Some(id) => Some(
                self.message_in(room, id, Missing::ParentMessage)?
                    .thread_root(),
            ),
            None => None,
        };
        let idempotency =
            key.map(|key| idempotency(key, room, parent, attachment_url.as_deref(), &content));
        let mentions = self.mentions_in(room, &content)?;
        let new = NewMessage {
            room,
            author_id: actor,
            parent_id,
            content,
            attachment_url,
            mentions,
        };
        let posted = self.ports.messages.post_message(&new, idempotency);
        publish_created(&*self.ports.notifier, &posted);
        post_result(room, posted)
    }

    /// [`Self::post_message`] for a post without parent or attachment, with
    /// or without an idempotency key, into a room `actor` was recently found
    /// to be allowed in: nothing is read first, and the write joins the
    /// store's next group commit without blocking the caller. For async
    /// callers. Gives `content` back when the access memo cannot vouch for
    /// the poster, or when the text may mention someone (who must be looked
    /// up); post with [`Self::post_message`] then.
    /// # Errors
    /// Those of [`Self::post_message`], once the returned future resolves.
    pub fn post_from_memory(
        &self,
        actor: UserId,
        room: Room,
        content: MessageContent,
        key: Option<IdempotencyKey>,
    ) -> Result<impl Future<Output = Result<PostResult, ServiceError>> + '_, MessageContent> {
        if self.memo.room_grant(actor, room).is_none() || content.as_str().contains('@') {
            return Err(content);
        }
        let notifier = Arc::clone(&self.ports.notifier);
        let idempotency = key.map(|key| idempotency(key, room, None, None, &content));
        let pending = self.ports.messages.queue_post(
            NewMessage {
                room,
                author_id: actor,
                parent_id: None,
                content,
                attachment_url: None,
                mentions: Vec::new(),
            },
            idempotency,
            Box::new(move |posted| publish_created(&*notifier, posted)),
        );
        Ok(async move { post_result(room, pending.await) })
    }

    /// Edit a message of `room`; its author alone, and never a deleted one.
    pub fn edit_message(
        &self,
        actor: UserId,
        room: Room,
        id: MessageId,
        content: MessageContent,
    ) -> Result<PostResult, ServiceError> {
        self.room_role(actor, room)?;
        let message = self.message_in(room, id, Missing::Message)?;
        permissions::edit_message(actor, message.author_id, message.is_deleted())?;
        let mentions = self.mentions_in(room, &content)?;
        match self
            .ports
            .messages
            .edit_message(id, &content, &mentions)
            .map_err(not_found(Missing::Message))?
        {
            MessageChange::Made(event) => {
                self.ports.notifier.publish(&event);
                Ok(PostResult::recorded(event))
            }
            // A delete committed between the check above and the write: the
            // rule's answer for a deleted message.
            MessageChange::AlreadyDeleted(_) => {
                permissions::edit_message(actor, message.author_id, true)?;
                Err(ServiceError::NotFound(Missing::Message))
            }
        }
    }

    /// Soft-delete a message of `room`; its author, or moderators and up.
    /// Deleting a tombstone again changes nothing and returns it.
    pub fn delete_message(
        &self,
        actor: UserId,
        room: Room,
        id: MessageId,
    ) -> Result<PostResult, ServiceError> {
        let role = self.room_role(actor, room)?;
        let message = self.message_in(room, id, Missing::Message)?;
        permissions::delete_message(actor, Some(role), message.author_id)?;
        if message.is_deleted() {
            return Ok(PostResult {
                message,
                event: None,
            });
        }
        match self
            .ports
            .messages
            .delete_message(id)
            .map_err(not_found(Missing::Message))?
        {
            MessageChange::Made(event) => {
                self.ports.notifier.publish(&event);
                Ok(PostResult::recorded(event))
            }
            // Another delete won the race: it alone told subscribers.
            MessageChange::AlreadyDeleted(message) => Ok(PostResult {
                message,
                event: None,
            }),
        }
    }

    /// A page of `room`'s history, newest first, older than `before`.
    /// `limit` is clamped to 1..=100.
    pub fn history(
        &self,
        actor: UserId,
        room: Room,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Page, ServiceError> {
        self.room_role(actor, room)?;
        Ok(self
            .ports
            .messages
            .history(room, before, limit.clamp(1, MAX_PAGE))?)
    }

    /// [`Self::history`] for a reader recently found to be allowed in the
    /// room: nothing is checked in the store, and the page is read without
    /// blocking the caller. For async callers. `None` when the access memo
    /// cannot vouch for the reader; ask [`Self::history`] then.
    pub fn history_from_memory(
        &self,
        actor: UserId,
        room: Room,
        before: Option<MessageId>,
        limit: u32,
    ) -> Option<impl Future<Output = Result<Page, ServiceError>> + 'static> {
        self.memo.room_grant(actor, room)?;
        let page = self
            .ports
            .messages
            .read_history(room, before, limit.clamp(1, MAX_PAGE));
        Some(async move { Ok(page.await?) })
    }

    /// A page of `room`'s history newer than `after`, oldest first, under
    /// the same access rule as [`Self::history`]. `limit` is clamped to 1..=100.
    pub fn history_after(
        &self,
        actor: UserId,
        room: Room,
        after: MessageId,
        limit: u32,
    ) -> Result<Page, ServiceError> {
        self.room_role(actor, room)?;
        Ok(self
            .ports
            .messages
            .history_after(room, after, limit.clamp(1, MAX_PAGE))?)
    }

    /// Up to `limit` messages of `room` centred on `anchor`, newest first,
    /// under the same access rule as [`Self::history`]. An anchor that is not
    /// a message of the room stands for its place in it: the page is the
    /// one it would be centred in. `limit` is clamped to 1..=100.
    pub fn history_around(
        &self,
        actor: UserId,
        room: Room,
        anchor: MessageId,
        limit: u32,
    ) -> Result<Window, ServiceError> {
        self.room_role(actor, room)?;
        Ok(self
            .ports
            .messages
            .history_around(room, anchor, limit.clamp(1, MAX_PAGE))?)
    }

    /// The thread rooted at `root` (or at the root of the thread `root` belongs to).
    pub fn thread(
        &self,
        actor: UserId,
        room: Room,
        root: MessageId,
    ) -> Result<Thread, ServiceError> {
        self.room_role(actor, room)?;
        let message = self.message_in(room, root, Missing::Message)?;
        let root = match message.parent_id {
            Some(parent) => self.message_in(room, parent, Missing::Message)?,
            None => message,
        };
        let replies = self.ports.messages.replies(root.id)?;
        Ok(Thread { root, replies })
    }

    /// The message `id`, which must belong to `room`; else `missing`.
    fn message_in(
        &self,
        room: Room,
        id: MessageId,
        missing: Missing,
    ) -> Result<Message, ServiceError> {
        self.ports
            .messages
            .message_by_id(id)?
            .filter(|m| m.room == room)
            .ok_or(ServiceError::NotFound(missing))
    }
}

impl Messages {
    /// Post in a room the server dialect names ([`Self::post_message`],
    /// without a parent), answered with the message and the members of its
    /// workspace.
    /// # Errors
    /// Those of [`Self::post_message`]; `NotFound(Channel)` for a channel of
    /// another server.
    pub fn post_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        content: MessageContent,
        attachment_url: Option<String>,
        key: Option<IdempotencyKey>,
    ) -> Result<Authored<Message>, ServiceError> {
        self.check_target(actor, target)?;
        let room = target.room();
        let posted = self.post_message(actor, room, content, None, attachment_url, key)?;
        self.authored(actor, room, posted.message)
    }

    /// [`Self::edit_message`] in a room the server dialect names, answered
    /// with the message and the members of its workspace.
    pub fn edit_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        id: MessageId,
        content: MessageContent,
    ) -> Result<Authored<Message>, ServiceError> {
        self.check_target(actor, target)?;
        let room = target.room();
        let edited = self.edit_message(actor, room, id, content)?;
        self.authored(actor, room, edited.message)
    }

    /// [`Self::delete_message`] in a room the server dialect names, answered
    /// with the tombstone and the members of its workspace.
    pub fn delete_in_server(
        &self,
        actor: UserId,
        target: ServerTarget,
        id: MessageId,
    ) -> Result<Authored<Message>, ServiceError> {
        self.check_target(actor, target)?;
        let room = target.room();
        let deleted = self.delete_message(actor, room, id)?;
        self.authored(actor, room, deleted.message)
    }

    /// [`Self::history`] with the members of the room's workspace.
    pub fn history_with_authors(
        &self,
        actor: UserId,
        room: Room,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Authored<Page>, ServiceError> {
        let page = self.history(actor, room, before, limit)?;
        self.authored(actor, room, page)
    }

    /// [`Self::history_after`] with the members of the room's workspace.
    pub fn history_after_with_authors(
        &self,
        actor: UserId,
        room: Room,
        after: MessageId,
        limit: u32,
    ) -> Result<Authored<Page>, ServiceError> {
        let page = self.history_after(actor, room, after, limit)?;
        self.authored(actor, room, page)
    }

    /// [`Self::history_around`] with the members of the room's workspace.
    pub fn history_around_with_authors(
        &self,
        actor: UserId,
        room: Room,
        anchor: MessageId,
        limit: u32,
    ) -> Result<Authored<Window>, ServiceError> {
        let window = self.history_around(actor, room, anchor, limit)?;
        self.authored(actor, room, window)
    }

    pub(crate) fn authored<T>(
        &self,
        actor: UserId,
        room: Room,
        value: T,
    ) -> Result<Authored<T>, ServiceError> {
        Ok(Authored {
            value,
            members: self.room_members(actor, room)?,
        })
    }
}

impl Shared {
    /// The caller's role in the room's workspace, if they may read the room.
    /// Served from the access memo while a recent grant stands.
    pub(crate) fn room_role(&self, actor: UserId, room: Room) -> Result<Role, ServiceError> {
        if let Some(grant) = self.memo.room_grant(actor, room) {
            return Ok(grant.role);
        }
        let since = self.memo.generation();
        let (role, workspace) = match room {
            Room::Channel(id) => {
                let (channel, me) = self.visible_channel(actor, id)?;
                (me.role, channel.workspace_id)
            }
            Room::Conversation(id) => {
                let (conversation, role) = self.readable_conversation(actor, id)?;
                (role, conversation.workspace_id)
            }
        };
        self.memo
            .remember_room(since, actor, room, RoomGrant { role, workspace });
        Ok(role)
    }
}

/// `key` with the fingerprint of the request it was sent with: the same key
/// with another room, parent, attachment or content is refused.
fn idempotency(
    key: IdempotencyKey,
    room: Room,
    parent: Option<MessageId>,
    attachment_url: Option<&str>,
    content: &MessageContent,
) -> Idempotency {
    Idempotency {
        fingerprint: format!(
            "{}|{}|{}|{}",
            room.id(),
            parent.map_or(0, MessageId::get),
            attachment_url.unwrap_or(""),
            content.as_str()
        ),
        key,
    }
}

/// Tells subscribers about a post that created a message.
fn publish_created(notifier: &dyn Notifier, posted: &Result<Posted, RepoError>) {
    if let Ok(Posted::Created(event)) = posted {
        notifier.publish(event);
    }
}

/// What a post produced, or why it failed.
fn post_result(room: Room, posted: Result<Posted, RepoError>) -> Result<PostResult, ServiceError> {
    match posted {
        Ok(Posted::Created(event)) => Ok(PostResult::recorded(event)),
        Ok(Posted::Replayed(message)) => Ok(PostResult {
            message,
            event: None,
        }),
        Err(RepoError::Duplicate) => Err(ServiceError::Conflict(Clash::IdempotencyKeyReused)),
        Err(RepoError::NotFound) => Err(ServiceError::NotFound(room_missing(room))),
        Err(e) => Err(e.into()),
    }
}

/// The seed's words for a refused send, whatever rule refused it.
fn send_denied(room: Room) -> Denied {
    match room {
        Room::Channel(_) => Denied("User does not have permission to send message in this channel"),
        Room::Conversation(_) => {
            Denied("User does not have permission to send message in this Direct Message")
        }
    }
}

fn room_missing(room: Room) -> Missing {
    match room {
        Room::Channel(_) => Missing::Channel,
        Room::Conversation(_) => Missing::Conversation,
    }
}
