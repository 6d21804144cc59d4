//! Members: adding and removing them.

use super::*;

#[test]
fn adding_an_existing_member_is_a_conflict() {
    let mut m = Mocks::with_workspace(true);
    m.users
        .expect_user_by_id()
        .returning(|id| Ok(Some(user(id.get()))));
    m.members
        .expect_add_member()
        .returning(|_, _, _| Err(RepoError::Duplicate));

    let err = m
        .service()
        .members
        .add_member(OWNER, WS, GUEST)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Conflict(Clash::MemberExists)));
}

#[test]
fn adding_an_unknown_user_is_not_found_and_writes_nothing() {
    let mut m = Mocks::with_workspace(true);
    m.users.expect_user_by_id().returning(|_| Ok(None));
    m.members.expect_add_member().never();

    let err = m
        .service()
        .members
        .add_member(OWNER, WS, UserId::new(42))
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound(Missing::User)));
}

#[test]
fn a_guest_cannot_add_members() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_add_member().never();

    assert!(matches!(
        m.service().members.add_member(GUEST, WS, OUTSIDER),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn the_owner_cannot_leave_but_a_guest_can() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_remove_member().never();
    m.notifier.expect_access_changed().never();
    assert!(matches!(
        m.service().members.remove_member(OWNER, WS, OWNER),
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
    m.service().members.remove_member(GUEST, WS, GUEST).unwrap();
}

#[test]
fn a_guest_cannot_kick_the_owner() {
    let mut m = Mocks::with_workspace(true);
    m.members.expect_remove_member().never();

    assert!(matches!(
        m.service().members.remove_member(GUEST, WS, OWNER),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn removing_a_non_member_is_not_found() {
    let m = Mocks::with_workspace(true);

    let err = m
        .service()
        .members
        .remove_member(OWNER, WS, OUTSIDER)
        .unwrap_err();

    assert!(matches!(
        err,
        ServiceError::NotFound(Missing::WorkspaceMember)
    ));
}

#[test]
fn an_added_member_gains_the_workspace() {
    let mut m = Mocks::with_workspace(true);
    m.users
        .expect_user_by_id()
        .returning(|id| Ok(Some(user(id.get()))));
    m.members
        .expect_add_member()
        .times(1)
        .returning(|_, u, role| Ok(membership(u.get(), role)));
    m.expect_announced(AccessChange::UserGained(OUTSIDER));

    m.service().members.add_member(OWNER, WS, OUTSIDER).unwrap();
}

#[test]
fn joining_with_the_code_is_a_gain_but_joining_again_is_nothing() {
    let with_server = |fresh: bool| {
        let mut m = Mocks::with_workspace(true);
        m.members
            .expect_add_member()
            .times(1)
            .returning(move |_, u, role| {
                if fresh {
                    Ok(membership(u.get(), role))
                } else {
                    Err(RepoError::Duplicate)
                }
            });
        m.channels
            .expect_channels_of_workspace()
            .returning(|_| Ok(vec![channel(10, OWNER, false, true)]));
        m.channels
            .expect_channel_ids_of_member()
            .returning(|_, _| Ok(vec![]));
        m.members
            .expect_members_with_users()
            .returning(|_| Ok(vec![]));
        m
    };
    let code = concord_domain::InviteCode::parse("abcdefghijkl").unwrap();

    // The mocked store has the guest a member, as it would once added.
    let mut m = with_server(true);
    m.expect_announced(AccessChange::UserGained(GUEST));
    m.service()
        .members
        .join_with_invite(GUEST, WS, &code)
        .unwrap();

    let mut m = with_server(false);
    m.notifier.expect_access_changed().never();
    m.service()
        .members
        .join_with_invite(GUEST, WS, &code)
        .unwrap();
}
