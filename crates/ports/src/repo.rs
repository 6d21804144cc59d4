//! Storage ports. One trait per aggregate; the Postgres adapter implements
//! them all on one pool.
//!
//! Every method is one atomic unit: where it touches several tables (creating a
//! workspace also creates its owner's membership and its `general` channel) the
//! adapter wraps it in a transaction.

use std::pin::Pin;

use chrono::{DateTime, Utc};
use concord_domain::Window;
use concord_domain::{
    Ban, Channel, ChannelId, ChannelPatch, Conversation, ConversationId, Emoji, IdempotencyKey,
    Membership, MembershipId, Message, MessageContent, MessageId, NewBan, NewChannel,
    NewConversation, NewMessage, NewWorkspace, Page, Role, Room, RoomEvent, RoomId, Seq, User,
    UserId, Workspace, WorkspaceId, WorkspacePatch,
};

/// What can go wrong in storage, in terms the services can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness rule was broken.
    #[error("duplicate")]
    Duplicate,
    /// The row to change, or a row it refers to, does not exist.
    #[error("not found")]
    NotFound,
    /// The user is banned from the workspace they were to be added to.
    #[error("banned")]
    Banned,
    /// The database cannot be reached (pool exhausted, server down).
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A user ready to be stored: validated, password already hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInsert {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub image_url: Option<String>,
}

/// Whether storage answers at all (readiness probes).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait StoreHealth: Send + Sync {
    /// Run a trivial query.
    /// # Errors
    /// - `RepoError::Unavailable` when the database cannot be reached.
    fn ping(&self) -> Result<(), RepoError>;
}

/// Users and their credentials.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait UserRepository: Send + Sync {
    /// Store a new user.
    /// # Errors
    /// - `RepoError::Duplicate` if the email or the username (case-insensitively) is taken.
    fn insert_user(&self, user: &UserInsert) -> Result<User, RepoError>;

    /// The user with `id`, if any.
    fn user_by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;

    /// The user registered under `email` (already normalised) and their password hash.
    fn credentials_by_email(&self, email: &str) -> Result<Option<(User, String)>, RepoError>;

    /// The ids of the users whose usernames are among `lowercase_names`
    /// (compared case-insensitively).
    fn user_ids_named(&self, lowercase_names: &[String]) -> Result<Vec<UserId>, RepoError>;
}

/// Server-side token revocation (logout).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SessionRepository: Send + Sync {
    /// Remember that the token `jti` is revoked until it would have expired anyway.
    /// Revoking twice is not an error.
    fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), RepoError>;

    /// Whether `jti` was revoked.
    fn is_token_revoked(&self, jti: &str) -> Result<bool, RepoError>;
}

/// Workspaces (servers).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait WorkspaceRepository: Send + Sync {
    /// Create a workspace owned by `owner`, in one transaction with the owner's
    /// membership (role owner), the `general` channel and the owner's
    /// membership of it. The adapter draws a fresh random invite code.
    /// # Errors
    /// - `RepoError::NotFound` if `owner` does not exist.
    fn create_workspace(
        &self,
        owner: UserId,
        workspace: &NewWorkspace,
    ) -> Result<Workspace, RepoError>;

    /// The workspace with `id`, if any.
    fn workspace_by_id(&self, id: WorkspaceId) -> Result<Option<Workspace>, RepoError>;

    /// The workspaces `user` is a member of (owner included), oldest first.
    fn workspaces_of_user(&self, user: UserId) -> Result<Vec<Workspace>, RepoError>;

    /// Apply `patch` and bump `updated_at`.
    /// # Errors
    /// - `RepoError::NotFound` if the workspace does not exist.
    fn update_workspace(
        &self,
        id: WorkspaceId,
        patch: &WorkspacePatch,
    ) -> Result<Workspace, RepoError>;

    /// Delete the workspace and, by cascade, everything in it.
    /// # Errors
    /// - `RepoError::NotFound` if the workspace does not exist.
    fn delete_workspace(&self, id: WorkspaceId) -> Result<(), RepoError>;

    /// Give the workspace a fresh random invite code.
    /// # Errors
    /// - `RepoError::NotFound` if the workspace does not exist.
    fn regenerate_invite_code(&self, id: WorkspaceId) -> Result<Workspace, RepoError>;
}

