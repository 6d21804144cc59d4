//! Test Concord's use cases, and rules of your own, without a database.
//!
//! [`Mocks`] holds one [`mockall`](https://docs.rs/mockall) mock per port;
//! set the expectations your test needs, then [`Mocks::service`] gives you
//! [`Concord`] over them. The fixtures describe one small world: workspace
//! [`WS`] owned by [`OWNER`], with [`GUEST`] as a guest, [`OUTSIDER`] in no
//! workspace, and channel [`CHANNEL`] in it. The clock is stopped at [`now`].
//!
//! Enable it from your own crate's tests:
//!
//! ```toml
//! [dev-dependencies]
//! concord-app = { path = "../concord/crates/app", features = ["mock"] }
//! ```
//!
//! # A use case: who may, who may not, and what is written
//!
//! A guest may create a channel only where the workspace lets members do so.
//! When it may not, the use case answers 403 and the repository is never
//! asked to write:
//!
//! ```
//! use concord_app::testing::{Mocks, GUEST, WS, channel};
//! use concord_app::ServiceError;
//! use concord_domain::channel::ChannelKind;
//! use concord_domain::{ChannelName, NewChannel};
//! use concord_ports::AccessChange;
//!
//! let random = || NewChannel {
//!     name: ChannelName::parse("random").unwrap(),
//!     kind: ChannelKind::Text,
//!     description: None,
//!     topic: None,
//!     private: false,
//! };
//!
//! // Members may not create channels here: refused, nothing written.
//! let mut mocks = Mocks::with_workspace(false);
//! mocks.channels.expect_create_channel().never();
//! let refused = mocks.service().channels.create_channel(GUEST, WS, random());
//! assert!(matches!(refused, Err(ServiceError::Forbidden(_))));
//!
//! // Members may: the channel is written once, with the guest as creator,
//! // and announced to the workspace, whose members' live sockets gain it.
//! let mut mocks = Mocks::with_workspace(true);
//! mocks
//!     .channels
//!     .expect_create_channel()
//!     .times(1)
//!     .returning(|_, creator, _| Ok(channel(9, creator, false, false)));
//! mocks.expect_announced(AccessChange::WorkspaceGained(WS));
//! let created = mocks.service().channels.create_channel(GUEST, WS, random());
//! assert_eq!(created.unwrap().creator_id, GUEST);
//! ```
//!
//! # A rule of your own
//!
//! Rules are pure functions over domain facts, as in
//! `concord_domain::permissions`, so a rule of yours needs no mock at all;
//! the fixtures give it realistic facts. Test who may and who may not:
//!
//! ```
//! use concord_app::testing::{channel, membership, GUEST, OWNER};
//! use concord_domain::{Channel, Denied, Membership, Role};
//!
//! /// Archiving a public channel: moderators and up, never the general channel.
//! fn archive_channel(actor: &Membership, channel: &Channel) -> Result<(), Denied> {
//!     if channel.is_general {
//!         return Err(Denied("The general channel cannot be archived"));
//!     }
//!     if actor.role < Role::Moderator {
//!         return Err(Denied("Only moderators and up can archive channels"));
//!     }
//!     Ok(())
//! }
//!
//! let random = channel(11, OWNER, false, false);
//! let general = channel(10, OWNER, false, true);
//! assert_eq!(archive_channel(&membership(OWNER.get(), Role::Owner), &random), Ok(()));
//! assert!(archive_channel(&membership(GUEST.get(), Role::Guest), &random).is_err());
//! assert!(archive_channel(&membership(OWNER.get(), Role::Owner), &general).is_err());
//! ```

use std::sync::Arc;

use chrono::{DateTime, Utc};
use concord_domain::channel::ChannelKind;
use concord_domain::{
    Channel, ChannelId, Membership, MembershipId, Message, MessageId, Role, Room, User, UserId,
    Workspace, WorkspaceId,
};
use concord_ports::AccessChange;
use concord_ports::auth::{MockClock, MockPasswordHasher, MockTokenIssuer};
use concord_ports::notify::MockNotifier;
use concord_ports::repo::{
    MockChannelRepository, MockConversationRepository, MockMembershipRepository,
    MockMessageRepository, MockReadStateRepository, MockSessionRepository, MockStoreHealth,
    MockUserRepository, MockWorkspaceRepository,
};

use crate::{Concord, Ports};

