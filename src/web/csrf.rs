//! CSRF tokens for every form. A POST whose `csrf_token` is missing or wrong
//! is refused with 403 before anything else is looked at, so it changes
//! nothing (not even the failed-login count).
//!
//! - **Signed in**: the token is an HMAC (key derived from the JWT secret,
//!   `TokenKeys::form_mac`) of the session's user id and issue time. It is
//!   bound to that one session (a new sign-in has a new issue time), stays the
//!   same while the session's idle deadline slides, and needs no storage.
//! - **The sign-in form** (no session yet): a signed double-submit cookie. The
//!   form page sets `casedesk_csrf` to a random nonce and the form carries the
//!   HMAC of that nonce; a POST must bring both, matching. Another site can
//!   neither read the cookie nor forge the HMAC without the key, and
//!   SameSite=Strict keeps the cookie off its requests in the first place.
//!
//! Tokens are compared in constant time.

use actix_web::HttpRequest;

use super::cookies;
use crate::auth::token::{Claims, TokenKeys};

/// The token for forms of a signed-in session.
pub fn session_token(keys: &TokenKeys, claims: &Claims) -> String {
    keys.form_mac(&session_message(claims))
}

/// Whether `given` is the token of this session.
pub fn session_token_matches(keys: &TokenKeys, claims: &Claims, given: Option<&str>) -> bool {
    given.is_some_and(|given| keys.form_mac_matches(&session_message(claims), given))
}

fn session_message(claims: &Claims) -> String {
    format!("session:{}:{}", claims.sub, claims.iat)
}

/// The sign-in form's nonce from the request, or a new one (`true`: the
/// response must set the cookie).
pub fn login_nonce(req: &HttpRequest) -> (String, bool) {
    match req.cookie(cookies::LOGIN_NONCE) {
        Some(cookie) if is_nonce(cookie.value()) => (cookie.value().to_owned(), false),
        _ => {
            let bytes: [u8; 16] = rand::random();
            (bytes.iter().map(|b| format!("{b:02x}")).collect(), true)
        }
    }
}

fn is_nonce(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The sign-in form's token for a nonce.
pub fn login_token(keys: &TokenKeys, nonce: &str) -> String {
    keys.form_mac(&format!("login:{nonce}"))
}

/// Whether the sign-in POST brings a nonce cookie and the token made from it.
pub fn login_token_matches(keys: &TokenKeys, req: &HttpRequest, given: Option<&str>) -> bool {
    match (req.cookie(cookies::LOGIN_NONCE), given) {
        (Some(cookie), Some(given)) if is_nonce(cookie.value()) => {
            keys.form_mac_matches(&format!("login:{}", cookie.value()), given)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_are_bound_to_one_session() {
        let keys = TokenKeys::new(&[7u8; 32], 8);
        let claims = Claims { sub: "3".into(), iat: 100, exp: 200, epoch: 0, idle_until: Some(150) };
        let token = session_token(&keys, &claims);
        assert!(session_token_matches(&keys, &claims, Some(&token)));
        let renewed = Claims { idle_until: Some(190), ..claims.clone() };
        assert!(session_token_matches(&keys, &renewed, Some(&token)), "stable while the session slides");
        let other_login = Claims { iat: 101, ..claims.clone() };
        assert!(!session_token_matches(&keys, &other_login, Some(&token)));
        let other_user = Claims { sub: "4".into(), ..claims.clone() };
        assert!(!session_token_matches(&keys, &other_user, Some(&token)));
        assert!(!session_token_matches(&keys, &claims, None));
        assert!(!session_token_matches(&keys, &claims, Some("")));
    }

    #[test]
    fn login_tokens_are_not_session_tokens() {
        let keys = TokenKeys::new(&[7u8; 32], 8);
        assert_ne!(login_token(&keys, "3:100"), keys.form_mac("session:3:100"));
        assert!(is_nonce(&"a".repeat(32)));
        assert!(!is_nonce("not-a-nonce"));
    }
}
