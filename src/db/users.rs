//! Staff accounts.

use diesel::prelude::*;

use super::models::{NewUser, User, UserChanges};
use super::schema::users;
use super::DbConnection;
use crate::domain::ids::UserId;
use crate::domain::role::Role;

/// Every account, by username.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::username).load(conn)
}

/// One account.
pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<User>> {
    super::on_backend!(conn, |c| users::table.find(id).get_result(c).optional())
}

/// One account by login name.
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::username.eq(username)).get_result(conn).optional()
}

/// Whether there is no account at all (first start).
pub fn none_exist(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(users::table.count().get_result::<i64>(conn)? == 0)
}

/// Active accounts with role `admin`.
pub fn count_active_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.filter(users::role.eq(Role::Admin)).filter(users::active.eq(true)).count().get_result(conn)
}

/// Creates an account; returns its id.
pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<UserId> {
    diesel::insert_into(users::table).values(new).returning(users::id).get_result(conn)
}

/// Applies changes; returns whether the account exists.
pub fn update(conn: &mut DbConnection, id: UserId, changes: &UserChanges) -> QueryResult<bool> {
    Ok(diesel::update(users::table.find(id)).set(changes).execute(conn)? == 1)
}

/// Revokes every token issued so far by moving the account to a new epoch.
pub fn revoke_tokens(conn: &mut DbConnection, id: UserId) -> QueryResult<i32> {
    diesel::update(users::table.find(id))
        .set(users::token_epoch.eq(users::token_epoch + 1))
        .returning(users::token_epoch)
        .get_result(conn)
}
