//! The workspace dialect's JSON: snake_case everywhere, shapes as in seed 004
//! and API.md section 3.

use chrono::{DateTime, SecondsFormat, Utc};
use concord_app::{Thread, WorkspaceDetails};
use concord_domain::Window;
use concord_domain::{
    Ban, Channel, Conversation, Membership, Message, MessageId, Page, Reaction, Room, User,
    Workspace,
};
use concord_ports::RoomUnread;
use serde::Serialize;
use utoipa::ToSchema;

/// RFC 3339 in UTC with a `Z`, to the second: `2023-04-25T10:15:30Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A user.
#[derive(Serialize, ToSchema)]
pub struct UserDto {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "john_doe")]
    pub username: String,
    #[schema(example = "johndoe@example.com")]
    pub email: String,
    #[schema(example = "john")]
    pub first_name: String,
    #[schema(example = "doe")]
    pub last_name: String,
    pub image_url: Option<String>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.get(),
            username: u.username.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            image_url: u.image_url.clone(),
        }
    }
}

/// A user with a fresh bearer token (sign-up and login).
#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    #[serde(flatten)]
    pub user: UserDto,
    pub token: String,
}

/// `GET /api/session` without a token.
#[derive(Serialize, ToSchema)]
pub struct NoSessionDto {
    /// Always `null`.
    #[schema(schema_with = null_schema)]
    pub user: (),
}

fn null_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Null)
        .build()
}

/// `GET /api/session`: the caller, or `{"user": null}` without a token.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CurrentSessionDto {
    User(UserDto),
    NoUser(NoSessionDto),
}

/// A plain confirmation.
#[derive(Serialize, ToSchema)]
pub struct NoticeDto {
    #[schema(example = "Workspace deleted")]
    pub message: &'static str,
}

impl NoticeDto {
    pub fn new(message: &'static str) -> Self {
        Self { message }
    }
}

/// A workspace in the list of the caller's workspaces.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceSummaryDto {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub owner_id: i64,
    pub image_url: Option<String>,
}

impl From<&Workspace> for WorkspaceSummaryDto {
    fn from(w: &Workspace) -> Self {
        Self {
            id: w.id.get(),
            name: w.name.clone(),
            description: w.description.clone(),
            owner_id: w.owner_id.get(),
            image_url: w.image_url.clone(),
        }
    }
}

/// The owner as shown on a created or edited workspace.
#[derive(Serialize, ToSchema)]
pub struct OwnerDto {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub image_url: Option<String>,
}

/// A created or edited workspace.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceDto {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub owner_id: i64,
    pub owner: OwnerDto,
    pub image_url: Option<String>,
}

impl WorkspaceDto {
    pub fn new(w: &Workspace, owner: &User) -> Self {
        Self {
            id: w.id.get(),
            name: w.name.clone(),
            description: w.description.clone(),
            owner_id: w.owner_id.get(),
            owner: OwnerDto {
                id: owner.id.get(),
                first_name: owner.first_name.clone(),
                last_name: owner.last_name.clone(),
                email: owner.email.clone(),
                image_url: owner.image_url.clone(),
            },
            image_url: w.image_url.clone(),
        }
    }
}

/// A person in a workspace's details.
#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    #[schema(example = "John Smith")]
    pub name: String,
    pub email: String,
}

/// A member in a workspace's details; `id` is the user's id.
#[derive(Serialize, ToSchema)]
#[schema(as = WorkspaceMember)]
pub struct MemberDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    #[schema(example = "guest")]
    pub role: &'static str,
}

/// A workspace with its owner and every member.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceDetailsDto {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub owner_id: i64,
    pub owner: PersonDto,
    pub members: Vec<MemberDto>,
}

impl From<&WorkspaceDetails> for WorkspaceDetailsDto {
    fn from(d: &WorkspaceDetails) -> Self {
        let w = &d.workspace;
        Self {
            id: w.id.get(),
            name: w.name.clone(),
            description: w.description.clone(),
            image_url: w.image_url.clone(),
            owner_id: w.owner_id.get(),
            owner: PersonDto {
                id: d.owner.id.get(),
                name: d.owner.full_name(),
                email: d.owner.email.clone(),
            },
            members: d
                .members
                .iter()
                .map(|(m, u)| MemberDto {
                    id: u.id.get(),
                    name: u.full_name(),
                    email: u.email.clone(),
                    role: m.role.as_str(),
                })
                .collect(),
        }
    }
}

