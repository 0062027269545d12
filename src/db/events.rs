//! The append-only audit trail of each case.

use diesel::prelude::*;

use super::models::{CaseEvent, NewCaseEvent};
use super::schema::case_events;
use super::DbConnection;
use crate::domain::ids::CaseId;

/// Appends one event.
pub fn append(conn: &mut DbConnection, event: &NewCaseEvent) -> QueryResult<()> {
    super::on_backend!(conn, |c| diesel::insert_into(case_events::table).values(event).execute(c)).map(drop)
}

/// A case's events, oldest first.
pub fn for_case(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<Vec<CaseEvent>> {
    case_events::table.filter(case_events::case_id.eq(case_id)).order(case_events::id).load(conn)
}
