//! The server dialect's JSON: camelCase, the shapes of API.md section 4.

use std::collections::HashMap;

use concord_app::ServerView;
use concord_domain::{
    Ban, Channel, Conversation, Membership, Message, MessageId, Page, Role, User, UserId, Window,
};
use concord_ports::RoomUnread;
use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::workspace::dto::{ReactionDto, room_ids, timestamp};

/// The person behind a membership.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerProfile)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDto {
    pub id: i64,
    #[schema(example = "John Smith")]
    pub name: String,
    pub image_url: Option<String>,
    pub email: String,
}

/// A membership. The owner shows as `ADMIN` with `isOwner: true`.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerMember)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    pub id: i64,
    #[schema(example = "GUEST")]
    pub role: &'static str,
    pub is_owner: bool,
    pub profile_id: i64,
    pub server_id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub profile: ProfileDto,
}

/// A ban, in this dialect's spelling: `profileId` is the banned user.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerBanDto {
    pub profile_id: i64,
    pub reason: Option<String>,
    pub banned_by: i64,
    #[schema(example = "2023-04-25T10:15:30Z")]
    pub created_at: String,
}

impl From<&Ban> for ServerBanDto {
    fn from(b: &Ban) -> Self {
        Self {
            profile_id: b.user_id.get(),
            reason: b.reason.clone(),
            banned_by: b.banned_by.get(),
            created_at: timestamp(b.banned_at),
        }
    }
}

/// The server dialect's spelling of a role.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner | Role::Admin => "ADMIN",
        Role::Moderator => "MODERATOR",
        Role::Guest => "GUEST",
    }
}

impl MemberDto {
    pub fn new(m: &Membership, u: &User) -> Self {
        Self {
            id: m.id.get(),
            role: role_name(m.role),
            is_owner: m.role == Role::Owner,
            profile_id: u.id.get(),
            server_id: m.workspace_id.get(),
            created_at: timestamp(m.created_at),
            updated_at: timestamp(m.updated_at),
            profile: ProfileDto {
                id: u.id.get(),
                name: u.full_name(),
                image_url: u.image_url.clone(),
                email: u.email.clone(),
            },
        }
    }
}

/// A channel.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerChannel)]
#[serde(rename_all = "camelCase")]
pub struct ChannelDto {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    #[schema(example = "TEXT")]
    pub kind: &'static str,
    pub profile_id: i64,
    pub server_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Channel> for ChannelDto {
    fn from(c: &Channel) -> Self {
        Self {
            id: c.id.get(),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            profile_id: c.creator_id.get(),
            server_id: c.workspace_id.get(),
            created_at: timestamp(c.created_at),
            updated_at: timestamp(c.updated_at),
        }
    }
}

/// A server with its channels (those the caller may see) and members.
#[derive(Serialize, ToSchema)]
#[schema(as = Server)]
#[serde(rename_all = "camelCase")]
pub struct ServerDto {
    pub id: i64,
    pub name: String,
    pub image_url: Option<String>,
    pub invite_code: String,
    /// The owner's user id.
    pub profile_id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub channels: Vec<ChannelDto>,
    pub members: Vec<MemberDto>,
}

impl From<&ServerView> for ServerDto {
    fn from(v: &ServerView) -> Self {
        let w = &v.workspace;
        Self {
            id: w.id.get(),
            name: w.name.clone(),
            image_url: w.image_url.clone(),
            invite_code: w.invite_code.clone(),
            profile_id: w.owner_id.get(),
            created_at: timestamp(w.created_at),
            updated_at: timestamp(w.updated_at),
            channels: v.channels.iter().map(ChannelDto::from).collect(),
            members: v
                .members
                .iter()
                .map(|(m, u)| MemberDto::new(m, u))
                .collect(),
        }
    }
}

/// Looks up message authors' memberships.
pub struct Authors(HashMap<UserId, (Membership, User)>);

impl Authors {
    pub fn new(members: Vec<(Membership, User)>) -> Self {
        Self(members.into_iter().map(|(m, u)| (u.id, (m, u))).collect())
    }

    fn member(&self, user: UserId) -> Option<MemberDto> {
        self.0.get(&user).map(|(m, u)| MemberDto::new(m, u))
    }
}

/// A message in a channel (`channelId`) or a conversation (`conversationId`).
/// `member` is null when the author has since left the server.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerMessage)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    pub id: i64,
    pub content: String,
    pub file_url: Option<String>,
    pub member_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    pub deleted: bool,
    pub created_at: String,
    pub updated_at: String,
    pub member: Option<MemberDto>,
    /// In order of first use.
    pub reactions: Vec<ReactionDto>,
    pub pinned: bool,
    /// The ids of the users it mentions.
    pub mentions: Vec<i64>,
}

