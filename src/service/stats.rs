//! The statistics both clients show: `/api/v1/stats/*` serialises these
//! structures, and the console's dashboard renders the very same values, so
//! the page and the API cannot disagree. Every figure is computed by
//! `domain::figures` from the rollups (`db::rollups::counts`), for a period
//! and the same period a year earlier (counted as of the same moment), with
//! the change and the definition in force.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::db::rollups::counts;
use crate::db::{self, DbConnection};
use crate::deadlines::DUE_SOON_WORKDAYS;
use crate::domain::calendar::end_of_day;
use crate::domain::figures::{
    self, handling_time_change_text, Breakdown, Change, Counts, Definition, Figures, Scope,
};
use crate::domain::ids::DepartmentId;
use crate::domain::rating::Rating;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;

/// Longest period one request may span, in days (ten years).
const MAX_PERIOD_DAYS: i64 = 3660;

/// Query parameters of every statistics endpoint and of the dashboard.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// One channel's code.
    pub channel: Option<String>,
    /// One department's id.
    pub department_id: Option<String>,
    /// The moment the figures are counted at (default now).
    pub as_of: Option<String>,
    /// Trend only: `month`.
    pub interval: Option<String>,
}

/// A checked statistics request.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    /// Period and scope.
    pub scope: Scope,
    /// The moment the figures are counted at.
    pub as_of: NaiveDateTime,
    /// Now, for the open cases' overdue count.
    pub now: NaiveDateTime,
}

fn date(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw {
        None => {
            errors.add(field, Rule::RequiredDate);
            None
        }
        Some(raw) => {
            let parsed = time::parse_date(raw);
            if parsed.is_none() {
                errors.add(field, Rule::Date);
            }
            parsed
        }
    }
}

impl StatsQuery {
    /// Checks the parameters for `user`; `trend` allows `interval`. A
    /// handler's figures are their own department's, whatever they ask for.
    pub fn parse(self, user: &AuthUser, trend: bool) -> Result<StatsRequest, AppError> {
        let mut errors = FieldErrors::new();
        let from = date(&mut errors, "from", self.from.as_deref());
        let to = date(&mut errors, "to", self.to.as_deref());
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                errors.add("to", Rule::ToAfterFrom);
            } else if (to - from).num_days() > MAX_PERIOD_DAYS {
                errors.add("to", Rule::PeriodTooLong);
            }
        }
        let department = match self.department_id.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                errors.add("department_id", Rule::DepartmentId);
                None
            }
        };
        let now = time::now_utc();
        let as_of = match self.as_of.as_deref() {
            None => now,
            Some(raw) => time::parse_instant(raw).unwrap_or_else(|| {
                errors.add("as_of", Rule::DateOrTimestamp);
                now
            }),
        };
        match (trend, self.interval.as_deref()) {
            (true, None | Some("month")) | (false, None) => {}
            (true, Some(_)) => errors.add("interval", Rule::OneOf(&["month"])),
            (false, Some(_)) => errors.add("interval", Rule::TrendOnly),
        }
        let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
            return Err(errors.into());
        };
        let department = match user.department_scope() {
            Some(own) if department.is_some_and(|d| d != own.0) => {
                return Err(AppError::Forbidden("handlers see their own department's figures only".into()))
            }
            Some(own) => Some(own.0),
            None => department,
        };
        Ok(StatsRequest {
            scope: Scope { from, to, channel: self.channel.filter(|c| !c.is_empty()), department },
            as_of,
            now,
        })
    }
}

/// The definition in force, as every statistics response prints it.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionView {
    /// Ratings that count as satisfied.
    pub satisfied_ratings: Vec<Rating>,
    /// Weights of the composite satisfaction.
    pub composite_weights: BTreeMap<&'static str, f64>,
    /// The definition in the report's words.
    pub text: String,
}

