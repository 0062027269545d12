//! `/console/dashboard`: the leadership's figures for a period and scope —
//! tiles, the monthly trend, per channel and per department, the cases at
//! risk now, the 热点 — and the same view as a workbook (`/console/dashboard.xlsx`).
//!
//! The figures are `service::stats::dashboard`'s, the structures
//! `/api/v1/stats/*` serialises, read in one database turn; every figure element carries its
//! API name and value, and every count links to the case list of exactly the
//! cases it counts. Query parameters are the API's (`from`, `to`, `channel`,
//! `department_id`), so a view can be handed between the two.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use super::dashboard_book;
use super::format::{self, Kind, Value, MIN_BASE, SHOWN};
use crate::auth::AuthUser;
use crate::domain::figures::{Figures, Scope};
use crate::domain::time;
use crate::error::AppError;
use crate::service::stats::{
    self, ChannelFigures, Comparison, DepartmentFigures, MonthFigures, StatsQuery, Summary,
};
use crate::service::topics::{self, Topic, TopicKind, TopicsQuery};
use crate::state::AppState;
use crate::web::chart::{self, Series};
use crate::web::errors::PageError;
use crate::web::layout::{html, Layout};
use crate::web::messages;
use crate::web::session::Page;

/// The dashboard's query: the statistics API's parameters; empty ones are unset.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DashboardQuery {
    /// First day.
    pub from: Option<String>,
    /// Day after the last.
    pub to: Option<String>,
    /// One channel.
    pub channel: Option<String>,
    /// One department.
    pub department_id: Option<String>,
}

