//! Password hashing (bcrypt), bearer tokens (HS256 JWT) and the system clock.

use std::borrow::Cow;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use concord_domain::{Password, UserId};
use concord_ports::{Claims, Clock, IssuedToken, PasswordHasher, TokenError, TokenIssuer};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// bcrypt at a configured cost, at most a few hashes at a time.
pub struct BcryptHasher {
    cost: u32,
    /// A hash of a random password, checked against when the account is
    /// unknown so that a failed login always costs the same.
    dummy_hash: String,
    gate: Gate,
}

impl BcryptHasher {
    /// A hasher running at most `concurrency` hashes at once (at least one):
    /// a flood of sign-ins, from however many addresses, queues for those
    /// and leaves the other cores to every other request.
    /// # Errors
    /// If `cost` is outside bcrypt's range (4..=31).
    pub fn new(cost: u32, concurrency: usize) -> anyhow::Result<Self> {
        let dummy: String = random_hex(16);
        let dummy_hash = bcrypt::hash(dummy, cost)?;
        Ok(Self {
            cost,
            dummy_hash,
            gate: Gate::new(concurrency),
        })
    }
}

/// What bcrypt is given for `password`. bcrypt reads at most 72 bytes, and a
/// password of 72 characters may be up to 288: a longer one is first reduced
/// to the hex of its SHA-256 (64 bytes), so that no part of it is ignored.
/// Passwords of at most 72 bytes go in as they are, as they always have, so
/// existing hashes still verify.
fn bcrypt_input(password: &str) -> Cow<'_, str> {
    if password.len() <= 72 {
        return Cow::Borrowed(password);
    }
    Cow::Owned(sha256_hex(password))
}

/// The SHA-256 of `text`, as 64 lower-case hex digits.
pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PasswordHasher for BcryptHasher {
    fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let input = bcrypt_input(password.expose());
        Ok(self.gate.run(|| bcrypt::hash(&*input, self.cost))?)
    }

    fn verify(&self, password: &str, hash: Option<String>) -> bool {
        let password = bcrypt_input(password);
        self.gate.run(|| match hash {
            Some(hash) => bcrypt::verify(&*password, &hash).unwrap_or(false),
            None => {
                let _ = bcrypt::verify(&*password, &self.dummy_hash);
                false
            }
        })
    }
}

/// A counting semaphore for blocking threads: at most `permits` closures
/// run at once, the others wait their turn.
struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Gate {
    fn new(permits: usize) -> Self {
        Self {
            free: Mutex::new(permits.max(1)),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
            let mut free = self
                .freed
                .wait_while(free, |free| *free == 0)
                .unwrap_or_else(PoisonError::into_inner);
            *free -= 1;
        }
        // Given back however `f` ends, a panic included.
        struct Permit<'a>(&'a Gate);
        impl Drop for Permit<'_> {
            fn drop(&mut self) {
                *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                self.0.freed.notify_one();
            }
        }
        let _permit = Permit(self);
        f()
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
    fn the_gate_runs_at_most_its_permits_at_once_and_everyone_in_the_end() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let gate = Arc::new(Gate::new(2));
        let (inside, most, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (gate, inside, most, done) = (
                    Arc::clone(&gate),
                    Arc::clone(&inside),
                    Arc::clone(&most),
                    Arc::clone(&done),
                );
                std::thread::spawn(move || {
                    gate.run(|| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(5));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    });
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(done.load(Ordering::SeqCst), 12);
    }

    #[test]
    fn a_panic_inside_the_gate_gives_its_permit_back() {
        let gate = Gate::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gate.run(|| panic!("boom"));
        }));
        assert!(caught.is_err());
        assert_eq!(gate.run(|| 7), 7);
    }

    #[test]
    fn bcrypt_checks_the_right_password_only() {
        let h = BcryptHasher::new(4, 1).unwrap();
        let hash = h.hash(&Password::parse("correct horse").unwrap()).unwrap();
        assert!(h.verify("correct horse", Some(hash.clone())));
        assert!(!h.verify("wrong horse", Some(hash)));
        assert!(!h.verify("correct horse", None));
        assert!(!h.verify("x", Some("not a bcrypt hash".into())));
    }

    #[test]
    fn every_character_of_a_long_password_counts() {
        let h = BcryptHasher::new(4, 1).unwrap();
        // 72 characters, 144 bytes: bcrypt alone would read only the first half
        let long = "é".repeat(72);
        let hash = h.hash(&Password::parse(&long).unwrap()).unwrap();
        assert!(h.verify(&long, Some(hash.clone())));
        let last_changed = format!("{}e", "é".repeat(71));
        assert!(!h.verify(&last_changed, Some(hash)));
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
