//! Import: rows of a spreadsheet into cases with their history, in batches
//! of one transaction each (the cases, their events, the rollups, the
//! refused rows and the import record's counts commit together), so that a
//! crash mid-file loses nothing and a re-run finishes the job: rows already
//! in are `unchanged` the second time.
//!
//! History is quiet: no mail is queued, no query code is shown, and the
//! deadline events of cases that were already overdue (or due soon) when
//! they came in are marked recorded, so the deadline scan says nothing
//! about them either.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::limits::MAX_BATCH_TEXT_BYTES;
use super::read::{ReadError, Row, Rows};
use crate::db::models::ImportCounts;
use crate::db::models::{
    Case, CaseChanges, Channel, ImportRecord, ImportRefusal, NewCaseEvent, NewCaseRow, NewImport,
};
use crate::db::{self, Db, DbConnection};
use crate::domain::calendar::{end_of_day, Calendar};
use crate::domain::callback::CallbackState;
use crate::domain::case::{handling_time, initial_due};
use crate::domain::event::EventKind;
use crate::domain::figures::{contribution, Counts, RollupKey};
use crate::domain::ids::{CaseId, UserId};
use crate::domain::import::{
    compare, parse_row, ChannelRef, DepartmentRef, HeaderMap, ImportRow, Outcome, References, RowErrors,
    Stored,
};
use crate::domain::intake;
use crate::domain::lifecycle::{Action, CaseState};
use crate::domain::rating::RatingSource;
use crate::domain::rectification::RectificationState;
use crate::domain::time;
use crate::domain::transfer::{neutralise_csv_cell, Cell, Column};
use crate::domain::validation::Rule;
use crate::error::AppError;

/// Rows per transaction, at most; fewer when their text comes to
/// [`MAX_BATCH_TEXT_BYTES`] first.
pub const BATCH: usize = 500;

/// Who runs an import, and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file's name, for the record.
    pub file_name: String,
    /// Check and count, but write no case.
    pub dry_run: bool,
    /// The account running it (none from the command line).
    pub actor: Option<UserId>,
}

/// Why an import stopped before it began or part way.
#[derive(Debug)]
pub enum ImportError {
    /// The file cannot be read or its header row is wrong: nothing was imported.
    File(String),
    /// A problem part way (the file, or the database); the batches before
    /// it are in, and the record says so.
    Stopped {
        /// The import's id.
        import_id: i64,
        /// What happened.
        error: AppError,
    },
    /// The database refused before anything was read.
    Db(AppError),
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> AppError {
        match error {
            ImportError::File(message) => AppError::invalid_field("file", Rule::File(message)),
            ImportError::Stopped { error, .. } | ImportError::Db(error) => error,
        }
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::File(message) => f.write_str(message),
            ImportError::Stopped { import_id, error } => {
                write!(f, "import {import_id} stopped part way (the rows before are in): {error}")
            }
            ImportError::Db(error) => write!(f, "{error}"),
        }
    }
}

/// What the batches share.
struct Context {
    lookups: References,
    channels: HashMap<String, Channel>,
    calendar: std::sync::Arc<Calendar>,
    options: ImportOptions,
    import_id: i64,
    now: NaiveDateTime,
}

