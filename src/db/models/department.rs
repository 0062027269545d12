//! Departments (承办单位) as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::ids::DepartmentId;

/// A department (承办单位).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: DepartmentId,
    /// Full name, e.g. 县教育局.
    pub name: String,
    /// Short code, e.g. `EDU`.
    pub code: String,
    /// Address for notifications.
    pub email: Option<String>,
    /// Inactive departments cannot receive new cases.
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A department to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = departments)]
pub struct NewDepartment {
    /// Full name.
    pub name: String,
    /// Short code.
    pub code: String,
    /// Notification address.
    pub email: Option<String>,
    /// Active from the start.
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Changes to a department; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = departments)]
pub struct DepartmentChanges {
    /// New name.
    pub name: Option<String>,
    /// New code.
    pub code: Option<String>,
    /// New address (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}
