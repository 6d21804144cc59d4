//! Request extraction: lenient ids, the authenticated user, and the error
//! handlers that keep malformed input inside the envelope.

use std::borrow::Cow;
use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::error::{JsonPayloadError, PathError};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use concord_app::{Concord, ServiceError};
use concord_domain::{ChannelId, ConversationId, MembershipId, MessageId, UserId, WorkspaceId};
use concord_ports::Claims;
use serde::Deserialize;
use serde::de::DeserializeOwned;
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

            /// JSON has one number type: `7.0` is the integer 7 to JSON
            /// Schema (and to JavaScript), so it is the id 7 here too.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                // 2^63 is the first float past i64::MAX.
                if v.fract() == 0.0 && (1.0..9_223_372_036_854_775_808.0).contains(&v) {
                    self.visit_i64(v as i64)
                } else {
                    Err(E::custom("id must be a positive integer"))
                }
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

/// In the OpenAPI document an id is what [`Id`] accepts: a positive 64-bit
/// integer (numeric strings are a leniency, not part of the contract).
impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(i64::MAX))
            .examples([1])
            .into()
    }
}

impl utoipa::ToSchema for Id {}

/// A domain id, or a tuple of them, that path segments name: each segment
/// is read as an [`Id`] and then typed.
pub trait FromPathIds: Sized {
    /// What the segments are read as before they are typed.
    type Raw: DeserializeOwned + 'static;

    fn from_raw(raw: Self::Raw) -> Self;
}

macro_rules! path_ids {
    ($($id:ty),*) => {$(
        impl FromPathIds for $id {
            type Raw = Id;

            fn from_raw(raw: Id) -> Self {
                <$id>::new(raw.get())
            }
        }
    )*};
}

path_ids!(
    UserId,
    WorkspaceId,
    MembershipId,
    ChannelId,
    ConversationId,
    MessageId
);

impl<A: FromPathIds, B: FromPathIds> FromPathIds for (A, B) {
    type Raw = (A::Raw, B::Raw);

    fn from_raw((a, b): Self::Raw) -> Self {
        (A::from_raw(a), B::from_raw(b))
    }
}

/// The typed ids of a route's path segments: `PathId<ChannelId>` for
/// `/channels/{id}`, `PathId<(WorkspaceId, UserId)>` for two. Segments are
/// read by `web::Path`, so a segment that is not a positive 64-bit integer
/// is the 400 of [`path_config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathId<T>(pub T);

impl<T: FromPathIds> FromRequest for PathId<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = web::Path::<T::Raw>::from_request(req, payload).into_inner();
        ready(raw.map(|raw| PathId(T::from_raw(raw.into_inner()))))
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
        .app_data::<web::Data<Concord>>()
        .cloned()
        .ok_or_else(ApiError::internal)?;
    // A token seen recently needs no database, and no trip to the blocking pool.
    let claims = match chat.accounts.authenticate_from_memory(&token) {
        Some(known) => known?,
        None => web::block(move || chat.accounts.authenticate(&token))
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

/// A JSON body, read as `web::Json` reads it (see [`json_config`]), whose
/// type errors name every mistyped field rather than only the first.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move { Ok(Json(from_json_value(value.await?.into_inner())?)) })
    }
}

/// `T` from parsed JSON, or a 400 naming each field of the wrong type
/// (`Invalid field email: invalid type: integer `2`, expected a string`).
/// # Errors
/// 400 `Validation error`, one entry per mistyped field.
fn from_json_value<T: DeserializeOwned>(mut value: serde_json::Value) -> Result<T, ApiError> {
    // serde reads a struct from an array too, field by field in order; a
    // body is an object, so anything else is refused before serde sees it.
    if !value.is_object() {
        return Err(ApiError::validation(vec![
            "Request body must be a JSON object".to_owned(),
        ]));
    }
    let unstorable = set_aside_unstorable(&mut value);
    read_every_failure(
        value,
        unstorable,
        "Invalid field",
        |value| serde_path_to_error::deserialize(value),
        |value, field| {
            value
                .as_object_mut()
                .and_then(|fields| fields.remove(field))
                .is_some()
        },
        |_, e| format!("Invalid body: {e}"),
    )
}

