//! `/api/v1/cases`: intake (idempotent), get, list and the audit trail.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::access::{acting, case_response, contact_for};
use super::body::{decode_cursor, encode_cursor, from_value, page_limit, JsonBody};
use super::views::{CasePage, CaseSummary, CaseView, Clock, Contact, CreatedCaseView, EventView, Items};
use crate::app::AppState;
use crate::auth::{AuthUser, OfficeStaff};
use crate::db::models::Case;
use crate::db::{self, cases::CaseFilter, idempotency::StoredResponse};
use crate::domain::calendar::Calendar;
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::intake::NewCaseInput;
use crate::domain::lifecycle::CaseState;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::maintenance::IDEMPOTENCY_WINDOW;
use crate::workflow::{self, Registrar};
use std::sync::Arc;

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(AppError::BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters".into())),
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(stored.status as u16)
        .unwrap_or(actix_web::http::StatusCode::CREATED);
    let version = serde_json::from_str::<serde_json::Value>(&stored.body)
        .ok()
        .and_then(|body| body["version"].as_i64());
    let mut response = HttpResponse::build(status);
    response.insert_header(("Idempotent-Replayed", "true"));
    if let Some(version) = version {
        response.insert_header((header::ETAG, format!("\"{version}\"")));
    }
    response.content_type("application/json").body(stored.body)
}

enum Intake {
    /// Created without an idempotency key: the response is built after the
    /// transaction, outside SQLite's writer turn.
    Created(Box<Case>, String, Arc<Calendar>),
    /// Created under an idempotency key: the response was stored with the case.
    Stored(String, i32),
    Replayed(StoredResponse),
}

fn created_view(case: Case, query_code: String, clock: Clock<'_>) -> Result<(String, i32), AppError> {
    let version = case.version;
    let view = CreatedCaseView { case: CaseView::new(case, Contact::Full, clock), query_code };
    let body = serde_json::to_string(&view).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((body, version))
}

/// `POST /api/v1/cases` (clerk, admin). With an `Idempotency-Key`, a retry
/// within 24 hours returns the first response and creates nothing; the same
/// key with a different body is refused.
pub async fn create(
    state: web::Data<AppState>,
    OfficeStaff(user): OfficeStaff,
    req: HttpRequest,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let key = idempotency_key(&req)?;
    let request_hash = format!("{:x}", Sha256::digest(body.0.to_string().as_bytes()));
    let input: NewCaseInput = from_value(body.0)?;
    let now = time::now_utc();
    let user_id = user.id;
    let this_request = request_hash.clone();
    let key_for_retry = key.clone();
    let db = state.db.clone();
    let outcome = state
        .db
        .write(move |conn| {
            if let Some(key) = &key {
                if let Some(stored) = db::idempotency::find(conn, user_id, key, now - IDEMPOTENCY_WINDOW)? {
                    return Ok(Intake::Replayed(stored));
                }
            }
            let channels = db.channels(conn)?;
            let new = input.validate(now, |code| channels.iter().any(|c| c.code == code))?;
            let channel = workflow::channel_of(&channels, &new.channel)?;
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            let (case, query_code) =
                workflow::register(conn, &new, channel, Registrar::Staff(user_id), clock)?;
            let Some(key) = &key else {
                return Ok(Intake::Created(Box::new(case), query_code, calendar));
            };
            let (body, version) = created_view(case, query_code, clock)?;
            let stored =
                StoredResponse { request_hash: request_hash.clone(), status: 201, body: body.clone() };
            if !db::idempotency::store(conn, user_id, key, &stored, now, now - IDEMPOTENCY_WINDOW)? {
                return Err(AppError::IdempotencyKeyTaken);
            }
            Ok(Intake::Stored(body, version))
        })
        .await;
    let outcome = match outcome {
        // A concurrent retry with the same key committed first: answer as it did.
        Err(AppError::IdempotencyKeyTaken) => {
            let key = key_for_retry.unwrap_or_default();
            let stored = state
                .db
                .read(move |conn| Ok(db::idempotency::find(conn, user_id, &key, now - IDEMPOTENCY_WINDOW)?))
                .await?
                .ok_or(AppError::IdempotencyKeyTaken)?;
            Intake::Replayed(stored)
        }
        other => other?,
    };
    match outcome {
        Intake::Created(case, query_code, calendar) => {
            let (body, version) = created_view(*case, query_code, Clock { calendar: &calendar, now })?;
            Ok(HttpResponse::Created()
                .insert_header((header::ETAG, format!("\"{version}\"")))
                .content_type("application/json")
                .body(body))
        }
        Intake::Stored(body, version) => Ok(HttpResponse::Created()
            .insert_header((header::ETAG, format!("\"{version}\"")))
            .content_type("application/json")
            .body(body)),
        Intake::Replayed(stored) if stored.request_hash == this_request => Ok(replay(stored)),
        Intake::Replayed(_) => {
            Err(AppError::invalid_field("Idempotency-Key", "was already used with a different request body"))
        }
    }
}

