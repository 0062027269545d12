//! Operations endpoints: liveness, readiness and metrics.

use actix_web::{web, HttpResponse, ResponseError};
use serde_json::json;

use crate::app::AppState;
use crate::db;
use crate::error::AppError;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers. 503 otherwise, so a load balancer
/// stops sending traffic here. Also warns when this or next year's holiday
/// schedule is missing (deadlines would count weekends only).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.backend().name();
    match state.db.read(|conn| Ok(db::calendar::years(conn)?)).await {
        Ok(years) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": backend,
            "calendar": {"years": years, "warnings": super::schedule_warnings(&years)},
        })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            AppError::Unavailable(format!("the {backend} database does not answer")).error_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // A scrape still answers when the database does not: pool gauges tell why.
    let outbox = state.db.read(|conn| Ok(db::outbox::counts(conn)?)).await.unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(state.db.pool(), &outbox))
}
