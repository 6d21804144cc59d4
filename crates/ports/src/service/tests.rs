//! Use-case tests against mocked ports: each asserts what a caller sees and
//! what is (or is not) written.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use concord_domain::channel::ChannelKind;
use concord_domain::{
    Channel, ChannelId, ChannelName, ChannelPatch, Email, Membership, MembershipId, NewChannel,
    NewUser, Password, PersonName, Role, User, UserId, Username, Workspace, WorkspaceId,
    WorkspaceName, WorkspacePatch,
};

use super::{ChatService, Clash, Missing, Ports, ServiceError};
use crate::auth::{Claims, IssuedToken, MockClock, MockPasswordHasher, MockTokenIssuer};
use crate::notify::{AccessChange, MockNotifier};
use crate::repo::{
    MockChannelRepository, MockConversationRepository, MockMembershipRepository,
    MockMessageRepository, MockSessionRepository, MockUserRepository, MockWorkspaceRepository,
    RepoError,
};

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

    fn service(self) -> ChatService {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        ChatService::new(Ports {
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
            health: Arc::new(crate::repo::MockStoreHealth::new()),
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

#[test]
fn signing_up_with_a_taken_email_is_a_conflict_and_issues_no_token() {
    let mut m = Mocks::default();
    m.hasher.expect_hash().returning(|_| Ok("hash".into()));
    m.users
        .expect_insert_user()
        .returning(|_| Err(RepoError::Duplicate));
    m.tokens.expect_issue().never();

    let err = m.service().sign_up(new_user()).unwrap_err();

    assert!(matches!(err, ServiceError::Conflict(Clash::UserExists)));
}

#[test]
fn signing_up_stores_the_hash_never_the_password() {
    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .returning(|_| Ok("bcrypt-hash".into()));
    m.users
        .expect_insert_user()
        .withf(|u| u.password_hash == "bcrypt-hash" && u.email == "ada@example.com")
        .returning(|_| Ok(user(7)));
    m.tokens.expect_issue().returning(|id, now| {
        Ok(IssuedToken {
            token: "t".into(),
            claims: Claims {
                user_id: id,
                jti: "j".into(),
                issued_at: now,
                expires_at: now,
            },
        })
    });

    let (u, token) = m.service().sign_up(new_user()).unwrap();

    assert_eq!(u.id, UserId::new(7));
    assert_eq!(token.claims.user_id, UserId::new(7));
}

#[test]
fn logging_in_with_an_unknown_email_still_checks_a_password() {
    let mut m = Mocks::default();
    m.users
        .expect_credentials_by_email()
        .returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .return_const(false);
    m.tokens.expect_issue().never();

    let err = m
        .service()
        .log_in("nobody@example.com", "whatever")
        .unwrap_err();

    assert!(matches!(err, ServiceError::InvalidCredentials));
}

#[test]
fn logging_in_with_a_wrong_password_is_refused() {
    let mut m = Mocks::default();
    m.users
        .expect_credentials_by_email()
        .returning(|_| Ok(Some((user(1), "h".into()))));
    m.hasher.expect_verify().return_const(false);
    m.tokens.expect_issue().never();

    assert!(matches!(
        m.service().log_in("USER1@example.com", "x"),
        Err(ServiceError::InvalidCredentials)
    ));
}

#[test]
fn a_revoked_token_no_longer_authenticates() {
    let mut m = Mocks::default();
    m.tokens
        .expect_verify()
        .returning(|_, _| Ok(claims("revoked")));
    m.sessions
        .expect_is_token_revoked()
        .returning(|jti| Ok(jti == "revoked"));

    assert!(matches!(
        m.service().authenticate("t"),
        Err(ServiceError::Unauthenticated)
    ));
}

#[test]
fn a_forged_token_is_refused_before_any_lookup() {
    let mut m = Mocks::default();
    m.tokens
        .expect_verify()
        .returning(|_, _| Err(crate::auth::TokenError::Invalid));
    m.sessions.expect_is_token_revoked().never();

    assert!(matches!(
        m.service().authenticate("forged"),
        Err(ServiceError::Unauthenticated)
    ));
}

#[test]
fn a_guest_cannot_edit_the_workspace_and_nothing_is_written() {
    let mut m = Mocks::with_workspace(true);
    m.workspaces.expect_update_workspace().never();

    let patch = WorkspacePatch {
        name: Some(WorkspaceName::parse("New").unwrap()),
        ..Default::default()
    };
    let err = m.service().update_workspace(GUEST, WS, patch).unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn an_outsider_cannot_read_the_workspace() {
    let m = Mocks::with_workspace(true);

    assert!(matches!(
        m.service().workspace_details(OUTSIDER, WS),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn a_missing_workspace_is_not_found_rather_than_forbidden() {
    let mut m = Mocks::default();
    m.workspaces
        .expect_workspace_by_id()
        .returning(|_| Ok(None));

    let err = m
        .service()
        .workspace_details(OWNER, WorkspaceId::new(99))
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound(Missing::Workspace)));
}

#[test]
fn only_the_owner_deletes_a_workspace() {
    let mut m = Mocks::with_workspace(true);
    m.workspaces.expect_delete_workspace().never();
    m.notifier.expect_access_changed().never();

    assert!(matches!(
        m.service().delete_workspace(GUEST, WS),
        Err(ServiceError::Forbidden(_))
    ));

    let mut m = Mocks::with_workspace(true);
    m.members
        .expect_members_with_users()
        .returning(|_| Ok(vec![(membership(1, Role::Owner), user(1))]));
    m.workspaces
        .expect_delete_workspace()
        .times(1)
        .returning(|_| Ok(()));
    m.expect_announced(AccessChange::Workspace(WS));

    let gone = m.service().delete_workspace(OWNER, WS).unwrap();
    assert_eq!(gone.owner.id, OWNER);
}

#[test]
fn adding_an_existing_member_is_a_conflict() {
    let mut m = Mocks::with_workspace(true);
    m.users
        .expect_user_by_id()
        .returning(|id| Ok(Some(user(id.get()))));
    m.members
        .expect_add_member()
        .returning(|_, _, _| Err(RepoError::Duplicate));

    let err = m.service().add_member(OWNER, WS, GUEST).unwrap_err();

    assert!(matches!(err, ServiceError::Conflict(Clash::MemberExists)));
}

#[test]
fn adding_an_unknown_user_is_not_found_and_writes_nothing() {
    let mut m = Mocks::with_workspace(true);
    m.users.expect_user_by_id().returning(|_| Ok(None));
    m.members.expect_add_member().never();

    let err = m
        .service()
        .add_member(OWNER, WS, UserId::new(42))
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound(Missing::User)));
}

#[test]
fn a_guest_cannot_add_members() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_add_member().never();

    assert!(matches!(
        m.service().add_member(GUEST, WS, OUTSIDER),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn the_owner_cannot_leave_but_a_guest_can() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_remove_member().never();
    m.notifier.expect_access_changed().never();
    assert!(matches!(
        m.service().remove_member(OWNER, WS, OWNER),
        Err(ServiceError::Forbidden(_))
    ));

    let mut m = Mocks::with_workspace(true);
    m.members
        .expect_remove_member()
        .withf(|_, u| *u == GUEST)
        .times(1)
        .returning(|_, _| Ok(()));
    // The leaver's live subscriptions are re-checked and dropped.
    m.expect_announced(AccessChange::User(GUEST));
    m.service().remove_member(GUEST, WS, GUEST).unwrap();
}

#[test]
fn a_guest_cannot_kick_the_owner() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_remove_member().never();

    assert!(matches!(
        m.service().remove_member(GUEST, WS, OWNER),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn removing_a_non_member_is_not_found() {
    let m = Mocks::with_workspace(true);

    let err = m.service().remove_member(OWNER, WS, OUTSIDER).unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::WorkspaceMember)
    ));
}

fn new_channel(private: bool) -> NewChannel {
    NewChannel {
        name: ChannelName::parse("random").unwrap(),
        kind: ChannelKind::Text,
        description: None,
        topic: None,
        private,
    }
}

#[test]
fn guests_create_channels_only_where_the_workspace_allows_it() {
    let mut m = Mocks::with_workspace(false);
    m.channels.expect_create_channel().never();
    assert!(matches!(
        m.service().create_channel(GUEST, WS, new_channel(false)),
        Err(ServiceError::Forbidden(_))
    ));

    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_create_channel()
        .times(1)
        .returning(|_, u, _| Ok(channel(9, u, false, false)));
    assert_eq!(
        m.service()
            .create_channel(GUEST, WS, new_channel(false))
            .unwrap()
            .creator_id,
        GUEST
    );
}

#[test]
fn private_channels_are_listed_only_to_their_members_and_admins() {
    let all = || {
        Ok(vec![
            channel(10, OWNER, false, true),
            channel(11, OWNER, true, false),
            channel(12, GUEST, true, false),
        ])
    };

    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channels_of_workspace()
        .returning(move |_| all());
    m.channels
        .expect_channel_ids_of_member()
        .returning(|_, _| Ok(vec![ChannelId::new(12)]));
    let ids: Vec<i64> = m
        .service()
        .list_channels(GUEST, WS)
        .unwrap()
        .iter()
        .map(|c| c.id.get())
        .collect();
    assert_eq!(ids, vec![10, 12]);

    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channels_of_workspace()
        .returning(move |_| all());
    m.channels
        .expect_channel_ids_of_member()
        .returning(|_, _| Ok(vec![]));
    assert_eq!(m.service().list_channels(OWNER, WS).unwrap().len(), 3);
}

#[test]
fn a_guest_outside_a_private_channel_cannot_read_it() {
    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channel_by_id()
        .returning(|_| Ok(Some(channel(11, OWNER, true, false))));
    m.channels
        .expect_is_channel_member()
        .returning(|_, _| Ok(false));

    let err = m
        .service()
        .get_channel(GUEST, ChannelId::new(11))
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn the_general_channel_is_never_deleted_nor_renamed() {
    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channel_by_id()
        .returning(|_| Ok(Some(channel(10, OWNER, false, true))));
    m.channels.expect_delete_channel().never();
    m.channels.expect_update_channel().never();
    let svc = m.service();

    assert!(matches!(
        svc.delete_channel(OWNER, ChannelId::new(10)),
        Err(ServiceError::Forbidden(_))
    ));
    let rename = ChannelPatch {
        name: Some(ChannelName::parse("lobby").unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        svc.update_channel(OWNER, ChannelId::new(10), rename),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn a_guest_cannot_delete_someone_elses_channel() {
    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channel_by_id()
        .returning(|_| Ok(Some(channel(11, OWNER, false, false))));
    m.channels.expect_delete_channel().never();

    assert!(matches!(
        m.service().delete_channel(GUEST, ChannelId::new(11)),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn only_workspace_members_can_be_added_to_a_channel() {
    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_channel_by_id()
        .returning(|_| Ok(Some(channel(11, OWNER, false, false))));
    m.channels
        .expect_is_channel_member()
        .returning(|_, _| Ok(true));
    m.users
        .expect_user_by_id()
        .returning(|id| Ok(Some(user(id.get()))));
    m.channels.expect_add_channel_member().never();

    let err = m
        .service()
        .add_to_channel(OWNER, ChannelId::new(11), OUTSIDER)
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::WorkspaceMember)
    ));
}

#[test]
fn a_database_outage_surfaces_as_unavailable() {
    let mut m = Mocks::default();
    m.workspaces
        .expect_workspace_by_id()
        .returning(|_| Err(RepoError::Unavailable(anyhow::anyhow!("pool timed out"))));

    assert!(matches!(
        m.service().workspace_details(OWNER, WS),
        Err(ServiceError::Unavailable(_))
    ));
}

mod messaging {
    use concord_domain::{
        Conversation, ConversationId, IdempotencyKey, Message, MessageContent, MessageId,
        NewConversation, Page, Room,
    };

    use super::*;
    use crate::repo::{MessageChange, Posted};

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

    #[test]
    fn a_guest_cannot_post_in_a_private_channel_they_are_not_in() {
        let mut m = with_channel(true);
        m.messages.expect_post_message().never();
        m.notifier.expect_publish().never();

        let err = m
            .service()
            .post_message(GUEST, ROOM, text("hi"), None, None, None)
            .unwrap_err();

        assert!(matches!(err, ServiceError::Forbidden(_)));
    }

    #[test]
    fn an_outsider_cannot_post_in_a_public_channel() {
        let mut m = with_channel(false);
        m.messages.expect_post_message().never();

        let err = m
            .service()
            .post_message(OUTSIDER, ROOM, text("hi"), None, None, None)
            .unwrap_err();

        assert!(matches!(err, ServiceError::Forbidden(_)));
    }

    #[test]
    fn a_parent_from_another_room_is_not_found_and_nothing_is_posted() {
        let mut m = with_channel(false);
        m.messages.expect_message_by_id().returning(|_| {
            Ok(Some(message(
                7,
                OWNER,
                Room::Channel(ChannelId::new(99)),
                None,
            )))
        });
        m.messages.expect_post_message().never();

        let err = m
            .service()
            .post_message(GUEST, ROOM, text("re"), Some(MessageId::new(7)), None, None)
            .unwrap_err();

        assert!(matches!(
            err,
            ServiceError::NotFound(Missing::ParentMessage)
        ));
    }

    #[test]
    fn a_reply_to_a_reply_is_attached_to_the_root() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(8, OWNER, ROOM, Some(7)))));
        m.messages
            .expect_post_message()
            .withf(|msg, _| msg.parent_id == Some(MessageId::new(7)))
            .times(1)
            .returning(|msg, _| Ok(created(msg)));
        m.notifier.expect_publish().times(1).return_const(());

        let posted = m
            .service()
            .post_message(GUEST, ROOM, text("re"), Some(MessageId::new(8)), None, None)
            .unwrap();

        assert_eq!(posted.message.parent_id, Some(MessageId::new(7)));
        assert!(posted.event.is_some());
    }

    #[test]
    fn a_reused_idempotency_key_is_a_conflict() {
        let mut m = with_channel(false);
        m.messages
            .expect_post_message()
            .returning(|_, _| Err(RepoError::Duplicate));

        let key = IdempotencyKey::parse("k").unwrap();
        let err = m
            .service()
            .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
            .unwrap_err();

        assert!(matches!(
            err,
            ServiceError::Conflict(Clash::IdempotencyKeyReused)
        ));
    }

    #[test]
    fn a_replayed_send_carries_no_new_event() {
        let mut m = with_channel(false);
        m.messages
            .expect_post_message()
            .returning(|_, _| Ok(Posted::Replayed(message(5, GUEST, ROOM, None))));

        let key = IdempotencyKey::parse("k").unwrap();
        let posted = m
            .service()
            .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
            .unwrap();

        assert_eq!((posted.message.id, posted.event), (MessageId::new(5), None));
    }

    #[test]
    fn only_the_author_edits_a_message() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.messages.expect_edit_message().never();

        let err = m
            .service()
            .edit_message(OWNER, ROOM, MessageId::new(5), text("mine now"))
            .unwrap_err();

        assert!(matches!(err, ServiceError::Forbidden(_)));
    }

    #[test]
    fn a_message_named_through_another_room_is_not_found() {
        let mut m = with_channel(false);
        m.messages.expect_message_by_id().returning(|_| {
            Ok(Some(message(
                5,
                GUEST,
                Room::Channel(ChannelId::new(11)),
                None,
            )))
        });
        m.messages.expect_delete_message().never();

        let err = m
            .service()
            .delete_message(GUEST, ROOM, MessageId::new(5))
            .unwrap_err();

        assert!(matches!(err, ServiceError::NotFound(Missing::Message)));
    }

    #[test]
    fn moderators_delete_others_messages_but_guests_do_not() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, OUTSIDER, ROOM, None))));
        m.messages.expect_delete_message().never();
        m.notifier.expect_publish().never();
        let err = m
            .service()
            .delete_message(GUEST, ROOM, MessageId::new(5))
            .unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)));

        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.messages.expect_delete_message().times(1).returning(|id| {
            let mut gone = message(id.get(), GUEST, ROOM, None);
            gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
            Ok(MessageChange::Made(concord_domain::RoomEvent {
                seq: concord_domain::Seq::new(2),
                payload: concord_domain::RoomEventKind::MessageDeleted(gone),
            }))
        });
        m.notifier
            .expect_publish()
            .withf(|e| {
                e.seq == concord_domain::Seq::new(2)
                    && matches!(e.payload, concord_domain::RoomEventKind::MessageDeleted(_))
            })
            .times(1)
            .return_const(());
        assert!(
            m.service()
                .delete_message(OWNER, ROOM, MessageId::new(5))
                .unwrap()
                .message
                .is_deleted()
        );
    }

    #[test]
    fn deleting_a_tombstone_again_writes_nothing() {
        let mut m = with_channel(false);
        m.messages.expect_message_by_id().returning(|_| {
            let mut gone = message(5, GUEST, ROOM, None);
            gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
            Ok(Some(gone))
        });
        m.messages.expect_delete_message().never();

        let again = m
            .service()
            .delete_message(GUEST, ROOM, MessageId::new(5))
            .unwrap();

        assert_eq!(again.event, None);
    }

    #[test]
    fn a_delete_that_loses_the_race_to_another_publishes_nothing() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.messages.expect_delete_message().times(1).returning(|id| {
            let mut gone = message(id.get(), GUEST, ROOM, None);
            gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
            Ok(MessageChange::AlreadyDeleted(gone))
        });
        m.notifier.expect_publish().never();

        let lost = m
            .service()
            .delete_message(GUEST, ROOM, MessageId::new(5))
            .unwrap();

        assert!(lost.message.is_deleted());
        assert_eq!(lost.event, None);
    }

    #[test]
    fn an_edit_that_loses_the_race_to_a_delete_is_refused_and_publishes_nothing() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.messages
            .expect_edit_message()
            .times(1)
            .returning(|id, _| {
                let mut gone = message(id.get(), GUEST, ROOM, None);
                gone.deleted_at = Some(Utc.timestamp_opt(1, 0).unwrap());
                Ok(MessageChange::AlreadyDeleted(gone))
            });
        m.notifier.expect_publish().never();

        let err = m
            .service()
            .edit_message(GUEST, ROOM, MessageId::new(5), text("too late"))
            .unwrap_err();

        assert!(
            matches!(err, ServiceError::Forbidden(d) if d.0.contains("deleted message")),
            "{err:?}"
        );
    }

    #[test]
    fn a_new_post_is_published_once_after_it_is_stored() {
        let mut m = with_channel(false);
        m.messages
            .expect_post_message()
            .times(1)
            .returning(|msg, _| Ok(created(msg)));
        m.notifier
            .expect_publish()
            .withf(|e| {
                e.seq == concord_domain::Seq::new(1)
                    && matches!(&e.payload, concord_domain::RoomEventKind::MessageCreated(m) if m.content == "hello")
            })
            .times(1)
            .return_const(());

        m.service()
            .post_message(GUEST, ROOM, text("hello"), None, None, None)
            .unwrap();
    }

    #[test]
    fn a_failed_or_replayed_post_publishes_nothing() {
        let mut m = with_channel(false);
        m.messages
            .expect_post_message()
            .returning(|_, _| Err(RepoError::Unavailable(anyhow::anyhow!("down"))));
        m.notifier.expect_publish().never();
        let err = m
            .service()
            .post_message(GUEST, ROOM, text("hi"), None, None, None)
            .unwrap_err();
        assert!(matches!(err, ServiceError::Unavailable(_)));

        let mut m = with_channel(false);
        m.messages
            .expect_post_message()
            .returning(|_, _| Ok(Posted::Replayed(message(5, GUEST, ROOM, None))));
        m.notifier.expect_publish().never();
        let key = IdempotencyKey::parse("k").unwrap();
        m.service()
            .post_message(GUEST, ROOM, text("hi"), None, None, Some(key))
            .unwrap();
    }

    #[test]
    fn an_edit_is_published_and_a_refused_one_is_not() {
        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.messages
            .expect_edit_message()
            .times(1)
            .returning(|id, c| {
                let mut edited = message(id.get(), GUEST, ROOM, None);
                edited.content = c.as_str().to_owned();
                Ok(MessageChange::Made(concord_domain::RoomEvent {
                    seq: concord_domain::Seq::new(3),
                    payload: concord_domain::RoomEventKind::MessageUpdated(edited),
                }))
            });
        m.notifier
            .expect_publish()
            .withf(|e| {
                matches!(&e.payload, concord_domain::RoomEventKind::MessageUpdated(m) if m.content == "v2")
            })
            .times(1)
            .return_const(());
        m.service()
            .edit_message(GUEST, ROOM, MessageId::new(5), text("v2"))
            .unwrap();

        let mut m = with_channel(false);
        m.messages
            .expect_message_by_id()
            .returning(|_| Ok(Some(message(5, GUEST, ROOM, None))));
        m.notifier.expect_publish().never();
        assert!(
            m.service()
                .edit_message(OWNER, ROOM, MessageId::new(5), text("v2"))
                .is_err()
        );
    }

    #[test]
    fn a_reader_may_open_the_room_and_an_outsider_may_not() {
        let mut m = with_channel(true);
        m.messages.expect_room_info().returning(|id| {
            Ok(
                (id == concord_domain::RoomId::new(10)).then_some(crate::repo::RoomInfo {
                    room: ROOM,
                    workspace_id: WS,
                    last_seq: concord_domain::Seq::new(4),
                }),
            )
        });
        let svc = m.service();

        assert_eq!(
            svc.open_room(OWNER, concord_domain::RoomId::new(10))
                .unwrap()
                .last_seq,
            concord_domain::Seq::new(4)
        );
        assert!(matches!(
            svc.open_room(GUEST, concord_domain::RoomId::new(10)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            svc.open_room(OWNER, concord_domain::RoomId::new(11)),
            Err(ServiceError::NotFound(Missing::Room))
        ));
        assert!(svc.may_read(OWNER, ROOM).unwrap());
        assert!(!svc.may_read(GUEST, ROOM).unwrap());
        assert!(!svc.may_read(OUTSIDER, ROOM).unwrap());
    }

    #[test]
    fn removing_someone_from_a_channel_rechecks_their_subscriptions() {
        let mut m = with_channel(true);
        m.channels
            .expect_remove_channel_member()
            .times(1)
            .returning(|_, _| Ok(()));
        m.expect_announced(AccessChange::User(GUEST));

        m.service()
            .remove_from_channel(OWNER, CHANNEL, GUEST)
            .unwrap();
    }

    #[test]
    fn history_limits_are_clamped_to_one_hundred() {
        let mut m = with_channel(false);
        m.messages
            .expect_history()
            .withf(|_, _, limit| *limit == 100)
            .returning(|_, _, _| {
                Ok(Page {
                    messages: vec![],
                    next_cursor: None,
                })
            });

        m.service().history(GUEST, ROOM, None, 5000).unwrap();
    }

    fn conversation(participants: &[UserId]) -> Conversation {
        Conversation {
            id: ConversationId::new(20),
            workspace_id: WS,
            topic: None,
            creator_id: participants[0],
            participants: participants.to_vec(),
            created_at: Utc.timestamp_opt(0, 0).unwrap(),
            updated_at: Utc.timestamp_opt(0, 0).unwrap(),
            last_message_at: None,
        }
    }

    #[test]
    fn only_participants_read_or_post_in_a_conversation() {
        let mut m = Mocks::with_workspace(true);
        m.conversations
            .expect_conversation_by_id()
            .returning(|_| Ok(Some(conversation(&[OWNER]))));
        m.messages.expect_post_message().never();
        let room = Room::Conversation(ConversationId::new(20));

        let err = m
            .service()
            .post_message(GUEST, room, text("let me in"), None, None, None)
            .unwrap_err();

        assert!(matches!(err, ServiceError::Forbidden(_)));
    }

    #[test]
    fn only_the_creator_retitles_a_conversation() {
        let mut m = Mocks::with_workspace(true);
        m.conversations
            .expect_conversation_by_id()
            .returning(|_| Ok(Some(conversation(&[OWNER, GUEST]))));
        m.conversations.expect_set_conversation_topic().never();

        let err = m
            .service()
            .set_conversation_topic(GUEST, ConversationId::new(20), None)
            .unwrap_err();

        assert!(matches!(err, ServiceError::Forbidden(_)));
    }

    #[test]
    fn conversations_are_only_with_workspace_members() {
        let mut m = Mocks::with_workspace(true);
        m.conversations.expect_create_conversation().never();

        let new = NewConversation::new(OWNER, None, [GUEST, OUTSIDER]);
        let err = m.service().create_conversation(OWNER, WS, new).unwrap_err();

        assert!(matches!(
            err,
            ServiceError::NotFound(Missing::WorkspaceMember)
        ));
    }
}

