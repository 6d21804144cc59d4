//! Password hashing (bcrypt), bearer tokens (HS256 JWT) and the system clock.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use concord_domain::{Password, UserId};
use concord_ports::{Claims, Clock, IssuedToken, PasswordHasher, TokenError, TokenIssuer};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// bcrypt at a configured cost.
pub struct BcryptHasher {
    cost: u32,
    /// A hash of a random password, checked against when the account is
    /// unknown so that a failed login always costs the same.
    dummy_hash: String,
}

impl BcryptHasher {
    /// # Errors
    /// If `cost` is outside bcrypt's range (4..=31).
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let dummy: String = random_hex(16);
        let dummy_hash = bcrypt::hash(dummy, cost)?;
        Ok(Self { cost, dummy_hash })
    }
}

impl PasswordHasher for BcryptHasher {
    fn hash(&self, password: &Password) -> anyhow::Result<String> {
        Ok(bcrypt::hash(password.expose(), self.cost)?)
    }

    fn verify(&self, password: &str, hash: Option<String>) -> bool {
        match hash {
            Some(hash) => bcrypt::verify(password, &hash).unwrap_or(false),
            None => {
                let _ = bcrypt::verify(password, &self.dummy_hash);
                false
            }
        }
    }
}

/// HS256 tokens with `sub`, `iat`, `exp` and `jti`. Any other algorithm,
/// `alg: none` included, is refused.
pub struct JwtIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

#[derive(Debug, Serialize, Deserialize)]
struct JwtClaims {
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
}

impl JwtIssuer {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }
}

impl TokenIssuer for JwtIssuer {
    fn issue(&self, user: UserId, now: DateTime<Utc>) -> anyhow::Result<IssuedToken> {
        let expires_at = now + chrono::Duration::from_std(self.ttl)?;
        let claims = JwtClaims {
            sub: user.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: random_hex(16),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            claims: Claims {
                user_id: user,
                jti: claims.jti,
                issued_at: timestamp(claims.iat),
                expires_at: timestamp(claims.exp),
            },
        })
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the injected clock, not the system's.
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "iat", "exp", "jti"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let data = decode::<JwtClaims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        if c.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        let user_id = c
            .sub
            .parse()
            .ok()
            .and_then(UserId::parse)
            .ok_or(TokenError::Invalid)?;
        Ok(Claims {
            user_id,
            jti: c.jti,
            issued_at: timestamp(c.iat),
            expires_at: timestamp(c.exp),
        })
    }
}

fn timestamp(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// `bytes` random bytes from the thread's cryptographic RNG, hex-encoded.
fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> JwtIssuer {
        JwtIssuer::new(
            b"test-secret-test-secret-test-secret",
            Duration::from_secs(60),
        )
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() {
        let now = Utc::now();
        let t = issuer().issue(UserId::new(42), now).unwrap();
        let claims = issuer().verify(&t.token, now).unwrap();
        assert_eq!(claims.user_id, UserId::new(42));
        assert_eq!(claims.jti, t.claims.jti);
        let later = now + chrono::Duration::seconds(61);
        assert_eq!(issuer().verify(&t.token, later), Err(TokenError::Expired));
    }

    #[test]
    fn every_token_has_its_own_jti() {
        let now = Utc::now();
        assert_ne!(
            issuer().issue(UserId::new(1), now).unwrap().claims.jti,
            issuer().issue(UserId::new(1), now).unwrap().claims.jti
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let now = Utc::now();
        let other = JwtIssuer::new(b"another-secret-another-secret!!", Duration::from_secs(60));
        let t = other.issue(UserId::new(1), now).unwrap();
        assert_eq!(issuer().verify(&t.token, now), Err(TokenError::Invalid));
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        let now = Utc::now().timestamp();
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
        let body = base64url(&format!(
            r#"{{"sub":"1","iat":{now},"exp":{},"jti":"x"}}"#,
            now + 60
        ));
        let forged = format!("{header}.{body}.");
        assert_eq!(
            issuer().verify(&forged, Utc::now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn garbage_is_refused() {
        for t in ["", "abc", "a.b.c", "Bearer x"] {
            assert_eq!(issuer().verify(t, Utc::now()), Err(TokenError::Invalid));
        }
    }

    #[test]
    fn bcrypt_checks_the_right_password_only() {
        let h = BcryptHasher::new(4).unwrap();
        let hash = h.hash(&Password::parse("correct horse").unwrap()).unwrap();
        assert!(h.verify("correct horse", Some(hash.clone())));
        assert!(!h.verify("wrong horse", Some(hash)));
        assert!(!h.verify("correct horse", None));
        assert!(!h.verify("x", Some("not a bcrypt hash".into())));
    }

    fn base64url(s: &str) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
