//! History pages read on the caller's own async runtime.
//!
//! A page read through the pool costs two thread hand-offs (to a blocking
//! thread and back) and a blocking thread asleep in libpq while Postgres
//! works; perf put half of Concord's CPU during a history run in those
//! threads. The reader instead keeps one `tokio-postgres` connection per
//! thread that reads pages, opened on first use and driven by that thread's
//! runtime, so a page is one message to Postgres and one answer from it.
//! Pages read concurrently on one thread share its connection, pipelined.
//!
//! The SQL is the one diesel renders of [`history_page!`], so both paths
//! run the same statement.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use concord_domain::Message;
use concord_ports::RepoError;
use thread_local::ThreadLocal;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::SESSION_SETTINGS;
use super::outage::Connections;
use super::rows::MessageRow;

/// `application_name` of the reader's connections, to tell them apart in
/// `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "concord-reader";

pub(crate) struct Reader {
    config: Config,
    connect_timeout: Duration,
    sql: String,
    /// Told when the database refuses a connection.
    pool: Arc<Connections>,
    /// Each thread's connection, once it has read a page.
    links: ThreadLocal<RefCell<Option<Arc<Link>>>>,
}

/// One open connection and the page statement prepared on it.
struct Link {
    client: Client,
    page: Statement,
}

impl Reader {
    /// A reader for the database at `url`, or `None` when this client cannot
    /// connect as the URL asks: when it requires TLS, which this client does
    /// not speak, or names an option only libpq knows (`sslrootcert`,
    /// `sslmode=verify-full`, ...). Pages are then read on the pool.
    pub fn new(
        url: &str,
        connect_timeout: Duration,
        sql: String,
        pool: Arc<Connections>,
    ) -> Option<Self> {
        let mut config = match super::plain_config(url) {
            Ok(config) => config,
            Err(why) => {
                tracing::info!("history pages are read on the pool: {why}");
                return None;
            }
        };
        config.application_name(APPLICATION_NAME);
        Some(Self {
            config,
            connect_timeout,
            sql,
            pool,
            links: ThreadLocal::new(),
        })
    }

    /// Up to `rows` messages of the room `room_id` older than `before`,
    /// newest first. A connection the server dropped is replaced once.
    pub async fn page(
        &self,
        room_id: i64,
        before: i64,
        rows: i64,
    ) -> Result<Vec<Message>, RepoError> {
        let mut retried = false;
        loop {
            let link = self.link().await?;
            match link
                .client
                .query(&link.page, &[&room_id, &room_id, &before, &rows])
                .await
            {
                Ok(found) => return found.iter().map(to_message).collect(),
                Err(e) if lost(&e) && !retried => {
                    self.forget(&link);
                    retried = true;
                }
                Err(e) => return Err(read_err(e)),
            }
        }
    }

    /// This thread's connection, opened when it has none or its last one
    /// closed.
    async fn link(&self) -> Result<Arc<Link>, RepoError> {
        let open = self
            .slot()
            .borrow()
            .as_ref()
            .filter(|link| !link.client.is_closed())
            .cloned();
        if let Some(link) = open {
            return Ok(link);
        }
        let link = Arc::new(self.connect().await?);
        // Polled from another thread now, perhaps: that thread keeps it.
        *self.slot().borrow_mut() = Some(Arc::clone(&link));
        Ok(link)
    }

    fn forget(&self, link: &Arc<Link>) {
        let mut slot = self.slot().borrow_mut();
        if slot.as_ref().is_some_and(|mine| Arc::ptr_eq(mine, link)) {
            *slot = None;
        }
    }

    fn slot(&self) -> &RefCell<Option<Arc<Link>>> {
        self.links.get_or(|| RefCell::new(None))
    }

