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
///
/// Routes are grouped in scopes by their static prefix: the router tries a
/// dynamic pattern by running its regex, so a request only pays for the
/// patterns of its own group. Within a group the busiest route comes first.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use workspace::{bans, channels, direct_messages, messages, session, workspaces};

    cfg.service(web::resource("/health").route(web::get().to(system::health)))
        .service(web::resource("/ready").route(web::get().to(system::ready)))
        // realtime gateway (API.md section 5)
        .service(web::resource("/ws").route(web::get().to(gateway::connect)))
        // workspace dialect (seed 004)
        .service(
            web::scope("/api")
                .service(web::resource("/openapi.json").route(web::get().to(system::openapi_json)))
                .service(
                    web::resource("/asyncapi.json").route(web::get().to(gateway::asyncapi_json)),
                )
                .service(web::resource("/users").route(web::post().to(session::sign_up)))
                .service(web::resource("/users/{id}").route(web::get().to(session::get_user)))
                .service(
                    web::resource("/session")
                        .route(web::get().to(session::get_session))
                        .route(web::post().to(session::log_in))
                        .route(web::delete().to(session::log_out)),
                )
                .service(
                    web::scope("/channels")
                        .service(
                            web::resource("/{channelId}/messages")
                                .route(web::post().to(messages::send_channel_message))
                                .route(web::get().to(messages::list_channel_messages)),
                        )
                        .service(
                            web::resource("/{id}")
                                .route(web::get().to(channels::get_channel))
                                .route(web::put().to(channels::update_channel))
                                .route(web::delete().to(channels::delete_channel)),
                        )
                        .service(
                            web::resource("/{id}/users")
                                .route(web::post().to(channels::add_channel_user))
                                .route(web::delete().to(channels::remove_channel_user)),
                        )
                        .service(
                            web::resource("/{channelId}/messages/{messageId}")
                                .route(web::put().to(messages::update_channel_message))
                                .route(web::delete().to(messages::delete_channel_message)),
                        )
                        .service(
                            web::resource("/{channelId}/messages/{messageId}/replies")
                                .route(web::get().to(messages::list_channel_replies)),
                        ),
                )
                .service(
                    web::scope("/direct_messages")
                        .service(
                            web::resource("/{directMessageId}/messages")
                                .route(web::post().to(messages::send_direct_message))
                                .route(web::get().to(messages::list_direct_messages_messages)),
                        )
                        .service(
                            web::resource("")
                                .route(web::get().to(direct_messages::list_direct_messages)),
                        )
                        .service(
                            web::resource("/{id}")
                                .route(web::get().to(direct_messages::get_direct_message))
                                .route(web::put().to(direct_messages::update_direct_message))
                                .route(web::delete().to(direct_messages::delete_direct_message)),
                        )
                        .service(
                            web::resource("/{directMessageId}/messages/{messageId}")
                                .route(web::put().to(messages::update_direct_message_message))
                                .route(web::delete().to(messages::delete_direct_message_message)),
                        )
                        .service(
                            web::resource("/{directMessageId}/messages/{messageId}/replies")
                                .route(web::get().to(messages::list_direct_message_replies)),
                        ),
                )
                .service(
                    web::scope("/workspaces")
                        .service(
                            web::resource("").route(web::post().to(workspaces::create_workspace)),
                        )
                        // before /{id}, which would take "session" for an id
                        .service(
                            web::resource("/session")
                                .route(web::get().to(workspaces::list_my_workspaces)),
                        )
                        .service(
                            web::resource("/{id}")
                                .route(web::get().to(workspaces::get_workspace))
                                .route(web::put().to(workspaces::update_workspace))
                                .route(web::delete().to(workspaces::delete_workspace)),
                        )
                        .service(
                            web::resource("/{id}/members")
                                .route(web::post().to(workspaces::add_member)),
                        )
                        .service(
                            web::resource("/{workspaceId}/members/{userId}")
                                .route(web::delete().to(workspaces::remove_member)),
                        )
                        .service(
                            web::resource("/{workspaceId}/bans")
                                .route(web::get().to(bans::list_bans)),
                        )
                        .service(
                            web::resource("/{workspaceId}/bans/{userId}")
                                .route(web::put().to(bans::ban_member))
                                .route(web::delete().to(bans::lift_ban)),
                        )
                        .service(
                            web::resource("/{workspaceId}/channels")
                                .route(web::get().to(channels::list_channels))
                                .route(web::post().to(channels::create_channel)),
                        )
                        .service(
                            web::resource("/{workspaceId}/direct_messages")
                                .route(web::post().to(direct_messages::create_direct_message)),
                        ),
                ),
        );
    configure_server_dialect(cfg);
}

/// The server dialect (seed 000), at the root paths.
fn configure_server_dialect(cfg: &mut web::ServiceConfig) {
    use server::{bans, channels, members, messages, servers};

    cfg.service(
        web::scope("/socket")
            .service(
                web::resource("/messages").route(web::post().to(messages::send_server_message)),
            )
            .service(
                web::resource("/messages/{messageId}")
                    .route(web::patch().to(messages::update_server_message))
                    .route(web::delete().to(messages::delete_server_message)),
            )
            .service(
                web::resource("/direct-messages")
                    .route(web::post().to(messages::send_server_direct_message)),
            )
            .service(
                web::resource("/direct-messages/{directMessageId}")
                    .route(web::patch().to(messages::update_server_direct_message))
                    .route(web::delete().to(messages::delete_server_direct_message)),
            ),
    )
    .service(web::resource("/messages").route(web::get().to(messages::list_server_messages)))
    .service(
        web::resource("/direct-messages")
            .route(web::get().to(messages::list_server_direct_messages)),
    )
    .service(
        web::scope("/servers")
            .service(web::resource("").route(web::post().to(servers::create_server)))
            .service(
                web::resource("/{serverId}")
                    .route(web::patch().to(servers::update_server))
                    .route(web::delete().to(servers::delete_server)),
            )
            .service(
                web::resource("/{serverId}/leave").route(web::patch().to(servers::leave_server)),
            )
            .service(
                web::resource("/{serverId}/invite-code")
                    .route(web::patch().to(servers::invite_code)),
            )
            .service(web::resource("/{serverId}/bans").route(web::get().to(bans::list_server_bans)))
            .service(
                web::resource("/{serverId}/bans/{profileId}")
                    .route(web::put().to(bans::ban_server_member))
                    .route(web::delete().to(bans::lift_server_ban)),
            ),
    )
    .service(
        web::scope("/channels")
            .service(web::resource("").route(web::post().to(channels::create_server_channel)))
            .service(
                web::resource("/{channelId}")
                    .route(web::patch().to(channels::update_server_channel))
                    .route(web::delete().to(channels::delete_server_channel)),
            ),
    )
    .service(
        web::resource("/members/{memberId}")
            .route(web::patch().to(members::update_member))
            .route(web::delete().to(members::delete_member)),
    )
    .service(web::resource("/conversations").route(web::post().to(messages::start_conversation)));
}

/// Anything no route matched.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "Not found",
        vec![format!("No route for {} {}", req.method(), req.path())],
    ))
}
