//! The working-day calendar's exceptions.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::models::CalendarDay;
use super::schema::calendar_days;
use super::DbConnection;
use crate::domain::calendar::Calendar;

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(NaiveDate::MAX);
    (first, next)
}

/// A year's exceptions, by date.
pub fn year(conn: &mut DbConnection, year: i32) -> QueryResult<Vec<CalendarDay>> {
    let (first, next) = year_bounds(year);
    calendar_days::table
        .filter(calendar_days::day.ge(first))
        .filter(calendar_days::day.lt(next))
        .order(calendar_days::day)
        .load(conn)
}

/// Replaces a year's exceptions.
pub fn replace_year(conn: &mut DbConnection, year: i32, days: &[CalendarDay]) -> QueryResult<()> {
    let (first, next) = year_bounds(year);
    diesel::delete(
        calendar_days::table.filter(calendar_days::day.ge(first)).filter(calendar_days::day.lt(next)),
    )
    .execute(conn)?;
    // Multi-row inserts do not compile on the MultiConnection backend.
    for day in days {
        diesel::insert_into(calendar_days::table).values(day).execute(conn)?;
    }
    Ok(())
}

/// The whole calendar. A year holds a few dozen exceptions, so all of it is small.
pub fn load(conn: &mut DbConnection) -> QueryResult<Calendar> {
    let rows: Vec<(NaiveDate, bool)> =
        calendar_days::table.select((calendar_days::day, calendar_days::is_workday)).load(conn)?;
    Ok(Calendar::new(rows))
}

/// Years that have a schedule entered.
pub fn years(conn: &mut DbConnection) -> QueryResult<Vec<i32>> {
    let days: Vec<NaiveDate> = calendar_days::table.select(calendar_days::day).load(conn)?;
    let mut years: Vec<i32> = days.iter().map(|d| d.year()).collect();
    years.sort_unstable();
    years.dedup();
    Ok(years)
}
