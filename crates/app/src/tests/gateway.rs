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
