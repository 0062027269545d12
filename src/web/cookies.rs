//! The cookies the pages set, and how: every one is HttpOnly (no script reads
//! them), SameSite=Strict (no other site's page sends them), Path=/, and
//! `Secure` when the service is reached over https (`CASEDESK_PUBLIC_URL`).

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::config::Settings;

/// The browser session: a login token with an idle deadline (`auth::token`).
pub const SESSION: &str = "casedesk_session";
/// The nonce the sign-in form's CSRF token is bound to (`csrf.rs`).
pub const LOGIN_NONCE: &str = "casedesk_csrf";
/// `1` when the large-type layout (长辈版) is chosen.
pub const LARGE_TYPE: &str = "casedesk_large";

fn build(settings: &Settings, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.public_url.starts_with("https://"))
        .finish()
}

/// The session cookie. It has no `Max-Age`: it ends with the browser, and the
/// token inside ends earlier by itself when idle.
pub fn session(settings: &Settings, token: String) -> Cookie<'static> {
    build(settings, SESSION, token)
}

/// A cookie that removes the session from the browser.
pub fn session_removal(settings: &Settings) -> Cookie<'static> {
    let mut cookie = build(settings, SESSION, String::new());
    cookie.make_removal();
    cookie
}

/// The sign-in form's nonce, kept for the browser session.
pub fn login_nonce(settings: &Settings, nonce: String) -> Cookie<'static> {
    build(settings, LOGIN_NONCE, nonce)
}

/// The layout choice, kept a year.
pub fn large_type(settings: &Settings, on: bool) -> Cookie<'static> {
    let mut cookie = build(settings, LARGE_TYPE, if on { "1" } else { "0" }.into());
    cookie.set_max_age(CookieDuration::days(365));
    cookie
}

/// Whether the request asks for the large-type layout.
pub fn wants_large_type(req: &HttpRequest) -> bool {
    req.cookie(LARGE_TYPE).is_some_and(|c| c.value() == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_https() {
        let mut settings = Settings::default();
        let plain = session(&settings, "t".into());
        assert_eq!(plain.http_only(), Some(true));
        assert_eq!(plain.same_site(), Some(SameSite::Strict));
        assert_eq!(plain.path(), Some("/"));
        assert_ne!(plain.secure(), Some(true), "http: a Secure cookie would never come back");
        assert_eq!(plain.max_age(), None, "ends with the browser");
        settings.public_url = "https://xinxiang.example.gov.cn".into();
        for cookie in
            [session(&settings, "t".into()), login_nonce(&settings, "n".into()), large_type(&settings, true)]
        {
            assert_eq!(cookie.secure(), Some(true), "{cookie}");
        }
    }
}