/// Memberships of users in workspaces.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait MembershipRepository: Send + Sync {
    /// Add `user` to `workspace` with `role`, unless they are banned from it.
    /// The ban is checked in the same transaction as the insert, serialised
    /// with [`Self::ban_member`] for that user, so a join racing a ban never
    /// leaves a banned member behind.
    /// # Errors
    /// - `RepoError::Banned` if the user is banned from the workspace.
    /// - `RepoError::Duplicate` if they are a member already.
    /// - `RepoError::NotFound` if the user or the workspace does not exist.
    fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
    ) -> Result<Membership, RepoError>;

    /// `user`'s membership of `workspace`, if any.
    fn membership(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<Membership>, RepoError>;

    /// The membership with `id`, if any.
    fn membership_by_id(&self, id: MembershipId) -> Result<Option<Membership>, RepoError>;

    /// Every member of `workspace` with their user, oldest membership first.
    fn members_with_users(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(Membership, User)>, RepoError>;

    /// Change a membership's role.
    /// # Errors
    /// - `RepoError::NotFound` if the membership does not exist.
    fn set_role(&self, id: MembershipId, role: Role) -> Result<Membership, RepoError>;

    /// Remove `user` from `workspace` and from every channel in it, in one transaction.
    /// # Errors
    /// - `RepoError::NotFound` if they were not a member.
    fn remove_member(&self, workspace: WorkspaceId, user: UserId) -> Result<(), RepoError>;

    /// Ban `ban.user_id` from `ban.workspace_id`: in one transaction, remove
    /// them from the workspace and every channel in it (if they are a member)
    /// and record the ban. Banning again keeps the first ban's role and time
    /// and replaces its reason and `banned_by`.
    /// # Errors
    /// - `RepoError::NotFound` if the user or the workspace does not exist.
    fn ban_member(&self, ban: &NewBan) -> Result<Ban, RepoError>;

    /// `user`'s ban from `workspace`, if any.
    fn ban(&self, workspace: WorkspaceId, user: UserId) -> Result<Option<Ban>, RepoError>;

    /// Every ban of `workspace`, oldest first.
    fn bans(&self, workspace: WorkspaceId) -> Result<Vec<Ban>, RepoError>;

    /// Lift `user`'s ban from `workspace`; lifting a ban that is not there is
    /// not an error.
    fn lift_ban(&self, workspace: WorkspaceId, user: UserId) -> Result<(), RepoError>;
}

/// Channels and their member lists.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ChannelRepository: Send + Sync {
    /// Create a channel in `workspace` with `creator` as its first member.
    /// # Errors
    /// - `RepoError::NotFound` if the workspace no longer exists.
    fn create_channel(
        &self,
        workspace: WorkspaceId,
        creator: UserId,
        channel: &NewChannel,
    ) -> Result<Channel, RepoError>;

    /// The channel with `id`, if any.
    fn channel_by_id(&self, id: ChannelId) -> Result<Option<Channel>, RepoError>;

    /// Every channel of `workspace`, `general` first, then oldest first.
    fn channels_of_workspace(&self, workspace: WorkspaceId) -> Result<Vec<Channel>, RepoError>;

    /// The ids of the channels of `workspace` that `user` is a member of.
    fn channel_ids_of_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Vec<ChannelId>, RepoError>;

    /// Apply `patch` and bump `updated_at`.
    /// # Errors
    /// - `RepoError::NotFound` if the channel does not exist.
    fn update_channel(&self, id: ChannelId, patch: &ChannelPatch) -> Result<Channel, RepoError>;

    /// Delete the channel and, by cascade, its messages and member list.
    /// # Errors
    /// - `RepoError::NotFound` if the channel does not exist.
    fn delete_channel(&self, id: ChannelId) -> Result<(), RepoError>;

    /// Whether `user` is a member of the channel.
    fn is_channel_member(&self, channel: ChannelId, user: UserId) -> Result<bool, RepoError>;

    /// Add `user` to the channel.
    /// # Errors
    /// - `RepoError::Duplicate` if they are a member already.
    /// - `RepoError::NotFound` if the channel or the user does not exist.
    fn add_channel_member(&self, channel: ChannelId, user: UserId) -> Result<(), RepoError>;

    /// Remove `user` from the channel.
    /// # Errors
    /// - `RepoError::NotFound` if they were not a member.
    fn remove_channel_member(&self, channel: ChannelId, user: UserId) -> Result<(), RepoError>;
}

