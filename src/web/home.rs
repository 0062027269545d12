//! The landing page (`/`): the way in for staff and the way to the public
//! mailbox for citizens; and the layout switch (标准版 / 长辈版).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::errors::PageError;
use super::layout::{html, Layout};
use super::{cookies, session};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    layout: Layout,
    signed_in: bool,
}

/// `GET /`.
pub async fn landing(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let signed_in = session::current(&req).await?.is_some();
    html(&Landing { layout: Layout::public(&req, "首页", String::new()), signed_in })
}

/// `GET /display/{large|standard}?back=/path`: switches the layout and goes
/// back. A link rather than a form, so that it works on every page without a
/// token: it changes nothing but how this browser shows pages (a cookie of
/// its own), so another site that made a browser follow it would gain nothing.
pub async fn display(
    req: HttpRequest,
    state: web::Data<AppState>,
    mode: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let on = match mode.as_str() {
        "large" => true,
        "standard" => false,
        _ => return Err(crate::error::AppError::not_found("layout").into()),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back_to(req.query_string())))
        .cookie(cookies::large_type(&state.settings, on))
        .finish())
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// The `back` path of a query string, if it is a path of this site; else `/`.
fn back_to(query: &str) -> String {
    let back =
        web::Query::<Back>::from_query(query).ok().and_then(|q| q.into_inner().back).unwrap_or_default();
    // Only a local path: "//host" and "/\host" would leave the site.
    let local = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if local {
        back
    } else {
        "/".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_switch_only_goes_back_within_the_site() {
        assert_eq!(back_to("back=/login"), "/login");
        assert_eq!(back_to("back=%2Fconsole%2Fcases"), "/console/cases");
        assert_eq!(back_to("back=//evil.example"), "/");
        assert_eq!(back_to("back=%2F%2Fevil.example"), "/");
        assert_eq!(back_to("back=/%5Cevil.example"), "/");
        assert_eq!(back_to("back=https://evil.example"), "/");
        assert_eq!(back_to("back=/%0d%0aSet-Cookie:x"), "/");
        assert_eq!(back_to(""), "/");
    }
}
