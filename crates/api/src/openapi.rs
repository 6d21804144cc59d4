//! The OpenAPI 3.1 document, generated from the handlers' annotations.
//!
//! Handlers document their own successes and the errors particular to them
//! (403, 404, 409). The errors every route of a kind can answer are added
//! here, once, by [`CommonResponses`]; the links between operations that a
//! client (and schemathesis's stateful phase) can follow are in [`LINKS`].

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ErrorBody;

use crate::routes::{console, gateway, server, system, workspace};

#[derive(OpenApi)]
#[openapi(
    info(title = "Concord", description = "A self-hostable team-chat backend: the workspace dialect under /api and the server dialect at the root. Any authenticated route answers 429 with Retry-After when the caller is over their rate limit."),
    paths(
        system::health, system::ready, system::openapi_json, gateway::asyncapi_json,
        console::console_page, console::console_asset,
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
        workspace::reactions::add_reaction, workspace::reactions::remove_reaction,
        workspace::reactions::pin_message, workspace::reactions::unpin_message,
        workspace::reactions::list_channel_pins, workspace::reactions::list_direct_message_pins,
        workspace::read_state::mark_channel_read, workspace::read_state::mark_direct_message_read,
        workspace::read_state::workspace_unread,
        server::reactions::add_server_reaction, server::reactions::remove_server_reaction,
        server::reactions::add_server_direct_reaction, server::reactions::remove_server_direct_reaction,
        server::reactions::pin_server_message, server::reactions::unpin_server_message,
        server::reactions::pin_server_direct_message, server::reactions::unpin_server_direct_message,
        server::reactions::list_server_channel_pins, server::reactions::list_server_conversation_pins,
        server::read_state::mark_server_channel_read, server::read_state::mark_server_conversation_read,
        server::read_state::server_unread,
        workspace::search::search_messages, server::search::search_server_messages,
    ),
    // Named only by query and path parameters, which utoipa does not collect from.
    components(schemas(crate::schema::SearchText, crate::schema::EmojiParam, console::ConsoleFile)),
    modifiers(&BearerAuth, &CommonResponses, &Links, &NoNulInBodies),
    tags(
        (name = "system"), (name = "console"), (name = "session"), (name = "users"), (name = "workspaces"), (name = "channels"),
        (name = "direct messages"), (name = "messages"), (name = "reactions"), (name = "pins"),
        (name = "read state"),
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

/// The errors any route of a kind may answer, as shared responses in
/// `components/responses`, referenced from every operation they apply to:
///
/// - 400 on any operation with parameters or a body (malformed ids, query
///   strings, JSON, failed validation);
/// - 413 and 415 on any operation with a body (over 1 MiB, not JSON);
/// - 401 and 429 (with `Retry-After`) wherever a token may be sent, and 429
///   on sign-in and sign-up, which are limited per address;
/// - 503 on any operation that needs the database (all but `/health` and
///   the two documents).
///
/// A status an operation documents itself keeps the operation's own text.
struct CommonResponses;

const BAD_REQUEST: (&str, &str, &str) = (
    "400",
    "BadRequest",
    "Malformed or invalid input: the errors name each failing field or parameter",
);
const UNAUTHORIZED: (&str, &str, &str) = (
    "401",
    "Unauthorized",
    "Missing, malformed, expired or revoked token",
);
const PAYLOAD_TOO_LARGE: (&str, &str, &str) = ("413", "PayloadTooLarge", "Request body over 1 MiB");
const UNSUPPORTED_MEDIA_TYPE: (&str, &str, &str) = (
    "415",
    "UnsupportedMediaType",
    "Request body not sent as application/json",
);
const TOO_MANY_REQUESTS: (&str, &str, &str) = (
    "429",
    "TooManyRequests",
    "Over the rate limit; nothing was done. Retry after Retry-After seconds",
);
const SERVICE_UNAVAILABLE: (&str, &str, &str) =
    ("503", "ServiceUnavailable", "The database is unreachable");

/// Operations that need no database: they never answer 503.
const NO_DATABASE: [&str; 5] = [
    "/health",
    "/api/openapi.json",
    "/api/asyncapi.json",
    "/",
    "/console/{file}",
];

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
            .build(),
    )
}

