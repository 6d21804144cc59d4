//! Channels and their member lists.

use actix_web::HttpResponse;
use concord_domain::workspace::parse_long_text;
use concord_domain::{
    ChannelId, ChannelKind, ChannelName, ChannelPatch, NewChannel, UserId, Validator, WorkspaceId,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{ChannelDto, NoticeDto};
use crate::error::{ApiError, Conflict, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, run};
use crate::routes::Chat;
use crate::schema;

/// A new channel. Any body `owner_id` or `workspace_id` is ignored: the
/// caller is the creator and the path names the workspace.
#[derive(Deserialize, ToSchema)]
pub struct CreateChannelBody {
    #[schema(value_type = schema::ChannelName, required)]
    name: Option<String>,
    #[schema(value_type = Option<schema::LongText>)]
    description: Option<String>,
    #[schema(value_type = Option<schema::LongText>)]
    topic: Option<String>,
    private: Option<bool>,
    /// `TEXT` (default), `AUDIO` or `VIDEO`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<schema::ChannelKind>)]
    kind: Option<String>,
}

impl CreateChannelBody {
    fn into_domain(self) -> Result<NewChannel, ApiError> {
        let mut v = Validator::new();
        let name = v.require("Name", self.name, |s| ChannelName::parse(&s));
        let description = v
            .optional(self.description, |s| parse_long_text(&s, "Description"))
            .flatten();
        let topic = v
            .optional(self.topic, |s| parse_long_text(&s, "Topic"))
            .flatten();
        let kind = v
            .optional(self.kind, |s| ChannelKind::parse(&s))
            .unwrap_or_default();
        v.finish(|| {
            Some(NewChannel {
                name: name?,
                kind,
                description,
                topic,
                private: self.private.unwrap_or(false),
            })
        })
        .map_err(|e| ApiError::validation(e.0))
    }
}

/// Changes to a channel; absent fields stay as they are, an empty description
/// or topic clears it.
#[derive(Deserialize, ToSchema)]
pub struct UpdateChannelBody {
    #[schema(value_type = Option<schema::ChannelName>)]
    name: Option<String>,
    #[schema(value_type = Option<schema::LongText>)]
    description: Option<String>,
    #[schema(value_type = Option<schema::LongText>)]
    topic: Option<String>,
    private: Option<bool>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<schema::ChannelKind>)]
    kind: Option<String>,
}

impl UpdateChannelBody {
    fn into_domain(self) -> Result<ChannelPatch, ApiError> {
        let mut v = Validator::new();
        let name = v.optional(self.name, |s| ChannelName::parse_in_patch(&s));
        let description = v.optional(self.description, |s| parse_long_text(&s, "Description"));
        let topic = v.optional(self.topic, |s| parse_long_text(&s, "Topic"));
        let kind = v.optional(self.kind, |s| ChannelKind::parse(&s));
        v.finish(|| {
            Some(ChannelPatch {
                name,
                kind,
                description,
                topic,
                private: self.private,
            })
        })
        .map_err(|e| ApiError::validation(e.0))
    }
}

/// The user to add to or remove from a channel.
#[derive(Deserialize, ToSchema)]
pub struct ChannelUserBody {
    #[serde(alias = "userId")]
    #[schema(value_type = Id, required)]
    user_id: Option<Id>,
}

impl ChannelUserBody {
    fn user(self) -> Result<UserId, ApiError> {
        self.user_id
            .map(|id| UserId::new(id.get()))
            .ok_or_else(|| ApiError::validation(vec!["User ID is required".into()]))
    }
}

/// The workspace's channels the caller may see: every public one, and the
/// private ones they belong to (all of them for the owner and admins).
/// # Responses: 200 · 400 · 401 · 403 not a member · 404 workspace not found
#[utoipa::path(get, path = "/api/workspaces/{workspaceId}/channels", tag = "channels", params(("workspaceId" = Id, Path)),
    responses((status = 200, body = Vec<ChannelDto>), Refusals), security(("bearer" = [])))]