/// Imports `rows`; `on_batch` hears the counts so far after each batch.
/// Returns the finished record.
pub fn run(
    db: &Db,
    rows: Rows,
    options: ImportOptions,
    mut on_batch: impl FnMut(&ImportCounts),
) -> Result<ImportRecord, ImportError> {
    let header = HeaderMap::parse(&rows.headers).map_err(|e| ImportError::File(e.to_string()))?;
    let now = time::now_utc();
    let format = rows.format;
    let headers = serde_json::to_string(&rows.headers).unwrap_or_else(|_| "[]".into());
    let opts = options.clone();
    let (record, lookups, channels, calendar) = db
        .write_blocking(move |conn| {
            let channels = db::channels::list(conn)?;
            let departments = db::departments::list(conn)?;
            let calendar = db::calendar::load(conn)?;
            let record = db::transfer::create_import(
                conn,
                &NewImport {
                    file_name: opts.file_name.clone(),
                    format: format.as_str().into(),
                    dry_run: opts.dry_run,
                    state: "running".into(),
                    headers,
                    created_by: opts.actor,
                    started_at: now,
                },
            )?;
            let lookups = References {
                channels: channels
                    .iter()
                    .map(|c| ChannelRef {
                        code: c.code.clone(),
                        name: c.name.clone(),
                        two_dimension_rating: c.two_dimension_rating,
                        scale: c.scale(),
                    })
                    .collect(),
                departments: departments
                    .into_iter()
                    .map(|d| DepartmentRef { id: d.id, code: d.code, name: d.name })
                    .collect(),
                now,
            };
            Ok((record, lookups, channels, calendar))
        })
        .map_err(ImportError::Db)?;
    let context = Context {
        lookups,
        channels: channels.into_iter().map(|c| (c.code.clone(), c)).collect(),
        calendar: std::sync::Arc::new(calendar),
        options,
        import_id: record.id,
        now,
    };
    let stop = |error: AppError| {
        let message = error.to_string();
        let _ = db.write_blocking(|conn| {
            Ok(db::transfer::finish_import(conn, record.id, Some(&message), time::now_utc())?)
        });
        ImportError::Stopped { import_id: record.id, error }
    };
    let mut total = ImportCounts::default();
    let mut merges = Merges::default();
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
        let mut text_bytes = 0;
        while batch.len() < BATCH && text_bytes < MAX_BATCH_TEXT_BYTES {
            let Some(row) = rows.next() else { break };
            match row {
                Ok(row) => {
                    text_bytes += row.1.iter().map(Cell::text_len).sum::<usize>();
                    batch.push(row);
                }
                Err(ReadError(message)) => {
                    // The rows read before the error still go in.
                    if !batch.is_empty() {
                        total += db
                            .write_blocking(|conn| apply_batch(conn, &context, &header, &batch, &mut merges))
                            .map_err(stop)?;
                    }
                    return Err(stop(AppError::invalid_field("file", Rule::File(message))));
                }
            }
        }
        total += db
            .write_blocking(|conn| apply_batch(conn, &context, &header, &batch, &mut merges))
            .map_err(stop)?;
        on_batch(&total);
    }
    merges.last_pass = true;
    let waiting = std::mem::take(&mut merges.waiting);
    for batch in waiting.chunks(BATCH) {
        total += db
            .write_blocking(|conn| apply_batch(conn, &context, &header, batch, &mut merges))
            .map_err(stop)?;
        on_batch(&total);
    }
    db.write_blocking(|conn| {
        db::transfer::finish_import(conn, record.id, None, time::now_utc())?;
        db::transfer::find_import(conn, record.id)?.ok_or_else(|| AppError::not_found("import"))
    })
    .map_err(ImportError::Db)
}

/// The row's key: channel and external reference.
type Key = (String, String);

/// Merged rows waiting for the end of the file, at most (a file of nothing
/// but merged rows whose parents come later must not grow without bound).
const MAX_WAITING_MERGES: usize = 10_000;

/// What an import keeps between batches for its merged rows.
#[derive(Default)]
struct Merges {
    /// Merged rows whose parent was not stored yet, read again at the end.
    waiting: Vec<Row>,
    /// The external references of the file's new cases (a dry run stores
    /// none, and judges a merged row's parent among them).
    new_refs: std::collections::HashSet<String>,
    /// The end of the file: a parent not found now is not in the file.
    last_pass: bool,
}

