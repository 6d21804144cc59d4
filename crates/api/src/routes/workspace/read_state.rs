//! Read markers and unread counts (API.md section 7), in the workspace dialect.

use actix_web::HttpResponse;
use concord_domain::{ChannelId, ConversationId, MessageId, Room, WorkspaceId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{ReadStateDto, UnreadDto};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, run};
use crate::routes::Chat;

/// Where the caller has read up to.
#[derive(Deserialize, ToSchema)]
pub struct MarkReadBody {
    /// The last message read, of this room.
    #[schema(value_type = Id, required)]
    message_id: Option<Id>,
    /// Move the marker back too (mark as unread).
    #[serde(default)]
    force: bool,
}

pub(crate) fn marked(raw: Option<Id>, field: &str) -> Result<MessageId, ApiError> {
    raw.map(|id| MessageId::new(id.get()))
        .ok_or_else(|| ApiError::invalid_body(vec![format!("{field} is required")]))
}

async fn mark(
    chat: Chat,
    me: AuthUser,
    room: Room,
    body: MarkReadBody,
) -> Result<HttpResponse, ApiError> {
    let message = marked(body.message_id, "message_id")?;
    let force = body.force;
    let state = run(&chat, move |s| {
        s.read_state.mark_read(me.id, room, message, force)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReadStateDto::from(&state)))
}

/// Move the caller's read marker in a channel: forward only, unless `force`.
/// # Responses: 200 · 400 · 401 · 403 · 404 channel, or message of it, not found
#[utoipa::path(put, path = "/api/channels/{id}/read", tag = "read state", params(("id" = Id, Path)),
    request_body = MarkReadBody,
    responses((status = 200, body = ReadStateDto), Refusals), security(("bearer" = [])))]
pub async fn mark_channel_read(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    body: Json<MarkReadBody>,
) -> Result<HttpResponse, ApiError> {
    mark(chat, me, Room::Channel(id), body.into_inner()).await
}

/// Move the caller's read marker in a direct message: forward only, unless `force`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/direct_messages/{id}/read", tag = "read state", params(("id" = Id, Path)),
    request_body = MarkReadBody,
    responses((status = 200, body = ReadStateDto), Refusals), security(("bearer" = [])))]
pub async fn mark_direct_message_read(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
    body: Json<MarkReadBody>,
) -> Result<HttpResponse, ApiError> {
    mark(chat, me, Room::Conversation(id), body.into_inner()).await
}

/// The caller's read state in every room of a workspace they may read.
/// # Responses: 200 · 400 · 401 · 403 not a member · 404
#[utoipa::path(get, path = "/api/workspaces/{id}/unread", tag = "read state", params(("id" = Id, Path)),
    responses((status = 200, body = UnreadDto), Refusals), security(("bearer" = [])))]
pub async fn workspace_unread(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let rooms = run(&chat, move |s| s.read_state.unread(me.id, id)).await?;
    Ok(HttpResponse::Ok().json(UnreadDto::from(rooms.as_slice())))
}
