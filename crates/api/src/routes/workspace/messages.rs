//! Messages in channels and direct messages: send (exactly once with an
//! `Idempotency-Key`), edit, soft delete, history and threads. Each route is a
//! thin wrapper naming its room; the work is shared.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use concord_app::{Missing, ServiceError};
use concord_domain::{
    ChannelId, ConversationId, HistoryAt, IdempotencyKey, MessageContent, MessageId, Page, Room,
    Validator,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{HistoryDto, MessageDto, NoticeDto, ThreadDto};
use crate::error::{ApiError, Conflict, Refusals};
use crate::extract::{AuthUser, Id, Json, PathId, Query, run_mapped};
use crate::routes::Chat;
use crate::schema;

/// The header that makes a send exactly-once.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// A message to send. Body `user_id`, `channel_id` and `direct_message_id`
/// are ignored: the caller is the author and the path names the room.
#[derive(Deserialize, ToSchema)]
pub struct SendMessageBody {
    #[schema(value_type = schema::MessageText, required)]
    content: Option<String>,
    /// Reply in the thread of this message (of the same room).
    #[serde(alias = "parentId")]
    parent_id: Option<Id>,
}

/// New content for a message.
#[derive(Deserialize, ToSchema)]
pub struct EditMessageBody {
    #[schema(value_type = schema::MessageText, required)]
    content: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only messages older than this message id (the previous page's `next_cursor`).
    before: Option<Id>,
    /// Only messages newer than this message id, oldest first (an `after`
    /// page's `next_cursor`, or an `around` page's `prev_cursor`). Not with
    /// `before` or `around`.
    after: Option<Id>,
    /// The messages centred on this message id, newest first, with
    /// `next_cursor` (older) and `prev_cursor` (newer). Not with `before`
    /// or `after`.
    around: Option<Id>,
    /// Page size, 1 to 100; 50 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A history request's cursor and page size (`default_limit` when none is
/// given), with every failure in one 400: a limit outside 1 to 100, more
/// than one of `before` (spelled `before_name`), `after` and `around`.
pub(crate) fn history_at(
    before_name: &str,
    before: Option<Id>,
    after: Option<Id>,
    around: Option<Id>,
    limit: Option<u32>,
    default_limit: u32,
) -> Result<(HistoryAt, u32), ApiError> {
    let id = |raw: Option<Id>| raw.map(|r| MessageId::new(r.get()));
    let limit = limit.unwrap_or(default_limit);
    let mut v = Validator::new();
    if !(1..=100).contains(&limit) {
        v.fail("limit must be between 1 and 100");
    }
    let at = v.check(HistoryAt::pick(
        before_name,
        id(before),
        id(after),
        id(around),
    ));
    v.finish(|| Some((at?, limit)))
        .map_err(|e| ApiError::validation(e.0))
}

pub(crate) fn content(raw: Option<String>) -> Result<MessageContent, ApiError> {
    let mut v = Validator::new();
    let content = check_content(&mut v, raw);
    v.finish(|| content)
        .map_err(|e| ApiError::invalid_body(e.0))
}

/// Records a message body's required `content` in `v`, for routes that
/// check it beside other fields.
pub(crate) fn check_content(v: &mut Validator, raw: Option<String>) -> Option<MessageContent> {
    v.require("Message content", raw, |s| MessageContent::parse(&s))
}

pub(crate) fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .map_err(|_| ApiError::validation(vec!["Idempotency-Key must be visible ASCII".into()]))?;
    IdempotencyKey::parse(raw)
        .map(Some)
        .map_err(|e| ApiError::validation(e.0))
}

/// In the direct-message routes the seed capitalises "Direct Message" in
/// "not found" and speaks of a Direct Message in 403s.
fn in_direct_message(room: Room) -> impl Fn(ServiceError) -> ApiError {
    move |e| match (room, e) {
        (Room::Conversation(_), ServiceError::NotFound(Missing::Conversation)) => ApiError::new(
            StatusCode::NOT_FOUND,
            "Direct Message not found",
            vec!["Direct Message with that ID does not exist".into()],
        ),
        (_, e) => ApiError::from(e),
    }
}

async fn send(
    chat: Chat,
    me: AuthUser,
    room: Room,
    req: HttpRequest,
    body: SendMessageBody,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let content = content(body.content)?;
    let parent = body.parent_id.map(|p| MessageId::new(p.get()));
    // A post without parent by someone recently allowed in needs no
    // blocking thread.
    let content = match parent {
        None => match chat
            .messages
            .post_from_memory(me.id, room, content, key.clone())
        {
            Ok(pending) => {
                let posted = pending.await.map_err(in_direct_message(room))?;
                return Ok(HttpResponse::Created().json(MessageDto::from(&posted.message)));
            }
            Err(content) => content,
        },
        _ => content,
    };
    let posted = run_in(&chat, room, move |s| {
        s.messages
            .post_message(me.id, room, content, parent, None, key)
    })
    .await?;
    Ok(HttpResponse::Created().json(MessageDto::from(&posted.message)))
}

async fn edit(
    chat: Chat,
    me: AuthUser,
    room: Room,
    id: MessageId,
    body: EditMessageBody,
) -> Result<HttpResponse, ApiError> {
    let content = content(body.content)?;
    let event = run_in(&chat, room, move |s| {
        s.messages.edit_message(me.id, room, id, content)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MessageDto::from(&event.message)))
}

async fn delete(
    chat: Chat,
    me: AuthUser,
    room: Room,
    id: MessageId,
) -> Result<HttpResponse, ApiError> {
    run_in(&chat, room, move |s| {
        s.messages.delete_message(me.id, room, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("Message succesfully deleted")))
}

async fn history(
    chat: Chat,
    me: AuthUser,
    room: Room,
    query: HistoryQuery,
) -> Result<HttpResponse, ApiError> {
    let (at, limit) = history_at(
        "before",
        query.before,
        query.after,
        query.around,
        query.limit,
        50,
    )?;
    let page = match at {
        HistoryAt::Before(before) => {
            HistoryDto::from(&history_before(&chat, me, room, before, limit).await?)
        }
        HistoryAt::After(after) => HistoryDto::from(
            &run_in(&chat, room, move |s| {
                s.messages.history_after(me.id, room, after, limit)
            })
            .await?,
        ),
        HistoryAt::Around(anchor) => HistoryDto::from(
            &run_in(&chat, room, move |s| {
                s.messages.history_around(me.id, room, anchor, limit)
            })
            .await?,
        ),
    };
    Ok(HttpResponse::Ok().json(page))
}

/// The newest page, or the page older than `before`.
async fn history_before(
    chat: &Chat,
    me: AuthUser,
    room: Room,
    before: Option<MessageId>,
    limit: u32,
) -> Result<Page, ApiError> {
    // A reader recently allowed in needs no blocking thread either.
    match chat
        .messages
        .history_from_memory(me.id, room, before, limit)
    {
        Some(pending) => pending.await.map_err(in_direct_message(room)),
        None => {
            run_in(chat, room, move |s| {
                s.messages.history(me.id, room, before, limit)
            })
            .await
        }
    }
}

async fn thread(
    chat: Chat,
    me: AuthUser,
    room: Room,
    id: MessageId,
) -> Result<HttpResponse, ApiError> {
    let thread = run_in(&chat, room, move |s| s.messages.thread(me.id, room, id)).await?;
    Ok(HttpResponse::Ok().json(ThreadDto::from(&thread)))
}

/// [`run_mapped`] with the direct-message spelling of "not found".
async fn run_in<T, F>(chat: &Chat, room: Room, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&concord_app::Concord) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    run_mapped(chat, f, in_direct_message(room)).await
}

/// Send a message (or a threaded reply) to a channel.
/// # Responses: 201 · 400 · 401 · 403 · 404 channel or parent not found · 409 Idempotency-Key reused
#[utoipa::path(post, path = "/api/channels/{channelId}/messages", tag = "messages", params(("channelId" = Id, Path),
    ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,64}$", description = "Retry-safe key: 1 to 64 visible ASCII characters")),
    request_body = SendMessageBody,
    responses((status = 201, body = MessageDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn send_channel_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    req: HttpRequest,
    body: Json<SendMessageBody>,
) -> Result<HttpResponse, ApiError> {
    send(chat, me, Room::Channel(id), req, body.into_inner()).await
}

/// A page of a channel's history: newest first; oldest first with `after`;
/// centred on a message with `around`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/channels/{channelId}/messages", tag = "messages", params(("channelId" = Id, Path), HistoryQuery),
    responses((status = 200, body = HistoryDto), Refusals), security(("bearer" = [])))]
