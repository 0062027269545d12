//! Reads and writes of import and export (issue 15): pages of whole cases
//! for an export, chosen exactly as the case list chooses them; the import
//! record and its refused rows; the bulk steps of an import batch.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cases::CaseFilter;
use super::models::{Case, ImportCounts, ImportRecord, ImportRefusal, NewCaseEvent, NewImport};
use super::schema::{case_events, cases, import_refusals, imports, tracking_counters};
use super::DbConnection;
use crate::domain::ids::CaseId;

/// One page of an export: whole cases, newest first, with when each was
/// signed for (签收, its last `accept` event), and whether more follow.
#[derive(Debug)]
pub struct ExportPage {
    /// The cases, newest first.
    pub cases: Vec<Case>,
    /// The time of each case's last `accept` event.
    pub accepted_at: HashMap<CaseId, NaiveDateTime>,
    /// The tracking number of the case each merged case was merged into (并入).
    pub merged_into: HashMap<CaseId, String>,
    /// Whether another page follows (below the last id of this one).
    pub more: bool,
}

/// The next `limit` cases of `filter` (its `before_id` is the cursor). The
/// list's own query picks them, so an export holds exactly what the list
/// shows the same caller; the whole rows are then read by id.
pub fn export_page(conn: &mut DbConnection, filter: &CaseFilter, limit: i64) -> QueryResult<ExportPage> {
    let (summaries, more) = super::cases::list(conn, filter, limit)?;
    let ids: Vec<CaseId> = summaries.iter().map(|s| s.id).collect();
    if ids.is_empty() {
        return Ok(ExportPage {
            cases: Vec::new(),
            accepted_at: HashMap::new(),
            merged_into: HashMap::new(),
            more: false,
        });
    }
    let cases: Vec<Case> = super::on_backend!(conn, |c| cases::table
        .filter(cases::id.eq_any(&ids))
        .order(cases::id.desc())
        .select(Case::as_select())
        .load(c))?;
    let accepts: Vec<(CaseId, NaiveDateTime)> = super::on_backend!(conn, |c| case_events::table
        .filter(case_events::case_id.eq_any(&ids))
        .filter(case_events::action.eq("accept"))
        .order(case_events::id)
        .select((case_events::case_id, case_events::at))
        .load(c))?;
    // Oldest first, so the last one of each case stays.
    let accepted_at = accepts.into_iter().collect();
    let parents: Vec<CaseId> = cases.iter().filter_map(|c| c.merged_into).collect();
    let numbers: HashMap<CaseId, String> = if parents.is_empty() {
        HashMap::new()
    } else {
        super::on_backend!(conn, |c| cases::table
            .filter(cases::id.eq_any(&parents))
            .select((cases::id, cases::tracking_no))
            .load::<(CaseId, String)>(c))?
        .into_iter()
        .collect()
    };
    let merged_into =
        cases.iter().filter_map(|c| Some((c.id, numbers.get(&c.merged_into?)?.clone()))).collect();
    Ok(ExportPage { cases, accepted_at, merged_into, more })
}

/// The cases an import's 并入 may name: those numbered `reference`, or
/// imported under it as their external reference (an exported case's 编号
/// becomes its 外部编号 when imported elsewhere). At most two: more than one
/// is ambiguous.
pub fn merge_parents(conn: &mut DbConnection, reference: &str) -> QueryResult<Vec<Case>> {
    super::on_backend!(conn, |c| cases::table
        .filter(cases::tracking_no.eq(reference).or(cases::external_ref.eq(reference)))
        .order(cases::id)
        .limit(2)
        .select(Case::as_select())
        .load(c))
}

/// Puts a newly imported merged case under its parent.
pub fn set_merged_into(conn: &mut DbConnection, case: CaseId, parent: CaseId) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(case)))
        .set(cases::merged_into.eq(Some(parent)))
        .execute(conn)
        .map(drop)
}

/// Records the start of an import.
pub fn create_import(conn: &mut DbConnection, new: &NewImport) -> QueryResult<ImportRecord> {
    super::on_backend!(conn, |c| diesel::insert_into(imports::table).values(new).get_result(c))
}

