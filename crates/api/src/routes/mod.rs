//! Every route Concord serves, in one place.

pub mod console;
pub mod docs;
pub mod gateway;
pub mod server;
pub mod socketio;
pub mod system;
pub mod workspace;

use actix_web::web;
use concord_app::Concord;

use crate::error::ApiError;

/// The use cases, as handlers receive them.
pub type Chat = web::Data<Concord>;

/// Registers every route. Each path is one `resource` with its methods, so an
/// unsupported method on a known path is a 405, not a 404.
///
/// Routes are grouped in scopes by their static prefix: the router tries a
/// dynamic pattern by running its regex, so a request only pays for the
/// patterns of its own group. Within a group the busiest route comes first.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use workspace::{
        bans, channels, direct_messages, messages, reactions, read_state, session, workspaces,
    };

    cfg.service(web::resource("/health").route(web::get().to(system::health)))
        // the browser console (a client of the workspace dialect)
        .service(web::resource("/").route(web::get().to(console::console_page)))
        .service(web::resource("/console/{file}").route(web::get().to(console::console_asset)))
        .service(web::resource("/ready").route(web::get().to(system::ready)))
        // realtime gateway (API.md section 5)
        .service(web::resource("/ws").route(web::get().to(gateway::connect)))
        // Socket.IO (API.md section 6), before the `/api` scope takes its path
        .service(socketio::resource(socketio::PATHS[0]))
        .service(socketio::resource(socketio::PATHS[1]))
        // workspace dialect (seed 004)
        .service(
            web::scope("/api")
                .service(web::resource("/openapi.json").route(web::get().to(system::openapi_json)))
                .service(
                    web::resource("/asyncapi.json").route(web::get().to(gateway::asyncapi_json)),
                )
                .service(web::resource("/docs").route(web::get().to(docs::page)))
                .service(web::resource("/docs/{asset}").route(web::get().to(docs::asset)))
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
                        )
                        .service(
                            web::resource("/{id}/read")
                                .route(web::put().to(read_state::mark_channel_read)),
                        )
                        .service(
                            web::resource("/{id}/pins")
                                .route(web::get().to(reactions::list_channel_pins)),
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
                        )
                        .service(
                            web::resource("/{id}/read")
                                .route(web::put().to(read_state::mark_direct_message_read)),
                        )
                        .service(
                            web::resource("/{id}/pins")
                                .route(web::get().to(reactions::list_direct_message_pins)),
                        ),
                )
                .service(
                    web::scope("/messages")
                        .service(
                            web::resource("/{messageId}/reactions/{emoji}")
                                .route(web::put().to(reactions::add_reaction))
                                .route(web::delete().to(reactions::remove_reaction)),
                        )
                        .service(
                            web::resource("/{messageId}/pin")
                                .route(web::put().to(reactions::pin_message))
                                .route(web::delete().to(reactions::unpin_message)),
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
                        )
                        .service(
                            web::resource("/{id}/unread")
                                .route(web::get().to(read_state::workspace_unread)),
                        )
                        .service(
                            web::resource("/{workspaceId}/search")
                                .route(web::get().to(workspace::search::search_messages)),
                        ),
                ),
        );
    configure_server_dialect(cfg);
}

/// The server dialect (seed 000), at the root paths.
fn configure_server_dialect(cfg: &mut web::ServiceConfig) {
    use server::{bans, channels, members, messages, reactions, read_state, servers};

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
            )
            .service(
                web::resource("/messages/{messageId}/reactions/{emoji}")
                    .route(web::put().to(reactions::add_server_reaction))
                    .route(web::delete().to(reactions::remove_server_reaction)),
            )
            .service(
                web::resource("/messages/{messageId}/pin")
                    .route(web::put().to(reactions::pin_server_message))
                    .route(web::delete().to(reactions::unpin_server_message)),
            )
            .service(
                web::resource("/direct-messages/{directMessageId}/reactions/{emoji}")
                    .route(web::put().to(reactions::add_server_direct_reaction))
                    .route(web::delete().to(reactions::remove_server_direct_reaction)),
            )
            .service(
                web::resource("/direct-messages/{directMessageId}/pin")
                    .route(web::put().to(reactions::pin_server_direct_message))
                    .route(web::delete().to(reactions::unpin_server_direct_message)),
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
            )
            .service(
                web::resource("/{serverId}/unread").route(web::get().to(read_state::server_unread)),
            ),
    )
    .service(
        web::scope("/channels")
            .service(web::resource("").route(web::post().to(channels::create_server_channel)))
            .service(
                web::resource("/{channelId}")
                    .route(web::patch().to(channels::update_server_channel))
                    .route(web::delete().to(channels::delete_server_channel)),
            )
            .service(
                web::resource("/{channelId}/read")
                    .route(web::patch().to(read_state::mark_server_channel_read)),
            )
            .service(
                web::resource("/{channelId}/pins")
                    .route(web::get().to(reactions::list_server_channel_pins)),
            ),
    )
    .service(
        web::resource("/members/{memberId}")
            .route(web::patch().to(members::update_member))
            .route(web::delete().to(members::delete_member)),
    )
    .service(
        web::scope("/conversations")
            .service(web::resource("").route(web::post().to(messages::start_conversation)))
            .service(
                web::resource("/{conversationId}/read")
                    .route(web::patch().to(read_state::mark_server_conversation_read)),
            )
            .service(
                web::resource("/{conversationId}/pins")
                    .route(web::get().to(reactions::list_server_conversation_pins)),
            ),
    )
    .service(web::resource("/search").route(web::get().to(server::search::search_server_messages)));
}

