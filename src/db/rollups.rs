//! The figures' sums per (day of receipt, channel, department) and per
//! (month, channel, department), maintained with every change to a case;
//! the recount from the cases themselves that they must always equal; and
//! the counts a statistics request asks for, grouped. The measures are
//! `domain::figures`' list ([`crate::with_measures`]); what one case adds is
//! `domain::figures::contribution`.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamp};

use super::models::Case;
use super::schema::{case_rollups, case_rollups_monthly};
use super::{placeholders, DbConnection};
use crate::domain::calendar::Calendar;
use crate::domain::callback::CallbackState;
use crate::domain::case::handling_time;
use crate::domain::figures::{
    contribution, Breakdown, Counts, Measure, RollupKey, Scope, ASSIGNMENT_MEASURES,
};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::Rating;
use crate::domain::time;

/// The two tables of sums: per day of receipt, and per month (keyed by its
/// first day). Both are moved by every change.
const TABLES: [(&str, &str); 2] =
    [("case_rollups", "received_day"), ("case_rollups_monthly", "received_month")];

/// The first day of `day`'s month.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Adds `delta` to the rows of `key` (its day and its month), creating them
/// if needed.
pub fn add(conn: &mut DbConnection, key: &RollupKey, delta: &Counts) -> QueryResult<()> {
    add_many(conn, [(key, delta)])
}

/// Bound values a statement of [`add_many`] may carry: below SQLite's limit
/// (32,766) and PostgreSQL's (65,535).
const MAX_BOUND: usize = 30_000;

