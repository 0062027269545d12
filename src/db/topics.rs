//! The 热点 counts (issue 24): cases per (day of receipt, channel,
//! department, topic) and per month, moved in the case's own transaction
//! whenever what a case contributes changes — when it changes department,
//! when it becomes invalid or merged or comes back — exactly where the
//! figures' rollups move (`db::rollups::apply`). A case registered on its own
//! is first counted by the text indexer with its batch (`db::search`); until
//! then [`counts`] adds it from the queue. The topics of a case are
//! `domain::topics::of_case`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::models::Case;
use super::schema::{
    cases, text_queue, topic_rollups, topic_rollups_monthly, topic_rollups_state, topic_totals,
    topic_totals_monthly,
};
use super::{placeholders, DbConnection};
use crate::domain::figures::{contribution, RollupKey, Scope};
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::lifecycle::CaseState;
use crate::domain::{time, topics};

/// What a case adds to the topic counts: its key and topics, when it counts
/// as received (not invalid, not merged).
fn entry(case: &Case) -> Option<(RollupKey, BTreeSet<String>)> {
    let (key, counts) = contribution(&case.facts())?;
    (counts.received > 0).then(|| (key, topics::of_case(&case.title, case.category.as_deref())))
}

/// Whether the topic counts can differ between two versions of a case,
/// judged before any segmenting (most actions change neither).
fn may_differ(before: &Case, after: &Case) -> bool {
    let counted = |c: &Case| !matches!(c.state, CaseState::Invalid | CaseState::Merged);
    counted(before) != counted(after)
        || before.department_id != after.department_id
        || before.channel != after.channel
        || before.received_at != after.received_at
        || before.title != after.title
        || before.category != after.category
}

/// Moves the counts from what `before` contributed to what `after` does, in
/// the caller's transaction (`None`: the case did not, or no longer does,
/// exist).
pub fn apply(conn: &mut DbConnection, before: Option<&Case>, after: Option<&Case>) -> QueryResult<()> {
    if let (Some(b), Some(a)) = (before, after) {
        if !may_differ(b, a) {
            return Ok(());
        }
    }
    // A queued case is not counted yet: the indexer counts it as it is then.
    if let Some(case) = before.or(after) {
        if super::search::is_queued(conn, case.id)? {
            return Ok(());
        }
    }
    let mut delta: BTreeMap<(RollupKey, String), i64> = BTreeMap::new();
    for (case, sign) in [(before, -1), (after, 1)] {
        if let Some((key, terms)) = case.and_then(entry) {
            for term in terms {
                *delta.entry((key.clone(), term)).or_default() += sign;
            }
        }
    }
    delta.retain(|_, n| *n != 0);
    add_many(conn, &delta)
}

/// Adds the topics of newly stored cases (an import batch), in the caller's
/// transaction.
pub fn add_cases(conn: &mut DbConnection, stored: &[&Case]) -> QueryResult<()> {
    let mut delta: BTreeMap<(RollupKey, String), i64> = BTreeMap::new();
    for (key, terms) in stored.iter().filter_map(|c| entry(c)) {
        for term in terms {
            *delta.entry((key.clone(), term)).or_default() += 1;
        }
    }
    add_many(conn, &delta)
}

/// Bound values per statement, below both backends' limits.
const MAX_BOUND: usize = 30_000;

/// One row of counts: its day (or month), channel and department (`None`
/// in the totals' tables), word, and cases.
type CountRow<'a> = (NaiveDate, Option<(&'a str, i64)>, &'a str, i64);

/// Adds counts to the daily and monthly rows, keyed and in total, creating
/// those that do not exist yet, in key order (two writers lock shared rows
/// in one order).
fn add_many(conn: &mut DbConnection, delta: &BTreeMap<(RollupKey, String), i64>) -> QueryResult<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut monthly: BTreeMap<(NaiveDate, &str, i64, &str), i64> = BTreeMap::new();
    let daily: Vec<CountRow<'_>> = delta
        .iter()
        .map(|((key, term), n)| {
            *monthly.entry((month_of(key.day), &key.channel, key.department, term)).or_default() += n;
            (key.day, Some((key.channel.as_str(), key.department)), term.as_str(), *n)
        })
        .collect();
    let monthly: Vec<CountRow<'_>> =
        monthly.into_iter().map(|((d, c, k, t), n)| (d, Some((c, k)), t, n)).collect();
    PENDING_TOTALS.with_borrow_mut(|pending| {
        for ((key, term), n) in delta {
            *pending.entry((key.day, term.clone())).or_default() += n;
        }
    });
    upsert(conn, "topic_rollups", "received_day", &daily)?;
    upsert(conn, "topic_rollups_monthly", "received_month", &monthly)
}

