//! The leaders' digests: who asked for one, and the record of each written,
//! whose key (account, period) makes it exactly once.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::User;
use super::schema::{digests_sent, users};
use super::DbConnection;
use crate::domain::ids::UserId;

/// Active accounts that asked for a digest and gave an address.
pub fn subscribers(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::digest.ne("none"))
        .filter(users::email.is_not_null())
        .order(users::id)
        .load(conn)
}

/// Whether the digest of [`from`, `to`) was written for `user` already.
pub fn written(conn: &mut DbConnection, user: UserId, from: NaiveDate, to: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        digests_sent::table
            .filter(digests_sent::user_id.eq(user))
            .filter(digests_sent::period_start.eq(from))
            .filter(digests_sent::period_end.eq(to)),
    ))
    .get_result(conn)
}

/// Records that the digest of [`from`, `to`) is being written for `user`;
/// `false` if another instance did first (the caller then writes nothing).
pub fn claim(
    conn: &mut DbConnection,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        digests_sent::user_id.eq(user),
        digests_sent::period_start.eq(from),
        digests_sent::period_end.eq(to),
        digests_sent::written_at.eq(now),
    );
    let inserted = super::on_backend!(conn, |c| diesel::insert_into(digests_sent::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}
