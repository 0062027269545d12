//! Storage: one connection type for SQLite and PostgreSQL, a pool, embedded
//! migrations, and plain query functions over a connection (one module per
//! table). Query functions return diesel's `QueryResult`.
//!
//! diesel is blocking, so [`Db::read`] and [`Db::write`] run their closure on
//! actix's blocking thread pool with a pooled connection; nothing here runs on
//! the async executor.

pub mod cache;
pub mod calendar;
pub mod cases;
pub mod channels;
pub mod departments;
pub mod events;
pub mod idempotency;
pub mod letters;
pub mod locks;
pub mod login_failures;
pub mod models;
pub mod outbox;
pub mod public_requests;
pub mod rollups;
pub mod schema;
pub mod scratch;
pub mod transfer;
pub mod types;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use parking_lot::FairMutex;

use crate::error::AppError;

/// Migrations of each backend; the two folders hold the same migration names.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// See [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, for production and several instances.
    Pg(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// Runs the same query code on the concrete connection inside a
/// [`DbConnection`]. Queries through the multi-backend connection are built
/// and prepared anew every time; on the concrete connection diesel's
/// prepared-statement cache applies. For the hottest queries only.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Brings the planner's statistics up to date after a bulk load (and on
/// PostgreSQL the visibility map, which index-only scans rely on), as
/// autovacuum would have long before a database held that much.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => c.batch_execute("VACUUM (ANALYZE)"),
        DbConnection::Sqlite(c) => c.batch_execute("ANALYZE"),
    }
}

/// Brings the planner's statistics up to date, as autovacuum's analyses do
/// for tables that grow; unlike [`refresh_statistics`], it may run inside a
/// transaction.
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => c.batch_execute("ANALYZE"),
        DbConnection::Sqlite(c) => c.batch_execute("ANALYZE"),
    }
}

/// Whether a statement failed on a unique index: the row it would write
/// exists already (perhaps written by a concurrent transaction).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Numbered placeholders (`$1` on PostgreSQL, `?1` on SQLite), so that a
/// parameter used several times in a statement is bound once.
pub(crate) fn placeholders(conn: &DbConnection, from: usize, count: usize) -> Vec<String> {
    let sigil = match conn {
        DbConnection::Pg(_) => '$',
        DbConnection::Sqlite(_) => '?',
    };
    (from..from + count).map(|i| format!("{sigil}{i}")).collect()
}

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

/// How often the checkpointer copies SQLite's write-ahead log into the database.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Pages the write-ahead log may hold (4 KiB each) before the checkpointer
/// has it start over from the beginning. Measured with `casedesk bench`:
/// larger logs made each start-over longer for the writers waiting on it
/// (intake p99 96 ms at 8,192 pages, 53 at 2,048, 36–42 at 256).
const RESTART_AFTER_FRAMES: i32 = 256;

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, QueryableByName)]
struct WalCheckpoint {
    /// Pages in the log.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// Copies committed pages from SQLite's write-ahead log into the database
/// file every [`CHECKPOINT_INTERVAL`], on a connection of its own, until
/// `alive` can no longer be upgraded.
///
/// The copying and its two fsyncs happen in passive checkpoints, beside the
/// writers. But under a steady stream of writers the log never starts over
/// by itself (each writer finds pages the last checkpoint has not copied
/// yet), and it grew by a gigabyte in ten seconds of intake; so once it holds
/// more than [`RESTART_AFTER_FRAMES`], the checkpointer takes a writer turn
/// for a last, short round that starts the log over.
fn spawn_checkpointer(manager: ConnectionManager, writer: Arc<FairMutex<()>>, alive: std::sync::Weak<()>) {
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        // Connecting can meet a locked database while the pool's first
        // connections open the log; a checkpointer that gave up then would
        // leave the log to grow without end, so it keeps trying.
        let mut conn = loop {
            if alive.upgrade().is_none() {
                return;
            }
            match manager.establish() {
                Ok(DbConnection::Sqlite(conn)) => break conn,
                Ok(DbConnection::Pg(_)) => return,
                Err(error) => {
                    tracing::warn!(%error, "the SQLite checkpointer cannot connect yet; retrying");
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                }
            }
        };
        // The checkpoint in a writer turn waits this long at most for
        // readers still on the log (every writer waits with it); a reader
        // that takes longer puts the start-over off to the next round.
        if let Err(error) = conn.batch_execute("PRAGMA busy_timeout = 100") {
            tracing::warn!(%error, "cannot shorten the SQLite checkpointer's busy timeout");
        }
        let mut checkpoint = |mode: &str| {
            diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})"))
                .get_result::<WalCheckpoint>(&mut conn)
                .inspect_err(|error| tracing::warn!(%error, mode, "SQLite checkpoint failed; retrying"))
                .ok()
        };
        while alive.upgrade().is_some() {
            std::thread::sleep(CHECKPOINT_INTERVAL);
            if checkpoint("PASSIVE").is_some_and(|c| c.log > RESTART_AFTER_FRAMES) {
                // A second round copies what was committed during the first;
                // a third, in a writer turn, copies the little left and starts
                // the log over itself (RESTART), instead of relying on the next
                // writer to find the log wholly copied and no reader on it.
                checkpoint("PASSIVE");
                let _turn = writer.lock();
                checkpoint("RESTART");
            }
        }
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the SQLite checkpointer; the write-ahead log will grow");
    }
}