/// The fixtures' workspace.
pub const WS: WorkspaceId = WorkspaceId::new(1);
/// Owns [`WS`].
pub const OWNER: UserId = UserId::new(1);
/// A guest of [`WS`].
pub const GUEST: UserId = UserId::new(2);
/// In no workspace.
pub const OUTSIDER: UserId = UserId::new(3);
/// A public channel of [`WS`].
pub const CHANNEL: ChannelId = ChannelId::new(10);
/// [`CHANNEL`] as a room.
pub const ROOM: Room = Room::Channel(CHANNEL);

/// The instant the mocks' clock always reads: 2023-11-14T22:13:20Z.
pub fn now() -> DateTime<Utc> {
    at(1_700_000_000)
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// One mock per port, every one without expectations (a call nobody
/// expected fails the test), except the clock, stopped at [`now`].
#[derive(Default)]
pub struct Mocks {
    pub users: MockUserRepository,
    pub sessions: MockSessionRepository,
    pub workspaces: MockWorkspaceRepository,
    pub members: MockMembershipRepository,
    pub channels: MockChannelRepository,
    pub conversations: MockConversationRepository,
    pub messages: MockMessageRepository,
    pub read_state: MockReadStateRepository,
    pub hasher: MockPasswordHasher,
    pub tokens: MockTokenIssuer,
    pub health: MockStoreHealth,
    pub notifier: MockNotifier,
    pub search: concord_ports::repo::MockMessageSearch,
}

impl Mocks {
    /// Mocks where [`WS`] exists (letting members create channels or not),
    /// [`OWNER`] owns it, [`GUEST`] is a guest and anyone else is no member.
    pub fn with_workspace(members_can_create_channels: bool) -> Self {
        let mut m = Mocks::default();
        m.workspaces
            .expect_workspace_by_id()
            .returning(move |_| Ok(Some(workspace(members_can_create_channels))));
        m.members.expect_membership().returning(|_, user| {
            Ok(match user {
                OWNER => Some(membership(OWNER.get(), Role::Owner)),
                GUEST => Some(membership(GUEST.get(), Role::Guest)),
                _ => None,
            })
        });
        m
    }

    /// The use case must announce `change` exactly once.
    pub fn expect_announced(&mut self, change: AccessChange) {
        self.notifier
            .expect_access_changed()
            .withf(move |c| *c == change)
            .times(1)
            .return_const(());
    }

    /// Concord's use cases over these mocks.
    pub fn service(self) -> Concord {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Concord::new(Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            workspaces: Arc::new(self.workspaces),
            members: Arc::new(self.members),
            channels: Arc::new(self.channels),
            conversations: Arc::new(self.conversations),
            messages: Arc::new(self.messages),
            read_state: Arc::new(self.read_state),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            clock: Arc::new(clock),
            health: Arc::new(self.health),
            notifier: Arc::new(self.notifier),
            search: Arc::new(self.search),
        })
    }
}

/// User `id`, named `user{id}`.
pub fn user(id: i64) -> User {
    User {
        id: UserId::new(id),
        username: format!("user{id}"),
        email: format!("user{id}@example.com"),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        image_url: None,
        created_at: at(0),
    }
}

/// [`WS`], owned by [`OWNER`].
pub fn workspace(members_can_create_channels: bool) -> Workspace {
    Workspace {
        id: WS,
        name: "Team".into(),
        description: None,
        image_url: None,
        owner_id: OWNER,
        invite_code: "abcdefghijkl".into(),
        members_can_create_channels,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// User `user`'s membership of [`WS`] with `role`.
pub fn membership(user: i64, role: Role) -> Membership {
    Membership {
        id: MembershipId::new(user),
        workspace_id: WS,
        user_id: UserId::new(user),
        role,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// Text channel `id` of [`WS`], named `c{id}`.
pub fn channel(id: i64, creator: UserId, private: bool, is_general: bool) -> Channel {
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
        created_at: at(0),
        updated_at: at(0),
        last_message_at: None,
    }
}

/// Message `id` saying "hi" in `room`, a reply to `parent` if given.
pub fn message(id: i64, author: UserId, room: Room, parent: Option<i64>) -> Message {
    Message {
        id: MessageId::new(id),
        room,
        author_id: author,
        parent_id: parent.map(MessageId::new),
        content: "hi".into(),
        attachment: None,
        created_at: at(0),
        edited_at: None,
        deleted_at: None,
        reactions: Vec::new(),
        pinned: false,
        mentions: Vec::new(),
    }
}
