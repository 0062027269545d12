//! The citizens' pages of the public mailbox (公开信箱): write a letter
//! (`/mailbox`), read the receipt, look the letter up and rate the reply
//! (`/mailbox/lookup`), and read the published letters (`/mailbox/letters`).
//!
//! Every page asks what the API's `/api/v1/public/*` handlers ask: the
//! letter is validated by `NewCaseInput::validate` and registered by
//! `workflow::submit_letter` (with its per-address limits and the receipt
//! mail's daily cap); a look-up is `limits::admit` then
//! `workflow::case_with_code` and shows `PublicCaseView`, the API's public
//! view; a rating is `workflow::act` as the citizen. This module only turns
//! forms into those calls and their answers into Chinese pages:
//!
//! - A refused form comes back with the text as typed and a message beside
//!   each field at fault (422), or above the form when a limit is reached
//!   (429 with `Retry-After`): a citizen never loses a long letter.
//! - The forms carry the signed double-submit CSRF token of the sign-in
//!   form (`csrf::login_token`): there is no session to bind them to.
//! - The letter form has a honeypot field that people never see (it is not
//!   displayed, and its label says to leave it empty). When it is filled, the
//!   form comes back with a general message and nothing is registered. We
//!   refuse openly rather than pretend to accept: the only person the
//!   pretence could fool is a citizen whose browser filled the field by
//!   itself, who would then wait for a reply to a letter never registered.
//! - The receipt is rendered straight from the POST: a redirect would have
//!   to carry the query code in its URL (browser history, logs) or keep it
//!   somewhere. Pages are `no-store` (`page_middleware`).
//! - The page offers the rating once: only while the closed case has no
//!   rating in force. The API lets a later rating replace an earlier one
//!   (after a callback or a second closure); a citizen's page does not
//!   invite that, and the rating is taken only on the version the page read,
//!   so two submissions at once cannot both count.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::errors::PageError;
use super::home::html;
use super::layout::{beijing, Layout};
use super::{cookies, csrf, words};
use crate::api::public::PUBLIC_CHANNEL;
use crate::api::views::PublicCaseView;
use crate::app::AppState;
use crate::client::ClientAddress;
use crate::db;
use crate::db::models::Case;
use crate::domain::actions::{ActionBody, RateBody};
use crate::domain::calendar::Clock;
use crate::domain::citizen::{mask_email, mask_name, CitizenInput};
use crate::domain::intake::{NewCaseInput, CONTENT_MAX, TITLE_MAX};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::Rating;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::limits::{self, PublicRequest};
use crate::workflow::{self, Acting, ActionInput};

/// Largest letter form accepted: the API's body limit. A letter of 20,000
/// Chinese characters is about 180 KiB once percent-encoded, far above the
/// other forms' limit.
pub const LETTER_FORM_LIMIT: usize = crate::api::BODY_LIMIT;

/// The subject categories the letter form offers. Channels have no list of
/// categories of their own (a case's category is free text, at most 50
/// characters); these are the subjects a county's mailbox is written about.
pub const CATEGORIES: &[&str] = &[
    "教育",
    "住房",
    "物业",
    "社保",
    "劳动纠纷",
    "医疗",
    "交通",
    "环境",
    "市容",
    "噪音",
    "市场监管",
    "民政",
    "农业",
    "土地",
    "水利",
    "治安",
    "户籍",
    "发展规划",
    "政务公开",
    "其他",
];

/// Longest name, phone, address as the form allows (the domain's limits).
const NAME_MAX: usize = 100;
const ADDRESS_MAX: usize = 300;
/// Longest rating comment.
const COMMENT_MAX: usize = 2000;
/// Longest search text on the published letters.
const SEARCH_MAX: usize = 50;
/// Published letters on one page.
const LETTERS_PER_PAGE: i64 = 10;
/// Pages beyond this are not served (an offset that large is a crawler's).
const LAST_PAGE: i64 = 1000;

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

/// Why a text field was refused, in Chinese: the domain refused it
/// (`validation::text_in_range`); this says which of its rules was broken.
fn text_message(label: &str, value: &str, required: bool, max: usize) -> String {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if required && chars == 0 {
        format!("请填写{label}。")
    } else if chars > max {
        format!("{label}最多 {max} 个字，现在是 {chars} 个字，请删减后再提交。")
    } else {
        format!("{label}中有无法识别的控制字符，请删除后再提交。")
    }
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
    }
}

fn has_control(value: &str) -> bool {
    value.chars().any(char::is_control)
}

// ---- the letter form ------------------------------------------------------

