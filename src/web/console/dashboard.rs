//! `/console/dashboard`: the leadership's figures for a period and scope —
//! tiles, the monthly trend, per channel and per department, the cases at
//! risk now — and the same view as a workbook (`/console/dashboard.xlsx`).
//!
//! The figures are `crate::stats`' structures, the ones `/api/v1/stats/*`
//! serialises, read in one database turn; every figure element carries its
//! API name and value, and every count links to the case list of exactly the
//! cases it counts. Query parameters are the API's (`from`, `to`, `channel`,
//! `department_id`), so a view can be handed between the two.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;

use super::format::{self, Kind, Value, MIN_BASE, SHOWN};
use crate::app::AppState;
use crate::db::{self, DbConnection};
use crate::deadlines::DUE_SOON_WORKDAYS;
use crate::domain::calendar::end_of_day;
use crate::domain::figures::{Figures, Scope};
use crate::domain::ids::DepartmentId;
use crate::domain::time;
use crate::error::AppError;
use crate::stats::{
    self, ChannelFigures, Comparison, DepartmentFigures, MonthFigures, StatsQuery, StatsRequest, Summary,
};
use crate::web::chart::{self, Series};
use crate::web::errors::PageError;
use crate::web::home::html;
use crate::web::layout::Layout;
use crate::web::session::Session;

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

fn set(value: &Option<String>) -> Option<String> {
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
            from: Some(set(&self.from).unwrap_or_else(|| year_start.to_string())),
            to: Some(set(&self.to).unwrap_or_else(|| next_year.to_string())),
            channel: set(&self.channel),
            department_id: set(&self.department_id),
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
    /// Label.
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
}

fn cell(figures: &Figures, name: &'static str, kind: Kind, scope: &Scope, rank_guard: bool) -> Cell {
    match format::value_of(figures, name) {
        Value::Count(n) => Cell {
            figure: name,
            value: n.to_string(),
            text: n.to_string(),
            href: drill_down(scope, name),
            too_few: false,
        },
        Value::Ratio(value, base) => {
            let too_few = rank_guard && value.is_some() && base < MIN_BASE;
            let text = match (too_few, kind) {
                (true, _) => "—".to_owned(),
                (false, Kind::Days) => format::days(value),
                (false, _) => format::percent(value),
            };
            Cell { figure: name, value: format::api_value(value), text, href: None, too_few }
        }
    }
}

