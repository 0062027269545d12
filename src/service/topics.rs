//! 热点 (issue 24): `GET /api/v1/stats/topics` and the dashboard's section —
//! the period's top categories and title words with their change on the
//! period of equal length before, and the rising ones, from the topic counts
//! (`db::topics`), never from the letters themselves.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::stats::{Period, ScopeView, StatsQuery, StatsRequest};
use crate::auth::AuthUser;
use crate::db::{self, DbConnection};
use crate::domain::topics;
use crate::error::AppError;
use crate::state::AppState;

/// Words listed, most cases first.
pub const TOP_TERMS: usize = 20;
/// Categories listed, most cases first.
pub const TOP_CATEGORIES: usize = 10;

/// Query parameters of `/stats/topics`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicsQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// One channel's code.
    pub channel: Option<String>,
    /// One department's id.
    pub department_id: Option<String>,
}

impl From<TopicsQuery> for StatsQuery {
    fn from(q: TopicsQuery) -> StatsQuery {
        StatsQuery {
            from: q.from,
            to: q.to,
            channel: q.channel,
            department_id: q.department_id,
            ..Default::default()
        }
    }
}

/// Whether a topic is a title word or a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicKind {
    /// A word of the letters' titles.
    Term,
    /// A category the letters were filed under.
    Category,
}

/// One topic's counts.
#[derive(Debug, Clone, Serialize)]
pub struct Topic {
    /// Word or category.
    pub kind: TopicKind,
    /// The word, or the category's name.
    pub term: String,
    /// Cases of the period holding it.
    pub cases: i64,
    /// Cases of the period of equal length before.
    pub previous: i64,
    /// cases − previous.
    pub change: i64,
    /// change / previous; null when the period before had none.
    pub change_rate: Option<f64>,
    /// Cases of the period's last 7 days.
    pub last_week: i64,
    /// Cases of the 4 weeks before those 7 days.
    pub weeks_before: i64,
    /// Rising: `last_week` ≥ 10 and more than twice the weekly mean of `weeks_before`.
    pub rising: bool,
}

/// `GET /api/v1/stats/topics`.
#[derive(Debug, Clone, Serialize)]
pub struct Topics {
    /// The period counted.
    pub period: Period,
    /// The period of equal length just before.
    pub previous_period: Period,
    /// The period's last 7 days, which decide what is rising.
    pub last_week: Period,
    /// The 4 weeks before them.
    pub weeks_before: Period,
    /// The channel and department asked for (a handler's own).
    pub scope: ScopeView,
    /// Up to 10 categories, most cases first.
    pub categories: Vec<Topic>,
    /// Up to 20 title words, most cases first.
    pub terms: Vec<Topic>,
    /// Every rising word or category, most cases of the last week first.
    pub rising: Vec<Topic>,
    /// How the topics are counted, in the report's words.
    pub definition: &'static str,
}

/// `/stats/topics` for `user` (a handler: their own department's).
pub async fn topics(state: &AppState, user: &AuthUser, query: TopicsQuery) -> Result<Topics, AppError> {
    let req = StatsQuery::from(query).parse(user, false)?;
    // One snapshot: the stored counts and the queued cases are added up.
    state.db.read_snapshot(move |conn| topics_in(conn, &req)).await
}

/// The topics of `req`'s period and scope.
pub fn topics_in(conn: &mut DbConnection, req: &StatsRequest) -> Result<Topics, AppError> {
    let scope = &req.scope;
    let (previous_from, previous_to) = topics::previous_period(scope.from, scope.to);
    let ((week_from, week_to), (before_from, before_to)) = topics::weeks(scope.to);
    let queued = db::topics::QueuedTopics::read(conn)?;
    let count = |conn: &mut DbConnection, from, to| db::topics::counts(conn, scope, from, to, &queued);
    let current = count(conn, scope.from, scope.to)?;
    let previous = count(conn, previous_from, previous_to)?;
    let week = count(conn, week_from, week_to)?;
    let before = count(conn, before_from, before_to)?;
    let topic = |term: &str| -> Topic {
        let get = |m: &HashMap<String, i64>| m.get(term).copied().unwrap_or(0);
        let (cases, prev, last, earlier) = (get(&current), get(&previous), get(&week), get(&before));
        let (kind, name) = match topics::category_code(term) {
            Some(code) => (TopicKind::Category, code.to_owned()),
            None => (TopicKind::Term, term.to_owned()),
        };
        Topic {
            kind,
            term: name,
            cases,
            previous: prev,
            change: cases - prev,
            change_rate: (prev > 0).then(|| (cases - prev) as f64 / prev as f64),
            last_week: last,
            weeks_before: earlier,
            rising: topics::is_rising(last, earlier),
        }
    };
    let mut ranked: Vec<(&String, &i64)> = current.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let is_category = |t: &&String| topics::category_code(t).is_some();
    let categories =
        ranked.iter().map(|(t, _)| *t).filter(is_category).take(TOP_CATEGORIES).map(|t| topic(t));
    let terms = ranked.iter().map(|(t, _)| *t).filter(|t| !is_category(t)).take(TOP_TERMS).map(|t| topic(t));
    let mut rising: Vec<Topic> = week.keys().map(|t| topic(t)).filter(|t| t.rising).collect();
    rising.sort_by(|a, b| b.last_week.cmp(&a.last_week).then_with(|| a.term.cmp(&b.term)));
    let period = |from, to| Period { from, to };
    Ok(Topics {
        period: period(scope.from, scope.to),
        previous_period: period(previous_from, previous_to),
        last_week: period(week_from, week_to),
        weeks_before: period(before_from, before_to),
        scope: ScopeView { channel: scope.channel.clone(), department_id: scope.department },
        categories: categories.collect(),
        terms: terms.collect(),
        rising,
        definition: topics::DEFINITION,
    })
}
