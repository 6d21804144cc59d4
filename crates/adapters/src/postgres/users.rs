//! Users and revoked tokens.

use chrono::{DateTime, Utc};
use concord_domain::{User, UserId};
use concord_ports::{RepoError, SessionRepository, UserInsert, UserRepository};
use diesel::prelude::*;

use super::rows::{NewUserRow, UserRow};
use super::schema::{revoked_tokens, users};
use super::{PgStore, db_err};

impl UserRepository for PgStore {
    fn insert_user(&self, u: &UserInsert) -> Result<User, RepoError> {
        let mut conn = self.conn()?;
        let row = diesel::insert_into(users::table)
            .values(NewUserRow {
                username: &u.username,
                email: &u.email,
                password_hash: &u.password_hash,
                first_name: &u.first_name,
                last_name: &u.last_name,
                image_url: u.image_url.as_deref(),
            })
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .map_err(db_err("insert user"))?;
        Ok(row.into())
    }

    fn user_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let mut conn = self.conn()?;
        let row = users::table
            .find(id.get())
            .select(UserRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(db_err("user by id"))?;
        Ok(row.map(User::from))
    }

    fn credentials_by_email(&self, email: &str) -> Result<Option<(User, String)>, RepoError> {
        let mut conn = self.conn()?;
        let row = users::table
            .filter(users::email.eq(email))
            .select((UserRow::as_select(), users::password_hash))
            .first::<(UserRow, String)>(&mut conn)
            .optional()
            .map_err(db_err("credentials by email"))?;
        Ok(row.map(|(u, hash)| (u.into(), hash)))
    }

    fn user_ids_named(&self, lowercase_names: &[String]) -> Result<Vec<UserId>, RepoError> {
        if lowercase_names.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        // On the unique index of lower(username).
        let ids: Vec<i64> = users::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Text>("lower(username)")
                    .eq_any(lowercase_names),
            )
            .select(users::id)
            .load(&mut conn)
            .map_err(db_err("users by name"))?;
        Ok(ids.into_iter().map(UserId::new).collect())
    }
}

impl SessionRepository for PgStore {
    fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        conn.transaction(|c| {
            // Housekeeping rides along with each logout: revocations of tokens
            // that have expired anyway are no longer needed (indexed on expires_at).
            diesel::delete(
                revoked_tokens::table.filter(revoked_tokens::expires_at.lt(diesel::dsl::now)),
            )
            .execute(c)?;
            diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(expires_at),
                ))
                .on_conflict_do_nothing()
                .execute(c)
        })
        .map_err(db_err("revoke token"))?;
        Ok(())
    }

    fn is_token_revoked(&self, jti: &str) -> Result<bool, RepoError> {
        let mut conn = self.conn()?;
        diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti)))
            .get_result(&mut conn)
            .map_err(db_err("token revoked"))
    }
}
