//! Members by membership id: change a role, kick.

use actix_web::HttpResponse;
use concord_domain::{MembershipId, Role, WorkspaceId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::ServerDto;
use super::{ServerQuery, in_server_dialect};
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::schema;

/// The new role: `ADMIN`, `MODERATOR` or `GUEST`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateMemberBody {
    #[schema(value_type = schema::Role, required)]
    role: Option<String>,
}

fn server(query: Query<ServerQuery>) -> WorkspaceId {
    WorkspaceId::new(query.into_inner().server_id.get())
}

/// Change a member's role: owner and admins; never the owner's or your own;
/// only the owner makes admins.
/// # Responses: 200 the server · 400 · 401 · 403 · 404 server or member not found
#[utoipa::path(patch, path = "/members/{memberId}", tag = "members", params(("memberId" = Id, Path), ServerQuery),
    request_body = UpdateMemberBody,
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn update_member(
    chat: Chat,
    me: AuthUser,
    PathId(member): PathId<MembershipId>,
    query: Query<ServerQuery>,
    body: Json<UpdateMemberBody>,
) -> Result<HttpResponse, ApiError> {
    let server = server(query);
    let role = match body.into_inner().role.as_deref().map(Role::parse) {
        Some(Some(role)) if role != Role::Owner => role,
        Some(_) => {
            return Err(ApiError::validation(vec![
                "Role must be one of ADMIN, MODERATOR, GUEST".into(),
            ]));
        }
        None => return Err(ApiError::validation(vec!["Role is required".into()])),
    };
    let view = run_mapped(
        &chat,
        move |s| s.members.change_role(me.id, server, member, role),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// Kick a member: owner and admins (anyone ranked below them), moderators
/// (guests); never the owner.
/// # Responses: 200 the server · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/members/{memberId}", tag = "members", params(("memberId" = Id, Path), ServerQuery),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn delete_member(
    chat: Chat,
    me: AuthUser,
    PathId(member): PathId<MembershipId>,
    query: Query<ServerQuery>,
) -> Result<HttpResponse, ApiError> {
    let server = server(query);
    let view = run_mapped(
        &chat,
        move |s| s.members.kick_member(me.id, server, member),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}
