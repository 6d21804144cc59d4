//! Sign-up, login, the current session and logout.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use concord_domain::user::parse_image_url;
use concord_domain::{Email, Invalid, NewUser, Password, PersonName, Username, Validator};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{NoSessionDto, NoticeDto, SessionDto, UserDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AuthUser, Id, Json, MaybeAuthUser, run};
use crate::limits::Limits;
use crate::routes::Chat;

/// Sign-up form. `password` is required although seed 004 forgot it.
#[derive(Deserialize, ToSchema)]
pub struct SignUpBody {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(alias = "firstName")]
    first_name: Option<String>,
    #[serde(alias = "lastName")]
    last_name: Option<String>,
    #[serde(alias = "imageUrl")]
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
    email: Option<String>,
    password: Option<String>,
}

/// Sign up a user and log them in.
/// # Responses: 201 created · 400 invalid body · 403 user already exists
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = SignUpBody,
    responses((status = 201, body = SessionDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sign_up(
    chat: Chat,
    limits: web::Data<Limits>,
    req: HttpRequest,
    body: Json<SignUpBody>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().into_domain()?;
    limits.sign_up(client_address(&req))?;
    let (user, token) = run(&chat, move |s| s.sign_up(new)).await?;
    Ok(HttpResponse::Created().json(SessionDto {
        user: UserDto::from(&user),
        token: token.token,
    }))
}

/// Log in with email and password.
/// # Responses: 200 logged in · 400 missing fields · 401 invalid credentials ·
/// 429 too many attempts for this email from this address
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LogInBody,
    responses((status = 200, body = SessionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
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
    let (user, token) = run(&chat, move |s| s.log_in(&email, &password)).await?;
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
    responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)), security((), ("bearer" = [])))]
pub async fn get_session(chat: Chat, user: MaybeAuthUser) -> Result<HttpResponse, ApiError> {
    let Some(me) = user.0 else {
        return Ok(HttpResponse::Ok().json(NoSessionDto { user: None }));
    };
    let user = run(&chat, move |s| s.get_user(me.id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&user)))
}

/// Log out: the token is revoked and refused from now on.
/// # Responses: 200 · 401
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 200, body = NoticeDto), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn log_out(chat: Chat, me: AuthUser) -> Result<HttpResponse, ApiError> {
    run(&chat, move |s| s.log_out(&me.claims)).await?;
    Ok(HttpResponse::Ok().json(NoticeDto::new("Successfully logged out")))
}

/// One user.
/// # Responses: 200 · 400 bad id · 401 · 404 user not found
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    chat: Chat,
    _me: AuthUser,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = concord_domain::UserId::new(id.into_inner().get());
    let user = run(&chat, move |s| s.get_user(id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&user)))
}