/// The letter form as posted (and as shown again).
#[derive(Debug, Default, Deserialize)]
pub struct LetterForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    /// The checkbox: present (`on`) when ticked.
    is_public: Option<String>,
    /// The honeypot: empty when a person filled the form.
    #[serde(default)]
    website: String,
    csrf_token: Option<String>,
}

/// Messages beside the letter form's fields.
#[derive(Debug, Default)]
struct LetterErrors {
    title: Option<String>,
    content: Option<String>,
    category: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
}

impl LetterErrors {
    fn any(&self) -> bool {
        [&self.title, &self.content, &self.category, &self.name, &self.phone, &self.email, &self.address]
            .iter()
            .any(|e| e.is_some())
    }

    /// The domain's field errors, in Chinese, beside the form's fields.
    fn from_fields(fields: &FieldErrors, form: &LetterForm) -> LetterErrors {
        let mut errors = LetterErrors::default();
        for field in &fields.0 {
            match field.field.as_str() {
                "title" => errors.title = Some(text_message("标题", &form.title, true, TITLE_MAX)),
                "content" => {
                    errors.content = Some(text_message("来信内容", &form.content, true, CONTENT_MAX))
                }
                "category" => errors.category = Some("请从列表中选择类别。".into()),
                "citizen.name" => errors.name = Some(text_message("姓名", &form.name, false, NAME_MAX)),
                "citizen.address" => {
                    errors.address = Some(text_message("地址", &form.address, false, ADDRESS_MAX))
                }
                "citizen.phone" => {
                    errors.phone =
                        Some("请填写 11 位手机号码，或带区号的固定电话号码（如 0571-88886666）。".into())
                }
                "citizen.email" => {
                    errors.email =
                        Some("请填写正确的电子邮箱地址，如 name@example.cn；不需要回执可以不填。".into())
                }
                // Fields the form does not have (the channel, the time of
                // receipt) are the page's own, fixed: not the citizen's doing.
                other => tracing::error!(field = other, "letter form refused on a field it does not show"),
            }
        }
        errors
    }
}

#[derive(Template)]
#[template(path = "mailbox/letter.html")]
struct LetterPage {
    layout: Layout,
    form: LetterForm,
    errors: LetterErrors,
    /// A message above the form (limits, the honeypot).
    notice: Option<String>,
    categories: &'static [&'static str],
    title_max: usize,
    content_max: usize,
}

impl LetterPage {
    fn is_public(&self) -> bool {
        self.form.is_public.is_some()
    }

    fn selected(&self, category: &str) -> bool {
        self.form.category.trim() == category
    }
}

fn letter_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    form: LetterForm,
    errors: LetterErrors,
    notice: Option<String>,
    retry_after: Option<u64>,
) -> Result<HttpResponse, PageError> {
    let (token, cookie) = form_token(req, state);
    let page = LetterPage {
        layout: Layout::public(req, "给县长写信", token),
        form: LetterForm { csrf_token: None, website: String::new(), ..form },
        errors,
        notice,
        categories: CATEGORIES,
        title_max: TITLE_MAX,
        content_max: CONTENT_MAX,
    };
    respond(&page, status, cookie, retry_after)
}

/// `GET /mailbox`: the letter form.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    letter_page(&req, &state, StatusCode::OK, LetterForm::default(), LetterErrors::default(), None, None)
}

#[derive(Template)]
#[template(path = "mailbox/receipt.html")]
struct ReceiptPage {
    layout: Layout,
    tracking_no: String,
    query_code: String,
    /// The masked address the receipt goes to, if one was given.
    email: Option<String>,
    receipt_mailed: bool,
    due_day: Option<String>,
}

