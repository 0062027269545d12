//! The working-day calendar's exceptions as stored.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::*;

/// One exception: a holiday or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = calendar_days)]
pub struct CalendarDay {
    /// The date.
    pub day: NaiveDate,
    /// Whether it is a working day.
    pub is_workday: bool,
    /// What it is (e.g. 春节, 国庆节调休上班).
    pub note: String,
}