impl MessageDto {
    pub fn new(m: &Message, authors: &Authors) -> Self {
        let member = authors.member(m.author_id);
        let (channel_id, conversation_id) = room_ids(m.room);
        let updated = [m.deleted_at, m.edited_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(m.created_at);
        Self {
            id: m.id.get(),
            content: m.content.clone(),
            file_url: m.attachment.as_ref().map(|a| a.url.clone()),
            member_id: member.as_ref().map(|mb| mb.id),
            channel_id,
            conversation_id,
            deleted: m.is_deleted(),
            created_at: timestamp(m.created_at),
            updated_at: timestamp(updated),
            member,
            reactions: ReactionDto::all(&m.reactions),
            pinned: m.pinned,
            mentions: m.mentions.iter().map(|u| u.get()).collect(),
        }
    }
}

/// A page of messages: newest first, or oldest first for `after`.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerMessagePage)]
#[serde(rename_all = "camelCase")]
pub struct MessagePageDto {
    pub items: Vec<MessageDto>,
    /// Pass as `cursor` for the next (older) page; `null` at the beginning.
    /// On an `after` page, pass as `after` for the next (newer) page; `null`
    /// at the newest.
    pub next_cursor: Option<i64>,
    /// On an `around` page only: pass as `after` for the newer messages;
    /// `null` at the newest.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, required = false)]
    pub prev_cursor: Option<Option<i64>>,
}

impl MessagePageDto {
    /// A page read one way: a `nextCursor` only.
    pub fn page(page: &Page, authors: &Authors) -> Self {
        Self {
            items: items(&page.messages, authors),
            next_cursor: page.next_cursor.map(|c| c.get()),
            prev_cursor: None,
        }
    }

    /// A page around a message: `nextCursor` and `prevCursor`.
    pub fn around(window: &Window, authors: &Authors) -> Self {
        Self {
            items: items(&window.messages, authors),
            next_cursor: window.next_cursor.map(|c| c.get()),
            prev_cursor: Some(window.prev_cursor.map(|c| c.get())),
        }
    }
}

fn items(messages: &[Message], authors: &Authors) -> Vec<MessageDto> {
    messages
        .iter()
        .map(|m| MessageDto::new(m, authors))
        .collect()
}

/// A 1:1 conversation between two members.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerConversation)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDto {
    pub id: i64,
    pub server_id: i64,
    pub member_one_id: Option<i64>,
    pub member_two_id: Option<i64>,
    pub member_one: Option<MemberDto>,
    pub member_two: Option<MemberDto>,
}

impl ConversationDto {
    /// `memberOne` is the conversation's creator, `memberTwo` the other participant.
    pub fn new(c: &Conversation, authors: &Authors) -> Self {
        let other = c.participants.iter().copied().find(|u| *u != c.creator_id);
        let one = authors.member(c.creator_id);
        let two = other.and_then(|u| authors.member(u));
        Self {
            id: c.id.get(),
            server_id: c.workspace_id.get(),
            member_one_id: one.as_ref().map(|m| m.id),
            member_two_id: two.as_ref().map(|m| m.id),
            member_one: one,
            member_two: two,
        }
    }
}

/// A room's pinned messages, most recently pinned first.
#[derive(Serialize, ToSchema)]
pub struct PinsPageDto {
    pub items: Vec<MessageDto>,
}

/// The caller's read state in one room, after moving its marker.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerReadStateDto {
    pub last_read_id: Option<i64>,
    /// Messages after the marker, not the caller's, not deleted.
    pub unread: u64,
    /// Of those, the ones that mention the caller.
    pub mentions: u64,
}

impl From<&RoomUnread> for ServerReadStateDto {
    fn from(r: &RoomUnread) -> Self {
        Self {
            last_read_id: r.last_read_id.map(MessageId::get),
            unread: r.unread,
            mentions: r.mentions,
        }
    }
}

/// The caller's read state in one room of a server.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerRoomUnreadDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    pub last_read_id: Option<i64>,
    pub last_message_id: Option<i64>,
    pub unread: u64,
    pub mentions: u64,
}

/// Read state in every room of a server the caller may read.
#[derive(Serialize, ToSchema)]
pub struct ServerUnreadDto {
    pub rooms: Vec<ServerRoomUnreadDto>,
}

impl From<&RoomUnread> for ServerRoomUnreadDto {
    fn from(r: &RoomUnread) -> Self {
        let (channel_id, conversation_id) = room_ids(r.room);
        Self {
            channel_id,
            conversation_id,
            last_read_id: r.last_read_id.map(MessageId::get),
            last_message_id: r.last_message_id.map(MessageId::get),
            unread: r.unread,
            mentions: r.mentions,
        }
    }
}

impl From<&[RoomUnread]> for ServerUnreadDto {
    fn from(rooms: &[RoomUnread]) -> Self {
        Self {
            rooms: rooms.iter().map(ServerRoomUnreadDto::from).collect(),
        }
    }
}
