//! Similar cases and the routing suggestion (issue 24): what the text index
//! (`db::search`) knows of a case's letter and its writer, scored by the
//! rules of `domain::text`.
//!
//! Candidates come from the index, never from a scan: the cases that share
//! a contact key, and those that share most of the letter's rarer bigrams
//! (a bigram held by more cases than [`TEXT_POSTINGS`] says little about a
//! letter and is skipped, unless every one of them is that common). Each
//! candidate is then compared whole.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::access::{self, caller, Caller};
use crate::auth::{AuthUser, OfficeStaff};
use crate::db::models::Case;
use crate::db::{self, DbConnection};
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::lifecycle::CaseState;
use crate::domain::text::{self, Reason, Term};
use crate::domain::time::{self, serde_office};
use crate::error::AppError;
use crate::state::AppState;

/// How far back similar cases are looked for.
pub const SIMILAR_DAYS: i64 = 180;
/// At most this many similar cases.
pub const SIMILAR_LIMIT: usize = 10;
/// How far back the closed cases that suggest a department go.
pub const ROUTING_DAYS: i64 = 730;
/// At most this many departments suggested.
pub const ROUTING_LIMIT: usize = 3;
/// The most similar closed cases that vote for a department.
const ROUTING_VOTERS: usize = 20;
/// A closed case votes only when at least this similar.
const ROUTING_MIN_SIMILARITY: f64 = 0.2;
/// The newest cases read per bigram; a bigram with more is common.
pub const TEXT_POSTINGS: i64 = 1_000;
/// The newest cases read per contact key.
const CONTACT_POSTINGS: i64 = 200;
/// Candidates compared whole, those sharing most bigrams first.
const TEXT_CANDIDATES: usize = 300;

/// A case like another, as `GET /api/v1/cases/{id}/similar` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarCase {
    /// The similar case.
    pub case_id: CaseId,
    /// Its tracking number.
    pub tracking_no: String,
    /// Its title.
    pub title: String,
    /// Its state.
    pub state: CaseState,
    /// When the office received it.
    #[serde(with = "serde_office")]
    pub received_at: NaiveDateTime,
    /// 0–1: how likely the two are one matter (`domain::text::score`).
    pub score: f64,
    /// Why: `same_phone`, `same_email`, `same_name_address`, `similar_text`.
    pub reasons: Vec<&'static str>,
}

/// A department suggested for a case, as `GET /api/v1/cases/{id}/routing` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RoutingSuggestion {
    /// The department.
    pub department_id: DepartmentId,
    /// Its share of the similar closed cases' votes, 0–1.
    pub score: f64,
    /// The closed cases that suggest it, most similar first.
    pub because: Vec<CaseId>,
}

/// Up to [`SIMILAR_LIMIT`] cases received in the last [`SIMILAR_DAYS`] days
/// like case `id`, best first, among those `user` may see. 404 for a case
/// the user may not see.
pub async fn similar(state: &AppState, user: &AuthUser, id: CaseId) -> Result<Vec<SimilarCase>, AppError> {
    let acting = caller(user);
    state
        .db
        .read(move |conn| {
            let case = access::visible_case(conn, id, &acting)?;
            similar_in(conn, &case, &acting, time::now_utc())
        })
        .await
}