impl From<&Definition> for DefinitionView {
    fn from(d: &Definition) -> Self {
        let [s, b, u] = d.weights;
        DefinitionView {
            satisfied_ratings: d.satisfied_ratings.clone(),
            composite_weights: BTreeMap::from([
                ("satisfied", s.0 as f64 / 10_000.0),
                ("basically_satisfied", b.0 as f64 / 10_000.0),
                ("unsatisfied", u.0 as f64 / 10_000.0),
            ]),
            text: d.text(),
        }
    }
}

/// A period of Beijing days, `to` exclusive.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Day after the last.
    pub to: NaiveDate,
}

/// The scope asked for.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeView {
    /// One channel, or all.
    pub channel: Option<String>,
    /// One department, or all.
    pub department_id: Option<i64>,
}

/// What every statistics response carries besides its figures.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    /// The period counted.
    pub period: Period,
    /// The same period a year earlier.
    pub previous_period: Period,
    /// The moment counted at, Beijing time (RFC 3339).
    pub as_of: String,
    pub scope: ScopeView,
    /// The definition in force.
    pub definition: DefinitionView,
}

impl Envelope {
    fn new(req: &StatsRequest, definition: &Definition) -> Envelope {
        let period = |s: &Scope| Period { from: s.from, to: s.to };
        Envelope {
            period: period(&req.scope),
            previous_period: period(&req.scope.year_earlier()),
            as_of: time::to_office(req.as_of).to_rfc3339(),
            scope: ScopeView { channel: req.scope.channel.clone(), department_id: req.scope.department },
            definition: DefinitionView::from(definition),
        }
    }
}

/// One scope's figures now and a year earlier, and the change.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The period's figures.
    pub figures: Figures,
    /// The same period a year earlier.
    pub previous: Figures,
    /// current − previous.
    pub change: Change,
    /// The change in average handling time in the report's words (缩短/延长 x 天).
    pub handling_time_change: Option<String>,
}

impl Comparison {
    fn new(current: &Counts, previous: &Counts, definition: &Definition, two: bool) -> Comparison {
        let (now, before) =
            (figures::figures(current, definition, two), figures::figures(previous, definition, two));
        Comparison {
            change: figures::change(&now, &before),
            figures: now,
            previous: before,
            handling_time_change: figures::handling_days_change_tenths(current, previous)
                .map(handling_time_change_text),
        }
    }
}

