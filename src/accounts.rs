//! Creating staff accounts: the one path the API, `casedesk user add` and the
//! first start's administrator all take, so that the rules (a handler belongs
//! to a department that exists; usernames are unique) hold whoever creates it.

use crate::db::models::{NewUser, User};
use crate::db::{self, DbConnection};
use crate::domain::ids::DepartmentId;
use crate::domain::role::Role;
use crate::error::AppError;

/// Checks the department an account would end up with: a handler needs
/// one, and a named one must exist.
pub fn check_department(
    conn: &mut DbConnection,
    role: Role,
    department_id: Option<DepartmentId>,
) -> Result<(), AppError> {
    match department_id {
        None if role == Role::Handler => {
            Err(AppError::invalid_field("department_id", "a handler must belong to a department"))
        }
        None => Ok(()),
        Some(id) => match db::departments::find(conn, id)? {
            Some(_) => Ok(()),
            None => Err(AppError::invalid_field("department_id", format!("no department {id}"))),
        },
    }
}

/// Creates an account (its password already hashed), in the caller's transaction.
pub fn create(conn: &mut DbConnection, new: &NewUser) -> Result<User, AppError> {
    check_department(conn, new.role, new.department_id)?;
    if db::users::find_by_username(conn, &new.username)?.is_some() {
        return Err(AppError::Duplicate {
            detail: format!("the username '{}' is taken", new.username),
            existing: None,
        });
    }
    let id = db::users::insert(conn, new)?;
    db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))
}
