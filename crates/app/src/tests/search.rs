//! Search: which rooms are searched for whom, and which refusals search
//! nothing at all.

use concord_domain::{Conversation, MembershipId, RoomId, SearchQuery};
use concord_ports::{Found, RoomInfo};

use super::*;
use crate::SearchMessages;

/// Public channels 10 (`general`) and 11, private channel 12 with only the
/// owner in it, conversation 20 of the owner and the guest, conversation 21
/// of the owner alone: all in [`WS`]. Channel 99 is in another workspace.
fn world() -> Mocks {
    let mut m = Mocks::with_workspace(true);
    let channels = || {
        vec![
            channel(10, OWNER, false, true),
            channel(11, OWNER, false, false),
            channel(12, OWNER, true, false),
        ]
    };
    m.channels
        .expect_channels_of_workspace()
        .returning(move |_| Ok(channels()));
    m.channels.expect_channel_by_id().returning(move |id| {
        let mut elsewhere = channel(99, OWNER, false, false);
        elsewhere.workspace_id = WorkspaceId::new(2);
        Ok(channels()
            .into_iter()
            .chain([elsewhere])
            .find(|c| c.id == id))
    });
    m.channels
        .expect_channel_ids_of_member()
        .returning(|_, user| {
            let ids: &[i64] = if user == OWNER { &[10, 11, 12] } else { &[10] };
            Ok(ids.iter().copied().map(ChannelId::new).collect())
        });
    m.channels
        .expect_is_channel_member()
        .returning(|channel, user| Ok(user == OWNER || channel != ChannelId::new(12)));
    m.conversations
        .expect_conversations_of_user()
        .returning(|user, _| {
            Ok(conversations()
                .into_iter()
                .filter(|c| c.has_participant(user))
                .collect())
        });
    m.conversations
        .expect_conversation_by_id()
        .returning(|id| Ok(conversations().into_iter().find(|c| c.id == id)));
    m.messages.expect_room_info().returning(|id| {
        let (room, workspace) = match id.get() {
            10..=12 => (Room::Channel(ChannelId::new(id.get())), WS),
            20 | 21 => (Room::Conversation(ConversationId::new(id.get())), WS),
            99 => (Room::Channel(ChannelId::new(99)), WorkspaceId::new(2)),
            _ => return Ok(None),
        };
        Ok(Some(RoomInfo {
            room,
            workspace_id: workspace,
            last_seq: concord_domain::Seq::ZERO,
        }))
    });
    m
}

fn conversations() -> Vec<Conversation> {
    let conversation = |id: i64, participants: &[UserId]| Conversation {
        id: ConversationId::new(id),
        workspace_id: WS,
        topic: None,
        creator_id: OWNER,
        participants: participants.to_vec(),
        created_at: Utc.timestamp_opt(0, 0).unwrap(),
        updated_at: Utc.timestamp_opt(0, 0).unwrap(),
        last_message_at: None,
    };
    vec![
        conversation(20, &[OWNER, GUEST]),
        conversation(21, &[OWNER]),
    ]
}

fn rooms(ids: &[i64]) -> Vec<RoomId> {
    ids.iter().copied().map(RoomId::new).collect()
}

fn words(q: &str) -> SearchMessages {
    SearchMessages {
        query: SearchQuery::parse(q).unwrap(),
        author: None,
        before: None,
        limit: 20,
    }
}

fn one_hit() -> Found {
    Found::Page(Page {
        messages: vec![message(50, OWNER, ROOM, None)],
        next_cursor: None,
    })
}

#[test]
fn a_guest_searches_the_public_channels_and_their_own_conversations_only() {
    let mut m = world();
    m.search
        .expect_search_messages()
        .withf(|q, searched, _, _, _| q.as_str() == "cat" && searched == rooms(&[10, 11, 20]))
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));

    let page = m
        .service()
        .search
        .search_workspace(GUEST, WS, None, words("cat"))
        .unwrap();

    assert_eq!(page.messages[0].id, MessageId::new(50));
}

#[test]
fn the_owner_also_searches_the_private_channel_and_their_notes() {
    let mut m = world();
    m.search
        .expect_search_messages()
        .withf(|_, searched, _, _, _| searched == rooms(&[10, 11, 12, 20, 21]))
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));

    assert!(
        m.service()
            .search
            .search_workspace(OWNER, WS, None, words("cat"))
            .is_ok()
    );
}

#[test]
fn a_non_member_is_refused_as_reading_history_is_and_nothing_is_searched() {
    let mut m = world();
    m.search.expect_search_messages().never();
    let concord = m.service();

    let searched = concord
        .search
        .search_workspace(OUTSIDER, WS, None, words("cat"))
        .unwrap_err();
    let read = concord
        .messages
        .history(OUTSIDER, ROOM, None, 20)
        .unwrap_err();

    assert!(
        matches!(searched, ServiceError::Forbidden(_)),
        "{searched:?}"
    );
    assert!(matches!(read, ServiceError::Forbidden(_)), "{read:?}");
}

#[test]
fn an_unknown_workspace_is_not_found() {
    let mut m = Mocks::default();
    m.workspaces
        .expect_workspace_by_id()
        .returning(|_| Ok(None));
    m.search.expect_search_messages().never();

    let err = m
        .service()
        .search
        .search_workspace(OWNER, WS, Some(RoomId::new(10)), words("cat"))
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound(Missing::Workspace)));
}

