//! Direct messages (conversations) of the workspace dialect.

use actix_web::HttpResponse;
use concord_domain::workspace::parse_long_text;
use concord_domain::{ConversationId, Invalid, NewConversation, UserId, Validator, WorkspaceId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{DirectMessageDto, NoticeDto};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run};
use crate::routes::Chat;
use crate::schema;

/// A new conversation of the caller and `users`, all workspace members. The
/// caller may be among `users`; naming only the caller makes a conversation
/// of the caller alone (notes to self).
#[derive(Deserialize, ToSchema)]
pub struct CreateDirectMessageBody {
    #[schema(value_type = Vec<Id>, required, min_items = 1)]
    users: Option<Vec<Id>>,
    #[schema(value_type = Option<schema::LongText>)]
    topic: Option<String>,
}

/// A new topic; an empty string clears it.
#[derive(Deserialize, ToSchema)]
pub struct UpdateDirectMessageBody {
    #[schema(value_type = schema::LongText, required)]
    topic: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDirectMessagesQuery {
    /// Only conversations of this workspace.
    #[serde(alias = "workspaceId")]
    workspace_id: Option<Id>,
}

/// Start a conversation in a workspace.
/// # Responses: 201 · 400 · 401 · 403 not a member · 404 workspace missing or a user not in it
#[utoipa::path(post, path = "/api/workspaces/{workspaceId}/direct_messages", tag = "direct messages",
    params(("workspaceId" = Id, Path)), request_body = CreateDirectMessageBody,
    responses((status = 201, body = DirectMessageDto), Refusals), security(("bearer" = [])))]
pub async fn create_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(ws): PathId<WorkspaceId>,
    body: Json<CreateDirectMessageBody>,
) -> Result<HttpResponse, ApiError> {
    let CreateDirectMessageBody { users, topic } = body.into_inner();
    let mut v = Validator::new();
    let users = v.require("Users", users, |users| {
        if users.is_empty() {
            Err(Invalid::one(
                "Users must name at least one workspace member",
            ))
        } else {
            Ok(users)
        }
    });
    let topic = v
        .optional(topic, |s| parse_long_text(&s, "Topic"))
        .flatten();
    let users = v.finish(|| users).map_err(|e| ApiError::validation(e.0))?;
    let new = NewConversation::new(
        me.id,
        topic,
        users.into_iter().map(|u| UserId::new(u.get())),
    );
    let conversation = run(&chat, move |s| {
        s.conversations.create_conversation(me.id, ws, new)
    })
    .await?;
    Ok(HttpResponse::Created().json(DirectMessageDto::from(&conversation)))
}

/// The caller's conversations, optionally of one workspace.
/// # Responses: 200 · 400 · 401
#[utoipa::path(get, path = "/api/direct_messages", tag = "direct messages", params(ListDirectMessagesQuery),
    responses((status = 200, body = Vec<DirectMessageDto>)),
    security(("bearer" = [])))]
pub async fn list_direct_messages(
    chat: Chat,
    me: AuthUser,
    query: Query<ListDirectMessagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let ws = query
        .into_inner()
        .workspace_id
        .map(|id| WorkspaceId::new(id.get()));
    let list = run(&chat, move |s| {
        s.conversations.list_conversations(me.id, ws)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(DirectMessageDto::from).collect::<Vec<_>>()))
}

/// One conversation; participants only.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/direct_messages/{id}", tag = "direct messages", params(("id" = Id, Path)),
    responses((status = 200, body = DirectMessageDto), Refusals), security(("bearer" = [])))]
pub async fn get_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
) -> Result<HttpResponse, ApiError> {
    let conversation = run(&chat, move |s| s.conversations.get_conversation(me.id, id)).await?;
    Ok(HttpResponse::Ok().json(DirectMessageDto::from(&conversation)))
}

/// Retitle a conversation; its creator alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/direct_messages/{id}", tag = "direct messages", params(("id" = Id, Path)),
    request_body = UpdateDirectMessageBody,
    responses((status = 200, body = DirectMessageDto), Refusals), security(("bearer" = [])))]
pub async fn update_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
    body: Json<UpdateDirectMessageBody>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let topic = v.require("Topic", body.into_inner().topic, |s| {
        parse_long_text(&s, "Topic")
    });
    let topic = v.finish(|| topic).map_err(|e| ApiError::validation(e.0))?;
    let conversation = run(&chat, move |s| {
        s.conversations.set_conversation_topic(me.id, id, topic)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DirectMessageDto::from(&conversation)))
}

/// Delete a conversation and its messages; its creator alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/direct_messages/{id}", tag = "direct messages", params(("id" = Id, Path)),
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn delete_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| {
        s.conversations.delete_conversation(me.id, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("Direct message succesfully deleted")))
}