thread_local! {
    /// The totals' changes of the transaction under way on this thread. Every
    /// intake of a day moves the same few totals rows (its category, its
    /// common words): written as the transaction goes, a transaction holding
    /// one would wait for other rows held by one waiting for it — PostgreSQL
    /// found such deadlocks loading the demo county. So they are written
    /// last, in one sorted statement per table, by [`flush_totals`], which
    /// `Db::write` calls at the end of every transaction.
    static PENDING_TOTALS: RefCell<BTreeMap<(NaiveDate, String), i64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Forgets the totals' changes of a transaction that did not commit;
/// `Db::write` calls it as each transaction begins.
pub fn discard_pending_totals() {
    PENDING_TOTALS.with_borrow_mut(BTreeMap::clear);
}

/// Writes the totals' changes of the transaction under way (see
/// [`PENDING_TOTALS`]), the last statements of the transaction.
pub fn flush_totals(conn: &mut DbConnection) -> QueryResult<()> {
    let pending = PENDING_TOTALS.with_borrow_mut(std::mem::take);
    let mut monthly: BTreeMap<(NaiveDate, &str), i64> = BTreeMap::new();
    // A case moving department moves nothing in the totals.
    let daily: Vec<CountRow<'_>> = pending
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((day, term), n)| {
            *monthly.entry((month_of(*day), term)).or_default() += n;
            (*day, None, term.as_str(), *n)
        })
        .collect();
    let monthly: Vec<CountRow<'_>> =
        monthly.into_iter().filter(|(_, n)| *n != 0).map(|((d, t), n)| (d, None, t, n)).collect();
    upsert(conn, "topic_totals", "received_day", &daily)?;
    upsert(conn, "topic_totals_monthly", "received_month", &monthly)
}

fn upsert(conn: &mut DbConnection, table: &str, day_column: &str, rows: &[CountRow<'_>]) -> QueryResult<()> {
    let keyed = rows.first().is_some_and(|row| row.1.is_some());
    let (columns, width) = if keyed {
        (format!("{day_column}, channel, department_key, term"), 5)
    } else {
        (format!("{day_column}, term"), 3)
    };
    for chunk in rows.chunks(MAX_BOUND / width) {
        let marks = placeholders(conn, 1, width * chunk.len());
        let tuples: Vec<String> = marks.chunks(width).map(|row| format!("({})", row.join(", "))).collect();
        let sql = format!(
            "INSERT INTO {table} ({columns}, cases) VALUES {} \
             ON CONFLICT ({columns}) DO UPDATE SET cases = {table}.cases + excluded.cases",
            tuples.join(", ")
        );
        let mut query = diesel::sql_query(sql).into_boxed();
        for (day, key, term, n) in chunk {
            query = query.bind::<Date, _>(*day);
            if let Some((channel, department)) = key {
                query = query.bind::<Text, _>(channel.to_string()).bind::<BigInt, _>(*department);
            }
            query = query.bind::<Text, _>(term.to_string()).bind::<BigInt, _>(*n);
        }
        query.execute(conn)?;
    }
    Ok(())
}

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The columns of a case the topics are made of.
#[derive(Queryable)]
struct TopicSource {
    id: CaseId,
    received_at: NaiveDateTime,
    channel: String,
    department_id: Option<DepartmentId>,
    category: Option<String>,
    title: String,
}

/// Cases read per batch of a rebuild.
const REBUILD_BATCH: i64 = 10_000;

/// Counts every case's topics anew (after a bulk load, or at the first
/// start of a database with cases from before the counts existed), a batch
/// of cases at a time in the caller's transaction; returns the cases read.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(topic_rollups::table).execute(conn)?;
    diesel::delete(topic_rollups_monthly::table).execute(conn)?;
    diesel::delete(topic_totals::table).execute(conn)?;
    diesel::delete(topic_totals_monthly::table).execute(conn)?;
    let mut after = CaseId(0);
    let mut read = 0;
    loop {
        let batch: Vec<TopicSource> = super::on_backend!(conn, |c| cases::table
            .filter(cases::id.gt(after))
            .filter(cases::state.ne_all([CaseState::Invalid, CaseState::Merged]))
            // Queued cases are counted as the indexer takes them.
            .filter(diesel::dsl::not(cases::id.eq_any(text_queue::table.select(text_queue::case_id))))
            .order(cases::id)
            .limit(REBUILD_BATCH)
            .select((
                cases::id,
                cases::received_at,
                cases::channel,
                cases::department_id,
                cases::category,
                cases::title,
            ))
            .load(c))?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        read += batch.len();
        let mut delta: HashMap<(RollupKey, String), i64> = HashMap::new();
        for case in &batch {
            let key = RollupKey {
                day: time::office_date(case.received_at),
                channel: case.channel.clone(),
                department: case.department_id.map_or(0, |d| d.0),
            };
            for term in topics::of_case(&case.title, case.category.as_deref()) {
                *delta.entry((key.clone(), term)).or_default() += 1;
            }
        }
        add_many(conn, &delta.into_iter().collect())?;
        flush_totals(conn)?;
    }
    diesel::update(topic_rollups_state::table)
        .set(topic_rollups_state::built_at.eq(Some(time::now_utc())))
        .execute(conn)?;
    Ok(read)
}

