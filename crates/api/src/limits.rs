//! Rate limits: how often one signed-in user may call the API, how often
//! one client address may try to sign in as one account, and how often it
//! may try credentials at all (sign-ins and sign-ups, whatever the email). A
//! caller over a limit gets 429 with `Retry-After`; nothing of the request
//! runs, so no password is hashed for it.
//!
//! Both are token buckets (GCRA, from `governor`): a burst, then a steady
//! refill. They are per node, in memory.
//!
//! [`Slots`] caps what lives at once rather than how often: Socket.IO
//! sessions per client address and sockets per user.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use concord_domain::UserId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::ApiError;

/// The limits' sizes, from `[rate_limit]` in the configuration.
#[derive(Clone, Copy, Debug)]
pub struct LimitsConfig {
    /// Requests a signed-in user may make per second, after the burst;
    /// 0 turns the limit off.
    pub user_per_second: u32,
    pub user_burst: u32,
    /// Sign-in attempts per client address and email, after the burst: one
    /// per interval. A zero interval turns the limit off.
    pub sign_in_burst: u32,
    pub sign_in_interval: Duration,
    /// Sign-ins and sign-ups per client address, whatever the email, after
    /// the burst: one per interval. A zero interval turns the limit off.
    pub address_burst: u32,
    pub address_interval: Duration,
}

/// One keyed bucket set, forgetting keys whose bucket has refilled.
struct Buckets<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU32,
}

/// Keys whose buckets are full again are dropped every this many checks, so
/// the map holds only recent callers.
const PURGE_EVERY: u32 = 4096;

impl<K: Hash + Eq + Clone> Buckets<K> {
    fn new(quota: Option<Quota>) -> Option<Self> {
        quota.map(|quota| Self {
            limiter: DefaultKeyedRateLimiter::dashmap(quota),
            checks: AtomicU32::new(0),
        })
    }

    /// Takes one cell for `key`, or says how long until one is free.
    fn take(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The node's rate limits, shared by every worker.
pub struct Limits {
    users: Option<Buckets<UserId>>,
    sign_ins: Option<Buckets<(IpAddr, String)>>,
    addresses: Option<Buckets<IpAddr>>,
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        let user_quota = NonZeroU32::new(config.user_per_second).map(|rate| {
            Quota::per_second(rate).allow_burst(NonZeroU32::new(config.user_burst).unwrap_or(rate))
        });
        let every = |interval: Duration, burst: u32| {
            Quota::with_period(interval)
                .map(|quota| quota.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)))
        };
        Self {
            users: Buckets::new(user_quota),
            sign_ins: Buckets::new(every(config.sign_in_interval, config.sign_in_burst)),
            addresses: Buckets::new(every(config.address_interval, config.address_burst)),
        }
    }

    /// One sign-up from `client`.
    /// # Errors
    /// 429 when that address has tried credentials too often.
    pub fn sign_up(&self, client: IpAddr) -> Result<(), ApiError> {
        match &self.addresses {
            Some(buckets) => buckets
                .take(&client)
                .map_err(|wait| refused("address", wait)),
            None => Ok(()),
        }
    }

    /// One request by `user`.
    /// # Errors
    /// 429 when the user is over their limit.
    pub fn request(&self, user: UserId) -> Result<(), ApiError> {
        match &self.users {
            Some(buckets) => buckets.take(&user).map_err(|wait| refused("user", wait)),
            None => Ok(()),
        }
    }

    /// One sign-in attempt from `client` as `email` (compared without case).
    /// # Errors
    /// 429 when that address has tried that account, or credentials at
    /// all, too often.
    pub fn sign_in(&self, client: IpAddr, email: &str) -> Result<(), ApiError> {
        self.sign_up(client)?;
        match &self.sign_ins {
            // No address is longer than 254 characters: a longer one is
            // cut there, so a huge body cannot make a huge key.
            Some(buckets) => buckets
                .take(&(
                    client,
                    email
                        .trim()
                        .chars()
                        .take(254)
                        .collect::<String>()
                        .to_lowercase(),
                ))
                .map_err(|wait| refused("sign_in", wait)),
            None => Ok(()),
        }
    }
}

/// A request over the `limit` it ran into, counted.
fn refused(limit: &'static str, wait: Duration) -> ApiError {
    metrics::counter!("concord_rate_limit_rejections_total", "limit" => limit).increment(1);
    ApiError::rate_limited(wait)
}

/// At most `max` live things per key (0: no cap): each holds a [`Slot`],
/// which gives its place back when dropped, however its holder ends.
pub struct Slots<K: Hash + Eq + Clone + Send + 'static> {
    max: usize,
    taken: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Hash + Eq + Clone + Send + 'static> Slots<K> {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            taken: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A slot for `key`, or `None` when `key` holds `max` already.
    pub fn take(&self, key: K) -> Option<Slot> {
        if self.max == 0 {
            return Some(Slot(None));
        }
        {
            let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
            let count = taken.entry(key.clone()).or_insert(0);
            if *count >= self.max {
                return None;
            }
            *count += 1;
        }
        let taken = Arc::clone(&self.taken);
        Some(Slot(Some(Box::new(move || {
            let mut taken = taken.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = taken.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    taken.remove(&key);
                }
            }
        }))))
    }

    /// Slots `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        self.taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

