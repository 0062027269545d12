//! The append-only audit trail of each case.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{CaseEvent, NewCaseEvent};
use super::schema::case_events;
use super::DbConnection;
use crate::domain::event::EventKind;
use crate::domain::ids::CaseId;
use crate::domain::lifecycle::Action;

/// Appends one event.
pub fn append(conn: &mut DbConnection, event: &NewCaseEvent) -> QueryResult<()> {
    super::on_backend!(conn, |c| diesel::insert_into(case_events::table).values(event).execute(c)).map(drop)
}

/// A case's events, oldest first.
pub fn for_case(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<Vec<CaseEvent>> {
    case_events::table.filter(case_events::case_id.eq(case_id)).order(case_events::id).load(conn)
}

/// When the case last had an event of `action`, if ever (e.g. its latest
/// assignment, which opens the department's window to return it).
pub fn latest_at(
    conn: &mut DbConnection,
    case_id: CaseId,
    action: Action,
) -> QueryResult<Option<NaiveDateTime>> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::action.eq(EventKind::Action(action)))
        .select(diesel::dsl::max(case_events::at))
        .get_result(conn)
}

/// Whether a citizen (an event without a staff actor) rated the case at or
/// after `since`.
pub fn citizen_rated_since(
    conn: &mut DbConnection,
    case_id: CaseId,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::action.eq(EventKind::Action(Action::Rate)))
            .filter(case_events::actor_id.is_null())
            .filter(case_events::at.ge(since)),
    ))
    .get_result(conn)
}
