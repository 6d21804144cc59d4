//! Channels of a server, named by `?serverId=`.

use actix_web::HttpResponse;
use concord_domain::{
    ChannelId, ChannelKind, ChannelName, ChannelPatch, NewChannel, Validator, WorkspaceId,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::ServerDto;
use super::{ServerQuery, in_server_dialect};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::schema;

/// A channel's name and type (`TEXT`, `AUDIO`, `VIDEO`; `TEXT` by default).
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerChannelBody)]
pub struct ChannelBody {
    #[schema(value_type = schema::ChannelName, required)]
    name: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<schema::ChannelKind>)]
    kind: Option<String>,
}

/// Changes to a channel: absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerChannelPatchBody)]
pub struct ChannelPatchBody {
    #[schema(value_type = Option<schema::ChannelName>)]
    name: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<schema::ChannelKind>)]
    kind: Option<String>,
}

/// Create a channel: any member where the server lets members create
/// channels, else moderators and up. `general` is reserved (400).
/// # Responses: 201 the server · 400 · 401 · 403 · 404
#[utoipa::path(post, path = "/channels", tag = "server channels", params(ServerQuery), request_body = ChannelBody,
    responses((status = 201, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn create_server_channel(
    chat: Chat,
    me: AuthUser,
    query: Query<ServerQuery>,
    body: Json<ChannelBody>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.into_inner().server_id.get());
    let ChannelBody { name, kind } = body.into_inner();
    let mut v = Validator::new();
    let name = v.require("Name", name, |s| ChannelName::parse(&s));
    let kind = v
        .optional(kind, |s| ChannelKind::parse(&s))
        .unwrap_or_default();
    let new = v
        .finish(|| {
            Some(NewChannel {
                name: name?,
                kind,
                description: None,
                topic: None,
                private: false,
            })
        })
        .map_err(|e| ApiError::validation(e.0))?;
    let view = run_mapped(
        &chat,
        move |s| s.channels.create_in_server(me.id, server, new),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Created().json(ServerDto::from(&view)))
}

/// Rename or retype a channel: its creator, moderators and up; `general` keeps its name.
/// # Responses: 200 the server · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/channels/{channelId}", tag = "server channels", params(("channelId" = Id, Path), ServerQuery),
    request_body = ChannelPatchBody,
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn update_server_channel(
    chat: Chat,
    me: AuthUser,
    PathId(channel): PathId<ChannelId>,
    query: Query<ServerQuery>,
    body: Json<ChannelPatchBody>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.into_inner().server_id.get());
    let ChannelPatchBody { name, kind } = body.into_inner();
    let mut v = Validator::new();
    let name = v.optional(name, |s| ChannelName::parse_in_patch(&s));
    let kind = v.optional(kind, |s| ChannelKind::parse(&s));
    let patch = v
        .finish(|| {
            Some(ChannelPatch {
                name,
                kind,
                ..Default::default()
            })
        })
        .map_err(|e| ApiError::validation(e.0))?;
    let view = run_mapped(
        &chat,
        move |s| s.channels.update_in_server(me.id, server, channel, patch),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// Delete a channel: its creator, moderators and up; never `general`.
/// # Responses: 200 the server · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/channels/{channelId}", tag = "server channels", params(("channelId" = Id, Path), ServerQuery),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn delete_server_channel(
    chat: Chat,
    me: AuthUser,
    PathId(channel): PathId<ChannelId>,
    query: Query<ServerQuery>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.into_inner().server_id.get());
    let view = run_mapped(
        &chat,
        move |s| s.channels.delete_in_server(me.id, server, channel),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}
