//! Channels: who creates, sees, edits and deletes them, and their member lists.

use super::*;

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
        m.service()
            .channels
            .create_channel(GUEST, WS, new_channel(false)),
        Err(ServiceError::Forbidden(_))
    ));

    let mut m = Mocks::with_workspace(true);
    m.channels
        .expect_create_channel()
        .times(1)
        .returning(|_, u, _| Ok(channel(9, u, false, false)));
    m.expect_announced(AccessChange::WorkspaceGained(WS));
    assert_eq!(
        m.service()
            .channels
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
        .channels
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
    assert_eq!(
        m.service().channels.list_channels(OWNER, WS).unwrap().len(),
        3
    );
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
        .channels
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
        svc.channels.delete_channel(OWNER, ChannelId::new(10)),
        Err(ServiceError::Forbidden(_))
    ));
    let rename = ChannelPatch {
        name: Some(ChannelName::parse("lobby").unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        svc.channels
            .update_channel(OWNER, ChannelId::new(10), rename),
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
        m.service()
            .channels
            .delete_channel(GUEST, ChannelId::new(11)),
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
        .channels
        .add_to_channel(OWNER, ChannelId::new(11), OUTSIDER)
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::WorkspaceMember)
    ));
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
        .channels
        .remove_from_channel(OWNER, CHANNEL, GUEST)
        .unwrap();
}

#[test]
fn a_new_channel_public_or_private_is_announced_to_its_workspace() {
    // Public, every member gains it; private, its creator and the admins.
    for private in [false, true] {
        let mut m = Mocks::with_workspace(true);
        m.channels
            .expect_create_channel()
            .times(1)
            .returning(move |_, u, _| Ok(channel(9, u, private, false)));
        m.expect_announced(AccessChange::WorkspaceGained(WS));
        m.service()
            .channels
            .create_channel(OWNER, WS, new_channel(private))
            .unwrap();
    }
}

#[test]
fn a_channel_made_public_is_a_gain_for_its_workspace_and_made_private_a_loss() {
    let patch = |private| ChannelPatch {
        private: Some(private),
        ..Default::default()
    };
    // Private to public: every member of the workspace may read it now.
    let mut m = with_channel(true);
    m.channels
        .expect_update_channel()
        .times(1)
        .returning(|_, _| Ok(channel(10, OWNER, false, false)));
    m.expect_announced(AccessChange::WorkspaceGained(WS));
    m.service()
        .channels
        .update_channel(OWNER, CHANNEL, patch(false))
        .unwrap();

    // Public to private: its subscribers are re-checked.
    let mut m = with_channel(false);
    m.channels
        .expect_update_channel()
        .times(1)
        .returning(|_, _| Ok(channel(10, OWNER, true, false)));
    m.expect_announced(AccessChange::Room(CHANNEL.into()));
    m.service()
        .channels
        .update_channel(OWNER, CHANNEL, patch(true))
        .unwrap();

    // Privacy unchanged: nothing to announce.
    let mut m = with_channel(false);
    m.channels
        .expect_update_channel()
        .times(1)
        .returning(|_, _| Ok(channel(10, OWNER, false, false)));
    m.notifier.expect_access_changed().never();
    m.service()
        .channels
        .update_channel(OWNER, CHANNEL, patch(false))
        .unwrap();
}

#[test]
fn adding_someone_to_a_private_channel_is_their_gain_and_to_a_public_one_nothing() {
    for private in [true, false] {
        let mut m = with_channel(private);
        m.users
            .expect_user_by_id()
            .returning(|id| Ok(Some(user(id.get()))));
        m.channels
            .expect_add_channel_member()
            .withf(|_, u| *u == GUEST)
            .times(1)
            .returning(|_, _| Ok(()));
        if private {
            m.expect_announced(AccessChange::UserGained(GUEST));
        } else {
            // Every member of the workspace reads it already.
            m.notifier.expect_access_changed().never();
        }
        m.service()
            .channels
            .add_to_channel(OWNER, CHANNEL, GUEST)
            .unwrap();
    }
}
