//! The realtime fan-out behind the WebSocket gateway (API.md section 5): the
//! hub that turns committed events into frames for this node's connections,
//! and the brokers that carry announcements between nodes.
//!
//! It owns no rule and no wire format: the WebSocket sessions (the api
//! crate's `gateway`) decide who may follow a room, and frames come from the
//! api crate through [`Renderer`]. It reads the store only through the
//! [`EventLog`] port and never writes to it.
//!
//! Feeds and broker connections run on a runtime of their own (one thread),
//! started by [`Realtime::start`]; the sessions run on actix's workers.

mod broker;
mod feed;
mod hub;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use concord_ports::{EventLog, Notifier};
use tokio::sync::{mpsc, oneshot};

pub use broker::{CHANNEL, HubNotifier, OnAccessChange};
pub use hub::{Connection, Delivery, Dialect, Hub, HubConfig, Outbound, Renderer, Stop, concerns};

/// How events reach the other nodes of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broker {
    /// One node: nothing leaves the process.
    Local,
    /// Postgres `LISTEN/NOTIFY` on the application's own database.
    Postgres { url: String },
    /// Redis pub/sub.
    Redis { url: String },
}

impl Broker {
    /// Whether the broker answers now, within `timeout`: what `concord
    /// check-config`, and a production start, ask before relying on it. The
    /// running node does not need this: it retries a broker that is down.
    /// # Errors
    /// Why it cannot be used, fit for one line.
    pub fn probe(&self, timeout: Duration) -> anyhow::Result<()> {
        match self {
            Broker::Local => Ok(()),
            Broker::Postgres { url } => {
                crate::postgres::plain_config(url).map_err(anyhow::Error::msg)?;
                crate::postgres::probe(url)
            }
            Broker::Redis { url } => {
                // Redis errors repeat their cause in their own message.
                let plain = |e: redis::RedisError| anyhow::anyhow!("{e}");
                let client = redis::Client::open(url.as_str()).map_err(plain)?;
                let mut conn = client.get_connection_with_timeout(timeout).map_err(plain)?;
                redis::cmd("PING")
                    .query::<String>(&mut conn)
                    .map_err(plain)?;
                Ok(())
            }
        }
    }
}

/// A running gateway core: its runtime thread and hub.
pub struct Realtime {
    hub: Hub,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Realtime {
    /// Starts the gateway's runtime, its hub (reading `log`, rendering with
    /// `renderer`) and, for a broker, its connection task. `app` is given the
    /// notifier to build the application with, and returns it with what to
    /// do when another node reports an access change; both are in place
    /// before anything is delivered. A broker that is down at start is
    /// retried in the background; this node still serves its own events
    /// meanwhile.
    /// # Errors
    /// If the runtime thread cannot be started.
    pub fn start<App>(
        broker: Broker,
        mut config: HubConfig,
        log: Arc<dyn EventLog>,
        renderer: Arc<dyn Renderer>,
        app: impl FnOnce(Arc<dyn Notifier>) -> (App, OnAccessChange),
    ) -> anyhow::Result<(Self, App)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("concord-realtime")
            .build()
            .context("starting the realtime runtime")?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("concord-realtime".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Feeds hold nothing that needs flushing; blocking reads in
                // flight get a moment to return.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .context("starting the realtime thread")?;
        if broker == Broker::Local {
            config.sweep_interval = None;
        } else if config.sweep_interval.is_none() {
            config.sweep_interval = Some(Duration::from_secs(1));
        }
        let hub = Hub::new(config, handle.clone(), log, renderer);
        let node = format!("{:016x}", rand::random::<u64>());
        let (notifier, remote): (Arc<dyn Notifier>, _) = match broker {
            Broker::Local => (Arc::new(HubNotifier::local(hub.clone())), None),
            remote => {
                let (outbox, queued) = mpsc::unbounded_channel();
                let notifier = Arc::new(HubNotifier::brokered(hub.clone(), outbox));
                (notifier, Some((remote, queued)))
            }
        };
        let (app, elsewhere) = app(notifier.clone());
        if let Some((remote, queued)) = remote {
            handle.spawn(broker::run(remote, hub.clone(), node, queued, elsewhere));
        }
        let realtime = Self {
            hub,
            stop: Some(stop),
            thread: Some(thread),
        };
        Ok((realtime, app))
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

impl Drop for Realtime {
    fn drop(&mut self) {
        self.hub.shutdown();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Not joined: dropping may happen on an async worker, which must not block.
        drop(self.thread.take());
    }
}
