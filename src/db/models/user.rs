//! Accounts as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::role::Role;

/// A staff account.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Name shown in the event log.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// Required for handlers.
    pub department_id: Option<DepartmentId>,
    /// Address for notifications.
    pub email: Option<String>,
    /// Inactive accounts cannot log in; their tokens stop working.
    pub active: bool,
    /// Tokens carry the epoch they were issued in; raising it revokes them all.
    pub token_epoch: i32,
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// The leaders' digest: `none`, `weekly` or `monthly` (`domain::digest::Frequency`).
    pub digest: String,
}

/// An account to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Display name.
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Changes to an account; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New password hash.
    pub password_hash: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New department (`Some(None)` clears it).
    pub department_id: Option<Option<DepartmentId>>,
    /// New email (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// Raised to revoke every earlier token.
    pub token_epoch: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
    /// New digest frequency.
    pub digest: Option<String>,
}