/// A filter field the form left empty is no filter at all.
fn filled_in(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl DashboardQuery {
    /// Whether the form's channel is `code`.
    pub fn channel_is(&self, code: &str) -> bool {
        self.channel.as_deref() == Some(code)
    }

    /// Whether the form's department is `id`.
    pub fn department_is(&self, id: &i64) -> bool {
        self.department_id.as_deref().and_then(|d| d.parse::<i64>().ok()) == Some(*id)
    }

    /// The period, defaulting to this calendar year (Beijing).
    fn stats_query(&self, today: NaiveDate) -> StatsQuery {
        let (year_start, next_year) = year_bounds(today.year());
        StatsQuery {
            from: Some(filled_in(&self.from).unwrap_or_else(|| year_start.to_string())),
            to: Some(filled_in(&self.to).unwrap_or_else(|| next_year.to_string())),
            channel: filled_in(&self.channel),
            department_id: filled_in(&self.department_id),
            as_of: None,
            interval: None,
        }
    }
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    (start, start.checked_add_months(Months::new(12)).unwrap_or(start))
}

/// A ready-made period: label and bounds.
pub struct Preset {
    pub label: String,
    /// The dashboard URL of this period with the current scope.
    pub href: String,
    /// Whether it is the period shown.
    pub current: bool,
}

fn presets(today: NaiveDate, scope: &Scope) -> Vec<Preset> {
    let year = today.year();
    let mut periods =
        vec![("今年".to_owned(), year_bounds(year)), ("去年".to_owned(), year_bounds(year - 1))];
    for quarter in 0..4u32 {
        let start = NaiveDate::from_ymd_opt(year, quarter * 3 + 1, 1).unwrap_or(today);
        periods.push((format!("{year}年第{}季度", quarter + 1), (start, start + Months::new(3))));
    }
    let month = NaiveDate::from_ymd_opt(year, today.month(), 1).unwrap_or(today);
    periods.push(("本月".to_owned(), (month, month + Months::new(1))));
    periods
        .into_iter()
        .map(|(label, (from, to))| Preset {
            href: dashboard_href(&Scope { from, to, ..scope.clone() }),
            current: scope.from == from && scope.to == to,
            label,
        })
        .collect()
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The query string of a scope's period and filters.
fn scope_query(scope: &Scope) -> String {
    let mut query = format!("from={}&to={}", scope.from, scope.to);
    if let Some(channel) = &scope.channel {
        query.push_str(&format!("&channel={}", encode(channel)));
    }
    if let Some(department) = scope.department {
        query.push_str(&format!("&department_id={department}"));
    }
    query
}

fn dashboard_href(scope: &Scope) -> String {
    format!("/console/dashboard?{}", scope_query(scope))
}

/// The case list of exactly the cases `figure` counts in `scope`, if it is a
/// count of cases (rates and means have no list).
fn drill_down(scope: &Scope, figure: &str) -> Option<String> {
    let mut query = format!("received_from={}&received_to={}", scope.from, scope.to);
    if let Some(channel) = &scope.channel {
        query.push_str(&format!("&channel={}", encode(channel)));
    }
    match scope.department {
        // Cases not yet assigned have no department to filter by.
        Some(0) => return None,
        Some(department) => query.push_str(&format!("&department_id={department}")),
        None => {}
    }
    match figure {
        "received" => query.push_str("&state=registered,assigned,processing,reviewing,closed"),
        "closed" => query.push_str("&state=closed"),
        "merged" => query.push_str("&state=merged"),
        "overdue_open" => query.push_str("&overdue=true"),
        _ => return None,
    }
    Some(format!("/console/cases?{query}"))
}

/// One figure element.
pub struct Cell {
    /// The figure's name in the stats API.
    pub figure: &'static str,
    /// `data-value`: the number as the API gives it.
    pub value: String,
    /// The figure as printed.
    pub text: String,
    /// The list of the cases it counts.
    pub href: Option<String>,
    /// Shown as "—" because its base is under [`MIN_BASE`] cases.
    pub too_few: bool,
    /// The number itself, for a workbook; `None` for a rate over nothing.
    pub number: Option<f64>,
}

fn cell(figures: &Figures, name: &'static str, kind: Kind, scope: &Scope, rank_guard: bool) -> Cell {
    match format::value_of(figures, name) {
        Value::Count(n) => Cell {
            figure: name,
            value: n.to_string(),
            text: n.to_string(),
            href: drill_down(scope, name),
            too_few: false,
            number: Some(n as f64),
        },
        Value::Ratio(value, base) => {
            let too_few = rank_guard && value.is_some() && base < MIN_BASE;
            let text = match (too_few, kind) {
                (true, _) => "—".to_owned(),
                (false, Kind::Days) => format::days(value),
                (false, _) => format::percent(value),
            };
            let number = value.map(|v| v.as_f64());
            Cell { figure: name, value: format::api_value(value), text, href: None, too_few, number }
        }
    }
}

/// A dashboard tile: a figure with its comparison and definition.
pub struct Tile {
    pub label: &'static str,
    /// The figure.
    pub cell: Cell,
    /// The same period a year earlier, as printed.
    pub previous: String,
    /// The same period a year earlier, the number.
    pub previous_number: Option<f64>,
    /// The change, in words.
    pub change: String,
    /// 口径.
    pub definition: String,
}

fn tiles(summary: &Summary, scope: &Scope) -> Vec<Tile> {
    let Comparison { figures, previous, change, handling_time_change } = &summary.comparison;
    let definition_text = &summary.envelope.definition.text;
    SHOWN
        .iter()
        .map(|&(name, label, kind)| {
            let earlier = cell(previous, name, kind, scope, false);
            let change = match name {
                "received" => format::count_change(change.received),
                "closed" => format::count_change(change.closed),
                "overdue_open" => format::count_change(change.overdue_open),
                "ratings_excluded" => format::count_change(change.ratings_excluded),
                "merged" => format::count_change(change.merged),
                "avg_handling_days" => handling_time_change.clone().unwrap_or_else(|| "—".into()),
                "completion_rate" => format::points(change.completion_rate),
                "on_time_rate" => format::points(change.on_time_rate),
                "satisfaction_rate" => format::points(change.satisfaction_rate),
                "composite_satisfaction" => format::points(change.composite_satisfaction),
                "resolution_rate" => format::points(change.resolution_rate),
                "callback_rate" => format::points(change.callback_rate),
                "accepted_on_time_rate" => format::points(change.accepted_on_time_rate),
                "return_rate" => format::points(change.return_rate),
                _ => String::new(),
            };
            Tile {
                label,
                cell: cell(figures, name, kind, scope, false),
                previous: earlier.text,
                previous_number: earlier.number,
                change,
                definition: format::definition_of(definition_text, name),
            }
        })
        .collect()
}

/// A row of a breakdown table.
pub struct Row {
    /// Group name.
    pub name: String,
    /// `data-channel` / `data-department-id` / `data-scope`.
    pub scope_attr: &'static str,
    pub scope_value: String,
    /// The figures, in [`SHOWN`] order.
    pub cells: Vec<Cell>,
}

fn row(name: String, scope_attr: &'static str, scope_value: String, figures: &Figures, scope: &Scope) -> Row {
    let cells = SHOWN.iter().map(|&(figure, _, kind)| cell(figures, figure, kind, scope, true)).collect();
    Row { name, scope_attr, scope_value, cells }
}

fn channel_rows(items: &[ChannelFigures], scope: &Scope) -> Vec<Row> {
    items
        .iter()
        .map(|item| {
            let scope = Scope { channel: Some(item.channel.clone()), ..scope.clone() };
            row(item.name.clone(), "channel", item.channel.clone(), &item.comparison.figures, &scope)
        })
        .collect()
}

fn department_rows(items: &[DepartmentFigures], scope: &Scope) -> Vec<Row> {
    items
        .iter()
        .filter(|item| item.comparison.figures.received > 0 || item.comparison.figures.overdue_open > 0)
        .map(|item| {
            let scope = Scope { department: Some(item.department_id), ..scope.clone() };
            let id = item.department_id.to_string();
            row(item.name.clone(), "department-id", id, &item.comparison.figures, &scope)
        })
        .collect()
}

/// A month of the trend, for the table beside the chart.
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    pub received: i64,
    pub closed: i64,
}

/// Cases at risk in one department now.
pub struct RiskRow {
    /// Department name.
    pub name: String,
    /// Overdue open cases.
    pub overdue: i64,
    /// Due within two working days.
    pub due_soon: i64,
    /// 差评整改 past their due time.
    pub rectification_overdue: i64,
    /// Assigned cases not signed for in time (签收超时).
    pub accept_overdue: i64,
    /// The list of those.
    pub accept_overdue_href: String,
    /// The department's 待整改 list.
    pub rectification_href: String,
    /// The list of the overdue ones.
    pub overdue_href: String,
    /// The list of those due soon.
    pub due_soon_href: String,
}

/// One 热点 on the dashboard.
pub struct TopicRow {
    /// The word or category.
    pub term: String,
    /// Cases of the period.
    pub cases: i64,
    /// The change on the period before, in words (+12, −3, 持平, 新出现).
    pub change: String,
    /// Rising (last week more than twice the mean of the four before).
    pub rising: bool,
    /// The cases behind it.
    pub href: String,
}

fn topic_rows(topics: &[Topic], scope: &Scope) -> Vec<TopicRow> {
    // The cases a topic counts: those received (not invalid, not merged).
    let mut filters = format!(
        "received_from={}&received_to={}&state=registered,assigned,processing,reviewing,closed",
        scope.from, scope.to
    );
    if let Some(channel) = &scope.channel {
        filters.push_str(&format!("&channel={}", encode(channel)));
    }
    match scope.department {
        Some(0) => filters.push_str("&unassigned=true"),
        Some(department) => filters.push_str(&format!("&department_id={department}")),
        None => {}
    }
    topics
        .iter()
        .map(|t| {
            let parameter = match t.kind {
                TopicKind::Term => "q",
                TopicKind::Category => "category",
            };
            let change = match (t.previous, t.change) {
                (0, _) => "新出现".to_owned(),
                (_, 0) => "持平".to_owned(),
                (_, n) if n > 0 => format!("+{n}"),
                (_, n) => format!("−{}", -n),
            };
            TopicRow {
                term: t.term.clone(),
                cases: t.cases,
                change,
                rising: t.rising,
                href: format!("/console/cases?{parameter}={}&{filters}", encode(&t.term)),
            }
        })
        .collect()
}

/// The dashboard's view model.
#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct Dashboard {
    layout: Layout,
    query: DashboardQuery,
    errors: Vec<String>,
    own_department: bool,
    period_text: String,
    scope_text: String,
    presets: Vec<Preset>,
    channels: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
    tiles: Vec<Tile>,
    labels: Vec<&'static str>,
    channel_rows: Vec<Row>,
    department_rows: Vec<Row>,
    chart: String,
    months: Vec<MonthRow>,
    risk: Vec<RiskRow>,
    risk_total: (i64, i64, i64, i64),
    topic_categories: Vec<TopicRow>,
    topic_terms: Vec<TopicRow>,
    topics_rising: Vec<TopicRow>,
    topics_note: String,
    definition: String,
    as_of: String,
    export_href: String,
    horizon_text: String,
}

