//! Storage: one connection type for SQLite and PostgreSQL, a pool, embedded
//! migrations, and plain query functions over a connection (one module per
//! table). Query functions return diesel's `QueryResult`.
//!
//! diesel is blocking, so [`Db::read`] and [`Db::write`] run their closure on
//! actix's blocking thread pool with a pooled connection; nothing here runs on
//! the async executor.

pub mod assignments;
pub mod cache;
pub mod calendar;
pub mod cases;
pub mod channels;
mod checkpoint;
mod connection;
pub mod departments;
pub mod digests;
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
pub mod search;
pub mod topics;
pub mod transfer;
pub mod types;
pub mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use parking_lot::FairMutex;

use crate::error::AppError;
use checkpoint::spawn_checkpointer;
pub use connection::{Backend, ConnectionManager};

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

    /// [`Db::read`] in one snapshot: every statement of `work` sees the
    /// database as its first did — for reads that add up two tables a
    /// writer moves rows between (the 热点 counts and the text queue, which
    /// read one after the other could count a case twice or not at all).
    pub async fn read_snapshot<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn| read_only_snapshot(conn, work)).await
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
        topics::discard_pending_totals();
        // The 热点 totals go last, so that no transaction waits while holding them.
        let work = |c: &mut DbConnection| {
            let done = work(c)?;
            topics::flush_totals(c)?;
            Ok(done)
        };
        match &mut *conn {
            DbConnection::Sqlite(_) => sqlite_write_transaction(&mut conn, work),
            DbConnection::Pg(_) => conn.transaction(|c| work(c)),
        }
    }
}

/// A read-only transaction whose reads share one snapshot: PostgreSQL's
/// `REPEATABLE READ` (its default, `READ COMMITTED`, takes a snapshot per
/// statement); on SQLite a deferred transaction, whose first read fixes the
/// snapshot in WAL mode.
fn read_only_snapshot<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
    }
    let outcome = work(conn);
    let ended = match conn {
        DbConnection::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
        DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
    };
    // The work's own error first: a broken connection fails both.
    let value = outcome?;
    ended?;
    Ok(value)
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
