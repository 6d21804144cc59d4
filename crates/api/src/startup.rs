//! The composition root: builds the adapters, the service and the HTTP server.
//! The only module that names concrete adapters.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use concord_adapters::{BcryptHasher, JwtIssuer, PgStore, SystemClock};
use concord_ports::{ChatService, Ports};
use tracing_actix_web::TracingLogger;

use crate::error::envelope_fallback;
use crate::extract::{MAX_BODY_BYTES, json_config, path_config, query_config};
use crate::routes;
use crate::settings::Settings;

/// A bound, not yet running, Concord server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connect to the database (migrating it), wire the service and bind the
    /// listener. Port 0 picks a free port.
    /// # Errors
    /// If the database is unreachable, a migration fails or the address is taken.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        if settings.uses_dev_secret() {
            tracing::warn!(
                "!!! auth.jwt_secret is the built-in development secret: anyone can forge tokens. \
                 Set CONCORD__AUTH__JWT_SECRET before exposing this server. !!!"
            );
        }
        let store = Arc::new(PgStore::connect(
            &settings.database.url,
            settings.database.pool_size,
            settings.connect_timeout(),
        )?);
        let chat = ChatService::new(Ports {
            users: store.clone(),
            sessions: store.clone(),
            workspaces: store.clone(),
            members: store.clone(),
            channels: store.clone(),
            conversations: store.clone(),
            messages: store.clone(),
            hasher: Arc::new(BcryptHasher::new(settings.auth.bcrypt_cost)?),
            tokens: Arc::new(JwtIssuer::new(
                settings.auth.jwt_secret.as_bytes(),
                settings.token_ttl(),
            )),
            clock: Arc::new(SystemClock),
            health: store,
        });
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, web::Data::new(chat), settings.server.workers)?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests, signals).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serve until the process is told to stop.
    /// # Errors
    /// If the server fails while running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(
    listener: TcpListener,
    chat: web::Data<ChatService>,
    workers: usize,
) -> anyhow::Result<Server> {
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(ErrorHandlers::new().default_handler(envelope_fallback))
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(TracingLogger::default())
            .app_data(chat.clone())
            .app_data(json_config())
            .app_data(path_config())
            .app_data(query_config())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
