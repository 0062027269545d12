//! `/api/v1/stats/*`: every figure of DESIGN.md for a period and scope, with
//! the same period a year earlier (counted as of the same moment, so that
//! both come from the rollups) and the change, and the definition in force.
//! Leaders, clerks and admins see everything; a handler sees their own
//! department only.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::db::rollups::counts;
use crate::db::{self, DbConnection};
use crate::domain::figures::{self, handling_time_change_text, Breakdown, Counts, Definition, Scope};
use crate::domain::rating::Rating;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;

/// Longest period one request may span, in days (ten years).
const MAX_PERIOD_DAYS: i64 = 3660;

/// Query parameters of every statistics endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    channel: Option<String>,
    department_id: Option<String>,
    as_of: Option<String>,
    interval: Option<String>,
}

struct Request {
    scope: Scope,
    as_of: NaiveDateTime,
    now: NaiveDateTime,
}

fn date(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw {
        None => {
            errors.add(field, "is required (YYYY-MM-DD)");
            None
        }
        Some(raw) => {
            let parsed = time::parse_date(raw);
            if parsed.is_none() {
                errors.add(field, "must be a date, YYYY-MM-DD, between the years 1900 and 9999");
            }
            parsed
        }
    }
}

impl StatsQuery {
    fn parse(self, user: &AuthUser, trend: bool) -> Result<Request, AppError> {
        let mut errors = FieldErrors::new();
        let from = date(&mut errors, "from", self.from.as_deref());
        let to = date(&mut errors, "to", self.to.as_deref());
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                errors.add("to", "must be after from (to is exclusive)");
            } else if (to - from).num_days() > MAX_PERIOD_DAYS {
                errors.add("to", "the period may span at most ten years");
            }
        }
        let department = match self.department_id.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                errors.add("department_id", "must be a department id");
                None
            }
        };
        let now = time::now_utc();
        let as_of = match self.as_of.as_deref() {
            None => now,
            Some(raw) => time::parse_instant(raw).unwrap_or_else(|| {
                errors.add("as_of", "must be a date or an RFC 3339 timestamp");
                now
            }),
        };
        match (trend, self.interval.as_deref()) {
            (true, None | Some("month")) | (false, None) => {}
            (true, Some(_)) => errors.add("interval", "only 'month' is supported"),
            (false, Some(_)) => errors.add("interval", "is only used by /stats/trend"),
        }
        let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
            return Err(errors.into());
        };
        // A handler's figures are their own department's, whatever they ask for.
        let department = match user.department_scope() {
            Some(own) if department.is_some_and(|d| d != own.0) => {
                return Err(AppError::Forbidden("handlers see their own department's figures only".into()))
            }
            Some(own) => Some(own.0),
            None => department,
        };
        Ok(Request {
            scope: Scope { from, to, channel: self.channel.filter(|c| !c.is_empty()), department },
            as_of,
            now,
        })
    }
}

