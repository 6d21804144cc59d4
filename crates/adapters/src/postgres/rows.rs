//! Row types: what diesel reads and writes. They stay inside this adapter and
//! convert to and from the domain's entities at the boundary.

use chrono::{DateTime, Utc};
use concord_domain::{
    Attachment, AttachmentId, Ban, Channel, ChannelId, ChannelKind, Conversation, ConversationId,
    Membership, MembershipId, Message, MessageId, Reaction, Role, Room, Seq, User, UserId,
    Workspace, WorkspaceId,
};
use concord_ports::RepoError;
use diesel::prelude::*;

use super::schema::{
    bans, channel_members, channels, conversations, memberships, message_events, messages, users,
    workspaces,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub image_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId::new(r.id),
            username: r.username,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            image_url: r.image_url,
            created_at: r.created_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUserRow<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub image_url: Option<&'a str>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = workspaces, check_for_backend(diesel::pg::Pg))]
pub(crate) struct WorkspaceRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub owner_id: i64,
    pub invite_code: String,
    pub members_can_create_channels: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace {
            id: WorkspaceId::new(r.id),
            name: r.name,
            description: r.description,
            image_url: r.image_url,
            owner_id: UserId::new(r.owner_id),
            invite_code: r.invite_code,
            members_can_create_channels: r.members_can_create_channels,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = workspaces)]
pub(crate) struct NewWorkspaceRow<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub image_url: Option<&'a str>,
    pub owner_id: i64,
    pub invite_code: &'a str,
    pub members_can_create_channels: bool,
}

#[derive(AsChangeset)]
#[diesel(table_name = workspaces)]
pub(crate) struct WorkspaceChangeset<'a> {
    pub name: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub image_url: Option<Option<&'a str>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = memberships, check_for_backend(diesel::pg::Pg))]
pub(crate) struct MembershipRow {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = RepoError;

