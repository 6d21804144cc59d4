//! `GET /ws`, the realtime gateway (API.md section 5), its AsyncAPI document,
//! and the two dialects' message JSON for its event frames.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use concord_adapters::realtime::{self, Dialect, Hub, SessionConfig, Wire};
use concord_domain::{RoomEvent, RoomEventKind, UserId, WorkspaceId};
use concord_ports::{ChatService, ServiceError};

use super::server::dto::{self as server_dto, Authors};
use super::workspace::dto as workspace_dto;

/// The gateway as handlers receive it.
pub struct Gateway {
    pub hub: Hub,
    pub session: SessionConfig,
}

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
    realtime::start(gateway.hub.clone(), gateway.session.clone(), &req, body)
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

/// Renders event data exactly as each dialect's HTTP routes render what the
/// event is about.
pub struct DialectWire {
    pub chat: ChatService,
}

impl Wire for DialectWire {
    fn reads_store(&self, dialect: Dialect) -> bool {
        // The server dialect shows each author's membership.
        matches!(dialect, Dialect::Server)
    }

    fn events_json(
        &self,
        events: &[&RoomEvent],
        workspace: WorkspaceId,
        dialect: Dialect,
    ) -> Result<Vec<String>, ServiceError> {
        let json = |r: serde_json::Result<String>| {
            r.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("rendering an event: {e}")))
        };
        match dialect {
            Dialect::Workspace => events
                .iter()
                .map(|e| match &e.payload {
                    RoomEventKind::MessageCreated(m)
                    | RoomEventKind::MessageUpdated(m)
                    | RoomEventKind::MessageDeleted(m) => {
                        json(serde_json::to_string(&workspace_dto::MessageDto::from(m)))
                    }
                })
                .collect(),
            Dialect::Server => {
                // One lookup per author per batch, not per message.
                let mut found: HashMap<UserId, Option<_>> = HashMap::new();
                for m in events.iter().filter_map(|e| e.payload.message()) {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        found.entry(m.author_id)
                    {
                        slot.insert(self.chat.author(workspace, m.author_id)?);
                    }
                }
                let authors = Authors::new(found.into_values().flatten().collect());
                events
                    .iter()
                    .map(|e| match &e.payload {
                        RoomEventKind::MessageCreated(m)
                        | RoomEventKind::MessageUpdated(m)
                        | RoomEventKind::MessageDeleted(m) => json(serde_json::to_string(
                            &server_dto::MessageDto::new(m, &authors),
                        )),
                    })
                    .collect()
            }
        }
    }
}
