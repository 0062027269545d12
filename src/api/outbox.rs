//! `/api/v1/outbox` (admins): the mail queue — what is pending, sent or
//! failed — and a retry for failed messages.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::auth::Admin;
use crate::db::models::Message;
use crate::domain::ids::CaseId;
use crate::domain::notice::{MessageState, Notice};
use crate::domain::time::serde_office;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::service::outbox;
use crate::service::paging::{decode_cursor, encode_cursor, page_limit};
use crate::state::AppState;

/// One message, without its render data (which may hold a query code).
#[derive(Debug, Serialize)]
pub struct MessageView {
    id: i64,
    kind: Notice,
    recipient: String,
    subject: String,
    case_id: Option<CaseId>,
    state: MessageState,
    attempts: i32,
    #[serde(with = "serde_office")]
    next_attempt_at: NaiveDateTime,
    last_error: Option<String>,
    #[serde(with = "serde_office")]
    created_at: NaiveDateTime,
    #[serde(with = "serde_office::option")]
    sent_at: Option<NaiveDateTime>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            case_id: m.case_id,
            state: m.state,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// A page of messages.
#[derive(Debug, Serialize)]
pub struct MessagePage {
    items: Vec<MessageView>,
    next_cursor: Option<String>,
}

/// Query parameters of the outbox list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/outbox?state=pending|sent|failed`: newest first.
pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { state: wanted, limit, cursor } = query.into_inner();
    let mut errors = FieldErrors::new();
    let wanted = wanted.and_then(|raw| {
        let parsed = MessageState::parse(&raw);
        if parsed.is_none() {
            errors.add("state", Rule::OneOf(&["pending", "sent", "failed"]));
        }
        parsed
    });
    let limit = page_limit(limit.as_deref(), &mut errors);
    let before = cursor.as_deref().and_then(|c| decode_cursor(c, &mut errors));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let (rows, more) = outbox::list(&state, &admin, wanted, before, limit).await?;
    let next_cursor = if more { rows.last().map(|m| encode_cursor(m.id)) } else { None };
    Ok(HttpResponse::Ok()
        .json(MessagePage { items: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// `POST /api/v1/outbox/{id}/retry`.
pub async fn retry(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let message = outbox::retry(&state, &admin, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(MessageView::from(message)))
}
