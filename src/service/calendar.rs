//! The working-day calendar's exceptions — public holidays and make-up
//! working days (调休): anyone signed in reads a year, admins replace it when
//! the State Council publishes it. Changes apply to deadlines computed
//! afterwards; due dates already set stay.

use crate::auth::{Admin, AuthUser};
use crate::db::{self, models::CalendarDay};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, Weekday};
use serde::Deserialize;
use std::collections::HashSet;

/// The years whose exceptions were entered (readiness warns of a missing one).
pub async fn years_entered(state: &AppState) -> Result<Vec<i32>, AppError> {
    state.db.read(|conn| Ok(db::calendar::years(conn)?)).await
}

/// One exception, as submitted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// A make-up working day (班) rather than a holiday (休).
    pub is_workday: bool,
    /// e.g. 春节 or 春节调休上班.
    pub note: String,
}

impl From<CalendarDay> for DayInput {
    fn from(d: CalendarDay) -> Self {
        DayInput { date: d.day.to_string(), is_workday: d.is_workday, note: d.note }
    }
}

/// Years the calendar can hold.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Refuses a year the calendar cannot hold.
pub fn check_year(year: i32) -> Result<(), AppError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(AppError::invalid_field("year", Rule::YearRange))
    }
}

/// The warning for a year without a schedule.
pub fn missing_schedule_warning(year: i32) -> String {
    format!("no holiday schedule for {year}: its deadlines count weekends only until an admin enters it")
}

/// Warnings for this and next year (Beijing time) when their schedules are missing.
pub fn schedule_warnings(years_with_schedule: &[i32]) -> Vec<String> {
    let this_year = time::office_date(time::now_utc()).year();
    [this_year, this_year + 1]
        .into_iter()
        .filter(|y| !years_with_schedule.contains(y))
        .map(missing_schedule_warning)
        .collect()
}

/// A year's exceptions by date (any signed-in user may read them).
pub async fn year(state: &AppState, _reader: &AuthUser, year: i32) -> Result<Vec<CalendarDay>, AppError> {
    check_year(year)?;
    state.db.read(move |conn| Ok(db::calendar::year(conn, year)?)).await
}

/// Checks a year's exceptions as submitted: every date must be a real date
/// of that year, listed once; a make-up working day must fall on a weekend;
/// every entry needs a note. Errors name the entry (`[i].date`).
pub fn check_days(year: i32, inputs: Vec<DayInput>) -> Result<Vec<CalendarDay>, AppError> {
    let mut errors = FieldErrors::new();
    let mut seen = HashSet::new();
    let mut days = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let field = |name: &str| format!("[{i}].{name}");
        let note = input.note.trim().to_owned();
        if note.is_empty() || note.chars().count() > 50 {
            errors.add(field("note"), Rule::CalendarNote);
        }
        let Some(date) = time::parse_date(input.date.trim()) else {
            errors.add(field("date"), Rule::Date);
            continue;
        };
        if date.year() != year {
            errors.add(field("date"), Rule::NotInYear(year));
        }
        if !seen.insert(date) {
            errors.add(field("date"), Rule::ListedTwice);
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if input.is_workday && !weekend {
            errors.add(field("is_workday"), Rule::WeekdayMakeUp(date));
        }
        days.push(CalendarDay { day: date, is_workday: input.is_workday, note });
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    days.sort_by_key(|d| d.day);
    Ok(days)
}

/// Replaces a year's exceptions with what `edit` makes of the stored ones,
/// checked by [`check_days`], in one transaction: `PUT` ignores the stored
/// list and gives the new one; the admin page adds or removes one entry, and
/// no other admin's change made meanwhile is lost.
pub async fn edit_year(
    state: &AppState,
    Admin(admin): &Admin,
    year: i32,
    edit: impl FnOnce(Vec<DayInput>) -> Vec<DayInput> + Send + 'static,
) -> Result<Vec<CalendarDay>, AppError> {
    check_year(year)?;
    let stored = state
        .db
        .write(move |conn| {
            let current = db::calendar::year(conn, year)?.into_iter().map(DayInput::from).collect();
            let days = check_days(year, edit(current))?;
            db::calendar::replace_year(conn, year, &days)?;
            Ok(db::calendar::year(conn, year)?)
        })
        .await?;
    state.db.forget_cached();
    tracing::info!(year, exceptions = stored.len(), by = %admin.username, "calendar year replaced");
    Ok(stored)
}
