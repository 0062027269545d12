//! The deadline shell: the background task that records `due_soon` and
//! `overdue` events, and the backfill of cases registered before due dates
//! existed. The rules (due days, remaining working days, overdue) are
//! `domain::case`; the queries are `db::cases`.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::cases::DeadlineEvent;
use crate::db::models::NewCaseEvent;
use crate::db::{self, Db, DbConnection};
use crate::domain::case::initial_due;
use crate::domain::event::EventKind;
use crate::domain::lifecycle::Action;
use crate::domain::time;
use crate::error::AppError;
use crate::notify::{self, Notice};

/// How often the background task looks for cases due soon or overdue.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(60);
/// A `due_soon` event is recorded when this many working days or fewer remain.
pub const DUE_SOON_WORKDAYS: i64 = 2;
/// Cases examined per scan, to keep each transaction short.
const SCAN_BATCH: i64 = 1000;

/// What one scan recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanOutcome {
    /// `due_soon` events written.
    pub due_soon: usize,
    /// `overdue` events written.
    pub overdue: usize,
    /// Automatic 督办 of cases not signed for in time.
    pub accept_overdue: usize,
}

/// The note of the automatic 督办 of a case not signed for in time.
pub const ACCEPT_OVERDUE_NOTE: &str = "签收超时";

/// Records `overdue` and `due_soon` events due as of `now`, each at most once
/// per case and due date. Safe with several instances: on PostgreSQL only one
/// instance scans at a time (a transaction-scoped advisory lock), and every
/// event is claimed by a conditional update, so even overlapping scans cannot
/// write it twice.
pub fn scan(conn: &mut DbConnection, now: NaiveDateTime) -> Result<ScanOutcome, AppError> {
    if !db::locks::try_transaction_lock(conn, db::locks::DEADLINE_SCAN)? {
        return Ok(ScanOutcome::default());
    }
    let mut outcome =
        ScanOutcome { accept_overdue: press_late_signatures(conn, now)?, ..ScanOutcome::default() };
    // Two working days can span a long holiday: 30 calendar days is ample.
    let horizon = now + chrono::Duration::days(30);
    let candidates = db::cases::deadline_candidates(conn, now, horizon, SCAN_BATCH)?;
    if candidates.is_empty() {
        return Ok(outcome);
    }
    let calendar = db::calendar::load(conn)?;
    for case in candidates {
        let Some(due_at) = case.due_at else { continue };
        let remaining = case.facts().clock().remaining_workdays(&calendar, now);
        let event = if due_at < now {
            DeadlineEvent::Overdue
        } else if remaining.is_some_and(|left| left <= DUE_SOON_WORKDAYS) {
            DeadlineEvent::DueSoon
        } else {
            continue;
        };
        if !db::cases::claim_deadline_event(conn, case.id, event, now)? {
            continue;
        }
        let (action, notice) = match event {
            DeadlineEvent::Overdue => (EventKind::Overdue, Notice::Overdue),
            DeadlineEvent::DueSoon => (EventKind::DueSoon, Notice::DueSoon),
        };
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: case.id,
                action,
                actor_id: None,
                at: now,
                from_state: Some(case.state),
                to_state: Some(case.state),
                note: None,
                details: Some(
                    json!({
                        "due_at": time::to_office(due_at).to_rfc3339(),
                        "department_id": case.department_id,
                        "remaining_workdays": remaining,
                    })
                    .to_string(),
                ),
            },
        )?;
        notify::enqueue(conn, notice, &case, json!({}), now)?;
        match event {
            DeadlineEvent::Overdue => outcome.overdue += 1,
            DeadlineEvent::DueSoon => outcome.due_soon += 1,
        }
    }
    Ok(outcome)
}

/// Gives each assignment not signed for by its `accept_due_at` one
/// automatic 督办 (a `supervise` event without an actor, note
/// [`ACCEPT_OVERDUE_NOTE`]) and one mail to the department, claimed on the
/// assignment so that no scan writes it twice. Cases assigned before
/// assignments were kept (and imported ones) have none and are left alone.
fn press_late_signatures(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let mut pressed = 0;
    for assignment in db::assignments::waiting_past(conn, now, SCAN_BATCH)? {
        if !db::assignments::claim_press(conn, assignment.id, now)? {
            continue;
        }
        let Some(after) = db::cases::press_for_signature(conn, assignment.case_id, now, ACCEPT_OVERDUE_NOTE)?
        else {
            continue;
        };
        let accept_due_at = time::to_office(assignment.accept_due_at).to_rfc3339();
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: after.id,
                action: EventKind::Action(Action::Supervise),
                actor_id: None,
                at: now,
                from_state: Some(after.state),
                to_state: Some(after.state),
                note: Some(ACCEPT_OVERDUE_NOTE.to_owned()),
                details: Some(
                    json!({
                        "automatic": true,
                        "supervision_count": after.supervision_count,
                        "department_id": assignment.department_id,
                        "accept_due_at": accept_due_at,
                    })
                    .to_string(),
                ),
            },
        )?;
        let note = format!(
            "{ACCEPT_OVERDUE_NOTE}：应于 {} 前签收，请即签收；如非本单位职责，请在退单时限内退单",
            accept_due_at.get(..16).unwrap_or("").replace('T', " ")
        );
        notify::enqueue(conn, Notice::Supervised, &after, json!({ "note": note }), now)?;
        pressed += 1;
    }
    Ok(pressed)
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
                        accept_overdue = outcome.accept_overdue,
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
    let pending = db::cases::without_limits(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let calendar = db::calendar::load(conn)?;
    let channels = db::channels::list(conn)?;
    for case in &pending {
        let limits =
            channels.iter().find(|c| c.code == case.channel).and_then(|c| c.limits()).ok_or_else(|| {
                AppError::Internal(format!("case {} has unknown channel or limits {}", case.id, case.channel))
            })?;
        let due_at = initial_due(&calendar, limits.0, case.received_at);
        db::cases::set_limits(conn, case.id, limits, due_at)?;
        // A closed case's on-time flag depends on its due date.
        let after = crate::db::models::Case { due_at: Some(due_at), ..case.clone() };
        db::rollups::apply(conn, Some(case), Some(&after))?;
    }
    Ok(pending.len())
}