/// The similar cases of `case` visible to `acting`, as of `now`.
pub fn similar_in(
    conn: &mut DbConnection,
    case: &Case,
    acting: &Caller,
    now: NaiveDateTime,
) -> Result<Vec<SimilarCase>, AppError> {
    let since = now - Duration::days(SIMILAR_DAYS);
    // The queue before the index, as a search reads them (`db::search`).
    let queued = db::search::queued(conn, None)?;
    let fields = db::search::fields(case);
    let contacts: HashMap<Term, Reason> = fields.contact_terms().into_iter().map(|(r, t)| (t, r)).collect();
    let mut ids: BTreeSet<CaseId> = BTreeSet::new();
    for term in contacts.keys() {
        ids.extend(db::search::postings(conn, *term, None, CONTACT_POSTINGS)?);
    }
    let topic = fields.topic();
    ids.extend(text_candidates(conn, &topic, queued)?);
    ids.remove(&case.id);
    let candidates = db::search::cases_by_ids(conn, &ids.into_iter().collect::<Vec<_>>())?;
    let found: Vec<SimilarCase> = candidates
        .iter()
        .filter(|other| other.received_at >= since && acting.can_see(other))
        .filter_map(|other| {
            let theirs = db::search::fields(other);
            // Compared again, not taken from the index: a contact key is a
            // hash, and a shared hash is not yet a shared number.
            let mut reasons: BTreeSet<Reason> = theirs
                .contact_terms()
                .into_iter()
                .filter(|(reason, term)| contacts.get(term) == Some(reason))
                .map(|(reason, _)| reason)
                .filter(|reason| same_contact(case, other, *reason))
                .collect();
            let similarity = text::dice(&topic, &theirs.topic());
            if similarity >= text::SIMILAR_TEXT_THRESHOLD {
                reasons.insert(Reason::SimilarText);
            }
            (!reasons.is_empty()).then(|| SimilarCase {
                case_id: other.id,
                tracking_no: other.tracking_no.clone(),
                title: other.title.clone(),
                state: other.state,
                received_at: other.received_at,
                score: text::score(&reasons, similarity),
                reasons: reasons.iter().map(|r| r.as_str()).collect(),
            })
        })
        .collect();
    let merged_into: HashMap<CaseId, CaseId> =
        candidates.iter().filter_map(|c| Some((c.id, c.merged_into?))).collect();
    parents_for_merged(conn, case, acting, found, &merged_into)
}

/// A merged case stands for the case it was merged into, which answers it:
/// the clerk merges a repeat into that one (a merged case takes no merge),
/// so the parent is listed in its place, with the child's reasons and the
/// higher score, once; then best first, at most [`SIMILAR_LIMIT`].
fn parents_for_merged(
    conn: &mut DbConnection,
    case: &Case,
    acting: &Caller,
    found: Vec<SimilarCase>,
    merged_into: &HashMap<CaseId, CaseId>,
) -> Result<Vec<SimilarCase>, AppError> {
    let parent_ids: Vec<CaseId> = merged_into.values().copied().collect();
    let parents: HashMap<CaseId, Case> =
        db::search::cases_by_ids(conn, &parent_ids)?.into_iter().map(|p| (p.id, p)).collect();
    let mut merged: Vec<SimilarCase> = Vec::with_capacity(found.len());
    for similar in found {
        let standing = if similar.state == CaseState::Merged {
            match merged_into.get(&similar.case_id).and_then(|id| parents.get(id)) {
                Some(p) if p.id != case.id && acting.can_see(p) => SimilarCase {
                    case_id: p.id,
                    tracking_no: p.tracking_no.clone(),
                    title: p.title.clone(),
                    state: p.state,
                    received_at: p.received_at,
                    ..similar
                },
                _ => continue,
            }
        } else {
            similar
        };
        match merged.iter_mut().find(|m| m.case_id == standing.case_id) {
            Some(listed) => {
                for reason in standing.reasons {
                    if !listed.reasons.contains(&reason) {
                        listed.reasons.push(reason);
                    }
                }
                listed.score = listed.score.max(standing.score);
            }
            None => merged.push(standing),
        }
    }
    merged.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.received_at.cmp(&a.received_at)));
    merged.truncate(SIMILAR_LIMIT);
    Ok(merged)
}