/// Bans: who may place, lift and list them, and what a ban keeps out.
mod bans {
    use concord_domain::{Ban, NewBan};

    use super::*;

    const MODERATOR: UserId = UserId::new(4);
    const ADMIN: UserId = UserId::new(5);

    /// The ban the store records for `new`.
    pub(super) fn ban_from(new: &NewBan) -> Ban {
        Ban {
            workspace_id: new.workspace_id,
            user_id: new.user_id,
            role: new.role,
            reason: new.reason.clone(),
            banned_by: new.banned_by,
            banned_at: Utc.timestamp_opt(0, 0).unwrap(),
        }
    }

    /// Workspace 1: user 1 owns it, 2 is a guest, 4 a moderator, 5 an admin;
    /// 3 is a user outside it. `banned` is an existing ban of user 3 with
    /// the role they were banned with.
    fn mocks(banned: Option<Role>) -> Mocks {
        let mut m = Mocks::default();
        m.workspaces
            .expect_workspace_by_id()
            .returning(|_| Ok(Some(workspace(true))));
        m.members.expect_membership().returning(|_, user| {
            Ok(match user.get() {
                1 => Some(membership(1, Role::Owner)),
                2 => Some(membership(2, Role::Guest)),
                4 => Some(membership(4, Role::Moderator)),
                5 => Some(membership(5, Role::Admin)),
                _ => None,
            })
        });
        m.members.expect_ban().returning(move |ws, user| {
            Ok(banned.filter(|_| user == OUTSIDER).map(|role| Ban {
                workspace_id: ws,
                user_id: user,
                role,
                reason: None,
                banned_by: OWNER,
                banned_at: Utc.timestamp_opt(0, 0).unwrap(),
            }))
        });
        m.users
            .expect_user_by_id()
            .returning(|id| Ok((id.get() <= 5).then(|| user(id.get()))));
        m
    }

