//! `/api/v1/stats/*`: every figure of DESIGN.md for a period and scope, with
//! the same period a year earlier and the change, and the definition in
//! force — `service::stats`' structures, which the dashboard renders too.
//! Leaders, clerks and admins see everything; a handler sees their own
//! department only.

use actix_web::{web, HttpResponse};

use crate::auth::{AuthUser, Overseer};
use crate::error::AppError;
use crate::service::scorecard::{self, ScorecardQuery};
use crate::service::stats::{self, StatsQuery};
use crate::service::topics::{self, TopicsQuery};
use crate::state::AppState;

/// `GET /api/v1/stats/summary`.
pub async fn summary(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stats::summary(&state, &user, query.into_inner()).await?))
}

/// `GET /api/v1/stats/by-channel`.
pub async fn by_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stats::by_channel(&state, &user, query.into_inner()).await?))
}

/// `GET /api/v1/stats/by-department`.
pub async fn by_department(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stats::by_department(&state, &user, query.into_inner()).await?))
}

/// `GET /api/v1/stats/trend?interval=month`.
pub async fn trend(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stats::trend(&state, &user, query.into_inner()).await?))
}

/// `GET /api/v1/stats/scorecard`: each department's components, score and
/// rank (leaders, clerks, admins).
pub async fn scorecard(
    state: web::Data<AppState>,
    who: Overseer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(scorecard::scorecard(&state, &who, query.into_inner()).await?))
}

/// `GET /api/v1/stats/topics`: the period's top categories and title words,
/// their change on the period before, and the rising ones (a handler: their
/// own department's).
pub async fn topics(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<TopicsQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(topics::topics(&state, &user, query.into_inner()).await?))
}