/// A pool of [`DbConnection`]s.
pub type Pool = r2d2::Pool<ConnectionManager>;

/// Applies pending migrations; returns the names of those applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(names),
        // Several instances may start at once against one PostgreSQL database.
        DbConnection::Pg(c) => locks::with_session_lock(c, locks::MIGRATIONS, |c| {
            c.run_pending_migrations(POSTGRES_MIGRATIONS).map(names)
        })
        .map_err(|e| e.to_string())?,
    };
    applied.map_err(|e| format!("migration failed: {e}"))
}

/// Reverts every applied migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(names),
        DbConnection::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(names),
    };
    reverted.map_err(|e| format!("revert failed: {e}"))
}

fn names(versions: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    versions.into_iter().map(|v| v.to_string()).collect()
}

/// The database as the service uses it: a pool, plus on SQLite a process-wide
/// writer lock. SQLite allows one writer at a time anyway; taking turns in the
/// process instead of in the database means a transaction that reads before it
/// writes can never fail with `SQLITE_BUSY` on upgrading its snapshot, and no
/// thread spins in the busy handler. The turns are first come, first served
/// (a fair mutex): an unfair lock let some writers wait half a second under load.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    sqlite_writer: Arc<FairMutex<()>>,
    /// Held, never read: on SQLite the checkpointer thread runs while any
    /// clone of this `Db` lives.
    _checkpointer_alive: Option<Arc<()>>,
    calendar: Arc<cache::Cached<crate::domain::calendar::Calendar>>,
    channels: Arc<cache::Cached<Vec<models::Channel>>>,
    /// Until when to answer "unavailable" at once: set when a connection
    /// could not be had within the pool's wait.
    unreachable_until: Arc<parking_lot::Mutex<Option<Instant>>>,
}

/// How long a request may wait for a database connection, counted from when
/// it asked — its wait for a blocking thread included.
pub const CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// After a connection could not be had in [`CONNECTION_WAIT`], requests are
/// answered "unavailable" at once for this long, instead of each waiting
/// the whole time again: during an outage every blocking thread would
/// otherwise be held by a waiting request, and the requests queued behind
/// them would wait twice.
const UNREACHABLE_PAUSE: Duration = Duration::from_secs(1);

