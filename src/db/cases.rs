//! Cases: intake with gap-free tracking numbers, look-ups, filtered lists and
//! version-checked updates.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Case, CaseChanges, CaseSummaryRow, NewCaseRow};
use super::schema::cases;
use super::DbConnection;
use crate::domain::calendar::TimeLimit;
use crate::domain::callback::CallbackState;
use crate::domain::figures::Scope;
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::Rating;
use crate::domain::rectification::RectificationState;
use crate::domain::text::{IndexedFields, SearchText};
use crate::domain::time;

/// Takes the next sequence number of a channel's year. The counter row is
/// locked until the transaction ends, so concurrent intakes queue on it, and a
/// rolled-back intake gives its number back: the numbers have no gaps.
///
/// A plain `UPDATE` takes the number, so that PostgreSQL queues the waiters
/// on the row lock; the row is inserted once, by the first intake of the
/// year. With an upsert (`INSERT … ON CONFLICT DO UPDATE`) each waiter
/// restarts its insertion after every commit: the direct intake limit at 32
/// threads was 374/s against 422/s this way (means of three runs, p99 307
/// against 237 ms).
pub fn next_sequence(conn: &mut DbConnection, channel: &str, year: i32) -> QueryResult<i32> {
    use super::schema::tracking_counters as t;
    let take = |conn: &mut DbConnection| {
        super::on_backend!(conn, |c| diesel::update(t::table.find((channel, year)))
            .set(t::last_seq.eq(t::last_seq + 1))
            .returning(t::last_seq)
            .get_result::<i32>(c)
            .optional())
    };
    if let Some(sequence) = take(conn)? {
        return Ok(sequence);
    }
    // `ON CONFLICT DO NOTHING`: a concurrent first intake may insert it too.
    super::on_backend!(conn, |c| diesel::insert_into(t::table)
        .values((t::channel.eq(channel), t::year.eq(year), t::last_seq.eq(0)))
        .on_conflict_do_nothing()
        .execute(c))?;
    take(conn)?.ok_or(diesel::result::Error::NotFound)
}

/// Stores a new case; returns it as stored (`RETURNING` every column, which
/// compiles on the concrete connections only).
pub fn insert(conn: &mut DbConnection, new: &NewCaseRow) -> QueryResult<Case> {
    super::on_backend!(conn, |c| diesel::insert_into(cases::table).values(new).get_result(c))
}

/// Stores many cases at once (loaders of history), in the caller's
/// transaction: one multi-row statement on PostgreSQL, where each statement
/// is a round trip; row by row on SQLite, where none is and a multi-row
/// insert does not compile for rows with absent values.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewCaseRow]) -> QueryResult<usize> {
    match conn {
        // PostgreSQL takes at most 65,535 parameters a statement: 32 columns
        // a row, so a thousand rows at a time.
        DbConnection::Pg(c) => rows
            .chunks(1000)
            .try_fold(0, |n, chunk| Ok(n + diesel::insert_into(cases::table).values(chunk).execute(c)?)),
        DbConnection::Sqlite(c) => rows
            .iter()
            .try_fold(0, |n, row| Ok(n + diesel::insert_into(cases::table).values(row).execute(c)?)),
    }
}

// Lookups by a unique key use `get_result`, not `first`: `first` adds
// `LIMIT ?`, and SQLite recompiles a statement whose LIMIT is a bound
// parameter every time it runs, so diesel's statement cache would not help.

/// One case by id.
pub fn find(conn: &mut DbConnection, id: CaseId) -> QueryResult<Option<Case>> {
    super::on_backend!(conn, |c| cases::table.find(id).get_result(c).optional())
}

/// One case by tracking number.
pub fn find_by_tracking_no(conn: &mut DbConnection, tracking_no: &str) -> QueryResult<Option<Case>> {
    super::on_backend!(conn, |c| cases::table
        .filter(cases::tracking_no.eq(tracking_no))
        .get_result(c)
        .optional())
}

