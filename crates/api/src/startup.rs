//! The composition root: builds the adapters, the service and the HTTP server.
//! The only module that names concrete adapters.

use std::net::{TcpListener, ToSocketAddrs};
use std::sync::Arc;

use actix_web::dev::{Server, Service, ServiceRequest};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use concord_adapters::realtime::{Hub, OnAccessChange, Realtime};
use concord_adapters::{BcryptHasher, JwtIssuer, PgStore, SystemClock};
use concord_app::{Concord, Ports};
use concord_ports::EventLog;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder, TracingLogger};

use crate::error::envelope_fallback;
use crate::extract::{MAX_BODY_BYTES, json_config, path_config};
use crate::gateway::{ChatNamespace, DialectRenderer, Gateway};
use crate::limits::Limits;
use crate::routes;
use crate::settings::Settings;
use crate::socketio::SocketIo;

/// A bound, not yet running, Concord server.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener's server and port, when metrics are on.
    metrics: Option<(Server, u16)>,
    // Declared after `server`, so it outlives it: the gateway's runtime stops
    // only once no handler can reach it.
    realtime: Realtime,
}

/// Stops a running server: WebSocket clients get a 1001 close frame first,
/// then HTTP connections drain.
#[derive(Clone)]
pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
    hub: Hub,
}

impl StopHandle {
    /// Starts stopping at once; the future resolves when the server has
    /// stopped. `graceful` waits for in-flight requests; otherwise
    /// connections are cut.
    pub fn stop(&self, graceful: bool) -> impl Future<Output = ()> + use<> {
        self.hub.shutdown();
        let metrics = self.metrics.clone();
        let server = self.server.stop(graceful);
        async move {
            server.await;
            if let Some(metrics) = metrics {
                metrics.stop(false).await;
            }
        }
    }
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
        let store = Arc::new(
            PgStore::connect(
                &settings.database.url,
                settings.database.pool_size,
                settings.connect_timeout(),
            )
            .context("database.url")?,
        );
        let hasher = Arc::new(BcryptHasher::new(
            settings.auth.bcrypt_cost,
            settings.hash_concurrency(),
        )?);
        let log: Arc<dyn EventLog> = store.clone();
        let renderer = Arc::new(DialectRenderer::new(store.clone(), store.clone()));
        // The hub needs the log and the renderer, the use cases the hub's
        // notifier, and the broker what the use cases do about other nodes'
        // access changes: each is built from what comes before it.
        let (realtime, chat) = Realtime::start(
            settings.broker(),
            settings.hub_config(),
            Arc::clone(&log),
            renderer.clone(),
            |notifier| {
                let chat = Concord::new(Ports {
                    users: store.clone(),
                    sessions: store.clone(),
                    workspaces: store.clone(),
                    members: store.clone(),
                    channels: store.clone(),
                    conversations: store.clone(),
                    messages: store.clone(),
                    read_state: store.clone(),
                    hasher,
                    tokens: Arc::new(JwtIssuer::new(
                        settings.auth.jwt_secret.as_bytes(),
                        settings.token_ttl(),
                    )),
                    clock: Arc::new(SystemClock),
                    health: store.clone(),
                    notifier,
                    search: store.clone(),
                })
                .remembering_access(settings.access_cache_ttl());
                let memo = chat.clone();
                let elsewhere: OnAccessChange =
                    Box::new(move |change| memo.access_changed_elsewhere(change));
                (chat, elsewhere)
            },
        )?;
        let gateway = web::Data::new(Gateway {
            hub: realtime.hub().clone(),
            chat: chat.clone(),
            log,
            renderer,
            session: settings.session_config(),
        });
        // `[socketio]`: the reference server's defaults unless configured.
        let socketio = web::Data::new(
            SocketIo::builder(settings.engine_config(), settings.socketio_config())
                .namespace("/", ChatNamespace::new(&gateway, settings.sio_options()))
                .build(),
        );
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = listen(&address)
            .with_context(|| format!("server.host, server.port: cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let metrics = if settings.metrics.enabled {
            let pool = store.clone();
            let scrape = crate::metrics::Scrape {
                pool: Arc::new(move || pool.pool_state()),
            };
            Some(serve_metrics(settings, scrape)?)
        } else {
            None
        };
        let server = serve(
            listener,
            web::Data::new(chat),
            gateway,
            socketio,
            web::Data::new(Limits::new(settings.limits_config())),
            settings.server.workers,
        )?;
        Ok(Self {
            port,
            server,
            metrics,
            realtime,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// A handle to stop the server from elsewhere (tests, signals).
    pub fn handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            metrics: self.metrics.as_ref().map(|(server, _)| server.handle()),
            hub: self.realtime.hub().clone(),
        }
    }

    /// Serve until stopped through a [`StopHandle`] or by SIGINT/SIGTERM,
    /// which close every WebSocket with 1001 and then drain HTTP.
    /// # Errors
    /// If the server fails while running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = self.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: closing WebSockets, draining requests");
            stop.stop(true).await;
        });
        if let Some((metrics, _)) = self.metrics {
            actix_web::rt::spawn(metrics);
        }
        let served = self.server.await;
        drop(self.realtime);
        served
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Connections the kernel queues before Concord accepts them. The standard
/// library's 128 overflows in a reconnect storm (every client of a restarted
/// node at once), and an overflowed SYN is retried only after a second. The
/// kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: i32 = 4096;