/// `POST /mailbox`: registers the letter as the API's
/// `POST /api/v1/public/cases` does, and shows the receipt.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LetterForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !csrf::login_token_matches(&state.tokens, &req, form.csrf_token.as_deref()) {
        return Err(PageError::Csrf);
    }
    if !form.website.is_empty() {
        tracing::info!(client = %ClientAddress::of(&req), "mailbox honeypot filled; nothing registered");
        let notice = "提交未成功：表单中一个不需要填写的隐藏项被填写了（可能是浏览器自动填写造成的）。\
                      您的来信没有登记。请检查下面的内容后重新提交。"
            .to_owned();
        return letter_page(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            LetterErrors::default(),
            Some(notice),
            None,
        );
    }
    let mut errors = LetterErrors::default();
    let category = form.category.trim();
    if !category.is_empty() && !CATEGORIES.contains(&category) {
        errors.category = Some("请从列表中选择类别。".into());
    }
    // An empty input is "not given" (the API's null), not an invalid value.
    let given = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
    let citizen = CitizenInput {
        name: given(&form.name),
        phone: given(&form.phone),
        email: given(&form.email),
        address: given(&form.address),
    };
    let input = NewCaseInput {
        channel: PUBLIC_CHANNEL.into(),
        title: form.title.clone(),
        content: form.content.clone(),
        received_at: None,
        external_ref: None,
        category: given(category),
        is_public: Some(form.is_public.is_some()),
        citizen: Some(citizen),
    };
    let now = time::now_utc();
    let new = match input.validate(now, |code| code == PUBLIC_CHANNEL) {
        Ok(new) if !errors.any() => new,
        Ok(_) => {
            return letter_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, form, errors, None, None)
        }
        Err(fields) => {
            let mut refused = LetterErrors::from_fields(&fields, &form);
            refused.category = refused.category.or(errors.category);
            return letter_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, form, refused, None, None);
        }
    };
    let client = ClientAddress::of(&req);
    let db = state.db.clone();
    let submitted = state
        .db
        .write(move |conn| {
            let (channels, calendar) = (db.channels(conn)?, db.calendar(conn)?);
            let channel = workflow::channel_of(&channels, PUBLIC_CHANNEL)?;
            workflow::submit_letter(conn, &new, channel, client, Clock { calendar: &calendar, now })
        })
        .await;
    match submitted {
        Ok(letter) => {
            let page = ReceiptPage {
                layout: posted_layout(&req, "来信已收到", String::new(), &letter.case.tracking_no),
                email: letter.case.citizen_email.as_deref().map(mask_email),
                receipt_mailed: letter.receipt_mailed,
                due_day: letter.case.due_at.map(beijing_day),
                tracking_no: letter.case.tracking_no,
                query_code: letter.query_code,
            };
            respond(&page, StatusCode::OK, None, None)
        }
        Err(AppError::RateLimited { retry_after_secs, .. }) => letter_page(
            &req,
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            form,
            LetterErrors::default(),
            Some(too_often(retry_after_secs)),
            Some(retry_after_secs),
        ),
        Err(AppError::Validation(fields)) => {
            let errors = LetterErrors::from_fields(&fields, &form);
            letter_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, form, errors, None, None)
        }
        Err(other) => Err(other.into()),
    }
}

// ---- look-up and rating ---------------------------------------------------

/// The look-up form as posted (and as shown again; the code never is).
#[derive(Debug, Default, Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    tracking_no: String,
    #[serde(default)]
    code: String,
    csrf_token: Option<String>,
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
struct CasePage {
    layout: Layout,
    view: PublicCaseView,
    state_name: &'static str,
    state_meaning: &'static str,
    due_day: Option<String>,
    closed_at: Option<String>,
    /// The query code, for the rating form's hidden field (it came in this POST's body).
    code: String,
    /// The rating in force, in Chinese.
    rated: Option<&'static str>,
    /// The rating form is offered.
    may_rate: bool,
    /// The rating just given.
    thanks: bool,
    /// The rating form as posted, when it comes back.
    rating: String,
    comment: String,
    rating_error: Option<String>,
    comment_error: Option<String>,
    notice: Option<String>,
}

impl CasePage {
    fn new(
        req: &HttpRequest,
        state: &AppState,
        case: &Case,
        code: String,
    ) -> (CasePage, Option<Cookie<'static>>) {
        let (token, cookie) = form_token(req, state);
        let view = PublicCaseView::from(case);
        let (state_name, state_meaning) = state_words(view.state);
        let page = CasePage {
            layout: posted_layout(req, "来信办理情况", token, &case.tracking_no),
            due_day: view.due_at.map(beijing_day),
            closed_at: view.closed_at.map(|at| beijing(at.and_utc())),
            view,
            state_name,
            state_meaning,
            code,
            rated: case.rating.map(words::rating),
            may_rate: may_rate(case),
            thanks: false,
            rating: String::new(),
            comment: String::new(),
            rating_error: None,
            comment_error: None,
            notice: None,
        };
        (page, cookie)
    }

    /// The choices of the rating form: value, label, whether chosen.
    fn ratings(&self) -> Vec<(&'static str, &'static str, bool)> {
        Rating::ALL.iter().map(|r| (r.as_str(), words::rating(*r), self.rating == r.as_str())).collect()
    }
}