    /// A new connection; at once `Unavailable` while the database is
    /// known to be down, and a refused one tells the pool.
    async fn connect(&self) -> Result<Link, RepoError> {
        if self.pool.is_down() {
            return Err(Connections::unavailable());
        }
        let connected = tokio::time::timeout(self.connect_timeout, self.config.connect(NoTls))
            .await
            .map_err(|_| {
                RepoError::Unavailable(anyhow::anyhow!("connecting the history reader timed out"))
            })
            // Refused, whatever the server's reason (it is shutting down, the
            // database is gone, ...): an outage, never a fault of the request.
            .and_then(|connected| {
                connected.map_err(|e| {
                    RepoError::Unavailable(
                        anyhow::Error::new(e).context("connecting the history reader"),
                    )
                })
            });
        let (client, connection) = connected.inspect_err(|_| self.pool.fell())?;
        // Drives the socket; ends when the client is dropped or the server
        // goes away (the next page then opens a new connection).
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "history reader connection ended");
            }
        });
        client
            .batch_execute(SESSION_SETTINGS)
            .await
            .map_err(read_err)?;
        let page = client
            .prepare_typed(&self.sql, &[Type::INT8, Type::INT8, Type::INT8, Type::INT8])
            .await
            .map_err(read_err)?;
        Ok(Link { client, page })
    }
}

fn to_message(row: &tokio_postgres::Row) -> Result<Message, RepoError> {
    let message = MessageRow {
        id: row.try_get("id").map_err(decode_err)?,
        channel_id: row.try_get("channel_id").map_err(decode_err)?,
        conversation_id: row.try_get("conversation_id").map_err(decode_err)?,
        author_id: row.try_get("author_id").map_err(decode_err)?,
        parent_id: row.try_get("parent_id").map_err(decode_err)?,
        content: row.try_get("content").map_err(decode_err)?,
        attachment_id: row.try_get("attachment_id").map_err(decode_err)?,
        created_at: row.try_get("created_at").map_err(decode_err)?,
        edited_at: row.try_get("edited_at").map_err(decode_err)?,
        deleted_at: row.try_get("deleted_at").map_err(decode_err)?,
        reactions: row.try_get("reactions").map_err(decode_err)?,
        pinned_at: row.try_get("pinned_at").map_err(decode_err)?,
        mentions: row.try_get("mentions").map_err(decode_err)?,
    };
    message.into_domain(row.try_get("url").map_err(decode_err)?)
}

fn decode_err(e: tokio_postgres::Error) -> RepoError {
    RepoError::Unexpected(anyhow::Error::new(e).context("reading a history row"))
}

/// Whether `e` means the connection is gone: closed under us, or ended by
/// the server (SQLSTATE class 57P: shutdown, a terminated backend), which
/// may come back as the answer to the query in flight.
fn lost(e: &tokio_postgres::Error) -> bool {
    e.is_closed() || e.code().is_some_and(|code| code.code().starts_with("57P"))
}

/// A lost or refused connection is an outage; anything else is unexpected.
fn read_err(e: tokio_postgres::Error) -> RepoError {
    if lost(&e) || e.as_db_error().is_none() {
        RepoError::Unavailable(anyhow::Error::new(e).context("history reader"))
    } else {
        RepoError::Unexpected(anyhow::Error::new(e).context("history reader"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(url: &str) -> Option<Reader> {
        Reader::new(
            url,
            Duration::from_secs(1),
            "SELECT 1".to_owned(),
            // opens no connection
            Connections::open(
                diesel::r2d2::Pool::builder().min_idle(Some(0)),
                "postgres://u@127.0.0.1:1/none",
            ),
        )
    }

    #[test]
    fn urls_this_client_cannot_honour_leave_history_on_the_pool() {
        assert!(reader("postgres://u@db.example:5432/concord").is_some());
        assert!(reader("postgresql://u@127.0.0.1/concord?sslmode=disable").is_some());
        assert!(reader("postgres://u@db.example/concord?sslmode=require").is_none());
        assert!(reader("postgres://u@db.example/concord?sslmode=verify-full").is_none());
        assert!(reader("postgres://u@db.example/concord?sslrootcert=/etc/ca.pem").is_none());
    }
}
