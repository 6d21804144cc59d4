use concord_domain::{NewBan, Role, UserId, WorkspaceName, WorkspacePatch};
use concord_ports::{ChannelRepository, MembershipRepository, RepoError, WorkspaceRepository};

use super::{add_channel, add_user, add_workspace, store};

#[test]
fn a_new_workspace_has_its_owner_and_a_general_channel_they_belong_to() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);

    let owner = store.membership(ws.id, ada.id).unwrap().unwrap();
    assert_eq!(owner.role, Role::Owner);
    let channels = store.channels_of_workspace(ws.id).unwrap();
    assert_eq!(channels.len(), 1);
    assert!(channels[0].is_general && channels[0].name == "general" && !channels[0].private);
    assert_eq!(
        store.channel_ids_of_member(ws.id, ada.id).unwrap(),
        vec![channels[0].id]
    );
    assert!(
        ws.invite_code.len() >= 10 && ws.invite_code.chars().all(|c| c.is_ascii_alphanumeric())
    );
}

#[test]
fn invite_codes_differ_between_workspaces() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    assert_ne!(
        add_workspace(&store, ada.id).invite_code,
        add_workspace(&store, ada.id).invite_code
    );
}

#[test]
fn a_workspace_with_a_missing_owner_is_refused_and_nothing_is_left_behind() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let new = concord_domain::NewWorkspace {
        name: WorkspaceName::parse("Ghost").unwrap(),
        description: None,
        image_url: None,
        members_can_create_channels: true,
    };

    assert!(matches!(
        store.create_workspace(UserId::new(999), &new),
        Err(RepoError::NotFound)
    ));
    assert!(store.workspaces_of_user(ada.id).unwrap().is_empty());
}

#[test]
fn workspaces_of_a_user_are_those_they_belong_to() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let mine = add_workspace(&store, ada.id);
    let theirs = add_workspace(&store, bob.id);
    store.add_member(theirs.id, ada.id, Role::Guest).unwrap();

    let ids: Vec<_> = store
        .workspaces_of_user(ada.id)
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids, vec![mine.id, theirs.id]);
    assert_eq!(store.workspaces_of_user(bob.id).unwrap().len(), 1);
}

#[test]
fn updates_change_only_the_given_fields_and_can_clear_optional_ones() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);

    let renamed = store
        .update_workspace(
            ws.id,
            &WorkspacePatch {
                name: Some(WorkspaceName::parse("Renamed").unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_deref()),
        ("Renamed", Some("desc"))
    );

    let cleared = store
        .update_workspace(
            ws.id,
            &WorkspacePatch {
                description: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (cleared.name.as_str(), cleared.description),
        ("Renamed", None)
    );
    assert!(cleared.updated_at >= ws.updated_at);

    let missing = store.update_workspace(
        concord_domain::WorkspaceId::new(999),
        &WorkspacePatch::default(),
    );
    assert!(matches!(missing, Err(RepoError::NotFound)));
}

#[test]
fn deleting_a_workspace_takes_its_channels_and_memberships_with_it() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let random = add_channel(&store, &ws, ada.id, "random");

    store.delete_workspace(ws.id).unwrap();

    assert_eq!(store.workspace_by_id(ws.id).unwrap(), None);
    assert_eq!(store.channel_by_id(random.id).unwrap(), None);
    assert_eq!(store.membership(ws.id, ada.id).unwrap(), None);
    assert!(matches!(
        store.delete_workspace(ws.id),
        Err(RepoError::NotFound)
    ));
}

#[test]
fn members_are_added_once_and_only_if_the_user_exists() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);

    let m = store.add_member(ws.id, bob.id, Role::Guest).unwrap();
    assert_eq!((m.user_id, m.role), (bob.id, Role::Guest));
    assert!(matches!(
        store.add_member(ws.id, bob.id, Role::Guest),
        Err(RepoError::Duplicate)
    ));
    assert!(matches!(
        store.add_member(ws.id, UserId::new(999), Role::Guest),
        Err(RepoError::NotFound)
    ));

    let members = store.members_with_users(ws.id).unwrap();
    let listed: Vec<_> = members.iter().map(|(m, u)| (u.id, m.role)).collect();
    assert_eq!(listed, vec![(ada.id, Role::Owner), (bob.id, Role::Guest)]);
}

#[test]
fn a_workspace_has_exactly_one_owner() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);

    assert!(matches!(
        store.add_member(ws.id, bob.id, Role::Owner),
        Err(RepoError::Duplicate)
    ));
}