/// Whether the page offers the rating: a closed case with no rating in force.
fn may_rate(case: &Case) -> bool {
    case.state == CaseState::Closed && case.rating.is_none()
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

/// `POST /mailbox/lookup`: the case as the API's public look-up shows it,
/// within the same per-address limit.
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LookupForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !csrf::login_token_matches(&state.tokens, &req, form.csrf_token.as_deref()) {
        return Err(PageError::Csrf);
    }
    let (tracking_no, code) = match read_lookup(&form.tracking_no, &form.code) {
        Ok(read) => read,
        Err(errors) => {
            let shown = shown_again(&form.tracking_no);
            return lookup_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, errors, None);
        }
    };
    let client = ClientAddress::of(&req);
    let now = time::now_utc();
    let found =
        match state.db.write(move |conn| limits::admit(conn, PublicRequest::Lookup, client, now)).await {
            Ok(()) => {
                let (number, code) = (tracking_no.clone(), code.clone());
                state.db.read(move |conn| workflow::case_with_code(conn, &number, &code)).await
            }
            Err(refused) => Err(refused),
        };
    match found {
        Ok(case) => {
            let (page, cookie) = CasePage::new(&req, &state, &case, code);
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
            lookup_page(
                req,
                state,
                StatusCode::TOO_MANY_REQUESTS,
                tracking_no,
                errors,
                Some(retry_after_secs),
            )
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
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    csrf_token: Option<String>,
}

/// What became of a rating.
enum Rated {
    /// Recorded; the case after it.
    Done(Case),
    /// The case has a rating in force already (or it changed meanwhile).
    Already(Case),
    /// The comment was refused.
    Invalid(Case, FieldErrors),
}

/// `POST /mailbox/rating`: the citizen rates the reply, as with the API's
/// `POST /api/v1/public/cases/{tracking_no}/rating`, within the same limit.
pub async fn rate(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RatingForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if !csrf::login_token_matches(&state.tokens, &req, form.csrf_token.as_deref()) {
        return Err(PageError::Csrf);
    }
    let (tracking_no, code) = match read_lookup(&form.tracking_no, &form.code) {
        Ok(read) => read,
        Err(errors) => {
            let shown = shown_again(&form.tracking_no);
            return lookup_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, errors, None);
        }
    };
    let rating = Rating::parse(form.rating.trim());
    let comment = (!form.comment.trim().is_empty()).then(|| form.comment.clone());
    let client = ClientAddress::of(&req);
    let now = time::now_utc();
    if let Err(refused) =
        state.db.write(move |conn| limits::admit(conn, PublicRequest::Rating, client, now)).await
    {
        return lookup_refused(&req, &state, tracking_no, refused);
    }
    let db = state.db.clone();
    let (number, typed_code) = (tracking_no.clone(), code.clone());
    let outcome = state
        .db
        .write(move |conn| {
            let case = workflow::case_with_code(conn, &number, &typed_code)?;
            if !may_rate(&case) {
                return Ok(Rated::Already(case));
            }
            let Some(rating) = rating else {
                // Nothing chosen: the form again, checked by the page alone
                // (the action would say the same: rating is required).
                return Ok(Rated::Invalid(case, FieldErrors::single("rating", "is required")));
            };
            let calendar = db.calendar(conn)?;
            let body = ActionBody::Rate(RateBody { rating: Some(rating), result_rating: None, comment });
            let clock = Clock { calendar: &calendar, now };
            // On the version this page read: a concurrent rating makes this one lose.
            match workflow::act(
                conn,
                case.id,
                &Acting::citizen(),
                ActionInput::Typed(body),
                Some(case.version),
                clock,
            ) {
                Ok(after) => Ok(Rated::Done(after)),
                Err(AppError::Validation(fields)) => Ok(Rated::Invalid(case, fields)),
                Err(AppError::VersionConflict { .. }) => {
                    let now_case = db::cases::find(conn, case.id)?.unwrap_or(case);
                    Ok(Rated::Already(now_case))
                }
                Err(other) => Err(other),
            }
        })
        .await;
    match outcome {
        Ok(Rated::Done(case)) => {
            let (mut page, cookie) = CasePage::new(&req, &state, &case, code);
            page.thanks = true;
            respond(&page, StatusCode::OK, cookie, None)
        }
        Ok(Rated::Already(case)) => {
            let (mut page, cookie) = CasePage::new(&req, &state, &case, code);
            page.notice = Some(if case.state == CaseState::Closed {
                "这封来信已经评价过，每次答复只能评价一次。".into()
            } else {
                "这封来信现在不能评价：办结后才能评价答复。".into()
            });
            respond(&page, StatusCode::CONFLICT, cookie, None)
        }
        Ok(Rated::Invalid(case, fields)) => {
            let (mut page, cookie) = CasePage::new(&req, &state, &case, code);
            for field in &fields.0 {
                match field.field.as_str() {
                    "rating" => page.rating_error = Some("请选择满意、基本满意或不满意。".into()),
                    _ => page.comment_error = Some(text_message("意见", &form.comment, false, COMMENT_MAX)),
                }
            }
            page.rating = form.rating.trim().to_owned();
            page.comment = form.comment;
            respond(&page, StatusCode::UNPROCESSABLE_ENTITY, cookie, None)
        }
        Err(refused) => lookup_refused(&req, &state, tracking_no, refused),
    }
}