fn shared_responses() -> Vec<(&'static str, Response)> {
    let retry_after = HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1)),
        )
        .description(Some("Whole seconds to wait before trying again"))
        .build();
    [
        BAD_REQUEST,
        UNAUTHORIZED,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        SERVICE_UNAVAILABLE,
    ]
    .into_iter()
    .map(|(_, name, text)| (name, error_response(text).build()))
    .chain([(
        TOO_MANY_REQUESTS.1,
        error_response(TOO_MANY_REQUESTS.2)
            .header("Retry-After", retry_after)
            .build(),
    )])
    .collect()
}

/// Whether a token may be sent to `op` (required or optional).
fn takes_token(op: &Operation) -> bool {
    serde_json::to_value(&op.security).is_ok_and(|security| {
        security.as_array().is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        })
    })
}

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, response) in shared_responses() {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                (&mut item.get, "get"),
                (&mut item.put, "put"),
                (&mut item.post, "post"),
                (&mut item.delete, "delete"),
                (&mut item.patch, "patch"),
            ];
            for (op, method) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_body = op.request_body.is_some();
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let token = takes_token(op);
                // sign-in and sign-up are limited per address (and email)
                let sign_in =
                    method == "post" && ["/api/session", "/api/users"].contains(&path.as_str());
                let applies = [
                    (BAD_REQUEST, has_body || has_params),
                    (UNAUTHORIZED, token),
                    (PAYLOAD_TOO_LARGE, has_body),
                    (UNSUPPORTED_MEDIA_TYPE, has_body),
                    (TOO_MANY_REQUESTS, token || sign_in),
                    (SERVICE_UNAVAILABLE, !NO_DATABASE.contains(&path.as_str())),
                ];
                for ((status, name, _), applies) in applies {
                    if applies {
                        op.responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                    }
                }
            }
        }
    }
}

/// The server refuses a body holding a NUL character anywhere, in a field it
/// reads or one it ignores, in a string or a key (Postgres `text` cannot
/// store one). Each request body's object therefore says what its other
/// properties may be: [`JsonWithoutNul`], and names without a NUL.
struct NoNulInBodies;

/// The schema of any JSON value with no NUL character in any string or key.
const JSON_WITHOUT_NUL: &str = "JsonWithoutNul";
const NO_NUL: &str = "^[^\\x00]*$";

fn json_without_nul() -> Schema {
    let any = || Ref::from_schema_name(JSON_WITHOUT_NUL);
    let text = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(NO_NUL))
    };
    AnyOfBuilder::new()
        .description(Some(
            "Any JSON value without a NUL character in any string or key",
        ))
        .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::Null,
            Type::Boolean,
            Type::Number,
        ])))
        .item(text())
        .item(ArrayBuilder::new().items(any()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(text()))
                .additional_properties(Some(any())),
        )
        .into()
}

impl Modify for NoNulInBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let mut bodies = Vec::new();
        for item in doc.paths.paths.values() {
            let ops = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for op in ops.into_iter().flatten() {
                let content = op.request_body.iter().flat_map(|b| b.content.values());
                for schema in content.filter_map(|c| c.schema.as_ref()) {
                    // A body that may be left out is `oneOf: [null, $ref]`.
                    let refs = match schema {
                        RefOr::T(Schema::OneOf(one)) => one.items.iter().collect(),
                        schema => vec![schema],
                    };
                    for r in refs.into_iter().filter_map(|item| match item {
                        RefOr::Ref(r) => Some(r),
                        RefOr::T(_) => None,
                    }) {
                        bodies.push(r.ref_location.rsplit('/').next().unwrap_or("").to_owned());
                    }
                }
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert(JSON_WITHOUT_NUL.to_owned(), RefOr::T(json_without_nul()));
        for name in bodies {
            if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(&name) {
                body.property_names = Some(Box::new(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(NO_NUL))
                        .into(),
                ));
                body.additional_properties = Some(Box::new(
                    RefOr::Ref(Ref::from_schema_name(JSON_WITHOUT_NUL)).into(),
                ));
            }
        }
    }
}