    fn try_from(r: MembershipRow) -> Result<Self, RepoError> {
        let role = Role::parse(&r.role).ok_or_else(|| {
            RepoError::Unexpected(anyhow::anyhow!(
                "unknown role {:?} in membership {}",
                r.role,
                r.id
            ))
        })?;
        Ok(Membership {
            id: MembershipId::new(r.id),
            workspace_id: WorkspaceId::new(r.workspace_id),
            user_id: UserId::new(r.user_id),
            role,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = memberships)]
pub(crate) struct NewMembershipRow {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: &'static str,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = bans, check_for_backend(diesel::pg::Pg))]
pub(crate) struct BanRow {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: String,
    pub reason: Option<String>,
    pub banned_by: i64,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<BanRow> for Ban {
    type Error = RepoError;

    fn try_from(r: BanRow) -> Result<Self, RepoError> {
        let role = Role::parse(&r.role).ok_or_else(|| {
            RepoError::Unexpected(anyhow::anyhow!(
                "unknown role {:?} in the ban of user {} from workspace {}",
                r.role,
                r.user_id,
                r.workspace_id
            ))
        })?;
        Ok(Ban {
            workspace_id: WorkspaceId::new(r.workspace_id),
            user_id: UserId::new(r.user_id),
            role,
            reason: r.reason,
            banned_by: UserId::new(r.banned_by),
            banned_at: r.created_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = bans)]
pub(crate) struct NewBanRow<'a> {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: &'static str,
    pub reason: Option<&'a str>,
    pub banned_by: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = channels, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ChannelRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub private: bool,
    pub creator_id: i64,
    pub is_general: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_at: Option<DateTime<Utc>>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = RepoError;

    fn try_from(r: ChannelRow) -> Result<Self, RepoError> {
        let kind = ChannelKind::parse(&r.kind).map_err(|_| {
            RepoError::Unexpected(anyhow::anyhow!(
                "unknown kind {:?} in channel {}",
                r.kind,
                r.id
            ))
        })?;
        Ok(Channel {
            id: ChannelId::new(r.id),
            workspace_id: WorkspaceId::new(r.workspace_id),
            name: r.name,
            kind,
            description: r.description,
            topic: r.topic,
            private: r.private,
            creator_id: UserId::new(r.creator_id),
            is_general: r.is_general,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_message_at: r.last_message_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = channels)]
pub(crate) struct NewChannelRow<'a> {
    pub workspace_id: i64,
    pub name: &'a str,
    pub kind: &'static str,
    pub description: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub private: bool,
    pub creator_id: i64,
    pub is_general: bool,
}

#[derive(AsChangeset)]
#[diesel(table_name = channels)]
pub(crate) struct ChannelChangeset<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<&'static str>,
    pub description: Option<Option<&'a str>>,
    pub topic: Option<Option<&'a str>>,
    pub private: Option<bool>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = channel_members)]
pub(crate) struct NewChannelMemberRow {
    pub channel_id: i64,
    pub user_id: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = conversations, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ConversationRow {
    pub id: i64,
    pub workspace_id: i64,
    pub topic: Option<String>,
    pub creator_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_at: Option<DateTime<Utc>>,
}

impl ConversationRow {
    pub fn into_domain(self, participants: Vec<UserId>) -> Conversation {
        Conversation {
            id: ConversationId::new(self.id),
            workspace_id: WorkspaceId::new(self.workspace_id),
            topic: self.topic,
            creator_id: UserId::new(self.creator_id),
            participants,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_message_at: self.last_message_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = messages, check_for_backend(diesel::pg::Pg))]
pub(crate) struct MessageRow {
    pub id: i64,
    pub channel_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub author_id: i64,
    pub parent_id: Option<i64>,
    pub content: String,
    pub attachment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// `[{"emoji", "count", "user_ids"}]`, as [`ReactionJson`]; `None` for none.
    pub reactions: Option<serde_json::Value>,
    pub pinned_at: Option<DateTime<Utc>>,
    /// `None` for none.
    pub mentions: Option<Vec<i64>>,
}

/// One entry of `messages.reactions`, as the migration's SQL writes it.
#[derive(serde::Deserialize)]
struct ReactionJson {
    emoji: String,
    count: u32,
    user_ids: Vec<i64>,
}

impl MessageRow {
    /// The domain message, with its attachment's URL when it has one.
    pub fn into_domain(self, attachment_url: Option<String>) -> Result<Message, RepoError> {
        let room = match (self.channel_id, self.conversation_id) {
            (Some(c), None) => Room::Channel(ChannelId::new(c)),
            (None, Some(c)) => Room::Conversation(ConversationId::new(c)),
            _ => {
                return Err(RepoError::Unexpected(anyhow::anyhow!(
                    "message {} has no single room",
                    self.id
                )));
            }
        };
        let attachment = match (self.attachment_id, attachment_url) {
            (Some(id), Some(url)) => Some(Attachment {
                id: AttachmentId::new(id),
                url,
            }),
            _ => None,
        };
        let reactions: Vec<ReactionJson> = match self.reactions {
            Some(json) => serde_json::from_value(json).map_err(|e| {
                RepoError::Unexpected(anyhow::Error::new(e).context("message reactions"))
            })?,
            None => Vec::new(),
        };
        Ok(Message {
            id: MessageId::new(self.id),
            room,
            author_id: UserId::new(self.author_id),
            parent_id: self.parent_id.map(MessageId::new),
            content: self.content,
            attachment,
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted_at: self.deleted_at,
            reactions: reactions
                .into_iter()
                .map(|r| Reaction {
                    emoji: r.emoji,
                    count: r.count,
                    user_ids: r.user_ids.into_iter().map(UserId::new).collect(),
                })
                .collect(),
            pinned: self.pinned_at.is_some(),
            mentions: self
                .mentions
                .unwrap_or_default()
                .into_iter()
                .map(UserId::new)
                .collect(),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = messages)]
pub(crate) struct NewMessageRow<'a> {
    pub channel_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub author_id: i64,
    pub parent_id: Option<i64>,
    pub content: &'a str,
    pub attachment_id: Option<i64>,
    pub mentions: Option<Vec<i64>>,
    pub room_pos: i64,
}

#[derive(Insertable)]
#[diesel(table_name = message_events)]
pub(crate) struct NewEventRow<'a> {
    pub channel_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub seq: i64,
    pub kind: &'static str,
    pub message_id: i64,
    /// The message's text after this event; `None` for a deletion.
    pub content: Option<&'a str>,
}

impl<'a> NewEventRow<'a> {
    pub fn new(
        room: Room,
        seq: Seq,
        kind: &'static str,
        message_id: i64,
        content: Option<&'a str>,
    ) -> Self {
        let (channel_id, conversation_id) = room_columns(room);
        Self {
            channel_id,
            conversation_id,
            seq: seq.get(),
            kind,
            message_id,
            content,
        }
    }
}

/// A room as the pair of nullable columns messages and events store it in.
pub(crate) fn room_columns(room: Room) -> (Option<i64>, Option<i64>) {
    match room {
        Room::Channel(c) => (Some(c.get()), None),
        Room::Conversation(c) => (None, Some(c.get())),
    }
}