// ---- published letters ----------------------------------------------------

/// `?q=…&page=…` of the published letters.
#[derive(Debug, Default, Deserialize)]
struct LettersQuery {
    q: Option<String>,
    page: Option<String>,
}

/// One published letter as the page shows it.
struct LetterView {
    tracking_no: String,
    title: String,
    content: String,
    category: Option<String>,
    /// 王** or 匿名.
    writer: String,
    received_day: String,
    reply: String,
    department: String,
    closed_day: String,
}

#[derive(Template)]
#[template(path = "mailbox/letters.html")]
struct LettersPage {
    layout: Layout,
    q: String,
    q_error: Option<String>,
    letters: Vec<LetterView>,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
}

fn letters_href(q: &str, page: i64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    query.append_pair("page", &page.to_string());
    format!("/mailbox/letters?{}", query.finish())
}

/// `GET /mailbox/letters[?q=…][&page=N]`: the published letters, newest first.
pub async fn letters(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let query = web::Query::<LettersQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let page = query
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=LAST_PAGE).contains(p))
        .unwrap_or(1);
    let typed = query.q.unwrap_or_default();
    let q = typed.trim().to_owned();
    let q_error = if q.chars().count() > SEARCH_MAX {
        Some(format!("查询词最多 {SEARCH_MAX} 个字。"))
    } else if has_control(&q) {
        Some("查询词中有无法识别的控制字符。".into())
    } else {
        None
    };
    let (letters, more) = if q_error.is_some() {
        (Vec::new(), false)
    } else {
        let text = (!q.is_empty()).then(|| q.clone());
        state
            .db
            .read(move |conn| {
                Ok(db::letters::published(
                    conn,
                    text.as_deref(),
                    (page - 1) * LETTERS_PER_PAGE,
                    LETTERS_PER_PAGE,
                )?)
            })
            .await?
    };
    let letters = letters
        .into_iter()
        .map(|letter| LetterView {
            writer: letter
                .citizen_name
                .as_deref()
                .map(mask_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "匿名".into()),
            received_day: beijing_day(letter.received_at),
            closed_day: letter.closed_at.map(beijing_day).unwrap_or_default(),
            reply: letter.reply.unwrap_or_default(),
            department: letter.department.unwrap_or_else(|| "县政府办公室".into()),
            tracking_no: letter.tracking_no,
            title: letter.title,
            content: letter.content,
            category: letter.category,
        })
        .collect();
    let shown_q = if has_control(&q) { String::new() } else { q.clone() };
    let page_view = LettersPage {
        layout: Layout::public(&req, "信件选登", String::new()),
        previous: (page > 1).then(|| letters_href(&shown_q, page - 1)),
        next: more.then(|| letters_href(&shown_q, page + 1)),
        q: shown_q,
        q_error,
        letters,
        page,
    };
    let status = if page_view.q_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    respond(&page_view, status, None, None)
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
    fn messages_say_which_rule_a_text_broke() {
        assert_eq!(text_message("标题", "  ", true, 200), "请填写标题。");
        assert!(text_message("标题", &"字".repeat(201), true, 200).contains("现在是 201 个字"));
        assert!(text_message("标题", "a\u{1}b", true, 200).contains("控制字符"));
    }

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

    #[test]
    fn the_look_up_link_carries_the_number_only() {
        assert_eq!(lookup_href("MB2026000001"), "/mailbox/lookup?tracking_no=MB2026000001");
        assert_eq!(lookup_href("A&B"), "/mailbox/lookup?tracking_no=A%26B");
    }

    #[test]
    fn paging_links_keep_the_search() {
        assert_eq!(letters_href("停车 难", 2), "/mailbox/letters?q=%E5%81%9C%E8%BD%A6+%E9%9A%BE&page=2");
        assert_eq!(letters_href("", 1), "/mailbox/letters?page=1");
    }
}