/// Links from a created resource to what a client does with it next:
/// (operation id of the creation, status, link name, target operation id,
/// [(target parameter, runtime expression)]). Targets whose body names
/// another resource get one from [`link_body`].
type LinkSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The request body of a link from `from` named `name`, as JSON with runtime
/// expressions: one naming something that exists, so that the target's
/// answer is about the linked resource and not about a random id in the body.
fn link_body(from: &str, name: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    match (from, name) {
        // The owner is already a member: 409, with the workspace found.
        ("create_workspace", "AddMember") => Some(json!({"user_id": "$response.body#/owner_id"})),
        // A conversation naming only the caller: notes to self.
        ("create_workspace", "CreateDirectMessage") => {
            Some(json!({"users": ["$response.body#/owner_id"]}))
        }
        // Joining with the server's own code: the owner is a member already.
        ("create_server", "InviteCode") => {
            Some(json!({"inviteCode": "$response.body#/inviteCode"}))
        }
        _ => None,
    }
}

const LINKS: &[LinkSpec] = &[
    (
        "sign_up",
        "201",
        "GetUser",
        "get_user",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "GetWorkspace",
        "get_workspace",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "UpdateWorkspace",
        "update_workspace",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "DeleteWorkspace",
        "delete_workspace",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "AddMember",
        "add_member",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "ListChannels",
        "list_channels",
        &[("path.workspaceId", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "CreateChannel",
        "create_channel",
        &[("path.workspaceId", "$response.body#/id")],
    ),
    (
        "create_workspace",
        "201",
        "CreateDirectMessage",
        "create_direct_message",
        &[("path.workspaceId", "$response.body#/id")],
    ),
    (
        "create_channel",
        "201",
        "GetChannel",
        "get_channel",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_channel",
        "201",
        "UpdateChannel",
        "update_channel",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_channel",
        "201",
        "DeleteChannel",
        "delete_channel",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_channel",
        "201",
        "SendMessage",
        "send_channel_message",
        &[("path.channelId", "$response.body#/id")],
    ),
    (
        "create_channel",
        "201",
        "ListMessages",
        "list_channel_messages",
        &[("path.channelId", "$response.body#/id")],
    ),
    (
        "send_channel_message",
        "201",
        "UpdateMessage",
        "update_channel_message",
        &[
            ("path.channelId", "$response.body#/channel_id"),
            ("path.messageId", "$response.body#/id"),
        ],
    ),
    (
        "send_channel_message",
        "201",
        "DeleteMessage",
        "delete_channel_message",
        &[
            ("path.channelId", "$response.body#/channel_id"),
            ("path.messageId", "$response.body#/id"),
        ],
    ),
    (
        "send_channel_message",
        "201",
        "ListReplies",
        "list_channel_replies",
        &[
            ("path.channelId", "$response.body#/channel_id"),
            ("path.messageId", "$response.body#/id"),
        ],
    ),
    (
        "create_direct_message",
        "201",
        "GetDirectMessage",
        "get_direct_message",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_direct_message",
        "201",
        "UpdateDirectMessage",
        "update_direct_message",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_direct_message",
        "201",
        "DeleteDirectMessage",
        "delete_direct_message",
        &[("path.id", "$response.body#/id")],
    ),
    (
        "create_direct_message",
        "201",
        "SendMessage",
        "send_direct_message",
        &[("path.directMessageId", "$response.body#/id")],
    ),
    (
        "create_direct_message",
        "201",
        "ListMessages",
        "list_direct_messages_messages",
        &[("path.directMessageId", "$response.body#/id")],
    ),
    (
        "send_direct_message",
        "201",
        "UpdateMessage",
        "update_direct_message_message",
        &[
            ("path.directMessageId", "$response.body#/direct_message_id"),
            ("path.messageId", "$response.body#/id"),
        ],
    ),
    (
        "send_direct_message",
        "201",
        "DeleteMessage",
        "delete_direct_message_message",
        &[
            ("path.directMessageId", "$response.body#/direct_message_id"),
            ("path.messageId", "$response.body#/id"),
        ],
    ),
    (
        "create_server",
        "201",
        "UpdateServer",
        "update_server",
        &[("path.serverId", "$response.body#/id")],
    ),
    (
        "create_server",
        "201",
        "DeleteServer",
        "delete_server",
        &[("path.serverId", "$response.body#/id")],
    ),
    (
        "create_server",
        "201",
        "InviteCode",
        "invite_code",
        &[("path.serverId", "$response.body#/id")],
    ),
    (
        "create_server",
        "201",
        "CreateChannel",
        "create_server_channel",
        &[("query.serverId", "$response.body#/id")],
    ),
    (
        "create_server",
        "201",
        "UpdateMember",
        "update_member",
        &[
            ("path.memberId", "$response.body#/members/0/id"),
            ("query.serverId", "$response.body#/id"),
        ],
    ),
    // A new server's first channel is its `general` TEXT channel.
    (
        "create_server",
        "201",
        "SendMessage",
        "send_server_message",
        &[
            ("query.channelId", "$response.body#/channels/0/id"),
            ("query.serverId", "$response.body#/id"),
        ],
    ),
    (
        "create_server",
        "201",
        "ListMessages",
        "list_server_messages",
        &[("query.channelId", "$response.body#/channels/0/id")],
    ),
    (
        "send_server_message",
        "201",
        "UpdateMessage",
        "update_server_message",
        &[
            ("path.messageId", "$response.body#/id"),
            ("query.channelId", "$response.body#/channelId"),
            ("query.serverId", "$response.body#/member/serverId"),
        ],
    ),
    (
        "send_server_message",
        "201",
        "DeleteMessage",
        "delete_server_message",
        &[
            ("path.messageId", "$response.body#/id"),
            ("query.channelId", "$response.body#/channelId"),
            ("query.serverId", "$response.body#/member/serverId"),
        ],
    ),
];

struct Links;

impl Modify for Links {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                for (from, status, name, to, params) in LINKS {
                    if *from != id {
                        continue;
                    }
                    let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                        continue;
                    };
                    // utoipa 5.5 writes `Link`'s `operation_id` and
                    // `request_body` in snake case, which OpenAPI does not
                    // know; those two fields go in by hand.
                    let mut fields = vec![("operationId", serde_json::Value::from(*to))];
                    if let Some(body) = link_body(from, name) {
                        fields.push(("requestBody", body));
                    }
                    let link = params.iter().fold(
                        LinkBuilder::new().extensions(Some(Extensions::from_iter(fields))),
                        |l, (p, v)| l.parameter(*p, *v),
                    );
                    response
                        .links
                        .insert((*name).to_owned(), RefOr::T(link.build()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn doc() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    fn operations(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
        doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .iter()
                    .map(move |(method, op)| (format!("{method} {path}"), op))
            })
    }

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_workspace_route() {
        let doc = doc();
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

    #[test]
    fn query_parameters_are_in_the_query_and_path_parameters_in_the_path() {
        let doc = doc();
        for (op, body) in operations(&doc) {
            for param in body["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let in_path = op.contains(&format!("{{{name}}}"));
                let declared = param["in"].as_str().unwrap();
                let expected = match (in_path, declared) {
                    (true, _) => "path",
                    (false, "header") => "header",
                    (false, _) => "query",
                };
                assert_eq!(declared, expected, "{op}: {name}");
                if declared == "path" {
                    assert_eq!(param["required"], true, "{op}: {name}");
                }
            }
        }
        let list = &doc["paths"]["/messages"]["get"]["parameters"];
        let param = |name: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{name} missing"))
                .clone()
        };
        assert_eq!(param("channelId")["required"], true);
        assert_ne!(param("cursor")["required"], true);
        let limit = param("limit")["schema"].clone();
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (json!(1), json!(100))
        );
    }

    #[test]
    fn the_dialects_have_schemas_of_their_own() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["Message"]["properties"].get("user_id").is_some());
        assert!(
            schemas["ServerMessage"]["properties"]
                .get("memberId")
                .is_some()
        );
        assert!(schemas["Channel"]["properties"].get("type").is_none());
        assert!(
            schemas["ServerChannel"]["required"]
                .as_array()
                .unwrap()
                .contains(&json!("type"))
        );
        let workspace_send = &doc["paths"]["/api/channels/{channelId}/messages"]["post"];
        assert_eq!(
            workspace_send["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Message"
        );
    }

    #[test]
    fn a_session_without_a_token_is_documented_as_a_null_user() {
        let doc = doc();
        let ok = &doc["paths"]["/api/session"]["get"]["responses"]["200"];
        let schema = &ok["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(schema, "#/components/schemas/CurrentSessionDto");
        let one_of = doc["components"]["schemas"]["CurrentSessionDto"]["oneOf"].to_string();
        assert!(
            one_of.contains("UserDto") && one_of.contains("NoSessionDto"),
            "{one_of}"
        );
        let user = &doc["components"]["schemas"]["NoSessionDto"]["properties"]["user"];
        assert_eq!(user["type"], "null");
    }

    #[test]
    fn request_bodies_list_their_required_fields() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let required = |name: &str| schemas[name]["required"].clone();
        assert_eq!(
            required("SignUpBody"),
            json!(["username", "email", "password", "first_name", "last_name"])
        );
        assert_eq!(
            required("CreateWorkspaceBody"),
            json!(["name", "description"])
        );
        assert_eq!(required("SendMessageBody"), json!(["content"]));
        assert_eq!(required("ServerSendMessageBody"), json!(["content"]));
        assert_eq!(schemas["UpdateWorkspaceBody"].get("required"), None);
    }

    #[test]
    fn every_request_body_refuses_a_nul_in_what_it_does_not_name() {
        let doc = doc();
        for (op, body) in operations(&doc) {
            let Some(schema) = body.pointer("/requestBody/content/application~1json/schema") else {
                continue;
            };
            let refs: Vec<&Value> = match schema.get("oneOf") {
                Some(items) => items.as_array().unwrap().iter().collect(),
                None => vec![schema],
            };
            for name in refs
                .iter()
                .filter_map(|r| r["$ref"].as_str())
                .map(|r| r.rsplit('/').next().unwrap())
            {
                let object = &doc["components"]["schemas"][name];
                assert_eq!(
                    object["propertyNames"]["pattern"],
                    json!(NO_NUL),
                    "{op}: {name}"
                );
                assert!(
                    object["additionalProperties"]["$ref"]
                        .as_str()
                        .is_some_and(|r| r.ends_with(JSON_WITHOUT_NUL)),
                    "{op}: {name}"
                );
            }
        }
    }

    #[test]
    fn every_operation_documents_the_errors_its_kind_can_answer() {
        let doc = doc();
        for (op, body) in operations(&doc) {
            let responses = &body["responses"];
            let has = |status: &str| responses.get(status).is_some();
            if body.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(has(status), "{op} lacks {status}");
                }
            }
            if body.get("security").is_some() {
                assert!(has("401") && has("429"), "{op} lacks 401 or 429");
            }
            let path = op.split_once(' ').map_or(op.as_str(), |(_, path)| path);
            if !NO_DATABASE.contains(&path) {
                assert!(has("503"), "{op} lacks 503");
            }
        }
        let limited = &doc["components"]["responses"]["TooManyRequests"];
        assert!(limited["headers"].get("Retry-After").is_some());
        assert!(
            doc["paths"]["/api/session"]["post"]["responses"]
                .get("429")
                .is_some()
        );
    }

    #[test]
    fn every_link_names_an_operation_and_a_body_a_link() {
        let doc = doc();
        let ids: Vec<_> = operations(&doc)
            .filter_map(|(_, op)| op["operationId"].as_str().map(str::to_owned))
            .collect();
        for (from, _, name, to, _) in LINKS {
            assert!(ids.iter().any(|id| id == from), "{from}");
            assert!(ids.iter().any(|id| id == to), "{name}: {to}");
        }
        let with_body = LINKS.iter().filter(|l| link_body(l.0, l.2).is_some());
        assert_eq!(
            with_body.count(),
            3,
            "a body for a link that does not exist"
        );
        let created = &doc["paths"]["/api/workspaces"]["post"]["responses"]["201"];
        assert_eq!(
            created["links"]["GetWorkspace"]["operationId"],
            "get_workspace"
        );
    }

    #[test]
    fn every_reference_names_a_component_of_the_document() {
        fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
            match value {
                Value::Object(fields) => {
                    if let Some(Value::String(target)) = fields.get("$ref") {
                        found.push(target);
                    }
                    fields.values().for_each(|v| refs(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let doc = doc();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "{found:?}");
        for target in found {
            let pointer = target.trim_start_matches('#');
            assert!(
                doc.pointer(pointer).is_some(),
                "{target} is not in the document"
            );
        }
    }
}
