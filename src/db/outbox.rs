//! The mail outbox: messages written with the change they report, claimed by
//! one sender at a time, and marked sent, retried or failed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::models::{Message, NewMessage};
use super::schema::{outbox, users};
use super::DbConnection;
use crate::domain::citizen::mailbox_key;
use crate::domain::ids::DepartmentId;
use crate::domain::notice::{MessageState, Notice};
use crate::domain::role::Role;

/// Adds a message (in the caller's transaction), with the key of its
/// recipient's mailbox.
pub fn insert(conn: &mut DbConnection, message: &NewMessage) -> QueryResult<()> {
    let key = mailbox_key(&message.recipient);
    diesel::insert_into(outbox::table)
        .values((message, outbox::recipient_key.eq(key)))
        .execute(conn)
        .map(drop)
}

/// The addresses that hear about a department's cases: the department's own
/// and those of its active handlers.
pub fn department_recipients(
    conn: &mut DbConnection,
    department_id: DepartmentId,
    department_email: Option<&str>,
) -> QueryResult<Vec<String>> {
    let mut addresses: Vec<String> = users::table
        .filter(users::department_id.eq(department_id))
        .filter(users::role.eq(Role::Handler))
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .select(users::email.assume_not_null())
        .load(conn)?;
    addresses.extend(department_email.map(str::to_owned));
    addresses.sort();
    addresses.dedup();
    Ok(addresses)
}

/// Claims up to `limit` due messages for `lease_until`. On PostgreSQL,
/// `FOR UPDATE SKIP LOCKED` lets several senders claim at once without ever
/// claiming the same message; on SQLite one writer claims at a time anyway.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let marks = super::placeholders(conn, 1, 3);
    let lock = match conn {
        DbConnection::Pg(_) => " FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE outbox SET claimed_until = {lease} WHERE id IN (\
         SELECT id FROM outbox WHERE state = '{pending}' AND next_attempt_at <= {now} \
         AND (claimed_until IS NULL OR claimed_until < {now}) ORDER BY id LIMIT {limit}{lock}) \
         RETURNING id, kind, recipient, subject, case_id, payload, state, attempts, next_attempt_at, \
         claimed_until, last_error, created_at, sent_at, recipient_key",
        lease = marks[0],
        now = marks[1],
        limit = marks[2],
        pending = MessageState::Pending.as_str(),
    );
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Marks a message delivered, if the claim that ends at `lease_until` still
/// holds, and replaces its render data (which may hold a query code in
/// clear) with what is still needed to show it. Returns whether it held.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
    at: NaiveDateTime,
    kept_payload: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::state.eq(MessageState::Pending))
            .filter(outbox::claimed_until.eq(lease_until)),
    )
    .set((
        outbox::state.eq(MessageState::Sent),
        outbox::sent_at.eq(Some(at)),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_error.eq(None::<String>),
        outbox::payload.eq(kept_payload),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records a failed attempt, if the claim that ends at `lease_until` still
/// holds: retried at `retry_at`, or failed for good when `retry_at` is
/// `None`. Returns whether the claim held.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let state = if retry_at.is_some() { MessageState::Pending } else { MessageState::Failed };
    let m = super::placeholders(conn, 1, 5);
    let updated = diesel::sql_query(format!(
        "UPDATE outbox SET attempts = attempts + 1, last_error = {}, state = {}, \
         next_attempt_at = COALESCE({}, next_attempt_at), claimed_until = NULL \
         WHERE id = {} AND state = '{}' AND claimed_until = {}",
        m[0],
        m[1],
        m[2],
        m[3],
        MessageState::Pending.as_str(),
        m[4]
    ))
    .bind::<Text, _>(error)
    .bind::<Text, _>(state.as_str())
    .bind::<Nullable<Timestamp>, _>(retry_at)
    .bind::<BigInt, _>(id)
    .bind::<Timestamp, _>(lease_until)
    .execute(conn)?;
    Ok(updated == 1)
}

/// Gives claimed messages back unsent, if the claim that ends at
/// `lease_until` still holds, so that the next round may take them at once.
pub fn release(conn: &mut DbConnection, ids: &[i64], lease_until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table.filter(outbox::id.eq_any(ids.to_vec())).filter(outbox::claimed_until.eq(lease_until)),
    )
    .set(outbox::claimed_until.eq(None::<NaiveDateTime>))
    .execute(conn)
}

/// Messages, newest first, optionally in one state, one page at a time.
pub fn list(
    conn: &mut DbConnection,
    state: Option<MessageState>,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Message>, bool)> {
    let mut query = outbox::table.into_boxed();
    if let Some(state) = state {
        query = query.filter(outbox::state.eq(state));
    }
    if let Some(id) = before_id {
        query = query.filter(outbox::id.lt(id));
    }
    let mut rows: Vec<Message> = query.order(outbox::id.desc()).limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// One message.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Message>> {
    outbox::table.find(id).get_result(conn).optional()
}

/// Puts a failed message back in the queue, due now.
pub fn retry(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(outbox::table.find(id).filter(outbox::state.eq(MessageState::Failed)))
        .set((
            outbox::state.eq(MessageState::Pending),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Messages of `kind` written to the mailbox of `recipient` (however its
/// address is spelt) at or after `since`, whatever became of them.
pub fn count_to(
    conn: &mut DbConnection,
    kind: Notice,
    recipient: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::kind.eq(kind))
        .filter(outbox::recipient_key.eq(mailbox_key(recipient)))
        .filter(outbox::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Messages per state.
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(MessageState, i64)>> {
    outbox::table.group_by(outbox::state).select((outbox::state, diesel::dsl::count_star())).load(conn)
}

/// Drops every message (the demo's history must not be mailed).
pub fn clear(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(outbox::table).execute(conn)
}
