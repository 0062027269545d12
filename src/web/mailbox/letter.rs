//! `/mailbox`: the letter form, and the receipt rendered straight from the
//! POST (a redirect would have to carry the query code in its URL or keep it
//! somewhere). The letter is `service::letters::submit`'s, as the API's.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{beijing_day, form_token, posted_layout, respond, too_often};
use crate::client::ClientAddress;
use crate::domain::citizen::{mask_email, CitizenInput};
use crate::domain::intake::{CONTENT_MAX, TITLE_MAX};
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::service::categories;
use crate::service::letters::{self, LetterInput, PUBLIC_CHANNEL};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::PublicForm;
use crate::web::layout::Layout;
use crate::web::messages;

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
}

impl LetterForm {
    /// The letter as the service takes it: an empty input is "not given"
    /// (the API's null), not an invalid value.
    fn letter(&self) -> LetterInput {
        let given = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
        LetterInput {
            title: self.title.clone(),
            content: self.content.clone(),
            category: given(&self.category),
            is_public: Some(self.is_public.is_some()),
            citizen: Some(CitizenInput {
                name: given(&self.name),
                phone: given(&self.phone),
                email: given(&self.email),
                address: given(&self.address),
            }),
        }
    }
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

    /// The service's field errors, in Chinese, beside the form's fields.
    fn from_fields(fields: &FieldErrors) -> LetterErrors {
        let mut errors = LetterErrors::default();
        for error in &fields.0 {
            let label = match error.field.as_str() {
                "content" => "来信内容",
                other => messages::field_label(other),
            };
            let text = Some(messages::rule_sentence(&error.field, label, &error.rule));
            match error.field.as_str() {
                "title" => errors.title = text,
                "content" => errors.content = text,
                "category" => errors.category = text,
                "citizen.name" => errors.name = text,
                "citizen.address" => errors.address = text,
                "citizen.phone" => errors.phone = text,
                "citizen.email" => errors.email = text,
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
    categories: Vec<String>,
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

async fn letter_page(
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
        form: LetterForm { website: String::new(), ..form },
        errors,
        notice,
        categories: categories::offered(state, PUBLIC_CHANNEL).await?,
        title_max: TITLE_MAX,
        content_max: CONTENT_MAX,
    };
    respond(&page, status, cookie, retry_after)
}

/// `GET /mailbox`: the letter form.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    letter_page(&req, &state, StatusCode::OK, LetterForm::default(), LetterErrors::default(), None, None)
        .await
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
    PublicForm(form): PublicForm<LetterForm>,
) -> Result<HttpResponse, PageError> {
    if !form.website.is_empty() {
        tracing::info!(client = %ClientAddress::of(&req), "mailbox honeypot filled; nothing registered");
        let notice = "提交未成功：表单中一个不需要填写的隐藏项被填写了（可能是浏览器自动填写造成的）。\
                      您的来信没有登记。请检查下面的内容后重新提交。"
            .to_owned();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return letter_page(&req, &state, status, form, LetterErrors::default(), Some(notice), None).await;
    }
    match letters::submit(&state, ClientAddress::of(&req), form.letter()).await {
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
        Err(AppError::RateLimited { retry_after_secs, .. }) => {
            let notice = Some(too_often(retry_after_secs));
            let status = StatusCode::TOO_MANY_REQUESTS;
            letter_page(&req, &state, status, form, LetterErrors::default(), notice, Some(retry_after_secs))
                .await
        }
        Err(AppError::Validation(fields)) => {
            let errors = LetterErrors::from_fields(&fields);
            letter_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, form, errors, None, None).await
        }
        Err(other) => Err(other.into()),
    }
}
