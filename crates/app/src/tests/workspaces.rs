//! Workspaces: who reads, edits and deletes them.

use super::*;

#[test]
fn a_guest_cannot_edit_the_workspace_and_nothing_is_written() {
    let mut m = Mocks::with_workspace(true);
    m.workspaces.expect_update_workspace().never();

    let patch = WorkspacePatch {
        name: Some(WorkspaceName::parse("New").unwrap()),
        ..Default::default()
    };
    let err = m
        .service()
        .workspaces
        .update_workspace(GUEST, WS, patch)
        .unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)));
}

#[test]
fn an_outsider_cannot_read_the_workspace() {
    let m = Mocks::with_workspace(true);

    assert!(matches!(
        m.service().workspaces.workspace_details(OUTSIDER, WS),
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
        .workspaces
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
        m.service().workspaces.delete_workspace(GUEST, WS),
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

    let gone = m.service().workspaces.delete_workspace(OWNER, WS).unwrap();
    assert_eq!(gone.owner.id, OWNER);
}

#[test]
fn a_database_outage_surfaces_as_unavailable() {
    let mut m = Mocks::default();
    m.workspaces
        .expect_workspace_by_id()
        .returning(|_| Err(RepoError::Unavailable(anyhow::anyhow!("pool timed out"))));

    assert!(matches!(
        m.service().workspaces.workspace_details(OWNER, WS),
        Err(ServiceError::Unavailable(_))
    ));
}

#[test]
fn its_creator_gains_a_new_workspace() {
    let mut m = Mocks::default();
    m.users
        .expect_user_by_id()
        .returning(|id| Ok(Some(user(id.get()))));
    m.workspaces
        .expect_create_workspace()
        .times(1)
        .returning(|_, _| Ok(workspace(true)));
    m.expect_announced(AccessChange::UserGained(OWNER));

    m.service()
        .workspaces
        .create_workspace(OWNER, WorkspaceName::parse("Team").unwrap(), None, None)
        .unwrap();
}
