//! `GET /search?serverId=&q=`: full-text search over the messages of a
//! server that the caller may read, in this dialect's page and message
//! shapes.

use actix_web::HttpResponse;
use concord_app::Authored;
use concord_domain::{ChannelId, MembershipId, WorkspaceId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{Authors, MessageDto, MessagePageDto};
use super::in_server_dialect;
use crate::error::{ApiError, Refusals};
use crate::extract::{AuthUser, Id, Query, run_mapped};
use crate::routes::Chat;
use crate::routes::workspace::search::search_of;
use crate::schema;

/// `?serverId=&q=&memberId=&channelId=&cursor=&limit=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ServerSearchQuery {
    #[serde(alias = "server_id")]
    server_id: Id,
    /// What to look for, in web-search syntax: words (any script, any
    /// case), `"quoted phrases"`, `-excluded` words and `or`. At least one
    /// word must be one to find, not only excluded.
    #[param(value_type = schema::SearchText, required = true)]
    q: Option<String>,
    /// Only messages by this member (a membership id).
    #[serde(alias = "member_id")]
    member_id: Option<Id>,
    /// Only messages of this channel.
    #[serde(alias = "channel_id")]
    channel_id: Option<Id>,
    /// The previous page's `nextCursor`.
    cursor: Option<Id>,
    /// 1 to 100; 10 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// Search the messages of a server that the caller may read now, channels
/// and direct messages alike, newest first, 10 by default. Never a deleted
/// message; an edited one by its new text only.
/// # Responses: 200 · 400 · 401 · 403 · 404 server, channel or member not found
#[utoipa::path(get, path = "/search", tag = "server messages", params(ServerSearchQuery),
    responses((status = 200, body = MessagePageDto), Refusals), security(("bearer" = [])))]
pub async fn search_server_messages(
    chat: Chat,
    me: AuthUser,
    query: Query<ServerSearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let search = search_of(params.q, params.cursor, params.limit, 10)?;
    let server = WorkspaceId::new(params.server_id.get());
    let channel = params.channel_id.map(|c| ChannelId::new(c.get()));
    let member = params.member_id.map(|m| MembershipId::new(m.get()));
    let Authored {
        value: page,
        members,
    } = run_mapped(
        &chat,
        move |s| {
            s.search
                .search_server(me.id, server, channel, member, search)
        },
        in_server_dialect,
    )
    .await?;
    let authors = Authors::new(members);
    Ok(HttpResponse::Ok().json(MessagePageDto {
        items: page
            .messages
            .iter()
            .map(|m| MessageDto::new(m, &authors))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.get()),
        prev_cursor: None,
    }))
}