/// `GET /api/v1/stats/summary`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Period, scope and definition.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The figures.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// One channel's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelFigures {
    /// Channel code.
    pub channel: String,
    /// Channel name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// One department's figures (`department_id` 0: not yet assigned).
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentFigures {
    pub department_id: i64,
    /// Department name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// One month's figures.
#[derive(Debug, Clone, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// The figures.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// A breakdown: the envelope and one item per group.
#[derive(Debug, Clone, Serialize)]
pub struct Groups<T> {
    /// Period, scope and definition.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// `month` for the trend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<&'static str>,
    /// The groups.
    pub items: Vec<T>,
}

fn two_dimensions(conn: &mut DbConnection, channel: Option<&str>) -> Result<bool, AppError> {
    Ok(match channel {
        Some(code) => db::channels::find(conn, code)?.is_some_and(|c| c.two_dimension_rating),
        None => false,
    })
}

type Grouped = (BTreeMap<String, Counts>, BTreeMap<String, Counts>);

fn both_years(
    conn: &mut DbConnection,
    req: &StatsRequest,
    breakdown: Breakdown,
) -> Result<Grouped, AppError> {
    let current = counts(conn, &req.scope, breakdown, req.as_of, req.now)?;
    let previous = counts(conn, &req.scope.year_earlier(), breakdown, req.as_of, req.now)?;
    Ok((current, previous))
}

/// One group's comparison (`previous_key` names the group a year earlier).
fn group(
    (current, previous): &Grouped,
    key: &str,
    previous_key: &str,
    definition: &Definition,
    two: bool,
) -> Comparison {
    let at = |groups: &BTreeMap<String, Counts>, k: &str| groups.get(k).copied().unwrap_or_default();
    Comparison::new(&at(current, key), &at(previous, previous_key), definition, two)
}

/// Figures of the whole scope.
pub fn summary_in(
    conn: &mut DbConnection,
    req: &StatsRequest,
    definition: &Definition,
) -> Result<Summary, AppError> {
    let two = two_dimensions(conn, req.scope.channel.as_deref())?;
    let (current, previous) = both_years(conn, req, Breakdown::Total)?;
    let total = |g: &BTreeMap<String, Counts>| {
        g.values().copied().fold(Counts::default(), |mut a, c| {
            a += c;
            a
        })
    };
    Ok(Summary {
        envelope: Envelope::new(req, definition),
        comparison: Comparison::new(&total(&current), &total(&previous), definition, two),
    })
}

/// Figures per channel: every channel (of the scope), including those with no cases.
pub fn by_channel_in(
    conn: &mut DbConnection,
    req: &StatsRequest,
    definition: &Definition,
) -> Result<Groups<ChannelFigures>, AppError> {
    let channels = db::channels::list(conn)?;
    let groups = both_years(conn, req, Breakdown::Channel)?;
    let items = channels
        .into_iter()
        .filter(|c| req.scope.channel.as_ref().is_none_or(|only| only == &c.code))
        .map(|c| ChannelFigures {
            comparison: group(&groups, &c.code, &c.code, definition, c.two_dimension_rating),
            channel: c.code,
            name: c.name,
        })
        .collect();
    Ok(Groups { envelope: Envelope::new(req, definition), interval: None, items })
}

/// Figures per department with cases in either year (0: not yet assigned).
pub fn by_department_in(
    conn: &mut DbConnection,
    req: &StatsRequest,
    definition: &Definition,
) -> Result<Groups<DepartmentFigures>, AppError> {
    let two = two_dimensions(conn, req.scope.channel.as_deref())?;
    let names: BTreeMap<i64, String> =
        db::departments::list(conn)?.into_iter().map(|d| (d.id.0, d.name)).collect();
    let groups = both_years(conn, req, Breakdown::Department)?;
    let mut ids: Vec<i64> = groups.0.keys().chain(groups.1.keys()).filter_map(|k| k.parse().ok()).collect();
    ids.sort_unstable();
    ids.dedup();
    let items = ids
        .into_iter()
        .map(|id| {
            let key = id.to_string();
            DepartmentFigures {
                department_id: id,
                name: names.get(&id).cloned().unwrap_or_else(|| "未交办".to_owned()),
                comparison: group(&groups, &key, &key, definition, two),
            }
        })
        .collect();
    Ok(Groups { envelope: Envelope::new(req, definition), interval: None, items })
}

/// Figures per month of the period, empty months included.
pub fn trend_in(
    conn: &mut DbConnection,
    req: &StatsRequest,
    definition: &Definition,
) -> Result<Groups<MonthFigures>, AppError> {
    let two = two_dimensions(conn, req.scope.channel.as_deref())?;
    let groups = both_years(conn, req, Breakdown::Month)?;
    let mut items = Vec::new();
    let from = req.scope.from;
    let mut month = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    while month < req.scope.to {
        let key = month.format("%Y-%m").to_string();
        let earlier = month.checked_sub_months(Months::new(12)).unwrap_or(month).format("%Y-%m").to_string();
        items.push(MonthFigures { comparison: group(&groups, &key, &earlier, definition, two), month: key });
        month = month.checked_add_months(Months::new(1)).unwrap_or(req.scope.to);
    }
    Ok(Groups { envelope: Envelope::new(req, definition), interval: Some("month"), items })
}

/// The statistics a request asks for, read for `user` (a handler's are their
/// own department's; another department is 403).
async fn read<T: Send + 'static>(
    state: &AppState,
    user: &AuthUser,
    query: StatsQuery,
    trend: bool,
    figures: fn(&mut DbConnection, &StatsRequest, &Definition) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let req = query.parse(user, trend)?;
    let definition = state.settings.definition.clone();
    state.db.read(move |conn| figures(conn, &req, &definition)).await
}

/// `GET /stats/summary`: the figures of the whole scope.
pub async fn summary(state: &AppState, user: &AuthUser, query: StatsQuery) -> Result<Summary, AppError> {
    read(state, user, query, false, summary_in).await
}

