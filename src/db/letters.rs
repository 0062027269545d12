//! The published letters (信件选登) of `/mailbox/letters`: closed cases whose
//! citizen agreed to publication (`is_public`) and that a clerk approved
//! (`publish`, which sets `published_at`). All three conditions are in the
//! one query below, so no caller can list a letter that lacks one of them.
//! Only what a published letter shows is selected: never a phone, email or
//! address, and the name only to be masked. The title, letter and reply are
//! the masked copies made when the clerk published
//! (`domain::publication::mask_for_publication`), and a search looks in
//! those only — a search for a phone number must not tell which letter
//! holds it behind its mask.

use diesel::prelude::*;

use super::cases::like_pattern;
use super::models::{Case, PublishedLetter};
use super::schema::{cases, departments, published_letters};
use super::DbConnection;
use crate::domain::ids::CaseId;
use crate::domain::lifecycle::CaseState;
use crate::domain::publication::mask_for_publication;

/// One page of published letters, newest closure first: at most `limit`
/// from `offset` on, plus whether more follow. `text`, when given, must
/// appear in the title, the letter or the reply.
pub fn published(
    conn: &mut DbConnection,
    text: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<PublishedLetter>, bool)> {
    let mut rows: Vec<PublishedLetter> = super::on_backend!(conn, |c| {
        let mut query = cases::table
            .inner_join(published_letters::table)
            .left_join(departments::table)
            .filter(cases::state.eq(CaseState::Closed))
            .filter(cases::is_public.eq(true))
            .filter(cases::published_at.is_not_null())
            .into_boxed();
        if let Some(text) = text {
            let pattern = like_pattern(text);
            query = query.filter(
                published_letters::title
                    .like(pattern.clone())
                    .escape('\\')
                    .or(published_letters::content.like(pattern.clone()).escape('\\'))
                    .or(published_letters::reply.like(pattern).escape('\\')),
            );
        }
        query
            .order((cases::closed_at.desc(), cases::id.desc()))
            .offset(offset)
            .limit(limit + 1)
            .select((
                cases::tracking_no,
                published_letters::title,
                published_letters::content,
                cases::category,
                cases::citizen_name,
                cases::received_at,
                published_letters::reply.nullable(),
                cases::closed_at,
                departments::name.nullable(),
            ))
            .load(c)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Keeps the published copy of `case` in step with its publication, in the
/// caller's transaction: masked copies of its title, letter and reply while
/// it is published (as the clerk approved them), none once it is not.
pub fn record_publication(conn: &mut DbConnection, case: &Case) -> QueryResult<()> {
    diesel::delete(published_letters::table.find(case.id)).execute(conn)?;
    if case.published_at.is_none() {
        return Ok(());
    }
    let writer = case.citizen_name.as_deref();
    diesel::insert_into(published_letters::table)
        .values((
            published_letters::case_id.eq(case.id),
            published_letters::title.eq(mask_for_publication(&case.title, writer)),
            published_letters::content.eq(mask_for_publication(&case.content, writer)),
            published_letters::reply.eq(mask_for_publication(case.reply.as_deref().unwrap_or(""), writer)),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives letters published before the masked copies existed theirs; returns
/// how many. Idempotent (run at every start).
pub fn backfill(conn: &mut DbConnection) -> QueryResult<usize> {
    let missing: Vec<CaseId> = cases::table
        .left_join(published_letters::table)
        .filter(cases::published_at.is_not_null())
        .filter(published_letters::case_id.nullable().is_null())
        .select(cases::id)
        .load(conn)?;
    for id in &missing {
        if let Some(case) = super::cases::find(conn, *id)? {
            record_publication(conn, &case)?;
        }
    }
    Ok(missing.len())
}
