//! Servers: create, edit, delete, leave, and join or regenerate by invite code.

use actix_web::{HttpResponse, web};
use concord_domain::user::parse_image_url;
use concord_domain::{InviteCode, Validator, WorkspaceId, WorkspaceName, WorkspacePatch};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::ServerDto;
use super::in_server_dialect;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, from_json_bytes, run_mapped};
use crate::routes::Chat;
use crate::schema;

/// A new server.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateServerBody {
    #[schema(value_type = schema::Name, required)]
    name: Option<String>,
    #[serde(alias = "image_url")]
    #[schema(value_type = Option<schema::Url>)]
    image_url: Option<String>,
}

/// Changes to a server; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateServerBody {
    #[schema(value_type = Option<schema::Name>)]
    name: Option<String>,
    #[serde(alias = "image_url")]
    #[schema(value_type = Option<schema::Url>)]
    image_url: Option<String>,
}

/// With `inviteCode`, join; without, regenerate the code (owner and admins).
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct InviteCodeBody {
    #[serde(alias = "invite_code")]
    #[schema(pattern = r"^[^\x00]*$")]
    invite_code: Option<String>,
}

/// Create a server: the caller owns it, it gets an invite code and a `general`
/// TEXT channel, and only moderators and up create channels in it.
/// # Responses: 201 · 400 · 401
#[utoipa::path(post, path = "/servers", tag = "servers", request_body = CreateServerBody,
    responses((status = 201, body = ServerDto)),
    security(("bearer" = [])))]
pub async fn create_server(
    chat: Chat,
    me: AuthUser,
    body: Json<CreateServerBody>,
) -> Result<HttpResponse, ApiError> {
    let CreateServerBody { name, image_url } = body.into_inner();
    let mut v = Validator::new();
    let name = v.require("Name", name, |s| WorkspaceName::parse(&s));
    let image_url = v.optional(image_url, |s| parse_image_url(&s)).flatten();
    let name = v.finish(|| name).map_err(|e| ApiError::validation(e.0))?;
    let view = run_mapped(
        &chat,
        move |s| s.workspaces.create_server(me.id, name, image_url),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Created().json(ServerDto::from(&view)))
}

/// Rename a server or change its image; owner and admins.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/servers/{serverId}", tag = "servers", params(("serverId" = Id, Path)), request_body = UpdateServerBody,
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn update_server(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
    body: Json<UpdateServerBody>,
) -> Result<HttpResponse, ApiError> {
    let UpdateServerBody { name, image_url } = body.into_inner();
    let mut v = Validator::new();
    let name = v.optional(name, |s| WorkspaceName::parse(&s));
    let image_url = v.optional(image_url, |s| parse_image_url(&s));
    let patch = v
        .finish(|| {
            Some(WorkspacePatch {
                name,
                description: None,
                image_url,
            })
        })
        .map_err(|e| ApiError::validation(e.0))?;
    let view = run_mapped(
        &chat,
        move |s| s.workspaces.update_server(me.id, id, patch),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// Delete a server and everything in it; the owner alone. Returns it as it was.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/servers/{serverId}", tag = "servers", params(("serverId" = Id, Path)),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn delete_server(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let view = run_mapped(
        &chat,
        move |s| s.workspaces.delete_server(me.id, id),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// Leave a server; anyone but the owner. Returns the server without the caller.
/// # Responses: 200 · 400 · 401 · 403 owner · 404
#[utoipa::path(patch, path = "/servers/{serverId}/leave", tag = "servers", params(("serverId" = Id, Path)),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn leave_server(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let view = run_mapped(
        &chat,
        move |s| s.members.leave_server(me.id, id),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// With `{"inviteCode"}`: join as a guest (already a member: no change; a wrong
/// code: 404, whatever the server). Without: regenerate the code (owner, admins).
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/servers/{serverId}/invite-code", tag = "servers", params(("serverId" = Id, Path)),
    request_body(content = Option<InviteCodeBody>),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn invite_code(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<WorkspaceId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // An empty body means "regenerate": the seed's client sends none. So
    // does `null`, which the document allows as the JSON spelling of none.
    let none =
        body.iter().all(u8::is_ascii_whitespace) || serde_json::from_slice::<()>(&body).is_ok();
    let body: InviteCodeBody = if none {
        InviteCodeBody::default()
    } else {
        from_json_bytes(&body)?
    };
    let view = match body.invite_code {
        Some(raw) => {
            let Some(code) = InviteCode::parse(&raw) else {
                return Err(in_server_dialect(concord_app::ServiceError::NotFound(
                    concord_app::Missing::InviteCode,
                )));
            };
            run_mapped(
                &chat,
                move |s| s.members.join_with_invite(me.id, id, &code),
                in_server_dialect,
            )
            .await?
        }
        None => {
            run_mapped(
                &chat,
                move |s| s.workspaces.regenerate_invite_code(me.id, id),
                in_server_dialect,
            )
            .await?
        }
    };
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}
