//! `/console/cases/new`: intake for every channel (clerks and admins, as
//! `POST /api/v1/cases`). The form is typed ([`IntakeForm`]) and becomes the
//! service's own input, registered by `service::cases::register` — the same
//! checks, the same idempotency: the form carries a hidden key, so a double
//! click registers one case and the second click sees the first one's receipt.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::similar::{links, SimilarLink};
use crate::auth::OfficeStaff;
use crate::domain::citizen::CitizenInput;
use crate::domain::intake::{NewCaseInput, ReceivedAt};
use crate::error::AppError;
use crate::service::cases::{self, valid_idempotency_key};
use crate::service::{categories, channels, similar};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::{html, Layout};
use crate::web::messages;
use crate::web::session::Page;

/// The intake form as posted (and shown again after a refusal).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IntakeForm {
    idempotency_key: String,
    channel: String,
    title: String,
    content: String,
    category: String,
    /// `datetime-local`: Beijing wall-clock time, `2026-12-02T10:30`.
    received_at: String,
    external_ref: String,
    citizen_name: String,
    citizen_phone: String,
    citizen_email: String,
    citizen_address: String,
    is_public: Option<String>,
}

impl IntakeForm {
    /// The value typed into the field `name`, to show it again.
    fn value(&self, name: &str) -> &str {
        match name {
            "channel" => &self.channel,
            "title" => &self.title,
            "content" => &self.content,
            "category" => &self.category,
            "received_at" => &self.received_at,
            "external_ref" => &self.external_ref,
            "citizen_name" => &self.citizen_name,
            "citizen_phone" => &self.citizen_phone,
            "citizen_email" => &self.citizen_email,
            "citizen_address" => &self.citizen_address,
            "is_public" if self.is_public.is_some() => "true",
            _ => "",
        }
    }

    /// The form as the service's intake: empty fields are "not given", the
    /// contact details absent when all are empty (an anonymous letter).
    fn case(&self) -> NewCaseInput {
        let given = |value: &str| Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
        let citizen = CitizenInput {
            name: given(&self.citizen_name),
            phone: given(&self.citizen_phone),
            email: given(&self.citizen_email),
            address: given(&self.citizen_address),
        };
        let anonymous = citizen.name.is_none()
            && citizen.phone.is_none()
            && citizen.email.is_none()
            && citizen.address.is_none();
        NewCaseInput {
            channel: self.channel.trim().to_owned(),
            title: self.title.clone(),
            content: self.content.clone(),
            received_at: given(&self.received_at).map(|raw| received_at(&raw)),
            external_ref: given(&self.external_ref),
            category: given(&self.category),
            is_public: Some(self.is_public.is_some()),
            citizen: (!anonymous).then_some(citizen),
        }
    }
}

/// A `datetime-local` value as the office's wall-clock time; anything else is
/// passed on as it is, for the service to refuse on its field.
fn received_at(raw: &str) -> ReceivedAt {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map_or_else(|| ReceivedAt::Rfc3339(raw.to_owned()), ReceivedAt::OfficeTime)
}

/// The form field a service error names (`citizen.phone` → `citizen_phone`).
fn form_field(field: &str) -> String {
    field.replace('.', "_")
}

#[derive(Template)]
#[template(path = "console/new.html")]
struct NewCase {
    layout: Layout,
    channels: Vec<(String, String)>,
    categories: Vec<String>,
    form: IntakeForm,
    errors: BTreeMap<String, String>,
    key: String,
}

impl NewCase {
    /// The value typed into a field.
    fn value(&self, name: &str) -> &str {
        self.form.value(name)
    }

    /// A field's error.
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }
}

#[derive(Template)]
#[template(path = "console/registered.html")]
struct Registered {
    layout: Layout,
    id: i64,
    tracking_no: String,
    query_code: String,
    replayed: bool,
    /// Cases like the one just registered, so the clerk sees a repeat at once.
    similar: Vec<SimilarLink>,
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The form page: its channels, and every channel's categories (offered as
/// suggestions; the service takes a category as the clerk writes it).
async fn form_page(
    req: &HttpRequest,
    state: &AppState,
    page: &Page<OfficeStaff>,
    form: IntakeForm,
    errors: BTreeMap<String, String>,
    key: String,
) -> Result<HttpResponse, PageError> {
    let channels = channels::list(state, &page.proof.0).await?;
    let mut offered: Vec<String> = Vec::new();
    for channel in channels.iter() {
        for name in categories::offered(state, &channel.code).await? {
            if !offered.contains(&name) {
                offered.push(name);
            }
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut response = html(&NewCase {
        layout: Layout::console(req, state, &page.session, "登记案件", "new"),
        channels: channels.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
        categories: offered,
        form,
        errors,
        key,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/cases/new`.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: Page<OfficeStaff>,
) -> Result<HttpResponse, PageError> {
    form_page(&req, &state, &page, IntakeForm::default(), BTreeMap::new(), new_key()).await
}

/// `POST /console/cases/new`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<IntakeForm>,
    page: Page<OfficeStaff>,
) -> Result<HttpResponse, PageError> {
    if !valid_idempotency_key(&form.idempotency_key) {
        return Err(PageError::BadRequest);
    }
    let key = form.idempotency_key.clone();
    match cases::register(&state, &page.proof, Some(key.clone()), form.case()).await {
        Ok(intake) => html(&Registered {
            layout: Layout::console(&req, &state, &page.session, "已登记", "new"),
            similar: links(similar::similar(&state, &page.proof.0, intake.created.id).await?),
            id: intake.created.id.0,
            tracking_no: intake.created.tracking_no,
            query_code: intake.created.query_code,
            replayed: intake.replayed,
        }),
        Err(AppError::Validation(errors)) => {
            let errors = errors.0.iter().map(|e| (form_field(&e.field), messages::sentence(e))).collect();
            form_page(&req, &state, &page, form, errors, key).await
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_services_intake() {
        let form = IntakeForm {
            channel: "mailbox".into(),
            title: " 路灯不亮 ".into(),
            content: "x".into(),
            received_at: "2026-12-01T09:30".into(),
            citizen_phone: "13800000000".into(),
            is_public: Some("true".into()),
            ..IntakeForm::default()
        };
        let case = form.case();
        assert_eq!(case.channel, "mailbox");
        assert_eq!(case.title, " 路灯不亮 ", "the service trims, as for the API");
        let nine_thirty = NaiveDateTime::parse_from_str("2026-12-01T09:30", "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(case.received_at, Some(ReceivedAt::OfficeTime(nine_thirty)));
        assert_eq!(case.is_public, Some(true));
        assert_eq!(case.citizen.as_ref().and_then(|c| c.phone.as_deref()), Some("13800000000"));
        assert!(case.citizen.as_ref().is_some_and(|c| c.name.is_none()));
        let anonymous = IntakeForm::default().case();
        assert!(anonymous.citizen.is_none() && anonymous.received_at.is_none());
        assert_eq!(anonymous.is_public, Some(false));
        assert_eq!(received_at("yesterday"), ReceivedAt::Rfc3339("yesterday".into()));
        assert_eq!(form_field("citizen.phone"), "citizen_phone");
        assert_eq!(form.value("is_public"), "true");
    }
}
