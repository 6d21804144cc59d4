//! Sign-up, login, the current session and logout.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use concord_domain::user::parse_image_url;
use concord_domain::{Email, Invalid, NewUser, Password, PersonName, UserId, Username, Validator};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{CurrentSessionDto, NoSessionDto, NoticeDto, SessionDto, UserDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AuthUser, Id, Json, MaybeAuthUser, PathId, run};
use crate::limits::Limits;
use crate::routes::Chat;
use crate::schema;

/// Sign-up form. `password` is required although seed 004 forgot it.
#[derive(Deserialize, ToSchema)]
pub struct SignUpBody {
    #[schema(value_type = schema::Username, required)]
    username: Option<String>,
    #[schema(value_type = schema::Email, required)]
    email: Option<String>,
    /// 6 to 72 characters.
    #[schema(value_type = String, required, min_length = 6, max_length = 72, pattern = r"^[^\x00]*$")]
    password: Option<String>,
    #[serde(alias = "firstName")]
    #[schema(value_type = schema::Name, required)]
    first_name: Option<String>,
    #[serde(alias = "lastName")]
    #[schema(value_type = schema::Name, required)]
    last_name: Option<String>,
    #[serde(alias = "imageUrl")]
    #[schema(value_type = Option<schema::Url>)]
    image_url: Option<String>,
}

impl SignUpBody {
    fn into_domain(self) -> Result<NewUser, ApiError> {
        let mut v = Validator::new();
        let username = v.require("Username", self.username, |s| Username::parse(&s));
        let email = v.require("Email", self.email, |s| Email::parse(&s));
        let password = v.require("Password", self.password, |s| Password::parse(&s));
        let first_name = v.require("First Name", self.first_name, |s| {
            PersonName::parse(&s, "First Name")
        });
        let last_name = v.require("Last Name", self.last_name, |s| {
            PersonName::parse(&s, "Last Name")
        });
        let image_url = v
            .optional(self.image_url, |s| parse_image_url(&s))
            .flatten();
        v.finish(|| {
            Some(NewUser {
                username: username?,
                email: email?,
                password: password?,
                first_name: first_name?,
                last_name: last_name?,
                image_url,
            })
        })
        .map_err(|e| ApiError::validation(e.0))
    }
}

/// Login form.
#[derive(Deserialize, ToSchema)]
pub struct LogInBody {
    /// Any non-blank text: an unknown address is a 401 like a wrong password.
    #[schema(value_type = String, required, pattern = r"^[^\x00]*[^\x00\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00]*$")]
    email: Option<String>,
    #[schema(value_type = String, required, pattern = r"^[^\x00]+$")]
    password: Option<String>,
}

/// Sign up a user and log them in.
/// # Responses: 201 created · 400 invalid body · 403 user already exists
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = SignUpBody,
    responses((status = 201, body = SessionDto), (status = 403, body = ErrorBody)))]
pub async fn sign_up(
    chat: Chat,
    limits: web::Data<Limits>,
    req: HttpRequest,
    body: Json<SignUpBody>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().into_domain()?;
    limits.sign_up(client_address(&req))?;
    let (user, token) = run(&chat, move |s| s.accounts.sign_up(new)).await?;
    Ok(HttpResponse::Created().json(SessionDto {
        user: UserDto::from(&user),
        token: token.token,
    }))
}

/// Log in with email and password.
/// # Responses: 200 logged in · 400 missing fields · 401 invalid credentials ·
/// 429 too many attempts for this email from this address
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LogInBody,
    responses((status = 200, body = SessionDto), (status = 401, description = "Invalid credentials", body = ErrorBody)))]
pub async fn log_in(
    chat: Chat,
    limits: web::Data<Limits>,
    req: HttpRequest,
    body: Json<LogInBody>,
) -> Result<HttpResponse, ApiError> {
    let LogInBody { email, password } = body.into_inner();
    let mut v = Validator::new();
    let email = v.require(
        "Email",
        email.filter(|e| !e.trim().is_empty()),
        Ok::<_, Invalid>,
    );
    let password = v.require(
        "Password",
        password.filter(|p| !p.is_empty()),
        Ok::<_, Invalid>,
    );
    let (email, password) = v
        .finish(|| Some((email?, password?)))
        .map_err(|e| ApiError::validation(e.0))?;
    limits.sign_in(client_address(&req), &email)?;
    let (user, token) = run(&chat, move |s| s.accounts.log_in(&email, &password)).await?;
    Ok(HttpResponse::Ok().json(SessionDto {
        user: UserDto::from(&user),
        token: token.token,
    }))
}

/// The peer's address, not a forwarding header a client could write.
fn client_address(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip())
}

/// The current user, or `{"user": null}` without a token.
/// # Responses: 200 · 401 bad token
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, body = CurrentSessionDto)), security((), ("bearer" = [])))]
pub async fn get_session(chat: Chat, user: MaybeAuthUser) -> Result<HttpResponse, ApiError> {
    let Some(me) = user.0 else {
        return Ok(HttpResponse::Ok().json(CurrentSessionDto::NoUser(NoSessionDto { user: () })));
    };
    let user = run(&chat, move |s| s.accounts.get_user(me.id)).await?;
    Ok(HttpResponse::Ok().json(CurrentSessionDto::User(UserDto::from(&user))))
}

/// Log out: the token is revoked and refused from now on.
/// # Responses: 200 · 401
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 200, body = NoticeDto)), security(("bearer" = [])))]
pub async fn log_out(chat: Chat, me: AuthUser) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.accounts.log_out(&me.claims)).await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("Successfully logged out")))
}

/// One user.
/// # Responses: 200 · 400 bad id · 401 · 404 user not found
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", params(("id" = Id, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    chat: Chat,
    _me: AuthUser,
    PathId(id): PathId<UserId>,
) -> Result<HttpResponse, ApiError> {
    let user = run(&chat, move |s| s.accounts.get_user(id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&user)))
}
