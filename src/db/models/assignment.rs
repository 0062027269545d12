//! Assignments as stored: one row per `assign`, with what the department did with it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::ids::{CaseId, DepartmentId};

/// One assignment of a case to a department.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct Assignment {
    pub id: i64,
    /// The case.
    pub case_id: CaseId,
    /// The department it was given to.
    pub department_id: DepartmentId,
    /// The case's channel, the rollups' key.
    pub channel: String,
    /// The case's day of receipt (Beijing), the rollups' key.
    pub received_day: NaiveDate,
    pub assigned_at: NaiveDateTime,
    /// When the department had to sign for it by.
    pub accept_due_at: NaiveDateTime,
    /// When it signed, if it did.
    pub accepted_at: Option<NaiveDateTime>,
    /// When it handed the case back, if it did.
    pub returned_at: Option<NaiveDateTime>,
    /// The kind of reason it gave (`ReturnReason`'s code).
    pub return_reason_code: Option<String>,
    /// When the case was assigned elsewhere (or merged) while this assignment was open.
    pub ended_at: Option<NaiveDateTime>,
    /// When the scan pressed the department for signing late (its one automatic 督办).
    pub pressed_at: Option<NaiveDateTime>,
}

/// An assignment to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = assignments)]
pub struct NewAssignment {
    /// The case.
    pub case_id: CaseId,
    /// The department.
    pub department_id: DepartmentId,
    /// The case's channel.
    pub channel: String,
    /// The case's day of receipt.
    pub received_day: NaiveDate,
    pub assigned_at: NaiveDateTime,
    /// Sign by.
    pub accept_due_at: NaiveDateTime,
}