fn same_contact(case: &Case, other: &Case, reason: Reason) -> bool {
    let key = |c: &Case| match reason {
        Reason::SamePhone => c.citizen_phone.as_deref().and_then(text::phone_key),
        Reason::SameEmail => c.citizen_email.as_deref().and_then(text::email_key),
        Reason::SameNameAddress => c
            .citizen_name
            .as_deref()
            .zip(c.citizen_address.as_deref())
            .and_then(|(n, a)| text::name_address_key(n, a)),
        Reason::SimilarText => None,
    };
    key(case).is_some_and(|k| Some(k) == key(other))
}

/// The cases sharing most of `topic`'s informative bigrams, at most
/// [`TEXT_CANDIDATES`], and the cases `queued` for the index (read before
/// the index, so that a case the indexer moves meanwhile is in one or both).
fn text_candidates(
    conn: &mut DbConnection,
    topic: &BTreeSet<Term>,
    queued: Vec<CaseId>,
) -> Result<Vec<CaseId>, AppError> {
    let mut lists = Vec::with_capacity(topic.len());
    for term in topic {
        lists.push(db::search::postings(conn, *term, None, TEXT_POSTINGS)?);
    }
    let informative: Vec<&Vec<CaseId>> = lists.iter().filter(|l| (l.len() as i64) < TEXT_POSTINGS).collect();
    let used = if informative.is_empty() { lists.iter().collect() } else { informative };
    let mut hits: HashMap<CaseId, usize> = HashMap::new();
    for list in used {
        for id in list {
            *hits.entry(*id).or_default() += 1;
        }
    }
    let mut ranked: Vec<(usize, CaseId)> = hits.into_iter().map(|(id, n)| (n, id)).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let mut candidates: Vec<CaseId> = ranked.into_iter().take(TEXT_CANDIDATES).map(|(_, id)| id).collect();
    // Cases not yet indexed are all compared: there are few (`db::search`).
    let listed: BTreeSet<CaseId> = candidates.iter().copied().collect();
    candidates.extend(queued.into_iter().filter(|id| !listed.contains(id)));
    Ok(candidates)
}

/// Up to [`ROUTING_LIMIT`] departments for case `id`, from the most similar
/// cases closed by a department and received in the last [`ROUTING_DAYS`]
/// days. Clerks and admins; the clerk decides, nothing is preselected.
pub async fn routing(
    state: &AppState,
    staff: &OfficeStaff,
    id: CaseId,
) -> Result<Vec<RoutingSuggestion>, AppError> {
    let acting = caller(&staff.0);
    state
        .db
        .read(move |conn| {
            let case = access::visible_case(conn, id, &acting)?;
            routing_in(conn, &case, time::now_utc())
        })
        .await
}

/// The routing suggestion for `case` as of `now` (the case itself never votes).
pub fn routing_in(
    conn: &mut DbConnection,
    case: &Case,
    now: NaiveDateTime,
) -> Result<Vec<RoutingSuggestion>, AppError> {
    let since = now - Duration::days(ROUTING_DAYS);
    let queued = db::search::queued(conn, None)?;
    let topic = db::search::fields(case).topic();
    let mut ids = text_candidates(conn, &topic, queued)?;
    ids.retain(|id| *id != case.id);
    let mut voters: Vec<(i64, DepartmentId, f64)> = db::search::cases_by_ids(conn, &ids)?
        .iter()
        .filter(|other| other.state == CaseState::Closed && other.received_at >= since)
        .filter_map(|other| {
            let similarity = text::dice(&topic, &db::search::fields(other).topic());
            let department = other.department_id?;
            (similarity >= ROUTING_MIN_SIMILARITY).then_some((other.id.0, department, similarity))
        })
        .collect();
    voters.sort_by(|a, b| b.2.total_cmp(&a.2).then(b.0.cmp(&a.0)));
    voters.truncate(ROUTING_VOTERS);
    Ok(text::route(&voters, ROUTING_LIMIT)
        .into_iter()
        .map(|s| RoutingSuggestion {
            department_id: s.department,
            score: s.score,
            because: s.because.into_iter().map(CaseId).collect(),
        })
        .collect())
}
