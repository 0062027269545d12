//! `/console/admin/outbox`: the mail outbox — failed mails, each with a
//! retry button (`api::outbox::retry_message`, as `POST
//! /api/v1/outbox/{id}/retry`), and the mails waiting to be sent.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{checked_form, done, layout, notice_of, refusal, refused_page, FormState};
use crate::api::outbox::{list_messages, retry_message};
use crate::app::AppState;
use crate::auth::Resolved;
use crate::db::outbox::Message;
use crate::domain::notice::MessageState;
use crate::web::errors::PageError;
use crate::web::home::html;
use crate::web::layout::{beijing_naive, Layout};
use crate::web::session::Session;

/// How many of each state the page lists (newest first).
const SHOWN: i64 = 200;

const NOTICES: [(&str, &str); 1] = [("retried", "邮件已重新排队，将在一天内反复尝试发送。")];

/// One mail as the page shows it.
pub struct Row {
    id: i64,
    recipient: String,
    subject: String,
    case_id: Option<i64>,
    attempts: i32,
    last_error: String,
    created_at: String,
    next_attempt_at: String,
}

impl From<Message> for Row {
    fn from(m: Message) -> Self {
        Row {
            id: m.id,
            recipient: m.recipient,
            subject: m.subject,
            case_id: m.case_id.map(|c| c.0),
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created_at: beijing_naive(m.created_at),
            next_attempt_at: beijing_naive(m.next_attempt_at),
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin/outbox.html")]
struct Page {
    layout: Layout,
    failed: Vec<Row>,
    failed_more: bool,
    pending: Vec<Row>,
    pending_more: bool,
    form: FormState,
    notice: Option<&'static str>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    form: FormState,
) -> Result<Page, PageError> {
    let admin = super::admin_of(session)?;
    let (failed, failed_more) = list_messages(state, &admin, Some(MessageState::Failed), None, SHOWN).await?;
    let (pending, pending_more) =
        list_messages(state, &admin, Some(MessageState::Pending), None, SHOWN).await?;
    Ok(Page {
        layout: layout(req, state, session, "邮件发送"),
        failed: failed.into_iter().map(Row::from).collect(),
        failed_more,
        pending: pending.into_iter().map(Row::from).collect(),
        pending_more,
        form,
        notice: notice_of(req, &NOTICES),
    })
}

/// `GET /console/admin/outbox`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    html(&page(&req, &state, &session, FormState::default()).await?)
}

/// `POST /console/admin/outbox/{id}/retry`.
pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let (admin, fields) = checked_form(&state, &session, form.into_inner())?;
    match retry_message(&state, &admin, path.into_inner()).await {
        Ok(_) => Ok(done("/console/admin/outbox", "retried")),
        Err(error) => {
            let shown = refusal("retry", fields, error, str::to_owned, "retry")?;
            refused_page(&page(&req, &state, &session, shown).await?)
        }
    }
}
