//! The HTTP API: every route is wired here, in one table that is also exported
//! as [`ROUTES`] so that a test can hold it against `api-spec/openapi.yaml`.
//! Handlers live in one module per resource.

mod actions;
mod auth;
mod bearer;
mod body;
mod calendar;
mod cases;
mod channels;
mod departments;
mod export;
mod imports;
mod ops;
mod outbox;
mod public;
mod reports;
mod stats;
mod users;

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, ResponseError};

use crate::domain::intake::BODY_LIMIT;
use crate::error::{AppError, PROBLEM_JSON};

pub use bearer::authenticate;
pub use body::refuse_nul_in_url;
pub use ops::metrics_page;

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path,)*) => {
        /// Every route the service answers: HTTP method and path template.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::method(Method::$method).to($handler));)*
        }
    };
}

routes! {
    GET "/healthz" => ops::healthz,
    GET "/readyz" => ops::readyz,
    GET "/metrics" => ops::metrics,
    POST "/api/v1/auth/login" => auth::login,
    GET "/api/v1/auth/me" => auth::me,
    POST "/api/v1/auth/logout" => auth::logout,
    POST "/api/v1/auth/password" => auth::change_password,
    GET "/api/v1/departments" => departments::list,
    POST "/api/v1/departments" => departments::create,
    PATCH "/api/v1/departments/{id}" => departments::update,
    GET "/api/v1/users" => users::list,
    POST "/api/v1/users" => users::create,
    PATCH "/api/v1/users/{id}" => users::update,
    GET "/api/v1/channels" => channels::list,
    PATCH "/api/v1/channels/{code}" => channels::update,
    GET "/api/v1/channels/{code}/categories" => channels::categories,
    PUT "/api/v1/channels/{code}/categories" => channels::replace_categories,
    GET "/api/v1/calendar/{year}" => calendar::get,
    PUT "/api/v1/calendar/{year}" => calendar::put,
    POST "/api/v1/cases" => cases::create,
    GET "/api/v1/cases" => cases::list,
    // Before `/cases/{id}`, which would take `export` for an id.
    GET "/api/v1/cases/export" => export::export,
    GET "/api/v1/cases/{id}" => cases::get,
    GET "/api/v1/cases/{id}/events" => cases::events,
    GET "/api/v1/cases/{id}/similar" => cases::similar,
    GET "/api/v1/cases/{id}/routing" => cases::routing,
    POST "/api/v1/cases/{id}/{action}" => actions::act,
    POST "/api/v1/imports" => imports::create,
    GET "/api/v1/imports/{id}" => imports::get,
    GET "/api/v1/imports/{id}/refused" => imports::refused,
    GET "/api/v1/outbox" => outbox::list,
    POST "/api/v1/outbox/{id}/retry" => outbox::retry,
    GET "/api/v1/stats/summary" => stats::summary,
    GET "/api/v1/stats/by-channel" => stats::by_channel,
    GET "/api/v1/stats/by-department" => stats::by_department,
    GET "/api/v1/stats/trend" => stats::trend,
    GET "/api/v1/stats/scorecard" => stats::scorecard,
    GET "/api/v1/stats/topics" => stats::topics,
    GET "/api/v1/reports/annual" => reports::annual,
    GET "/api/v1/reports/bulletin" => reports::bulletin,
    POST "/api/v1/public/cases" => public::submit,
    GET "/api/v1/public/cases/{tracking_no}" => public::lookup,
    POST "/api/v1/public/cases/{tracking_no}/rating" => public::rate,
}

/// A 200 with a case and its version as ETag.
pub fn case_response(view: crate::service::views::CaseView) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().insert_header((header::ETAG, format!("\"{}\"", view.version))).json(view)
}

/// Wires every route, the extractor error handlers and the fallback for
/// unknown paths into an app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|err, _| AppError::BadRequest(format!("invalid query string: {err}")).into()),
    )
    .app_data(
        // A path segment that does not parse (a non-numeric id) names nothing.
        web::PathConfig::default().error_handler(|_, _| AppError::not_found("resource").into()),
    )
    .configure(register)
    .default_service(web::to(fallback));
}

/// 405 when the path exists with other methods (naming them), else 404 (a
/// page for a browser asking for one outside the API).
async fn fallback(req: HttpRequest) -> actix_web::HttpResponse {
    if crate::web::wants_html(&req) {
        return crate::web::not_found_page();
    }
    let path = req.path();
    let allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, template)| template_matches(template, path))
        .map(|(method, _)| *method)
        .collect();
    if allowed.is_empty() {
        return AppError::NotFound(format!("no such resource: {path}")).error_response();
    }
    let mut response = AppError::MethodNotAllowed.error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Whether `path` fits a template such as `/api/v1/cases/{id}/events`.
pub fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') || ts == ps => {
                if ps.is_empty() && ts.starts_with('{') {
                    return false;
                }
                // `{action}` stands for the case actions only: `Allow` on
                // `/cases/{id}/events` must not name the actions' POST.
                if ts == "{action}" && crate::domain::lifecycle::Action::parse(ps).is_none() {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Rewrites any error response that is not already problem+json (actix's own
/// 404/405/413 and the like) into one, so clients see a single error shape.
/// Error pages (`text/html`, rendered by `src/web/`) pass as they are.
pub fn problem_json_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_problem_json)
}

fn to_problem_json<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()) || v.as_bytes().starts_with(b"text/html")
    });
    if already {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        400 => AppError::BadRequest("the request could not be read".into()),
        401 => AppError::Unauthenticated("log in first".into()),
        403 => AppError::Forbidden("not allowed".into()),
        404 => AppError::not_found("resource"),
        405 => AppError::MethodNotAllowed,
        413 => AppError::PayloadTooLarge { limit: BODY_LIMIT },
        415 => AppError::UnsupportedMediaType("unsupported content type".into()),
        s if s >= 500 => AppError::Internal(format!("response {status} without details")),
        _ => AppError::BadRequest(status.canonical_reason().unwrap_or("bad request").into()),
    };
    let (req, original) = res.into_parts();
    let mut response = error.error_response();
    *response.status_mut() = status;
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let response: actix_web::HttpResponse<EitherBody<B>> = response.map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(template_matches("/api/v1/cases/{id}/events", "/api/v1/cases/12/events"));
        assert!(
            !template_matches("/api/v1/cases", "/api/v1/cases/"),
            "the router does not trim slashes either"
        );
        assert!(!template_matches("/api/v1/cases/{id}", "/api/v1/cases"));
        assert!(!template_matches("/api/v1/cases/{id}", "/api/v1/cases/1/2"));
        assert!(!template_matches("/api/v1/cases/{id}", "/api/v1/cases//"));
        assert!(template_matches("/api/v1/cases/{id}/{action}", "/api/v1/cases/1/assign"));
        assert!(!template_matches("/api/v1/cases/{id}/{action}", "/api/v1/cases/1/events"));
    }

    #[test]
    fn every_route_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(seen.insert(route), "{route:?} twice");
        }
    }
}
