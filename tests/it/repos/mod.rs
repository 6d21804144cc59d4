//! Repository contract tests against real Postgres, each on a database of
//! its own, and the check that schema.rs matches the migrations.

mod channels;
mod history;
mod messages;
mod reactions;
mod schema;
mod search;
mod users;
mod workspaces;

use std::time::Duration;

use concord_adapters::PgStore;
use concord_domain::{
    ChannelKind, ChannelName, NewChannel, NewWorkspace, User, UserId, Workspace, WorkspaceName,
};
use concord_ports::{ChannelRepository, UserInsert, UserRepository, WorkspaceRepository};
use concord_tests::TestDb;

/// A migrated store on a database of its own (kept alive by the returned `TestDb`).
fn store() -> (PgStore, TestDb) {
    let db = TestDb::new();
    let store = PgStore::connect(&db.url, 4, Duration::from_secs(5)).expect("connect");
    (store, db)
}

fn user_insert(name: &str) -> UserInsert {
    UserInsert {
        username: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        password_hash: "$2b$04$hash".to_owned(),
        first_name: name.to_owned(),
        last_name: "Tester".to_owned(),
        image_url: None,
    }
}

fn add_user(store: &PgStore, name: &str) -> User {
    store.insert_user(&user_insert(name)).expect("insert user")
}

fn add_workspace(store: &PgStore, owner: UserId) -> Workspace {
    let new = NewWorkspace {
        name: WorkspaceName::parse("Team").unwrap(),
        description: Some("desc".into()),
        image_url: None,
        members_can_create_channels: true,
    };
    store
        .create_workspace(owner, &new)
        .expect("create workspace")
}

fn new_channel(name: &str, private: bool) -> NewChannel {
    NewChannel {
        name: ChannelName::parse(name).unwrap(),
        kind: ChannelKind::Text,
        description: None,
        topic: Some("topic".into()),
        private,
    }
}

fn add_channel(
    store: &PgStore,
    ws: &Workspace,
    creator: UserId,
    name: &str,
) -> concord_domain::Channel {
    store
        .create_channel(ws.id, creator, &new_channel(name, false))
        .expect("create channel")
}
