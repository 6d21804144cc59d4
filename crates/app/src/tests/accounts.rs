//! Accounts: sign-up, login, tokens.

use super::*;

#[test]
fn signing_up_with_a_taken_email_is_a_conflict_and_issues_no_token() {
    let mut m = Mocks::default();
    m.hasher.expect_hash().returning(|_| Ok("hash".into()));
    m.users
        .expect_insert_user()
        .returning(|_| Err(RepoError::Duplicate));
    m.tokens.expect_issue().never();

    let err = m.service().accounts.sign_up(new_user()).unwrap_err();

    assert!(matches!(err, ServiceError::Conflict(Clash::UserExists)));
}

#[test]
fn signing_up_stores_the_hash_never_the_password() {
    let mut m = Mocks::default();
    m.hasher
        .expect_hash()
        .returning(|_| Ok("bcrypt-hash".into()));
    m.users
        .expect_insert_user()
        .withf(|u| u.password_hash == "bcrypt-hash" && u.email == "ada@example.com")
        .returning(|_| Ok(user(7)));
    m.tokens.expect_issue().returning(|id, now| {
        Ok(IssuedToken {
            token: "t".into(),
            claims: Claims {
                user_id: id,
                jti: "j".into(),
                issued_at: now,
                expires_at: now,
            },
        })
    });

    let (u, token) = m.service().accounts.sign_up(new_user()).unwrap();

    assert_eq!(u.id, UserId::new(7));
    assert_eq!(token.claims.user_id, UserId::new(7));
}

#[test]
fn logging_in_with_an_unknown_email_still_checks_a_password() {
    let mut m = Mocks::default();
    m.users
        .expect_credentials_by_email()
        .returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .return_const(false);
    m.tokens.expect_issue().never();

    let err = m
        .service()
        .accounts
        .log_in("nobody@example.com", "whatever")
        .unwrap_err();

    assert!(matches!(err, ServiceError::InvalidCredentials));
}

#[test]
fn logging_in_with_a_wrong_password_is_refused() {
    let mut m = Mocks::default();
    m.users
        .expect_credentials_by_email()
        .returning(|_| Ok(Some((user(1), "h".into()))));
    m.hasher.expect_verify().return_const(false);
    m.tokens.expect_issue().never();

    assert!(matches!(
        m.service().accounts.log_in("USER1@example.com", "x"),
        Err(ServiceError::InvalidCredentials)
    ));
}

#[test]
fn a_revoked_token_no_longer_authenticates() {
    let mut m = Mocks::default();
    m.tokens
        .expect_verify()
        .returning(|_, _| Ok(claims("revoked")));
    m.sessions
        .expect_is_token_revoked()
        .returning(|jti| Ok(jti == "revoked"));

    assert!(matches!(
        m.service().accounts.authenticate("t"),
        Err(ServiceError::Unauthenticated)
    ));
}

#[test]
fn a_forged_token_is_refused_before_any_lookup() {
    let mut m = Mocks::default();
    m.tokens
        .expect_verify()
        .returning(|_, _| Err(concord_ports::auth::TokenError::Invalid));
    m.sessions.expect_is_token_revoked().never();

    assert!(matches!(
        m.service().accounts.authenticate("forged"),
        Err(ServiceError::Unauthenticated)
    ));
}
