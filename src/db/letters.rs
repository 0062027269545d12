//! The published letters (信件选登) of `/mailbox/letters`: closed cases whose
//! citizen agreed to publication (`is_public`) and that a clerk approved
//! (`publish`, which sets `published_at`). All three conditions are in the
//! one query below, so no caller can list a letter that lacks one of them.
//! Only what a published letter shows is selected: never a phone, email or
//! address, and the name only to be masked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cases::like_pattern;
use super::schema::{cases, departments};
use super::DbConnection;
use crate::domain::lifecycle::CaseState;

/// One published letter with its reply, as stored (the name unmasked:
/// masking is the view's, `domain::citizen::mask_name`).
#[derive(Debug, Clone, Queryable)]
pub struct PublishedLetter {
    pub tracking_no: String,
    /// Subject line.
    pub title: String,
    /// The letter.
    pub content: String,
    /// Subject category.
    pub category: Option<String>,
    /// The citizen's name, to be masked before it is shown.
    pub citizen_name: Option<String>,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// The approved reply.
    pub reply: Option<String>,
    /// When it was closed.
    pub closed_at: Option<NaiveDateTime>,
    /// The department that answered.
    pub department: Option<String>,
}

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
            .left_join(departments::table)
            .filter(cases::state.eq(CaseState::Closed))
            .filter(cases::is_public.eq(true))
            .filter(cases::published_at.is_not_null())
            .into_boxed();
        if let Some(text) = text {
            let pattern = like_pattern(text);
            query = query.filter(
                cases::title
                    .like(pattern.clone())
                    .escape('\\')
                    .or(cases::content.like(pattern.clone()).escape('\\'))
                    // A closed case has its reply.
                    .or(cases::reply.assume_not_null().like(pattern).escape('\\')),
            );
        }
        query
            .order((cases::closed_at.desc(), cases::id.desc()))
            .offset(offset)
            .limit(limit + 1)
            .select((
                cases::tracking_no,
                cases::title,
                cases::content,
                cases::category,
                cases::citizen_name,
                cases::received_at,
                cases::reply,
                cases::closed_at,
                departments::name.nullable(),
            ))
            .load(c)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