/// Conversations (direct messages) and their participants.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ConversationRepository: Send + Sync {
    /// Create a conversation of `creator` and `new.others` in `workspace`. With
    /// a `direct_key`, return the existing conversation under that key instead
    /// of creating a second one (1:1 get-or-create).
    /// # Errors
    /// - `RepoError::NotFound` if the workspace or a participant does not exist.
    fn create_conversation(
        &self,
        workspace: WorkspaceId,
        creator: UserId,
        new: &NewConversation,
        direct_key: Option<String>,
    ) -> Result<Conversation, RepoError>;

    /// The conversation with `id` and its participants, if any.
    fn conversation_by_id(&self, id: ConversationId) -> Result<Option<Conversation>, RepoError>;

    /// The conversations `user` takes part in, optionally in one workspace, oldest first.
    fn conversations_of_user(
        &self,
        user: UserId,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<Conversation>, RepoError>;

    /// Set or clear the topic.
    /// # Errors
    /// - `RepoError::NotFound` if the conversation does not exist.
    fn set_conversation_topic(
        &self,
        id: ConversationId,
        topic: Option<String>,
    ) -> Result<Conversation, RepoError>;

    /// Delete the conversation and, by cascade, its messages.
    /// # Errors
    /// - `RepoError::NotFound` if the conversation does not exist.
    fn delete_conversation(&self, id: ConversationId) -> Result<(), RepoError>;
}

/// A client's request to post exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub key: IdempotencyKey,
    /// What the request asked for; the same key with another fingerprint is refused.
    pub fingerprint: String,
}

/// What posting did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Posted {
    /// A new message, and the `message.created` event that records it.
    Created(RoomEvent),
    /// The idempotency key was seen before with the same request: the original message.
    Replayed(Message),
}

/// What an edit or a delete did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageChange {
    /// The message changed, and the `message.updated` or `message.deleted`
    /// event that records it.
    Made(RoomEvent),
    /// The message was already deleted, so nothing changed: the tombstone.
    AlreadyDeleted(Message),
}

/// What setting a reaction or a pin did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toggled {
    /// The message changed, and the event that records it.
    Made(RoomEvent),
    /// It was already so (a reaction already there or already gone, a pin
    /// already set or already lifted): the message, unchanged.
    Unchanged(Message),
    /// The message changed, in one commit with other callers' toggles of
    /// it: the one event recording that commit went to one of them (as
    /// `Made`), who publishes it, so this caller publishes nothing. The
    /// message as that commit left it. (A commit whose toggles cancel out,
    /// an add and its removal, records no event and answers every one of
    /// them so.)
    Shared(Message),
    /// The message is deleted: nothing changed.
    Deleted,
    /// Adding would pass a bound (distinct emoji per message, pins per room).
    Full,
}

/// A room's read state for one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomUnread {
    pub room: Room,
    /// The last message the user has read, if any.
    pub last_read_id: Option<MessageId>,
    /// The room's newest message, if any.
    pub last_message_id: Option<MessageId>,
    /// Messages after the marker, not the user's own, not deleted.
    pub unread: u64,
    /// Of those, the ones that mention the user.
    pub mentions: u64,
}

/// What moving a read marker did, with the room's read state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkedRead {
    /// The marker was written: created, moved forward, or forced.
    Moved(RoomUnread),
    /// The marker was already at or past the message; nothing was written.
    Unchanged(RoomUnread),
}

impl MarkedRead {
    pub fn into_state(self) -> RoomUnread {
        match self {
            MarkedRead::Moved(state) | MarkedRead::Unchanged(state) => state,
        }
    }
}