/// One place in [`Slots`], given back on drop.
pub struct Slot(Option<Box<dyn FnOnce() + Send>>);

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slot")
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(give_back) = self.0.take() {
            give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use actix_web::http::StatusCode;

    use super::*;

    fn config(user_burst: u32, sign_in_burst: u32) -> LimitsConfig {
        LimitsConfig {
            user_per_second: 1,
            user_burst,
            sign_in_burst,
            sign_in_interval: Duration::from_secs(60),
            address_burst: 100,
            address_interval: Duration::from_secs(60),
        }
    }

    fn limits(user_burst: u32, sign_in_burst: u32) -> Limits {
        Limits::new(config(user_burst, sign_in_burst))
    }

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const AWAY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_user_gets_the_burst_then_429_with_the_wait() {
        let limits = limits(3, 1);
        for _ in 0..3 {
            assert!(limits.request(UserId::new(1)).is_ok());
        }
        let refused = limits.request(UserId::new(1)).unwrap_err();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.retry_after(), Some(1));
    }

    #[test]
    fn one_users_burst_leaves_others_alone() {
        let limits = limits(1, 1);
        assert!(limits.request(UserId::new(1)).is_ok());
        assert!(limits.request(UserId::new(1)).is_err());
        assert!(limits.request(UserId::new(2)).is_ok());
    }

    #[test]
    fn sign_ins_are_counted_per_address_and_account() {
        let limits = limits(1, 2);
        assert!(limits.sign_in(HOME, "ada@example.com").is_ok());
        assert!(limits.sign_in(HOME, " ADA@example.com").is_ok());
        let refused = limits.sign_in(HOME, "ada@example.com").unwrap_err();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.retry_after().is_some_and(|s| (1..=60).contains(&s)));
        assert!(limits.sign_in(HOME, "bob@example.com").is_ok());
        assert!(limits.sign_in(AWAY, "ada@example.com").is_ok());
    }

    #[test]
    fn overlong_emails_share_the_bucket_of_their_first_254_characters() {
        let limits = limits(1, 1);
        let long = "a".repeat(254);
        assert!(limits.sign_in(HOME, &format!("{long}x")).is_ok());
        assert!(limits.sign_in(HOME, &format!("{long}y")).is_err());
    }

    #[test]
    fn zero_rates_turn_the_limits_off() {
        let limits = Limits::new(LimitsConfig {
            user_per_second: 0,
            user_burst: 0,
            sign_in_burst: 0,
            sign_in_interval: Duration::ZERO,
            address_burst: 0,
            address_interval: Duration::ZERO,
        });
        for _ in 0..100 {
            assert!(limits.request(UserId::new(1)).is_ok());
            assert!(limits.sign_in(HOME, "ada@example.com").is_ok());
            assert!(limits.sign_up(HOME).is_ok());
        }
    }

    #[test]
    fn a_new_email_per_attempt_still_meets_the_address_limit() {
        let limits = Limits::new(LimitsConfig {
            address_burst: 3,
            ..config(1, 10)
        });
        assert!(limits.sign_in(HOME, "a1@example.com").is_ok());
        assert!(limits.sign_up(HOME).is_ok());
        assert!(limits.sign_in(HOME, "a2@example.com").is_ok());
        for refused in [limits.sign_in(HOME, "a3@example.com"), limits.sign_up(HOME)] {
            let refused = refused.unwrap_err();
            assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(refused.retry_after().is_some_and(|s| (1..=60).contains(&s)));
        }
        assert!(limits.sign_in(AWAY, "a3@example.com").is_ok());
        assert!(limits.sign_up(AWAY).is_ok());
    }

    #[test]
    fn slots_cap_each_key_and_come_back_when_dropped() {
        let slots = Slots::new(2);
        let first = slots.take(HOME).unwrap();
        let second = slots.take(HOME).unwrap();
        assert!(slots.take(HOME).is_none(), "a third slot for one key");
        let away = slots.take(AWAY);
        assert!(away.is_some(), "another key has its own slots");
        drop(first);
        assert_eq!(slots.held(&HOME), 1);
        let third = slots.take(HOME);
        assert!(third.is_some(), "a dropped slot is free again");
        drop((second, third, away));
        assert_eq!((slots.held(&HOME), slots.held(&AWAY)), (0, 0));
        assert!(slots.taken.lock().unwrap().is_empty(), "no key is kept");
    }

    #[test]
    fn zero_slots_mean_no_cap() {
        let slots = Slots::new(0);
        let held: Vec<Slot> = (0..100).map(|_| slots.take(HOME).unwrap()).collect();
        assert_eq!(held.len(), 100);
    }
}
