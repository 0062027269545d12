//! `/console/admin/outbox`: the mail outbox — failed mails, each with a
//! retry button (`service::outbox::retry`, as `POST
//! /api/v1/outbox/{id}/retry`), and the mails waiting to be sent.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{done, layout, notice_of, refusal, refused_page, ConflictShown, Fields, FormState};
use crate::auth::Admin;
use crate::db::models::Message;
use crate::domain::notice::MessageState;
use crate::service::outbox;
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::html;
use crate::web::layout::{beijing_naive, Layout};
use crate::web::session::Page;

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
struct OutboxPage {
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
) -> Result<OutboxPage, PageError> {
    let admin = super::admin_of(session)?;
    let (failed, failed_more) = outbox::list(state, &admin, Some(MessageState::Failed), None, SHOWN).await?;
    let (pending, pending_more) =
        outbox::list(state, &admin, Some(MessageState::Pending), None, SHOWN).await?;
    Ok(OutboxPage {
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
    Page { session, .. }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    html(&page(&req, &state, &session, FormState::default()).await?)
}

/// `POST /console/admin/outbox/{id}/retry`.
pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    match outbox::retry(&state, &admin, path.into_inner()).await {
        Ok(_) => Ok(done("/console/admin/outbox", "retried")),
        Err(error) => {
            let not_failed = ConflictShown {
                field: "retry",
                text: "这封邮件不是发送失败的状态，无需重新发送。".into(),
            };
            let shown = refusal("retry", fields, error, str::to_owned, not_failed)?;
            refused_page(&page(&req, &state, &session, shown).await?)
        }
    }
}
