//! `/mailbox/lookup` and `/mailbox/rating`: a citizen looks their letter up
//! with its tracking number and query code, reads the reply, and rates it —
//! `service::letters::lookup` and `::rate`, within the same per-address limit
//! as the API. A wrong code and an unknown number get the same message (404).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{beijing_day, form_token, has_control, posted_layout, respond, state_words, too_often};
use crate::client::ClientAddress;
use crate::domain::actions::RateBody;
use crate::domain::rating::{Rating, RatingScale};
use crate::error::AppError;
use crate::service::letters::{self, LetterStatus, Rated};
use crate::service::views::PublicCaseView;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::PublicForm;
use crate::web::layout::{beijing, Layout};
use crate::web::{messages, words};

/// The look-up form as posted (and as shown again; the code never is).
#[derive(Debug, Default, Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    tracking_no: String,
    #[serde(default)]
    code: String,
}

/// Messages of the look-up form.
#[derive(Debug, Default)]
struct LookupErrors {
    tracking_no: Option<String>,
    code: Option<String>,
    /// Above the form: not found, or a limit.
    general: Option<String>,
}

#[derive(Template)]
#[template(path = "mailbox/lookup.html")]
struct LookupPage {
    layout: Layout,
    tracking_no: String,
    errors: LookupErrors,
}

/// The message for a number and code that do not fit together, the same
/// whether the number is unknown or the code wrong (so it tells neither).
const NOT_FOUND: &str = "没有找到这封来信：受理编号或查询码不正确。请核对后重新输入（查询码不区分大小写）。";

fn lookup_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    tracking_no: String,
    errors: LookupErrors,
    retry_after: Option<u64>,
) -> Result<HttpResponse, PageError> {
    let (token, cookie) = form_token(req, state);
    let page = LookupPage { layout: Layout::public(req, "查询来信", token), tracking_no, errors };
    respond(&page, status, cookie, retry_after)
}

/// `?tracking_no=` of the look-up page (from the receipt mail). Anything
/// else in the query, a `code` included, is ignored.
#[derive(Debug, Default, Deserialize)]
struct Prefill {
    tracking_no: Option<String>,
}

/// Whether `value` looks like a tracking number, to be put in the form.
fn plausible_tracking_no(value: &str) -> bool {
    (1..=20).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `GET /mailbox/lookup[?tracking_no=…]`: the look-up form.
pub async fn lookup_form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let prefill = web::Query::<Prefill>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
        .tracking_no
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| plausible_tracking_no(t))
        .unwrap_or_default();
    lookup_page(&req, &state, StatusCode::OK, prefill, LookupErrors::default(), None)
}

#[derive(Template)]
#[template(path = "mailbox/case.html")]
struct LetterStatusPage {
    layout: Layout,
    view: PublicCaseView,
    state_name: &'static str,
    state_meaning: &'static str,
    /// 已并入: the tracking number of the case the letter was merged into, and its state in words.
    merged_into: Option<(String, &'static str)>,
    due_day: Option<String>,
    closed_at: Option<String>,
    /// The query code, for the rating form's hidden field (it came in this POST's body).
    code: String,
    /// The version the rating form rates.
    version: i32,
    /// The rating in force, in Chinese.
    rated: Option<&'static str>,
    /// The rating form is offered.
    may_rate: bool,
    /// The rating just given.
    thanks: bool,
    /// The rating form as posted, when it comes back.
    rating: String,
    comment: String,
    /// 是否解决 as posted: `true`, `false` or empty.
    resolved: String,
    /// The levels the letter's channel rates on.
    scale: RatingScale,
    rating_error: Option<String>,
    comment_error: Option<String>,
    notice: Option<String>,
}

impl LetterStatusPage {
    fn new(
        req: &HttpRequest,
        state: &AppState,
        letter: LetterStatus,
        code: String,
    ) -> (LetterStatusPage, Option<actix_web::cookie::Cookie<'static>>) {
        let (token, cookie) = form_token(req, state);
        let (state_name, state_meaning) = state_words(letter.view.state);
        let page = LetterStatusPage {
            layout: posted_layout(req, "来信办理情况", token, &letter.view.tracking_no),
            due_day: letter.view.due_at.map(beijing_day),
            closed_at: letter.view.closed_at.map(|at| beijing(at.and_utc())),
            state_name,
            state_meaning,
            merged_into: letter
                .view
                .merged_into
                .as_ref()
                .map(|p| (p.tracking_no.clone(), state_words(p.state).0)),
            code,
            version: letter.version,
            rated: letter.rating.map(words::rating),
            may_rate: letter.may_rate,
            view: letter.view,
            thanks: false,
            rating: String::new(),
            comment: String::new(),
            resolved: String::new(),
            scale: letter.scale,
            rating_error: None,
            comment_error: None,
            notice: None,
        };
        (page, cookie)
    }