#[test]
fn roles_change_by_membership_id() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let m = store.add_member(ws.id, bob.id, Role::Guest).unwrap();

    assert_eq!(
        store.set_role(m.id, Role::Moderator).unwrap().role,
        Role::Moderator
    );
    assert_eq!(
        store.membership_by_id(m.id).unwrap().unwrap().role,
        Role::Moderator
    );
    assert!(matches!(
        store.set_role(concord_domain::MembershipId::new(999), Role::Guest),
        Err(RepoError::NotFound)
    ));
}

#[test]
fn removing_a_member_also_removes_them_from_the_workspaces_channels_only() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let other = add_workspace(&store, ada.id);
    store.add_member(ws.id, bob.id, Role::Guest).unwrap();
    store.add_member(other.id, bob.id, Role::Guest).unwrap();
    let here = add_channel(&store, &ws, ada.id, "here");
    let there = add_channel(&store, &other, ada.id, "there");
    store.add_channel_member(here.id, bob.id).unwrap();
    store.add_channel_member(there.id, bob.id).unwrap();

    store.remove_member(ws.id, bob.id).unwrap();

    assert_eq!(store.membership(ws.id, bob.id).unwrap(), None);
    assert!(!store.is_channel_member(here.id, bob.id).unwrap());
    assert!(store.is_channel_member(there.id, bob.id).unwrap());
    assert!(matches!(
        store.remove_member(ws.id, bob.id),
        Err(RepoError::NotFound)
    ));
}

fn new_ban(ws: &concord_domain::Workspace, user: UserId, by: UserId, reason: &str) -> NewBan {
    NewBan {
        workspace_id: ws.id,
        user_id: user,
        role: Role::Moderator,
        reason: Some(reason.to_owned()),
        banned_by: by,
    }
}

#[test]
fn a_ban_removes_the_member_from_the_workspace_and_its_channels_and_keeps_them_out() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let other = add_workspace(&store, ada.id);
    store.add_member(ws.id, bob.id, Role::Moderator).unwrap();
    let here = add_channel(&store, &ws, ada.id, "here");
    store.add_channel_member(here.id, bob.id).unwrap();

    let ban = store
        .ban_member(&new_ban(&ws, bob.id, ada.id, "spam"))
        .unwrap();

    assert_eq!(
        (ban.user_id, ban.role, ban.reason.as_deref(), ban.banned_by),
        (bob.id, Role::Moderator, Some("spam"), ada.id)
    );
    assert_eq!(store.membership(ws.id, bob.id).unwrap(), None);
    assert!(!store.is_channel_member(here.id, bob.id).unwrap());
    assert!(matches!(
        store.add_member(ws.id, bob.id, Role::Guest),
        Err(RepoError::Banned)
    ));
    assert_eq!(store.ban(ws.id, bob.id).unwrap(), Some(ban.clone()));
    assert_eq!(store.bans(ws.id).unwrap(), vec![ban]);
    // another workspace is not affected
    store.add_member(other.id, bob.id, Role::Guest).unwrap();
    assert_eq!(store.ban(other.id, bob.id).unwrap(), None);
}

#[test]
fn banning_again_keeps_the_first_role_and_time_and_replaces_the_reason() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let cy = add_user(&store, "cy");
    let ws = add_workspace(&store, ada.id);
    let first = store
        .ban_member(&new_ban(&ws, bob.id, ada.id, "one"))
        .unwrap();

    let again = NewBan {
        role: Role::Guest,
        ..new_ban(&ws, bob.id, cy.id, "two")
    };
    let second = store.ban_member(&again).unwrap();

    assert_eq!(
        (second.role, second.banned_at),
        (first.role, first.banned_at)
    );
    assert_eq!(
        (second.reason.as_deref(), second.banned_by),
        (Some("two"), cy.id)
    );
    assert_eq!(store.bans(ws.id).unwrap().len(), 1);
}

#[test]
fn a_lifted_ban_lets_the_user_back_and_lifting_none_is_fine() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    store
        .ban_member(&new_ban(&ws, bob.id, ada.id, "x"))
        .unwrap();

    store.lift_ban(ws.id, bob.id).unwrap();
    store.lift_ban(ws.id, bob.id).unwrap();

    assert_eq!(store.ban(ws.id, bob.id).unwrap(), None);
    assert!(store.bans(ws.id).unwrap().is_empty());
    store.add_member(ws.id, bob.id, Role::Guest).unwrap();
}

#[test]
fn banning_an_unknown_user_is_not_found() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);

    assert!(matches!(
        store.ban_member(&new_ban(&ws, UserId::new(999), ada.id, "x")),
        Err(RepoError::NotFound)
    ));
}
