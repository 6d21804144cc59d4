//! Bans: who may place, lift and list them, and what a ban keeps out.

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
        .members
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

        let err = m
            .service()
            .members
            .ban_member(actor, WS, target, None)
            .unwrap_err();

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
        .members
        .ban_member(MODERATOR, WS, OUTSIDER, None)
        .unwrap();
}

#[test]
fn banning_an_unknown_user_is_user_not_found() {
    let mut m = mocks(None);
    m.members.expect_ban_member().never();

    let err = m
        .service()
        .members
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
        chat.members.ban_member(MODERATOR, WS, OUTSIDER, None),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        chat.members.lift_ban(ADMIN, WS, OUTSIDER),
        Err(ServiceError::Forbidden(_))
    ));

    let mut m = mocks(Some(Role::Admin));
    m.members
        .expect_lift_ban()
        .withf(|_, u| *u == OUTSIDER)
        .times(1)
        .returning(|_, _| Ok(()));
    m.service().members.lift_ban(OWNER, WS, OUTSIDER).unwrap();
}

#[test]
fn lifting_a_ban_that_is_not_there_writes_nothing_and_guests_may_not_lift() {
    let mut m = mocks(None);
    m.members.expect_lift_ban().never();
    let chat = m.service();

    chat.members.lift_ban(MODERATOR, WS, GUEST).unwrap();
    assert!(matches!(
        chat.members.lift_ban(GUEST, WS, OUTSIDER),
        Err(ServiceError::Forbidden(_))
    ));
}

#[test]
fn moderators_and_up_list_bans_and_guests_and_outsiders_do_not() {
    let mut m = mocks(None);
    m.members.expect_bans().times(3).returning(|_| Ok(vec![]));
    let chat = m.service();
    for lister in [OWNER, ADMIN, MODERATOR] {
        chat.members.bans_of(lister, WS).unwrap();
    }
    for refused in [GUEST, OUTSIDER] {
        assert!(matches!(
            chat.members.bans_of(refused, WS),
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
        chat.members.join_with_invite(OUTSIDER, WS, &code),
        Err(ServiceError::Banned)
    ));
    assert!(matches!(
        chat.members.add_member(OWNER, WS, OUTSIDER),
        Err(ServiceError::Banned)
    ));
}
