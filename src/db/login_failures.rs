//! Failed logins, for throttling guessing per username across every instance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::DbConnection;

/// Failures for `username` at or after `since`, and the earliest of them.
pub fn recent(
    conn: &mut DbConnection,
    username: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.ge(since));
    let count = recent.count().get_result(conn)?;
    let earliest = recent.select(diesel::dsl::min(login_failures::at)).first(conn)?;
    Ok((count, earliest))
}

/// Records a failure.
pub fn record(conn: &mut DbConnection, username: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::username.eq(username), login_failures::at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// Forgets the failures of `username` (after a successful login).
pub fn clear(conn: &mut DbConnection, username: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username)))
        .execute(conn)
        .map(drop)
}

/// Deletes failures older than `before`, which no longer count for anything.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::at.lt(before))).execute(conn)
}
