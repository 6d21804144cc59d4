//! The contract's error envelope, `{"message", "statusCode", "errors"}`, and
//! the one exhaustive map from service errors to it.

use std::time::Duration;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use concord_app::{Clash, Missing, ServiceError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Forbidden")]
    pub message: String,
    #[serde(rename = "statusCode")]
    #[schema(example = 403)]
    pub status_code: u16,
    pub errors: Vec<String>,
}

/// The refusals most operations document: 403 when the caller may not, 404
/// when what the path or query names does not exist. Both in the envelope.
#[derive(IntoResponses)]
pub enum Refusals {
    #[response(status = 403)]
    Forbidden(ErrorBody),
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// 409 in the envelope: a member, a channel member or an idempotency key
/// that already exists.
#[derive(IntoResponses)]
pub enum Conflict {
    #[response(status = 409)]
    Exists(ErrorBody),
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    errors: Vec<String>,
    /// Whole seconds for `Retry-After`, on a 429.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, errors: Vec<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors,
            retry_after: None,
        }
    }

    /// 400 with the seed's usual message and every failing field.
    pub fn validation(errors: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Validation error", errors)
    }

    /// 400 with the message the seed uses for create-workspace and send-message.
    pub fn invalid_body(errors: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Invalid request body", errors)
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authentication required", vec![])
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            vec![],
        )
    }

    /// 429: the caller may try again after `wait`, rounded up to a whole
    /// second for `Retry-After`.
    pub fn rate_limited(wait: Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        Self {
            retry_after: Some(seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                vec![format!("Rate limit exceeded; retry after {seconds} s")],
            )
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The entries of the envelope's `errors`.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {:?}",
            self.status.as_u16(),
            self.message,
            self.errors
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = envelope(self.status, &self.message, self.errors.clone());
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An envelope response for `status`.
pub fn envelope(status: StatusCode, message: &str, errors: Vec<String>) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        message: message.to_owned(),
        status_code: status.as_u16(),
        errors,
    })
}

fn not_found(message: &str, error: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, message, vec![error.to_owned()])
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(invalid) => ApiError::validation(invalid.0),
            ServiceError::Unauthenticated => ApiError::unauthenticated(),
            ServiceError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "Invalid credentials", vec![])
            }
            ServiceError::Forbidden(denied) => ApiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                vec![denied.0.to_owned()],
            ),
            // API.md section 2: a ban answers 403 "User is banned".
            ServiceError::Banned => ApiError::new(
                StatusCode::FORBIDDEN,
                "User is banned",
                vec!["User is banned from this workspace".to_owned()],
            ),
            ServiceError::NotFound(missing) => match missing {
                Missing::User => not_found("User not found", "User with that ID does not exist"),
                Missing::Workspace => not_found(
                    "Workspace not found",
                    "Workspace with that ID does not exist",
                ),
                Missing::Channel => {
                    not_found("Channel not found", "Channel with that ID does not exist")
                }
                Missing::WorkspaceMember => not_found(
                    "User not found in workspace",
                    "User with that ID is not a member of the workspace",
                ),
                Missing::ChannelMember => not_found(
                    "User not found in channel",
                    "User with that ID is not a member of the channel",
                ),
                Missing::Conversation => not_found(
                    "Direct message not found",
                    "Direct message with that ID does not exist",
                ),
                Missing::Message => {
                    not_found("Message not found", "Message with that ID does not exist")
                }
                Missing::Member => not_found(
                    "Member not found",
                    "Member with that ID does not exist in the server",
                ),
                Missing::InviteCode => not_found(
                    "Invite code not found",
                    "No server matches that invite code",
                ),
                Missing::ParentMessage => not_found(
                    "Parent Message not found",
                    "Parent Message with that ID does not exist",
                ),
                Missing::Room => {
                    not_found("Room not found", "No channel or conversation has that ID")
                }
            },
            ServiceError::Conflict(clash) => match clash {
                // The seed answers a taken email with 403, and API.md keeps it.
                Clash::UserExists => ApiError::new(
                    StatusCode::FORBIDDEN,
                    "User already exists",
                    vec!["User with that email or username already exists".to_owned()],
                ),
                Clash::MemberExists => ApiError::new(
                    StatusCode::CONFLICT,
                    "Member already exists",
                    vec!["Member with that email already exists in the workspace".to_owned()],
                ),
                Clash::ChannelMemberExists => ApiError::new(
                    StatusCode::CONFLICT,
                    "User already in channel",
                    vec!["User with that ID is already a member of the channel".to_owned()],
                ),
                Clash::IdempotencyKeyReused => ApiError::new(
                    StatusCode::CONFLICT,
                    "Idempotency key reused",
                    vec!["Idempotency-Key was already used for a different request".to_owned()],
                ),
            },
            ServiceError::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    vec!["Database unavailable".to_owned()],
                )
            }
            ServiceError::Unexpected(cause) => {
                tracing::error!(error = format!("{cause:#}"), "unexpected failure");
                ApiError::internal()
            }
        }
    }
}

