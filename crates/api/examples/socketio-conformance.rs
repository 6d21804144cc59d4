//! Serves Concord's Engine.IO and Socket.IO code as the official protocol
//! test suites expect (`socketio/engine.io-protocol` and
//! `socketio/socket.io-protocol`, folder `test-suite/`), on
//! 127.0.0.1:3000:
//!
//! - `/engine.io/`: plain Engine.IO, echoing every message back;
//! - `/socket.io/`: Socket.IO with the suites' reference behaviour: on
//!   connection emit `auth` with the handshake's auth, answer `message`
//!   with `message-back` and the same arguments, acknowledge
//!   `message-with-ack` with its arguments; namespace `/custom` emits
//!   `auth` only.
//!
//! Both use pingInterval 300 ms, pingTimeout 200 ms and maxPayload
//! 1,000,000; Socket.IO's connectTimeout is 1,000 ms. Run it with
//! `cargo run --release --example socketio-conformance`, then `npm test` in
//! each suite (README, "Socket.IO conformance").

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use concord_api::socketio::engine::{Connection, Engine, EngineConfig, Outgoing};
use concord_api::socketio::{
    Accepted, ConnectError, ConnectRequest, Event, Namespace, SocketHandle, SocketHandler,
    SocketIo, SocketIoConfig,
};
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;

const ADDRESS: (&str, u16) = ("127.0.0.1", 3000);

fn engine_config() -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_payload: 1_000_000,
        ..EngineConfig::default()
    }
}

/// Engine.IO alone: every message goes back as it came.
async fn echo(mut conn: Connection) {
    while let Some(payload) = conn.incoming.recv().await {
        if conn.sender.send(Outgoing::new(payload)).is_err() {
            break;
        }
    }
}

/// A namespace that accepts everyone; `replies` picks the main
/// namespace's behaviour over `/custom`'s.
struct Reference {
    replies: bool,
}

impl Namespace for Reference {
    fn connect(
        &self,
        request: ConnectRequest,
    ) -> BoxFuture<'static, Result<Accepted, ConnectError>> {
        let socket = ReferenceSocket {
            auth: request.auth,
            replies: self.replies,
        };
        Box::pin(async move { Ok(Accepted::new(socket)) })
    }
}

struct ReferenceSocket {
    auth: Box<RawValue>,
    replies: bool,
}

impl SocketHandler for ReferenceSocket {
    fn on_connect(&mut self, socket: &SocketHandle) {
        let _ = socket.emit("auth", std::slice::from_ref(&self.auth));
    }

    fn on_event<'a>(&'a mut self, socket: &'a SocketHandle, event: Event) -> BoxFuture<'a, ()> {
        if self.replies {
            let _ = match (event.name.as_str(), event.ack) {
                ("message", _) => {
                    socket.emit_binary("message-back", &event.args, event.attachments)
                }
                ("message-with-ack", Some(id)) => socket.ack(id, &event.args, event.attachments),
                _ => Ok(()),
            };
        }
        Box::pin(async {})
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // RUST_LOG=concord_api=debug shows each session's end and its reason.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let engine = Engine::new(
        engine_config(),
        Arc::new(|conn| {
            actix_web::rt::spawn(echo(conn));
        }),
    );
    let socketio = SocketIo::builder(
        engine_config(),
        SocketIoConfig {
            connect_timeout: Duration::from_millis(1000),
            ..SocketIoConfig::default()
        },
    )
    .namespace("/", Reference { replies: true })
    .namespace("/custom", Reference { replies: false })
    .build();
    println!(
        "socketio-conformance: listening on http://{}:{}",
        ADDRESS.0, ADDRESS.1
    );
    HttpServer::new(move || {
        let engine = engine.clone();
        let socketio = socketio.clone();
        App::new()
            .service(web::resource(["/engine.io", "/engine.io/"]).to(
                move |req: HttpRequest, body: web::Payload| {
                    let engine = engine.clone();
                    async move { engine.handle(req, body).await }
                },
            ))
            .service(web::resource(["/socket.io", "/socket.io/"]).to(
                move |req: HttpRequest, body: web::Payload| {
                    let socketio = socketio.clone();
                    async move { socketio.handle(req, body).await }
                },
            ))
            .default_service(web::to(HttpResponse::NotFound))
    })
    .bind(ADDRESS)?
    .run()
    .await
}
