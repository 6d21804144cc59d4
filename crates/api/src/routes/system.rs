//! Liveness, readiness and the OpenAPI document.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::Chat;
use crate::error::{ApiError, ErrorBody};
use crate::extract::run;

#[derive(Serialize, ToSchema)]
pub struct StatusDto {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness: the process answers.
/// # Responses: 200
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = StatusDto)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(StatusDto { status: "ok" })
}

/// Readiness: the database answers.
/// # Responses: 200 · 503 database unreachable
#[utoipa::path(get, path = "/ready", tag = "system",
    responses((status = 200, body = StatusDto), (status = 503, body = ErrorBody)))]
pub async fn ready(chat: Chat) -> Result<HttpResponse, ApiError> {
    run(&chat, |s| s.ready()).await?;
    Ok(HttpResponse::Ok().json(StatusDto { status: "ok" }))
}

/// `GET /metrics` on the metrics listener: Prometheus text format.
pub async fn metrics(scrape: web::Data<crate::metrics::Scrape>) -> HttpResponse {
    let body = web::block(move || scrape.render())
        .await
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// The OpenAPI 3.1 document of this API.
/// # Responses: 200
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::ApiDoc::openapi())
}
