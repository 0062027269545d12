//! Deadlines of cases: due dates at registration, extensions, clock pauses,
//! the background task that records `due_soon` and `overdue` events, and the
//! backfill of cases registered before due dates existed. The arithmetic is
//! `domain::calendar`; this module applies it to stored cases.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::db::models::{Case, Channel, NewCaseEvent};
use crate::db::schema::cases;
use crate::db::{self, Db, DbConnection};
use crate::domain::calendar::{end_of_day, Calendar, LimitUnit, TimeLimit};
use crate::domain::lifecycle::CaseState;
use crate::domain::time;
use crate::error::AppError;
use crate::notify::{self, Notice};

/// How often the background task looks for cases due soon or overdue.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(60);
/// A `due_soon` event is recorded when this many working days or fewer remain.
pub const DUE_SOON_WORKDAYS: i64 = 2;
/// Cases examined per scan, to keep each transaction short.
const SCAN_BATCH: i64 = 1000;

fn limit(amount: Option<i32>, unit: Option<&str>) -> Option<TimeLimit> {
    Some(TimeLimit { amount: u32::try_from(amount?).ok()?, unit: LimitUnit::parse(unit?)? })
}

/// A channel's time limit and extension limit.
pub fn channel_limits(channel: &Channel) -> Result<(TimeLimit, TimeLimit), AppError> {
    let base = limit(Some(channel.time_limit), Some(&channel.time_limit_unit));
    let extension = limit(Some(channel.extension_limit), Some(&channel.extension_unit));
    base.zip(extension)
        .ok_or_else(|| AppError::Internal(format!("channel {} has invalid limits", channel.code)))
}

/// The due date of a case received at `received_at` under `time_limit`.
pub fn initial_due(calendar: &Calendar, time_limit: TimeLimit, received_at: NaiveDateTime) -> NaiveDateTime {
    end_of_day(time_limit.due_day(calendar, time::office_date(received_at)))
}

/// The office day a case is due (the day of its `due_at` in Beijing).
pub fn due_day(case: &Case) -> Option<NaiveDate> {
    case.due_at.map(time::office_date)
}

/// The latest due day extensions may reach: the extension limit counted from
/// the original due day, moved on by the working days the case was paused.
pub fn latest_due_day(calendar: &Calendar, case: &Case) -> Option<NaiveDate> {
    let base = limit(case.time_limit, case.time_limit_unit.as_deref())?;
    let extension = limit(case.extension_limit, case.extension_unit.as_deref())?;
    let original = base.due_day(calendar, time::office_date(case.received_at));
    let latest = extension.due_day(calendar, original);
    Some(calendar.add_workdays(latest, u32::try_from(case.paused_workdays).unwrap_or(0)))
}

/// Working days that may still be asked for by extension requests.
pub fn extension_allowance(calendar: &Calendar, case: &Case) -> i64 {
    match (due_day(case), latest_due_day(calendar, case)) {
        (Some(due), Some(latest)) => calendar.workdays_between(due, latest).max(0),
        _ => 0,
    }
}

/// Working days from today (not counted) to the due day (counted): 0 on the
/// due day, negative once overdue. A suspended case's clock stands still, so
/// it keeps what it had on the day it was suspended. `None` for closed or
/// invalid cases and cases without a due date.
pub fn remaining_workdays(calendar: &Calendar, case: &Case, now: NaiveDateTime) -> Option<i64> {
    let clock = CaseClock::of(case);
    clock.remaining_workdays(calendar, now)
}

/// Whether an open case has passed its due date. A suspended case's clock is
/// stopped, so it is not overdue while suspended.
pub fn is_overdue(case: &Case, now: NaiveDateTime) -> bool {
    CaseClock::of(case).is_overdue(now)
}

/// What a case's deadline figures depend on, for full cases and list
/// summaries alike.
#[derive(Debug, Clone, Copy)]
pub struct CaseClock<'a> {
    /// Stored state.
    pub state: &'a str,
    /// End of the due day.
    pub due_at: Option<NaiveDateTime>,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Since when.
    pub suspended_at: Option<NaiveDateTime>,
}

impl<'a> CaseClock<'a> {
    /// The clock of a stored case.
    pub fn of(case: &'a Case) -> CaseClock<'a> {
        CaseClock {
            state: &case.state,
            due_at: case.due_at,
            suspended: case.suspended,
            suspended_at: case.suspended_at,
        }
    }

    fn is_open(&self) -> bool {
        CaseState::parse(self.state).is_some_and(CaseState::is_open)
    }

    /// See [`remaining_workdays`].
    pub fn remaining_workdays(&self, calendar: &Calendar, now: NaiveDateTime) -> Option<i64> {
        if !self.is_open() {
            return None;
        }
        let stopped_at = if self.suspended { self.suspended_at.unwrap_or(now) } else { now };
        Some(calendar.workdays_between(time::office_date(stopped_at), time::office_date(self.due_at?)))
    }

    /// See [`is_overdue`].
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        self.is_open() && !self.suspended && self.due_at.is_some_and(|due| due < now)
    }
}

