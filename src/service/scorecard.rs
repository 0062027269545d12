//! `GET /api/v1/stats/scorecard` and `/console/scorecard`: each department's
//! six components with what they are made of, its score and rank
//! (`domain::scorecard`), from the rollups — per department the assignments
//! and returns are its own, whichever department holds the case now.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::stats::{DefinitionView, Period, StatsQuery};
use crate::auth::Overseer;
use crate::db::rollups::counts;
use crate::db::{self, DbConnection};
use crate::domain::figures::{Breakdown, Counts, Definition, Hundredths, Scope};
use crate::domain::scorecard::{self, Component, Part, Weights, MIN_CASES_RANKED};
use crate::error::AppError;
use crate::state::AppState;

/// The scorecard's query: a period.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last.
    pub to: Option<String>,
}

/// One component of a department's score.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ComponentScore {
    /// The rate, what it counts and over what.
    #[serde(flatten)]
    pub part: Part,
    /// Its weight as set.
    pub weight: i64,
    /// Its weight in this department's score: 0 without data, the others
    /// grown in proportion.
    pub effective_weight: Hundredths,
}

/// One department's line of the scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentScore {
    pub department_id: i64,
    /// Department name.
    pub name: String,
    /// Cases received in the period now with this department.
    pub received: i64,
    /// Assignments it got of the period's cases.
    pub assignments: i64,
    /// Of those, handed back (退单).
    pub returns: i64,
    /// Each component, by name.
    pub components: BTreeMap<&'static str, ComponentScore>,
    /// Σ weight × rate / Σ weight over the components with data; null without any.
    pub score: Option<Hundredths>,
    /// Whether it is ranked (it received at least `min_cases_ranked` cases).
    pub ranked: bool,
    /// 1 for the highest score; ties share a rank; null when not ranked.
    pub rank: Option<usize>,
}

/// `GET /api/v1/stats/scorecard`.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// The period counted.
    pub period: Period,
    /// Counted at, Beijing time (RFC 3339).
    pub as_of: String,
    /// Each component's weight, by name (summing to 100).
    pub weights: BTreeMap<&'static str, i64>,
    /// The formula in the report's words.
    pub formula: String,
    /// Departments that received fewer cases are listed, not ranked.
    pub min_cases_ranked: i64,
    /// The figures' definition in force.
    pub definition: DefinitionView,
    /// Ranked departments by rank, then the others by name.
    pub items: Vec<DepartmentScore>,
}

/// The scorecard of `scope`'s period (every channel, every department) as of `now`.
pub fn scorecard_in(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
    definition: &Definition,
    weights: &Weights,
) -> Result<Scorecard, AppError> {
    let scope = Scope { channel: None, department: None, ..scope.clone() };
    let by_department = counts(conn, &scope, Breakdown::Department, now, now)?;
    let departments = db::departments::list(conn)?;
    let mut items: Vec<DepartmentScore> = departments
        .iter()
        .filter(|d| d.active || by_department.contains_key(&d.id.0.to_string()))
        .map(|d| {
            let sums = by_department.get(&d.id.0.to_string()).copied().unwrap_or_default();
            department_score(d.id.0, d.name.clone(), &sums, definition, weights)
        })
        .collect();
    let scores: Vec<Option<Hundredths>> =
        items.iter().map(|item| item.score.filter(|_| item.ranked)).collect();
    for (item, rank) in items.iter_mut().zip(scorecard::ranks(&scores)) {
        item.rank = rank;
    }
    items.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.name.cmp(&b.name)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.name.cmp(&b.name),
    });
    Ok(Scorecard {
        period: Period { from: scope.from, to: scope.to },
        as_of: crate::domain::time::to_office(now).to_rfc3339(),
        weights: weights.0.iter().map(|(c, w)| (c.name(), *w)).collect(),
        formula: weights.formula_text(),
        min_cases_ranked: MIN_CASES_RANKED,
        definition: DefinitionView::from(definition),
        items,
    })
}

fn department_score(
    department_id: i64,
    name: String,
    sums: &Counts,
    definition: &Definition,
    weights: &Weights,
) -> DepartmentScore {
    let parts: Vec<(Component, Part)> =
        Component::ALL.iter().map(|c| (*c, c.part(sums, definition))).collect();
    let with_data: i64 = parts.iter().filter(|(_, p)| p.rate.is_some()).map(|(c, _)| weights.of(*c)).sum();
    let components = parts
        .iter()
        .map(|(c, part)| {
            let weight = weights.of(*c);
            let effective = if part.rate.is_some() {
                Hundredths::ratio(i128::from(weight) * 100, i128::from(with_data)).unwrap_or(Hundredths(0))
            } else {
                Hundredths(0)
            };
            (c.name(), ComponentScore { part: *part, weight, effective_weight: effective })
        })
        .collect();
    let ranked = sums.received >= MIN_CASES_RANKED;
    DepartmentScore {
        department_id,
        name,
        received: sums.received,
        assignments: sums.assignments,
        returns: sums.returns,
        components,
        score: scorecard::score(&parts, weights),
        ranked,
        rank: None,
    }
}

/// The scorecard `query` asks for (leaders, clerks, admins).
pub async fn scorecard(
    state: &AppState,
    who: &Overseer,
    query: ScorecardQuery,
) -> Result<Scorecard, AppError> {
    let stats = StatsQuery { from: query.from, to: query.to, ..StatsQuery::default() };
    let req = stats.parse(&who.0, false)?;
    let definition = state.settings.definition.clone();
    let weights = state.settings.scorecard_weights.clone();
    state.db.read(move |conn| scorecard_in(conn, &req.scope, req.now, &definition, &weights)).await
}