/// One batch, in the caller's transaction: refusals, updates, new cases,
/// their events and rollups, and the record's counts.
fn apply_batch(
    conn: &mut DbConnection,
    context: &Context,
    header: &HeaderMap,
    batch: &[Row],
    merges: &mut Merges,
) -> Result<ImportCounts, AppError> {
    let mut counts = ImportCounts { rows: batch.len() as i32, ..Default::default() };
    let mut refusals = Vec::new();
    let mut parsed: Vec<(&Row, ImportRow)> = Vec::new();
    for origin in batch {
        let (line, cells) = origin;
        match parse_row(header, cells, &context.lookups) {
            Ok(row) => parsed.push((origin, row)),
            Err(errors) => refusals.push(refusal(context.import_id, *line, cells, &errors)),
        }
    }
    // The cases already stored under the batch's keys, one query per channel.
    let mut refs_by_channel: HashMap<&str, Vec<String>> = HashMap::new();
    for (_, row) in &parsed {
        refs_by_channel.entry(&row.channel).or_default().push(row.external_ref.clone());
    }
    let mut existing: HashMap<Key, Case> = HashMap::new();
    for (channel, refs) in refs_by_channel {
        for case in db::transfer::by_external_refs(conn, channel, &refs)? {
            if let Some(external_ref) = case.external_ref.clone() {
                existing.insert((case.channel.clone(), external_ref), case);
            }
        }
    }
    // New rows by key, in file order; a later row of the same key in the
    // batch is judged against the earlier one, as if it were stored.
    let mut new_rows: Vec<ImportRow> = Vec::new();
    let mut new_origins: Vec<&Row> = Vec::new();
    let mut new_at: HashMap<Key, usize> = HashMap::new();
    for (origin, row) in parsed {
        let key = (row.channel.clone(), row.external_ref.clone());
        if let Some(case) = existing.get(&key) {
            if row.state == CaseState::Merged && case.state != CaseState::Merged {
                let reason = "此案件已在系统中：导入不会对已有案件并单，请在案件页面并单";
                refusals.push(refusal(
                    context.import_id,
                    origin.0,
                    &origin.1,
                    &RowErrors::of(Column::State, reason),
                ));
                continue;
            }
            match compare(stored(case), &row) {
                Outcome::Unchanged => counts.unchanged += 1,
                Outcome::Update if context.options.dry_run => counts.updated += 1,
                Outcome::Update => {
                    let after = update_case(conn, context, case, &row)?;
                    existing.insert(key, after);
                    counts.updated += 1;
                }
            }
        } else if let Some(&at) = new_at.get(&key) {
            match compare(stored_row(&new_rows[at]), &row) {
                Outcome::Unchanged => counts.unchanged += 1,
                Outcome::Update => {
                    new_rows[at] = row;
                    new_origins[at] = origin;
                    counts.updated += 1;
                }
            }
        } else {
            new_at.insert(key, new_rows.len());
            new_rows.push(row);
            new_origins.push(origin);
            counts.new += 1;
        }
    }
    // Merged rows after the others, so that a parent in the same batch is
    // stored first; one whose parent is not stored yet waits for the end
    // of the file (an export lists the newest first, and a repeat letter is
    // usually newer than the case it was merged into).
    let (merged, plain): (Vec<_>, Vec<_>) =
        new_rows.into_iter().zip(new_origins).partition(|(row, _)| row.state == CaseState::Merged);
    let (plain, _): (Vec<ImportRow>, Vec<&Row>) = plain.into_iter().unzip();
    merges.new_refs.extend(plain.iter().map(|row| row.external_ref.clone()));
    if !context.options.dry_run {
        insert_new(conn, context, &plain, &HashMap::new())?;
    }
    let mut ready: Vec<ImportRow> = Vec::new();
    let mut parents: HashMap<Key, Case> = HashMap::new();
    for (row, origin) in merged {
        let reference = row.merged_into.clone().unwrap_or_default();
        let found = db::transfer::merge_parents(conn, &reference)?;
        let refuse = |reason: String| {
            refusal(context.import_id, origin.0, &origin.1, &RowErrors::of(Column::MergedInto, reason))
        };
        match found.as_slice() {
            [parent] if matches!(parent.state, CaseState::Merged | CaseState::Invalid) => {
                let state = crate::domain::transfer::state_label(parent.state);
                refusals.push(refuse(format!("不能并入{state}的案件 {reference}")));
                counts.new -= 1;
            }
            [parent] => {
                merges.new_refs.insert(row.external_ref.clone());
                parents.insert((row.channel.clone(), row.external_ref.clone()), parent.clone());
                ready.push(row);
            }
            [] if context.options.dry_run && merges.new_refs.contains(&reference) => {
                merges.new_refs.insert(row.external_ref.clone());
                ready.push(row);
            }
            [] if !merges.last_pass && merges.waiting.len() < MAX_WAITING_MERGES => {
                merges.waiting.push(origin.clone());
                counts.rows -= 1;
                counts.new -= 1;
            }
            [] => {
                refusals.push(refuse(format!(
                    "找不到编号或外部编号为 {reference} 的案件：被并入的案件须已在系统中或在同一文件中"
                )));
                counts.new -= 1;
            }
            _ => {
                refusals
                    .push(refuse(format!("编号或外部编号为 {reference} 的案件不止一件，无法确定并入哪一件")));
                counts.new -= 1;
            }
        }
    }
    if !context.options.dry_run {
        insert_new(conn, context, &ready, &parents)?;
    }
    db::transfer::insert_refusals(conn, &refusals)?;
    counts.refused = refusals.len() as i32;
    db::transfer::add_counts(conn, context.import_id, &counts)?;
    Ok(counts)
}