/// The cases merged into `parent` (并单), oldest first.
pub fn merged_into(conn: &mut DbConnection, parent: CaseId) -> QueryResult<Vec<Case>> {
    super::on_backend!(conn, |c| cases::table
        .filter(cases::merged_into.eq(Some(parent)))
        .filter(cases::state.eq(CaseState::Merged))
        .order(cases::id)
        .load(c))
}

/// How many cases are merged into `parent`.
pub fn count_merged_into(conn: &mut DbConnection, parent: CaseId) -> QueryResult<i64> {
    cases::table
        .filter(cases::merged_into.eq(Some(parent)))
        .filter(cases::state.eq(CaseState::Merged))
        .count()
        .get_result(conn)
}

/// Holds case `id`'s row until the transaction ends, on PostgreSQL, so that
/// what is read of it next stays true until then (a `merge` reads its parent
/// so: an `approve` or `invalidate` of the parent waits, or is waited for).
/// SQLite's writers take turns anyway.
pub fn lock_row(conn: &mut DbConnection, id: CaseId) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(_) => diesel::sql_query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id.0)
            .execute(conn)
            .map(drop),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// The case a channel already holds under an external reference.
pub fn find_by_external_ref(
    conn: &mut DbConnection,
    channel: &str,
    external_ref: &str,
) -> QueryResult<Option<Case>> {
    cases::table
        .filter(cases::channel.eq(channel))
        .filter(cases::external_ref.eq(external_ref))
        .get_result(conn)
        .optional()
}

/// Applies `changes` and `state` if the case is still at `version`, raising
/// the version; returns the case as it is now. `None` (and nothing changed)
/// if someone else changed it first.
///
/// diesel prepares every `UPDATE` anew, and compiling a `RETURNING` of
/// every column cost more than the update itself; the row is read back by
/// the cached look-up by id instead, in the same transaction (`casedesk
/// bench`'s workflow phase on SQLite: ~820 cases/s with `RETURNING`, ~1,450
/// without; on PostgreSQL 341–353 against 365–385, despite the round trip).
pub fn update_if_version(
    conn: &mut DbConnection,
    id: CaseId,
    version: i32,
    state: CaseState,
    changes: &CaseChanges,
    now: NaiveDateTime,
) -> QueryResult<Option<Case>> {
    let target = cases::table.filter(cases::id.eq(id)).filter(cases::version.eq(version));
    let values = (changes, cases::state.eq(state), cases::version.eq(version + 1), cases::updated_at.eq(now));
    match super::on_backend!(conn, |c| diesel::update(target).set(values).execute(c))? {
        0 => Ok(None),
        _ => find(conn, id),
    }
}

/// Filters of the case list; every one is optional.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    /// Only these states.
    pub states: Vec<CaseState>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this department (always set for handlers).
    pub department_id: Option<DepartmentId>,
    /// Only cases not yet routed to a department.
    pub unassigned: bool,
    /// Only open, running (not suspended) cases whose due date passed before this instant.
    pub overdue_at: Option<NaiveDateTime>,
    /// Only open, running cases due in `[start, end)`: not overdue yet, due soon.
    pub due_between: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Only cases due before this instant.
    pub due_before: Option<NaiveDateTime>,
    /// Received at or after.
    pub received_from: Option<NaiveDateTime>,
    /// Received before.
    pub received_to: Option<NaiveDateTime>,
    /// Text in the title, content, tracking number, external reference or
    /// citizen's name, found through the text index (`db::search`).
    pub text: Option<SearchText>,
    /// Only these cases (what the text index found).
    pub only_ids: Option<Vec<CaseId>>,
    /// Only cases supervised (督办) at least once.
    pub supervised: bool,
    /// Only cases with an extension request waiting for a decision.
    pub extension_requested: bool,
    /// Only cases that carry a reply (in `processing`: the reply was sent back).
    pub replied: bool,
    /// Only closed cases with a callback due: `Some(None)` every one,
    /// `Some(Some(at))` those due before `at` (overdue).
    pub callback_due_before: Option<Option<NaiveDateTime>>,
    /// Only closed cases whose rectification is in one of these states.
    pub rectification_states: Vec<RectificationState>,
    /// Only cases this department was assigned, whoever holds them now.
    pub assigned_to: Option<DepartmentId>,
    /// With `assigned_to`: only those assignments that came to this.
    pub assignment: Option<AssignmentOutcome>,
    /// Only assigned cases whose time to sign passed before this instant.
    pub accept_overdue_at: Option<NaiveDateTime>,
    /// Only closed cases that came to this.
    pub outcome: Option<ClosedOutcome>,
    /// Only ids below this one (the page cursor).
    pub before_id: Option<CaseId>,
}

