//! Failed password checks, for throttling guesses across every instance:
//! counted per (username, client), per client across usernames, and per
//! username across clients; and the clients each account signed in from.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::schema::{known_sign_in_addresses, login_failures};
use super::DbConnection;

/// Makes concurrent password checks from `client` take turns until the
/// caller's transaction ends, so that parallel guesses cannot all count the
/// same failures and slip past the limits. SQLite's writers take turns anyway.
pub fn lock(conn: &mut DbConnection, client: &str) -> QueryResult<()> {
    super::locks::transaction_lock_on(conn, super::locks::LOGIN, client)
}

/// Makes concurrent password checks for `username` take turns until the
/// caller's transaction ends (taken after [`lock`], always in that order).
pub fn lock_account(conn: &mut DbConnection, username: &str) -> QueryResult<()> {
    super::locks::transaction_lock_on(conn, super::locks::LOGIN_ACCOUNT, username)
}

/// Failures for `username` from any client at or after `since`, and the latest.
pub fn recent_for_account(
    conn: &mut DbConnection,
    username: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.ge(since));
    let count = recent.count().get_result(conn)?;
    let latest = recent.select(diesel::dsl::max(login_failures::at)).get_result(conn)?;
    Ok((count, latest))
}

/// Failures for `username` from `client` at or after `since`, and the latest.
pub fn recent_for(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::client.eq(client))
        .filter(login_failures::at.ge(since));
    let count = recent.count().get_result(conn)?;
    let latest = recent.select(diesel::dsl::max(login_failures::at)).get_result(conn)?;
    Ok((count, latest))
}

/// Failures from `client` for any username at or after `since`, and the time
/// of the `nth`-latest of them (the one whose leaving the window lets
/// `nth - 1` remain).
pub fn recent_from(
    conn: &mut DbConnection,
    client: &str,
    since: NaiveDateTime,
    nth: i64,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent =
        login_failures::table.filter(login_failures::client.eq(client)).filter(login_failures::at.ge(since));
    let count = recent.count().get_result(conn)?;
    let nth_latest = recent
        .select(login_failures::at)
        .order(login_failures::at.desc())
        .offset((nth - 1).max(0))
        .first(conn)
        .optional()?;
    Ok((count, nth_latest))
}

/// Records a failure.
pub fn record(conn: &mut DbConnection, username: &str, client: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::client.eq(client),
            login_failures::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets the failures of `username` from `client` (after a success there).
pub fn clear(conn: &mut DbConnection, username: &str, client: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::username.eq(username))
            .filter(login_failures::client.eq(client)),
    )
    .execute(conn)
    .map(drop)
}

/// Records that `username` signed in from `client` at `at`.
pub fn remember_client(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // An upsert: two sign-ins from one client at once must not collide.
    let marks = super::placeholders(conn, 1, 3);
    diesel::sql_query(format!(
        "INSERT INTO known_sign_in_addresses (username, client, last_success_at) VALUES ({}, {}, {}) \
         ON CONFLICT (username, client) DO UPDATE SET last_success_at = excluded.last_success_at",
        marks[0], marks[1], marks[2]
    ))
    .bind::<Text, _>(username)
    .bind::<Text, _>(client)
    .bind::<Timestamp, _>(at)
    .execute(conn)
    .map(drop)
}

/// Whether `username` signed in from `client` at or after `since`.
pub fn is_known_client(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        known_sign_in_addresses::table
            .filter(known_sign_in_addresses::username.eq(username))
            .filter(known_sign_in_addresses::client.eq(client))
            .filter(known_sign_in_addresses::last_success_at.ge(since)),
    ))
    .get_result(conn)
}

/// Forgets clients an account has not signed in from since `before`.
pub fn forget_clients(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(known_sign_in_addresses::table.filter(known_sign_in_addresses::last_success_at.lt(before)))
        .execute(conn)
}

/// Deletes failures older than `before`, which no longer count for anything.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::at.lt(before))).execute(conn)
}