    #[test]
    fn a_moderator_bans_a_guest_who_is_removed_and_loses_access_at_once() {
        let mut m = mocks(None);
        m.members
            .expect_ban_member()
            .withf(|b| {
                b.user_id == GUEST
                    && b.role == Role::Guest
                    && b.banned_by == MODERATOR
                    && b.reason.as_deref() == Some("spam")
            })
            .times(1)
            .returning(|b| Ok(ban_from(b)));
        m.expect_announced(AccessChange::User(GUEST));

        let ban = m
            .service()
            .ban_member(MODERATOR, WS, GUEST, Some("spam".into()))
            .unwrap();

        assert_eq!((ban.user_id, ban.banned_by), (GUEST, MODERATOR));
    }

    #[test]
    fn bans_below_ones_rank_only_and_nothing_is_written_otherwise() {
        // (actor, target)
        for (actor, target) in [
            (GUEST, MODERATOR),
            (MODERATOR, ADMIN),
            (MODERATOR, MODERATOR),
            (ADMIN, OWNER),
            (OWNER, OWNER),
            (GUEST, GUEST),
        ] {
            let mut m = mocks(None);
            m.members.expect_ban_member().never();
            m.notifier.expect_access_changed().never();

            let err = m.service().ban_member(actor, WS, target, None).unwrap_err();

            assert!(
                matches!(err, ServiceError::Forbidden(_)),
                "{actor:?} bans {target:?}: {err:?}"
            );
        }
    }