/// A post handed to the store without waiting; resolves once it has
/// committed (or failed), with what [`MessageRepository::post_message`]
/// would have returned.
pub type PendingPost = Pin<Box<dyn Future<Output = Result<Posted, RepoError>> + Send>>;

/// A page of history being read without blocking the caller; resolves to
/// what [`MessageRepository::history`] would have returned.
pub type PendingPage = Pin<Box<dyn Future<Output = Result<Page, RepoError>> + Send>>;

/// Runs once a queued post's fate is known, whether or not anyone still
/// awaits its [`PendingPost`]: a client that hangs up does not undo a
/// commit, so what must follow one (telling subscribers) goes here.
pub type OnCommit = Box<dyn FnOnce(&Result<Posted, RepoError>) + Send>;

/// Messages and the per-room event log. Every write appends, in the same
/// transaction, an event whose `seq` is the room's previous `seq` plus one.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait MessageRepository: Send + Sync {
    /// Store `msg`, advance the room's `seq` and last-message time, append a
    /// `message.created` event and remember `idempotency`, all in one transaction.
    /// # Errors
    /// - `RepoError::Duplicate` if the idempotency key was used by this author
    ///   within 24 hours for a different request.
    /// - `RepoError::NotFound` if the room no longer exists.
    fn post_message(
        &self,
        msg: &NewMessage,
        idempotency: Option<Idempotency>,
    ) -> Result<Posted, RepoError>;

    /// [`Self::post_message`] for a post without attachment that does not
    /// block the caller: the returned future resolves when the post has
    /// committed (or was answered from its idempotency key). For callers on
    /// an async runtime. `on_commit` runs first, on the store's side, even
    /// if the future is dropped.
    fn queue_post(
        &self,
        msg: NewMessage,
        idempotency: Option<Idempotency>,
        on_commit: OnCommit,
    ) -> PendingPost;

    /// The message with `id`, if any.
    fn message_by_id(&self, id: MessageId) -> Result<Option<Message>, RepoError>;

    /// Replace a message's content, set `edited_at`, append `message.updated`,
    /// unless the message is deleted by the time its row is written: that is
    /// decided under the row's lock, so an edit racing a delete never brings
    /// the deleted text back. `mentions` replaces who the message mentions.
    /// # Errors
    /// - `RepoError::NotFound` if the message does not exist.
    fn edit_message(
        &self,
        id: MessageId,
        content: &MessageContent,
        mentions: &[UserId],
    ) -> Result<MessageChange, RepoError>;

    /// Make a message a tombstone and append `message.deleted`, unless it is
    /// one already (decided under the row's lock): of any number of
    /// concurrent deletes, exactly one writes an event.
    /// # Errors
    /// - `RepoError::NotFound` if the message does not exist.
    fn delete_message(&self, id: MessageId) -> Result<MessageChange, RepoError>;

    /// Up to `limit` messages of `room` older than `before` (all when `None`),
    /// newest first, by keyset on the message id.
    fn history(&self, room: Room, before: Option<MessageId>, limit: u32)
    -> Result<Page, RepoError>;

    /// [`Self::history`] for callers on an async runtime: the returned
    /// future reads the page without blocking the thread that polls it.
    fn read_history(&self, room: Room, before: Option<MessageId>, limit: u32) -> PendingPage;

    /// Up to `limit` messages of `room` newer than `after`, oldest first, by
    /// keyset on the message id; `next_cursor` is the page's newest message
    /// when newer ones exist.
    fn history_after(&self, room: Room, after: MessageId, limit: u32) -> Result<Page, RepoError>;

    /// Up to `limit` messages of `room` centred on `anchor` as
    /// [`concord_domain::AroundSplit`] shares them out ([`Window::around`]), newest
    /// first, by keyset on the message id. The anchor is on the page when
    /// it is a message of `room`; any other id stands for its place.
    fn history_around(
        &self,
        room: Room,
        anchor: MessageId,
        limit: u32,
    ) -> Result<Window, RepoError>;

    /// Every reply in the thread rooted at `root`, oldest first.
    fn replies(&self, root: MessageId) -> Result<Vec<Message>, RepoError>;

    /// Add (`on`) or remove `user`'s reaction `emoji` on message `id`, and
    /// append `message.reactions` if that changed anything. Decided under
    /// the message row's lock, so concurrent toggles keep counts exact, as
    /// if applied one at a time in the order they arrived. `Full` when the
    /// message already holds the most distinct emoji. Concurrent toggles of
    /// one message may share one commit and one event: `Made` for the one
    /// caller who publishes it, `Shared` for the others.
    /// # Errors
    /// - `RepoError::NotFound` if the message does not exist.
    fn set_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        on: bool,
    ) -> Result<Toggled, RepoError>;

    /// Pin (`on`) or unpin message `id`, appending `message.pinned` or
    /// `message.unpinned` if that changed anything. `Full` when its room
    /// already holds the most pins (decided under the room's lock).
    /// # Errors
    /// - `RepoError::NotFound` if the message does not exist.
    fn set_pin(&self, id: MessageId, on: bool) -> Result<Toggled, RepoError>;

    /// The pinned messages of `room`, most recently pinned first.
    fn pins(&self, room: Room) -> Result<Vec<Message>, RepoError>;

    /// The channel or conversation with id `room_id` (one id space), its
    /// workspace and its latest `seq`.
    fn room_info(&self, room_id: RoomId) -> Result<Option<RoomInfo>, RepoError>;
}