/// A new membership.
#[derive(Serialize, ToSchema)]
pub struct MembershipDto {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
}

impl From<&Membership> for MembershipDto {
    fn from(m: &Membership) -> Self {
        Self {
            id: m.id.get(),
            workspace_id: m.workspace_id.get(),
            user_id: m.user_id.get(),
        }
    }
}

/// A ban: who is kept out, why, by whom and since when.
#[derive(Serialize, ToSchema)]
pub struct BanDto {
    pub user_id: i64,
    pub reason: Option<String>,
    pub banned_by: i64,
    #[schema(example = "2023-04-25T10:15:30Z")]
    pub banned_at: String,
}

impl From<&Ban> for BanDto {
    fn from(b: &Ban) -> Self {
        Self {
            user_id: b.user_id.get(),
            reason: b.reason.clone(),
            banned_by: b.banned_by.get(),
            banned_at: timestamp(b.banned_at),
        }
    }
}

/// A channel.
#[derive(Serialize, ToSchema)]
#[schema(as = Channel)]
pub struct ChannelDto {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub topic: Option<String>,
    /// The channel's creator.
    pub owner_id: i64,
    #[schema(example = "2023-04-23")]
    pub date_created: String,
    pub workspace_id: i64,
    pub private: bool,
    #[schema(example = "2023-04-23T12:00:00Z")]
    pub last_sent_message_timestamp: Option<String>,
}

impl From<&Channel> for ChannelDto {
    fn from(c: &Channel) -> Self {
        Self {
            id: c.id.get(),
            name: c.name.clone(),
            description: c.description.clone(),
            topic: c.topic.clone(),
            owner_id: c.creator_id.get(),
            date_created: c.date_created().format("%Y-%m-%d").to_string(),
            workspace_id: c.workspace_id.get(),
            private: c.private,
            last_sent_message_timestamp: c.last_message_at.map(timestamp),
        }
    }
}

/// A conversation ("direct message" in this dialect).
#[derive(Serialize, ToSchema)]
pub struct DirectMessageDto {
    pub id: i64,
    pub topic: Option<String>,
    pub workspace_id: i64,
    /// Every participant's user id, the caller included.
    pub users: Vec<i64>,
    pub last_sent_message_timestamp: Option<String>,
}

impl From<&Conversation> for DirectMessageDto {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.get(),
            topic: c.topic.clone(),
            workspace_id: c.workspace_id.get(),
            users: c.participants.iter().map(|u| u.get()).collect(),
            last_sent_message_timestamp: c.last_message_at.map(timestamp),
        }
    }
}

/// A message in a channel or a direct message.
#[derive(Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageDto {
    pub id: i64,
    pub content: String,
    pub user_id: i64,
    pub channel_id: Option<i64>,
    pub direct_message_id: Option<i64>,
    /// The thread's root, for a reply.
    pub parent_id: Option<i64>,
    pub attachment_id: Option<i64>,
    #[schema(example = "2023-04-25T10:15:30Z")]
    pub timestamp: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// In order of first use.
    pub reactions: Vec<ReactionDto>,
    pub pinned: bool,
    /// The ids of the users it mentions.
    pub mentions: Vec<i64>,
}

/// A room as the pair of nullable ids both dialects show: the channel's,
/// or the conversation's.
pub fn room_ids(room: Room) -> (Option<i64>, Option<i64>) {
    match room {
        Room::Channel(c) => (Some(c.get()), None),
        Room::Conversation(c) => (None, Some(c.get())),
    }
}

/// One emoji on a message. The same in both dialects.
#[derive(Serialize, ToSchema)]
pub struct ReactionDto {
    #[schema(example = "👍")]
    pub emoji: String,
    /// Everyone who reacted with it.
    pub count: u32,
    /// The first 100 who reacted with it, oldest first.
    pub user_ids: Vec<i64>,
}

impl ReactionDto {
    pub fn all(reactions: &[Reaction]) -> Vec<Self> {
        reactions
            .iter()
            .map(|r| Self {
                emoji: r.emoji.clone(),
                count: r.count,
                user_ids: r.user_ids.iter().map(|u| u.get()).collect(),
            })
            .collect()
    }
}

