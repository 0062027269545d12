//! `/api/v1/cases`: intake (idempotent), one case, the list and the audit trail.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::body::JsonBody;
use super::case_response;
use crate::auth::{AuthUser, OfficeStaff};
use crate::domain::ids::CaseId;
use crate::domain::intake::NewCaseInput;
use crate::domain::validation::from_json;
use crate::error::AppError;
use crate::service;
use crate::service::cases::{self, valid_idempotency_key, CaseQuery};
use crate::service::views::Items;
use crate::state::AppState;

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if valid_idempotency_key(key) => Ok(Some(key.to_owned())),
        _ => Err(AppError::BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters".into())),
    }
}

/// `POST /api/v1/cases` (clerk, admin). With an `Idempotency-Key`, a retry
/// within 24 hours returns the first response and creates nothing; the same
/// key with a different body is refused.
pub async fn create(
    state: web::Data<AppState>,
    staff: OfficeStaff,
    req: HttpRequest,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let key = idempotency_key(&req)?;
    // Read as JSON first, then as the intake: malformed JSON is a 400 even
    // when a member is also missing.
    let input: NewCaseInput = from_json(body.0)?;
    let intake = cases::register(&state, &staff, key, input).await?;
    let mut response = if intake.replayed {
        let mut replayed = HttpResponse::Created();
        replayed.insert_header(("Idempotent-Replayed", "true"));
        replayed
    } else {
        HttpResponse::Created()
    };
    Ok(response
        .insert_header((header::ETAG, format!("\"{}\"", intake.created.version)))
        .content_type("application/json")
        .body(intake.body))
}

/// `GET /api/v1/cases` (staff): newest first, filtered, paged by cursor.
/// Contact details are always masked in lists.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<CaseQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(cases::list(&state, &user, query.into_inner()).await?))
}

/// `GET /api/v1/cases/{id}` (staff).
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(case_response(cases::detail(&state, &user, CaseId(path.into_inner())).await?))
}

/// `GET /api/v1/cases/{id}/events` (staff): the audit trail, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let items = cases::events(&state, &user, CaseId(path.into_inner())).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// `GET /api/v1/cases/{id}/similar` (staff who may see the case): up to 10
/// cases of the last 180 days like it, with their reasons.
pub async fn similar(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let items = service::similar::similar(&state, &user, CaseId(path.into_inner())).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// `GET /api/v1/cases/{id}/routing` (clerk, admin): up to 3 departments that
/// closed cases like it, with those cases.
pub async fn routing(
    state: web::Data<AppState>,
    staff: OfficeStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let items = service::similar::routing(&state, &staff, CaseId(path.into_inner())).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}
