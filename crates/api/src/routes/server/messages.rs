//! Messages and direct messages of the server dialect, and starting a 1:1
//! conversation. The socket-style paths of seed 000 are plain HTTP here; the
//! realtime gateway pushes the resulting events.

use actix_web::{HttpRequest, HttpResponse};
use concord_app::{Authored, Concord, ServerTarget, ServiceError};
use concord_domain::user::parse_url;
use concord_domain::{
    ChannelId, ConversationId, HistoryAt, MembershipId, Message, MessageContent, MessageId, Room,
    Validator, WorkspaceId,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{Authors, ConversationDto, MessageDto, MessagePageDto};
use super::{ServerQuery, in_server_dialect};
use crate::error::{ApiError, Conflict, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::routes::workspace::messages::{check_content, content, history_at, idempotency_key};
use crate::schema;

/// `?serverId=&channelId=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ChannelMessageQuery {
    #[serde(alias = "server_id")]
    server_id: Id,
    #[serde(alias = "channel_id")]
    channel_id: Id,
}

/// `?conversationId=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ConversationQuery {
    #[serde(alias = "conversation_id")]
    conversation_id: Id,
}

/// `?channelId=&cursor=&limit=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ChannelPageQuery {
    #[serde(alias = "channel_id")]
    channel_id: Id,
    /// The previous page's `nextCursor`.
    cursor: Option<Id>,
    /// Messages newer than this id, oldest first (an `after` page's
    /// `nextCursor`, or an `around` page's `prevCursor`). Not with `cursor`
    /// or `around`.
    after: Option<Id>,
    /// The messages centred on this id, newest first, with `nextCursor`
    /// (older) and `prevCursor` (newer). Not with `cursor` or `after`.
    around: Option<Id>,
    /// 1 to 100; 10 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// `?conversationId=&cursor=&limit=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPageQuery {
    #[serde(alias = "conversation_id")]
    conversation_id: Id,
    cursor: Option<Id>,
    after: Option<Id>,
    around: Option<Id>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A message to send.
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerSendMessageBody)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    #[schema(value_type = schema::MessageText, required)]
    content: Option<String>,
    #[serde(alias = "file_url")]
    #[schema(value_type = Option<schema::Url>)]
    file_url: Option<String>,
}

/// New content.
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerEditMessageBody)]
pub struct EditBody {
    #[schema(value_type = schema::MessageText, required)]
    content: Option<String>,
}

/// The member to talk to.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartConversationBody {
    #[serde(alias = "member_id")]
    #[schema(value_type = Id, required)]
    member_id: Option<Id>,
}

/// Runs a use case on a message and renders it with its room's members as authors.
pub(crate) async fn respond(
    chat: &Chat,
    created: bool,
    f: impl FnOnce(&Concord) -> Result<Authored<Message>, ServiceError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let Authored { value, members } = run_mapped(chat, f, in_server_dialect).await?;
    let dto = MessageDto::new(&value, &Authors::new(members));
    Ok(if created {
        HttpResponse::Created().json(dto)
    } else {
        HttpResponse::Ok().json(dto)
    })
}

/// The cursors and page size of a page query, as [`history_at`] reads them.
struct PageAt {
    cursor: Option<Id>,
    after: Option<Id>,
    around: Option<Id>,
    limit: Option<u32>,
}

async fn page(chat: &Chat, me: AuthUser, room: Room, q: PageAt) -> Result<HttpResponse, ApiError> {
    let (at, limit) = history_at("cursor", q.cursor, q.after, q.around, q.limit, 10)?;
    let dto = match at {
        HistoryAt::Before(before) => {
            let Authored { value, members } = run_mapped(
                chat,
                move |s| s.messages.history_with_authors(me.id, room, before, limit),
                in_server_dialect,
            )
            .await?;
            MessagePageDto::page(&value, &Authors::new(members))
        }
        HistoryAt::After(after) => {
            let Authored { value, members } = run_mapped(
                chat,
                move |s| {
                    s.messages
                        .history_after_with_authors(me.id, room, after, limit)
                },
                in_server_dialect,
            )
            .await?;
            MessagePageDto::page(&value, &Authors::new(members))
        }
        HistoryAt::Around(anchor) => {
            let Authored { value, members } = run_mapped(
                chat,
                move |s| {
                    s.messages
                        .history_around_with_authors(me.id, room, anchor, limit)
                },
                in_server_dialect,
            )
            .await?;
            MessagePageDto::around(&value, &Authors::new(members))
        }
    };
    Ok(HttpResponse::Ok().json(dto))
}

fn send_fields(body: SendBody) -> Result<(MessageContent, Option<String>), ApiError> {
    let mut v = Validator::new();
    let content = check_content(&mut v, body.content);
    let file_url = v.optional(body.file_url, |s| parse_url(&s, "File URL"));
    v.finish(|| Some((content?, file_url.flatten())))
        .map_err(|e| ApiError::invalid_body(e.0))
}

pub(crate) fn channel_target(q: &ChannelMessageQuery) -> ServerTarget {
    ServerTarget::Channel {
        server: WorkspaceId::new(q.server_id.get()),
        channel: ChannelId::new(q.channel_id.get()),
    }
}