/// List filters, as query parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    channel: Option<String>,
    department_id: Option<String>,
    overdue: Option<String>,
    due_before: Option<String>,
    received_from: Option<String>,
    received_to: Option<String>,
    q: Option<String>,
    supervised: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn instant(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<chrono::NaiveDateTime> {
    let raw = raw?;
    let parsed = time::parse_instant(raw);
    if parsed.is_none() {
        errors.add(field, "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp");
    }
    parsed
}

impl ListQuery {
    pub(super) fn into_filter(self, user: &AuthUser) -> Result<(CaseFilter, i64), AppError> {
        let mut errors = FieldErrors::new();
        let mut filter = CaseFilter::default();
        if let Some(states) = &self.state {
            for name in states.split(',').map(str::trim) {
                match CaseState::parse(name) {
                    Some(s) => filter.states.push(s),
                    None => errors.add("state", format!("unknown state '{name}'")),
                }
            }
        }
        filter.channel = self.channel.filter(|c| !c.is_empty());
        filter.department_id = match self.department_id.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(DepartmentId(id)),
            Some(Err(_)) => {
                errors.add("department_id", "must be a department id");
                None
            }
        };
        match self.overdue.as_deref() {
            None | Some("false") => {}
            Some("true") => filter.overdue_at = Some(time::now_utc()),
            Some(_) => errors.add("overdue", "must be true or false"),
        }
        match self.supervised.as_deref() {
            None | Some("false") => {}
            Some("true") => filter.supervised = true,
            Some(_) => errors.add("supervised", "must be true or false"),
        }
        filter.due_before = instant(&mut errors, "due_before", self.due_before.as_deref());
        filter.received_from = instant(&mut errors, "received_from", self.received_from.as_deref());
        filter.received_to = instant(&mut errors, "received_to", self.received_to.as_deref());
        filter.text = self.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if filter.text.as_ref().is_some_and(|q| q.chars().count() > 100) {
            errors.add("q", "must be at most 100 characters");
        }
        let limit = page_limit(self.limit.as_deref(), &mut errors);
        filter.before_id = self.cursor.as_deref().and_then(|c| decode_cursor(c, &mut errors)).map(CaseId);
        if let Some(own) = user.department_scope() {
            // A handler asking for another department gets nothing, not an error.
            if filter.department_id.is_some_and(|asked| asked != own) {
                filter.department_id = Some(DepartmentId(-1));
            } else {
                filter.department_id = Some(own);
            }
        }
        errors.into_result((filter, limit)).map_err(Into::into)
    }
}

/// `GET /api/v1/cases` (staff): newest first, filtered, paged by cursor.
/// Contact details are always masked in lists.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, limit) = query.into_inner().into_filter(&user)?;
    let db = state.db.clone();
    let (rows, more, calendar) = state
        .db
        .read(move |conn| {
            let (rows, more) = db::cases::list(conn, &filter, limit)?;
            Ok((rows, more, db.calendar(conn)?))
        })
        .await?;
    let next_cursor = if more { rows.last().map(|c| encode_cursor(c.id.0)) } else { None };
    let clock = Clock { calendar: &calendar, now: time::now_utc() };
    let items: Vec<CaseSummary> = rows.into_iter().map(|c| CaseSummary::new(c, clock)).collect();
    Ok(HttpResponse::Ok().json(CasePage { items, next_cursor }))
}

/// `GET /api/v1/cases/{id}` (staff).
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let acting = acting(&user);
    let (case, calendar) = state
        .db
        .read({
            let db = state.db.clone();
            move |conn| Ok((workflow::visible_case(conn, id, &acting)?, db.calendar(conn)?))
        })
        .await?;
    Ok(case_response(CaseView::new(
        case,
        contact_for(&user),
        Clock { calendar: &calendar, now: time::now_utc() },
    )))
}

/// `GET /api/v1/cases/{id}/events` (staff): the audit trail, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let acting = acting(&user);
    let events = state
        .db
        .read(move |conn| {
            let case = workflow::visible_case(conn, id, &acting)?;
            Ok(db::events::for_case(conn, case.id)?)
        })
        .await?;
    let items: Vec<EventView> = events.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}
