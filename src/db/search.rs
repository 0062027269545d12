//! The letters' text index (`case_terms`, issue 24): which cases hold each
//! term of `domain::text` — a bigram of a searchable field, or a key of the
//! citizen's contact details.
//!
//! A case registered on its own is queued (`text_queue`, one row in the
//! case's own transaction) and indexed later with others by the service's
//! indexer ([`index_queued`]): a letter's hundred terms have keys all over
//! the index, and written one case per transaction they cost intake two
//! thirds of its speed. Every read here adds the queued cases, checked
//! against their stored text, so a committed case is never missing from a
//! search, whether it is queued or indexed — the queue is read first, so a
//! case the indexer moves meanwhile is seen twice (and listed once), never
//! not at all. Imports and the backfill index their batches at once.
//!
//! A search reads the postings of its rarest bigram, newest case first, and
//! checks each case's fields in batches against the whole normalised text
//! (bigrams only narrow: `ab` and `bc` do not make `abc`), with the list's
//! other filters applied in the same statement, until it has enough.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::cases::CaseFilter;
use super::models::Case;
use super::schema::{case_terms, cases, text_index_backfill, text_queue};
use super::DbConnection;
use crate::domain::ids::CaseId;
use crate::domain::text::{IndexedFields, SearchText, Term};

/// The fields of a stored case that the index keeps.
pub fn fields(case: &Case) -> IndexedFields<'_> {
    IndexedFields {
        title: &case.title,
        content: &case.content,
        tracking_no: &case.tracking_no,
        external_ref: case.external_ref.as_deref(),
        name: case.citizen_name.as_deref(),
        phone: case.citizen_phone.as_deref(),
        email: case.citizen_email.as_deref(),
        address: case.citizen_address.as_deref(),
    }
}

