//! A case's audit events as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::event::EventKind;
use crate::domain::ids::{CaseId, UserId};
use crate::domain::lifecycle::CaseState;

/// One entry of a case's audit trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_events)]
pub struct CaseEvent {
    /// Key; increases with time.
    pub id: i64,
    /// The case.
    pub case_id: CaseId,
    /// Action name (or a system event such as `register`).
    pub action: EventKind,
    /// Who acted; none for citizens and the system.
    pub actor_id: Option<UserId>,
    pub at: NaiveDateTime,
    /// State before.
    pub from_state: Option<CaseState>,
    /// State after.
    pub to_state: Option<CaseState>,
    /// Free text.
    pub note: Option<String>,
    /// JSON object with action-specific details.
    pub details: Option<String>,
}

/// An event to append.
#[derive(Debug, Insertable)]
#[diesel(table_name = case_events)]
pub struct NewCaseEvent {
    /// The case.
    pub case_id: CaseId,
    /// Action name.
    pub action: EventKind,
    /// Who acted.
    pub actor_id: Option<UserId>,
    pub at: NaiveDateTime,
    /// State before.
    pub from_state: Option<CaseState>,
    /// State after.
    pub to_state: Option<CaseState>,
    /// Free text.
    pub note: Option<String>,
    /// JSON details.
    pub details: Option<String>,
}
