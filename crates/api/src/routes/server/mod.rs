//! The server dialect (root paths, seed 000): camelCase JSON, servers,
//! members by membership id, channels by `serverId`, and the socket-style
//! message routes. The same use cases as the workspace dialect serve it.

pub mod bans;
pub mod channels;
pub mod dto;
pub mod members;
pub mod messages;
pub mod reactions;
pub mod read_state;
pub mod search;
pub mod servers;

use actix_web::http::StatusCode;
use concord_app::{Missing, ServiceError};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::Id;

/// `?serverId=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ServerQuery {
    #[serde(alias = "server_id")]
    pub server_id: Id,
}

/// This dialect calls a workspace a server, also in its errors.
pub fn in_server_dialect(e: ServiceError) -> ApiError {
    match e {
        ServiceError::NotFound(Missing::Workspace) => ApiError::new(
            StatusCode::NOT_FOUND,
            "Server not found",
            vec!["Server with that ID does not exist".into()],
        ),
        ServiceError::Banned => ApiError::new(
            StatusCode::FORBIDDEN,
            "User is banned",
            vec!["User is banned from this server".into()],
        ),
        e => ApiError::from(e),
    }
}