impl Db {
    /// Connects (failing within a few seconds with the real error if the
    /// database cannot be reached) and applies pending migrations.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, String> {
        Db::open(url, pool_size).map(|(db, _)| db)
    }

    /// [`Db::connect`], also returning the names of the migrations it applied.
    pub fn open(url: &str, pool_size: u32) -> Result<(Db, Vec<String>), String> {
        let manager = ConnectionManager::new(url)?;
        let backend = manager.backend();
        let mut first = manager
            .establish()
            .map_err(|e| format!("cannot connect to the {} database: {e}", backend.name()))?;
        let applied = run_migrations(&mut first)?;
        drop(first);
        let sqlite_writer = Arc::new(FairMutex::new(()));
        let checkpointer_alive = match backend {
            Backend::Sqlite => {
                let alive = Arc::new(());
                spawn_checkpointer(manager.clone(), sqlite_writer.clone(), Arc::downgrade(&alive));
                Some(alive)
            }
            Backend::Postgres => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(CONNECTION_WAIT)
            // A PostgreSQL connection can die while it waits in the pool (a
            // server restart, a proxy or firewall dropping it): each checkout
            // pings it (one round trip) and replaces a dead one, rather than
            // failing the request that draws it. A SQLite connection is a
            // file handle and does not die so; `has_broken` drops one whose
            // transaction state an error left unknown.
            .test_on_check_out(backend == Backend::Postgres)
            .build(manager)
            .map_err(|e| format!("cannot open the connection pool: {e}"))?;
        let db = Db {
            pool,
            backend,
            sqlite_writer,
            _checkpointer_alive: checkpointer_alive,
            calendar: Arc::default(),
            channels: Arc::default(),
            unreachable_until: Arc::default(),
        };
        Ok((db, applied))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The working-day calendar, cached (see [`cache`]).
    pub fn calendar(&self, conn: &mut DbConnection) -> QueryResult<Arc<crate::domain::calendar::Calendar>> {
        self.calendar.get(conn, calendar::load)
    }

    /// The channels, cached (see [`cache`]).
    pub fn channels(&self, conn: &mut DbConnection) -> QueryResult<Arc<Vec<models::Channel>>> {
        self.channels.get(conn, channels::list)
    }

    /// Drops the cached calendar and channels after an admin changed them.
    pub fn forget_cached(&self) {
        self.calendar.invalidate();
        self.channels.invalidate();
    }

    /// The pool, for pool metrics and command-line tools.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A pooled connection for a request that asked at `asked`: waits at
    /// most what is left of [`CONNECTION_WAIT`], and not at all just after
    /// the database could not be reached.
    fn connection(&self, asked: Instant) -> Result<r2d2::PooledConnection<ConnectionManager>, AppError> {
        let unavailable = || AppError::Unavailable("no database connection could be had in time".into());
        if self.unreachable_until.lock().is_some_and(|until| Instant::now() < until) {
            return Err(unavailable());
        }
        let left = CONNECTION_WAIT.saturating_sub(asked.elapsed());
        if left.is_zero() {
            return Err(unavailable());
        }
        let started = Instant::now();
        self.pool.get_timeout(left).map_err(|error| {
            // Only a full wait says the database is unreachable; a short one
            // left over after queueing says only that this request was late.
            if started.elapsed() >= CONNECTION_WAIT / 2 {
                *self.unreachable_until.lock() = Some(Instant::now() + UNREACHABLE_PAUSE);
            }
            AppError::from(error)
        })
    }

    /// Runs read-only work on a pooled connection, off the async executor.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let asked = Instant::now();
        actix_web::web::block(move || {
            let mut conn = db.connection(asked)?;
            work(&mut conn)
        })
        .await?
    }

    /// Runs work in one transaction, off the async executor: everything it
    /// writes commits together or not at all.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let asked = Instant::now();
        actix_web::web::block(move || db.write_asked_at(asked, work)).await?
    }

    /// [`Db::write`] for callers already on a blocking thread (command-line tools, loaders).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
    {
        self.write_asked_at(Instant::now(), work)
    }

    fn write_asked_at<T, F>(&self, asked: Instant, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
    {
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock()),
            Backend::Postgres => None,
        };
        // A SQLite writer's turn may be long under load; its wait for a
        // connection counts from when it got the turn.
        let asked = if self.backend == Backend::Sqlite { Instant::now() } else { asked };
        let mut conn = self.connection(asked)?;
        match &mut *conn {
            DbConnection::Sqlite(_) => sqlite_write_transaction(&mut conn, work),
            DbConnection::Pg(_) => conn.transaction(|c| work(c)),
        }
    }
}

/// A SQLite transaction begun with `BEGIN IMMEDIATE`. A deferred transaction
/// that has read and then writes must take the write lock without waiting
/// (SQLite returns `SQLITE_BUSY` at once rather than risk a deadlock), so it
/// fails with "database is locked" whenever any other connection holds that
/// lock at that moment — another process such as `casedesk user add`, or a
/// checkpoint starting the log over; the benchmark test saw the service fail
/// to start this way under load. Taking the lock at the start waits for it
/// under the busy timeout instead.
fn sqlite_write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    fn sqlite(conn: &mut DbConnection) -> QueryResult<&mut SqliteConnection> {
        match conn {
            DbConnection::Sqlite(c) => Ok(c),
            DbConnection::Pg(_) => Err(diesel::result::Error::BrokenTransactionManager),
        }
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn)?, "BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite(conn)?)?;
            Ok(value)
        }
        Err(error) => {
            AnsiTransactionManager::rollback_transaction(sqlite(conn)?)?;
            Err(error)
        }
    }
}
