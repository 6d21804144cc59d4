//! Request extraction: lenient ids, the authenticated user, and the error
//! handlers that keep malformed input inside the envelope.

use std::future::Future;
use std::pin::Pin;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use concord_domain::UserId;
use concord_ports::{ChatService, Claims, ServiceError};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::error::ApiError;
use crate::limits::Limits;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A positive integer id that may arrive as a JSON number, a numeric string
/// (`{"userId": "1"}`) or a path segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a positive integer id")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                if v > 0 {
                    Ok(Id(v))
                } else {
                    Err(E::custom("id must be a positive integer"))
                }
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("id is out of range"))
                    .and_then(|v| self.visit_i64(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                let n: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| E::custom("id must be a positive integer"))?;
                self.visit_i64(n)
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

impl Id {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// The caller, from a valid and unrevoked bearer token, within their rate
/// limit.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: UserId,
    pub claims: Claims,
}

/// The caller if a token is present; `None` without an `Authorization` header.
/// A present but bad token is still a 401.
#[derive(Clone, Debug)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::unauthenticated())?;
    // The scheme is case-insensitive (RFC 7235), as on the gateway's upgrade.
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 4096)
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(Some(token.to_owned()))
}

async fn authenticate(req: &HttpRequest, token: String) -> Result<AuthUser, ApiError> {
    let chat = req
        .app_data::<web::Data<ChatService>>()
        .cloned()
        .ok_or_else(ApiError::internal)?;
    // A token seen recently needs no database, and no trip to the blocking pool.
    let claims = match chat.authenticate_from_memory(&token) {
        Some(known) => known?,
        None => web::block(move || chat.authenticate(&token))
            .await
            .map_err(|_| ApiError::internal())??,
    };
    if let Some(limits) = req.app_data::<web::Data<Limits>>() {
        limits.request(claims.user_id)?;
    }
    Ok(AuthUser {
        id: claims.user_id,
        claims,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = bearer(&req)?.ok_or_else(ApiError::unauthenticated)?;
            authenticate(&req, token).await
        })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match bearer(&req)? {
                Some(token) => Ok(MaybeAuthUser(Some(authenticate(&req, token).await?))),
                None => Ok(MaybeAuthUser(None)),
            }
        })
    }
}

/// JSON bodies: at most 1 MiB, `application/json` only, and every failure in
/// the envelope (413, 415 or 400).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|err, _req| {
            let api = match &err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload too large",
                    vec!["Request body must be at most 1 MiB".to_owned()],
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported media type",
                    vec!["Content-Type must be application/json".to_owned()],
                ),
                JsonPayloadError::Deserialize(e) => {
                    ApiError::validation(vec![describe_json_error(e)])
                }
                _ => ApiError::validation(vec!["Request body could not be read".to_owned()]),
            };
            api.into()
        })
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => format!("Malformed JSON: {e}"),
        Category::Data => format!("Invalid field: {e}"),
        Category::Io => "Request body could not be read".to_owned(),
    }
}

/// Path segments that are not positive 64-bit integers are a 400.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let detail = match &err {
            PathError::Deserialize(e) => e.to_string(),
            _ => "invalid path".to_owned(),
        };
        ApiError::validation(vec![format!("Invalid id in path: {detail}")]).into()
    })
}

/// Query strings that do not parse are a 400.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let detail = match &err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            _ => "invalid query string".to_owned(),
        };
        ApiError::validation(vec![format!("Invalid query parameter: {detail}")]).into()
    })
}

/// Runs a use case on the blocking pool, so that no actix worker ever waits
/// on Postgres or bcrypt.
pub async fn run<T, F>(chat: &web::Data<ChatService>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&ChatService) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    run_mapped(chat, f, ApiError::from).await
}

/// [`run`], with `map` turning the service's error into the response a route
/// wants (for routes whose seed spells a message differently).
pub async fn run_mapped<T, F, M>(chat: &web::Data<ChatService>, f: F, map: M) -> Result<T, ApiError>
where
    F: FnOnce(&ChatService) -> Result<T, ServiceError> + Send + 'static,
    M: FnOnce(ServiceError) -> ApiError,
    T: Send + 'static,
{
    let chat = chat.clone();
    let result = web::block(move || f(&chat))
        .await
        .map_err(|_| ApiError::internal())?;
    result.map_err(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        id: Id,
    }

    #[test]
    fn ids_arrive_as_numbers_or_numeric_strings() {
        let a: Body = serde_json::from_str(r#"{"id": 7}"#).unwrap();
        let b: Body = serde_json::from_str(r#"{"id": "7"}"#).unwrap();
        assert_eq!((a.id, b.id), (Id(7), Id(7)));
    }

    #[test]
    fn ids_must_be_positive_and_in_range() {
        for bad in [
            r#"{"id": 0}"#,
            r#"{"id": -1}"#,
            r#"{"id": "x"}"#,
            r#"{"id": 1.5}"#,
            r#"{"id": 99999999999999999999}"#,
            r#"{"id": true}"#,
        ] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
    }
}