/// What came of a department's assignment, as the scorecard counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentOutcome {
    /// Signed for by its `accept_due_at` (按时签收).
    AcceptedOnTime,
    /// Handed back (退单).
    Returned,
    /// Not handed back (the scorecard's 未退单).
    Kept,
}

impl AssignmentOutcome {
    /// The codes of `?assignment=`.
    pub const CODES: &'static [&'static str] = &["accepted_on_time", "returned", "kept"];

    /// The outcome named `code`.
    pub fn parse(code: &str) -> Option<AssignmentOutcome> {
        match code {
            "accepted_on_time" => Some(AssignmentOutcome::AcceptedOnTime),
            "returned" => Some(AssignmentOutcome::Returned),
            "kept" => Some(AssignmentOutcome::Kept),
            _ => None,
        }
    }

    /// The condition on an assignment's row.
    fn condition(self) -> &'static str {
        match self {
            AssignmentOutcome::AcceptedOnTime => " AND accepted_at <= accept_due_at",
            AssignmentOutcome::Returned => " AND returned_at IS NOT NULL",
            AssignmentOutcome::Kept => " AND returned_at IS NULL",
        }
    }
}

/// What came of a closed case, as a figure counts it (a rating 核减 counts
/// in none of the rated ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedOutcome {
    /// Closed by its due time (按时办结).
    OnTime,
    /// Rated (参评).
    Rated,
    /// Rated with one of these (满意率's numerator as the definition in force says).
    Satisfied(Vec<Rating>),
    /// Rated and said resolved (解决率's numerator).
    Resolved,
    /// Rated and said whether resolved (解决率's denominator).
    ResolutionAnswered,
}

impl ClosedOutcome {
    /// The codes of `?outcome=`.
    pub const CODES: &'static [&'static str] =
        &["on_time", "rated", "satisfied", "resolved", "resolution_answered"];

    /// The outcome named `code`; `satisfied` means the ratings given.
    pub fn parse(code: &str, satisfied: &[Rating]) -> Option<ClosedOutcome> {
        match code {
            "on_time" => Some(ClosedOutcome::OnTime),
            "rated" => Some(ClosedOutcome::Rated),
            "satisfied" => {
                // 非常满意 counts as 满意, 非常不满意 as 不满意 (`Rating::counted_as`).
                let levels = Rating::ALL.iter().copied().filter(|r| satisfied.contains(&r.counted_as()));
                Some(ClosedOutcome::Satisfied(levels.collect()))
            }
            "resolved" => Some(ClosedOutcome::Resolved),
            "resolution_answered" => Some(ClosedOutcome::ResolutionAnswered),
            _ => None,
        }
    }
}

/// The order of a list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (by id), the API's order, paged by cursor.
    #[default]
    Newest,
    /// Soonest due first: a handler's working queue.
    SoonestDue,
    /// Callbacks soonest due first (the overdue ones lead): the 待回访 queue.
    CallbackDue,
    /// Rectifications soonest due first: the 待整改 and 待复核 queues.
    RectificationDue,
}

pub(super) fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Open, running cases, written exactly as the condition of the open-cases
/// index (`cases_open_by_receipt`) on each backend: SQLite uses a partial
/// index only when the query's WHERE holds the index's condition term for
/// term with the same literals (a bound parameter proves nothing), and then
/// an overdue queue or the risk board reads the open cases alone instead of
/// every case whose due date has passed — nearly all of them, closed ones.
fn open_and_running(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Pg(_) => {
            "state IN ('registered', 'assigned', 'processing', 'reviewing') AND suspended = FALSE"
        }
        DbConnection::Sqlite(_) => {
            "state IN ('registered', 'assigned', 'processing', 'reviewing') AND suspended = 0"
        }
    }
}

