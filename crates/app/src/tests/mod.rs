//! Use-case tests against mocked ports, one module per service: each asserts
//! what a caller sees and what is (or is not) written.

mod accounts;
mod bans;
mod channels;
mod conversations;
mod gateway;
mod members;
mod memo;
mod messages;
mod workspaces;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use concord_domain::channel::ChannelKind;
use concord_domain::{
    Channel, ChannelId, ChannelName, ChannelPatch, ConversationId, Email, Membership, MembershipId,
    Message, MessageContent, MessageId, NewChannel, NewUser, Page, Password, PersonName, Role,
    Room, User, UserId, Username, Workspace, WorkspaceId, WorkspaceName, WorkspacePatch,
};
use concord_ports::auth::{MockClock, MockPasswordHasher, MockTokenIssuer};
use concord_ports::notify::MockNotifier;
use concord_ports::repo::{
    MockChannelRepository, MockConversationRepository, MockMembershipRepository,
    MockMessageRepository, MockSessionRepository, MockStoreHealth, MockUserRepository,
    MockWorkspaceRepository,
};
use concord_ports::{AccessChange, Claims, IssuedToken, Posted, RepoError};

use crate::{Clash, Concord, Missing, Ports, ServiceError};

const WS: WorkspaceId = WorkspaceId::new(1);
const OWNER: UserId = UserId::new(1);
const GUEST: UserId = UserId::new(2);
const OUTSIDER: UserId = UserId::new(3);

#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    workspaces: MockWorkspaceRepository,
    members: MockMembershipRepository,
    channels: MockChannelRepository,
    conversations: MockConversationRepository,
    messages: MockMessageRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenIssuer,
    notifier: MockNotifier,
}

impl Mocks {
    /// The use case must announce `change` exactly once.
    fn expect_announced(&mut self, change: AccessChange) {
        self.notifier
            .expect_access_changed()
            .withf(move |c| *c == change)
            .times(1)
            .return_const(());
    }

    /// Mocks where workspace 1 exists, user 1 owns it and user 2 is a guest.
    fn with_workspace(members_can_create_channels: bool) -> Self {
        let mut m = Mocks::default();
        m.workspaces
            .expect_workspace_by_id()
            .returning(move |_| Ok(Some(workspace(members_can_create_channels))));
        m.members.expect_membership().returning(|_, user| {
            Ok(match user.get() {
                1 => Some(membership(1, Role::Owner)),
                2 => Some(membership(2, Role::Guest)),
                _ => None,
            })
        });
        m
    }

    fn service(self) -> Concord {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        Concord::new(Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            workspaces: Arc::new(self.workspaces),
            members: Arc::new(self.members),
            channels: Arc::new(self.channels),
            conversations: Arc::new(self.conversations),
            messages: Arc::new(self.messages),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            clock: Arc::new(clock),
            health: Arc::new(MockStoreHealth::new()),
            notifier: Arc::new(self.notifier),
        })
    }
}

fn user(id: i64) -> User {
    User {
        id: UserId::new(id),
        username: format!("user{id}"),
        email: format!("user{id}@example.com"),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        image_url: None,
        created_at: Utc.timestamp_opt(0, 0).unwrap(),
    }
}

fn workspace(members_can_create_channels: bool) -> Workspace {
    let t = Utc.timestamp_opt(0, 0).unwrap();
    Workspace {
        id: WS,
        name: "Team".into(),
        description: None,
        image_url: None,
        owner_id: OWNER,
        invite_code: "abcdefghijkl".into(),
        members_can_create_channels,
        created_at: t,
        updated_at: t,
    }
}

fn membership(user: i64, role: Role) -> Membership {
    let t = Utc.timestamp_opt(0, 0).unwrap();
    Membership {
        id: MembershipId::new(user),
        workspace_id: WS,
        user_id: UserId::new(user),
        role,
        created_at: t,
        updated_at: t,
    }
}

fn channel(id: i64, creator: UserId, private: bool, is_general: bool) -> Channel {
    let t = Utc.timestamp_opt(0, 0).unwrap();
    Channel {
        id: ChannelId::new(id),
        workspace_id: WS,
        name: format!("c{id}"),
        kind: ChannelKind::Text,
        description: None,
        topic: None,
        private,
        creator_id: creator,
        is_general,
        created_at: t,
        updated_at: t,
        last_message_at: None,
    }
}

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

// Rooms and messages, for the services that post in or follow them.

const CHANNEL: ChannelId = ChannelId::new(10);
const ROOM: Room = Room::Channel(CHANNEL);

fn message(id: i64, author: UserId, room: Room, parent: Option<i64>) -> Message {
    Message {
        id: MessageId::new(id),
        room,
        author_id: author,
        parent_id: parent.map(MessageId::new),
        content: "hi".into(),
        attachment: None,
        created_at: Utc.timestamp_opt(0, 0).unwrap(),
        edited_at: None,
        deleted_at: None,
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
