//! Reactions and pins (API.md section 7), in the workspace dialect: a
//! message is named by its id alone.

use actix_web::HttpResponse;
use actix_web::web::Path;
use concord_domain::{ChannelId, ConversationId, Emoji, MessageId, Room};

use super::dto::PinsDto;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, PathId, run};
use crate::routes::Chat;
use crate::schema;

/// The `{messageId}/reactions/{emoji}` of a path: the emoji arrives
/// percent-decoded.
pub(crate) fn emoji(raw: &str) -> Result<Emoji, ApiError> {
    Emoji::parse(raw).map_err(|e| ApiError::validation(e.0))
}

async fn react(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let id = MessageId::new(id.get());
    let emoji = emoji(&raw)?;
    run(&chat, move |s| {
        s.messages.set_reaction(me.id, id, &emoji, on)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn pin(chat: Chat, me: AuthUser, id: MessageId, on: bool) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.messages.set_pin(me.id, id, on)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn pins(chat: Chat, me: AuthUser, room: Room) -> Result<HttpResponse, ApiError> {
    let pins = run(&chat, move |s| s.messages.pins(me.id, room)).await?;
    Ok(HttpResponse::Ok().json(PinsDto::from(pins.as_slice())))
}

/// React to a message with an emoji (URL-encoded) or a shortcode like
/// `:thumbsup:`; whoever may post in its room. Adding it again changes nothing.
/// # Responses: 204 · 400 bad emoji, or 20 different ones already · 401 · 404 message not found (or deleted, or not readable)
#[utoipa::path(put, path = "/api/messages/{messageId}/reactions/{emoji}", tag = "reactions",
    params(("messageId" = Id, Path), ("emoji" = schema::EmojiParam, Path)),
    responses((status = 204, description = "Reacted"), Refusals), security(("bearer" = [])))]
pub async fn add_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, path, true).await
}

/// Take back the caller's reaction (204 also when there was none).
/// # Responses: 204 · 400 · 401 · 404
#[utoipa::path(delete, path = "/api/messages/{messageId}/reactions/{emoji}", tag = "reactions",
    params(("messageId" = Id, Path), ("emoji" = schema::EmojiParam, Path)),
    responses((status = 204, description = "Reaction removed"), Refusals), security(("bearer" = [])))]
pub async fn remove_reaction(
    chat: Chat,
    me: AuthUser,
    path: Path<(Id, String)>,
) -> Result<HttpResponse, ApiError> {
    react(chat, me, path, false).await
}

/// Pin a message: in a channel its creator and moderators and up, in a
/// direct message any participant. At most 50 pins per room.
/// # Responses: 204 · 400 50 pins already · 401 · 403 · 404
#[utoipa::path(put, path = "/api/messages/{messageId}/pin", tag = "pins",
    params(("messageId" = Id, Path)),
    responses((status = 204, description = "Pinned"), Refusals), security(("bearer" = [])))]
pub async fn pin_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, id, true).await
}

/// Unpin a message; the same people as pinning.
/// # Responses: 204 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/messages/{messageId}/pin", tag = "pins",
    params(("messageId" = Id, Path)),
    responses((status = 204, description = "Unpinned"), Refusals), security(("bearer" = [])))]
pub async fn unpin_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
) -> Result<HttpResponse, ApiError> {
    pin(chat, me, id, false).await
}

/// A channel's pinned messages, most recently pinned first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/channels/{id}/pins", tag = "pins", params(("id" = Id, Path)),
    responses((status = 200, body = PinsDto), Refusals), security(("bearer" = [])))]
pub async fn list_channel_pins(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
) -> Result<HttpResponse, ApiError> {
    pins(chat, me, Room::Channel(id)).await
}

/// A direct message's pinned messages, most recently pinned first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/direct_messages/{id}/pins", tag = "pins", params(("id" = Id, Path)),
    responses((status = 200, body = PinsDto), Refusals), security(("bearer" = [])))]
pub async fn list_direct_message_pins(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
) -> Result<HttpResponse, ApiError> {
    pins(chat, me, Room::Conversation(id)).await
}
