//! `/console/scorecard`: the departments' scorecard for a period — each
//! component as a rate with its numerator and denominator, every number a
//! link to the cases behind it, the weights and the formula printed above —
//! and the 运行通报's download (`/console/scorecard/bulletin`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use super::format;
use crate::auth::Overseer;
use crate::domain::figures::Hundredths;
use crate::domain::scorecard::Component;
use crate::domain::time;
use crate::error::AppError;
use crate::service::bulletin::{self, BulletinQuery};
use crate::service::scorecard::{self, DepartmentScore, ScorecardQuery};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::layout::{html, Layout};
use crate::web::messages;
use crate::web::session::Page;

/// The page's query: a period; empty fields are unset.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PeriodQuery {
    /// First day.
    pub from: Option<String>,
    /// Day after the last.
    pub to: Option<String>,
}

/// The last whole month before `today`: the period a monthly 通报 covers.
fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    (this_month.checked_sub_months(Months::new(1)).unwrap_or(this_month), this_month)
}

fn filled_in(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// One component of a department's line.
pub struct ComponentCell {
    /// The component's API name (`data-figure`).
    pub figure: &'static str,
    /// The rate as the API gives it (`data-value`).
    pub value: String,
    /// The rate as printed ("—" without data).
    pub text: String,
    pub numerator: i64,
    /// The cases the numerator counts.
    pub numerator_href: String,
    pub denominator: i64,
    /// The cases the denominator counts.
    pub denominator_href: String,
    /// The weight it had in this department's score.
    pub weight_text: String,
}

/// A department's line.
pub struct ScoreRow {
    /// Rank, or 不排名.
    pub rank: String,
    pub name: String,
    pub department_id: i64,
    /// The six components.
    pub cells: Vec<ComponentCell>,
    /// 退单 count and its cases.
    pub returns: i64,
    pub returns_href: String,
    /// The score as printed, and as the API gives it.
    pub score: String,
    pub score_value: String,
    pub ranked: bool,
}

#[derive(Template)]
#[template(path = "console/scorecard.html")]
struct ScorecardPage {
    layout: Layout,
    from: String,
    to: String,
    errors: Vec<String>,
    period_text: String,
    as_of: String,
    formula: String,
    weights: Vec<(&'static str, i64)>,
    headers: Vec<&'static str>,
    rows: Vec<ScoreRow>,
    min_cases: i64,
    bulletin_text_href: String,
    bulletin_xlsx_href: String,
}

fn cases_href(from: NaiveDate, to: NaiveDate, filters: &str) -> String {
    format!("/console/cases?received_from={from}&received_to={to}&{filters}")
}

/// Where each component's numerator and denominator are listed.
fn links(component: Component, id: i64) -> (String, String) {
    let held = format!("department_id={id}");
    let assigned = format!("assigned_to={id}");
    match component {
        Component::AcceptedOnTimeRate => (format!("{assigned}&assignment=accepted_on_time"), assigned),
        Component::CompletionRate => (
            format!("{held}&state=closed"),
            format!("{held}&state=registered,assigned,processing,reviewing,closed"),
        ),
        Component::OnTimeRate => (format!("{held}&outcome=on_time"), format!("{held}&state=closed")),
        Component::SatisfactionRate => (format!("{held}&outcome=satisfied"), format!("{held}&outcome=rated")),
        Component::ResolutionRate => {
            (format!("{held}&outcome=resolved"), format!("{held}&outcome=resolution_answered"))
        }
        Component::ReturnRate => (format!("{assigned}&assignment=kept"), assigned),
    }
}

fn row(item: &DepartmentScore, from: NaiveDate, to: NaiveDate) -> ScoreRow {
    let cells = Component::ALL
        .iter()
        .filter_map(|component| {
            let score = item.components.get(component.name())?;
            let (numerator, denominator) = links(*component, item.department_id);
            Some(ComponentCell {
                figure: component.name(),
                value: format::api_value(score.part.rate),
                text: format::percent(score.part.rate),
                numerator: score.part.numerator,
                numerator_href: cases_href(from, to, &numerator),
                denominator: score.part.denominator,
                denominator_href: cases_href(from, to, &denominator),
                weight_text: if score.part.rate.is_some() {
                    format!("权重{}", score.effective_weight.text())
                } else {
                    "无数据，不计分".to_owned()
                },
            })
        })
        .collect();
    ScoreRow {
        rank: item.rank.map_or_else(|| "不排名".to_owned(), |r| r.to_string()),
        name: item.name.clone(),
        department_id: item.department_id,
        cells,
        returns: item.returns,
        returns_href: cases_href(
            from,
            to,
            &format!("assigned_to={}&assignment=returned", item.department_id),
        ),
        score: item.score.map_or_else(|| "—".to_owned(), Hundredths::text),
        score_value: format::api_value(item.score),
        ranked: item.ranked,
    }
}

/// `GET /console/scorecard` (leaders, clerks, admins).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, proof }: Page<Overseer>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::console(&req, &state, &session, "考核与通报", "scorecard");
    let (default_from, default_to) = last_month(time::office_date(time::now_utc()));
    let from = filled_in(&query.from).unwrap_or_else(|| default_from.to_string());
    let to = filled_in(&query.to).unwrap_or_else(|| default_to.to_string());
    let mut page = ScorecardPage {
        layout,
        from: from.clone(),
        to: to.clone(),
        errors: Vec::new(),
        period_text: String::new(),
        as_of: String::new(),
        formula: state.settings.scorecard_weights.formula_text(),
        weights: state.settings.scorecard_weights.0.iter().map(|(c, w)| (c.label(), *w)).collect(),
        headers: Component::ALL.iter().map(|c| c.label()).collect(),
        rows: Vec::new(),
        min_cases: crate::domain::scorecard::MIN_CASES_RANKED,
        bulletin_text_href: format!("/console/scorecard/bulletin?from={from}&to={to}&format=text"),
        bulletin_xlsx_href: format!("/console/scorecard/bulletin?from={from}&to={to}&format=xlsx"),
    };
    let card =
        match scorecard::scorecard(&state, &proof, ScorecardQuery { from: Some(from), to: Some(to) }).await {
            Ok(card) => card,
            Err(AppError::Validation(errors)) => {
                page.errors = errors.0.iter().map(messages::field_error).collect();
                let mut response = html(&page)?;
                *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
                return Ok(response);
            }
            Err(other) => return Err(other.into()),
        };
    let (from, to) = (card.period.from, card.period.to);
    let last = to.pred_opt().unwrap_or(to);
    page.period_text = format!("{} 至 {}", from.format("%Y年%m月%d日"), last.format("%Y年%m月%d日"));
    page.as_of = card.as_of.get(..16).unwrap_or_default().replace('T', " ");
    page.rows = card.items.iter().map(|item| row(item, from, to)).collect();
    html(&page)
}

/// `GET /console/scorecard/bulletin?from&to&format=text|xlsx`: the 运行通报
/// as the API gives it, for the page's download links.
pub async fn bulletin(
    state: web::Data<AppState>,
    Page { proof, .. }: Page<Overseer>,
    query: web::Query<BulletinQuery>,
) -> Result<HttpResponse, PageError> {
    Ok(bulletin::bulletin(&state, &proof, query.into_inner()).await?.into_response())
}
