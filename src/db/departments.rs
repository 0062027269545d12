//! Departments.

use diesel::prelude::*;

use super::models::{Department, DepartmentChanges, NewDepartment};
use super::schema::departments;
use super::DbConnection;
use crate::domain::ids::DepartmentId;

/// Every department, by name.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Department>> {
    departments::table.order(departments::name).load(conn)
}

/// One department.
pub fn find(conn: &mut DbConnection, id: DepartmentId) -> QueryResult<Option<Department>> {
    departments::table.find(id).get_result(conn).optional()
}

/// One department by its code.
pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Department>> {
    departments::table.filter(departments::code.eq(code)).get_result(conn).optional()
}

/// How many departments there are.
pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    departments::table.count().get_result(conn)
}

/// Creates a department; returns its id.
pub fn insert(conn: &mut DbConnection, new: &NewDepartment) -> QueryResult<DepartmentId> {
    diesel::insert_into(departments::table).values(new).returning(departments::id).get_result(conn)
}

/// Applies changes; returns whether the department exists.
pub fn update(conn: &mut DbConnection, id: DepartmentId, changes: &DepartmentChanges) -> QueryResult<bool> {
    Ok(diesel::update(departments::table.find(id)).set(changes).execute(conn)? == 1)
}
