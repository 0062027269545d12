//! The figures' sums per (day of receipt, channel, department), maintained
//! with every change to a case, and the recount from the cases themselves
//! that they must always equal.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamp};

use super::models::Case;
use super::schema::{case_rollups, case_rollups_monthly};
use super::DbConnection;
use crate::domain::figures::Counts;
use crate::domain::time;

/// Where a case's contribution is summed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    /// Day of receipt in Beijing.
    pub day: NaiveDate,
    /// Channel code.
    pub channel: String,
    /// Department id, 0 for none.
    pub department: i64,
}

/// What one case adds to the sums: nothing if it is invalid.
pub fn contribution(case: &Case) -> Option<(RollupKey, Counts)> {
    if case.state == "invalid" {
        return None;
    }
    let key = RollupKey {
        day: time::office_date(case.received_at),
        channel: case.channel.clone(),
        department: case.department_id.unwrap_or(0),
    };
    let closed = case.state == "closed";
    let flag = |b: bool| i64::from(b);
    let rating = if closed { case.rating.as_deref() } else { None };
    let result = if closed { case.result_rating.as_deref() } else { None };
    let counts = Counts {
        received: 1,
        closed: flag(closed),
        closed_on_time: flag(closed && matches!((case.closed_at, case.due_at), (Some(c), Some(d)) if c <= d)),
        handling_seconds: if closed { case.handling_seconds.unwrap_or(0) } else { 0 },
        handling_workdays: if closed { i64::from(case.handling_workdays.unwrap_or(0)) } else { 0 },
        rated: flag(rating.is_some()),
        satisfied: flag(rating == Some("satisfied")),
        basically_satisfied: flag(rating == Some("basically_satisfied")),
        unsatisfied: flag(rating == Some("unsatisfied")),
        result_rated: flag(result.is_some()),
        result_satisfied: flag(result == Some("satisfied")),
        result_basically_satisfied: flag(result == Some("basically_satisfied")),
        result_unsatisfied: flag(result == Some("unsatisfied")),
        reopened_closed: flag(closed && case.reopen_count > 0),
        overdue_open: 0,
    };
    Some((key, counts))
}

const MEASURES: [&str; 14] = [
    "received",
    "closed",
    "closed_on_time",
    "handling_seconds",
    "handling_workdays",
    "rated",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "result_rated",
    "result_satisfied",
    "result_basically_satisfied",
    "result_unsatisfied",
    "reopened_closed",
];

fn measure_values(c: &Counts) -> [i64; 14] {
    [
        c.received,
        c.closed,
        c.closed_on_time,
        c.handling_seconds,
        c.handling_workdays,
        c.rated,
        c.satisfied,
        c.basically_satisfied,
        c.unsatisfied,
        c.result_rated,
        c.result_satisfied,
        c.result_basically_satisfied,
        c.result_unsatisfied,
        c.reopened_closed,
    ]
}

/// Numbered placeholders (`$1` on PostgreSQL, `?1` on SQLite), so that a
/// parameter used several times in a statement is bound once.
fn placeholders(conn: &DbConnection, from: usize, count: usize) -> Vec<String> {
    let sigil = match conn {
        DbConnection::Pg(_) => '$',
        DbConnection::Sqlite(_) => '?',
    };
    (from..from + count).map(|i| format!("{sigil}{i}")).collect()
}

/// The two tables of sums: per day of receipt, and per month (keyed by its
/// first day). Both are moved by every change.
const TABLES: [(&str, &str); 2] =
    [("case_rollups", "received_day"), ("case_rollups_monthly", "received_month")];

