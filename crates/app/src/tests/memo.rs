//! The access memo: grants spare the store, and a change ends them at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use concord_domain::{MessageContent, MessageId, Page};

use super::*;
use concord_ports::repo::Posted;

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
            content: msg.content.as_str().to_owned(),
            ..message(1, msg.author_id, msg.room, None)
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

fn post(chat: &Concord) -> Result<(), ServiceError> {
    let text = MessageContent::parse("hi").unwrap();
    chat.messages
        .post_message(GUEST, ROOM, text, None, None, None)
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

    chat.members.remove_member(OWNER, WS, GUEST).unwrap();
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

    chat.members.ban_member(OWNER, WS, GUEST, None).unwrap();

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

    let refused = chat
        .messages
        .post_from_memory(GUEST, ROOM, text(), None)
        .err();
    assert_eq!(refused, Some(text()), "unknown yet: the content comes back");

    post(&chat).unwrap();
    let pending = chat
        .messages
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

    chat.members.remove_member(OWNER, WS, GUEST).unwrap();
    assert!(
        chat.messages
            .post_from_memory(GUEST, ROOM, text(), None)
            .is_err()
    );
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
        chat.messages
            .history_from_memory(GUEST, ROOM, before, 5000)
            .is_none(),
        "unknown yet: the caller must ask the checked way"
    );
    post(&chat).unwrap();
    let pending = chat
        .messages
        .history_from_memory(GUEST, ROOM, before, 5000)
        .unwrap();
    assert_eq!(at_once(pending).unwrap().messages, vec![]);
    assert_eq!(reads.load(Ordering::SeqCst), 1, "the page checked nothing");

    chat.members.remove_member(OWNER, WS, GUEST).unwrap();
    assert!(
        chat.messages
            .history_from_memory(GUEST, ROOM, before, 50)
            .is_none()
    );
}

#[test]
fn a_queued_post_is_published_even_when_nobody_awaits_it() {
    let (kicked, reads) = (Arc::default(), Arc::default());
    let mut m = mocks(&kicked, &reads);
    // The store decides the post later, on its own thread.
    let (decide, decided) = std::sync::mpsc::channel::<concord_ports::repo::OnCommit>();
    let decide = std::sync::Mutex::new(decide);
    m.messages
        .expect_queue_post()
        .returning(move |_, _, on_commit| {
            decide.lock().unwrap().send(on_commit).unwrap();
            Box::pin(std::future::pending())
        });
    let published = Arc::new(AtomicUsize::new(0));
    let p = published.clone();
    m.notifier = concord_ports::notify::MockNotifier::new();
    m.notifier.expect_publish().returning(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let chat = m.service().remembering_access(Duration::from_secs(60));
    post(&chat).unwrap();
    assert_eq!(published.load(Ordering::SeqCst), 1);

    let text = MessageContent::parse("hi").unwrap();
    drop(
        chat.messages
            .post_from_memory(GUEST, ROOM, text, None)
            .ok()
            .unwrap(),
    );
    let new = concord_domain::NewMessage {
        room: ROOM,
        author_id: GUEST,
        parent_id: None,
        content: MessageContent::parse("hi").unwrap(),
        mentions: Vec::new(),
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

    assert!(chat.accounts.still_signed_in(&standing).unwrap());
    revoked.store(true, Ordering::SeqCst);
    assert!(!chat.accounts.still_signed_in(&standing).unwrap());

    // Expired by the clock: no need to ask the store.
    let expired = Claims {
        expires_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        ..claims("old")
    };
    assert!(!chat.accounts.still_signed_in(&expired).unwrap());
}

#[test]
fn logging_out_ends_a_remembered_token_at_once() {
    let revoked = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicUsize::new(0));
    let mut m = Mocks::default();
    m.tokens.expect_verify().returning(|token, _| match token {
        "good" => Ok(claims("j")),
        _ => Err(concord_ports::auth::TokenError::Invalid),
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
        chat.accounts.authenticate_from_memory("good").is_none(),
        "not yet known"
    );
    assert!(matches!(
        chat.accounts.authenticate_from_memory("forged"),
        Some(Err(ServiceError::Unauthenticated))
    ));
    let claims = chat.accounts.authenticate("good").unwrap();
    assert!(matches!(
        chat.accounts.authenticate_from_memory("good"),
        Some(Ok(_))
    ));
    chat.accounts.authenticate("good").unwrap();
    assert_eq!(lookups.load(Ordering::SeqCst), 1);

    chat.accounts.log_out(&claims).unwrap();
    assert!(chat.accounts.authenticate_from_memory("good").is_none());
    assert!(matches!(
        chat.accounts.authenticate("good"),
        Err(ServiceError::Unauthenticated)
    ));
}
