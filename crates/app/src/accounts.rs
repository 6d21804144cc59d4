//! Sign-up, login, logout and token checks.

use concord_domain::{NewUser, User, UserId};

use concord_ports::{AccessChange, Claims, IssuedToken, RepoError, UserInsert};

use crate::{Accounts, Clash, ServiceError};

impl Accounts {
    /// Register a user and log them in.
    /// # Errors
    /// `Conflict(UserExists)` if the email or username is taken.
    pub fn sign_up(&self, new: NewUser) -> Result<(User, IssuedToken), ServiceError> {
        let password_hash = self
            .ports
            .hasher
            .hash(&new.password)
            .map_err(ServiceError::Unexpected)?;
        let insert = UserInsert {
            username: new.username.as_str().to_owned(),
            email: new.email.as_str().to_owned(),
            password_hash,
            first_name: new.first_name.as_str().to_owned(),
            last_name: new.last_name.as_str().to_owned(),
            image_url: new.image_url,
        };
        let user = self.ports.users.insert_user(&insert).map_err(|e| match e {
            RepoError::Duplicate => ServiceError::Conflict(Clash::UserExists),
            e => e.into(),
        })?;
        let token = self.issue(user.id)?;
        Ok((user, token))
    }

    /// Check `email` and `password` and issue a token.
    /// # Errors
    /// `InvalidCredentials` for an unknown email or a wrong password, alike.
    pub fn log_in(&self, email: &str, password: &str) -> Result<(User, IssuedToken), ServiceError> {
        let email = email.trim().to_lowercase();
        let found = self.ports.users.credentials_by_email(&email)?;
        let hash = found.as_ref().map(|(_, hash)| hash.clone());
        // Always verify, even for an unknown email, so timing does not tell
        // an attacker which addresses are registered.
        let matches = self.ports.hasher.verify(password, hash);
        match found {
            Some((user, _)) if matches => {
                let token = self.issue(user.id)?;
                Ok((user, token))
            }
            _ => Err(ServiceError::InvalidCredentials),
        }
    }

    /// The claims of a valid, unrevoked token.
    /// # Errors
    /// `Unauthenticated` for a bad, expired or revoked token.
    pub fn authenticate(&self, token: &str) -> Result<Claims, ServiceError> {
        // Verifying checks the expiry; what is left is revocation.
        let claims = self.verify_token(token)?;
        if self.unrevoked(&claims)? {
            Ok(claims)
        } else {
            Err(ServiceError::Unauthenticated)
        }
    }

    /// Whether the token behind `claims`, once authenticated, still stands:
    /// not expired and not revoked. A long-lived connection asks again when
    /// its user's access changes (a logout among them).
    /// # Errors
    /// When the store cannot be read.
    pub fn still_signed_in(&self, claims: &Claims) -> Result<bool, ServiceError> {
        Ok(claims.expires_at > self.ports.clock.now() && self.unrevoked(claims)?)
    }

    /// Whether the token behind `claims` has not been revoked: from the
    /// memo when it vouches, else from the store (and then remembered).
    fn unrevoked(&self, claims: &Claims) -> Result<bool, ServiceError> {
        if self.memo.token_unrevoked(&claims.jti, claims.user_id) {
            return Ok(true);
        }
        let since = self.memo.generation();
        if self.ports.sessions.is_token_revoked(&claims.jti)? {
            return Ok(false);
        }
        self.memo.remember_token(since, &claims.jti, claims.user_id);
        Ok(true)
    }

    /// [`Accounts::authenticate`] when it can answer without the store:
    /// for a token that does not verify, or one recently found unrevoked.
    /// `None` means the store must be asked.
    pub fn authenticate_from_memory(&self, token: &str) -> Option<Result<Claims, ServiceError>> {
        match self.verify_token(token) {
            Ok(claims) if self.memo.token_unrevoked(&claims.jti, claims.user_id) => {
                Some(Ok(claims))
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Revoke the token behind `claims`; later use of it is refused, on
    /// every node.
    pub fn log_out(&self, claims: &Claims) -> Result<(), ServiceError> {
        self.ports
            .sessions
            .revoke_token(&claims.jti, claims.expires_at)?;
        self.announce(AccessChange::User(claims.user_id));
        Ok(())
    }

    fn verify_token(&self, token: &str) -> Result<Claims, ServiceError> {
        self.ports
            .tokens
            .verify(token, self.ports.clock.now())
            .map_err(|_| ServiceError::Unauthenticated)
    }

    /// The user with `id`.
    /// # Errors
    /// `NotFound(User)`.
    pub fn get_user(&self, id: UserId) -> Result<User, ServiceError> {
        self.user(id)
    }

    fn issue(&self, user: UserId) -> Result<IssuedToken, ServiceError> {
        self.ports
            .tokens
            .issue(user, self.ports.clock.now())
            .map_err(ServiceError::Unexpected)
    }
}