/// Builds the counts once for a database whose cases predate them; returns
/// the cases read (0: already built).
pub fn backfill(conn: &mut DbConnection) -> QueryResult<usize> {
    let built: Option<NaiveDateTime> =
        topic_rollups_state::table.select(topic_rollups_state::built_at).get_result(conn)?;
    if built.is_some() {
        return Ok(0);
    }
    rebuild(conn)
}

/// One topic's cases in a period.
#[derive(Debug, Clone, QueryableByName)]
struct TermCount {
    #[diesel(sql_type = Text)]
    term: String,
    #[diesel(sql_type = BigInt)]
    cases: i64,
}

/// Cases per topic received in [from, to) within `scope`'s channel and
/// department (its own period is not used). Whole months are read from the
/// monthly rows, the days around them from the daily ones, and the `queued`
/// cases are added: read both in one snapshot (`Db::read_snapshot`), or a
/// case the indexer moves meanwhile may be counted twice or not at all.
pub fn counts(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    queued: &QueuedTopics,
) -> QueryResult<HashMap<String, i64>> {
    let mut totals: HashMap<String, i64> = HashMap::new();
    if from >= to {
        return Ok(totals);
    }
    // The whole office's counts from the totals, a scope's from the keyed rows.
    let (daily, monthly) = if scope.channel.is_none() && scope.department.is_none() {
        ("topic_totals", "topic_totals_monthly")
    } else {
        ("topic_rollups", "topic_rollups_monthly")
    };
    let (whole, days) = super::rollups::month_parts(from, to);
    let mut parts: Vec<_> = whole.map(|(f, t)| (monthly, "received_month", f, t)).into_iter().collect();
    parts.extend(days.into_iter().map(|(f, t)| (daily, "received_day", f, t)));
    for (table, day_column, f, t) in parts {
        for row in counts_in(conn, table, day_column, scope, f, t)? {
            *totals.entry(row.term).or_default() += row.cases;
        }
    }
    for term in queued.within(scope, from, to) {
        *totals.entry(term.clone()).or_default() += 1;
    }
    totals.retain(|_, n| *n > 0);
    Ok(totals)
}

/// The topics of the cases the indexer has not counted yet, read once for
/// every period [`counts`] adds them to.
pub struct QueuedTopics(Vec<(RollupKey, BTreeSet<String>)>);

impl QueuedTopics {
    /// The queued cases' topics, of those that count as received.
    pub fn read(conn: &mut DbConnection) -> QueryResult<QueuedTopics> {
        let queued = super::search::queued(conn, None)?;
        if queued.is_empty() {
            return Ok(QueuedTopics(Vec::new()));
        }
        Ok(QueuedTopics(super::search::cases_by_ids(conn, &queued)?.iter().filter_map(entry).collect()))
    }

    /// The topics of the queued cases received in [from, to) within
    /// `scope`, once per case and topic.
    fn within<'a>(
        &'a self,
        scope: &'a Scope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &'a String> {
        self.0
            .iter()
            .filter(move |(key, _)| {
                key.day >= from
                    && key.day < to
                    && scope.channel.as_ref().is_none_or(|c| *c == key.channel)
                    && scope.department.is_none_or(|d| d == key.department)
            })
            .flat_map(|(_, terms)| terms)
    }
}

fn counts_in(
    conn: &mut DbConnection,
    table: &str,
    day_column: &str,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<TermCount>> {
    let marks = placeholders(conn, 1, 4);
    let mut sql = format!(
        "SELECT term, CAST(SUM(cases) AS BIGINT) AS cases FROM {table} \
         WHERE {day_column} >= {} AND {day_column} < {}",
        marks[0], marks[1]
    );
    sql.push_str(&super::rollups::scope_conditions(scope, "department_key", &marks, 2));
    sql.push_str(" GROUP BY term");
    let query = diesel::sql_query(sql).into_boxed().bind::<Date, _>(from).bind::<Date, _>(to);
    super::rollups::bind_scope(query, scope).load(conn)
}
