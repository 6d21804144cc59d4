//! A database per test, copied from a migrated template.
//!
//! Running the migrations for every test costs more than the test itself, so
//! each run migrates one template database, `concord_template_<hash>`, and
//! every test database is a `CREATE DATABASE ... TEMPLATE` copy of it. The
//! hash covers every file under `migrations/`: a changed or added migration
//! gets a template of its own, and an old template is never reused by
//! mistake. Templates stay on the server between runs (the next run with the
//! same migrations starts at once); drop old ones by hand when they pile up.
//!
//! Test threads share the template through a `OnceLock`, and test processes
//! (several test binaries, or several checkouts on one server) through a
//! Postgres advisory lock held while one of them checks for the template and,
//! if it is missing, builds it. The build happens under a temporary name that
//! is renamed only once every migration has run, so a run killed mid-build
//! leaves no half-migrated template behind for the next one to copy.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, pg::PgConnection};
use diesel_migrations::MigrationHarness;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The key of the advisory lock (on the maintenance database) that
/// serialises building templates across processes: "concord" in ASCII.
const TEMPLATE_LOCK: i64 = 0x0063_6f6e_636f_7264;

/// The server tests create their databases on: `DATABASE_URL`'s server (as
/// `make test` exports it), else the conventional local one.
pub(crate) fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    concord_adapters::postgres::split_database_url(&url)
        .map(|(server, _)| server)
        .unwrap_or(url)
}

/// A connection to `server`'s maintenance database.
fn admin(server: &str) -> PgConnection {
    PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("cannot reach Postgres at {server} (set DATABASE_URL): {e}"))
}

/// A database created for one test and dropped (forcefully) when it ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub(crate) server: String,
}

impl TestDb {
    /// A copy of the migrated template: the schema is in place, no rows.
    pub fn new() -> Self {
        let server = server_url();
        let template = template(&server);
        Self::create(server, &format!("TEMPLATE {template}"))
    }

    /// An empty database, not even migrated: for tests of the migrations
    /// themselves.
    pub fn empty() -> Self {
        Self::create(server_url(), "")
    }

    fn create(server: String, options: &str) -> Self {
        let suffix: String = rand::rng()
            .sample_iter(&rand::distr::Alphanumeric)
            .take(12)
            .map(char::from)
            .collect();
        let name = format!("concord_test_{}", suffix.to_lowercase());
        diesel::sql_query(format!("CREATE DATABASE {name} {options}"))
            .execute(&mut admin(&server))
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        Self {
            url: format!("{server}/{name}"),
            name,
            server,
        }
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", self.server)) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// The name of the migrated template on `server`, built on first use.
fn template(server: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("concord_template_{}", migrations_hash());
        ensure_template(server, &name);
        name
    })
}

/// The first 16 hex digits of the SHA-256 over every migration file's path
/// and contents, in path order.
fn migrations_hash() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    assert!(!files.is_empty(), "no migrations under {}", root.display());
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("a file under the root");
        let contents = std::fs::read(file)
            .unwrap_or_else(|e| panic!("read migration {}: {e}", file.display()));
        for part in [relative.to_string_lossy().as_bytes(), &contents] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    found: i64,
}

fn database_exists(admin: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query("SELECT count(*) AS found FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .get_result::<Found>(admin)
        .expect("look up a database")
        .found
        > 0
}

/// Makes sure the migrated template `name` exists on `server`, building it
/// if no process has yet.
fn ensure_template(server: &str, name: &str) {
    let mut admin = admin(server);
    // Session-level: released below, or by the server if this process dies.
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .execute(&mut admin)
        .expect("take the template lock");
    if !database_exists(&mut admin, name) {
        let building = format!("{name}_building");
        // Left by a run that died mid-build; nobody else can be using it
        // while this process holds the lock.
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut admin)
            .expect("drop a half-built template");
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut admin)
            .expect("create the template");
        {
            let mut conn = PgConnection::establish(&format!("{server}/{building}"))
                .expect("connect to the template");
            conn.run_pending_migrations(concord_adapters::postgres::MIGRATIONS)
                .unwrap_or_else(|e| panic!("migrate the template: {e}"));
        }
        // Waits (up to Postgres's five seconds) for the connection above to
        // be gone on the server's side too.
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut admin)
            .expect("publish the template");
    }
    diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .execute(&mut admin)
        .expect("release the template lock");
}