/// `GET /stats/by-channel`.
pub async fn by_channel(
    state: &AppState,
    user: &AuthUser,
    query: StatsQuery,
) -> Result<Groups<ChannelFigures>, AppError> {
    read(state, user, query, false, by_channel_in).await
}

/// `GET /stats/by-department`.
pub async fn by_department(
    state: &AppState,
    user: &AuthUser,
    query: StatsQuery,
) -> Result<Groups<DepartmentFigures>, AppError> {
    read(state, user, query, false, by_department_in).await
}

/// `GET /stats/trend`.
pub async fn trend(
    state: &AppState,
    user: &AuthUser,
    query: StatsQuery,
) -> Result<Groups<MonthFigures>, AppError> {
    read(state, user, query, true, trend_in).await
}

/// Everything the dashboard shows, read in one database turn: the figures of
/// the scope, per channel, per department and per month, and the risk board
/// (open cases overdue or due within [`DUE_SOON_WORKDAYS`] working days,
/// 差评整改 past their due time, and cases not signed for in time, per
/// department, now).
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The request as checked (scope, `as_of`, now).
    pub request: StatsRequest,
    /// The whole scope.
    pub summary: Summary,
    /// Per channel.
    pub channels: Vec<ChannelFigures>,
    /// Per department.
    pub departments: Vec<DepartmentFigures>,
    /// Per month.
    pub trend: Vec<MonthFigures>,
    /// Per department (`None`: not yet routed).
    pub risk: BTreeMap<Option<DepartmentId>, Risk>,
    /// Every department's name, by id.
    pub department_names: BTreeMap<i64, String>,
    /// Every channel: code and name.
    pub channel_names: Vec<(String, String)>,
    /// The last day a case due soon is due on.
    pub horizon_day: NaiveDate,
}

/// One department's cases at risk now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Risk {
    /// Open, running cases past their due time.
    pub overdue: i64,
    /// Due within [`DUE_SOON_WORKDAYS`] working days.
    pub due_soon: i64,
    /// 差评整改 past their due time.
    pub rectifications_overdue: i64,
    /// Assigned cases not signed for by their time to sign (签收超时).
    pub accept_overdue: i64,
}

/// The dashboard of `query` for `user`.
pub async fn dashboard(state: &AppState, user: &AuthUser, query: StatsQuery) -> Result<Dashboard, AppError> {
    let req = query.parse(user, false)?;
    let definition = state.settings.definition.clone();
    let db = state.db.clone();
    state
        .db
        .read(move |conn| {
            let calendar = db.calendar(conn)?;
            let today = time::office_date(req.now);
            let horizon_day = calendar.add_workdays(today, DUE_SOON_WORKDAYS as u32);
            let departments = db::departments::list(conn)?;
            let channel = req.scope.channel.as_deref();
            let department = req.scope.department.map(DepartmentId);
            let mut risk: BTreeMap<Option<DepartmentId>, Risk> =
                db::cases::at_risk(conn, channel, department, req.now, end_of_day(horizon_day))?
                    .into_iter()
                    .map(|(d, (overdue, due_soon))| (d, Risk { overdue, due_soon, ..Risk::default() }))
                    .collect();
            for (d, late) in db::cases::rectifications_overdue(conn, channel, department, req.now)? {
                risk.entry(d).or_default().rectifications_overdue = late;
            }
            for (d, late) in db::cases::accept_overdue(conn, channel, department, req.now)? {
                risk.entry(d).or_default().accept_overdue = late;
            }
            Ok(Dashboard {
                summary: summary_in(conn, &req, &definition)?,
                channels: by_channel_in(conn, &req, &definition)?.items,
                departments: by_department_in(conn, &req, &definition)?.items,
                trend: trend_in(conn, &req, &definition)?.items,
                risk,
                department_names: departments.iter().map(|d| (d.id.0, d.name.clone())).collect(),
                channel_names: db.channels(conn)?.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
                horizon_day,
                request: req,
            })
        })
        .await
}
