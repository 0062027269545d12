//! Opening connections: which backend a URL names, SQLite's process-wide
//! options, and the per-connection settings each backend runs with.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, R2D2Connection};

use super::DbConnection;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme (the derived `establish` would try
    /// each backend in turn and hide the real error, a wrong PostgreSQL
    /// password showing only "invalid connection url").
    pub fn of_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") {
            Ok(Backend::Sqlite)
        } else {
            Err(format!(
                "DATABASE_URL: must start with sqlite:// or postgres://, got '{}'",
                url.split("://").next().unwrap_or(url)
            ))
        }
    }

    /// Name for logs and benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Sets SQLite's process-wide options before it opens its first connection.
///
/// Multi-thread mode: the pool never lets two threads use one connection at
/// once, so SQLite's per-connection mutexes (serialized mode, the bundled
/// default) only cost. Memory statistics off: with them every allocation in
/// SQLite takes one global mutex, which under load was the hottest lock in
/// the process. Both calls fail harmlessly (SQLITE_MISUSE) once SQLite is
/// initialised, e.g. when a second pool opens in the same process.
fn configure_sqlite_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before any connection exists in
        // this process (Once, ahead of the first establish), with the option
        // codes and argument types SQLite documents for them.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD);
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
        }
    });
}

/// Opens connections of the backend the URL names, configured for casedesk.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
    target: String,
}

/// Seconds a PostgreSQL connection attempt may take before it fails with its real error.
const PG_CONNECT_TIMEOUT_SECS: u32 = 5;

impl ConnectionManager {
    /// Checks the URL; for SQLite, creates the database's folder.
    pub fn new(url: &str) -> Result<ConnectionManager, String> {
        let backend = Backend::of_url(url)?;
        let target = match backend {
            Backend::Postgres if url.contains("connect_timeout=") => url.to_owned(),
            Backend::Postgres => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
            }
            Backend::Sqlite => {
                configure_sqlite_library();
                let path = PathBuf::from(&url["sqlite://".len()..]);
                if path.as_os_str().is_empty() {
                    return Err("DATABASE_URL: sqlite:// needs a file path".into());
                }
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    crate::files::private_dir(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                // SQLite gives its log and shared-memory files the database
                // file's mode, so creating that one private keeps all three so.
                crate::files::private_file_if_absent(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                path.to_string_lossy().into_owned()
            }
        };
        Ok(ConnectionManager { backend, target })
    }

    /// The backend this manager connects to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens one connection.
    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target).map(DbConnection::Pg),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // `sql_query` would run only the first PRAGMA of the batch on SQLite.
                // 1 MB of page cache per connection (not SQLite's 2 MB): the
                // operating system caches the file as well, and a pool holds many.
                // No automatic checkpoints: the commit that crosses the
                // threshold would copy the log and wait for two fsyncs while
                // every other writer waits for it; the checkpointer thread
                // of the `Db` does that work beside the writers instead.
                // The busy timeout comes first: connections opened together
                // race to recover the log, and those without a timeout yet
                // failed at once with "database is locked".
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -1024; PRAGMA wal_autocheckpoint = 0; \
                     PRAGMA journal_size_limit = 67108864;",
                )
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
