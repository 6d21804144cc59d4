//! The realtime gateway's inbound side (API.md section 5): one WebSocket
//! session per connection on actix-ws, its wire protocol, and the renderer
//! that gives the hub each dialect's event frames.
//!
//! A session owns no rule: who may follow a room is asked of the use
//! cases (the same check as reading its history). It reads the event log, to
//! replay a resuming client, through the [`EventLog`] port, and live events
//! reach it from the hub (`concord_adapters::realtime`). Socket.IO's
//! namespace (`sio`) shares the hub, the renderer and the replay (`replay`),
//! and recovers clients from a self-contained offset (`offset`).

mod offset;
mod protocol;
mod render;
mod replay;
mod session;
mod sio;
mod socket;

use std::sync::Arc;

use concord_adapters::realtime::Hub;
use concord_app::Concord;
use concord_ports::EventLog;

pub use render::DialectRenderer;
pub use session::{SessionConfig, start};
pub use sio::{ChatNamespace, SioOptions};

/// Everything a WebSocket session needs, built once at start.
pub struct Gateway {
    pub hub: Hub,
    pub chat: Concord,
    pub log: Arc<dyn EventLog>,
    pub renderer: Arc<DialectRenderer>,
    pub session: SessionConfig,
}