    #[test]
    fn a_user_outside_the_workspace_may_be_banned_ahead_as_a_guest() {
        let mut m = mocks(None);
        m.members
            .expect_ban_member()
            .withf(|b| b.user_id == OUTSIDER && b.role == Role::Guest)
            .times(1)
            .returning(|b| Ok(ban_from(b)));
        m.expect_announced(AccessChange::User(OUTSIDER));

        m.service()
            .ban_member(MODERATOR, WS, OUTSIDER, None)
            .unwrap();
    }

    #[test]
    fn banning_an_unknown_user_is_user_not_found() {
        let mut m = mocks(None);
        m.members.expect_ban_member().never();

        let err = m
            .service()
            .ban_member(OWNER, WS, UserId::new(42), None)
            .unwrap_err();

        assert!(matches!(err, ServiceError::NotFound(Missing::User)));
    }

    #[test]
    fn a_ban_is_ranked_by_the_role_it_was_placed_with() {
        // User 3 was banned as an admin: a moderator may neither ban them
        // again nor lift it, the owner may do both.
        let mut m = mocks(Some(Role::Admin));
        m.members.expect_ban_member().never();
        m.members.expect_lift_ban().never();
        let chat = m.service();
        assert!(matches!(
            chat.ban_member(MODERATOR, WS, OUTSIDER, None),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            chat.lift_ban(ADMIN, WS, OUTSIDER),
            Err(ServiceError::Forbidden(_))
        ));

        let mut m = mocks(Some(Role::Admin));
        m.members
            .expect_lift_ban()
            .withf(|_, u| *u == OUTSIDER)
            .times(1)
            .returning(|_, _| Ok(()));
        m.service().lift_ban(OWNER, WS, OUTSIDER).unwrap();
    }

