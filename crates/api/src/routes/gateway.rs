//! `GET /ws`, the realtime gateway (API.md section 5), and its AsyncAPI
//! document. The sessions themselves are in [`crate::gateway`].

use actix_web::{HttpRequest, HttpResponse, web};

use crate::gateway::{self, Gateway};

/// The AsyncAPI 3 description of the gateway, shipped in `docs/`.
const ASYNCAPI: &str = include_str!("../../../../docs/asyncapi.json");

/// Upgrade to a WebSocket. Authenticate with `Authorization: Bearer` here
/// or with an `identify` frame; `?dialect=server` picks the server dialect's
/// message JSON for header-authenticated connections.
/// # Responses: 101 · 400 not a WebSocket upgrade
pub async fn connect(
    gateway: web::Data<Gateway>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    gateway::start(&gateway, &req, body)
}

/// The gateway's AsyncAPI 3 document: the contract of `GET /ws`, the
/// WebSocket gateway, which this OpenAPI document does not describe.
/// # Responses: 200
#[utoipa::path(get, path = "/api/asyncapi.json", tag = "system",
    responses((status = 200, description = "AsyncAPI 3 document", content_type = "application/json", body = Object)))]
pub async fn asyncapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ASYNCAPI)
}