/// A query string, read as `web::Query` reads it, whose errors name every
/// failing parameter rather than only the first.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(from_query(req.query_string()).map(Query))
    }
}

/// `T` from a query string, or a 400 naming each failing parameter
/// (`Invalid query parameter limit: invalid digit found in string`).
/// # Errors
/// 400 `Validation error`, one entry per failing parameter.
fn from_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut query = Cow::Borrowed(query);
    let unstorable = set_aside_unstorable_params(&mut query);
    read_every_failure(
        query,
        unstorable,
        "Invalid query parameter",
        |query: &Cow<'_, str>| {
            let params = form_urlencoded::parse(query.as_bytes());
            serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(params))
        },
        |query, name| remove_params(query, |param, _| param == name),
        |_, e| format!("Invalid query parameter: {e}"),
    )
}

/// Removes the parameters `drop` picks from `query`; says whether any was.
fn remove_params(query: &mut Cow<'_, str>, drop: impl Fn(&str, &str) -> bool) -> bool {
    let params: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
    let rest: Vec<_> = params.iter().filter(|(k, v)| !drop(k, v)).collect();
    if rest.len() == params.len() {
        return false;
    }
    *query = Cow::Owned(
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(rest)
            .finish(),
    );
    true
}

/// Why a text cannot reach Postgres, whose `text` holds no U+0000.
const UNSTORABLE: &str = "must not contain a NUL character";

/// Sets aside every field of a JSON object that holds a NUL character
/// anywhere (in a string or a key, however deep), and names each one. Every
/// body goes through here before any of it is read, so no route can pass
/// such a string on to SQL.
fn set_aside_unstorable(value: &mut serde_json::Value) -> Vec<String> {
    fn holds_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds_nul),
            serde_json::Value::Object(fields) => fields
                .iter()
                .any(|(key, value)| key.contains('\0') || holds_nul(value)),
            _ => false,
        }
    }
    let Some(fields) = value.as_object_mut() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    fields.retain(|key, value| {
        let bad = key.contains('\0') || holds_nul(value);
        if bad {
            errors.push(format!(
                "Invalid field {}: {UNSTORABLE}",
                key.escape_debug()
            ));
        }
        !bad
    });
    errors
}

/// [`set_aside_unstorable`] for a query string's decoded parameters.
fn set_aside_unstorable_params(query: &mut Cow<'_, str>) -> Vec<String> {
    let errors: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| format!("Invalid query parameter {}: {UNSTORABLE}", k.escape_debug()))
        .collect();
    if !errors.is_empty() {
        remove_params(query, |k, v| k.contains('\0') || v.contains('\0'));
    }
    errors
}

/// `T` read from `input`, or a 400 whose `errors` name every failing field
/// (`"{label} {field}: {why}"`): each one is set aside in turn (`set_aside`
/// removes it, or says it was not there) and the rest read again, until the
/// rest is clean. A failure of the input as a whole (a required field
/// missing, say) is worded by `whole`, and reported only if nothing else
/// was: after a failing field was set aside, a missing one is that same
/// field again. `errors` are failures found (and set aside) beforehand.
fn read_every_failure<I, T, E: std::fmt::Display>(
    mut input: I,
    mut errors: Vec<String>,
    label: &str,
    read: impl Fn(&I) -> Result<T, serde_path_to_error::Error<E>>,
    set_aside: impl Fn(&mut I, &str) -> bool,
    whole: impl FnOnce(&I, &E) -> String,
) -> Result<T, ApiError> {
    use serde_path_to_error::Segment;
    loop {
        let failure = match read(&input) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(ApiError::validation(errors)),
            Err(failure) => failure,
        };
        let Some(Segment::Map { key }) = failure.path().iter().next() else {
            if errors.is_empty() {
                errors.push(whole(&input, failure.inner()));
            }
            return Err(ApiError::validation(errors));
        };
        errors.push(format!("{label} {}: {}", failure.path(), failure.inner()));
        if !set_aside(&mut input, key) {
            return Err(ApiError::validation(errors));
        }
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

/// Why a body did not parse as JSON. Bodies are parsed into a
/// `serde_json::Value` first, which takes any well-formed JSON, so a wrong
/// type never gets here: [`from_json_value`] reports those.
fn describe_json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Io => "Request body could not be read".to_owned(),
        _ => format!("Malformed JSON: {e}"),
    }
}

