//! Stored responses of `POST /api/v1/cases`, replayed for retries that carry
//! the same `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::DbConnection;

/// A stored response.
#[derive(Debug, Clone, Queryable)]
pub struct StoredResponse {
    /// Hash of the request body it answered.
    pub request_hash: String,
    /// Its status.
    pub status: i32,
    /// Its JSON body.
    pub body: String,
}

/// The response stored for `(user_id, key)` at or after `since`.
pub fn find(
    conn: &mut DbConnection,
    user_id: i64,
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
/// one is never replaced: a concurrent first use of the key makes this fail
/// with a unique violation, and the caller answers with that response instead.
pub fn store(
    conn: &mut DbConnection,
    user_id: i64,
    key: &str,
    response: &StoredResponse,
    at: NaiveDateTime,
    expired_before: NaiveDateTime,
) -> QueryResult<()> {
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
        .map(drop)
}

/// Deletes stored responses older than `before`: they hold query codes in
/// clear and are kept only as long as a client could sensibly retry.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)
}