/// The metrics listener's one route (`[metrics]` in the configuration).
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(system::metrics)));
}

/// Anything no route matched.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    actix_web::HttpMessage::extensions_mut(&req).insert(crate::metrics::Unmatched);
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "Not found",
        vec![format!("No route for {} {}", req.method(), req.path())],
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use actix_web::http::{Method, StatusCode};
    use actix_web::{App, HttpRequest, HttpResponse, test, web};
    use utoipa::OpenApi;

    /// Served but described elsewhere: the WebSocket gateway's contract is
    /// the AsyncAPI document at `/api/asyncapi.json` (Socket.IO's, the
    /// protocol specifications and API.md section 6); the API docs page is a
    /// view of the OpenAPI document itself.
    const NOT_IN_OPENAPI: [(&str, &str); 7] = [
        ("GET", "/ws"),
        ("GET", "/api/socket/io"),
        ("POST", "/api/socket/io"),
        ("GET", "/socket.io"),
        ("POST", "/socket.io"),
        ("GET", "/api/docs"),
        ("GET", "/api/docs/{asset}"),
    ];

    const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// Every path pattern `configure` registers, read from actix's resource
    /// map (its `Debug` form is the only view actix gives of it): a
    /// resource's pattern is its scopes' prefixes and its own.
    async fn registered_paths() -> Vec<String> {
        let app = test::init_service(App::new().configure(super::configure).default_service(
            web::to(|req: HttpRequest| async move {
                HttpResponse::Ok().body(format!("{:#?}", req.resource_map()))
            }),
        ))
        .await;
        let dump = test::call_and_read_body(
            &app,
            test::TestRequest::get().uri("/no/such/route").to_request(),
        )
        .await;
        let dump = String::from_utf8(dump.to_vec()).unwrap();
        // (indentation of a map, its full pattern)
        let mut stack: Vec<(usize, String)> = Vec::new();
        let mut lines = dump.lines();
        let mut paths = Vec::new();
        let mut map_indent = 0;
        while let Some(line) = lines.next() {
            let indent = line.len() - line.trim_start().len();
            match line.trim() {
                "ResourceMap {" => map_indent = indent,
                "patterns: Single(" => {
                    let pattern = lines.next().unwrap().trim().trim_end_matches(',');
                    let pattern: String = serde_json::from_str(pattern).unwrap();
                    stack.retain(|(i, _)| *i < map_indent);
                    let parent = stack.last().map_or("", |(_, p)| p.as_str()).to_owned();
                    stack.push((map_indent, parent + &pattern));
                }
                "nodes: None," => paths.push(stack.last().unwrap().1.clone()),
                _ => {}
            }
        }
        paths
    }

    /// Parameters that are not ids, with a value their route serves.
    const NAMED: [(&str, &str); 2] = [("file", "main.js"), ("asset", "swagger-ui.css")];

    /// `pattern` with each `{param}` given a value: `1`, or its `NAMED` one.
    fn concrete(pattern: &str) -> String {
        let mut out = String::new();
        let mut param: Option<String> = None;
        for c in pattern.chars() {
            match (c, param.as_mut()) {
                ('{', _) => param = Some(String::new()),
                ('}', Some(name)) => {
                    let value = NAMED
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("1", |(_, v)| v);
                    out.push_str(value);
                    param = None;
                }
                (c, Some(name)) => name.push(c),
                (c, None) => out.push(c),
            }
        }
        out
    }

    /// (method, path pattern) of every route `configure` serves: each method
    /// a registered path does not answer with 405.
    async fn served_routes() -> BTreeSet<(String, String)> {
        let app = test::init_service(App::new().configure(super::configure)).await;
        let mut routes = BTreeSet::new();
        for path in registered_paths().await {
            for method in METHODS {
                let req = test::TestRequest::default()
                    .method(Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(&concrete(&path))
                    .to_request();
                let status = test::call_service(&app, req).await.status();
                assert_ne!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{method} {path}: no route matched"
                );
                if status != StatusCode::METHOD_NOT_ALLOWED {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
        routes
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap();
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in METHODS {
                if item.get(method.to_lowercase()).is_some() {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
        routes
    }

    #[actix_web::test]
    async fn every_served_route_is_in_the_openapi_document_and_back() {
        let mut served = served_routes().await;
        assert!(
            served.len() > 50,
            "the resource map was not read: {served:?}"
        );
        for (method, path) in NOT_IN_OPENAPI {
            assert!(
                served.remove(&(method.to_owned(), path.to_owned())),
                "{method} {path}"
            );
        }
        let documented = documented_routes();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served but not in the OpenAPI document: {undocumented:?}"
        );
        assert!(
            unserved.is_empty(),
            "in the OpenAPI document but not served: {unserved:?}"
        );
    }
}