/// Queues a case registered on its own for the indexer, in the caller's
/// transaction (the case's own).
pub fn queue_case(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<()> {
    diesel::insert_into(text_queue::table).values(text_queue::case_id.eq(case_id)).execute(conn).map(drop)
}

/// The queued cases, below `before` if given, newest first.
pub fn queued(conn: &mut DbConnection, before: Option<CaseId>) -> QueryResult<Vec<CaseId>> {
    let before = before.unwrap_or(CaseId(i64::MAX));
    super::on_backend!(conn, |c| text_queue::table
        .filter(text_queue::case_id.lt(before))
        .order(text_queue::case_id.desc())
        .select(text_queue::case_id)
        .load(c))
}

/// Whether a case is still queued. On PostgreSQL its queue row stays locked
/// until the caller's transaction ends: an indexer counting the case's
/// topics waits for the caller's change, or the caller waits for the
/// indexer and then finds the case counted (`topics::apply`).
pub fn is_queued(conn: &mut DbConnection, case_id: CaseId) -> QueryResult<bool> {
    let query = text_queue::table.filter(text_queue::case_id.eq(case_id)).select(text_queue::case_id);
    let row: Option<CaseId> = match conn {
        DbConnection::Pg(c) => query.for_update().first(c).optional()?,
        DbConnection::Sqlite(c) => query.first(c).optional()?,
    };
    Ok(row.is_some())
}

/// Indexes up to `limit` queued cases, oldest first, counts their topics and
/// takes them off the queue, in the caller's transaction; returns how many
/// (0: the queue is empty). On PostgreSQL the queue rows another instance's
/// indexer or a change of the case holds are left for the next batch.
pub fn index_queued(conn: &mut DbConnection, limit: i64) -> QueryResult<usize> {
    let oldest = text_queue::table.order(text_queue::case_id).limit(limit).select(text_queue::case_id);
    let ids: Vec<CaseId> = match conn {
        DbConnection::Pg(c) => oldest.for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => oldest.load(c)?,
    };
    if ids.is_empty() {
        return Ok(0);
    }
    let batch = cases_by_ids(conn, &ids)?;
    index_cases(conn, &batch)?;
    super::topics::add_cases(conn, &batch.iter().collect::<Vec<_>>())?;
    diesel::delete(text_queue::table.filter(text_queue::case_id.eq_any(&ids))).execute(conn)?;
    Ok(ids.len())
}

/// How many cases are queued.
pub fn queue_length(conn: &mut DbConnection) -> QueryResult<i64> {
    text_queue::table.count().get_result(conn)
}

/// Adds a case's terms, in the caller's transaction; terms it already has
/// are kept (the backfill of a bulk load and the queue may both reach a case).
pub fn index_case(conn: &mut DbConnection, case: &Case) -> QueryResult<()> {
    add_terms(conn, case.id, &fields(case).terms())
}

/// One statement whatever the number of terms (a letter has hundreds): an
/// array on PostgreSQL, a JSON array on SQLite, each one prepared statement.
fn add_terms(conn: &mut DbConnection, case_id: CaseId, terms: &BTreeSet<Term>) -> QueryResult<()> {
    if terms.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(c) => diesel::sql_query(
            "INSERT INTO case_terms (term, case_id) SELECT unnest($1::bigint[]), $2 ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::Array<BigInt>, _>(terms.iter().copied().collect::<Vec<_>>())
        .bind::<BigInt, _>(case_id.0)
        .execute(c)
        .map(drop),
        DbConnection::Sqlite(c) => {
            let list = terms.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            diesel::sql_query(
                "INSERT OR IGNORE INTO case_terms (term, case_id) SELECT value, ? FROM json_each(?)",
            )
            .bind::<BigInt, _>(case_id.0)
            .bind::<Text, _>(format!("[{list}]"))
            .execute(c)
            .map(drop)
        }
    }
}

/// Indexes every case in `cases` (a batch of an import or a backfill).
pub fn index_cases(conn: &mut DbConnection, cases: &[Case]) -> QueryResult<()> {
    cases.iter().try_for_each(|case| index_case(conn, case))
}

/// The newest cases holding `term`, below `before` if given, at most `limit`, newest first.
pub fn postings(
    conn: &mut DbConnection,
    term: Term,
    before: Option<CaseId>,
    limit: i64,
) -> QueryResult<Vec<CaseId>> {
    let before = before.unwrap_or(CaseId(i64::MAX));
    super::on_backend!(conn, |c| case_terms::table
        .filter(case_terms::term.eq(term))
        .filter(case_terms::case_id.lt(before))
        .order(case_terms::case_id.desc())
        .select(case_terms::case_id)
        .limit(limit)
        .load(c))
}

/// Postings counted up to this many are enough to pick the rarest bigram of
/// a search; a term past it is common, whatever its exact count.
const RARITY_CAP: i64 = 1_000;

/// A search's bigram with the fewest cases (counted up to [`RARITY_CAP`],
/// and up to [`COMMON_CAP`] when every one reaches it), or `None` when one
/// of them has no case at all, so no indexed case can match.
fn rarest(conn: &mut DbConnection, terms: &[Term]) -> QueryResult<Option<Term>> {
    let mut best: Option<(usize, Term)> = None;
    for &term in terms {
        let n = postings(conn, term, None, RARITY_CAP)?.len();
        if n == 0 {
            return Ok(None);
        }
        if best.is_none_or(|(fewest, _)| n < fewest) {
            best = Some((n, term));
        }
        // Rare enough: reading its postings costs less than counting the rest.
        if n < 64 {
            break;
        }
    }
    // Every bigram common (a name like 王建国: 建国 in one case in twelve,
    // 王建 in one in a hundred and twenty): count further to tell them
    // apart, as the driver is read until a thousand matches are found.
    if let Some((RARITY_CAP_USIZE, _)) = best {
        let mut closer: Option<(usize, Term)> = None;
        for &term in terms.iter().take(COMMON_TERMS_COUNTED) {
            let n = postings(conn, term, None, COMMON_CAP)?.len();
            if closer.is_none_or(|(fewest, _)| n < fewest) {
                closer = Some((n, term));
            }
        }
        return Ok(closer.map(|(_, term)| term));
    }
    Ok(best.map(|(_, term)| term))
}

const RARITY_CAP_USIZE: usize = RARITY_CAP as usize;
/// How far the postings of common bigrams are counted to pick the rarest.
const COMMON_CAP: i64 = 20 * RARITY_CAP;
/// Common bigrams counted that far, at most (a long search has enough
/// others to narrow it).
const COMMON_TERMS_COUNTED: usize = 6;

/// Ids of the cases `filter` lets through whose searchable fields hold
/// `search`, newest first, at most `need` (below `filter.before_id`).
pub fn matching(
    conn: &mut DbConnection,
    search: &SearchText,
    filter: &CaseFilter,
    need: usize,
) -> QueryResult<Vec<CaseId>> {
    // A whole tracking number is its case (found through the number's own
    // index); one that is no case's may still be an external reference or
    // be written in a letter, and is searched for as text.
    if let Some(number) = search.tracking_number() {
        let ids: Vec<CaseId> = super::on_backend!(conn, |c| cases::table
            .filter(cases::tracking_no.eq(&number))
            .select(cases::id)
            .load(c))?;
        if !ids.is_empty() {
            let within = CaseFilter { text: None, only_ids: Some(ids), ..filter.clone() };
            return Ok(super::cases::searchable(conn, &within)?.into_iter().map(|row| row.id).collect());
        }
    }
    // The queue before the index (see the module's comment).
    let queued = queued(conn, filter.before_id)?;
    let mut found = if queued.is_empty() { Vec::new() } else { holding(conn, search, filter, queued)? };
    if let Some(driver) = rarest(conn, &search.terms)? {
        let mut indexed = 0;
        let mut before = filter.before_id;
        // Small first, as most searches are done in one batch; doubling, so a
        // filter that keeps few of a common word's cases takes few rounds.
        let mut batch = 256;
        loop {
            let ids = postings(conn, driver, before, batch)?;
            let Some(&last) = ids.last() else { break };
            let exhausted = (ids.len() as i64) < batch;
            before = Some(last);
            let hits = holding(conn, search, filter, ids)?;
            indexed += hits.len();
            found.extend(hits);
            if indexed >= need || exhausted {
                break;
            }
            batch = (batch * 2).min(8_192);
        }
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.dedup();
    found.truncate(need);
    Ok(found)
}

/// Those of `ids` that `filter` lets through and whose searchable fields
/// hold `search`.
fn holding(
    conn: &mut DbConnection,
    search: &SearchText,
    filter: &CaseFilter,
    ids: Vec<CaseId>,
) -> QueryResult<Vec<CaseId>> {
    let within = CaseFilter { text: None, only_ids: Some(ids), ..filter.clone() };
    Ok(super::cases::searchable(conn, &within)?
        .into_iter()
        .filter(|row| row.fields().contains(&search.normalized))
        .map(|row| row.id)
        .collect())
}

/// Whole cases by id, in no particular order (the candidates of a comparison).
pub fn cases_by_ids(conn: &mut DbConnection, ids: &[CaseId]) -> QueryResult<Vec<Case>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    super::on_backend!(conn, |c| cases::table.filter(cases::id.eq_any(ids)).select(Case::as_select()).load(c))
}

/// Cases indexed per batch of the backfill: one transaction each, so the
/// service's writers wait at most one batch, and a stopped backfill resumes.
pub const BACKFILL_BATCH: i64 = 500;

/// How far the backfill of cases stored before the index is: (done up to
/// this id, up to which id it must go).
pub fn backfill_progress(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    text_index_backfill::table
        .select((text_index_backfill::done_through, text_index_backfill::upto))
        .get_result(conn)
}

/// Indexes the next batch of cases stored before the index existed; returns
/// how many it indexed (0: done). Run in a transaction of its own: the
/// progress row is updated first, so that on PostgreSQL a second instance
/// backfilling at the same time waits on its lock and then goes on after
/// this batch instead of indexing it twice.
pub fn backfill_batch(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(text_index_backfill::table)
        .set(text_index_backfill::done_through.eq(text_index_backfill::done_through))
        .execute(conn)?;
    let (done, upto) = backfill_progress(conn)?;
    if done >= upto {
        return Ok(0);
    }
    let batch: Vec<Case> = cases::table
        .filter(cases::id.gt(CaseId(done)))
        .filter(cases::id.le(CaseId(upto)))
        .order(cases::id)
        .limit(BACKFILL_BATCH)
        .select(Case::as_select())
        .load(conn)?;
    index_cases(conn, &batch)?;
    let through = batch.last().map_or(upto, |c| c.id.0);
    diesel::update(text_index_backfill::table)
        .set(text_index_backfill::done_through.eq(through))
        .execute(conn)?;
    Ok(batch.len())
}

/// Leaves every case stored so far to the backfill (a bulk loader that
/// wrote the cases without their terms).
pub fn mark_for_backfill(conn: &mut DbConnection) -> QueryResult<()> {
    let upto: Option<CaseId> = cases::table.select(diesel::dsl::max(cases::id)).get_result(conn)?;
    diesel::update(text_index_backfill::table)
        .set(text_index_backfill::upto.eq(upto.map_or(0, |id| id.0)))
        .execute(conn)
        .map(drop)
}

/// Every closed case with the department that closed it, oldest first (the
/// routing benchmark's leave-one-out).
pub fn closed_cases(conn: &mut DbConnection) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::state.eq(crate::domain::lifecycle::CaseState::Closed))
        .filter(cases::department_id.is_not_null())
        .order(cases::id)
        .select(Case::as_select())
        .load(conn)
}

/// The text index's size on disk in bytes (table and indexes) and its rows.
pub fn index_size(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = BigInt)]
        bytes: i64,
    }
    let rows: i64 = case_terms::table.count().get_result(conn)?;
    let size = match conn {
        DbConnection::Pg(c) => {
            diesel::sql_query("SELECT pg_total_relation_size('case_terms') AS bytes").get_result::<Size>(c)?
        }
        // dbstat is compiled into the bundled SQLite; a WITHOUT ROWID table is its one B-tree.
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT COALESCE(SUM(pgsize), 0) AS bytes FROM dbstat WHERE name = 'case_terms'",
        )
        .get_result::<Size>(c)?,
    };
    Ok((size.bytes, rows))
}
