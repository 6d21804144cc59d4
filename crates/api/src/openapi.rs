//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{server, system, workspace};

#[derive(OpenApi)]
#[openapi(
    info(title = "Concord", description = "A self-hostable team-chat backend: the workspace dialect under /api and the server dialect at the root. Any authenticated route answers 429 with Retry-After when the caller is over their rate limit."),
    paths(
        system::health, system::ready, system::openapi_json,
        workspace::session::sign_up, workspace::session::log_in, workspace::session::get_session,
        workspace::session::log_out, workspace::session::get_user,
        workspace::workspaces::list_my_workspaces, workspace::workspaces::get_workspace,
        workspace::workspaces::create_workspace, workspace::workspaces::update_workspace,
        workspace::workspaces::delete_workspace, workspace::workspaces::add_member,
        workspace::workspaces::remove_member,
        workspace::bans::ban_member, workspace::bans::lift_ban, workspace::bans::list_bans,
        workspace::channels::list_channels, workspace::channels::create_channel,
        workspace::channels::get_channel, workspace::channels::update_channel,
        workspace::channels::delete_channel, workspace::channels::add_channel_user,
        workspace::channels::remove_channel_user,
        workspace::direct_messages::create_direct_message, workspace::direct_messages::list_direct_messages,
        workspace::direct_messages::get_direct_message, workspace::direct_messages::update_direct_message,
        workspace::direct_messages::delete_direct_message,
        workspace::messages::send_channel_message, workspace::messages::list_channel_messages,
        workspace::messages::update_channel_message, workspace::messages::delete_channel_message,
        workspace::messages::list_channel_replies,
        workspace::messages::send_direct_message, workspace::messages::list_direct_messages_messages,
        workspace::messages::update_direct_message_message, workspace::messages::delete_direct_message_message,
        workspace::messages::list_direct_message_replies,
        server::servers::create_server, server::servers::update_server, server::servers::delete_server,
        server::servers::leave_server, server::servers::invite_code,
        server::members::update_member, server::members::delete_member,
        server::bans::ban_server_member, server::bans::lift_server_ban, server::bans::list_server_bans,
        server::channels::create_server_channel, server::channels::update_server_channel,
        server::channels::delete_server_channel,
        server::messages::start_conversation,
        server::messages::send_server_message, server::messages::update_server_message,
        server::messages::delete_server_message, server::messages::list_server_messages,
        server::messages::send_server_direct_message, server::messages::update_server_direct_message,
        server::messages::delete_server_direct_message, server::messages::list_server_direct_messages,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "system"), (name = "session"), (name = "users"), (name = "workspaces"), (name = "channels"),
        (name = "direct messages"), (name = "messages"),
        (name = "servers"), (name = "members"), (name = "server channels"), (name = "server messages"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_workspace_route() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/users",
            "/api/session",
            "/api/workspaces/{id}",
            "/api/channels/{id}/users",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
    }
}