fn refusal(import_id: i64, line: usize, cells: &[Cell], errors: &RowErrors) -> ImportRefusal {
    let texts: Vec<String> = cells.iter().map(Cell::text).collect();
    ImportRefusal {
        import_id,
        line: line as i32,
        cells: serde_json::to_string(&texts).unwrap_or_else(|_| "[]".into()),
        reason: errors.reason(),
    }
}

fn stored(case: &Case) -> Stored<'_> {
    Stored {
        state: case.state,
        reply: case.reply.as_deref(),
        rating: case.rating,
        result_rating: case.result_rating,
        rated_at: case.rated_at,
    }
}

fn stored_row(row: &ImportRow) -> Stored<'_> {
    Stored {
        state: row.state,
        reply: row.reply.as_deref(),
        rating: row.rating,
        result_rating: row.result_rating,
        rated_at: row.rated_at,
    }
}

/// Handling time of a case closed at `closed_at`: seconds and working days
/// from receipt, as `approve` fixes them.
/// How far along a state is (an invalid case is terminal).
fn rank(state: CaseState) -> u8 {
    match state {
        CaseState::Registered => 0,
        CaseState::Assigned => 1,
        CaseState::Processing => 2,
        CaseState::Reviewing => 3,
        CaseState::Closed | CaseState::Invalid | CaseState::Merged => 4,
    }
}

/// The events a row implies for a case that stood at `from` (none: new),
/// at the row's times, each naming the import.
fn steps(
    case_id: CaseId,
    from: Option<&Case>,
    row: &ImportRow,
    parent: Option<&Case>,
    context: &Context,
) -> Vec<NewCaseEvent> {
    let import = context.import_id;
    let mut events = Vec::new();
    let mut state = from.map(|c| c.state);
    let mut push = |action: EventKind,
                    at: NaiveDateTime,
                    to: CaseState,
                    note: Option<String>,
                    details: serde_json::Value| {
        events.push(NewCaseEvent {
            case_id,
            action,
            actor_id: context.options.actor,
            at,
            from_state: state,
            to_state: Some(to),
            note,
            details: Some(details.to_string()),
        });
        state = Some(to);
    };
    let start = from.map_or(0, |c| rank(c.state));
    if from.is_none() {
        push(
            EventKind::Register,
            row.received_at,
            CaseState::Registered,
            row.note.clone(),
            json!({ "source": "import", "import_id": import, "channel": row.channel }),
        );
    }
    if row.state == CaseState::Merged {
        // A new case only: an import never merges a case already stored.
        if let (None, Some(parent)) = (from, parent) {
            push(
                Action::Merge.into(),
                row.received_at,
                CaseState::Merged,
                None,
                json!({ "import_id": import, "into": parent.id, "into_tracking_no": parent.tracking_no }),
            );
        }
        return events;
    }
    if row.state == CaseState::Invalid {
        if from.is_none_or(|c| c.state == CaseState::Registered) {
            push(
                Action::Invalidate.into(),
                row.received_at,
                CaseState::Invalid,
                None,
                json!({ "import_id": import }),
            );
        }
        return events;
    }
    let target = rank(row.state);
    let assigned_at = row.accepted_at.unwrap_or(row.received_at);
    if start < 1 && target >= 1 {
        push(
            Action::Assign.into(),
            assigned_at,
            CaseState::Assigned,
            None,
            json!({ "import_id": import, "department_id": row.department_id }),
        );
    }
    if start < 2 && target >= 2 {
        let at = row.accepted_at.or(row.replied_at).or(row.closed_at).unwrap_or(row.received_at);
        push(Action::Accept.into(), at, CaseState::Processing, None, json!({ "import_id": import }));
    }
    let new_reply = row.reply.as_deref().is_some_and(|r| from.is_none_or(|c| c.reply.as_deref() != Some(r)));
    if target >= 3 && (start < 3 || new_reply) {
        let at = row.replied_at.or(row.closed_at).unwrap_or(row.received_at);
        push(Action::Reply.into(), at, CaseState::Reviewing, None, json!({ "import_id": import }));
    }
    if start < 4 && row.state == CaseState::Closed {
        let at = row.closed_at.unwrap_or(row.received_at);
        push(Action::Approve.into(), at, CaseState::Closed, None, json!({ "import_id": import }));
    }
    let new_rating = (row.rating.is_some() || row.result_rating.is_some())
        && from.is_none_or(|c| (c.rating, c.result_rating) != (row.rating, row.result_rating));
    if new_rating && row.state == CaseState::Closed {
        let at = row.rated_at.or(row.closed_at).unwrap_or(row.received_at);
        push(
            Action::Rate.into(),
            at,
            CaseState::Closed,
            None,
            json!({
                "import_id": import,
                "rating": row.rating.map(|r| r.as_str()),
                "result_rating": row.result_rating.map(|r| r.as_str()),
            }),
        );
    }
    events
}