/// How a list narrows to open, running cases. PostgreSQL: the open-cases
/// index's own condition, which made an overdue queue over a million cases
/// 11 ms instead of 128. SQLite: `state NOT IN (closed, invalid)` with a
/// bound `suspended`, which its planner walks in id order (101 ms for the
/// same queue); given the index's condition it chose the due-date index and
/// read nearly every case through it (2.4 s), and a boxed query cannot say
/// `INDEXED BY`.
fn open_and_running_in_lists(conn: &DbConnection) -> Option<&'static str> {
    match conn {
        DbConnection::Pg(_) => Some(open_and_running(conn)),
        DbConnection::Sqlite(_) => None,
    }
}

/// The open states (the ones a deadline runs in).
fn open_states() -> Vec<CaseState> {
    CaseState::ALL.into_iter().filter(|s| s.is_open()).collect()
}

/// `cases` narrowed by a [`CaseFilter`], boxed for the concrete connection
/// `$c` (the same code for each backend: through the multi-backend
/// connection every value was converted twice).
macro_rules! filtered {
    ($c:ident, $filter:expr, $open_and_running:expr) => {{
        let filter: &CaseFilter = $filter;
        let mut query = cases::table.into_boxed();
        // One state is the common case, and `state = $1` lets PostgreSQL walk the
        // (state, id) index in order, where `state = ANY($1)` made it sort.
        match filter.states.as_slice() {
            [] => {}
            [one] => query = query.filter(cases::state.eq(*one)),
            many => query = query.filter(cases::state.eq_any(many.to_vec())),
        }
        if let Some(channel) = &filter.channel {
            query = query.filter(cases::channel.eq(channel.clone()));
        }
        if let Some(category) = &filter.category {
            query = query.filter(cases::category.eq(category.clone()));
        }
        if let Some(department_id) = filter.department_id {
            query = query.filter(cases::department_id.eq(department_id));
        }
        if filter.unassigned {
            query = query.filter(cases::department_id.is_null());
        }
        let open_and_running: Option<&str> = $open_and_running;
        if filter.overdue_at.is_some() || filter.due_between.is_some() {
            query = match open_and_running {
                Some(condition) => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(condition)),
                None => query
                    .filter(cases::state.ne_all([CaseState::Closed, CaseState::Invalid, CaseState::Merged]))
                    .filter(cases::suspended.eq(false)),
            };
        }
        if let Some(at) = filter.overdue_at {
            query = query.filter(cases::due_at.lt(at));
        }
        if let Some((start, end)) = filter.due_between {
            query = query.filter(cases::due_at.ge(start)).filter(cases::due_at.lt(end));
        }
        if filter.supervised {
            query = query.filter(cases::supervision_count.gt(0));
        }
        if filter.extension_requested {
            query = query.filter(cases::pending_extension_days.is_not_null());
        }
        if filter.replied {
            query = query.filter(cases::reply.is_not_null());
        }
        if let Some(before) = filter.callback_due_before {
            query = query
                .filter(cases::state.eq(CaseState::Closed))
                .filter(cases::callback_state.eq(CallbackState::Pending));
            if let Some(at) = before {
                query = query.filter(cases::callback_due_at.lt(at));
            }
        }
        if !filter.rectification_states.is_empty() {
            query = query
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(OUTSTANDING_RECTIFICATION))
                .filter(cases::state.eq(CaseState::Closed))
                .filter(cases::rectification_state.eq_any(filter.rectification_states.clone()));
        }
        if let Some(at) = filter.due_before {
            query = query.filter(cases::due_at.lt(at));
        }
        if let Some(at) = filter.received_from {
            query = query.filter(cases::received_at.ge(at));
        }
        if let Some(at) = filter.received_to {
            query = query.filter(cases::received_at.lt(at));
        }
        if let Some(ids) = &filter.only_ids {
            query = query.filter(cases::id.eq_any(ids.clone()));
        }
        if let Some(department) = filter.assigned_to {
            let outcome = filter.assignment.map_or("", AssignmentOutcome::condition);
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "cases.id IN (SELECT case_id FROM assignments WHERE department_id = ",
                )
                .bind::<diesel::sql_types::BigInt, _>(department.0)
                .sql(outcome)
                .sql(")"),
            );
        }
        if let Some(at) = filter.accept_overdue_at {
            query = query.filter(cases::state.eq(CaseState::Assigned)).filter(cases::accept_due_at.lt(at));
        }
        if let Some(outcome) = &filter.outcome {
            query = query.filter(cases::state.eq(CaseState::Closed));
            let rated = cases::rating.is_not_null().and(cases::rating_excluded_at.is_null());
            query = match outcome {
                ClosedOutcome::OnTime => query.filter(cases::closed_at.le(cases::due_at)),
                ClosedOutcome::Rated => query.filter(rated),
                ClosedOutcome::Satisfied(levels) => {
                    query.filter(rated).filter(cases::rating.eq_any(levels.clone()))
                }
                ClosedOutcome::Resolved => query.filter(rated).filter(cases::resolved.eq(true)),
                ClosedOutcome::ResolutionAnswered => {
                    query.filter(rated).filter(cases::resolved.is_not_null())
                }
            };
        }
        if let Some(before_id) = filter.before_id {
            query = query.filter(cases::id.lt(before_id));
        }
        query
    }};
}

