//! `GET /api/workspaces/:workspaceId/search`: full-text search over the
//! messages of a workspace that the caller may read, newest first, paged
//! like history.

use actix_web::HttpResponse;
use concord_app::SearchMessages;
use concord_domain::{MessageId, RoomId, SearchQuery, UserId, Validator, WorkspaceId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::HistoryDto;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, PathId, Query, run};
use crate::routes::Chat;
use crate::schema;

/// `?q=&from=&in=&before=&limit=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for, in web-search syntax: words (any script, any
    /// case), `"quoted phrases"`, `-excluded` words and `or`. At least one
    /// word must be one to find, not only excluded.
    #[param(value_type = schema::SearchText, required = true)]
    q: Option<String>,
    /// Only messages by this user.
    from: Option<Id>,
    /// Only messages of this channel or direct message.
    #[serde(rename = "in")]
    #[param(rename = "in")]
    room: Option<Id>,
    /// Only messages older than this message id (the previous page's `next_cursor`).
    before: Option<Id>,
    /// Page size, 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The search a query string asks for, `limit` defaulting to
/// `default_limit`; every failing parameter is reported at once.
/// # Errors
/// 400 for a missing, blank or overlong `q`, or a `limit` outside 1..=100.
pub(crate) fn search_of(
    q: Option<String>,
    before: Option<Id>,
    limit: Option<u32>,
    default_limit: u32,
) -> Result<SearchMessages, ApiError> {
    let mut v = Validator::new();
    let query = v.require("Search query", q, |s| SearchQuery::parse(&s));
    let limit = limit.unwrap_or(default_limit);
    if !(1..=100).contains(&limit) {
        v.fail("limit must be between 1 and 100");
    }
    let query = v.finish(|| query).map_err(|e| ApiError::validation(e.0))?;
    Ok(SearchMessages {
        query,
        author: None,
        before: before.map(|b| MessageId::new(b.get())),
        limit,
    })
}

/// Search the messages of a workspace that the caller may read now: public
/// channels, private ones they may see, their own direct messages. Never
/// a deleted message; an edited one by its new text only.
/// # Responses: 200 · 400 · 401 · 403 not a member, or a room they may not read · 404 workspace or room not found
#[utoipa::path(get, path = "/api/workspaces/{workspaceId}/search", tag = "messages",
    params(("workspaceId" = Id, Path), SearchParams),
    responses((status = 200, body = HistoryDto), Refusals), security(("bearer" = [])))]
pub async fn search_messages(
    chat: Chat,
    me: AuthUser,
    PathId(ws): PathId<WorkspaceId>,
    query: Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let mut search = search_of(params.q, params.before, params.limit, 20)?;
    search.author = params.from.map(|u| UserId::new(u.get()));
    let room = params.room.map(|r| RoomId::new(r.get()));
    let page = run(&chat, move |s| {
        s.search.search_workspace(me.id, ws, room, search)
    })
    .await?;
    Ok(HttpResponse::Ok().json(HistoryDto::from(&page)))
}
