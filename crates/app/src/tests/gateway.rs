//! The gateway: who may open and keep following a room.

use super::*;

#[test]
fn a_reader_may_open_the_room_and_an_outsider_may_not() {
    let mut m = with_channel(true);
    m.messages.expect_room_info().returning(|id| {
        Ok(
            (id == concord_domain::RoomId::new(10)).then_some(concord_ports::repo::RoomInfo {
                room: ROOM,
                workspace_id: WS,
                last_seq: concord_domain::Seq::new(4),
            }),
        )
    });
    let svc = m.service();

    assert_eq!(
        svc.gateway
            .open_room(OWNER, concord_domain::RoomId::new(10))
            .unwrap()
            .last_seq,
        concord_domain::Seq::new(4)
    );
    assert!(matches!(
        svc.gateway
            .open_room(GUEST, concord_domain::RoomId::new(10)),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        svc.gateway
            .open_room(OWNER, concord_domain::RoomId::new(11)),
        Err(ServiceError::NotFound(Missing::Room))
    ));
    assert!(svc.gateway.may_read(OWNER, ROOM).unwrap());
    assert!(!svc.gateway.may_read(GUEST, ROOM).unwrap());
    assert!(!svc.gateway.may_read(OUTSIDER, ROOM).unwrap());
}

#[test]
fn readable_rooms_come_with_the_workspaces_they_were_read_in() {
    let mut m = Mocks::with_workspace(true);
    m.workspaces
        .expect_workspaces_of_user()
        .returning(|_| Ok(vec![workspace(true)]));
    m.channels.expect_channels_of_workspace().returning(|_| {
        Ok(vec![
            channel(10, OWNER, false, true),
            channel(11, OWNER, true, false),
        ])
    });
    m.channels
        .expect_channel_ids_of_member()
        .returning(|_, _| Ok(vec![]));
    m.conversations
        .expect_conversations_of_user()
        .returning(|_, _| Ok(vec![]));
    m.messages.expect_room_info().returning(|id| {
        Ok(Some(concord_ports::repo::RoomInfo {
            room: Room::Channel(ChannelId::new(id.get())),
            workspace_id: WS,
            last_seq: concord_domain::Seq::new(0),
        }))
    });

    let readable = m.service().gateway.readable_rooms(GUEST).unwrap();

    assert_eq!(readable.workspaces, vec![WS]);
    let rooms: Vec<i64> = readable.rooms.iter().map(|i| i.room.id().get()).collect();
    assert_eq!(rooms, vec![10], "not the private channel");
}
