use chrono::{Duration, Utc};
use concord_domain::UserId;
use concord_ports::{RepoError, SessionRepository, UserRepository};

use super::{add_user, store, user_insert};

#[test]
fn a_stored_user_reads_back_by_id_and_email() {
    let (store, _db) = store();
    let ada = add_user(&store, "ada");

    assert_eq!(store.user_by_id(ada.id).unwrap(), Some(ada.clone()));
    let (found, hash) = store
        .credentials_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (ada.id, "$2b$04$hash"));
    assert_eq!(store.user_by_id(UserId::new(999)).unwrap(), None);
    assert!(
        store
            .credentials_by_email("nobody@example.com")
            .unwrap()
            .is_none()
    );
}

#[test]
fn emails_and_usernames_are_unique_usernames_case_insensitively() {
    let (store, _db) = store();
    add_user(&store, "ada");

    let same_email = store.insert_user(&user_insert("ada"));
    assert!(matches!(same_email, Err(RepoError::Duplicate)));

    let mut shouting = user_insert("ADA");
    shouting.email = "other@example.com".into();
    assert!(matches!(
        store.insert_user(&shouting),
        Err(RepoError::Duplicate)
    ));
}

#[test]
fn revoked_tokens_stay_revoked_and_revoking_twice_is_fine() {
    let (store, _db) = store();
    let exp = Utc::now() + Duration::hours(1);

    assert!(!store.is_token_revoked("jti-1").unwrap());
    store.revoke_token("jti-1", exp).unwrap();
    store.revoke_token("jti-1", exp).unwrap();
    assert!(store.is_token_revoked("jti-1").unwrap());
    assert!(!store.is_token_revoked("jti-2").unwrap());
}

#[test]
fn revocations_of_expired_tokens_are_purged() {
    let (store, _db) = store();
    store
        .revoke_token("old", Utc::now() - Duration::hours(1))
        .unwrap();
    store
        .revoke_token("new", Utc::now() + Duration::hours(1))
        .unwrap();

    // the expired one was purged by the second revocation; it could not be
    // used anyway since its token has expired
    assert!(!store.is_token_revoked("old").unwrap());
    assert!(store.is_token_revoked("new").unwrap());
}
