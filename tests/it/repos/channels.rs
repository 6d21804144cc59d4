use concord_domain::{ChannelId, ChannelKind, ChannelName, ChannelPatch, UserId, WorkspaceId};
use concord_ports::{ChannelRepository, RepoError};

use super::{add_channel, add_user, add_workspace, new_channel, store};

#[test]
fn a_channel_is_created_with_its_creator_as_member() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);

    let c = store
        .create_channel(ws.id, ada.id, &new_channel("secret", true))
        .unwrap();

    assert_eq!(
        (c.name.as_str(), c.private, c.creator_id, c.is_general),
        ("secret", true, ada.id, false)
    );
    assert_eq!(c.topic.as_deref(), Some("topic"));
    assert_eq!(c.last_message_at, None);
    assert!(store.is_channel_member(c.id, ada.id).unwrap());
    assert_eq!(store.channel_by_id(c.id).unwrap(), Some(c));
}

#[test]
fn a_channel_in_a_missing_workspace_is_refused() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");

    let got = store.create_channel(WorkspaceId::new(999), ada.id, &new_channel("x", false));

    assert!(matches!(got, Err(RepoError::NotFound)));
}

#[test]
fn channels_are_listed_general_first_then_oldest_first() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let b = add_channel(&store, &ws, ada.id, "b");
    let a = add_channel(&store, &ws, ada.id, "a");

    let names: Vec<_> = store
        .channels_of_workspace(ws.id)
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    assert_eq!(names[1..], [(b.id, "b".to_owned()), (a.id, "a".to_owned())]);
    assert_eq!(names[0].1, "general");
}

#[test]
fn updates_apply_partially_and_bump_updated_at() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let c = add_channel(&store, &ws, ada.id, "old");

    let patch = ChannelPatch {
        name: Some(ChannelName::parse("new").unwrap()),
        kind: Some(ChannelKind::Video),
        topic: Some(None),
        ..Default::default()
    };
    let updated = store.update_channel(c.id, &patch).unwrap();

    assert_eq!(
        (updated.name.as_str(), updated.kind, updated.topic),
        ("new", ChannelKind::Video, None)
    );
    assert_eq!(updated.private, c.private);
    assert!(updated.updated_at >= c.updated_at);
    assert!(matches!(
        store.update_channel(ChannelId::new(999), &patch),
        Err(RepoError::NotFound)
    ));
}

#[test]
fn channel_and_conversation_ids_never_collide() {
    let (store, db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let c = add_channel(&store, &ws, ada.id, "c");

    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    let mut conn = PgConnection::establish(&db.url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let conv: Row = diesel::sql_query(format!(
        "INSERT INTO conversations (workspace_id, creator_id) VALUES ({}, {}) RETURNING id",
        ws.id, ada.id
    ))
    .get_result(&mut conn)
    .unwrap();

    assert!(conv.id > c.id.get());
    let c2 = add_channel(&store, &ws, ada.id, "c2");
    assert!(c2.id.get() > conv.id);
}

#[test]
fn channel_members_are_added_once_and_removed_once() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let bob = add_user(&store, "bob");
    let ws = add_workspace(&store, ada.id);
    let c = add_channel(&store, &ws, ada.id, "c");

    store.add_channel_member(c.id, bob.id).unwrap();
    assert!(matches!(
        store.add_channel_member(c.id, bob.id),
        Err(RepoError::Duplicate)
    ));
    assert!(matches!(
        store.add_channel_member(c.id, UserId::new(999)),
        Err(RepoError::NotFound)
    ));
    assert!(store.is_channel_member(c.id, bob.id).unwrap());

    store.remove_channel_member(c.id, bob.id).unwrap();
    assert!(!store.is_channel_member(c.id, bob.id).unwrap());
    assert!(matches!(
        store.remove_channel_member(c.id, bob.id),
        Err(RepoError::NotFound)
    ));
}

#[test]
fn deleting_a_channel_is_final() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");
    let ws = add_workspace(&store, ada.id);
    let c = add_channel(&store, &ws, ada.id, "c");

    store.delete_channel(c.id).unwrap();

    assert_eq!(store.channel_by_id(c.id).unwrap(), None);
    assert!(matches!(
        store.delete_channel(c.id),
        Err(RepoError::NotFound)
    ));
}