pub async fn list_channel_messages(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ChannelId>,
    query: Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    history(chat, me, Room::Channel(id), query.into_inner()).await
}

/// Edit a message in a channel; its author alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/channels/{channelId}/messages/{messageId}", tag = "messages",
    params(("channelId" = Id, Path), ("messageId" = Id, Path)), request_body = EditMessageBody,
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn update_channel_message(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ChannelId, MessageId)>,
    body: Json<EditMessageBody>,
) -> Result<HttpResponse, ApiError> {
    edit(chat, me, Room::Channel(room), id, body.into_inner()).await
}

/// Soft-delete a message in a channel; its author or moderators and up.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/channels/{channelId}/messages/{messageId}", tag = "messages",
    params(("channelId" = Id, Path), ("messageId" = Id, Path)),
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn delete_channel_message(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ChannelId, MessageId)>,
) -> Result<HttpResponse, ApiError> {
    delete(chat, me, Room::Channel(room), id).await
}

/// A thread in a channel: its root and every reply, oldest first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/channels/{channelId}/messages/{messageId}/replies", tag = "messages",
    params(("channelId" = Id, Path), ("messageId" = Id, Path)),
    responses((status = 200, body = ThreadDto), Refusals), security(("bearer" = [])))]
pub async fn list_channel_replies(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ChannelId, MessageId)>,
) -> Result<HttpResponse, ApiError> {
    thread(chat, me, Room::Channel(room), id).await
}