    #[test]
    fn lifting_a_ban_that_is_not_there_writes_nothing_and_guests_may_not_lift() {
        let mut m = mocks(None);
        m.members.expect_lift_ban().never();
        let chat = m.service();

        chat.lift_ban(MODERATOR, WS, GUEST).unwrap();
        assert!(matches!(
            chat.lift_ban(GUEST, WS, OUTSIDER),
            Err(ServiceError::Forbidden(_))
        ));
    }

    #[test]
    fn moderators_and_up_list_bans_and_guests_and_outsiders_do_not() {
        let mut m = mocks(None);
        m.members.expect_bans().times(3).returning(|_| Ok(vec![]));
        let chat = m.service();
        for lister in [OWNER, ADMIN, MODERATOR] {
            chat.bans_of(lister, WS).unwrap();
        }
        for refused in [GUEST, OUTSIDER] {
            assert!(matches!(
                chat.bans_of(refused, WS),
                Err(ServiceError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn a_banned_user_neither_joins_with_the_code_nor_is_added() {
        let mut m = mocks(Some(Role::Guest));
        m.members
            .expect_add_member()
            .returning(|_, _, _| Err(RepoError::Banned));
        let chat = m.service();
        let code = concord_domain::InviteCode::parse("abcdefghijkl").unwrap();

        assert!(matches!(
            chat.join_with_invite(OUTSIDER, WS, &code),
            Err(ServiceError::Banned)
        ));
        assert!(matches!(
            chat.add_member(OWNER, WS, OUTSIDER),
            Err(ServiceError::Banned)
        ));
    }
}

/// The access memo: grants spare the store, and a change ends them at once.
mod remembered_access {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use concord_domain::{MessageContent, MessageId, Page, Room};

    use super::*;
    use crate::repo::Posted;

    const ROOM: Room = Room::Channel(ChannelId::new(10));

    /// Workspace 1 with a public channel 10. The guest is a member until
    /// `kicked`; `reads` counts the guest's membership lookups.
    fn mocks(kicked: &Arc<AtomicBool>, reads: &Arc<AtomicUsize>) -> Mocks {
        let mut m = Mocks::default();
        m.workspaces
            .expect_workspace_by_id()
            .returning(|_| Ok(Some(workspace(true))));
        m.channels
            .expect_channel_by_id()
            .returning(|_| Ok(Some(channel(10, OWNER, false, false))));
        let (k, r) = (kicked.clone(), reads.clone());
        m.members.expect_membership().returning(move |_, user| {
            Ok(match user {
                OWNER => Some(membership(1, Role::Owner)),
                GUEST => {
                    r.fetch_add(1, Ordering::SeqCst);
                    (!k.load(Ordering::SeqCst)).then(|| membership(2, Role::Guest))
                }
                _ => None,
            })
        });
        let k = kicked.clone();
        m.members.expect_remove_member().returning(move |_, _| {
            k.store(true, Ordering::SeqCst);
            Ok(())
        });
        m.messages
            .expect_post_message()
            .returning(|msg, _| Ok(created(msg)));
        m.notifier.expect_publish().return_const(());
        m
    }

    /// What the store answers for a new post of `msg`.
    fn created(msg: &concord_domain::NewMessage) -> Posted {
        Posted::Created(concord_domain::RoomEvent {
            seq: concord_domain::Seq::new(1),
            payload: concord_domain::RoomEventKind::MessageCreated(concord_domain::Message {
                id: concord_domain::MessageId::new(1),
                room: msg.room,
                author_id: msg.author_id,
                parent_id: None,
                content: msg.content.as_str().to_owned(),
                attachment: None,
                created_at: Utc.timestamp_opt(0, 0).unwrap(),
                edited_at: None,
                deleted_at: None,
            }),
        })
    }

    /// The output of a future that is ready at its first poll.
    fn at_once<T>(future: impl Future<Output = T>) -> T {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the future was not ready"),
        }
    }

    fn post(chat: &ChatService) -> Result<(), ServiceError> {
        let text = MessageContent::parse("hi").unwrap();
        chat.post_message(GUEST, ROOM, text, None, None, None)
            .map(|_| ())
    }

    #[test]
    fn a_remembered_grant_spares_the_store_and_a_kick_ends_it_at_once() {
        let (kicked, reads) = (Arc::default(), Arc::default());
        let mut m = mocks(&kicked, &reads);
        m.expect_announced(AccessChange::User(GUEST));
        let chat = m.service().remembering_access(Duration::from_secs(60));

        post(&chat).unwrap();
        post(&chat).unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "the second post asked nobody"
        );

        chat.remove_member(OWNER, WS, GUEST).unwrap();
        assert!(matches!(post(&chat), Err(ServiceError::Forbidden(_))));
    }

    #[test]
    fn a_ban_ends_a_remembered_grant_at_once() {
        let (kicked, reads) = (Arc::default(), Arc::default());
        let mut m = mocks(&kicked, &reads);
        m.members.expect_ban().returning(|_, _| Ok(None));
        let k = kicked.clone();
        m.members.expect_ban_member().returning(move |new| {
            k.store(true, Ordering::SeqCst);
            Ok(super::bans::ban_from(new))
        });
        m.expect_announced(AccessChange::User(GUEST));
        let chat = m.service().remembering_access(Duration::from_secs(60));
        post(&chat).unwrap();
        post(&chat).unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 1, "the grant is remembered");

        chat.ban_member(OWNER, WS, GUEST, None).unwrap();

        assert!(matches!(post(&chat), Err(ServiceError::Forbidden(_))));
    }

    #[test]
    fn a_plain_post_is_queued_without_reading_only_while_a_grant_stands() {
        let (kicked, reads) = (Arc::default(), Arc::default());
        let mut m = mocks(&kicked, &reads);
        m.messages
            .expect_queue_post()
            .times(1)
            .returning(|msg, _, on_commit| {
                let posted = Ok(created(&msg));
                on_commit(&posted);
                Box::pin(std::future::ready(posted))
            });
        m.notifier.expect_access_changed().return_const(());
        let chat = m.service().remembering_access(Duration::from_secs(60));
        let text = || MessageContent::parse("hi").unwrap();

        let refused = chat.post_from_memory(GUEST, ROOM, text(), None).err();
        assert_eq!(refused, Some(text()), "unknown yet: the content comes back");

        post(&chat).unwrap();
        let pending = chat
            .post_from_memory(GUEST, ROOM, text(), None)
            .ok()
            .unwrap();
        let posted = at_once(pending).unwrap();
        assert_eq!(posted.message.content, "hi");
        assert!(posted.event.is_some());
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "the queued post read nothing"
        );

        chat.remove_member(OWNER, WS, GUEST).unwrap();
        assert!(chat.post_from_memory(GUEST, ROOM, text(), None).is_err());
    }

    #[test]
    fn a_page_is_read_without_checking_only_while_a_grant_stands() {
        let (kicked, reads) = (Arc::default(), Arc::default());
        let mut m = mocks(&kicked, &reads);
        m.messages
            .expect_read_history()
            .withf(|room, before, limit| {
                *room == ROOM && *before == Some(MessageId::new(9)) && *limit == 100
            })
            .times(1)
            .returning(|_, _, _| {
                Box::pin(std::future::ready(Ok(Page {
                    messages: vec![],
                    next_cursor: None,
                })))
            });
        m.notifier.expect_access_changed().return_const(());
        let chat = m.service().remembering_access(Duration::from_secs(60));
        let before = Some(MessageId::new(9));

        assert!(
            chat.history_from_memory(GUEST, ROOM, before, 5000)
                .is_none(),
            "unknown yet: the caller must ask the checked way"
        );
        post(&chat).unwrap();
        let pending = chat.history_from_memory(GUEST, ROOM, before, 5000).unwrap();
        assert_eq!(at_once(pending).unwrap().messages, vec![]);
        assert_eq!(reads.load(Ordering::SeqCst), 1, "the page checked nothing");

        chat.remove_member(OWNER, WS, GUEST).unwrap();
        assert!(chat.history_from_memory(GUEST, ROOM, before, 50).is_none());
    }

    #[test]
    fn a_queued_post_is_published_even_when_nobody_awaits_it() {
        let (kicked, reads) = (Arc::default(), Arc::default());
        let mut m = mocks(&kicked, &reads);
        // The store decides the post later, on its own thread.
        let (decide, decided) = std::sync::mpsc::channel::<crate::repo::OnCommit>();
        let decide = std::sync::Mutex::new(decide);
        m.messages
            .expect_queue_post()
            .returning(move |_, _, on_commit| {
                decide.lock().unwrap().send(on_commit).unwrap();
                Box::pin(std::future::pending())
            });
        let published = Arc::new(AtomicUsize::new(0));
        let p = published.clone();
        m.notifier = crate::notify::MockNotifier::new();
        m.notifier.expect_publish().returning(move |_| {
            p.fetch_add(1, Ordering::SeqCst);
        });
        let chat = m.service().remembering_access(Duration::from_secs(60));
        post(&chat).unwrap();
        assert_eq!(published.load(Ordering::SeqCst), 1);

        let text = MessageContent::parse("hi").unwrap();
        drop(chat.post_from_memory(GUEST, ROOM, text, None).ok().unwrap());
        let new = concord_domain::NewMessage {
            room: ROOM,
            author_id: GUEST,
            parent_id: None,
            content: MessageContent::parse("hi").unwrap(),
            attachment_url: None,
        };
        decided.recv().unwrap()(&Ok(created(&new)));

        assert_eq!(
            published.load(Ordering::SeqCst),
            2,
            "the client hung up, the subscribers still hear of the post"
        );
    }

    #[test]
    fn a_change_reported_by_another_node_ends_a_grant() {
        let (kicked, reads) = (Arc::<AtomicBool>::default(), Arc::default());
        let chat = mocks(&kicked, &reads)
            .service()
            .remembering_access(Duration::from_secs(60));
        post(&chat).unwrap();

        // Another node removed the guest and reported it.
        kicked.store(true, Ordering::SeqCst);
        chat.access_changed_elsewhere(AccessChange::User(GUEST));

        assert!(matches!(post(&chat), Err(ServiceError::Forbidden(_))));
    }

    #[test]
    fn without_a_memo_every_request_asks_the_store() {
        let (kicked, reads) = (Arc::<AtomicBool>::default(), Arc::default());
        let chat = mocks(&kicked, &reads).service();
        post(&chat).unwrap();
        kicked.store(true, Ordering::SeqCst);
        assert!(matches!(post(&chat), Err(ServiceError::Forbidden(_))));
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_connection_stays_signed_in_until_its_token_is_revoked_or_expires() {
        let revoked = Arc::new(AtomicBool::new(false));
        let mut m = Mocks::default();
        let r = revoked.clone();
        m.sessions
            .expect_is_token_revoked()
            .withf(|jti| jti == "j")
            .returning(move |_| Ok(r.load(Ordering::SeqCst)));
        let chat = m.service();
        let standing = claims("j");

        assert!(chat.still_signed_in(&standing).unwrap());
        revoked.store(true, Ordering::SeqCst);
        assert!(!chat.still_signed_in(&standing).unwrap());

        // Expired by the clock: no need to ask the store.
        let expired = Claims {
            expires_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            ..claims("old")
        };
        assert!(!chat.still_signed_in(&expired).unwrap());
    }

    #[test]
    fn logging_out_ends_a_remembered_token_at_once() {
        let revoked = Arc::new(AtomicBool::new(false));
        let lookups = Arc::new(AtomicUsize::new(0));
        let mut m = Mocks::default();
        m.tokens.expect_verify().returning(|token, _| match token {
            "good" => Ok(claims("j")),
            _ => Err(crate::auth::TokenError::Invalid),
        });
        let (r, l) = (revoked.clone(), lookups.clone());
        m.sessions.expect_is_token_revoked().returning(move |_| {
            l.fetch_add(1, Ordering::SeqCst);
            Ok(r.load(Ordering::SeqCst))
        });
        let r = revoked.clone();
        m.sessions.expect_revoke_token().returning(move |_, _| {
            r.store(true, Ordering::SeqCst);
            Ok(())
        });
        m.expect_announced(AccessChange::User(OWNER));
        let chat = m.service().remembering_access(Duration::from_secs(60));

        assert!(
            chat.authenticate_from_memory("good").is_none(),
            "not yet known"
        );
        assert!(matches!(
            chat.authenticate_from_memory("forged"),
            Some(Err(ServiceError::Unauthenticated))
        ));
        let claims = chat.authenticate("good").unwrap();
        assert!(matches!(chat.authenticate_from_memory("good"), Some(Ok(_))));
        chat.authenticate("good").unwrap();
        assert_eq!(lookups.load(Ordering::SeqCst), 1);

        chat.log_out(&claims).unwrap();
        assert!(chat.authenticate_from_memory("good").is_none());
        assert!(matches!(
            chat.authenticate("good"),
            Err(ServiceError::Unauthenticated)
        ));
    }
}
