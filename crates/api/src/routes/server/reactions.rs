//! Reactions and pins (API.md section 7), in the server dialect: the room
//! is named in the query as for editing, and the answer is the message.

use actix_web::HttpResponse;
use actix_web::web::Path;
use concord_app::{Authored, ServerTarget};
use concord_domain::{ChannelId, ConversationId, MessageId, WorkspaceId};

use super::dto::{Authors, MessageDto, PinsPageDto};
use super::messages::{
    ChannelMessageQuery, ConversationQuery, channel_target, conversation_target, respond,
};
use super::{ServerQuery, in_server_dialect};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::routes::workspace::reactions::emoji;
use crate::schema;

async fn react(
    chat: Chat,
    me: AuthUser,
    target: ServerTarget,
    path: Path<(Id, String)>,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let id = MessageId::new(id.get());
    let emoji = emoji(&raw)?;
    respond(&chat, false, move |s| {
        s.messages
            .set_reaction_in_server(me.id, target, id, &emoji, on)
    })
    .await
}

async fn pin(
    chat: Chat,
    me: AuthUser,
    target: ServerTarget,
    id: MessageId,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    respond(&chat, false, move |s| {
        s.messages.set_pin_in_server(me.id, target, id, on)
    })
    .await
}

async fn pins(chat: Chat, me: AuthUser, target: ServerTarget) -> Result<HttpResponse, ApiError> {
    let Authored { value, members } = run_mapped(
        &chat,
        move |s| s.messages.pins_with_authors(me.id, target),
        in_server_dialect,
    )
    .await?;
    let authors = Authors::new(members);
    Ok(HttpResponse::Ok().json(PinsPageDto {
        items: value.iter().map(|m| MessageDto::new(m, &authors)).collect(),
    }))
}

/// React to a message of a channel with an emoji (URL-encoded) or a
/// `:shortcode:`; whoever may post there. Adding it again changes nothing.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/socket/messages/{messageId}/reactions/{emoji}", tag = "server messages",
    params(("messageId" = Id, Path), ("emoji" = schema::EmojiParam, Path), ChannelMessageQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn add_server_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
    query: Query<ChannelMessageQuery>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, channel_target(&query), path, true).await
}

/// Take back the caller's reaction to a message of a channel.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/messages/{messageId}/reactions/{emoji}", tag = "server messages",
    params(("messageId" = Id, Path), ("emoji" = schema::EmojiParam, Path), ChannelMessageQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn remove_server_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
    query: Query<ChannelMessageQuery>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, channel_target(&query), path, false).await
}

/// React to a direct message.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/socket/direct-messages/{directMessageId}/reactions/{emoji}", tag = "server messages",
    params(("directMessageId" = Id, Path), ("emoji" = schema::EmojiParam, Path), ConversationQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn add_server_direct_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
    query: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, conversation_target(&query), path, true).await
}

/// Take back the caller's reaction to a direct message.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/direct-messages/{directMessageId}/reactions/{emoji}", tag = "server messages",
    params(("directMessageId" = Id, Path), ("emoji" = schema::EmojiParam, Path), ConversationQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn remove_server_direct_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
    query: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, conversation_target(&query), path, false).await
}

/// Pin a message of a channel: its creator and moderators and up.
/// # Responses: 200 the message · 400 50 pins already · 401 · 403 · 404
#[utoipa::path(put, path = "/socket/messages/{messageId}/pin", tag = "server messages",
    params(("messageId" = Id, Path), ChannelMessageQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn pin_server_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ChannelMessageQuery>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, channel_target(&query), id, true).await
}

/// Unpin a message of a channel.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/messages/{messageId}/pin", tag = "server messages",
    params(("messageId" = Id, Path), ChannelMessageQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn unpin_server_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ChannelMessageQuery>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, channel_target(&query), id, false).await
}

/// Pin a direct message: any participant.
/// # Responses: 200 the message · 400 50 pins already · 401 · 403 · 404
#[utoipa::path(put, path = "/socket/direct-messages/{directMessageId}/pin", tag = "server messages",
    params(("directMessageId" = Id, Path), ConversationQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn pin_server_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, conversation_target(&query), id, true).await
}

/// Unpin a direct message.
/// # Responses: 200 the message · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/direct-messages/{directMessageId}/pin", tag = "server messages",
    params(("directMessageId" = Id, Path), ConversationQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn unpin_server_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, conversation_target(&query), id, false).await
}

/// A channel's pinned messages, most recently pinned first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/channels/{channelId}/pins", tag = "server messages",
    params(("channelId" = Id, Path), ServerQuery),
    responses((status = 200, body = PinsPageDto), Refusals), security(("bearer" = [])))]
pub async fn list_server_channel_pins(
    chat: Chat,
    me: AuthUser,
    PathId(channel): PathId<ChannelId>,
    query: Query<ServerQuery>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.server_id.get());
    pins(chat, me, ServerTarget::Channel { server, channel }).await
}

/// A conversation's pinned messages, most recently pinned first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/conversations/{conversationId}/pins", tag = "server messages",
    params(("conversationId" = Id, Path)),
    responses((status = 200, body = PinsPageDto), Refusals), security(("bearer" = [])))]
pub async fn list_server_conversation_pins(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
) -> Result<HttpResponse, ApiError> {
    pins(chat, me, ServerTarget::Conversation(id)).await
}
