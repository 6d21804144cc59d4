//! The Postgres adapter: every repository port on one r2d2 pool of diesel
//! connections. All of Concord's SQL lives in this module.
//!
//! Callers are already off the async executor (the api crate runs each use case
//! in a blocking task), so blocking on a pooled connection here is fine. The
//! two exceptions are made for async callers: plain posts go to the group
//! commit's writer thread (`queue_post`), and history pages are read on the
//! caller's runtime by the [`reader`] (`read_history`). Reaction toggles go
//! to a writer thread of their own, which commits them in batches too.

mod channels;
mod conversations;
mod group_commit;
mod messages;
mod outage;
mod reaction_commit;
mod read_state;
mod reader;
mod rows;
pub mod schema;
mod search;
mod users;
mod workspaces;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use concord_ports::{RepoError, StoreHealth};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use outage::Connections;

/// The schema migrations, compiled into the binary and applied at start.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

type PgPool = Pool<ConnectionManager<PgConnection>>;
type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Every repository, on one pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Arc<Connections>,
    group: Arc<group_commit::GroupCommit>,
    reactions: Arc<reaction_commit::ReactionCommit>,
    /// Async history reads; `None` when the URL needs what only libpq does.
    reader: Option<Arc<reader::Reader>>,
}

pub use reader::APPLICATION_NAME as READER_APPLICATION_NAME;

impl PgStore {
    /// Connect to `url` (creating the database if the server lacks it), apply
    /// pending migrations and open a pool of `pool_size` connections.
    /// # Errors
    /// If the server cannot be reached or a migration fails.
    pub fn connect(url: &str, pool_size: u32, connect_timeout: Duration) -> anyhow::Result<Self> {
        migrate(url)?;
        let pool = Connections::open(
            Pool::builder()
                .max_size(pool_size)
                .min_idle(Some(1))
                .connection_timeout(connect_timeout)
                .test_on_check_out(false)
                .connection_customizer(Box::new(SessionSettings)),
            url,
        );
        let group = group_commit::GroupCommit::start(Arc::clone(&pool))
            .context("starting the post writer")?;
        let reactions = reaction_commit::ReactionCommit::start(Arc::clone(&pool))
            .context("starting the reaction writer")?;
        let page_sql = messages::history_page_sql().context("rendering the history query")?;
        let reader = reader::Reader::new(url, connect_timeout, page_sql, Arc::clone(&pool));
        Ok(Self {
            pool,
            group: Arc::new(group),
            reactions: Arc::new(reactions),
            reader: reader.map(Arc::new),
        })
    }

    /// The pool's connections: in use, and idle.
    pub fn pool_state(&self) -> (u32, u32) {
        let (open, idle) = self.pool.state();
        (open.saturating_sub(idle), idle)
    }

    /// A pooled connection; at once `Unavailable` while the database is down.
    fn conn(&self) -> Result<PgConn, RepoError> {
        self.pool.get()
    }
}

/// How long a readiness check waits for a connection: probes give up after
/// a second or two, and must hear a 503 before then.
const READY_TIMEOUT: Duration = Duration::from_millis(800);

/// Run on every connection Concord opens, pooled or the reader's: plan each
/// prepared statement once, and never compile one to machine code.
///
/// Left to itself (`plan_cache_mode = auto`), Postgres compares a statement's
/// generic plan with the plans it makes for the actual parameters, and when
/// the generic one's estimate is worse it plans anew on every execution. The
/// history page always lost that comparison (its room is a one-value range,
/// whose selectivity a generic plan can only guess), so every page was
/// planned again, and the planner led Postgres's profile. Every statement
/// here is written for the plan its indexes give whatever the parameters,
/// so the generic plan is the one wanted.
///
/// JIT compilation starts when a plan's estimated cost passes
/// `jit_above_cost`, and it happens at every execution (compiled code is
/// not kept with a cached plan). A generic plan guesses its parameters, so
/// its estimate can be far above what it reads: the unread summary's
/// statement, whose per-room probes each read a few index pages, was
/// estimated past the threshold once its reader had written many messages
/// elsewhere, and spent hundreds of milliseconds compiling for a few
/// milliseconds of work. No statement of Concord's runs long enough to win
/// back a compilation.
const SESSION_SETTINGS: &str = "SET plan_cache_mode = force_generic_plan; SET jit = off";

/// Applies [`SESSION_SETTINGS`] to every pooled connection.
#[derive(Debug)]
struct SessionSettings;

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::connection::SimpleConnection::batch_execute(conn, SESSION_SETTINGS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl StoreHealth for PgStore {
    fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self.pool.get_within(READY_TIMEOUT)?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(|_| ())
            .map_err(|e| RepoError::Unavailable(e.into()))
    }
}

/// A group-commit writer's loop (`writer` is `posts` or `reactions`):
/// takes every job queued while it was busy, up to `max`, hands them to
/// `write` as one batch, and records the batch's size and how long it took,
/// answers included; until every sender is gone. A batch whose `write`
/// panics fails alone: its callers' replies are dropped with it.
fn run_batches<J>(
    writer: &'static str,
    jobs: &std::sync::mpsc::Receiver<J>,
    max: usize,
    write: impl Fn(Vec<J>),
) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(max - 1));
        let (size, started) = (batch.len(), std::time::Instant::now());
        let written = catch_unwind(AssertUnwindSafe(|| write(batch)));
        metrics::histogram!("concord_group_commit_batch_size", "writer" => writer)
            .record(size as f64);
        metrics::histogram!("concord_group_commit_seconds", "writer" => writer)
            .record(started.elapsed().as_secs_f64());
        if written.is_err() {
            tracing::error!(writer, "a group-commit writer panicked; its batch failed");
        }
    }
}

