//! Bans by user (`profileId`), answered with the server as the other server
//! routes answer.

use actix_web::{HttpResponse, web};
use concord_domain::{UserId, WorkspaceId};

use super::dto::{ServerBanDto, ServerDto};
use super::in_server_dialect;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, PathId, run_mapped};
use crate::routes::Chat;
use crate::routes::workspace::bans::{BanBody, ban_reason};

/// Ban a user from the server, with an optional `{"reason"}`: they are
/// removed and cannot join with the invite code until the ban is lifted.
/// Who may: as for kicking. Returns the server without them.
/// # Responses: 200 the server · 400 · 401 · 403 · 404 server or user not found
#[utoipa::path(put, path = "/servers/{serverId}/bans/{profileId}", tag = "servers",
    params(("serverId" = Id, Path), ("profileId" = Id, Path)), request_body(content = Option<BanBody>),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn ban_server_member(
    chat: Chat,
    me: AuthUser,
    PathId(ids): PathId<(WorkspaceId, UserId)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (server, user) = ids;
    let reason = ban_reason(&body)?;
    let view = run_mapped(
        &chat,
        move |s| s.members.ban_from_server(me.id, server, user, reason),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// Lift a ban; whoever could have placed it may. No ban to lift: 200 all the
/// same.
/// # Responses: 200 the server · 400 · 401 · 403 · 404 server not found
#[utoipa::path(delete, path = "/servers/{serverId}/bans/{profileId}", tag = "servers",
    params(("serverId" = Id, Path), ("profileId" = Id, Path)),
    responses((status = 200, body = ServerDto), Refusals), security(("bearer" = [])))]
pub async fn lift_server_ban(
    chat: Chat,
    me: AuthUser,
    PathId(ids): PathId<(WorkspaceId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (server, user) = ids;
    let view = run_mapped(
        &chat,
        move |s| s.members.lift_server_ban(me.id, server, user),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ServerDto::from(&view)))
}

/// The server's bans, oldest first; owner, admins and moderators.
/// # Responses: 200 · 400 · 401 · 403 · 404 server not found
#[utoipa::path(get, path = "/servers/{serverId}/bans", tag = "servers", params(("serverId" = Id, Path)),
    responses((status = 200, body = Vec<ServerBanDto>), Refusals), security(("bearer" = [])))]
pub async fn list_server_bans(
    chat: Chat,
    me: AuthUser,
    PathId(server): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let bans = run_mapped(
        &chat,
        move |s| s.members.bans_of(me.id, server),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(bans.iter().map(ServerBanDto::from).collect::<Vec<_>>()))
}