/// Adds many keys' sums (an import batch's), creating the rows that do not
/// exist yet: per table, one upsert of many rows rather than a statement per
/// key, which on PostgreSQL was a round trip and a compile each and most of
/// an import's time. Rows go in key order, so that two writers lock the rows
/// they share in the same order.
pub fn add_many<'a>(
    conn: &mut DbConnection,
    sums: impl IntoIterator<Item = (&'a RollupKey, &'a Counts)>,
) -> QueryResult<()> {
    let mut days: BTreeMap<(NaiveDate, &str, i64), Counts> = BTreeMap::new();
    let mut months: BTreeMap<(NaiveDate, &str, i64), Counts> = BTreeMap::new();
    for (key, counts) in sums {
        *days.entry((key.day, &key.channel, key.department)).or_default() += *counts;
        *months.entry((month_of(key.day), &key.channel, key.department)).or_default() += *counts;
    }
    // Only the measures some key moves (at intake, `received` alone), the
    // other rows adding zero to them: diesel cannot cache an upsert's
    // prepared statement, so every call compiles it anew, and a statement
    // of four columns compiles several times faster than one of seventeen.
    let measures: Vec<Measure> =
        Measure::ALL.iter().copied().filter(|m| days.values().any(|c| m.of(c) != 0)).collect();
    if measures.is_empty() {
        return Ok(());
    }
    let columns: Vec<&str> = measures.iter().map(|m| m.name()).collect();
    let width = 3 + measures.len();
    for ((table, day_column), rows) in TABLES.into_iter().zip([days, months]) {
        let rows: Vec<_> = rows.into_iter().collect();
        for chunk in rows.chunks(MAX_BOUND / width) {
            let marks = placeholders(conn, 1, width * chunk.len());
            let tuples: Vec<String> =
                marks.chunks(width).map(|row| format!("({})", row.join(", "))).collect();
            let sums: Vec<String> =
                columns.iter().map(|m| format!("{m} = {table}.{m} + excluded.{m}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({day_column}, channel, department_key, {}) VALUES {} \
                 ON CONFLICT ({day_column}, channel, department_key) DO UPDATE SET {}",
                columns.join(", "),
                tuples.join(", "),
                sums.join(", "),
            );
            let mut query = diesel::sql_query(sql).into_boxed();
            for ((day, channel, department), counts) in chunk {
                query = query
                    .bind::<Date, _>(*day)
                    .bind::<Text, _>(channel.to_string())
                    .bind::<BigInt, _>(*department);
                for measure in &measures {
                    query = query.bind::<BigInt, _>(measure.of(counts));
                }
            }
            query.execute(conn)?;
        }
    }
    Ok(())
}

/// Moves the sums from what `before` contributed to what `after` does, in the
/// caller's transaction. `None` on either side: the case did not (or no
/// longer does) exist.
pub fn apply(conn: &mut DbConnection, before: Option<&Case>, after: Option<&Case>) -> QueryResult<()> {
    apply_figures(conn, before, after)?;
    // The 热点 counts share the figures' key and move at the same changes;
    // after the figures, as an import batch moves them, so that two writers
    // lock the two tables' rows in one order.
    super::topics::apply(conn, before, after)
}

/// [`apply`] without the 热点 counts: for a case just queued for the text
/// indexer, which counts its topics.
pub fn apply_figures(
    conn: &mut DbConnection,
    before: Option<&Case>,
    after: Option<&Case>,
) -> QueryResult<()> {
    let old = before.and_then(|case| contribution(&case.facts()));
    let new = after.and_then(|case| contribution(&case.facts()));
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

macro_rules! define_sum_row {
    ($(($variant:ident, $field:ident, $doc:literal)),* $(,)?) => {
        /// One row of sums.
        #[derive(Debug, Clone, QueryableByName)]
        pub struct SumRow {
            /// The group: a day (YYYY-MM-DD), channel code or department key, as text.
            #[diesel(sql_type = Text)]
            pub grp: String,
            $(#[doc = $doc] #[diesel(sql_type = BigInt)] $field: i64,)*
        }

        impl SumRow {
            /// The sums as counts.
            pub fn counts(&self) -> Counts {
                Counts { $($field: self.$field,)* overdue_open: 0 }
            }
        }
    };
}

crate::with_measures!(define_sum_row);

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
pub(super) type Boxed = diesel::query_builder::BoxedSqlQuery<
    'static,
    <DbConnection as diesel::Connection>::Backend,
    diesel::query_builder::SqlQuery,
>;

/// The conditions a scope adds, with placeholders from `marks[next..]`.
pub(super) fn scope_conditions(
    scope: &Scope,
    department_column: &str,
    marks: &[String],
    mut next: usize,
) -> String {
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
pub(super) fn bind_scope(mut query: Boxed, scope: &Scope) -> Boxed {
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
    let (whole, days) = month_parts(scope.from, scope.to);
    let Some((first_whole, after_whole)) = whole.filter(|_| grouping != Grouping::Key) else {
        return sums_in(conn, daily, scope.from, scope.to, scope, grouping);
    };
    let mut rows = sums_in(conn, monthly, first_whole, after_whole, scope, grouping)?;
    for (from, to) in days {
        rows.extend(sums_in(conn, daily, from, to, scope, grouping)?);
    }
    Ok(rows)
}

/// Days [from, to).
pub(super) type Days = (NaiveDate, NaiveDate);

/// The days [from, to) as the whole months they hold, if any, and the days
/// before and after those months: a table per month answers the first, a
/// table per day the others. No whole month: `(None, [(from, to)])`.
pub(super) fn month_parts(from: NaiveDate, to: NaiveDate) -> (Option<Days>, Vec<Days>) {
    let first_whole =
        if from.day() == 1 { from } else { month_of(from).checked_add_months(Months::new(1)).unwrap_or(to) };
    let after_whole = month_of(to);
    if first_whole >= after_whole {
        return (None, vec![(from, to)]);
    }
    let days = [(from, first_whole), (after_whole, to)].into_iter().filter(|(f, t)| f < t).collect();
    (Some((first_whole, after_whole)), days)
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
        measure_names().iter().map(|m| format!("CAST(COALESCE(SUM({m}), 0) AS BIGINT) AS {m}")).collect();
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

/// How `measure` is counted from the cases themselves, as they stood at
/// the instant bound at `as_of_mark`: closed and rated no later than then.
/// The SQL twin of `domain::figures::contribution`.
fn recount_expression(measure: Measure, as_of_mark: &str) -> String {
    let closed = format!("(state = '{}' AND closed_at <= {as_of_mark})", CaseState::Closed.as_str());
    // Both backends read TRUE as a boolean literal (SQLite since 3.23).
    let sql_true = "TRUE";
    // A rating 核减 by then counts in no rating measure, only as excluded.
    let rated = format!(
        "(rated_at <= {as_of_mark} AND (rating_excluded_at IS NULL OR rating_excluded_at > {as_of_mark}))"
    );
    let excluded = format!("(rated_at <= {as_of_mark} AND rating_excluded_at <= {as_of_mark})");
    let count = |condition: String| {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    let total =
        |expr: &str| format!("CAST(COALESCE(SUM(CASE WHEN {closed} THEN {expr} ELSE 0 END), 0) AS BIGINT)");
    // A level as counted: 非常满意 with 满意, 非常不满意 with 不满意
    // (`Rating::counted_as`); `exactly` for the outer levels themselves.
    let rating_is = |column: &str, value: Rating| {
        let levels: Vec<String> = Rating::ALL
            .iter()
            .filter(|r| r.counted_as() == value)
            .map(|r| format!("'{}'", r.as_str()))
            .collect();
        count(format!("{closed} AND {rated} AND {column} IN ({})", levels.join(", ")))
    };
    let exactly = |column: &str, value: Rating| {
        count(format!("{closed} AND {rated} AND {column} = '{}'", value.as_str()))
    };
    match measure {
        Measure::Received => count(format!("state <> '{}'", CaseState::Merged.as_str())),
        Measure::Merged => count(format!("state = '{}'", CaseState::Merged.as_str())),
        Measure::Closed => count(closed.clone()),
        Measure::ClosedOnTime => count(format!("{closed} AND closed_at <= due_at")),
        Measure::HandlingSeconds => total("COALESCE(handling_seconds, 0)"),
        Measure::HandlingWorkdays => total("COALESCE(handling_workdays, 0)"),
        Measure::Rated => count(format!("{closed} AND {rated} AND rating IS NOT NULL")),
        Measure::Satisfied => rating_is("rating", Rating::Satisfied),
        Measure::BasicallySatisfied => rating_is("rating", Rating::BasicallySatisfied),
        Measure::Unsatisfied => rating_is("rating", Rating::Unsatisfied),
        Measure::ResultRated => count(format!("{closed} AND {rated} AND result_rating IS NOT NULL")),
        Measure::ResultSatisfied => rating_is("result_rating", Rating::Satisfied),
        Measure::ResultBasicallySatisfied => rating_is("result_rating", Rating::BasicallySatisfied),
        Measure::ResultUnsatisfied => rating_is("result_rating", Rating::Unsatisfied),
        Measure::ReopenedClosed => count(format!("{closed} AND reopen_count > 0")),
        Measure::VerySatisfied => exactly("rating", Rating::VerySatisfied),
        Measure::VeryUnsatisfied => exactly("rating", Rating::VeryUnsatisfied),
        // The callback's state as it stands: its history is in the event
        // log, not in columns, so an earlier `as_of` counts the callbacks
        // ended by then among those needed now.
        Measure::CallbacksNeeded => count(format!(
            "{closed} AND callback_state IS NOT NULL AND callback_state <> '{}'",
            CallbackState::NotNeeded.as_str()
        )),
        Measure::CallbacksMade => count(format!(
            "{closed} AND callback_state IN ('{}', '{}') AND callback_at <= {as_of_mark}",
            CallbackState::Done.as_str(),
            CallbackState::Unreachable.as_str()
        )),
        Measure::ResolvedAnswered => {
            count(format!("{closed} AND {rated} AND rating IS NOT NULL AND resolved IS NOT NULL"))
        }
        Measure::ResolvedYes => {
            count(format!("{closed} AND {rated} AND rating IS NOT NULL AND resolved = {}", sql_true))
        }
        Measure::RatingsExcluded => count(format!("{closed} AND {excluded} AND rating IS NOT NULL")),
        // Counted from the assignments ([`assignment_expression`]).
        Measure::Assignments | Measure::AcceptedOnTime | Measure::Returns => "CAST(0 AS BIGINT)".to_owned(),
    }
}

/// How `measure` is counted from the assignments as they stood at the
/// instant bound at `as_of_mark`; the case measures are nothing there.
/// The SQL twin of `db::assignments`' bookkeeping.
fn assignment_expression(measure: Measure, as_of_mark: &str) -> String {
    let count = |condition: String| {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    match measure {
        Measure::Assignments => "CAST(COUNT(*) AS BIGINT)".to_owned(),
        Measure::AcceptedOnTime => {
            count(format!("accepted_at <= {as_of_mark} AND accepted_at <= accept_due_at"))
        }
        Measure::Returns => count(format!("returned_at <= {as_of_mark}")),
        _ => "CAST(0 AS BIGINT)".to_owned(),
    }
}

/// The assignments' sums, grouped as [`recount`] groups the cases', as they
/// stood at `as_of`: assigned no later than then, for cases received in the scope.
fn recount_assignments(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    as_of: NaiveDateTime,
) -> QueryResult<Vec<SumRow>> {
    let grp = group_expr(conn, grouping, "received_day", "department_id");
    let marks = placeholders(conn, 1, 5);
    let columns: Vec<String> = Measure::ALL
        .iter()
        .map(|m| format!("{} AS {}", assignment_expression(*m, &marks[0]), m.name()))
        .collect();
    let mut sql = format!(
        "SELECT {grp} AS grp, {} FROM assignments WHERE assigned_at <= {} AND received_day >= {} AND received_day < {}",
        columns.join(", "),
        marks[0],
        marks[1],
        marks[2],
    );
    sql.push_str(&scope_conditions(scope, "department_id", &marks, 3));
    if grouping != Grouping::Total {
        sql.push_str(&format!(" GROUP BY {grp}"));
    }
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamp, _>(as_of)
        .bind::<Date, _>(scope.from)
        .bind::<Date, _>(scope.to);
    let query = bind_scope(query, scope);
    query.load(conn)
}

/// Every measure's recount, named as its column.
fn measure_columns(as_of_mark: &str) -> Vec<String> {
    Measure::ALL.iter().map(|m| format!("{} AS {}", recount_expression(*m, as_of_mark), m.name())).collect()
}

/// Every measure's column name.
fn measure_names() -> Vec<&'static str> {
    Measure::ALL.iter().map(|m| m.name()).collect()
}

/// The same sums counted from the cases themselves (and their assignments),
/// as they stood at `as_of` (closed, and rated, no later than then; received
/// no later than then); a group may come in two rows. Serves figures asked
/// for an earlier time, and checks the rollups.
pub fn recount(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    as_of: NaiveDateTime,
) -> QueryResult<Vec<SumRow>> {
    let grp = group_expr(conn, grouping, received_day(conn), "COALESCE(department_id, 0)");
    let marks = placeholders(conn, 1, 6);
    let mut sql = format!(
        "SELECT {grp} AS grp, {} FROM cases WHERE state <> '{invalid}' AND received_at >= {} AND received_at < {} AND received_at <= {}",
        measure_columns(&marks[0]).join(", "),
        marks[1],
        marks[2],
        marks[0],
        invalid = CaseState::Invalid.as_str(),
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
    let mut rows: Vec<SumRow> = query.load(conn)?;
    rows.extend(recount_assignments(conn, scope, grouping, as_of)?);
    Ok(rows)
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
    let open: Vec<String> =
        CaseState::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
    let mut sql = format!(
        "SELECT {grp} AS grp, CAST(COUNT(*) AS BIGINT) AS count FROM cases{index} \
         WHERE state IN ({}) AND suspended = {not_suspended} \
         AND due_at < {} AND received_at >= {} AND received_at < {}",
        open.join(", "),
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
         SELECT {}, channel, COALESCE(department_id, 0), {} FROM cases WHERE state <> '{}' \
         GROUP BY {}, channel, COALESCE(department_id, 0)",
        measure_names().join(", "),
        received_day(conn),
        measure_columns(&marks[0]).join(", "),
        CaseState::Invalid.as_str(),
        received_day(conn),
    );
    let far_future =
        NaiveDate::from_ymd_opt(9999, 1, 1).unwrap_or(NaiveDate::MAX).and_time(chrono::NaiveTime::MIN);
    let written = diesel::sql_query(sql).bind::<Timestamp, _>(far_future).execute(conn)?;
    let assigned: Vec<String> = ASSIGNMENT_MEASURES.iter().map(|m| m.name().to_owned()).collect();
    let recounts: Vec<String> =
        ASSIGNMENT_MEASURES.iter().map(|m| assignment_expression(*m, &marks[0])).collect();
    let sets: Vec<String> = assigned.iter().map(|m| format!("{m} = excluded.{m}")).collect();
    // The department of an assignment may hold no case of that day, so its
    // row may not exist yet; where it does, the cases' insert left these at 0.
    // (`WHERE TRUE` lets SQLite parse the upsert after a SELECT.)
    diesel::sql_query(format!(
        "INSERT INTO case_rollups (received_day, channel, department_key, {}) \
         SELECT received_day, channel, department_id, {} FROM assignments WHERE TRUE \
         GROUP BY received_day, channel, department_id \
         ON CONFLICT (received_day, channel, department_key) DO UPDATE SET {}",
        assigned.join(", "),
        recounts.join(", "),
        sets.join(", "),
    ))
    .bind::<Timestamp, _>(far_future)
    .execute(conn)?;
    let month = match conn {
        DbConnection::Pg(_) => "CAST(date_trunc('month', received_day) AS DATE)",
        DbConnection::Sqlite(_) => "date(received_day, 'start of month')",
    };
    let sums: Vec<String> = measure_names().iter().map(|m| format!("SUM({m})")).collect();
    diesel::sql_query(format!(
        "INSERT INTO case_rollups_monthly (received_month, channel, department_key, {}) \
         SELECT {month}, channel, department_key, {} FROM case_rollups GROUP BY {month}, channel, department_key",
        measure_names().join(", "),
        sums.join(", "),
    ))
    .execute(conn)?;
    super::topics::rebuild(conn)?;
    Ok(written)
}

/// Whether any rollup row exists.
pub fn is_empty(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(case_rollups::table.count().get_result::<i64>(conn)? == 0)
}

/// How a breakdown groups the sums.
fn grouping(breakdown: Breakdown) -> Grouping {
    match breakdown {
        Breakdown::Total => Grouping::Total,
        Breakdown::Channel => Grouping::Channel,
        Breakdown::Department => Grouping::Department,
        Breakdown::Month => Grouping::Month,
    }
}

/// Sums per group for `scope`, counted as of `as_of`, with the live count of
/// overdue open cases. Figures as of now (or later) come from the rollups;
/// an earlier `as_of` recounts from the cases.
pub fn counts(
    conn: &mut DbConnection,
    scope: &Scope,
    breakdown: Breakdown,
    as_of: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<BTreeMap<String, Counts>> {
    let grouping = grouping(breakdown);
    // The period may end after as_of; sums beyond it are empty anyway.
    let rows =
        if as_of >= now { sums(conn, scope, grouping)? } else { recount(conn, scope, grouping, as_of)? };
    let group_of = |key: &str| -> String {
        match breakdown {
            Breakdown::Month => key.get(..7).unwrap_or(key).to_owned(),
            Breakdown::Total => "all".to_owned(),
            _ => key.to_owned(),
        }
    };
    let mut grouped: BTreeMap<String, Counts> = BTreeMap::new();
    for row in rows {
        *grouped.entry(group_of(&row.grp)).or_default() += row.counts();
    }
    for row in overdue_open(conn, scope, grouping, as_of)? {
        grouped.entry(group_of(&row.grp)).or_default().overdue_open += row.count;
    }
    Ok(grouped)
}

/// Gives closed cases from before handling times were stored their handling
/// time, and builds the rollups when there are cases but no rollups yet.
/// Runs at start and in `casedesk migrate`; idempotent. Returns the cases
/// given a handling time.
pub fn backfill(conn: &mut DbConnection) -> QueryResult<usize> {
    let missing = super::cases::closed_without_handling_time(conn)?;
    let calendar = if missing.is_empty() { Calendar::default() } else { super::calendar::load(conn)? };
    for case in &missing {
        let Some(closed_at) = case.closed_at else { continue };
        let (seconds, workdays) = handling_time(&calendar, case.received_at, closed_at);
        super::cases::set_handling_time(conn, case.id, seconds, workdays)?;
    }
    if !missing.is_empty() || (super::cases::any(conn)? && is_empty(conn)?) {
        rebuild(conn)?;
    }
    Ok(missing.len())
}
