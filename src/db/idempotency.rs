//! Stored responses of `POST /api/v1/cases`, replayed for retries that carry
//! the same `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::StoredResponse;
use super::schema::idempotency_keys;
use super::DbConnection;
use crate::domain::ids::UserId;

/// The response stored for `(user_id, key)` at or after `since`.
pub fn find(
    conn: &mut DbConnection,
    user_id: UserId,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .filter(idempotency_keys::created_at.ge(since))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .get_result(conn)
        .optional()
}

/// Stores a response, replacing an expired one under the same key. A live
/// one is never replaced: when a concurrent first use of the key has taken
/// it, this returns `false` — the caller's transaction is then spoilt on
/// PostgreSQL and must roll back, and the caller answers with that response.
pub fn store(
    conn: &mut DbConnection,
    user_id: UserId,
    key: &str,
    response: &StoredResponse,
    at: NaiveDateTime,
    expired_before: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::idempotency_key.eq(key))
            .filter(idempotency_keys::created_at.lt(expired_before)),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(&response.request_hash),
            idempotency_keys::response_status.eq(response.status),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| true)
        .or_else(|error| if super::is_unique_violation(&error) { Ok(false) } else { Err(error) })
}

/// Deletes stored responses older than `before`: they hold query codes in
/// clear and are kept only as long as a client could sensibly retry.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)
}