/// What one scan recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanOutcome {
    /// `due_soon` events written.
    pub due_soon: usize,
    /// `overdue` events written.
    pub overdue: usize,
}

/// Records `overdue` and `due_soon` events due as of `now`, each at most once
/// per case and due date. Safe with several instances: on PostgreSQL only one
/// instance scans at a time (a transaction-scoped advisory lock), and every
/// event is claimed by a conditional update, so even overlapping scans cannot
/// write it twice.
pub fn scan(conn: &mut DbConnection, now: NaiveDateTime) -> Result<ScanOutcome, AppError> {
    if let DbConnection::Pg(_) = conn {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let lock: Locked =
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(7216002) AS locked").get_result(conn)?;
        if !lock.locked {
            return Ok(ScanOutcome::default());
        }
    }
    let open = [CaseState::Registered, CaseState::Assigned, CaseState::Processing, CaseState::Reviewing]
        .map(CaseState::as_str);
    // Two working days can span a long holiday: 30 calendar days is ample.
    let horizon = now + chrono::Duration::days(30);
    let candidates: Vec<Case> = cases::table
        .filter(cases::state.eq_any(open))
        .filter(cases::suspended.eq(false))
        .filter(cases::due_at.lt(now).and(cases::overdue_recorded_at.is_null()).or(
            cases::due_at.ge(now).and(cases::due_at.lt(horizon)).and(cases::due_soon_recorded_at.is_null()),
        ))
        .order(cases::due_at)
        .limit(SCAN_BATCH)
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(ScanOutcome::default());
    }
    let calendar = db::calendar::load(conn)?;
    let mut outcome = ScanOutcome::default();
    for case in candidates {
        let Some(due_at) = case.due_at else { continue };
        let (action, claimed) = if due_at < now {
            let claimed = diesel::update(
                cases::table.filter(cases::id.eq(case.id)).filter(cases::overdue_recorded_at.is_null()),
            )
            .set(cases::overdue_recorded_at.eq(now))
            .execute(conn)?;
            ("overdue", claimed)
        } else if remaining_workdays(&calendar, &case, now).is_some_and(|left| left <= DUE_SOON_WORKDAYS) {
            let claimed = diesel::update(
                cases::table.filter(cases::id.eq(case.id)).filter(cases::due_soon_recorded_at.is_null()),
            )
            .set(cases::due_soon_recorded_at.eq(now))
            .execute(conn)?;
            ("due_soon", claimed)
        } else {
            continue;
        };
        if claimed == 0 {
            continue;
        }
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: case.id,
                action: action.into(),
                actor_id: None,
                at: now,
                from_state: Some(case.state.clone()),
                to_state: Some(case.state.clone()),
                note: None,
                details: Some(
                    json!({
                        "due_at": time::to_office(due_at).to_rfc3339(),
                        "department_id": case.department_id,
                        "remaining_workdays": remaining_workdays(&calendar, &case, now),
                    })
                    .to_string(),
                ),
            },
        )?;
        let notice = if action == "overdue" { Notice::Overdue } else { Notice::DueSoon };
        notify::enqueue(conn, notice, &case, json!({}), now)?;
        match action {
            "overdue" => outcome.overdue += 1,
            _ => outcome.due_soon += 1,
        }
    }
    Ok(outcome)
}

/// Runs [`scan`] every minute on the current runtime.
pub fn spawn(db: Db) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(SCAN_INTERVAL);
        loop {
            interval.tick().await;
            match db.write(|conn| scan(conn, time::now_utc())).await {
                Ok(outcome) if outcome != ScanOutcome::default() => {
                    tracing::info!(
                        due_soon = outcome.due_soon,
                        overdue = outcome.overdue,
                        "deadline events recorded"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "deadline scan failed"),
            }
        }
    });
}

/// Gives cases registered before due dates existed their channel's limits and
/// a due date computed from their receipt. Idempotent: only cases without
/// limits are touched.
pub fn backfill(conn: &mut DbConnection) -> Result<usize, AppError> {
    let pending: Vec<Case> = cases::table.filter(cases::time_limit.is_null()).load(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let calendar = db::calendar::load(conn)?;
    let channels = db::channels::list(conn)?;
    for case in &pending {
        let channel = channels.iter().find(|c| c.code == case.channel).ok_or_else(|| {
            AppError::Internal(format!("case {} has unknown channel {}", case.id, case.channel))
        })?;
        let (base, extension) = channel_limits(channel)?;
        let due_at = initial_due(&calendar, base, case.received_at);
        diesel::update(cases::table.find(case.id))
            .set((
                cases::time_limit.eq(base.amount as i32),
                cases::time_limit_unit.eq(base.unit.as_str()),
                cases::extension_limit.eq(extension.amount as i32),
                cases::extension_unit.eq(extension.unit.as_str()),
                cases::due_at.eq(due_at),
            ))
            .execute(conn)?;
        // A closed case's on-time flag depends on its due date.
        let after = Case { due_at: Some(due_at), ..case.clone() };
        db::rollups::apply(conn, Some(case), Some(&after))?;
    }
    Ok(pending.len())
}