/// The first day of `day`'s month.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Adds `delta` to the rows of `key` (its day and its month), creating them
/// if needed. The statements name only the measures that change (at intake,
/// `received` alone): diesel cannot cache an upsert's prepared statement, so
/// every call compiles it anew, and a statement of four columns compiles
/// several times faster than one of seventeen.
fn add(conn: &mut DbConnection, key: &RollupKey, delta: &Counts) -> QueryResult<()> {
    let changed: Vec<(&str, i64)> =
        MEASURES.iter().copied().zip(measure_values(delta)).filter(|(_, v)| *v != 0).collect();
    if changed.is_empty() {
        return Ok(());
    }
    let marks = placeholders(conn, 1, 3 + changed.len());
    let columns: Vec<&str> = changed.iter().map(|(m, _)| *m).collect();
    for ((table, day_column), day) in TABLES.into_iter().zip([key.day, month_of(key.day)]) {
        let sums: Vec<String> = columns.iter().map(|m| format!("{m} = {table}.{m} + excluded.{m}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({day_column}, channel, department_key, {}) VALUES ({}) \
             ON CONFLICT ({day_column}, channel, department_key) DO UPDATE SET {}",
            columns.join(", "),
            marks.join(", "),
            sums.join(", "),
        );
        let mut query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Date, _>(day)
            .bind::<Text, _>(key.channel.clone())
            .bind::<BigInt, _>(key.department);
        for (_, value) in &changed {
            query = query.bind::<BigInt, _>(*value);
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Moves the sums from what `before` contributed to what `after` does, in the
/// caller's transaction. `None` on either side: the case did not (or no
/// longer does) exist.
pub fn apply(conn: &mut DbConnection, before: Option<&Case>, after: Option<&Case>) -> QueryResult<()> {
    let old = before.and_then(contribution);
    let new = after.and_then(contribution);
    match (old, new) {
        (Some((old_key, old_counts)), Some((new_key, new_counts))) if old_key == new_key => {
            let mut delta = new_counts;
            delta += -old_counts;
            add(conn, &new_key, &delta)
        }
        (old, new) => {
            if let Some((key, counts)) = old {
                add(conn, &key, &-counts)?;
            }
            if let Some((key, counts)) = new {
                add(conn, &key, &counts)?;
            }
            Ok(())
        }
    }
}

/// One row of sums.
#[derive(Debug, Clone, QueryableByName)]
pub struct SumRow {
    /// The group: a day (YYYY-MM-DD), channel code or department key, as text.
    #[diesel(sql_type = Text)]
    pub grp: String,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    closed: i64,
    #[diesel(sql_type = BigInt)]
    closed_on_time: i64,
    #[diesel(sql_type = BigInt)]
    handling_seconds: i64,
    #[diesel(sql_type = BigInt)]
    handling_workdays: i64,
    #[diesel(sql_type = BigInt)]
    rated: i64,
    #[diesel(sql_type = BigInt)]
    satisfied: i64,
    #[diesel(sql_type = BigInt)]
    basically_satisfied: i64,
    #[diesel(sql_type = BigInt)]
    unsatisfied: i64,
    #[diesel(sql_type = BigInt)]
    result_rated: i64,
    #[diesel(sql_type = BigInt)]
    result_satisfied: i64,
    #[diesel(sql_type = BigInt)]
    result_basically_satisfied: i64,
    #[diesel(sql_type = BigInt)]
    result_unsatisfied: i64,
    #[diesel(sql_type = BigInt)]
    reopened_closed: i64,
}

impl SumRow {
    /// The sums as counts.
    pub fn counts(&self) -> Counts {
        Counts {
            received: self.received,
            closed: self.closed,
            closed_on_time: self.closed_on_time,
            handling_seconds: self.handling_seconds,
            handling_workdays: self.handling_workdays,
            rated: self.rated,
            satisfied: self.satisfied,
            basically_satisfied: self.basically_satisfied,
            unsatisfied: self.unsatisfied,
            result_rated: self.result_rated,
            result_satisfied: self.result_satisfied,
            result_basically_satisfied: self.result_basically_satisfied,
            result_unsatisfied: self.result_unsatisfied,
            reopened_closed: self.reopened_closed,
            overdue_open: 0,
        }
    }
}

/// How sums are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One group.
    Total,
    /// Per channel.
    Channel,
    /// Per department key.
    Department,
    /// Per month of receipt (`YYYY-MM`).
    Month,
    /// Per (day, channel, department): the rollup rows themselves.
    Key,
}

/// The scope of a query.
#[derive(Debug, Clone)]
pub struct Scope {
    /// First day (Beijing), inclusive.
    pub from: NaiveDate,
    /// Last day, exclusive.
    pub to: NaiveDate,
    /// One channel.
    pub channel: Option<String>,
    /// One department (0: unassigned cases).
    pub department: Option<i64>,
}

fn day_text(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Pg(_) => format!("to_char({column}, 'YYYY-MM-DD')"),
        DbConnection::Sqlite(_) => column.to_owned(),
    }
}

fn month_text(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Pg(_) => format!("to_char({column}, 'YYYY-MM')"),
        DbConnection::Sqlite(_) => format!("substr({column}, 1, 7)"),
    }
}

fn group_expr(conn: &DbConnection, grouping: Grouping, day: &str, department: &str) -> String {
    match grouping {
        Grouping::Total => "CAST('all' AS TEXT)".to_owned(),
        Grouping::Channel => "channel".to_owned(),
        Grouping::Department => format!("CAST({department} AS TEXT)"),
        Grouping::Month => month_text(conn, day),
        Grouping::Key => {
            format!("{} || '|' || channel || '|' || CAST({department} AS TEXT)", day_text(conn, day))
        }
    }
}

/// A statement with its parameters bound so far.
type Boxed = diesel::query_builder::BoxedSqlQuery<
    'static,
    <DbConnection as diesel::Connection>::Backend,
    diesel::query_builder::SqlQuery,
>;

/// The conditions a scope adds, with placeholders from `marks[next..]`.
fn scope_conditions(scope: &Scope, department_column: &str, marks: &[String], mut next: usize) -> String {
    let mut sql = String::new();
    if scope.channel.is_some() {
        sql.push_str(&format!(" AND channel = {}", marks[next]));
        next += 1;
    }
    if scope.department.is_some() {
        sql.push_str(&format!(" AND {department_column} = {}", marks[next]));
    }
    sql
}

/// Binds the parameters of [`scope_conditions`], in the same order.
fn bind_scope(mut query: Boxed, scope: &Scope) -> Boxed {
    if let Some(channel) = &scope.channel {
        query = query.bind::<Text, _>(channel.clone());
    }
    if let Some(department) = scope.department {
        query = query.bind::<BigInt, _>(department);
    }
    query
}

/// Sums from the rollups, grouped; a group may come in several rows, which
/// the caller adds up. Whole months of the period are read from the monthly
/// table, the days before the first and after the last whole month from the
/// daily one; rows per day (`Grouping::Key`) come from the daily table alone.
pub fn sums(conn: &mut DbConnection, scope: &Scope, grouping: Grouping) -> QueryResult<Vec<SumRow>> {
    let [daily, monthly] = TABLES;
    let first_whole = if scope.from.day() == 1 {
        scope.from
    } else {
        month_of(scope.from).checked_add_months(Months::new(1)).unwrap_or(scope.to)
    };
    let after_whole = month_of(scope.to);
    if grouping == Grouping::Key || first_whole >= after_whole {
        return sums_in(conn, daily, scope.from, scope.to, scope, grouping);
    }
    let mut rows = sums_in(conn, monthly, first_whole, after_whole, scope, grouping)?;
    for (from, to) in [(scope.from, first_whole), (after_whole, scope.to)] {
        if from < to {
            rows.extend(sums_in(conn, daily, from, to, scope, grouping)?);
        }
    }
    Ok(rows)
}

/// Sums of one rollup table over the days [from, to) in `scope`'s channel and department.
fn sums_in(
    conn: &mut DbConnection,
    (table, day_column): (&str, &str),
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<SumRow>> {
    let grp = group_expr(conn, grouping, day_column, "department_key");
    let sums: Vec<String> =
        MEASURES.iter().map(|m| format!("CAST(COALESCE(SUM({m}), 0) AS BIGINT) AS {m}")).collect();
    let marks = placeholders(conn, 1, 4);
    let mut sql = format!(
        "SELECT {grp} AS grp, {} FROM {table} WHERE {day_column} >= {} AND {day_column} < {}",
        sums.join(", "),
        marks[0],
        marks[1]
    );
    sql.push_str(&scope_conditions(scope, "department_key", &marks, 2));
    if grouping != Grouping::Total {
        sql.push_str(&format!(" GROUP BY {grp}"));
    }
    let query = diesel::sql_query(sql).into_boxed().bind::<Date, _>(from).bind::<Date, _>(to);
    let query = bind_scope(query, scope);
    query.load(conn)
}

/// The day of receipt in Beijing, from the stored UTC instant.
fn received_day(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Pg(_) => "CAST(received_at + INTERVAL '8 hours' AS DATE)",
        DbConnection::Sqlite(_) => "date(received_at, '+8 hours')",
    }
}

/// The measures summed from cases, closed and rated no later than the
/// instant bound at `as_of_mark`.
fn measure_columns(as_of_mark: &str) -> Vec<String> {
    let closed = format!("(state = 'closed' AND closed_at <= {as_of_mark})");
    let rated = format!("(rated_at <= {as_of_mark})");
    let count = |condition: String| {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    let total =
        |expr: &str| format!("CAST(COALESCE(SUM(CASE WHEN {closed} THEN {expr} ELSE 0 END), 0) AS BIGINT)");
    let rating_is =
        |column: &str, value: &str| count(format!("{closed} AND {rated} AND {column} = '{value}'"));
    vec![
        "CAST(COUNT(*) AS BIGINT) AS received".to_owned(),
        format!("{} AS closed", count(closed.clone())),
        format!("{} AS closed_on_time", count(format!("{closed} AND closed_at <= due_at"))),
        format!("{} AS handling_seconds", total("COALESCE(handling_seconds, 0)")),
        format!("{} AS handling_workdays", total("COALESCE(handling_workdays, 0)")),
        format!("{} AS rated", count(format!("{closed} AND {rated} AND rating IS NOT NULL"))),
        format!("{} AS satisfied", rating_is("rating", "satisfied")),
        format!("{} AS basically_satisfied", rating_is("rating", "basically_satisfied")),
        format!("{} AS unsatisfied", rating_is("rating", "unsatisfied")),
        format!("{} AS result_rated", count(format!("{closed} AND {rated} AND result_rating IS NOT NULL"))),
        format!("{} AS result_satisfied", rating_is("result_rating", "satisfied")),
        format!("{} AS result_basically_satisfied", rating_is("result_rating", "basically_satisfied")),
        format!("{} AS result_unsatisfied", rating_is("result_rating", "unsatisfied")),
        format!("{} AS reopened_closed", count(format!("{closed} AND reopen_count > 0"))),
    ]
}

/// The same sums counted from the cases themselves, as they stood at `as_of`
/// (closed, and rated, no later than then; received no later than then).
/// Serves figures asked for an earlier time, and checks the rollups.
pub fn recount(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    as_of: NaiveDateTime,
) -> QueryResult<Vec<SumRow>> {
    let grp = group_expr(conn, grouping, received_day(conn), "COALESCE(department_id, 0)");
    let marks = placeholders(conn, 1, 6);
    let mut sql = format!(
        "SELECT {grp} AS grp, {} FROM cases WHERE state <> 'invalid' AND received_at >= {} AND received_at < {} AND received_at <= {}",
        measure_columns(&marks[0]).join(", "),
        marks[1],
        marks[2],
        marks[0]
    );
    sql.push_str(&scope_conditions(scope, "COALESCE(department_id, 0)", &marks, 3));
    if grouping != Grouping::Total {
        sql.push_str(&format!(" GROUP BY {grp}"));
    }
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamp, _>(as_of)
        .bind::<Timestamp, _>(time::start_of_office_day(scope.from))
        .bind::<Timestamp, _>(time::start_of_office_day(scope.to));
    let query = bind_scope(query, scope);
    query.load(conn)
}

/// A count per group.
#[derive(Debug, Clone, QueryableByName)]
pub struct CountRow {
    /// The group, as in [`SumRow::grp`].
    #[diesel(sql_type = Text)]
    pub grp: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Open, running cases received in `scope` whose due time passed before
/// `as_of`, counted per group in the database (open cases are few, but a
/// large county still has tens of thousands).
pub fn overdue_open(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    as_of: NaiveDateTime,
) -> QueryResult<Vec<CountRow>> {
    let grp = group_expr(conn, grouping, received_day(conn), "COALESCE(department_id, 0)");
    let marks = placeholders(conn, 1, 5);
    // SQLite, without statistics, preferred `cases_state` and read every
    // open case's row; the partial index of open cases covers the count.
    let (index, not_suspended) = match conn {
        DbConnection::Pg(_) => ("", "FALSE"),
        DbConnection::Sqlite(_) => (" INDEXED BY cases_open_by_receipt", "0"),
    };
    let mut sql = format!(
        "SELECT {grp} AS grp, CAST(COUNT(*) AS BIGINT) AS count FROM cases{index} \
         WHERE state IN ('registered', 'assigned', 'processing', 'reviewing') AND suspended = {not_suspended} \
         AND due_at < {} AND received_at >= {} AND received_at < {}",
        marks[0],
        marks[1],
        marks[2]
    );
    sql.push_str(&scope_conditions(scope, "COALESCE(department_id, 0)", &marks, 3));
    if grouping != Grouping::Total {
        sql.push_str(&format!(" GROUP BY {grp}"));
    }
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamp, _>(as_of)
        .bind::<Timestamp, _>(time::start_of_office_day(scope.from))
        .bind::<Timestamp, _>(time::start_of_office_day(scope.to));
    let query = bind_scope(query, scope);
    query.load(conn)
}

/// Rebuilds every rollup from the cases in one statement (after a bulk load
/// or a backfill); returns the rows written.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(case_rollups::table).execute(conn)?;
    diesel::delete(case_rollups_monthly::table).execute(conn)?;
    let marks = placeholders(conn, 1, 1);
    let sql = format!(
        "INSERT INTO case_rollups (received_day, channel, department_key, {}) \
         SELECT {}, channel, COALESCE(department_id, 0), {} FROM cases WHERE state <> 'invalid' \
         GROUP BY {}, channel, COALESCE(department_id, 0)",
        MEASURES.join(", "),
        received_day(conn),
        measure_columns(&marks[0]).join(", "),
        received_day(conn),
    );
    let far_future =
        NaiveDate::from_ymd_opt(9999, 1, 1).unwrap_or(NaiveDate::MAX).and_time(chrono::NaiveTime::MIN);
    let written = diesel::sql_query(sql).bind::<Timestamp, _>(far_future).execute(conn)?;
    let month = match conn {
        DbConnection::Pg(_) => "CAST(date_trunc('month', received_day) AS DATE)",
        DbConnection::Sqlite(_) => "date(received_day, 'start of month')",
    };
    let sums: Vec<String> = MEASURES.iter().map(|m| format!("SUM({m})")).collect();
    diesel::sql_query(format!(
        "INSERT INTO case_rollups_monthly (received_month, channel, department_key, {}) \
         SELECT {month}, channel, department_key, {} FROM case_rollups GROUP BY {month}, channel, department_key",
        MEASURES.join(", "),
        sums.join(", "),
    ))
    .execute(conn)?;
    Ok(written)
}

/// Whether any rollup row exists.
pub fn is_empty(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(case_rollups::table.count().get_result::<i64>(conn)? == 0)
}