/// How many matches of a search are counted (and sorted, in an order other
/// than newest first); beyond, a list says "more than".
pub const SEARCH_CAP: i64 = 1_000;

/// The searchable fields of the cases `filter` lets through (the text
/// index's check of its candidates).
pub fn searchable(conn: &mut DbConnection, filter: &CaseFilter) -> QueryResult<Vec<SearchableRow>> {
    let open = open_and_running_in_lists(conn);
    super::on_backend!(conn, |c| {
        filtered!(c, filter, open)
            .select((
                cases::id,
                cases::title,
                cases::content,
                cases::tracking_no,
                cases::external_ref,
                cases::citizen_name,
            ))
            .load::<SearchableRow>(c)
    })
}

/// A case's searchable fields.
#[derive(Debug, Queryable)]
pub struct SearchableRow {
    /// The case.
    pub id: CaseId,
    title: String,
    content: String,
    tracking_no: String,
    external_ref: Option<String>,
    citizen_name: Option<String>,
}

impl SearchableRow {
    /// The fields as the index sees them.
    pub fn fields(&self) -> IndexedFields<'_> {
        IndexedFields {
            title: &self.title,
            content: &self.content,
            tracking_no: &self.tracking_no,
            external_ref: self.external_ref.as_deref(),
            name: self.citizen_name.as_deref(),
            ..IndexedFields::default()
        }
    }
}

/// One page of case summaries, newest first: at most `limit` rows, plus
/// whether more follow.
pub fn list(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    limit: i64,
) -> QueryResult<(Vec<CaseSummaryRow>, bool)> {
    list_page(conn, filter, ListOrder::Newest, 0, limit)
}

