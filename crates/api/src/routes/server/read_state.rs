//! Read markers and unread counts (API.md section 7), in the server dialect.

use actix_web::HttpResponse;
use concord_app::ServerTarget;
use concord_domain::{ChannelId, ConversationId, WorkspaceId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{ServerReadStateDto, ServerUnreadDto};
use super::{ServerQuery, in_server_dialect};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::routes::workspace::read_state::marked;

/// Where the caller has read up to.
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerMarkReadBody)]
#[serde(rename_all = "camelCase")]
pub struct MarkReadBody {
    /// The last message read, of this room.
    #[serde(alias = "message_id")]
    #[schema(value_type = Id, required)]
    message_id: Option<Id>,
    /// Move the marker back too (mark as unread).
    #[serde(default)]
    force: bool,
}

async fn mark(
    chat: Chat,
    me: AuthUser,
    target: ServerTarget,
    body: MarkReadBody,
) -> Result<HttpResponse, ApiError> {
    let message = marked(body.message_id, "messageId")?;
    let force = body.force;
    let state = run_mapped(
        &chat,
        move |s| {
            s.read_state
                .mark_read_in_server(me.id, target, message, force)
        },
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerReadStateDto::from(&state)))
}

/// Move the caller's read marker in a channel: forward only, unless `force`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/channels/{channelId}/read", tag = "server channels",
    params(("channelId" = Id, Path), ServerQuery), request_body = MarkReadBody,
    responses((status = 200, body = ServerReadStateDto), Refusals), security(("bearer" = [])))]
pub async fn mark_server_channel_read(
    chat: Chat,
    me: AuthUser,
    PathId(channel): PathId<ChannelId>,
    query: Query<ServerQuery>,
    body: Json<MarkReadBody>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.server_id.get());
    mark(
        chat,
        me,
        ServerTarget::Channel { server, channel },
        body.into_inner(),
    )
    .await
}

/// Move the caller's read marker in a conversation: forward only, unless `force`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/conversations/{conversationId}/read", tag = "server messages",
    params(("conversationId" = Id, Path)), request_body = MarkReadBody,
    responses((status = 200, body = ServerReadStateDto), Refusals), security(("bearer" = [])))]
pub async fn mark_server_conversation_read(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
    body: Json<MarkReadBody>,
) -> Result<HttpResponse, ApiError> {
    mark(chat, me, ServerTarget::Conversation(id), body.into_inner()).await
}

/// The caller's read state in every room of a server they may read.
/// # Responses: 200 · 400 · 401 · 403 not a member · 404
#[utoipa::path(get, path = "/servers/{serverId}/unread", tag = "servers",
    params(("serverId" = Id, Path)),
    responses((status = 200, body = ServerUnreadDto), Refusals), security(("bearer" = [])))]
pub async fn server_unread(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let rooms = run_mapped(
        &chat,
        move |s| s.read_state.unread(me.id, id),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerUnreadDto::from(rooms.as_slice())))
}
