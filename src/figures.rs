//! Statistics as the API and the report need them: the database's sums for a
//! scope and period, grouped, with the live count of overdue open cases, and
//! turned into figures by `domain::figures`.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::models::Case;
use crate::db::rollups::{self, Grouping, Scope};
use crate::db::schema::cases;
use crate::db::{self, DbConnection};
use crate::domain::figures::Counts;
use crate::domain::lifecycle::CaseState;
use crate::domain::time;
use crate::error::AppError;

/// How figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// One total.
    Total,
    /// Per channel (code).
    Channel,
    /// Per department (id as text; `0` for unassigned).
    Department,
    /// Per month of receipt (`YYYY-MM`).
    Month,
}

/// The same scope a year earlier (Feb 29 falls back to Feb 28).
pub fn year_earlier(scope: &Scope) -> Scope {
    let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
    Scope { from: back(scope.from), to: back(scope.to), ..scope.clone() }
}

/// Sums per group for `scope`, counted as of `as_of`. Figures as of now (or
/// later) come from the rollups; an earlier `as_of` recounts from the cases.
pub fn counts(
    conn: &mut DbConnection,
    scope: &Scope,
    breakdown: Breakdown,
    as_of: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<BTreeMap<String, Counts>, AppError> {
    let grouping = match breakdown {
        Breakdown::Total => Grouping::Total,
        Breakdown::Channel => Grouping::Channel,
        Breakdown::Department => Grouping::Department,
        Breakdown::Month => Grouping::Day,
    };
    // The period may end after as_of; sums beyond it are empty anyway.
    let rows = if as_of >= now {
        rollups::sums(conn, scope, grouping)?
    } else {
        rollups::recount(conn, scope, grouping, as_of)?
    };
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
    for (group, overdue) in overdue_open(conn, scope, breakdown, as_of)? {
        grouped.entry(group).or_default().overdue_open += overdue;
    }
    Ok(grouped)
}

/// Open, running cases received in the scope whose due time passed before
/// `as_of`, per group. Open cases are few, so this is counted live.
fn overdue_open(
    conn: &mut DbConnection,
    scope: &Scope,
    breakdown: Breakdown,
    as_of: NaiveDateTime,
) -> Result<BTreeMap<String, i64>, AppError> {
    let open = [CaseState::Registered, CaseState::Assigned, CaseState::Processing, CaseState::Reviewing]
        .map(CaseState::as_str);
    let mut query = cases::table
        .filter(cases::state.eq_any(open))
        .filter(cases::suspended.eq(false))
        .filter(cases::due_at.lt(as_of))
        .filter(cases::received_at.ge(time::start_of_office_day(scope.from)))
        .filter(cases::received_at.lt(time::start_of_office_day(scope.to)))
        .select((cases::channel, cases::department_id, cases::received_at))
        .into_boxed();
    if let Some(channel) = &scope.channel {
        query = query.filter(cases::channel.eq(channel.clone()));
    }
    if let Some(department) = scope.department {
        query = if department == 0 {
            query.filter(cases::department_id.is_null())
        } else {
            query.filter(cases::department_id.eq(department))
        };
    }
    let rows: Vec<(String, Option<i64>, NaiveDateTime)> = query.load(conn)?;
    let mut grouped = BTreeMap::new();
    for (channel, department, received_at) in rows {
        let group = match breakdown {
            Breakdown::Total => "all".to_owned(),
            Breakdown::Channel => channel,
            Breakdown::Department => department.unwrap_or(0).to_string(),
            Breakdown::Month => time::office_date(received_at).format("%Y-%m").to_string(),
        };
        *grouped.entry(group).or_insert(0) += 1;
    }
    Ok(grouped)
}

/// Gives closed cases from before handling times were stored their handling
/// time, and builds the rollups when there are cases but no rollups yet.
/// Runs at start and in `casedesk migrate`; idempotent.
pub fn backfill(conn: &mut DbConnection) -> Result<usize, AppError> {
    let missing: Vec<Case> = cases::table
        .filter(cases::state.eq("closed"))
        .filter(cases::handling_seconds.is_null())
        .load(conn)?;
    if !missing.is_empty() {
        let calendar = db::calendar::load(conn)?;
        for case in &missing {
            let Some(closed_at) = case.closed_at else { continue };
            let workdays = calendar
                .workdays_between(time::office_date(case.received_at), time::office_date(closed_at))
                .max(0);
            diesel::update(cases::table.find(case.id))
                .set((
                    cases::handling_seconds.eq((closed_at - case.received_at).num_seconds().max(0)),
                    cases::handling_workdays.eq(workdays as i32),
                ))
                .execute(conn)?;
        }
    }
    let has_cases = cases::table.select(cases::id).first::<i64>(conn).optional()?.is_some();
    if !missing.is_empty() || (has_cases && rollups::is_empty(conn)?) {
        rollups::rebuild(conn)?;
    }
    Ok(missing.len())
}