    /// The choices of the rating form: value, label, whether chosen.
    fn ratings(&self) -> Vec<(&'static str, &'static str, bool)> {
        self.scale
            .ratings()
            .iter()
            .map(|r| (r.as_str(), words::rating(*r), self.rating == r.as_str()))
            .collect()
    }
}

/// The tracking number and code as typed: trimmed, the number upper-cased;
/// or the form's messages.
fn read_lookup(tracking_no: &str, code: &str) -> Result<(String, String), LookupErrors> {
    let tracking_no = tracking_no.trim().to_ascii_uppercase();
    let code = code.trim().to_owned();
    let mut errors = LookupErrors::default();
    if tracking_no.is_empty() {
        errors.tracking_no = Some("请填写受理编号。".into());
    } else if tracking_no.chars().count() > 20 || has_control(&tracking_no) {
        errors.tracking_no = Some("受理编号由字母和数字组成，如 MB2026000123，请核对。".into());
    }
    if code.is_empty() {
        errors.code = Some("请填写查询码。".into());
    } else if code.chars().count() > 20 || has_control(&code) {
        errors.code = Some("查询码是 10 位字母和数字，请核对。".into());
    }
    if errors.tracking_no.is_some() || errors.code.is_some() {
        Err(errors)
    } else {
        Ok((tracking_no, code))
    }
}

/// The number as the form shows it again: typed text kept, unless it cannot be shown.
fn shown_again(tracking_no: &str) -> String {
    let trimmed = tracking_no.trim();
    if has_control(trimmed) || trimmed.chars().count() > 40 {
        String::new()
    } else {
        trimmed.to_owned()
    }
}

/// `POST /mailbox/lookup`: the letter as the API's public look-up shows it,
/// within the same per-address limit.
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    PublicForm(form): PublicForm<LookupForm>,
) -> Result<HttpResponse, PageError> {
    let (tracking_no, code) = match read_lookup(&form.tracking_no, &form.code) {
        Ok(read) => read,
        Err(errors) => {
            let shown = shown_again(&form.tracking_no);
            return lookup_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, errors, None);
        }
    };
    match letters::lookup(&state, ClientAddress::of(&req), tracking_no.clone(), code.clone()).await {
        Ok(letter) => {
            let (page, cookie) = LetterStatusPage::new(&req, &state, letter, code);
            respond(&page, StatusCode::OK, cookie, None)
        }
        Err(refused) => lookup_refused(&req, &state, tracking_no, refused),
    }
}

/// The look-up form again after a refusal: not found (404) or a limit (429).
fn lookup_refused(
    req: &HttpRequest,
    state: &AppState,
    tracking_no: String,
    refused: AppError,
) -> Result<HttpResponse, PageError> {
    match refused {
        AppError::NotFound(_) => {
            let errors = LookupErrors { general: Some(NOT_FOUND.into()), ..LookupErrors::default() };
            lookup_page(req, state, StatusCode::NOT_FOUND, tracking_no, errors, None)
        }
        AppError::RateLimited { retry_after_secs, .. } => {
            let errors =
                LookupErrors { general: Some(too_often(retry_after_secs)), ..LookupErrors::default() };
            let status = StatusCode::TOO_MANY_REQUESTS;
            lookup_page(req, state, status, tracking_no, errors, Some(retry_after_secs))
        }
        other => Err(other.into()),
    }
}