/// Stores the batch's new cases with their events, rollups and quiet deadlines.
fn insert_new(
    conn: &mut DbConnection,
    context: &Context,
    rows: &[ImportRow],
    parents: &HashMap<Key, Case>,
) -> Result<(), AppError> {
    if rows.is_empty() {
        return Ok(());
    }
    let parent_of = |row: &ImportRow| parents.get(&(row.channel.clone(), row.external_ref.clone()));
    // Tracking numbers: a run of consecutive numbers per channel and year.
    let mut wanted: HashMap<(String, i32), i32> = HashMap::new();
    for row in rows {
        *wanted.entry((row.channel.clone(), intake::tracking_year(row.received_at))).or_default() += 1;
    }
    let mut next: HashMap<(String, i32), i32> = HashMap::new();
    let mut keys: Vec<_> = wanted.into_iter().collect();
    // Always in the same order, so that two imports at once lock counters alike.
    keys.sort();
    for ((channel, year), n) in keys {
        let first = db::transfer::take_sequences(conn, &channel, year, n)?;
        next.insert((channel, year), first);
    }
    let mut new_cases = Vec::with_capacity(rows.len());
    for row in rows {
        let channel = context
            .channels
            .get(&row.channel)
            .ok_or_else(|| AppError::Internal(format!("channel {} vanished", row.channel)))?;
        let (time_limit, extension_limit) = channel
            .limits()
            .ok_or_else(|| AppError::Internal(format!("channel {} has invalid limits", channel.code)))?;
        let year = intake::tracking_year(row.received_at);
        let sequence = next.get_mut(&(row.channel.clone(), year)).expect("numbers were taken for every key");
        let tracking_no = intake::tracking_number(&channel.tracking_prefix, year, *sequence);
        *sequence += 1;
        let closed = row.state == CaseState::Closed;
        let handling =
            row.closed_at.filter(|_| closed).map(|at| handling_time(&context.calendar, row.received_at, at));
        let rated = row.rating.is_some() || row.result_rating.is_some();
        new_cases.push(NewCaseRow {
            // Nobody is ever shown this code: an imported case is looked up by staff.
            query_code_hash: intake::hash_query_code(&tracking_no, &intake::new_query_code()),
            tracking_no,
            channel: row.channel.clone(),
            external_ref: Some(row.external_ref.clone()),
            title: row.title.clone(),
            content: row.content.clone(),
            category: row.category.clone(),
            citizen_name: row.citizen.name.clone(),
            citizen_phone: row.citizen.phone.clone(),
            citizen_email: row.citizen.email.clone(),
            citizen_address: row.citizen.address.clone(),
            is_public: row.is_public,
            received_at: row.received_at,
            due_at: Some(
                row.due_at.unwrap_or_else(|| initial_due(&context.calendar, time_limit, row.received_at)),
            ),
            state: row.state,
            created_by: context.options.actor,
            created_at: context.now,
            updated_at: context.now,
            time_limit: Some(time_limit.amount as i32),
            time_limit_unit: Some(time_limit.unit),
            extension_limit: Some(extension_limit.amount as i32),
            extension_unit: Some(extension_limit.unit),
            department_id: row.department_id,
            reply: row.reply.clone(),
            replied_at: row.replied_at,
            closed_at: row.closed_at.filter(|_| closed),
            rating: row.rating,
            result_rating: row.result_rating,
            rating_source: rated.then_some(RatingSource::Callback),
            rated_at: row.rated_at,
            handling_seconds: handling.map(|h| h.0),
            handling_workdays: handling.map(|h| h.1),
            resolved: row.resolved.filter(|_| rated),
            callback_state: row.callback.filter(|_| closed),
            callback_due_at: callback_due(context, channel, row).filter(|_| closed),
            callback_at: row.callback_at.filter(|_| closed),
            // A rating 核减 elsewhere arrives decided: its appeal was upheld.
            rectification_state: (row.excluded == Some(true) && rated).then_some(RectificationState::Upheld),
            rectification_due_at: None,
            rating_excluded_at: excluded_at(context, row).filter(|_| rated && closed),
        });
    }
    db::cases::insert_many(conn, &new_cases)?;
    let numbers: Vec<String> = new_cases.iter().map(|c| c.tracking_no.clone()).collect();
    let stored: HashMap<String, Case> = db::transfer::by_tracking_nos(conn, &numbers)?
        .into_iter()
        .map(|c| (c.tracking_no.clone(), c))
        .collect();
    // The text index in the batch's transaction: a batch is what the
    // indexer would make of the queue (`db::search`).
    stored.values().try_for_each(|case| db::search::index_case(conn, case))?;
    let mut events = Vec::new();
    let mut sums: HashMap<RollupKey, Counts> = HashMap::new();
    let (mut passed, mut soon) = (Vec::new(), Vec::new());
    for (row, new) in rows.iter().zip(&new_cases) {
        let mut case = stored
            .get(&new.tracking_no)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("imported case {} not found", new.tracking_no)))?;
        if row.reopen_count > 0 {
            db::transfer::set_reopen_count(conn, case.id, row.reopen_count)?;
            case.reopen_count = row.reopen_count;
        }
        if let Some(parent) = parent_of(row) {
            db::transfer::set_merged_into(conn, case.id, parent.id)?;
        }
        events.extend(steps(case.id, None, row, parent_of(row), context));
        if let Some((key, counts)) = contribution(&case.facts()) {
            *sums.entry(key).or_default() += counts;
        }
        let clock = case.facts().clock();
        if clock.is_overdue(context.now) {
            passed.push(case.id);
        } else if clock
            .remaining_workdays(&context.calendar, context.now)
            .is_some_and(|left| left <= crate::deadlines::DUE_SOON_WORKDAYS)
        {
            soon.push(case.id);
        }
    }
    db::transfer::append_events(conn, &events)?;
    db::rollups::add_many(conn, &sums)?;
    db::topics::add_cases(conn, &stored.values().collect::<Vec<_>>())?;
    db::transfer::quiet_deadlines(conn, &passed, &soon, context.now)?;
    Ok(())
}

