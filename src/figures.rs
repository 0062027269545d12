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
        Breakdown::Month => Grouping::Month,
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
    for row in rollups::overdue_open(conn, scope, grouping, as_of)? {
        grouped.entry(group_of(&row.grp)).or_default().overdue_open += row.count;
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
