//! Concord's HTTP API: thin actix-web handlers for the workspace dialect
//! (`/api`, seed 004) and the server dialect (root paths, seed 000), and the
//! composition root that wires adapters into the use cases.
//!
//! Handlers extract and validate input, call one use case on the blocking
//! pool, and map the result to the dialect's JSON. No SQL and no permission
//! rule lives here.

pub mod error;
pub mod extract;
pub mod gateway;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod schema;
pub mod settings;
pub mod socketio;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