impl Dashboard {
    fn empty(layout: Layout, query: DashboardQuery, own_department: bool) -> Dashboard {
        Dashboard {
            layout,
            query,
            errors: Vec::new(),
            own_department,
            period_text: String::new(),
            scope_text: String::new(),
            presets: Vec::new(),
            channels: Vec::new(),
            departments: Vec::new(),
            tiles: Vec::new(),
            labels: SHOWN.iter().map(|(_, label, _)| *label).collect(),
            channel_rows: Vec::new(),
            department_rows: Vec::new(),
            chart: String::new(),
            months: Vec::new(),
            risk: Vec::new(),
            risk_total: (0, 0, 0, 0),
            topic_categories: Vec::new(),
            topic_terms: Vec::new(),
            topics_rising: Vec::new(),
            topics_note: String::new(),
            definition: String::new(),
            as_of: String::new(),
            export_href: String::new(),
            horizon_text: String::new(),
        }
    }
}

fn period_text(scope: &Scope) -> String {
    let last = scope.to.pred_opt().unwrap_or(scope.to);
    format!("{} 至 {}", scope.from.format("%Y年%m月%d日"), last.format("%Y年%m月%d日"))
}

fn risk_rows(loaded: &stats::Dashboard, scope: &Scope) -> Vec<RiskRow> {
    loaded
        .risk
        .iter()
        .map(|(department, risk)| {
            let (name, filter) = match department {
                Some(id) => (
                    loaded.department_names.get(&id.0).cloned().unwrap_or_else(|| format!("单位 {}", id.0)),
                    format!("&department_id={}", id.0),
                ),
                None => ("未交办".to_owned(), "&unassigned=true".to_owned()),
            };
            let channel =
                scope.channel.as_deref().map(|c| format!("&channel={}", encode(c))).unwrap_or_default();
            RiskRow {
                name,
                overdue: risk.overdue,
                due_soon: risk.due_soon,
                overdue_href: format!("/console/cases?overdue=true{filter}{channel}"),
                due_soon_href: format!("/console/cases?queue=due_soon{filter}{channel}"),
                rectification_overdue: risk.rectifications_overdue,
                rectification_href: format!("/console/cases?queue=rectification{filter}{channel}"),
                accept_overdue: risk.accept_overdue,
                accept_overdue_href: format!("/console/cases?accept_overdue=true{filter}{channel}"),
            }
        })
        .collect()
}

