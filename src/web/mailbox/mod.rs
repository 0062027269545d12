//! The citizens' pages of the public mailbox (公开信箱): write a letter
//! (`/mailbox`, [`letter`]), read the receipt, look the letter up and rate the
//! reply (`/mailbox/lookup`, [`lookup`]), and read the published letters
//! (`/mailbox/letters`, [`letters`]).
//!
//! Every page calls what the API's `/api/v1/public/*` handlers call,
//! `service::letters`: the same checks, the per-address limits, the receipt
//! mail's daily cap, the rating rule, and the public view. These modules only
//! turn forms into those calls and their answers into Chinese pages:
//!
//! - A refused form comes back with the text as typed and a message beside
//!   each field at fault (422), or above the form when a limit is reached
//!   (429 with `Retry-After`): a citizen never loses a long letter.
//! - The forms carry the signed double-submit CSRF token of the sign-in
//!   form (`csrf::login_token`, checked by `forms::PublicForm`): there is no
//!   session to bind them to.
//! - The letter form has a honeypot field that people never see (it is not
//!   displayed, and its label says to leave it empty). When it is filled, the
//!   form comes back with a general message and nothing is registered. We
//!   refuse openly rather than pretend to accept: the only person the
//!   pretence could fool is a citizen whose browser filled the field by
//!   itself, who would then wait for a reply to a letter never registered.
//! - The receipt is rendered straight from the POST: a redirect would have
//!   to carry the query code in its URL (browser history, logs) or keep it
//!   somewhere. Pages are `no-store` (`page_middleware`).
//! - The page offers the rating while the citizen may give it (once per
//!   closure, the service's rule), and takes it only on the version the page
//!   read, so two submissions at once cannot both count.

pub mod letter;
pub mod letters;
pub mod lookup;

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::errors::PageError;
use super::layout::{html, Layout};
use super::{cookies, csrf};
use crate::domain::intake::BODY_LIMIT;
use crate::domain::lifecycle::CaseState;
use crate::domain::time;
use crate::error::AppError;
use crate::state::AppState;

/// Largest letter form accepted: the API's body limit. A letter of 20,000
/// Chinese characters is about 180 KiB once percent-encoded, far above the
/// other forms' limit.
pub const LETTER_FORM_LIMIT: usize = BODY_LIMIT;

/// The form settings of the letter form: a larger body than other forms.
pub fn letter_form_config() -> web::FormConfig {
    web::FormConfig::default().limit(LETTER_FORM_LIMIT).error_handler(|_, _| PageError::BadRequest.into())
}

// ---- shared ---------------------------------------------------------------

/// The CSRF token for a public form, and the nonce cookie to set if the
/// browser has none yet.
fn form_token(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    let (nonce, new) = csrf::login_nonce(req);
    let token = csrf::login_token(&state.tokens, &nonce);
    (token, new.then(|| cookies::login_nonce(&state.settings, nonce)))
}

/// Renders `page` with `status`, setting the nonce cookie when there is one,
/// and `Retry-After` when a limit was reached.
fn respond(
    page: &impl Template,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
    retry_after: Option<u64>,
) -> Result<HttpResponse, PageError> {
    let mut response = html(page)?;
    *response.status_mut() = status;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(|e| AppError::Internal(e.to_string()))?;
    }
    if let Some(secs) = retry_after {
        if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    Ok(response)
}

/// The look-up page with `tracking_no` filled in.
fn lookup_href(tracking_no: &str) -> String {
    let query: String =
        form_urlencoded::Serializer::new(String::new()).append_pair("tracking_no", tracking_no).finish();
    format!("/mailbox/lookup?{query}")
}

/// The layout of a page rendered from a POST (the receipt, a case): the
/// 长辈版 switch reloads its page by GET, which would show an empty form (or
/// nothing, for `/mailbox/rating`), so it goes back to the look-up with the
/// tracking number filled in instead.
fn posted_layout(req: &HttpRequest, title: &str, csrf: String, tracking_no: &str) -> Layout {
    Layout { path: lookup_href(tracking_no), ..Layout::public(req, title, csrf) }
}

/// What a page says when a limit is reached.
fn too_often(retry_after_secs: u64) -> String {
    format!(
        "您操作得太频繁了，为防止滥用，系统暂时不能受理。请 {} 分钟后再试；您填写的内容仍保留在下面。",
        retry_after_secs.div_ceil(60)
    )
}

/// A date as pages print it: Beijing time, the day only.
fn beijing_day(at: chrono::NaiveDateTime) -> String {
    at.and_utc().with_timezone(&time::office_offset()).format("%Y年%m月%d日").to_string()
}

/// A state as a citizen reads it: its name and what it means for them.
/// Not `words::state`, which names the office's next step (待分办, 待签收):
/// a citizen is told where their letter is, in their terms.
pub fn state_words(state: CaseState) -> (&'static str, &'static str) {
    match state {
        CaseState::Registered => ("已登记", "您的来信已收到，正在分送有关部门。"),
        CaseState::Assigned => ("已交办", "您的来信已交有关部门办理。"),
        CaseState::Processing => ("办理中", "有关部门正在办理您的来信。"),
        CaseState::Reviewing => ("待审核", "有关部门已拟好答复，县政府办公室正在审核。"),
        CaseState::Closed => ("已办结", "您的来信已办结，答复见下。"),
        CaseState::Invalid => ("不予受理", "您的来信不属于受理范围或与其他来信重复，不予受理。"),
        CaseState::Merged => {
            ("已并入", "您的来信与另一件来信反映的问题相同，已并入该件一并办理，办结后的答复也是给您的答复。")
        }
    }
}

fn has_control(value: &str) -> bool {
    value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_words_for_citizens() {
        for state in CaseState::ALL {
            let (name, meaning) = state_words(state);
            assert!(!name.is_empty() && meaning.ends_with('。'), "{state}");
        }
        assert_eq!(state_words(CaseState::Closed).0, "已办结");
    }

    #[test]
    fn the_look_up_link_carries_the_number_only() {
        assert_eq!(lookup_href("MB2026000001"), "/mailbox/lookup?tracking_no=MB2026000001");
        assert_eq!(lookup_href("A&B"), "/mailbox/lookup?tracking_no=A%26B");
    }
}
