//! Bans: keep a user out of a workspace until the ban is lifted.

use actix_web::{HttpResponse, web};
use concord_domain::workspace::parse_ban_reason;
use concord_domain::{UserId, Validator, WorkspaceId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::BanDto;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, PathId, from_json_bytes, run};
use crate::routes::Chat;
use crate::schema;

/// Why the user is banned; optional, at most 1,000 characters. The body
/// itself may be left out.
#[derive(Deserialize, ToSchema, Default)]
pub struct BanBody {
    #[schema(value_type = Option<schema::LongText>)]
    reason: Option<String>,
}

/// The reason in a ban's body, which may be empty or `null` (no reason).
/// # Errors
/// 400 for malformed JSON, a reason that is not a string or one over 1,000
/// characters.
pub(crate) fn ban_reason(body: &[u8]) -> Result<Option<String>, ApiError> {
    let none =
        body.iter().all(u8::is_ascii_whitespace) || serde_json::from_slice::<()>(body).is_ok();
    let body: BanBody = if none {
        BanBody::default()
    } else {
        from_json_bytes(body)?
    };
    let mut v = Validator::new();
    let reason = v.optional(body.reason, |s| parse_ban_reason(&s)).flatten();
    v.finish(|| Some(reason))
        .map_err(|e| ApiError::validation(e.0))
}

/// Ban a user: they are removed from the workspace and cannot join with the
/// invite code nor be added until the ban is lifted. Who may: as for
/// kicking; a user who is not a member may be banned ahead (ranked as a
/// guest). Banning again replaces the reason.
/// # Responses: 204 · 400 · 401 · 403 · 404 workspace or user not found
#[utoipa::path(put, path = "/api/workspaces/{workspaceId}/bans/{userId}", tag = "workspaces",
    params(("workspaceId" = Id, Path), ("userId" = Id, Path)), request_body(content = Option<BanBody>),
    responses((status = 204), Refusals), security(("bearer" = [])))]
pub async fn ban_member(
    chat: Chat,
    me: AuthUser,
    PathId(ids): PathId<(WorkspaceId, UserId)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (ws, user) = ids;
    let reason = ban_reason(&body)?;
    run(&chat, move |s| {
        s.members.ban_member(me.id, ws, user, reason)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a ban; whoever could have placed it may. No ban to lift: 204 all
/// the same.
/// # Responses: 204 · 400 · 401 · 403 · 404 workspace not found
#[utoipa::path(delete, path = "/api/workspaces/{workspaceId}/bans/{userId}", tag = "workspaces",
    params(("workspaceId" = Id, Path), ("userId" = Id, Path)),
    responses((status = 204), Refusals), security(("bearer" = [])))]
pub async fn lift_ban(
    chat: Chat,
    me: AuthUser,
    PathId(ids): PathId<(WorkspaceId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, user) = ids;
    run(&chat, move |s| s.members.lift_ban(me.id, ws, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The workspace's bans, oldest first; owner, admins and moderators.
/// # Responses: 200 · 400 · 401 · 403 · 404 workspace not found
#[utoipa::path(get, path = "/api/workspaces/{workspaceId}/bans", tag = "workspaces",
    params(("workspaceId" = Id, Path)),
    responses((status = 200, body = Vec<BanDto>), Refusals), security(("bearer" = [])))]
pub async fn list_bans(
    chat: Chat,
    me: AuthUser,
    PathId(ws): PathId<WorkspaceId>,
) -> Result<HttpResponse, ApiError> {
    let bans = run(&chat, move |s| s.members.bans_of(me.id, ws)).await?;
    Ok(HttpResponse::Ok().json(bans.iter().map(BanDto::from).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_needs_no_body_and_a_reason_is_trimmed() {
        assert_eq!(ban_reason(b"").unwrap(), None);
        assert_eq!(ban_reason(b"{}").unwrap(), None);
        assert_eq!(ban_reason(br#"{"reason": null}"#).unwrap(), None);
        assert_eq!(
            ban_reason(br#"{"reason": "  spam  "}"#).unwrap().as_deref(),
            Some("spam")
        );
    }

    #[test]
    fn a_bad_reason_is_a_validation_error() {
        let long = format!(r#"{{"reason": "{}"}}"#, "r".repeat(1001));
        for bad in [long.as_bytes(), br#"{"reason": 5}"#, b"{", b"[1]"] {
            let err = ban_reason(bad).unwrap_err();
            assert_eq!(
                err.status(),
                actix_web::http::StatusCode::BAD_REQUEST,
                "{err}"
            );
        }
    }
}