/// When an imported rating was 核减: the row's rating time stands in for the
/// decision, which the spreadsheet does not carry.
fn excluded_at(context: &Context, row: &ImportRow) -> Option<NaiveDateTime> {
    (row.excluded == Some(true)).then(|| row.rated_at.or(row.closed_at).unwrap_or(context.now))
}

/// A pending callback of an imported closure is due `callback_days`
/// working days after it, as if it had closed here.
fn callback_due(context: &Context, channel: &Channel, row: &ImportRow) -> Option<NaiveDateTime> {
    let closed_at = row.closed_at?;
    row.callback.filter(|c| *c == CallbackState::Pending)?;
    let day =
        context.calendar.add_workdays(time::office_date(closed_at), channel.callback_days.max(0) as u32);
    Some(end_of_day(day))
}

/// Moves an existing case forward to where the row says it is.
fn update_case(
    conn: &mut DbConnection,
    context: &Context,
    case: &Case,
    row: &ImportRow,
) -> Result<Case, AppError> {
    let mut changes = CaseChanges::default();
    let state = if rank(row.state) > rank(case.state) { row.state } else { case.state };
    if row.department_id.is_some() && row.department_id != case.department_id {
        changes.department_id = Some(row.department_id);
    }
    if let Some(reply) = &row.reply {
        if case.reply.as_deref() != Some(reply) {
            changes.reply = Some(Some(reply.clone()));
            changes.replied_at = Some(row.replied_at.or(row.closed_at));
        }
    }
    if state == CaseState::Closed && case.state != CaseState::Closed {
        let closed_at = row.closed_at.unwrap_or(context.now);
        let (seconds, workdays) = handling_time(&context.calendar, case.received_at, closed_at);
        changes.closed_at = Some(Some(closed_at));
        changes.handling_seconds = Some(Some(seconds));
        changes.handling_workdays = Some(Some(workdays));
    }
    if (row.rating.is_some() || row.result_rating.is_some())
        && (row.rating, row.result_rating) != (case.rating, case.result_rating)
    {
        changes.rating = Some(row.rating);
        changes.result_rating = Some(row.result_rating);
        changes.rating_source = Some(Some(RatingSource::Callback));
        changes.rated_at = Some(row.rated_at);
        changes.resolved = Some(row.resolved);
    }
    if row.callback.is_some() && state == CaseState::Closed && row.callback != case.callback_state {
        let channel = context.channels.get(&case.channel);
        changes.callback_state = Some(row.callback);
        changes.callback_due_at = Some(channel.and_then(|c| callback_due(context, c, row)));
        changes.callback_at = Some(row.callback_at);
    }
    let rated = row.rating.is_some() || row.result_rating.is_some() || case.rating.is_some();
    let excluded = row.excluded.filter(|e| *e != case.rating_excluded_at.is_some());
    if let Some(excluded) = excluded.filter(|_| state == CaseState::Closed && rated) {
        changes.rating_excluded_at = Some(excluded_at(context, row));
        if excluded {
            changes.rectification_state = Some(Some(RectificationState::Upheld));
        }
    }
    let after = db::cases::update_if_version(conn, case.id, case.version, state, &changes, context.now)?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "case {} changed while it was being imported; run the import again",
                case.tracking_no
            ))
        })?;
    db::transfer::append_events(conn, &steps(case.id, Some(case), row, None, context))?;
    db::rollups::apply(conn, Some(case), Some(&after))?;
    Ok(after)
}

