//! Refusals as pages. A page handler returns [`PageError`]; it renders a
//! short Chinese page with the right status (403, 404, 429 with
//! `Retry-After`, 500 without internals), or, for a missing, expired or
//! revoked session, sends the browser to the sign-in page.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::{assets, cookies};
use crate::error::AppError;

/// Why a page is refused.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No valid session: sign in (again).
    #[error("sign in first")]
    SignIn,
    /// The form's `csrf_token` is missing or wrong.
    #[error("missing or wrong csrf_token")]
    Csrf,
    /// The form could not be read.
    #[error("unreadable form")]
    BadRequest,
    /// Anything the shared code refused.
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    css: &'static str,
    status: u16,
    heading: &'static str,
    message: String,
}

fn page(status: StatusCode, heading: &'static str, message: String) -> HttpResponse {
    let body = ErrorPage { css: assets::stylesheet_href(), status: status.as_u16(), heading, message }
        .render()
        .unwrap_or_else(|_| heading.to_owned());
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn => {
                // The cookie, if any, is useless now; the Settings are not at
                // hand here, so the removal carries no `Secure` (a removal needs none).
                let mut removal = actix_web::cookie::Cookie::build(cookies::SESSION, "").path("/").finish();
                removal.make_removal();
                HttpResponse::SeeOther().insert_header((header::LOCATION, "/login")).cookie(removal).finish()
            }
            PageError::Csrf => page(
                StatusCode::FORBIDDEN,
                "表单已失效",
                "这个表单已过期或不是从本系统的页面提交的，没有进行任何操作。请回到上一页，刷新后重新提交。"
                    .into(),
            ),
            PageError::BadRequest => {
                page(StatusCode::BAD_REQUEST, "无法识别的请求", "提交的内容无法识别，请返回重试。".into())
            }
            PageError::App(e) => app_error_page(e),
        }
    }
}

fn app_error_page(error: &AppError) -> HttpResponse {
    let status = error.status_code();
    match error {
        AppError::Forbidden(_) => {
            page(status, "无权访问", "您的账号角色不能进行此操作。如需此权限，请联系系统管理员。".into())
        }
        AppError::NotFound(_) => page(status, "页面不存在", "没有找到您要的页面或记录。".into()),
        AppError::RateLimited { retry_after_secs, .. } => {
            let mut response =
                page(status, "操作过于频繁", format!("请 {} 分钟后再试。", retry_after_secs.div_ceil(60)));
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        _ if status.is_server_error() => {
            // The cause goes to the log, never to the page.
            tracing::error!(error = %error, "page failed");
            page(
                status,
                "系统暂时无法处理",
                "系统出现问题，您的操作可能没有完成。请稍后再试；如果一直出现，请联系系统管理员。".into(),
            )
        }
        _ => page(status, "无法处理的请求", "请求无法处理，请返回重试。".into()),
    }
}

/// Whether a request that matched no route came from a browser for a page
/// (an HTML `Accept` and a path outside the API), so the 404 is a page too.
pub fn wants_html(req: &HttpRequest) -> bool {
    let path = req.path();
    let api = path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics");
    !api && req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The 404 page.
pub fn not_found_page() -> HttpResponse {
    app_error_page(&AppError::not_found("page"))
}

/// Any method on a console path that is not a page: 404 as a page.
pub async fn not_found(_req: HttpRequest) -> HttpResponse {
    not_found_page()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: HttpResponse) -> (u16, String) {
        let status = response.status().as_u16();
        let bytes = actix_web::body::to_bytes(response.into_body());
        let bytes = futures_util::FutureExt::now_or_never(bytes).expect("ready").expect("body");
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn a_500_page_says_nothing_of_its_cause() {
        let error = PageError::App(AppError::Internal("database password is hunter2".into()));
        let (status, html) = body(error.error_response());
        assert_eq!(status, 500);
        assert!(html.contains("系统暂时无法处理") && !html.contains("hunter2"), "{html}");
    }

    #[test]
    fn refusals_are_pages_with_their_status() {
        let (status, html) = body(PageError::Csrf.error_response());
        assert_eq!(status, 403);
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"zh-CN\""));
        let limited = PageError::App(AppError::RateLimited { detail: "x".into(), retry_after_secs: 90 });
        let response = limited.error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "90");
        let (status, html) = body(response);
        assert_eq!(status, 429);
        assert!(html.contains("请 2 分钟后再试"), "{html}");
        let sign_in = PageError::SignIn.error_response();
        assert_eq!(sign_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(sign_in.headers().get(header::LOCATION).unwrap(), "/login");
    }
}