/// The definition in force, for every response.
#[derive(Debug, Serialize)]
pub struct DefinitionView {
    satisfied_ratings: Vec<Rating>,
    composite_weights: BTreeMap<&'static str, f64>,
    text: String,
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

fn period(scope: &Scope) -> Value {
    json!({"from": scope.from, "to": scope.to})
}

/// The figures of `current` and `previous`, their change, and the change in
/// handling time in words.
fn comparison(current: &Counts, previous: &Counts, definition: &Definition, two: bool) -> Value {
    let (now, before) =
        (figures::figures(current, definition, two), figures::figures(previous, definition, two));
    json!({
        "figures": now,
        "previous": before,
        "change": figures::change(&now, &before),
        "handling_time_change":
            figures::handling_days_change_tenths(current, previous).map(handling_time_change_text),
    })
}

fn two_dimensions(conn: &mut DbConnection, channel: Option<&str>) -> Result<bool, AppError> {
    Ok(match channel {
        Some(code) => db::channels::find(conn, code)?.is_some_and(|c| c.two_dimension_rating),
        None => false,
    })
}

fn envelope(req: &Request, definition: &Definition) -> serde_json::Map<String, Value> {
    let mut body = serde_json::Map::new();
    body.insert("period".into(), period(&req.scope));
    body.insert("previous_period".into(), period(&req.scope.year_earlier()));
    body.insert("as_of".into(), json!(time::to_office(req.as_of).to_rfc3339()));
    body.insert("scope".into(), json!({"channel": req.scope.channel, "department_id": req.scope.department}));
    body.insert("definition".into(), json!(DefinitionView::from(definition)));
    body
}

type Grouped = (BTreeMap<String, Counts>, BTreeMap<String, Counts>);

fn both_years(conn: &mut DbConnection, req: &Request, breakdown: Breakdown) -> Result<Grouped, AppError> {
    let current = counts(conn, &req.scope, breakdown, req.as_of, req.now)?;
    let previous = counts(conn, &req.scope.year_earlier(), breakdown, req.as_of, req.now)?;
    Ok((current, previous))
}

/// One group's figures now and a year earlier (`previous_key` names the group
/// then: the same channel or department, the month a year before).
fn group_comparison(
    (current, previous): &Grouped,
    key: &str,
    previous_key: &str,
    definition: &Definition,
    two: bool,
) -> Value {
    let at = |groups: &BTreeMap<String, Counts>, k: &str| groups.get(k).copied().unwrap_or_default();
    comparison(&at(current, key), &at(previous, previous_key), definition, two)
}

/// `GET /api/v1/stats/summary`.
pub async fn summary(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let req = query.into_inner().parse(&user, false)?;
    let definition = state.settings.definition.clone();
    let body = state
        .db
        .read(move |conn| {
            let two = two_dimensions(conn, req.scope.channel.as_deref())?;
            let (current, previous) = both_years(conn, &req, Breakdown::Total)?;
            let total = |g: &BTreeMap<String, Counts>| {
                g.values().copied().fold(Counts::default(), |mut a, c| {
                    a += c;
                    a
                })
            };
            let mut body = envelope(&req, &definition);
            if let Value::Object(parts) = comparison(&total(&current), &total(&previous), &definition, two) {
                body.extend(parts);
            }
            Ok(Value::Object(body))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/stats/by-channel`: every channel, including those with no cases.
pub async fn by_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let req = query.into_inner().parse(&user, false)?;
    let definition = state.settings.definition.clone();
    let body = state
        .db
        .read(move |conn| {
            let channels = db::channels::list(conn)?;
            let groups = both_years(conn, &req, Breakdown::Channel)?;
            let items: Vec<Value> = channels
                .iter()
                .filter(|c| req.scope.channel.as_ref().is_none_or(|only| only == &c.code))
                .map(|c| {
                    let two = c.two_dimension_rating;
                    let mut item = group_comparison(&groups, &c.code, &c.code, &definition, two);
                    item["channel"] = json!(c.code);
                    item["name"] = json!(c.name);
                    item
                })
                .collect();
            let mut body = envelope(&req, &definition);
            body.insert("items".into(), Value::Array(items));
            Ok(Value::Object(body))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/stats/by-department`: every department with cases in either
/// year (and `department_id` 0 for cases not yet assigned).
pub async fn by_department(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let req = query.into_inner().parse(&user, false)?;
    let definition = state.settings.definition.clone();
    let body = state
        .db
        .read(move |conn| {
            let two = two_dimensions(conn, req.scope.channel.as_deref())?;
            let names: BTreeMap<i64, String> =
                db::departments::list(conn)?.into_iter().map(|d| (d.id.0, d.name)).collect();
            let groups = both_years(conn, &req, Breakdown::Department)?;
            let mut ids: Vec<i64> =
                groups.0.keys().chain(groups.1.keys()).filter_map(|k| k.parse().ok()).collect();
            ids.sort_unstable();
            ids.dedup();
            let items: Vec<Value> = ids
                .into_iter()
                .map(|id| {
                    let key = id.to_string();
                    let mut item = group_comparison(&groups, &key, &key, &definition, two);
                    item["department_id"] = json!(id);
                    item["name"] = json!(names.get(&id).cloned().unwrap_or_else(|| "未交办".to_owned()));
                    item
                })
                .collect();
            let mut body = envelope(&req, &definition);
            body.insert("items".into(), Value::Array(items));
            Ok(Value::Object(body))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/stats/trend?interval=month`: one item per month of the
/// period, empty months included.
pub async fn trend(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let req = query.into_inner().parse(&user, true)?;
    let definition = state.settings.definition.clone();
    let body = state
        .db
        .read(move |conn| {
            let two = two_dimensions(conn, req.scope.channel.as_deref())?;
            let groups = both_years(conn, &req, Breakdown::Month)?;
            let mut items = Vec::new();
            let mut month = NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&req.scope.from),
                chrono::Datelike::month(&req.scope.from),
                1,
            )
            .unwrap_or(req.scope.from);
            while month < req.scope.to {
                let key = month.format("%Y-%m").to_string();
                let earlier = month.checked_sub_months(chrono::Months::new(12)).unwrap_or(month);
                let earlier = earlier.format("%Y-%m").to_string();
                let mut item = group_comparison(&groups, &key, &earlier, &definition, two);
                item["month"] = json!(key);
                items.push(item);
                month = month.checked_add_months(chrono::Months::new(1)).unwrap_or(req.scope.to);
            }
            let mut body = envelope(&req, &definition);
            body.insert("interval".into(), json!("month"));
            body.insert("items".into(), Value::Array(items));
            Ok(Value::Object(body))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
