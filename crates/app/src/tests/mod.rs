//! Use-case tests against mocked ports, one module per service: each asserts
//! what a caller sees and what is (or is not) written.

mod accounts;
mod bans;
mod channels;
mod conversations;
mod gateway;
mod history;
mod members;
mod memo;
mod messages;
mod reactions;
mod read_state;
mod search;
mod workspaces;

use chrono::{TimeZone, Utc};
use concord_domain::channel::ChannelKind;
use concord_domain::{
    ChannelId, ChannelName, ChannelPatch, ConversationId, Email, MessageContent, MessageId,
    NewChannel, NewUser, Page, Password, PersonName, Role, Room, UserId, Username, WorkspaceId,
    WorkspaceName, WorkspacePatch,
};
use concord_ports::{AccessChange, Claims, IssuedToken, Posted, RepoError};

use crate::testing::*;
use crate::{Clash, Concord, Missing, ServiceError};

fn claims(jti: &str) -> Claims {
    Claims {
        user_id: OWNER,
        jti: jti.into(),
        // Around the mock clock's "now" (see `Mocks::service`).
        issued_at: Utc.timestamp_opt(1_699_999_000, 0).unwrap(),
        expires_at: Utc.timestamp_opt(1_700_086_400, 0).unwrap(),
    }
}

fn new_user() -> NewUser {
    NewUser {
        username: Username::parse("ada").unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        password: Password::parse("secret-pw").unwrap(),
        first_name: PersonName::parse("Ada", "First Name").unwrap(),
        last_name: PersonName::parse("Lovelace", "Last Name").unwrap(),
        image_url: None,
    }
}

fn text(s: &str) -> MessageContent {
    MessageContent::parse(s).unwrap()
}

/// Workspace 1 with a public channel 10 created by the owner.
fn with_channel(private: bool) -> Mocks {
    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channel_by_id()
        .returning(move |_| Ok(Some(channel(10, OWNER, private, false))));
    m.channels
        .expect_is_channel_member()
        .returning(|_, u| Ok(u == OWNER));
    m
}

fn created(msg: &concord_domain::NewMessage) -> Posted {
    let mut m = message(50, msg.author_id, msg.room, msg.parent_id.map(|p| p.get()));
    m.content = msg.content.as_str().to_owned();
    Posted::Created(concord_domain::RoomEvent {
        seq: concord_domain::Seq::new(1),
        payload: concord_domain::RoomEventKind::MessageCreated(m),
    })
}