/// Send a message to a channel of a server.
/// # Responses: 201 · 400 · 401 · 403 · 404 · 409 Idempotency-Key reused
#[utoipa::path(post, path = "/socket/messages", tag = "server messages", params(ChannelMessageQuery), request_body = SendBody,
    responses((status = 201, body = MessageDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn send_server_message(
    chat: Chat,
    me: AuthUser,
    req: HttpRequest,
    query: Query<ChannelMessageQuery>,
    body: Json<SendBody>,
) -> Result<HttpResponse, ApiError> {
    let target = channel_target(&query);
    let key = idempotency_key(&req)?;
    let (text, file_url) = send_fields(body.into_inner())?;
    respond(&chat, true, move |s| {
        s.messages
            .post_in_server(me.id, target, text, file_url, key)
    })
    .await
}

/// Edit a message in a channel; its author alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/socket/messages/{messageId}", tag = "server messages", params(("messageId" = Id, Path), ChannelMessageQuery),
    request_body = EditBody,
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn update_server_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ChannelMessageQuery>,
    body: Json<EditBody>,
) -> Result<HttpResponse, ApiError> {
    let target = channel_target(&query);
    let text = content(body.into_inner().content)?;
    respond(&chat, false, move |s| {
        s.messages.edit_in_server(me.id, target, id, text)
    })
    .await
}

/// Soft-delete a message in a channel; its author or moderators and up.
/// # Responses: 200 the tombstone · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/messages/{messageId}", tag = "server messages", params(("messageId" = Id, Path), ChannelMessageQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn delete_server_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ChannelMessageQuery>,
) -> Result<HttpResponse, ApiError> {
    let target = channel_target(&query);
    respond(&chat, false, move |s| {
        s.messages.delete_in_server(me.id, target, id)
    })
    .await
}

/// A page of a channel's messages, 10 by default: newest first; oldest
/// first with `after`; centred on a message with `around`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/messages", tag = "server messages", params(ChannelPageQuery),
    responses((status = 200, body = MessagePageDto), Refusals), security(("bearer" = [])))]
pub async fn list_server_messages(
    chat: Chat,
    me: AuthUser,
    query: Query<ChannelPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let at = PageAt {
        cursor: q.cursor,
        after: q.after,
        around: q.around,
        limit: q.limit,
    };
    page(
        &chat,
        me,
        Room::Channel(ChannelId::new(q.channel_id.get())),
        at,
    )
    .await
}

pub(crate) fn conversation_target(q: &ConversationQuery) -> ServerTarget {
    ServerTarget::Conversation(ConversationId::new(q.conversation_id.get()))
}

/// Send a direct message in a conversation.
/// # Responses: 201 · 400 · 401 · 403 · 404 · 409 Idempotency-Key reused
#[utoipa::path(post, path = "/socket/direct-messages", tag = "server messages", params(ConversationQuery), request_body = SendBody,
    responses((status = 201, body = MessageDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn send_server_direct_message(
    chat: Chat,
    me: AuthUser,
    req: HttpRequest,
    query: Query<ConversationQuery>,
    body: Json<SendBody>,
) -> Result<HttpResponse, ApiError> {
    let target = conversation_target(&query);
    let key = idempotency_key(&req)?;
    let (text, file_url) = send_fields(body.into_inner())?;
    respond(&chat, true, move |s| {
        s.messages
            .post_in_server(me.id, target, text, file_url, key)
    })
    .await
}

/// Edit a direct message; its author alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(patch, path = "/socket/direct-messages/{directMessageId}", tag = "server messages",
    params(("directMessageId" = Id, Path), ConversationQuery), request_body = EditBody,
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn update_server_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ConversationQuery>,
    body: Json<EditBody>,
) -> Result<HttpResponse, ApiError> {
    let target = conversation_target(&query);
    let text = content(body.into_inner().content)?;
    respond(&chat, false, move |s| {
        s.messages.edit_in_server(me.id, target, id, text)
    })
    .await
}

/// Soft-delete a direct message; its author (or moderators and up taking part).
/// # Responses: 200 the tombstone · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/socket/direct-messages/{directMessageId}", tag = "server messages",
    params(("directMessageId" = Id, Path), ConversationQuery),
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn delete_server_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<MessageId>,
    query: Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    let target = conversation_target(&query);
    respond(&chat, false, move |s| {
        s.messages.delete_in_server(me.id, target, id)
    })
    .await
}

/// A page of a conversation's messages, 10 by default: newest first; oldest
/// first with `after`; centred on a message with `around`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/direct-messages", tag = "server messages", params(ConversationPageQuery),
    responses((status = 200, body = MessagePageDto), Refusals), security(("bearer" = [])))]
pub async fn list_server_direct_messages(
    chat: Chat,
    me: AuthUser,
    query: Query<ConversationPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let at = PageAt {
        cursor: q.cursor,
        after: q.after,
        around: q.around,
        limit: q.limit,
    };
    let room = Room::Conversation(ConversationId::new(q.conversation_id.get()));
    page(&chat, me, room, at).await
}

/// Get or create the one conversation between the caller and a member.
/// # Responses: 200 · 400 · 401 · 403 · 404 server or member not found
#[utoipa::path(post, path = "/conversations", tag = "server messages", params(ServerQuery), request_body = StartConversationBody,
    responses((status = 200, body = ConversationDto), Refusals), security(("bearer" = [])))]
pub async fn start_conversation(
    chat: Chat,
    me: AuthUser,
    query: Query<ServerQuery>,
    body: Json<StartConversationBody>,
) -> Result<HttpResponse, ApiError> {
    let server = WorkspaceId::new(query.into_inner().server_id.get());
    let member = body
        .into_inner()
        .member_id
        .map(|m| MembershipId::new(m.get()))
        .ok_or_else(|| ApiError::validation(vec!["Member ID is required".into()]))?;
    let Authored {
        value: conversation,
        members,
    } = run_mapped(
        &chat,
        move |s| s.conversations.start_direct(me.id, server, member),
        in_server_dialect,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ConversationDto::new(&conversation, &Authors::new(members))))
}