/// Rewrites any error response that is not already JSON (actix's own 404,
/// 405, 413 and the like) into the envelope, so that a client never sees an
/// HTML or plain-text error body.
pub fn envelope_fallback<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (message, errors) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            vec![format!(
                "No route for {} {}",
                res.request().method(),
                res.request().path()
            )],
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Method not allowed",
            vec![format!(
                "{} is not allowed on {}",
                res.request().method(),
                res.request().path()
            )],
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Payload too large",
            vec!["Request body must be at most 1 MiB".to_owned()],
        ),
        _ => (status.canonical_reason().unwrap_or("Error"), vec![]),
    };
    let (req, old) = res.into_parts();
    let mut new = envelope(status, message, errors);
    // keep headers such as Allow and Retry-After
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let res: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(req, new).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use concord_domain::{Denied, Invalid};

    use super::*;

    async fn body_of(e: ApiError) -> serde_json::Value {
        let bytes = to_bytes(e.error_response().into_body()).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[actix_web::test]
    async fn the_envelope_has_the_contract_shape() {
        let body = body_of(
            ServiceError::Forbidden(Denied("Must be channel owner to delete a channel")).into(),
        )
        .await;
        assert_eq!(
            body,
            serde_json::json!({"message": "Forbidden", "statusCode": 403, "errors": ["Must be channel owner to delete a channel"]})
        );
    }

    #[actix_web::test]
    async fn validation_lists_every_field() {
        let e: ApiError = ServiceError::Invalid(Invalid(vec![
            "Email is required".into(),
            "Password is required".into(),
        ]))
        .into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body_of(e).await["errors"].as_array().unwrap().len(), 2);
    }

    #[actix_web::test]
    async fn internal_errors_reveal_nothing() {
        let e: ApiError =
            ServiceError::Unexpected(anyhow::anyhow!("relation users does not exist at db.rs:42"))
                .into();
        let body = body_of(e).await;
        assert_eq!(body["statusCode"], 500);
        assert!(!body.to_string().contains("users"), "{body}");
    }

    #[actix_web::test]
    async fn a_ban_is_a_403_that_says_so() {
        let body = body_of(ServiceError::Banned.into()).await;
        assert_eq!(
            body,
            serde_json::json!({"message": "User is banned", "statusCode": 403, "errors": ["User is banned from this workspace"]})
        );
    }

    #[actix_web::test]
    async fn member_conflicts_are_409_in_status_and_body() {
        let e: ApiError = ServiceError::Conflict(Clash::MemberExists).into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(body_of(e).await["statusCode"], 409);
    }

    #[actix_web::test]
    async fn rate_limits_say_when_to_retry_in_whole_seconds() {
        let e = ApiError::rate_limited(Duration::from_millis(1_200));
        let response = e.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "2");
        let body = body_of(ApiError::rate_limited(Duration::from_millis(1))).await;
        assert_eq!(body["statusCode"], 429);
        assert_eq!(body["message"], "Too many requests");
        assert_eq!(body["errors"][0], "Rate limit exceeded; retry after 1 s");
    }
}
