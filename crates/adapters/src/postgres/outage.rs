//! The connection pool, failing fast while the database is down.
//!
//! Without this, every request that needs a connection during an outage
//! waits out the pool's whole timeout (seconds) before its 503. Instead, the
//! first failed connection attempt (r2d2 reports each one to
//! [`OutageSignal`]), a checkout that timed out, or a history reader refused
//! marks the database down; from then on checkouts fail at once, and one
//! probe thread tries the database every [`PROBE_EVERY`] until it answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use concord_ports::RepoError;
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::r2d2::{Builder, ConnectionManager};

use super::{PgConn, PgPool};

/// How often the probe tries a database that is down.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long one probe waits for a connection.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a checkout waits between looks at whether the database fell.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// The pool, and whether the database behind it is known to be down; shared
/// by everything that connects to the database.
pub(crate) struct Connections {
    pool: PgPool,
    down: AtomicBool,
    probing: AtomicBool,
}

impl Connections {
    /// The pool `builder` makes for `url`, its failed connection attempts
    /// reported here. Opens no connection yet.
    pub(crate) fn open(builder: Builder<ConnectionManager<PgConnection>>, url: &str) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            pool: builder
                .error_handler(Box::new(OutageSignal(me.clone())))
                .build_unchecked(ConnectionManager::new(url)),
            down: AtomicBool::new(false),
            probing: AtomicBool::new(false),
        })
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// The database refused a connection: mark it down and start the probe.
    pub(crate) fn fell(self: &Arc<Self>) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("the database is unreachable; requests that need it fail at once");
        }
        self.watch();
    }

    /// The answer for a request that needs the database while it is down.
    pub(crate) fn unavailable() -> RepoError {
        RepoError::Unavailable(anyhow::anyhow!("the database is unreachable"))
    }

    /// A connection within the pool's timeout, or `Unavailable`: at once
    /// while the database is known to be down, else as soon as it is found
    /// to be.
    pub(crate) fn get(self: &Arc<Self>) -> Result<PgConn, RepoError> {
        self.get_within(self.pool.connection_timeout())
    }

    /// [`Self::get`], waiting at most `timeout`.
    pub(crate) fn get_within(self: &Arc<Self>, timeout: Duration) -> Result<PgConn, RepoError> {
        let waiting = metrics::gauge!("concord_db_pool_waiting");
        waiting.increment(1.0);
        let got = self.wait_for_one(timeout);
        waiting.decrement(1.0);
        got
    }

    /// How many connections the pool holds, and how many of them are idle.
    pub(crate) fn state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    fn wait_for_one(self: &Arc<Self>, timeout: Duration) -> Result<PgConn, RepoError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.is_down() {
                // A connection the pool opened since (it keeps trying) is
                // as good as the probe's word.
                return self.pool.try_get().ok_or_else(Self::unavailable);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(WAIT_SLICE.min(left)) {
                Ok(conn) => return Ok(conn),
                Err(e) if Instant::now() >= deadline => {
                    metrics::counter!("concord_db_pool_timeouts_total").increment(1);
                    self.fell();
                    return Err(RepoError::Unavailable(e.into()));
                }
                Err(_) => {}
            }
        }
    }

    /// Starts the one probe that marks the database up again once it
    /// answers. It ends then, or when the store is gone.
    fn watch(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = Arc::downgrade(self);
        let started = thread::Builder::new()
            .name("db-probe".into())
            .spawn(move || probe(&me));
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the database probe");
            self.probing.store(false, Ordering::Release);
        }
    }
}

fn probe(connections: &Weak<Connections>) {
    loop {
        thread::sleep(PROBE_EVERY);
        let Some(connections) = connections.upgrade() else {
            return;
        };
        let answers = connections
            .pool
            .get_timeout(PROBE_TIMEOUT)
            .is_ok_and(|mut conn| diesel::sql_query("SELECT 1").execute(&mut conn).is_ok());
        if answers {
            connections.probing.store(false, Ordering::Release);
            connections.down.store(false, Ordering::Release);
            tracing::info!("the database answers again");
            return;
        }
    }
}

/// Tells [`Connections`] of every connection attempt of the pool's that
/// failed, as it happens rather than when a checkout times out.
struct OutageSignal(Weak<Connections>);

impl std::fmt::Debug for OutageSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutageSignal")
    }
}

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for OutageSignal {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::debug!(%error, "a database connection attempt failed");
        if let Some(connections) = self.0.upgrade() {
            connections.fell();
        }
    }
}
