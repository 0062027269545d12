//! Operations endpoints: liveness, readiness and metrics.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::error::AppError;
use crate::service::{calendar, outbox};
use crate::state::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers. 503 otherwise, so a load balancer
/// stops sending traffic here. Also warns when this or next year's holiday
/// schedule is missing (deadlines would count weekends only).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.backend().name();
    match calendar::years_entered(&state).await {
        Ok(years) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": backend,
            "calendar": {"years": years, "warnings": calendar::schedule_warnings(&years)},
        })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            AppError::Unavailable(format!("the {backend} database does not answer")).error_response()
        }
    }
}

/// `GET /metrics` on the service's own address: Prometheus text format, for
/// the bearer of `CASEDESK_METRICS_TOKEN` only (route templates and error
/// counts tell an attacker what to try). Without a token configured, it is
/// served only on `CASEDESK_METRICS_LISTEN`.
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let allowed = match (&state.settings.metrics_token, presented) {
        (Some(expected), Some(given)) => {
            expected.len() == given.len()
                && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    };
    if !allowed {
        return AppError::Unauthenticated(
            "/metrics needs the bearer token of CASEDESK_METRICS_TOKEN (or use CASEDESK_METRICS_LISTEN)"
                .into(),
        )
        .error_response();
    }
    metrics_page(state).await
}

/// `GET /metrics` on `CASEDESK_METRICS_LISTEN`, an address only the
/// operator's scraper reaches: no token.
pub async fn metrics_page(state: web::Data<AppState>) -> HttpResponse {
    // A scrape still answers when the database does not: pool gauges tell why.
    let outbox = outbox::counts(&state).await.unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(state.db.pool(), &outbox))
}