/// The refused-rows file: CSV (UTF-8 with BOM) with the file's own header
/// row plus 错误原因, and each refused row as it was plus its reasons, so
/// that the clerk can fix those rows and import the file again. Cells are
/// neutralised against formula injection as an export's are (the rows are
/// whatever the file held, so any of them may be hostile).
pub fn refused_csv(record: &ImportRecord, refusals: &[ImportRefusal]) -> Result<Vec<u8>, AppError> {
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    let mut headers: Vec<String> = serde_json::from_str(&record.headers).unwrap_or_default();
    let width = headers.len();
    headers.push(crate::domain::transfer::ERROR_HEADER.into());
    let mut writer = csv::Writer::from_writer(super::export::UTF8_BOM.to_vec());
    let neutralised = |cells: &[String]| -> Vec<String> {
        cells.iter().map(|cell| neutralise_csv_cell(cell).into_owned()).collect()
    };
    writer.write_record(neutralised(&headers)).map_err(internal)?;
    for refusal in refusals {
        let mut cells: Vec<String> = serde_json::from_str(&refusal.cells).unwrap_or_default();
        cells.resize(width.max(cells.len()), String::new());
        cells.truncate(width);
        cells.push(refusal.reason.clone());
        writer.write_record(neutralised(&cells)).map_err(internal)?;
    }
    writer.into_inner().map_err(|e| AppError::Internal(e.to_string()))
}