/// Send a message (or a threaded reply) to a direct message.
/// # Responses: 201 · 400 · 401 · 403 · 404 direct message or parent not found · 409 Idempotency-Key reused
#[utoipa::path(post, path = "/api/direct_messages/{directMessageId}/messages", tag = "messages",
    params(("directMessageId" = Id, Path), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,64}$", description = "Retry-safe key: 1 to 64 visible ASCII characters")),
    request_body = SendMessageBody,
    responses((status = 201, body = MessageDto), Refusals, Conflict), security(("bearer" = [])))]
pub async fn send_direct_message(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
    req: HttpRequest,
    body: Json<SendMessageBody>,
) -> Result<HttpResponse, ApiError> {
    send(chat, me, Room::Conversation(id), req, body.into_inner()).await
}

/// A page of a direct message's history: newest first; oldest first with `after`;
/// centred on a message with `around`.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/direct_messages/{directMessageId}/messages", tag = "messages",
    params(("directMessageId" = Id, Path), HistoryQuery),
    responses((status = 200, body = HistoryDto), Refusals), security(("bearer" = [])))]
pub async fn list_direct_messages_messages(
    chat: Chat,
    me: AuthUser,
    PathId(id): PathId<ConversationId>,
    query: Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    history(chat, me, Room::Conversation(id), query.into_inner()).await
}

/// Edit a message in a direct message; its author alone.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(put, path = "/api/direct_messages/{directMessageId}/messages/{messageId}", tag = "messages",
    params(("directMessageId" = Id, Path), ("messageId" = Id, Path)), request_body = EditMessageBody,
    responses((status = 200, body = MessageDto), Refusals), security(("bearer" = [])))]
pub async fn update_direct_message_message(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ConversationId, MessageId)>,
    body: Json<EditMessageBody>,
) -> Result<HttpResponse, ApiError> {
    edit(chat, me, Room::Conversation(room), id, body.into_inner()).await
}

/// Soft-delete a message in a direct message; its author or moderators and up.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(delete, path = "/api/direct_messages/{directMessageId}/messages/{messageId}", tag = "messages",
    params(("directMessageId" = Id, Path), ("messageId" = Id, Path)),
    responses((status = 200, body = NoticeDto), Refusals), security(("bearer" = [])))]
pub async fn delete_direct_message_message(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ConversationId, MessageId)>,
) -> Result<HttpResponse, ApiError> {
    delete(chat, me, Room::Conversation(room), id).await
}

/// A thread in a direct message: its root and every reply, oldest first.
/// # Responses: 200 · 400 · 401 · 403 · 404
#[utoipa::path(get, path = "/api/direct_messages/{directMessageId}/messages/{messageId}/replies", tag = "messages",
    params(("directMessageId" = Id, Path), ("messageId" = Id, Path)),
    responses((status = 200, body = ThreadDto), Refusals), security(("bearer" = [])))]
pub async fn list_direct_message_replies(
    chat: Chat,
    me: AuthUser,
    PathId((room, id)): PathId<(ConversationId, MessageId)>,
) -> Result<HttpResponse, ApiError> {
    thread(chat, me, Room::Conversation(room), id).await
}
