//! Socket.IO v5 over Engine.IO v4, server side, on actix-web (API.md
//! section 6): the protocol only. Who may connect, and what a socket
//! receives, is up to the [`Namespace`]s it is built with.
//!
//! - `engine`: the Engine.IO sessions and transports (long-polling,
//!   WebSocket, the upgrade between them), heartbeats, `maxPayload`, and a
//!   bounded outgoing queue per session.
//! - `packet`: the Socket.IO packet codec, binary attachments included.
//! - `socket`: the traits a namespace implements and the handle it emits
//!   with.
//! - `server`: namespaces, CONNECT / CONNECT_ERROR, events, acks,
//!   DISCONNECT and the connect timeout.
//!
//! The specifications are the README files of `socketio/engine.io-protocol`
//! and `socketio/socket.io-protocol`; their test suites run against
//! `examples/socketio-conformance.rs` (README, "Socket.IO conformance").

pub mod engine;
pub mod packet;
pub mod server;
pub mod socket;

pub use server::{SocketIo, SocketIoBuilder, SocketIoConfig};
pub use socket::{
    Accepted, AckReply, ConnectError, ConnectRequest, DisconnectReason, Event, Namespace, Recovery,
    SocketHandle, SocketHandler, arg,
};