/// `GET /console/dashboard`: leaders, clerks and admins; a handler sees their
/// own department's figures (`StatsQuery::parse`, as in the API).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, proof: user }: Page<AuthUser>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let layout = Layout::console(&req, &state, &session, "首页/统计", "dashboard");
    let own_department = user.department_scope().is_some();
    let today = time::office_date(time::now_utc());
    let loaded = match stats::dashboard(&state, &user, query.stats_query(today)).await {
        Ok(loaded) => loaded,
        Err(AppError::Validation(errors)) => {
            let mut page = Dashboard::empty(layout, query, own_department);
            page.errors = errors.0.iter().map(messages::field_error).collect();
            let mut response = html(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let scope = &loaded.request.scope;
    // The form shows the period in force, the default one included.
    let query =
        DashboardQuery { from: Some(scope.from.to_string()), to: Some(scope.to.to_string()), ..query };
    let mut page = Dashboard::empty(layout, query, own_department);
    page.period_text = period_text(scope);
    page.scope_text = scope_text(scope, &loaded);
    page.presets = presets(today, scope);
    page.channels = loaded.channel_names.clone();
    page.departments = loaded.department_names.iter().map(|(id, name)| (*id, name.clone())).collect();
    page.tiles = tiles(&loaded.summary, scope);
    page.channel_rows = channel_rows(&loaded.channels, scope);
    page.department_rows = department_rows(&loaded.departments, scope);
    let categories = axis_labels(&loaded.trend);
    let received: Vec<i64> = loaded.trend.iter().map(|m| m.comparison.figures.received).collect();
    let closed: Vec<i64> = loaded.trend.iter().map(|m| m.comparison.figures.closed).collect();
    page.chart = chart::bars(
        &format!("{} 每月受理与办结件数", page.period_text),
        &categories,
        &[Series { label: "受理", values: &received }, Series { label: "办结", values: &closed }],
    );
    page.months = loaded
        .trend
        .iter()
        .map(|m| MonthRow {
            month: month_label(&m.month),
            received: m.comparison.figures.received,
            closed: m.comparison.figures.closed,
        })
        .collect();
    page.risk = risk_rows(&loaded, scope);
    page.horizon_text = loaded.horizon_day.format("%Y年%m月%d日").to_string();
    page.risk_total = page.risk.iter().fold((0, 0, 0, 0), |(o, d, x, a), r| {
        (o + r.overdue, d + r.due_soon, x + r.rectification_overdue, a + r.accept_overdue)
    });
    let topics = topics::topics(&state, &user, query_topics(scope)).await?;
    page.topic_categories = topic_rows(&topics.categories, scope);
    page.topic_terms = topic_rows(&topics.terms, scope);
    page.topics_rising = topic_rows(&topics.rising, scope);
    page.topics_note = format!(
        "环比对比 {} 至 {}；上升热点看最近一周（{} 至 {}）。{}",
        topics.previous_period.from.format("%Y年%m月%d日"),
        topics.previous_period.to.pred_opt().unwrap_or(topics.previous_period.to).format("%Y年%m月%d日"),
        topics.last_week.from.format("%m月%d日"),
        topics.last_week.to.pred_opt().unwrap_or(topics.last_week.to).format("%m月%d日"),
        topics.definition,
    );
    page.definition = loaded.summary.envelope.definition.text.clone();
    page.as_of = crate::web::layout::beijing(chrono::DateTime::from_naive_utc_and_offset(
        loaded.request.as_of,
        chrono::Utc,
    ));
    page.export_href = format!("/console/dashboard.xlsx?{}", scope_query(scope));
    html(&page)
}

/// The topics query of the dashboard's scope.
fn query_topics(scope: &Scope) -> TopicsQuery {
    TopicsQuery {
        from: Some(scope.from.to_string()),
        to: Some(scope.to.to_string()),
        channel: scope.channel.clone(),
        department_id: scope.department.map(|d| d.to_string()),
    }
}

/// The chart's month labels: "N月", with the year where a year begins (or
/// on the first bar), and only every few months over long periods, so the
/// labels never run into each other.
fn axis_labels(trend: &[MonthFigures]) -> Vec<String> {
    let every = trend.len().div_ceil(12).max(1);
    trend
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let Some((year, month)) = m.month.split_once('-') else { return m.month.clone() };
            let month = month.trim_start_matches('0');
            match (i % every == 0, i == 0 || month == "1") {
                (false, _) => String::new(),
                (true, true) if trend.len() > 12 => format!("{year}年{month}月"),
                (true, _) => format!("{month}月"),
            }
        })
        .collect()
}

fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((year, m)) => format!("{year}年{}月", m.trim_start_matches('0')),
        None => month.to_owned(),
    }
}

fn scope_text(scope: &Scope, loaded: &stats::Dashboard) -> String {
    let channel = scope
        .channel
        .as_ref()
        .map(|code| {
            loaded.channel_names.iter().find(|(c, _)| c == code).map_or(code.clone(), |(_, n)| n.clone())
        })
        .unwrap_or_else(|| "全部渠道".to_owned());
    let department = scope
        .department
        .map(|id| loaded.department_names.get(&id).cloned().unwrap_or_else(|| "未交办".to_owned()))
        .unwrap_or_else(|| "全部承办单位".to_owned());
    format!("{channel}、{department}")
}

/// `GET /console/dashboard.xlsx`: the view shown, as a workbook — the tiles,
/// per channel, per department, per month, and the definition.
pub async fn workbook(
    state: web::Data<AppState>,
    Page { proof: user, .. }: Page<AuthUser>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let today = time::office_date(time::now_utc());
    let loaded = stats::dashboard(&state, &user, query.into_inner().stats_query(today)).await?;
    let scope = loaded.request.scope.clone();
    let book = dashboard_book::Sheets {
        period: period_text(&scope),
        scope: scope_text(&scope, &loaded),
        tiles: tiles(&loaded.summary, &scope),
        channels: channel_rows(&loaded.channels, &scope),
        departments: department_rows(&loaded.departments, &scope),
        dashboard: loaded,
    };
    // Zipping the workbook is CPU work: off the async executor, like the reads.
    let bytes = web::block(move || book.write())
        .await
        .map_err(|e| AppError::Internal(format!("workbook failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("workbook failed: {e}")))?;
    let name = format!("统计_{}_{}.xlsx", scope.from, scope.to);
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"dashboard.xlsx\"; filename*=UTF-8''{}", encode(&name)),
        ))
        .body(bytes))
}
