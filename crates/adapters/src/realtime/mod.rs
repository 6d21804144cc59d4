//! The realtime gateway (API.md section 5): WebSocket sessions on actix-ws,
//! the hub that fans committed events out to them, and the brokers that carry
//! events between nodes.
//!
//! The gateway owns no rule: who may follow a room is asked of the service
//! (the same check as reading its history), and message JSON comes from the
//! api crate through [`Wire`]. It never writes to the store.
//!
//! Feeds and broker connections run on a runtime of their own (one thread),
//! started by [`Realtime::start`]; sessions run on actix's workers.

mod broker;
mod hub;
mod protocol;
mod session;
mod socket;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use concord_ports::Notifier;
use tokio::sync::{mpsc, oneshot};

pub use broker::{CHANNEL, HubNotifier};
pub use hub::{Hub, HubConfig, Wire};
pub use protocol::{Dialect, close};
pub use session::{SessionConfig, start};

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

/// A running gateway core: its runtime thread, hub and notifier.
pub struct Realtime {
    hub: Hub,
    notifier: Arc<dyn Notifier>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Realtime {
    /// Starts the gateway's runtime and, for a broker, its connection task.
    /// A broker that is down at start is retried in the background; this node
    /// still serves its own events meanwhile.
    /// # Errors
    /// If the runtime thread cannot be started.
    pub fn start(broker: Broker, mut config: HubConfig) -> anyhow::Result<Self> {
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
        let hub = Hub::new(config, handle.clone());
        let node = format!("{:016x}", rand::random::<u64>());
        let notifier: Arc<dyn Notifier> = match broker {
            Broker::Local => Arc::new(HubNotifier::local(hub.clone())),
            remote => {
                let (outbox, queued) = mpsc::unbounded_channel();
                handle.spawn(broker::run(remote, hub.clone(), node, queued));
                Arc::new(HubNotifier::brokered(hub.clone(), outbox))
            }
        };
        Ok(Self {
            hub,
            notifier,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The notifier to hand to the service.
    pub fn notifier(&self) -> Arc<dyn Notifier> {
        self.notifier.clone()
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