impl From<&Message> for MessageDto {
    fn from(m: &Message) -> Self {
        let (channel_id, direct_message_id) = room_ids(m.room);
        Self {
            id: m.id.get(),
            content: m.content.clone(),
            user_id: m.author_id.get(),
            channel_id,
            direct_message_id,
            parent_id: m.parent_id.map(|p| p.get()),
            attachment_id: m.attachment.as_ref().map(|a| a.id.get()),
            timestamp: timestamp(m.created_at),
            edited_at: m.edited_at.map(timestamp),
            deleted: m.is_deleted(),
            reactions: ReactionDto::all(&m.reactions),
            pinned: m.pinned,
            mentions: m.mentions.iter().map(|u| u.get()).collect(),
        }
    }
}

/// A page of history: newest first, or oldest first for `after`.
#[derive(Serialize, ToSchema)]
pub struct HistoryDto {
    pub messages: Vec<MessageDto>,
    /// Pass as `before` for the next (older) page; `null` at the beginning.
    /// On an `after` page, pass as `after` for the next (newer) page; `null`
    /// at the newest.
    pub next_cursor: Option<i64>,
    /// On an `around` page only: pass as `after` for the newer messages;
    /// `null` at the newest.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, required = false)]
    pub prev_cursor: Option<Option<i64>>,
}

impl From<&Page> for HistoryDto {
    fn from(p: &Page) -> Self {
        Self {
            messages: p.messages.iter().map(MessageDto::from).collect(),
            next_cursor: p.next_cursor.map(|c| c.get()),
            prev_cursor: None,
        }
    }
}

impl From<&Window> for HistoryDto {
    fn from(w: &Window) -> Self {
        Self {
            messages: w.messages.iter().map(MessageDto::from).collect(),
            next_cursor: w.next_cursor.map(|c| c.get()),
            prev_cursor: Some(w.prev_cursor.map(|c| c.get())),
        }
    }
}

/// A thread: its root message and every reply, oldest first.
#[derive(Serialize, ToSchema)]
pub struct ThreadDto {
    pub parent: MessageDto,
    pub replies: Vec<MessageDto>,
}

impl From<&Thread> for ThreadDto {
    fn from(t: &Thread) -> Self {
        Self {
            parent: MessageDto::from(&t.root),
            replies: t.replies.iter().map(MessageDto::from).collect(),
        }
    }
}

/// A room's pinned messages, most recently pinned first.
#[derive(Serialize, ToSchema)]
pub struct PinsDto {
    pub messages: Vec<MessageDto>,
}

impl From<&[Message]> for PinsDto {
    fn from(messages: &[Message]) -> Self {
        Self {
            messages: messages.iter().map(MessageDto::from).collect(),
        }
    }
}

/// The caller's read state in one room, after moving its marker.
#[derive(Serialize, ToSchema)]
pub struct ReadStateDto {
    pub last_read_id: Option<i64>,
    /// Messages after the marker, not the caller's, not deleted.
    pub unread: u64,
    /// Of those, the ones that mention the caller.
    pub mentions: u64,
}

impl From<&RoomUnread> for ReadStateDto {
    fn from(r: &RoomUnread) -> Self {
        Self {
            last_read_id: r.last_read_id.map(MessageId::get),
            unread: r.unread,
            mentions: r.mentions,
        }
    }
}

/// The caller's read state in one room of a workspace.
#[derive(Serialize, ToSchema)]
pub struct RoomUnreadDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_message_id: Option<i64>,
    pub last_read_id: Option<i64>,
    pub last_message_id: Option<i64>,
    pub unread: u64,
    pub mentions: u64,
}

/// Read state in every room of a workspace the caller may read.
#[derive(Serialize, ToSchema)]
pub struct UnreadDto {
    pub rooms: Vec<RoomUnreadDto>,
}

impl From<&RoomUnread> for RoomUnreadDto {
    fn from(r: &RoomUnread) -> Self {
        let (channel_id, direct_message_id) = room_ids(r.room);
        Self {
            channel_id,
            direct_message_id,
            last_read_id: r.last_read_id.map(MessageId::get),
            last_message_id: r.last_message_id.map(MessageId::get),
            unread: r.unread,
            mentions: r.mentions,
        }
    }
}

impl From<&[RoomUnread]> for UnreadDto {
    fn from(rooms: &[RoomUnread]) -> Self {
        Self {
            rooms: rooms.iter().map(RoomUnreadDto::from).collect(),
        }
    }
}
