//! Each department's assignments and what it did with them (signed in time,
//! handed back), kept beside the case in the action's transaction, with
//! their sums in the rollups under the assignment's department.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Assignment, Case, NewAssignment};
use super::schema::assignments;
use super::DbConnection;
use crate::domain::figures::{Counts, RollupKey};
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::time;

fn key(assignment: &Assignment) -> RollupKey {
    RollupKey {
        day: assignment.received_day,
        channel: assignment.channel.clone(),
        department: assignment.department_id.0,
    }
}

/// The assignment the case is under: its latest one not handed back and
/// not superseded by another assignment.
pub fn current(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<Option<Assignment>> {
    assignments::table
        .filter(assignments::case_id.eq(case_id))
        .filter(assignments::returned_at.is_null())
        .filter(assignments::ended_at.is_null())
        .order(assignments::id.desc())
        .first(conn)
        .optional()
}

/// Records that `case` (as it stands after the `assign`) went to
/// `department` at `now`, to be signed for by `accept_due_at`: the
/// assignment it was under ends, and the department's assignments grow by one.
pub fn assigned(
    conn: &mut DbConnection,
    case: &Case,
    department: DepartmentId,
    now: NaiveDateTime,
    accept_due_at: NaiveDateTime,
) -> QueryResult<()> {
    ended(conn, case.id, now)?;
    let row = NewAssignment {
        case_id: case.id,
        department_id: department,
        channel: case.channel.clone(),
        received_day: time::office_date(case.received_at),
        assigned_at: now,
        accept_due_at,
    };
    super::on_backend!(conn, |c| diesel::insert_into(assignments::table).values(&row).execute(c))?;
    let key = RollupKey { day: row.received_day, channel: row.channel, department: department.0 };
    super::rollups::add(conn, &key, &Counts { assignments: 1, ..Counts::default() })
}

/// Assignments waiting to be signed for past their `accept_due_at` at
/// `now` and not pressed yet, earliest first (the partial index
/// `assignments_waiting`).
pub fn waiting_past(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Assignment>> {
    assignments::table
        .filter(assignments::accepted_at.is_null())
        .filter(assignments::returned_at.is_null())
        .filter(assignments::ended_at.is_null())
        .filter(assignments::pressed_at.is_null())
        .filter(assignments::accept_due_at.lt(now))
        .order(assignments::accept_due_at)
        .limit(limit)
        .load(conn)
}

/// Claims the automatic 督办 of assignment `id` at `now`; `false` if a scan
/// did already (another instance, or before a restart).
pub fn claim_press(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let claimed = diesel::update(
        assignments::table.filter(assignments::id.eq(id)).filter(assignments::pressed_at.is_null()),
    )
    .set(assignments::pressed_at.eq(now))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Ends the case's current assignment at `now`, neither signed for nor
/// handed back (the case was assigned elsewhere, or merged into another).
pub fn ended(conn: &mut DbConnection, case_id: CaseId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        assignments::table
            .filter(assignments::case_id.eq(case_id))
            .filter(assignments::returned_at.is_null())
            .filter(assignments::ended_at.is_null()),
    )
    .set(assignments::ended_at.eq(now))
    .execute(conn)
    .map(drop)
}

/// Records that the department signed for the case at `now`; on time if by
/// its assignment's `accept_due_at`. A case assigned before assignments were
/// kept has none, and nothing is recorded.
pub fn accepted(conn: &mut DbConnection, case_id: CaseId, now: NaiveDateTime) -> QueryResult<()> {
    let Some(assignment) = current(conn, case_id)? else { return Ok(()) };
    if assignment.accepted_at.is_some() {
        return Ok(());
    }
    diesel::update(assignments::table.find(assignment.id))
        .set(assignments::accepted_at.eq(now))
        .execute(conn)?;
    if now <= assignment.accept_due_at {
        super::rollups::add(conn, &key(&assignment), &Counts { accepted_on_time: 1, ..Counts::default() })?;
    }
    Ok(())
}

/// Records that the department handed the case back at `now`, for a reason
/// of kind `reason_code`.
pub fn returned(
    conn: &mut DbConnection,
    case_id: CaseId,
    now: NaiveDateTime,
    reason_code: Option<&str>,
) -> QueryResult<()> {
    let Some(assignment) = current(conn, case_id)? else { return Ok(()) };
    diesel::update(assignments::table.find(assignment.id))
        .set((assignments::returned_at.eq(now), assignments::return_reason_code.eq(reason_code)))
        .execute(conn)?;
    super::rollups::add(conn, &key(&assignment), &Counts { returns: 1, ..Counts::default() })
}