#[test]
fn in_a_room_searches_that_room_alone() {
    let mut m = world();
    m.search
        .expect_search_messages()
        .withf(|_, searched, _, _, _| searched == rooms(&[20]))
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));

    assert!(
        m.service()
            .search
            .search_workspace(GUEST, WS, Some(RoomId::new(20)), words("cat"))
            .is_ok()
    );
}

#[test]
fn in_a_room_the_caller_may_not_read_is_refused_as_its_history_is() {
    for (room, as_history) in [
        (12, Room::Channel(ChannelId::new(12))),
        (21, Room::Conversation(ConversationId::new(21))),
    ] {
        let mut m = world();
        m.search.expect_search_messages().never();
        let concord = m.service();

        let searched = concord
            .search
            .search_workspace(GUEST, WS, Some(RoomId::new(room)), words("cat"))
            .unwrap_err();
        let read = concord
            .messages
            .history(GUEST, as_history, None, 20)
            .unwrap_err();

        assert!(
            matches!(searched, ServiceError::Forbidden(_)),
            "{room}: {searched:?}"
        );
        assert!(
            matches!(read, ServiceError::Forbidden(_)),
            "{room}: {read:?}"
        );
    }
}

#[test]
fn in_a_room_of_another_workspace_or_of_none_is_not_found() {
    for room in [99, 77] {
        let mut m = world();
        m.search.expect_search_messages().never();

        let err = m
            .service()
            .search
            .search_workspace(OWNER, WS, Some(RoomId::new(room)), words("cat"))
            .unwrap_err();

        assert!(
            matches!(err, ServiceError::NotFound(Missing::Room)),
            "{room}: {err:?}"
        );
    }
}

#[test]
fn a_query_that_names_nothing_to_find_is_invalid() {
    let mut m = world();
    m.search
        .expect_search_messages()
        .times(1)
        .returning(|_, _, _, _, _| Ok(Found::NothingToFind));

    let err = m
        .service()
        .search
        .search_workspace(GUEST, WS, None, words("-cat"))
        .unwrap_err();

    assert!(matches!(err, ServiceError::Invalid(_)), "{err:?}");
}

#[test]
fn the_author_the_cursor_and_a_clamped_limit_reach_the_store() {
    let mut m = world();
    m.search
        .expect_search_messages()
        .withf(|_, _, author, before, limit| {
            *author == Some(GUEST) && *before == Some(MessageId::new(40)) && *limit == 100
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));
    let search = SearchMessages {
        author: Some(GUEST),
        before: Some(MessageId::new(40)),
        limit: 500,
        ..words("cat")
    };

    assert!(
        m.service()
            .search
            .search_workspace(OWNER, WS, None, search)
            .is_ok()
    );
}

#[test]
fn a_server_search_names_its_author_by_membership_and_answers_with_the_members() {
    let mut m = world();
    m.members
        .expect_membership_by_id()
        .returning(|id| Ok(Some(membership(id.get(), Role::Guest))));
    m.members.expect_members_with_users().returning(|_| {
        Ok(vec![(
            membership(GUEST.get(), Role::Guest),
            user(GUEST.get()),
        )])
    });
    m.search
        .expect_search_messages()
        .withf(|_, searched, author, _, _| {
            searched == rooms(&[10, 11, 20]) && *author == Some(GUEST)
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));

    let found = m
        .service()
        .search
        .search_server(
            GUEST,
            WS,
            None,
            Some(MembershipId::new(GUEST.get())),
            words("cat"),
        )
        .unwrap();

    assert_eq!(found.value.messages.len(), 1);
    assert_eq!(found.members[0].1.id, GUEST);
}

#[test]
fn a_server_search_refuses_a_member_or_channel_of_another_server() {
    let mut m = world();
    m.members.expect_membership_by_id().returning(|id| {
        let mut elsewhere = membership(id.get(), Role::Guest);
        elsewhere.workspace_id = WorkspaceId::new(2);
        Ok(Some(elsewhere))
    });
    m.search.expect_search_messages().never();
    let concord = m.service();

    let member = concord
        .search
        .search_server(GUEST, WS, None, Some(MembershipId::new(2)), words("cat"))
        .unwrap_err();
    let channel = concord
        .search
        .search_server(OWNER, WS, Some(ChannelId::new(99)), None, words("cat"))
        .unwrap_err();

    assert!(
        matches!(member, ServiceError::NotFound(Missing::Member)),
        "{member:?}"
    );
    assert!(
        matches!(channel, ServiceError::NotFound(Missing::Channel)),
        "{channel:?}"
    );
}

#[test]
fn a_server_search_in_a_channel_searches_that_channel_alone() {
    let mut m = world();
    m.members
        .expect_members_with_users()
        .returning(|_| Ok(vec![]));
    m.search
        .expect_search_messages()
        .withf(|_, searched, author, _, _| searched == rooms(&[11]) && author.is_none())
        .times(1)
        .returning(|_, _, _, _, _| Ok(one_hit()));

    assert!(
        m.service()
            .search
            .search_server(GUEST, WS, Some(ChannelId::new(11)), None, words("cat"))
            .is_ok()
    );
}