/// One page of case summaries in `order`, skipping `offset` rows: at most
/// `limit` rows, plus whether more follow.
pub fn list_page(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    order: ListOrder,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<CaseSummaryRow>, bool)> {
    if let Some(search) = &filter.text {
        // The index finds the matches; the page is then read by id. The API's
        // order needs only as many as the page; another order sorts the
        // newest SEARCH_CAP matches.
        let need = match order {
            ListOrder::Newest => (offset + limit + 1) as usize,
            _ => SEARCH_CAP as usize + 1,
        };
        let ids = super::search::matching(conn, search, filter, need)?;
        let found = CaseFilter { text: None, only_ids: Some(ids), ..filter.clone() };
        return list_page(conn, &found, order, offset, limit);
    }
    let open = open_and_running_in_lists(conn);
    let mut rows: Vec<CaseSummaryRow> = super::on_backend!(conn, |c| {
        let query = filtered!(c, filter, open);
        let query = match order {
            ListOrder::Newest => query.order(cases::id.desc()),
            ListOrder::SoonestDue => query.order((cases::due_at.asc(), cases::id.asc())),
            ListOrder::CallbackDue => query.order((cases::callback_due_at.asc(), cases::id.asc())),
            ListOrder::RectificationDue => query.order((cases::rectification_due_at.asc(), cases::id.asc())),
        };
        query.offset(offset).limit(limit + 1).select(CaseSummaryRow::as_select()).load(c)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many cases the filter matches, counted up to `cap` (a list over a
/// million cases should not wait for an exact count nobody reads past the
/// first digits): `Ok(n)` with `n <= cap`, or `cap + 1` for "more than `cap`".
///
/// A search is counted up to [`SEARCH_CAP`] at most: each match is checked
/// against the case's text.
pub fn count(conn: &mut DbConnection, filter: &CaseFilter, cap: i64) -> QueryResult<i64> {
    if let Some(search) = &filter.text {
        let cap = cap.min(SEARCH_CAP);
        return Ok(super::search::matching(conn, search, filter, cap as usize + 1)?.len() as i64);
    }
    let open = open_and_running_in_lists(conn);
    let ids: Vec<CaseId> = super::on_backend!(conn, |c| {
        filtered!(c, filter, open).select(cases::id).limit(cap + 1).load(c)
    })?;
    Ok(ids.len() as i64)
}

/// Open, running cases per department (`None`: not yet assigned): how many
/// are overdue at `now`, and how many are due in `[now, horizon)`. Counted
/// in the database, over the open cases only.
pub fn at_risk(
    conn: &mut DbConnection,
    channel: Option<&str>,
    department_id: Option<DepartmentId>,
    now: NaiveDateTime,
    horizon: NaiveDateTime,
) -> QueryResult<BTreeMap<Option<DepartmentId>, (i64, i64)>> {
    let open = open_and_running(conn);
    let mut per_department = |start: Option<NaiveDateTime>, end: NaiveDateTime| {
        let mut query = cases::table
            .group_by(cases::department_id)
            .select((cases::department_id, diesel::dsl::count_star()))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(open))
            .filter(cases::due_at.lt(end))
            .into_boxed();
        if let Some(start) = start {
            query = query.filter(cases::due_at.ge(start));
        }
        if let Some(channel) = channel {
            query = query.filter(cases::channel.eq(channel.to_owned()));
        }
        if let Some(department_id) = department_id {
            query = query.filter(cases::department_id.eq(department_id));
        }
        query.load::<(Option<DepartmentId>, i64)>(conn)
    };
    let overdue = per_department(None, now)?;
    let due_soon = per_department(Some(now), horizon)?;
    let mut at_risk: BTreeMap<Option<DepartmentId>, (i64, i64)> = BTreeMap::new();
    for (department, n) in overdue {
        at_risk.entry(department).or_default().0 = n;
    }
    for (department, n) in due_soon {
        at_risk.entry(department).or_default().1 = n;
    }
    Ok(at_risk)
}

/// The condition of the outstanding-rectifications index
/// (`cases_rectification_outstanding`), written as its literal: SQLite uses
/// a partial index only for a query that repeats its condition term for term.
const OUTSTANDING_RECTIFICATION: &str = "rectification_state IN ('open', 'appealed', 'rejected')";

/// Closed cases per department whose rectification is still to do
/// (open, or refused on appeal) and past its due time at `now`: the risk
/// board's 整改超期.
pub fn rectifications_overdue(
    conn: &mut DbConnection,
    channel: Option<&str>,
    department_id: Option<DepartmentId>,
    now: NaiveDateTime,
) -> QueryResult<BTreeMap<Option<DepartmentId>, i64>> {
    let mut query = cases::table
        .group_by(cases::department_id)
        .select((cases::department_id, diesel::dsl::count_star()))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(OUTSTANDING_RECTIFICATION))
        .filter(cases::rectification_state.eq_any(RectificationState::TO_RECTIFY))
        .filter(cases::state.eq(CaseState::Closed))
        .filter(cases::rectification_due_at.lt(now))
        .into_boxed();
    if let Some(channel) = channel {
        query = query.filter(cases::channel.eq(channel.to_owned()));
    }
    if let Some(department_id) = department_id {
        query = query.filter(cases::department_id.eq(department_id));
    }
    Ok(query.load::<(Option<DepartmentId>, i64)>(conn)?.into_iter().collect())
}

/// Assigned cases per department not signed for by their `accept_due_at`
/// at `now`: the risk board's 签收超时 (assigned cases are few; `cases_state`
/// finds them).
pub fn accept_overdue(
    conn: &mut DbConnection,
    channel: Option<&str>,
    department_id: Option<DepartmentId>,
    now: NaiveDateTime,
) -> QueryResult<BTreeMap<Option<DepartmentId>, i64>> {
    let mut query = cases::table
        .group_by(cases::department_id)
        .select((cases::department_id, diesel::dsl::count_star()))
        .filter(cases::state.eq(CaseState::Assigned))
        .filter(cases::accept_due_at.lt(now))
        .into_boxed();
    if let Some(channel) = channel {
        query = query.filter(cases::channel.eq(channel.to_owned()));
    }
    if let Some(department_id) = department_id {
        query = query.filter(cases::department_id.eq(department_id));
    }
    Ok(query.load::<(Option<DepartmentId>, i64)>(conn)?.into_iter().collect())
}

/// Cases received in [`from`, `to`) with a 差评整改, counted per
/// department and rectification state: the bulletin's 差评 and their
/// rectification. (Cases with a rectification are few; the receipt index
/// bounds the period.)
pub fn rectifications_by_state(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(Option<DepartmentId>, RectificationState, i64)>> {
    cases::table
        .group_by((cases::department_id, cases::rectification_state))
        .select((cases::department_id, cases::rectification_state, diesel::dsl::count_star()))
        .filter(cases::received_at.ge(from))
        .filter(cases::received_at.lt(to))
        .filter(cases::rectification_state.is_not_null())
        .load::<(Option<DepartmentId>, Option<RectificationState>, i64)>(conn)
        .map(|rows| rows.into_iter().filter_map(|(d, state, n)| state.map(|s| (d, s, n))).collect())
}

/// Open, running cases whose `overdue` event (due time passed) or `due_soon`
/// event (due before `horizon`) is not recorded yet for their due date,
/// soonest due first, at most `limit`.
pub fn deadline_candidates(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    horizon: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::state.eq_any(open_states()))
        .filter(cases::suspended.eq(false))
        .filter(cases::due_at.lt(now).and(cases::overdue_recorded_at.is_null()).or(
            cases::due_at.ge(now).and(cases::due_at.lt(horizon)).and(cases::due_soon_recorded_at.is_null()),
        ))
        .order(cases::due_at)
        .limit(limit)
        .load(conn)
}

/// Which deadline event a case is claimed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineEvent {
    /// Two working days or fewer remain.
    DueSoon,
    /// The due time passed.
    Overdue,
}

/// Marks `event` recorded for the case's current due date; `false` if it
/// already was (another scan got there first), so it is written once.
pub fn claim_deadline_event(
    conn: &mut DbConnection,
    id: CaseId,
    event: DeadlineEvent,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let case = cases::table.filter(cases::id.eq(id));
    let claimed = match event {
        DeadlineEvent::Overdue => diesel::update(case.filter(cases::overdue_recorded_at.is_null()))
            .set(cases::overdue_recorded_at.eq(now))
            .execute(conn)?,
        DeadlineEvent::DueSoon => diesel::update(case.filter(cases::due_soon_recorded_at.is_null()))
            .set(cases::due_soon_recorded_at.eq(now))
            .execute(conn)?,
    };
    Ok(claimed == 1)
}

/// Records the automatic 督办 of a case not signed for in time — its
/// supervision count, time and note — if it is still waiting to be signed
/// for; the case as it is after, or `None`. The version moves, as with any
/// 督办, so a client holding the case before it must re-read it.
pub fn press_for_signature(
    conn: &mut DbConnection,
    id: CaseId,
    now: NaiveDateTime,
    note: &str,
) -> QueryResult<Option<Case>> {
    let pressed =
        diesel::update(cases::table.filter(cases::id.eq(id)).filter(cases::state.eq(CaseState::Assigned)))
            .set((
                cases::supervision_count.eq(cases::supervision_count + 1),
                cases::last_supervised_at.eq(now),
                cases::last_supervision_note.eq(note),
                cases::version.eq(cases::version + 1),
                cases::updated_at.eq(now),
            ))
            .execute(conn)?;
    if pressed == 1 {
        find(conn, id)
    } else {
        Ok(None)
    }
}

/// Cases registered before due dates existed: no time limit stored.
pub fn without_limits(conn: &mut DbConnection) -> QueryResult<Vec<Case>> {
    cases::table.filter(cases::time_limit.is_null()).load(conn)
}

/// Stores the limits a case falls under and its due date.
pub fn set_limits(
    conn: &mut DbConnection,
    id: CaseId,
    (time_limit, extension_limit): (TimeLimit, TimeLimit),
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((
            cases::time_limit.eq(time_limit.amount as i32),
            cases::time_limit_unit.eq(time_limit.unit),
            cases::extension_limit.eq(extension_limit.amount as i32),
            cases::extension_unit.eq(extension_limit.unit),
            cases::due_at.eq(due_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Closed cases from before handling times were stored.
pub fn closed_without_handling_time(conn: &mut DbConnection) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::state.eq(CaseState::Closed))
        .filter(cases::handling_seconds.is_null())
        .load(conn)
}

/// Stores a closed case's handling time.
pub fn set_handling_time(
    conn: &mut DbConnection,
    id: CaseId,
    seconds: i64,
    workdays: i32,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((cases::handling_seconds.eq(seconds), cases::handling_workdays.eq(workdays)))
        .execute(conn)
        .map(drop)
}

/// Whether any case exists.
pub fn any(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(cases::table.select(cases::id).first::<CaseId>(conn).optional()?.is_some())
}

/// Cases of `scope`'s channel received in its period (neither invalid nor
/// merged), per category; uncategorised ones under "".
pub fn received_by_category(conn: &mut DbConnection, scope: &Scope) -> QueryResult<BTreeMap<String, i64>> {
    let rows: Vec<(Option<String>, i64)> = cases::table
        .filter(cases::state.ne_all([CaseState::Invalid, CaseState::Merged]))
        .filter(cases::channel.eq(scope.channel.clone().unwrap_or_default()))
        .filter(cases::received_at.ge(time::start_of_office_day(scope.from)))
        .filter(cases::received_at.lt(time::start_of_office_day(scope.to)))
        .group_by(cases::category)
        .select((cases::category, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(c, n)| (c.unwrap_or_default(), n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outstanding_rectifications_condition_is_the_index_s_own() {
        let listed: Vec<String> =
            RectificationState::OUTSTANDING.iter().map(|s| format!("'{}'", s.as_str())).collect();
        assert_eq!(OUTSTANDING_RECTIFICATION, format!("rectification_state IN ({})", listed.join(", ")));
        let index = include_str!("../../migrations/sqlite/2026-12-04-200003_rectifications/up.sql");
        assert!(index.contains(OUTSTANDING_RECTIFICATION));
    }

    #[test]
    fn the_open_cases_condition_names_exactly_the_open_states() {
        let listed = open_states().iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        let condition = format!("state IN ({listed})");
        let sqlite = "state IN ('registered', 'assigned', 'processing', 'reviewing') AND suspended = 0";
        assert!(sqlite.starts_with(&condition), "{condition} against {sqlite}");
        let index = include_str!("../../migrations/sqlite/2026-12-02-000006_open_cases_index/up.sql");
        assert!(index.contains(sqlite), "the query repeats the index's own condition");
    }
}