/// A listening socket on `address` with [`LISTEN_BACKLOG`].
fn listen(address: &str) -> anyhow::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let addr = address
        .to_socket_addrs()?
        .next()
        .context("the address resolves to nothing")?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Each request's span: method, path, request id, and on the way out the
/// status and any error. Unlike tracing-actix-web's default it does not name
/// the matched route pattern, which costs a second pass of the router's
/// regexes over every request (a tenth of Concord's CPU under load).
struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let request_id = actix_web::HttpMessage::extensions(request)
            .get::<RequestId>()
            .copied();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %request.path(),
            request_id = tracing::field::display(request_id.map(|id| id.to_string()).unwrap_or_default()),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    /// Records the outcome on the span and, at debug level under the
    /// `concord_api::access` target, logs one access line inside it (off by
    /// default: `log.level = "info,concord_api::access=debug"` turns it on).
    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        if tracing::enabled!(target: "concord_api::access", tracing::Level::DEBUG) {
            let status = match outcome {
                Ok(response) => response.status().as_u16(),
                Err(e) => e.as_response_error().status_code().as_u16(),
            };
            span.in_scope(
                || tracing::debug!(target: "concord_api::access", status, "request done"),
            );
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Trailing slashes trimmed and repeated ones merged before routing, so
/// `/api//workspaces/1/` is `/api/workspaces/1`. actix-web's `NormalizePath`
/// does the same, but runs a regex over every path, tidy or not: 3 % of the
/// server's CPU while posting.
fn tidy_path(req: &mut ServiceRequest) {
    let Some(path) = tidy(req.path()) else {
        return;
    };
    let uri = &req.head().uri;
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    // Nothing is routed yet, so the match state is just the path.
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
}

/// `path` with repeated slashes merged and trailing ones trimmed, or `None`
/// if it is already so.
fn tidy(path: &str) -> Option<String> {
    let untidy = path.contains("//") || (path.len() > 1 && path.ends_with('/'));
    if !untidy {
        return None;
    }
    let mut tidy = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        tidy.push('/');
        tidy.push_str(segment);
    }
    if tidy.is_empty() {
        tidy.push('/');
    }
    Some(tidy)
}

/// The metrics listener: `GET /metrics` alone, on one worker, at
/// `[metrics]`'s address (never the public one unless configured so).
fn serve_metrics(
    settings: &Settings,
    scrape: crate::metrics::Scrape,
) -> anyhow::Result<(Server, u16)> {
    crate::metrics::recorder();
    let address = format!("{}:{}", settings.metrics.host, settings.metrics.port);
    let listener = listen(&address)
        .with_context(|| format!("metrics.host, metrics.port: cannot listen on {address}"))?;
    let port = listener.local_addr()?.port();
    let scrape = web::Data::new(scrape);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scrape.clone())
            .configure(routes::configure_metrics)
            .default_service(web::to(routes::not_found))
    })
    .disable_signals()
    .workers(1)
    .listen(listener)?
    .run();
    Ok((server, port))
}

fn serve(
    listener: TcpListener,
    chat: web::Data<Concord>,
    gateway: web::Data<Gateway>,
    socketio: web::Data<SocketIo>,
    limits: web::Data<Limits>,
    workers: usize,
) -> anyhow::Result<Server> {
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(ErrorHandlers::new().default_handler(envelope_fallback))
            .wrap_fn(|mut req, service| {
                tidy_path(&mut req);
                service.call(req)
            })
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap_fn(|req, service| {
                let (method, started) = (req.method().clone(), std::time::Instant::now());
                let answered = service.call(req);
                async move {
                    let res = answered.await?;
                    if crate::metrics::recording() {
                        crate::metrics::record_request(&res, &method, started);
                    }
                    Ok(res)
                }
            })
            .app_data(chat.clone())
            .app_data(gateway.clone())
            .app_data(socketio.clone())
            .app_data(limits.clone())
            .app_data(json_config())
            .app_data(path_config())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
    })
    // Signals are handled by `run_until_stopped`, which closes WebSockets
    // before HTTP drains (actix would otherwise wait on them until its timeout).
    .disable_signals()
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidy_paths_are_left_alone() {
        for path in ["/", "/api/workspaces/1", "/servers/2/members", ""] {
            assert_eq!(tidy(path), None, "{path}");
        }
    }

    #[test]
    fn repeated_slashes_merge_and_trailing_ones_go() {
        for (path, expected) in [
            ("/api/workspaces/1/", "/api/workspaces/1"),
            ("//api///workspaces//1//", "/api/workspaces/1"),
            ("//", "/"),
            ("/health/", "/health"),
        ] {
            assert_eq!(tidy(path).as_deref(), Some(expected), "{path}");
        }
    }
}
