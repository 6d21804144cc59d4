//! Every route Concord serves, in one place.

pub mod gateway;
pub mod server;
pub mod system;
pub mod workspace;

use actix_web::web;
use concord_ports::ChatService;

use crate::error::ApiError;

/// The use cases, as handlers receive them.
pub type Chat = web::Data<ChatService>;

/// Registers every route. Each path is one `resource` with its methods, so an
/// unsupported method on a known path is a 405, not a 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use workspace::{channels, direct_messages, messages, session, workspaces};

    cfg.service(web::resource("/health").route(web::get().to(system::health)))
        .service(web::resource("/ready").route(web::get().to(system::ready)))
        .service(web::resource("/api/openapi.json").route(web::get().to(system::openapi_json)))
        // realtime gateway (API.md section 5)
        .service(web::resource("/ws").route(web::get().to(gateway::connect)))
        .service(web::resource("/api/asyncapi.json").route(web::get().to(gateway::asyncapi_json)))
        // workspace dialect (seed 004)
        .service(web::resource("/api/users").route(web::post().to(session::sign_up)))
        .service(web::resource("/api/users/{id}").route(web::get().to(session::get_user)))
        .service(
            web::resource("/api/session")
                .route(web::get().to(session::get_session))
                .route(web::post().to(session::log_in))
                .route(web::delete().to(session::log_out)),
        )
        .service(
            web::resource("/api/workspaces").route(web::post().to(workspaces::create_workspace)),
        )
        // before /api/workspaces/{id}, which would take "session" for an id
        .service(
            web::resource("/api/workspaces/session")
                .route(web::get().to(workspaces::list_my_workspaces)),
        )
        .service(
            web::resource("/api/workspaces/{id}")
                .route(web::get().to(workspaces::get_workspace))
                .route(web::put().to(workspaces::update_workspace))
                .route(web::delete().to(workspaces::delete_workspace)),
        )
        .service(
            web::resource("/api/workspaces/{id}/members")
                .route(web::post().to(workspaces::add_member)),
        )
        .service(
            web::resource("/api/workspaces/{workspaceId}/members/{userId}")
                .route(web::delete().to(workspaces::remove_member)),
        )
        .service(
            web::resource("/api/workspaces/{workspaceId}/channels")
                .route(web::get().to(channels::list_channels))
                .route(web::post().to(channels::create_channel)),
        )
        .service(
            web::resource("/api/channels/{id}")
                .route(web::get().to(channels::get_channel))
                .route(web::put().to(channels::update_channel))
                .route(web::delete().to(channels::delete_channel)),
        )
        .service(
            web::resource("/api/channels/{id}/users")
                .route(web::post().to(channels::add_channel_user))
                .route(web::delete().to(channels::remove_channel_user)),
        )
        .service(
            web::resource("/api/workspaces/{workspaceId}/direct_messages")
                .route(web::post().to(direct_messages::create_direct_message)),
        )
        .service(
            web::resource("/api/direct_messages")
                .route(web::get().to(direct_messages::list_direct_messages)),
        )
        .service(
            web::resource("/api/direct_messages/{id}")
                .route(web::get().to(direct_messages::get_direct_message))
                .route(web::put().to(direct_messages::update_direct_message))
                .route(web::delete().to(direct_messages::delete_direct_message)),
        )
        .service(
            web::resource("/api/channels/{channelId}/messages")
                .route(web::get().to(messages::list_channel_messages))
                .route(web::post().to(messages::send_channel_message)),
        )
        .service(
            web::resource("/api/channels/{channelId}/messages/{messageId}")
                .route(web::put().to(messages::update_channel_message))
                .route(web::delete().to(messages::delete_channel_message)),
        )
        .service(
            web::resource("/api/channels/{channelId}/messages/{messageId}/replies")
                .route(web::get().to(messages::list_channel_replies)),
        )
        .service(
            web::resource("/api/direct_messages/{directMessageId}/messages")
                .route(web::get().to(messages::list_direct_messages_messages))
                .route(web::post().to(messages::send_direct_message)),
        )
        .service(
            web::resource("/api/direct_messages/{directMessageId}/messages/{messageId}")
                .route(web::put().to(messages::update_direct_message_message))
                .route(web::delete().to(messages::delete_direct_message_message)),
        )
        .service(
            web::resource("/api/direct_messages/{directMessageId}/messages/{messageId}/replies")
                .route(web::get().to(messages::list_direct_message_replies)),
        );
    configure_server_dialect(cfg);
}

/// The server dialect (seed 000), at the root paths.
fn configure_server_dialect(cfg: &mut web::ServiceConfig) {
    use server::{channels, members, messages, servers};

    cfg.service(web::resource("/servers").route(web::post().to(servers::create_server)))
        .service(
            web::resource("/servers/{serverId}")
                .route(web::patch().to(servers::update_server))
                .route(web::delete().to(servers::delete_server)),
        )
        .service(
            web::resource("/servers/{serverId}/leave")
                .route(web::patch().to(servers::leave_server)),
        )
        .service(
            web::resource("/servers/{serverId}/invite-code")
                .route(web::patch().to(servers::invite_code)),
        )
        .service(
            web::resource("/members/{memberId}")
                .route(web::patch().to(members::update_member))
                .route(web::delete().to(members::delete_member)),
        )
        .service(web::resource("/channels").route(web::post().to(channels::create_server_channel)))
        .service(
            web::resource("/channels/{channelId}")
                .route(web::patch().to(channels::update_server_channel))
                .route(web::delete().to(channels::delete_server_channel)),
        )
        .service(
            web::resource("/conversations").route(web::post().to(messages::start_conversation)),
        )
        .service(
            web::resource("/socket/messages").route(web::post().to(messages::send_server_message)),
        )
        .service(
            web::resource("/socket/messages/{messageId}")
                .route(web::patch().to(messages::update_server_message))
                .route(web::delete().to(messages::delete_server_message)),
        )
        .service(web::resource("/messages").route(web::get().to(messages::list_server_messages)))
        .service(
            web::resource("/socket/direct-messages")
                .route(web::post().to(messages::send_server_direct_message)),
        )
        .service(
            web::resource("/socket/direct-messages/{directMessageId}")
                .route(web::patch().to(messages::update_server_direct_message))
                .route(web::delete().to(messages::delete_server_direct_message)),
        )
        .service(
            web::resource("/direct-messages")
                .route(web::get().to(messages::list_server_direct_messages)),
        );
}

/// Anything no route matched.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "Not found",
        vec![format!("No route for {} {}", req.method(), req.path())],
    ))
}