/// Most events one read of the log should ask for.
pub const MAX_EVENTS_PER_READ: u32 = 500;

/// Read markers, and the unread and mention counts after them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ReadStateRepository: Send + Sync {
    /// Move `user`'s marker in `room` to `message`: only forward, unless
    /// `force`. Answers whether it moved, and the room's read state after.
    /// # Errors
    /// - `RepoError::NotFound` if `message` is not a message of `room`.
    fn mark_read(
        &self,
        user: UserId,
        room: Room,
        message: MessageId,
        force: bool,
    ) -> Result<MarkedRead, RepoError>;

    /// `user`'s read state in each of `rooms` (rooms that no longer exist
    /// are left out), in the order given. Counts come from per-room post
    /// counters and the marker's place: no message history is scanned.
    fn unread(&self, user: UserId, rooms: &[Room]) -> Result<Vec<RoomUnread>, RepoError>;
}

/// The per-room event log, as the realtime gateway reads it: to replay a
/// resuming client, and to fill the gaps between what this node published
/// and what every node committed. It asks no access question; the gateway
/// authorises a room before it reads its log.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait EventLog: Send + Sync {
    /// Up to `limit` (callers ask for at most [`MAX_EVENTS_PER_READ`]) events
    /// of `room` with `seq > after`, by rising `seq`. Each carries what it is
    /// about as that event left it.
    fn events_after(
        &self,
        room: RoomId,
        after: Seq,
        limit: u32,
    ) -> Result<Vec<RoomEvent>, RepoError>;

    /// The latest `seq` of each room in `rooms` that still exists.
    fn latest_seqs(&self, rooms: &[RoomId]) -> Result<Vec<(RoomId, Seq)>, RepoError>;
}

/// A room as the gateway needs it: what it is, where, and how far its log goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    pub room: Room,
    pub workspace_id: WorkspaceId,
    pub last_seq: Seq,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A page of matching messages, newest first.
    Page(Page),
    /// The query names nothing a message could be found by: no word at all
    /// once parsed, or only excluded ones (which would match nearly
    /// everything, and no index can serve).
    NothingToFind,
}

/// Full-text search over messages' current text.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait MessageSearch: Send + Sync {
    /// Up to `limit` messages of `rooms` whose current text matches `query`
    /// (web-search syntax, words compared without case and without
    /// stemming), by `author` when given, older than `before` (all when
    /// `None`), newest first, by keyset on the message id. Deleted messages
    /// are never found, and an edited one only by its new text. The caller
    /// decides which rooms may be searched; no room is searched otherwise.
    /// `Found::NothingToFind` when the query names no word to find,
    /// whatever the rooms.
    fn search_messages(
        &self,
        query: &concord_domain::SearchQuery,
        rooms: &[RoomId],
        author: Option<UserId>,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Found, RepoError>;
}