pub async fn list_channels(
    chat: Chat,
    me: AuthUser,
    PathId(ws): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let channels = run(&chat, move |s| s.channels.list_channels(me.id, ws)).await?;
    Ok(HttpResponse::Ok().json(channels.iter().map(ChannelDto::from).collect::<Vec<_>>()))
}

/// Create a channel; the caller is its creator and first member.
/// # Responses: 201 · 400 · 401 · 403 · 404 workspace not found
#[utoipa::path(post, path = "/api/workspaces/{workspaceId}/channels", tag = "channels", params(("workspaceId" = Id, Path)),
    request_body = CreateChannelBody,
    responses((status = 201, body = ChannelDto), Refusals), security(("bearer" = [])))]
pub async fn create_channel(
    chat: Chat,
    me: AuthUser,
    PathId(ws): PathId<WorkspaceId>,
    body: Json<CreateChannelBody>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().into_domain()?;
    let channel = run(&chat, move |s| s.channels.create_channel(me.id, ws, new)).await?;
    Ok(HttpResponse::Created().json(ChannelDto::from(&channel)))
}

/// One channel, if the caller may see it.
/// # Responses: 200 · 400 · 401 · 403 · 404 channel not found
#[utoipa::path(get, path = "/api/channels/{id}", tag = "channels", params(("id" = Id, Path)),
    responses((status = 200, body = ChannelDto), Refusals), security(("bearer" = [])))]
pub async fn get_channel(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
) -> Result<HttpResponse, ApiError> {
    let channel = run(&chat, move |s| s.channels.get_channel(me.id, id)).await?;
    Ok(HttpResponse::Ok().json(ChannelDto::from(&channel)))
}

/// Edit a channel; its creator and moderators and up. `general` keeps its name.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/channels/{id}", tag = "channels", params(("id" = Id, Path)), request_body = UpdateChannelBody,
    responses((status = 200, body = ChannelDto), Refusals), security(("bearer" = [])))]
pub async fn update_channel(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    body: Json<UpdateChannelBody>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_domain()?;
    let channel = run(&chat, move |s| s.channels.update_channel(me.id, id, patch)).await?;
    Ok(HttpResponse::Ok().json(ChannelDto::from(&channel)))
}

/// Delete a channel and its messages; its creator and moderators and up, never `general`.
/// # Responses: 204 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/channels/{id}", tag = "channels", params(("id" = Id, Path)),
    responses((status = 204), Refusals), security(("bearer" = [])))]
pub async fn delete_channel(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.channels.delete_channel(me.id, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a workspace member to a channel.
/// # Responses: 201 · 400 · 401 · 403 · 404 channel, user or workspace membership missing · 409 already in channel
#[utoipa::path(post, path = "/api/channels/{id}/users", tag = "channels", params(("id" = Id, Path)), request_body = ChannelUserBody,
    responses((status = 201, body = NoticeDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn add_channel_user(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    body: Json<ChannelUserBody>,
) -> Result<HttpResponse, ApiError> {
    let user = body.into_inner().user()?;
    run(&chat, move |s| s.channels.add_to_channel(me.id, id, user)).await?;
    Ok(HttpResponse::Created().json(NoticeDto::new("User added to channel successfully")))
}

/// Remove a user from a channel: its creator, the owner, admins, or the user themself.
/// # Responses: 200 · 400 · 401 · 403 · 404 channel not found or user not in it
#[utoipa::path(delete, path = "/api/channels/{id}/users", tag = "channels", params(("id" = Id, Path)), request_body = ChannelUserBody,
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn remove_channel_user(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    body: Json<ChannelUserBody>,
) -> Result<HttpResponse, ApiError> {
    let user = body.into_inner().user()?;
    run(&chat, move |s| {
        s.channels.remove_from_channel(me.id, id, user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("User successfully removed from channel")))
}