/// A dashboard tile: a figure with its comparison and definition.
pub struct Tile {
    /// Label.
    pub label: &'static str,
    /// The figure.
    pub cell: Cell,
    /// The same period a year earlier, as printed.
    pub previous: String,
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
            let earlier = cell(previous, name, kind, scope, false).text;
            let change = match name {
                "received" => format::count_change(change.received),
                "closed" => format::count_change(change.closed),
                "overdue_open" => format::count_change(change.overdue_open),
                "avg_handling_days" => handling_time_change.clone().unwrap_or_else(|| "—".into()),
                "completion_rate" => format::points(change.completion_rate),
                "on_time_rate" => format::points(change.on_time_rate),
                "satisfaction_rate" => format::points(change.satisfaction_rate),
                "composite_satisfaction" => format::points(change.composite_satisfaction),
                _ => String::new(),
            };
            Tile {
                label,
                cell: cell(figures, name, kind, scope, false),
                previous: earlier,
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
    /// Its value.
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
    /// Received.
    pub received: i64,
    /// Closed.
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
    /// The list of the overdue ones.
    pub overdue_href: String,
    /// The list of those due soon.
    pub due_soon_href: String,
}

/// Everything the dashboard reads, in one database turn.
struct Loaded {
    summary: Summary,
    channels: Vec<ChannelFigures>,
    departments: Vec<DepartmentFigures>,
    trend: Vec<MonthFigures>,
    risk: BTreeMap<Option<DepartmentId>, (i64, i64)>,
    department_names: BTreeMap<i64, String>,
    channel_names: Vec<(String, String)>,
    /// The last day a case due soon is due on.
    horizon_day: NaiveDate,
}

fn load(conn: &mut DbConnection, state: &AppState, req: &StatsRequest) -> Result<Loaded, AppError> {
    let definition = &state.settings.definition;
    let calendar = state.db.calendar(conn)?;
    let today = time::office_date(req.now);
    let horizon_day = calendar.add_workdays(today, DUE_SOON_WORKDAYS as u32);
    let horizon = end_of_day(horizon_day);
    let departments = db::departments::list(conn)?;
    Ok(Loaded {
        summary: stats::summary(conn, req, definition)?,
        channels: stats::by_channel(conn, req, definition)?.items,
        departments: stats::by_department(conn, req, definition)?.items,
        trend: stats::trend(conn, req, definition)?.items,
        risk: db::cases::at_risk(
            conn,
            req.scope.channel.as_deref(),
            req.scope.department.map(DepartmentId),
            req.now,
            horizon,
        )?,
        department_names: departments.iter().map(|d| (d.id.0, d.name.clone())).collect(),
        channel_names: state.db.channels(conn)?.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
        horizon_day,
    })
}

/// [`load`] in one turn of the database's blocking pool.
async fn read(state: &web::Data<AppState>, req: &StatsRequest) -> Result<Loaded, AppError> {
    let (shared, req) = (state.clone(), req.clone());
    state.db.read(move |conn| load(conn, &shared, &req)).await
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
    risk_total: (i64, i64),
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
            risk_total: (0, 0),
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

fn risk_rows(loaded: &Loaded, scope: &Scope) -> Vec<RiskRow> {
    loaded
        .risk
        .iter()
        .map(|(department, &(overdue, due_soon))| {
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
                overdue,
                due_soon,
                overdue_href: format!("/console/cases?overdue=true{filter}{channel}"),
                due_soon_href: format!("/console/cases?queue=due_soon{filter}{channel}"),
            }
        })
        .collect()
}

/// `GET /console/dashboard`: leaders, clerks and admins; a handler sees their
/// own department's figures (`StatsQuery::parse`, as in the API).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let layout = Layout::console(&req, &state, &session, "首页/统计", "dashboard");
    let own_department = session.user.department_scope().is_some();
    let today = time::office_date(time::now_utc());
    let stats_request = match query.stats_query(today).parse(&session.user, false) {
        Ok(r) => r,
        Err(AppError::Validation(errors)) => {
            let mut page = Dashboard::empty(layout, query, own_department);
            page.errors =
                errors.0.iter().map(|e| super::messages::field_error(&e.field, &e.message)).collect();
            let mut response = html(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let loaded = read(&state, &stats_request).await?;
    let scope = &stats_request.scope;
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
    page.risk_total = page.risk.iter().fold((0, 0), |(o, d), r| (o + r.overdue, d + r.due_soon));
    page.definition = loaded.summary.envelope.definition.text.clone();
    page.as_of = crate::web::layout::beijing(chrono::DateTime::from_naive_utc_and_offset(
        stats_request.as_of,
        chrono::Utc,
    ));
    page.export_href = format!("/console/dashboard.xlsx?{}", scope_query(scope));
    html(&page)
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

fn scope_text(scope: &Scope, loaded: &Loaded) -> String {
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
    Session(session): Session,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let today = time::office_date(time::now_utc());
    let stats_request = query.into_inner().stats_query(today).parse(&session.user, false)?;
    let loaded = read(&state, &stats_request).await?;
    // Zipping the workbook is CPU work: off the async executor, like the reads.
    let scope = stats_request.scope.clone();
    let bytes = web::block(move || write_workbook(&loaded, &scope))
        .await
        .map_err(|e| AppError::Internal(format!("workbook failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("workbook failed: {e}")))?;
    let name = format!("统计_{}_{}.xlsx", stats_request.scope.from, stats_request.scope.to);
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"dashboard.xlsx\"; filename*=UTF-8''{}", encode(&name)),
        ))
        .body(bytes))
}

fn write_workbook(loaded: &Loaded, scope: &Scope) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let headers: Vec<&str> = SHOWN.iter().map(|(_, label, _)| *label).collect();
    let number = |cell: &Cell| -> Option<f64> { cell.value.parse::<f64>().ok() };
    {
        let sheet = workbook.add_worksheet().set_name("汇总")?;
        sheet.write_string_with_format(0, 0, "统计期", &bold)?;
        sheet.write_string(0, 1, period_text(scope))?;
        sheet.write_string_with_format(1, 0, "范围", &bold)?;
        sheet.write_string(1, 1, scope_text(scope, loaded))?;
        for (i, header) in ["指标", "本期", "去年同期", "变化"].iter().enumerate() {
            sheet.write_string_with_format(3, i as u16, *header, &bold)?;
        }
        for (r, tile) in tiles(&loaded.summary, scope).iter().enumerate() {
            let r = r as u32 + 4;
            sheet.write_string(r, 0, tile.label)?;
            match number(&tile.cell) {
                Some(v) => sheet.write_number(r, 1, v)?,
                None => sheet.write_string(r, 1, "—")?,
            };
            sheet.write_string(r, 2, &tile.previous)?;
            sheet.write_string(r, 3, &tile.change)?;
        }
        sheet.set_column_width(0, 16)?;
        sheet.set_column_width(1, 28)?;
        sheet.set_column_width(3, 24)?;
    }
    let tables = [
        ("按渠道", "渠道", channel_rows(&loaded.channels, scope)),
        ("按承办单位", "承办单位", department_rows(&loaded.departments, scope)),
    ];
    for (sheet_name, first, rows) in tables {
        let sheet = workbook.add_worksheet().set_name(sheet_name)?;
        sheet.write_string_with_format(0, 0, first, &bold)?;
        for (i, header) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16 + 1, *header, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &row.name)?;
            for (c, cell) in row.cells.iter().enumerate() {
                match (cell.too_few, number(cell)) {
                    (false, Some(v)) => sheet.write_number(r, c as u16 + 1, v)?,
                    _ => sheet.write_string(r, c as u16 + 1, "—")?,
                };
            }
        }
        sheet.set_column_width(0, 24)?;
    }
    {
        let sheet = workbook.add_worksheet().set_name("月度趋势")?;
        for (i, header) in ["月份", "受理", "办结"].iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *header, &bold)?;
        }
        for (r, month) in loaded.trend.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &month.month)?;
            sheet.write_number(r, 1, month.comparison.figures.received as f64)?;
            sheet.write_number(r, 2, month.comparison.figures.closed as f64)?;
        }
    }
    {
        let sheet = workbook.add_worksheet().set_name("口径")?;
        sheet.write_string(0, 0, &loaded.summary.envelope.definition.text)?;
        sheet.write_string(
            1,
            0,
            format!("比率的分母少于 {MIN_BASE} 件时，分项表中以“—”表示，不参与排名。"),
        )?;
    }
    workbook.save_to_buffer()
}