/// `T` from a body read by hand (a route that also takes an empty one):
/// the same messages as [`Json`] gives.
/// # Errors
/// 400 `Validation error` for malformed JSON or mistyped fields.
pub fn from_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::validation(vec![describe_json_error(&e)]))?;
    from_json_value(value)
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

/// Runs a use case on the blocking pool, so that no actix worker ever waits
/// on Postgres or bcrypt.
pub async fn run<T, F>(chat: &web::Data<Concord>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&Concord) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    run_mapped(chat, f, ApiError::from).await
}

/// [`run`], with `map` turning the service's error into the response a route
/// wants (for routes whose seed spells a message differently).
pub async fn run_mapped<T, F, M>(chat: &web::Data<Concord>, f: F, map: M) -> Result<T, ApiError>
where
    F: FnOnce(&Concord) -> Result<T, ServiceError> + Send + 'static,
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

    #[derive(Debug, Deserialize)]
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
    fn integral_floats_are_ids_as_json_schema_says() {
        let a: Body = serde_json::from_str(r#"{"id": 7.0}"#).unwrap();
        let b: Body = serde_json::from_str(r#"{"id": 1e3}"#).unwrap();
        assert_eq!((a.id, b.id), (Id(7), Id(1000)));
        for bad in [
            r#"{"id": 0.0}"#,
            r#"{"id": -3.0}"#,
            r#"{"id": 1e19}"#,
            r#"{"id": 2.5}"#,
        ] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
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

    /// A typed path id answers bad segments exactly as reading the raw
    /// [`Id`] did: the same status and envelope.
    #[actix_web::test]
    async fn typed_path_ids_refuse_bad_segments_as_raw_ids_did() {
        use actix_web::{App, HttpResponse, test};

        let app = test::init_service(
            App::new()
                .app_data(path_config())
                .route(
                    "/typed/{a}/{b}",
                    web::get().to(|PathId((a, b)): PathId<(WorkspaceId, UserId)>| async move {
                        HttpResponse::Ok().body(format!("{a} {b}"))
                    }),
                )
                .route(
                    "/raw/{a}/{b}",
                    web::get().to(|path: web::Path<(Id, Id)>| async move {
                        let (a, b) = path.into_inner();
                        HttpResponse::Ok().body(format!("{} {}", a.get(), b.get()))
                    }),
                ),
        )
        .await;
        for segments in [
            "7/8",
            "abc/1",
            "1/0",
            "-1/2",
            "1/99999999999999999999",
            "1/1.5",
        ] {
            let typed = test::TestRequest::get()
                .uri(&format!("/typed/{segments}"))
                .to_request();
            let raw = test::TestRequest::get()
                .uri(&format!("/raw/{segments}"))
                .to_request();
            let typed = test::call_service(&app, typed).await;
            let raw = test::call_service(&app, raw).await;
            assert_eq!(typed.status(), raw.status(), "{segments}");
            let (typed, raw) = (test::read_body(typed).await, test::read_body(raw).await);
            assert_eq!(typed, raw, "{segments}");
        }
        let bad = test::TestRequest::get().uri("/typed/abc/1").to_request();
        let bad = test::call_service(&app, bad).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = test::read_body_json(bad).await;
        assert!(
            body["errors"][0]
                .as_str()
                .is_some_and(|e| e.starts_with("Invalid id in path: ")),
            "{body}"
        );
    }

    #[derive(Debug, Deserialize)]
    struct Form {
        #[serde(alias = "firstName")]
        first_name: Option<String>,
        email: Option<String>,
        users: Option<Vec<Id>>,
        private: Option<bool>,
    }

    fn form(json: serde_json::Value) -> Result<Form, String> {
        from_json_value::<Form>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_mistyped_field_is_named_in_one_answer() {
        let err = form(serde_json::json!({
            "firstName": 1, "email": ["a"], "users": [1, "x"], "private": false
        }))
        .unwrap_err();
        assert!(err.starts_with("400 Validation error"), "{err}");
        for named in [
            "Invalid field firstName: invalid type: integer `1`, expected a string",
            "Invalid field email: invalid type: sequence, expected a string",
            "Invalid field users[1]: id must be a positive integer",
        ] {
            assert!(err.contains(named), "{named} missing from {err}");
        }
        assert!(!err.contains("private"), "{err}");
    }

    #[test]
    fn a_well_typed_body_comes_through_whole() {
        let ok =
            form(serde_json::json!({"first_name": "Ada", "users": ["2", 3], "extra": 1})).unwrap();
        assert_eq!(ok.first_name.as_deref(), Some("Ada"));
        assert_eq!(ok.users, Some(vec![Id(2), Id(3)]));
        assert_eq!((ok.email, ok.private), (None, None));
    }

    #[test]
    fn a_body_that_is_not_an_object_says_so() {
        for body in [
            serde_json::json!([1]),
            serde_json::json!("x"),
            serde_json::json!(null),
            // serde alone would read these positionally as the four fields
            serde_json::json!([null, null, null, null]),
            serde_json::json!(["Ada", "a@b.c", [1], true]),
        ] {
            let err = form(body).unwrap_err();
            assert!(err.contains("Request body must be a JSON object"), "{err}");
        }
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let err = from_json_value::<Body>(serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Invalid body: missing field `id`"), "{err}");
        let err = from_json_value::<Body>(serde_json::json!({"id": "x"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Invalid field id: id must be a positive integer"),
            "{err}"
        );
        assert!(!err.contains("missing field"), "{err}");
    }

    #[test]
    fn a_nul_character_anywhere_in_a_field_is_refused_with_the_rest() {
        let err = form(serde_json::json!({
            "email": "a\u{0}@b.c", "users": [1, {"x\u{0}": 2}], "firstName": 3
        }))
        .unwrap_err();
        for named in [
            "Invalid field email: must not contain a NUL character",
            "Invalid field users: must not contain a NUL character",
            "Invalid field firstName: invalid type: integer `3`, expected a string",
        ] {
            assert!(err.contains(named), "{named} missing from {err}");
        }
        let err = from_json_value::<Body>(serde_json::json!({"id": "1\u{0}"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Invalid field id: must not contain"), "{err}");
        assert!(!err.contains("missing field"), "{err}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        #[serde(alias = "channel_id")]
        channel_id: Id,
        cursor: Option<Id>,
        limit: Option<u32>,
    }

    fn page(query: &str) -> Result<Page, String> {
        from_query::<Page>(query).map_err(|e| e.to_string())
    }

    #[test]
    fn every_failing_query_parameter_is_named_in_one_answer() {
        let err = page("channelId=abc&cursor=-2&limit=x&extra=1").unwrap_err();
        assert!(err.starts_with("400 Validation error"), "{err}");
        for named in [
            "Invalid query parameter channelId: id must be a positive integer",
            "Invalid query parameter cursor: id must be a positive integer",
            "Invalid query parameter limit: invalid digit found in string",
        ] {
            assert!(err.contains(named), "{named} missing from {err}");
        }
        assert!(!err.contains("missing field"), "{err}");
    }

    #[test]
    fn parameters_left_after_a_failing_one_are_still_decoded() {
        let err = page("limit=x&channel_id=%37&cursor=%2D1").unwrap_err();
        assert!(err.contains("parameter limit:"), "{err}");
        assert!(err.contains("parameter cursor:"), "{err}");
        assert!(!err.contains("channel"), "{err}");
    }

    #[test]
    fn a_well_formed_query_comes_through_whole() {
        let ok = page("channel_id=7&limit=20&cursor=%33&other=x").unwrap();
        assert_eq!(
            (ok.channel_id, ok.cursor, ok.limit),
            (Id(7), Some(Id(3)), Some(20))
        );
        let ok = page("channelId=7").unwrap();
        assert_eq!((ok.cursor, ok.limit), (None, None));
    }

    #[test]
    fn a_nul_character_in_a_parameter_is_refused_with_the_rest() {
        let err = page("channelId=7%00&limit=x&q%00=1").unwrap_err();
        for named in [
            "Invalid query parameter channelId: must not contain a NUL character",
            "Invalid query parameter limit: invalid digit found in string",
        ] {
            assert!(err.contains(named), "{named} missing from {err}");
        }
        assert_eq!(err.matches("must not contain a NUL").count(), 2, "{err}");
        assert!(!err.contains("missing field"), "{err}");
    }

    #[test]
    fn a_missing_or_repeated_parameter_is_named() {
        let err = page("limit=2").unwrap_err();
        assert!(
            err.contains("Invalid query parameter: missing field `channelId`"),
            "{err}"
        );
        let err = page("channelId=1&limit=1&limit=2").unwrap_err();
        assert!(err.contains("duplicate field `limit`"), "{err}");
    }

    /// Whatever a client sends, a body or query string is read, or refused
    /// with a 400 that names at least one failure; never a panic, and never
    /// a NUL let through to the store.
    mod properties {
        use proptest::prelude::*;
        use serde_json::Value;

        use super::*;

        /// JSON of any shape, its keys biased to the fields [`Form`] reads
        /// so that types and values meet the reader, its strings to NULs
        /// and other controls.
        fn json() -> impl Strategy<Value = Value> {
            let text = prop_oneof![
                "[a-z@.]{0,12}",
                "\\PC{0,8}",
                "[\\x00-\\x1f]{1,3}",
                ".{0,6}\\x00.{0,6}"
            ];
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("JSON numbers are finite", |f| f.is_finite())
                    .prop_map(Value::from),
                text.prop_map(Value::from),
            ];
            let key = prop_oneof![
                "first_name",
                "firstName",
                "email",
                "users",
                "private",
                "id",
                ".{0,8}"
            ];
            leaf.prop_recursive(3, 32, 6, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((key.clone(), inner), 0..6)
                        .prop_map(|fields| Value::Object(fields.into_iter().collect())),
                ]
            })
        }

        fn holds_nul(form: &Form) -> bool {
            [&form.first_name, &form.email]
                .iter()
                .any(|s| s.as_deref().is_some_and(|s| s.contains('\0')))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn any_body_is_read_or_refused_with_named_failures(body in json()) {
                match from_json_value::<Form>(body) {
                    Ok(form) => prop_assert!(!holds_nul(&form)),
                    Err(e) => {
                        prop_assert_eq!(e.status(), StatusCode::BAD_REQUEST);
                        prop_assert!(!e.errors().is_empty());
                    }
                }
            }

            #[test]
            fn any_body_bytes_are_read_or_refused_with_named_failures(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                if let Err(e) = from_json_bytes::<Form>(&bytes) {
                    prop_assert_eq!(e.status(), StatusCode::BAD_REQUEST);
                    prop_assert!(!e.errors().is_empty());
                }
            }

            #[test]
            fn any_query_is_read_or_refused_with_named_failures(
                query in prop_oneof![".{0,40}", "((channel_?[iI]d|cursor|limit|x)=([0-9]{1,3}|-?[0-9a-z%]{0,6})&?){0,5}"]
            ) {
                if let Err(e) = from_query::<Page>(&query) {
                    prop_assert_eq!(e.status(), StatusCode::BAD_REQUEST);
                    prop_assert!(!e.errors().is_empty());
                }
            }
        }
    }
}
