//! The pages for people (DESIGN.md "Pages"), beside the API and built on the
//! same functions: one module per page family, this one wiring every page
//! route ([`configure`]) and the middleware that gives HTML responses their
//! security headers and renews the browser session ([`page_middleware`]).
//!
//! Templates are askama (compile-time checked) in `templates/`; the stylesheet
//! is embedded from `assets/` ([`assets`]). A page handler asks the same
//! functions the API handlers ask (`crate::auth::login`, `crate::auth::resolve`,
//! `AuthUser::require`) and renders a view model; it never re-decides a
//! permission. Refusals are pages ([`errors`]), never problem+json, which stays
//! the API's.

pub mod assets;
pub mod chart;
mod console;
pub mod cookies;
mod csrf;
pub mod errors;
mod forms;
mod home;
mod layout;
mod login;
mod mailbox;
mod messages;
pub mod session;
pub mod words;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

pub use errors::{not_found_page, wants_html};

/// Longest form body a page accepts (the forms are a few short fields).
const FORM_LIMIT: usize = 64 * 1024;

/// The policy every page is served under: nothing from outside, no inline
/// script, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Wires every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(FORM_LIMIT)
            .error_handler(|_, _| errors::PageError::BadRequest.into()),
    )
    .route("/", web::get().to(home::landing))
    .route("/display/{mode}", web::get().to(home::display))
    .route("/assets/{name}", web::get().to(assets::serve))
    .route("/login", web::get().to(login::form))
    .route("/login", web::post().to(login::submit))
    .route("/logout", web::post().to(login::logout))
    .route("/console", web::get().to(console::home))
    .route("/console/", web::get().to(console::home))
    .route("/console/dashboard", web::get().to(console::dashboard::page))
    .route("/console/dashboard.xlsx", web::get().to(console::dashboard::workbook))
    .route("/console/scorecard", web::get().to(console::scorecard::page))
    .route("/console/scorecard/bulletin", web::get().to(console::scorecard::bulletin))
    .route("/console/cases", web::get().to(console::cases::page))
    .route("/console/cases/export", web::get().to(console::cases::export))
    .route("/console/cases/new", web::get().to(console::intake::form))
    .route("/console/cases/new", web::post().to(console::intake::submit))
    .route("/console/cases/{id:\\d+}", web::get().to(console::case::page))
    .route("/console/cases/{id:\\d+}/{action}", web::post().to(console::case::act))
    .route("/console/password", web::get().to(login::password_form))
    .route("/console/password", web::post().to(login::password_submit))
    .route("/console/admin/", web::get().to(console::admin::index))
    .route("/console/admin/users", web::get().to(console::admin::users::list))
    .route("/console/admin/users", web::post().to(console::admin::users::create))
    .route("/console/admin/users/{id:\\d+}", web::get().to(console::admin::users::one))
    .route("/console/admin/users/{id:\\d+}/{change}", web::post().to(console::admin::users::change))
    .route("/console/admin/departments", web::get().to(console::admin::departments::list))
    .route("/console/admin/departments", web::post().to(console::admin::departments::create))
    .route("/console/admin/departments/{id:\\d+}", web::get().to(console::admin::departments::one))
    .route(
        "/console/admin/departments/{id:\\d+}/{change}",
        web::post().to(console::admin::departments::change),
    )
    .route("/console/admin/channels", web::get().to(console::admin::channels::list))
    .route("/console/admin/channels/{code}", web::get().to(console::admin::channels::one))
    .route("/console/admin/channels/{code}", web::post().to(console::admin::channels::change))
    .route(
        "/console/admin/channels/{code}/categories",
        web::post().to(console::admin::channels::change_categories),
    )
    .route("/console/admin/calendar", web::get().to(console::admin::calendar::current))
    .route("/console/admin/calendar/{year:\\d{4}}", web::get().to(console::admin::calendar::year))
    .route("/console/admin/calendar/{year:\\d{4}}/{change}", web::post().to(console::admin::calendar::change))
    .route("/console/admin/outbox", web::get().to(console::admin::outbox::list))
    .route("/console/admin/outbox/{id:\\d+}/retry", web::post().to(console::admin::outbox::retry))
    .route("/console/admin", web::get().to(console::admin::index))
    // Last of the console: any other console path is a 404 page.
    .route("/console/{rest:.*}", web::route().to(errors::not_found))
    .service(
        web::resource("/mailbox")
            .app_data(mailbox::letter_form_config())
            .route(web::get().to(mailbox::letter::form))
            .route(web::post().to(mailbox::letter::submit)),
    )
    .route("/mailbox/lookup", web::get().to(mailbox::lookup::lookup_form))
    .route("/mailbox/lookup", web::post().to(mailbox::lookup::lookup))
    .route("/mailbox/rating", web::post().to(mailbox::lookup::rate))
    .route("/mailbox/letters", web::get().to(mailbox::letters::letters));
}

/// Middleware for every response: HTML gets the security headers and is not
/// stored by caches (pages carry a session or personal data; the few that do
/// not are too small to be worth a second rule), and a request that came with
/// a valid session gets it back renewed (the idle timeout slides), unless the
/// handler has set or ended the session itself. API responses pass untouched.
pub async fn page_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let is_html =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let renewal = response.request().extensions().get::<session::Renewal>().cloned();
    if let Some(session::Renewal(cookie)) = renewal {
        let handled = response.response().cookies().any(|c| c.name() == cookies::SESSION);
        if !handled {
            response.response_mut().add_cookie(&cookie)?;
        }
    }
    if is_html {
        let headers = response.headers_mut();
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
