//! `/api/v1/stats/*`: every figure of DESIGN.md for a period and scope, with
//! the same period a year earlier and the change, and the definition in
//! force — the structures of `crate::stats`, which the dashboard renders too.
//! Leaders, clerks and admins see everything; a handler sees their own
//! department only.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::stats::{self, StatsQuery};

/// `GET /api/v1/stats/summary`.
pub async fn summary(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let req = query.into_inner().parse(&user, false)?;
    let definition = state.settings.definition.clone();
    let body = state.db.read(move |conn| stats::summary(conn, &req, &definition)).await?;
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
    let body = state.db.read(move |conn| stats::by_channel(conn, &req, &definition)).await?;
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
    let body = state.db.read(move |conn| stats::by_department(conn, &req, &definition)).await?;
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
    let body = state.db.read(move |conn| stats::trend(conn, &req, &definition)).await?;
    Ok(HttpResponse::Ok().json(body))
}