/// The rating form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    tracking_no: String,
    #[serde(default)]
    code: String,
    /// The version the page showed: the rating is taken on it.
    version: Option<i32>,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    /// 是否解决: `true`, `false` or nothing chosen.
    #[serde(default)]
    resolved: String,
}

/// `POST /mailbox/rating`: the citizen rates the reply, as with the API's
/// `POST /api/v1/public/cases/{tracking_no}/rating`, within the same limit.
pub async fn rate(
    req: HttpRequest,
    state: web::Data<AppState>,
    PublicForm(form): PublicForm<RatingForm>,
) -> Result<HttpResponse, PageError> {
    let (tracking_no, code) = match read_lookup(&form.tracking_no, &form.code) {
        Ok(read) => read,
        Err(errors) => {
            let shown = shown_again(&form.tracking_no);
            return lookup_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, errors, None);
        }
    };
    // Nothing chosen (or something no page offers) is the rating left out:
    // the service says it is required.
    let rating = RateBody {
        rating: Rating::parse(form.rating.trim()),
        result_rating: None,
        comment: (!form.comment.trim().is_empty()).then(|| form.comment.clone()),
        resolved: match form.resolved.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
    };
    let client = ClientAddress::of(&req);
    let rated = letters::rate(&state, client, tracking_no.clone(), code.clone(), rating, form.version).await;
    match rated {
        Ok(Rated::Recorded(letter)) => {
            let (mut page, cookie) = LetterStatusPage::new(&req, &state, letter, code);
            page.thanks = true;
            respond(&page, StatusCode::OK, cookie, None)
        }
        Ok(Rated::Refused { status: letter, why: AppError::Validation(fields) }) => {
            let (mut page, cookie) = LetterStatusPage::new(&req, &state, letter, code);
            for error in &fields.0 {
                let text = Some(messages::sentence(error));
                match error.field.as_str() {
                    "rating" => page.rating_error = text,
                    _ => page.comment_error = text,
                }
            }
            page.rating = form.rating.trim().to_owned();
            page.comment = form.comment;
            page.resolved = form.resolved;
            respond(&page, StatusCode::UNPROCESSABLE_ENTITY, cookie, None)
        }
        Ok(Rated::Refused { status: letter, .. }) => {
            // Closed, or merged into a case that closed: answered either way.
            let closed = letter.view.closed_at.is_some();
            let (mut page, cookie) = LetterStatusPage::new(&req, &state, letter, code);
            page.notice = Some(if closed {
                "这封来信已经评价过，每次答复只能评价一次。".into()
            } else {
                "这封来信现在不能评价：办结后才能评价答复。".into()
            });
            respond(&page, StatusCode::CONFLICT, cookie, None)
        }
        Err(refused) => lookup_refused(&req, &state, tracking_no, refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_read_trimmed_numbers_and_refuse_junk() {
        assert_eq!(read_lookup(" mb2026000001 ", " abc ").ok(), Some(("MB2026000001".into(), "abc".into())));
        let empty = read_lookup("", "").unwrap_err();
        assert!(empty.tracking_no.is_some() && empty.code.is_some());
        let junk = read_lookup("MB\u{0}1", &"x".repeat(21)).unwrap_err();
        assert!(junk.tracking_no.is_some() && junk.code.is_some());
        assert!(plausible_tracking_no("MB2026000001"));
        assert!(!plausible_tracking_no("MB2026<script>"));
        assert_eq!(shown_again("MB\u{7}"), "");
    }
}
