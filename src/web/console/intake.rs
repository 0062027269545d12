//! `/console/cases/new`: intake for every channel (clerks and admins, as
//! `POST /api/v1/cases`). The form becomes the API's JSON body and goes
//! through the same registration (`api::cases::register`): the same checks,
//! the same idempotency — the form carries a hidden key, so a double click
//! registers one case and the second click sees the first one's receipt.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::{json, Map, Value};

use super::messages;
use crate::api::cases::{register, Intake};
use crate::app::AppState;
use crate::auth::Resolved;
use crate::error::AppError;
use crate::web::csrf;
use crate::web::errors::PageError;
use crate::web::home::html;
use crate::web::layout::Layout;
use crate::web::session::Session;

/// The intake form's fields: (form name, API member, label).
const FIELDS: [(&str, &str, &str); 11] = [
    ("channel", "channel", "渠道"),
    ("title", "title", "标题"),
    ("content", "content", "内容"),
    ("category", "category", "类别"),
    ("received_at", "received_at", "收到时间"),
    ("external_ref", "external_ref", "外部编号"),
    ("citizen_name", "citizen.name", "姓名"),
    ("citizen_phone", "citizen.phone", "电话"),
    ("citizen_email", "citizen.email", "电子邮箱"),
    ("citizen_address", "citizen.address", "地址"),
    ("is_public", "is_public", "同意公开"),
];

/// Common categories offered as suggestions (the field is free text).
const CATEGORIES: [&str; 10] =
    ["教育", "住房", "交通", "医疗卫生", "社会保障", "城乡建设", "环境保护", "农业农村", "市场监管", "其他"];

#[derive(Template)]
#[template(path = "console/new.html")]
struct NewCase {
    layout: Layout,
    channels: Vec<(String, String)>,
    categories: [&'static str; 10],
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    key: String,
}

impl NewCase {
    /// The value typed into a field.
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or_default()
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
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn office_staff(session: &Resolved) -> Result<(), PageError> {
    if session.user.role.is_office_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden("only clerks and admins register cases".into()).into())
    }
}

async fn channels(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    let db = state.db.clone();
    Ok(state
        .db
        .read(move |conn| Ok(db.channels(conn)?.iter().map(|c| (c.code.clone(), c.name.clone())).collect()))
        .await?)
}

/// `GET /console/cases/new`.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    office_staff(&session)?;
    html(&NewCase {
        layout: Layout::console(&req, &state, &session, "登记案件", "new"),
        channels: channels(&state).await?,
        categories: CATEGORIES,
        values: BTreeMap::new(),
        errors: BTreeMap::new(),
        key: new_key(),
    })
}

/// A `datetime-local` value (`2026-12-02T10:30`) as RFC 3339 in Beijing time.
fn received_at(raw: &str) -> String {
    let raw = raw.trim();
    match raw.len() {
        16 if raw.as_bytes()[10] == b'T' => format!("{raw}:00+08:00"),
        19 if raw.as_bytes()[10] == b'T' => format!("{raw}+08:00"),
        _ => raw.to_owned(),
    }
}

/// The form as the API's JSON body: empty fields left out, the contact
/// details as the `citizen` object (absent when all are empty: anonymous).
fn body_of(form: &BTreeMap<String, String>) -> Value {
    let get = |name: &str| form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut body = Map::new();
    for name in ["channel", "title", "content", "category", "external_ref"] {
        if let Some(v) = get(name) {
            body.insert(name.to_owned(), json!(v));
        }
    }
    // Title and content are required: send them even when empty, so the
    // error is the domain's "must not be empty" beside the field.
    for name in ["channel", "title", "content"] {
        body.entry(name.to_owned()).or_insert_with(|| json!(""));
    }
    if let Some(v) = get("received_at") {
        body.insert("received_at".into(), json!(received_at(v)));
    }
    body.insert("is_public".into(), json!(get("is_public") == Some("true")));
    let mut citizen = Map::new();
    for (field, member) in [
        ("citizen_name", "name"),
        ("citizen_phone", "phone"),
        ("citizen_email", "email"),
        ("citizen_address", "address"),
    ] {
        if let Some(v) = get(field) {
            citizen.insert(member.to_owned(), json!(v));
        }
    }
    if !citizen.is_empty() {
        body.insert("citizen".into(), Value::Object(citizen));
    }
    Value::Object(body)
}

/// The form field an API error names.
fn form_field(member: &str) -> String {
    FIELDS
        .iter()
        .find(|(_, m, _)| *m == member)
        .map_or_else(|| member.to_owned(), |(f, _, _)| (*f).to_owned())
}

/// `POST /console/cases/new`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let form: BTreeMap<String, String> = form.into_inner().into_iter().collect();
    if !csrf::session_token_matches(
        &state.tokens,
        &session.claims,
        form.get("csrf_token").map(String::as_str),
    ) {
        return Err(PageError::Csrf);
    }
    office_staff(&session)?;
    let key = form.get("idempotency_key").cloned().unwrap_or_default();
    if !(1..=255).contains(&key.len()) || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(PageError::BadRequest);
    }
    let outcome = register(&state, session.user.id, Some(key.clone()), body_of(&form)).await;
    let (body, replayed) = match outcome {
        Ok(Intake::Created(body, _)) => (body, false),
        Ok(Intake::Replayed(stored)) => (stored.body, true),
        Err(AppError::Validation(errors)) => {
            let errors = errors
                .0
                .iter()
                .map(|e| {
                    let field = form_field(&e.field);
                    let text = match e.message.as_str() {
                        "must be an RFC 3339 timestamp with offset" => {
                            "请填写收到时间，例如 2026-12-02 10:30".to_owned()
                        }
                        other => messages::message(other),
                    };
                    (field, text)
                })
                .collect();
            let mut response = html(&NewCase {
                layout: Layout::console(&req, &state, &session, "登记案件", "new"),
                channels: channels(&state).await?,
                categories: CATEGORIES,
                values: form,
                errors,
                key,
            })?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let created: Value = serde_json::from_str(&body).map_err(|e| AppError::Internal(e.to_string()))?;
    html(&Registered {
        layout: Layout::console(&req, &state, &session, "已登记", "new"),
        id: created["id"].as_i64().unwrap_or_default(),
        tracking_no: created["tracking_no"].as_str().unwrap_or_default().to_owned(),
        query_code: created["query_code"].as_str().unwrap_or_default().to_owned(),
        replayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_apis_body() {
        let form: BTreeMap<String, String> = [
            ("channel", "mailbox"),
            ("title", " 路灯不亮 "),
            ("content", "x"),
            ("received_at", "2026-12-01T09:30"),
            ("citizen_phone", "13800000000"),
            ("citizen_name", ""),
            ("is_public", "true"),
            ("csrf_token", "t"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            body_of(&form),
            json!({
                "channel": "mailbox", "title": "路灯不亮", "content": "x",
                "received_at": "2026-12-01T09:30:00+08:00", "is_public": true,
                "citizen": {"phone": "13800000000"}
            })
        );
        let anonymous = body_of(&BTreeMap::new());
        assert_eq!(anonymous, json!({"channel": "", "title": "", "content": "", "is_public": false}));
        assert_eq!(form_field("citizen.phone"), "citizen_phone");
    }
}