/// Creates the database named in `url` if needed and applies every pending
/// migration; answers the names of those it applied, oldest first. What
/// `concord migrate` runs; [`PgStore::connect`] does the same on start.
/// # Errors
/// If the database cannot be reached or created, or a migration fails.
pub fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    ensure_database(url)?;
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Whether the Postgres server in `url` answers and lets Concord in, without
/// creating or changing anything. A database that does not exist yet is
/// fine: Concord creates it on start.
/// # Errors
/// Why it cannot connect.
pub fn probe(url: &str) -> anyhow::Result<()> {
    match PgConnection::establish(url) {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("does not exist") => {
            let (server, _) = split_database_url(url).context("the URL names no database")?;
            PgConnection::establish(&format!("{server}/postgres"))
                .map(|_| ())
                .context("connecting to the server's maintenance database")
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the database named in `url` when the server answers but lacks it,
/// so that a fresh machine needs no manual `createdb`.
fn ensure_database(url: &str) -> anyhow::Result<()> {
    match PgConnection::establish(url) {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("does not exist") => {
            let (server, name) =
                split_database_url(url).context("DATABASE_URL names no database")?;
            let mut admin = PgConnection::establish(&format!("{server}/postgres"))
                .context("connecting to the maintenance database to create Concord's")?;
            let quoted = name.replace('"', "\"\"");
            match diesel::sql_query(format!("CREATE DATABASE \"{quoted}\"")).execute(&mut admin) {
                Ok(_) => Ok(()),
                // another node created it first
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
                Err(e) if e.to_string().contains("already exists") => Ok(()),
                Err(e) => Err(e).context("creating the database"),
            }
        }
        Err(e) => Err(e).context("connecting to the database"),
    }
}

/// Splits `postgres://u@h:p/db?x=y` into (`postgres://u@h:p`, `db`); the
/// query string is dropped from the server part.
pub fn split_database_url(url: &str) -> Option<(String, String)> {
    let without_query = url.split('?').next()?;
    let scheme_end = without_query.find("://")? + 3;
    let slash = without_query[scheme_end..].rfind('/')? + scheme_end;
    let name = &without_query[slash + 1..];
    (!name.is_empty()).then(|| (without_query[..slash].to_owned(), name.to_owned()))
}

/// `url` as a `tokio-postgres` configuration, for the connections Concord
/// opens beside libpq's pool (the history reader, the Postgres broker); or
/// why that client cannot connect as the URL asks. It speaks no TLS, and it
/// parses only part of what libpq accepts (`sslrootcert`, `service`,
/// `sslmode=verify-full`, ... are refused).
/// # Errors
/// The reason, fit for a log line.
pub fn plain_config(url: &str) -> Result<tokio_postgres::Config, String> {
    use tokio_postgres::config::SslMode;
    match url.parse::<tokio_postgres::Config>() {
        Ok(config) if config.get_ssl_mode() == SslMode::Require => {
            Err("the database URL requires TLS".to_owned())
        }
        Ok(config) => Ok(config),
        Err(e) => Err(format!(
            "the database URL has options only libpq takes ({e})"
        )),
    }
}

/// Maps a diesel error to the port's terms: unique violations are duplicates,
/// foreign-key violations mean a referenced row is gone, lost connections are
/// an outage; the rest is unexpected and keeps `what` as context for the log.
fn db_err(what: &'static str) -> impl Fn(DieselError) -> RepoError {
    move |e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => RepoError::Duplicate,
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            RepoError::NotFound
        }
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => {
            RepoError::Unavailable(anyhow::Error::new(e).context(what))
        }
        DieselError::DatabaseError(_, ref info) if is_connection_loss(info.message()) => {
            RepoError::Unavailable(anyhow::Error::new(e).context(what))
        }
        e => RepoError::Unexpected(anyhow::Error::new(e).context(what)),
    }
}

/// libpq reports a server that went away mid-session (shutdown, a dropped
/// database, a killed backend: SQLSTATE class 57P) only in words.
fn is_connection_loss(message: &str) -> bool {
    const SIGNS: [&str; 5] = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "connection to server",
        "could not receive data from server",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_going_away_counts_as_an_outage() {
        assert!(is_connection_loss(
            "terminating connection due to administrator command"
        ));
        assert!(is_connection_loss(
            "server closed the connection unexpectedly"
        ));
        assert!(!is_connection_loss(
            "duplicate key value violates unique constraint"
        ));
    }

    #[test]
    fn database_urls_split_into_server_and_name() {
        assert_eq!(
            split_database_url("postgres://postgres@127.0.0.1:5432/concord?sslmode=disable"),
            Some((
                "postgres://postgres@127.0.0.1:5432".into(),
                "concord".into()
            ))
        );
        assert_eq!(split_database_url("postgres://h:1/"), None);
        assert_eq!(split_database_url("nonsense"), None);
    }

    #[test]
    fn side_connections_take_plain_urls_and_say_why_they_refuse_others() {
        assert!(plain_config("postgres://postgres@127.0.0.1:5432/concord?sslmode=disable").is_ok());
        assert!(plain_config("postgresql://u@db.example/concord").is_ok());
        let tls = plain_config("postgres://u@db.example/concord?sslmode=require").unwrap_err();
        assert!(tls.contains("requires TLS"), "{tls}");
        let libpq =
            plain_config("postgres://u@db.example/concord?sslrootcert=/ca.pem").unwrap_err();
        assert!(libpq.contains("only libpq takes"), "{libpq}");
    }
}