/// One import record.
pub fn find_import(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ImportRecord>> {
    imports::table.find(id).get_result(conn).optional()
}

/// Adds a batch's counts to the import record, in the batch's transaction,
/// so that the record says what was committed even if the run dies.
pub fn add_counts(conn: &mut DbConnection, id: i64, counts: &ImportCounts) -> QueryResult<()> {
    diesel::update(imports::table.find(id))
        .set((
            imports::rows_total.eq(imports::rows_total + counts.rows),
            imports::rows_new.eq(imports::rows_new + counts.new),
            imports::rows_updated.eq(imports::rows_updated + counts.updated),
            imports::rows_unchanged.eq(imports::rows_unchanged + counts.unchanged),
            imports::rows_refused.eq(imports::rows_refused + counts.refused),
        ))
        .execute(conn)
        .map(drop)
}

/// Ends an import: `finished`, or `failed` with the reason.
pub fn finish_import(
    conn: &mut DbConnection,
    id: i64,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let state = if error.is_some() { "failed" } else { "finished" };
    diesel::update(imports::table.find(id))
        .set((imports::state.eq(state), imports::error.eq(error), imports::finished_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Stores refused rows.
pub fn insert_refusals(conn: &mut DbConnection, refusals: &[ImportRefusal]) -> QueryResult<()> {
    for refusal in refusals {
        diesel::insert_into(import_refusals::table).values(refusal).execute(conn)?;
    }
    Ok(())
}

/// The rows an import refused, in file order.
pub fn refusals(conn: &mut DbConnection, import_id: i64) -> QueryResult<Vec<ImportRefusal>> {
    import_refusals::table
        .filter(import_refusals::import_id.eq(import_id))
        .order((import_refusals::line, import_refusals::id))
        .select(ImportRefusal::as_select())
        .load(conn)
}

/// The cases a channel holds under any of `refs`.
pub fn by_external_refs(conn: &mut DbConnection, channel: &str, refs: &[String]) -> QueryResult<Vec<Case>> {
    super::on_backend!(conn, |c| cases::table
        .filter(cases::channel.eq(channel))
        .filter(cases::external_ref.eq_any(refs))
        .select(Case::as_select())
        .load(c))
}

/// The cases with these tracking numbers.
pub fn by_tracking_nos(conn: &mut DbConnection, numbers: &[String]) -> QueryResult<Vec<Case>> {
    super::on_backend!(conn, |c| cases::table
        .filter(cases::tracking_no.eq_any(numbers))
        .select(Case::as_select())
        .load(c))
}

/// Takes `n` consecutive sequence numbers of a channel's year at once;
/// returns the first. The counter row stays locked until the transaction
/// ends, as with [`super::cases::next_sequence`], so the numbers stay
/// gap-free.
pub fn take_sequences(conn: &mut DbConnection, channel: &str, year: i32, n: i32) -> QueryResult<i32> {
    let last = super::cases::next_sequence(conn, channel, year)?;
    if n > 1 {
        diesel::update(tracking_counters::table.find((channel, year)))
            .set(tracking_counters::last_seq.eq(tracking_counters::last_seq + (n - 1)))
            .execute(conn)?;
    }
    Ok(last)
}

/// Appends events: one statement per thousand on PostgreSQL, one per event
/// on SQLite (where statements cost no round trip).
pub fn append_events(conn: &mut DbConnection, events: &[NewCaseEvent]) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            for chunk in events.chunks(1000) {
                diesel::insert_into(case_events::table).values(chunk).execute(c)?;
            }
            Ok(())
        }
        DbConnection::Sqlite(c) => {
            for event in events {
                diesel::insert_into(case_events::table).values(event).execute(c)?;
            }
            Ok(())
        }
    }
}

/// Marks deadline events as recorded, so that the deadline scan sends
/// nothing about what an import brought in: history is quiet. `passed`
/// cases were already overdue (both events), `soon` ones due within the
/// due-soon window (that event only; the overdue one still comes if the
/// case is still open when its time passes).
pub fn quiet_deadlines(
    conn: &mut DbConnection,
    passed: &[CaseId],
    soon: &[CaseId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if !passed.is_empty() {
        diesel::update(cases::table.filter(cases::id.eq_any(passed)))
            .set((cases::due_soon_recorded_at.eq(now), cases::overdue_recorded_at.eq(now)))
            .execute(conn)?;
    }
    if !soon.is_empty() {
        diesel::update(cases::table.filter(cases::id.eq_any(soon)))
            .set(cases::due_soon_recorded_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets how often an imported case was reopened (not among the columns an
/// insert of history carries, and rarely above zero).
pub fn set_reopen_count(conn: &mut DbConnection, id: CaseId, count: i32) -> QueryResult<()> {
    diesel::update(cases::table.find(id)).set(cases::reopen_count.eq(count)).execute(conn).map(drop)
}
