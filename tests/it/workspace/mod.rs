//! End-to-end tests of the workspace dialect (`/api/...`) over real HTTP,
//! one file per resource, with messaging in channels and conversations.

mod bans;
mod channel_messages;
mod channels;
mod direct_messages;
mod dm_messages;
mod history;
mod idempotency;
mod last_sent;
mod members;
mod session;
mod threads;
mod users;
mod workspaces;

use concord_tests::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::Value;

/// What a deleted message shows instead of its content.
pub(super) const DELETED_CONTENT: &str = "This message has been deleted.";

/// The `id` of a message (or any object) in a response.
pub(super) fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

/// Every message of the room whose messages live at `path`, as `user` sees
/// them, newest first.
pub(super) async fn history(app: &TestApp, path: &str, user: &TestUser) -> Vec<Value> {
    let (status, page) = app.get(&format!("{path}?limit=100"), &user.token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages: {page}"))
        .clone()
}
