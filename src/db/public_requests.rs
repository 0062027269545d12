//! What anonymous clients did, per address, for the limits on public requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::public_requests;
use super::DbConnection;

/// Makes requests of one client take turns until the caller's transaction
/// ends, so that parallel requests cannot all pass the same count.
pub fn lock(conn: &mut DbConnection, client: &str) -> QueryResult<()> {
    super::locks::transaction_lock_on(conn, super::locks::PUBLIC_REQUESTS, client)
}

/// Requests of `kind` from `client` at or after `since`, and the time of the
/// `nth`-latest of them (the one whose leaving the window lets `nth - 1` remain).
pub fn recent(
    conn: &mut DbConnection,
    kind: &str,
    client: &str,
    since: NaiveDateTime,
    nth: i64,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent = public_requests::table
        .filter(public_requests::kind.eq(kind))
        .filter(public_requests::client.eq(client))
        .filter(public_requests::at.ge(since));
    let count = recent.count().get_result(conn)?;
    let nth_latest = recent
        .select(public_requests::at)
        .order(public_requests::at.desc())
        .offset((nth - 1).max(0))
        .first(conn)
        .optional()?;
    Ok((count, nth_latest))
}

/// Records a request.
pub fn record(conn: &mut DbConnection, kind: &str, client: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(public_requests::table)
        .values((
            public_requests::kind.eq(kind),
            public_requests::client.eq(client),
            public_requests::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes requests older than `before`, which no longer count.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(public_requests::table.filter(public_requests::at.lt(before))).execute(conn)
}
