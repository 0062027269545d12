//! PostgreSQL advisory locks: every id casedesk takes, in one place, so that
//! two never collide. SQLite needs none of them: its writers take turns in
//! the process (see [`super::Db`]).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::DbConnection;

/// Held while one instance applies migrations (session lock).
pub const MIGRATIONS: i64 = 7_216_001;
/// Held by the instance scanning for deadline events (transaction lock).
pub const DEADLINE_SCAN: i64 = 7_216_002;
/// Keyed further by the username: login attempts for one name take turns (transaction lock).
pub const LOGIN: i64 = 7_216_003;
/// Keyed further by the client address: public requests of one address take turns (transaction lock).
pub const PUBLIC_REQUESTS: i64 = 7_216_004;
/// Keyed further by the username: password checks for one account take
/// turns across addresses, after [`LOGIN`] (transaction lock).
pub const LOGIN_ACCOUNT: i64 = 7_216_005;
/// Held by every `merge` (transaction lock): two merges judged at once could
/// each see the other's case unmerged and make a cycle (A into B, B into A).
pub const MERGES: i64 = 7_216_006;

/// Runs `work` while holding the session-level lock `id` on PostgreSQL.
pub fn with_session_lock<T>(
    conn: &mut diesel::PgConnection,
    id: i64,
    work: impl FnOnce(&mut diesel::PgConnection) -> T,
) -> QueryResult<T> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({id})"))?;
    let result = work(conn);
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({id})"))?;
    Ok(result)
}

/// Takes the transaction-level lock `id` if no other transaction holds it;
/// `true` on SQLite, where writers take turns anyway.
pub fn try_transaction_lock(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    match conn {
        DbConnection::Pg(_) => {
            Ok(diesel::sql_query(format!("SELECT pg_try_advisory_xact_lock({id}) AS locked"))
                .get_result::<Locked>(conn)?
                .locked)
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Waits for the transaction-level lock `id` on PostgreSQL, so that the
/// transactions taking it take turns until they end; nothing on SQLite,
/// where writers take turns anyway.
pub fn transaction_lock(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(_) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({id})")).execute(conn).map(drop)
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Waits for the transaction-level lock (`id`, hash of `key`) on PostgreSQL,
/// so that transactions about the same `key` take turns until they end.
pub fn transaction_lock_on(conn: &mut DbConnection, id: i64, key: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(_) => diesel::sql_query(format!("SELECT pg_advisory_xact_lock({id}, hashtext($1))"))
            .bind::<Text, _>(key)
            .execute(conn)
            .map(drop),
        DbConnection::Sqlite(_) => Ok(()),
    }
}
