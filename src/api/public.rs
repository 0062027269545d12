//! `/api/v1/public`: what citizens can do without an account — write to the
//! public mailbox, look up their letter with tracking number and query code,
//! and rate the reply. Nothing personal is ever returned, and a wrong code is
//! the same 404 as an unknown tracking number.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::views::PublicCaseView;
use crate::app::AppState;
use crate::client::ClientAddress;
use crate::domain::actions::ActionBody;
use crate::domain::calendar::Clock;
use crate::domain::citizen::CitizenInput;
use crate::domain::intake::NewCaseInput;
use crate::domain::lifecycle::{Action, CaseState};
use crate::domain::time;
use crate::error::AppError;
use crate::limits::{self, PublicRequest};
use crate::workflow::{self, Acting, ActionInput};

/// The channel citizens write to directly.
pub const PUBLIC_CHANNEL: &str = "mailbox";

/// A letter to the public mailbox.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterInput {
    title: String,
    content: String,
    category: Option<String>,
    is_public: Option<bool>,
    citizen: Option<CitizenInput>,
}

/// The answer to a letter: how to follow it.
#[derive(Debug, Serialize)]
pub struct ReceiptView {
    tracking_no: String,
    query_code: String,
    state: CaseState,
    receipt_mailed: bool,
}

/// `POST /api/v1/public/cases`: a citizen writes to the public mailbox.
pub async fn submit(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: JsonBody<LetterInput>,
) -> Result<HttpResponse, AppError> {
    let letter = body.0;
    let now = time::now_utc();
    let input = NewCaseInput {
        channel: PUBLIC_CHANNEL.into(),
        title: letter.title,
        content: letter.content,
        received_at: None,
        external_ref: None,
        category: letter.category,
        is_public: letter.is_public,
        citizen: letter.citizen,
    };
    let new = input.validate(now, |code| code == PUBLIC_CHANNEL)?;
    let db = state.db.clone();
    let letter = state
        .db
        .write(move |conn| {
            let (channels, calendar) = (db.channels(conn)?, db.calendar(conn)?);
            let channel = workflow::channel_of(&channels, PUBLIC_CHANNEL)?;
            workflow::submit_letter(conn, &new, channel, client, Clock { calendar: &calendar, now })
        })
        .await?;
    Ok(HttpResponse::Created().json(ReceiptView {
        tracking_no: letter.case.tracking_no,
        query_code: letter.query_code,
        state: letter.case.state,
        receipt_mailed: letter.receipt_mailed,
    }))
}

/// The query code, as a query parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    code: Option<String>,
}

/// `GET /api/v1/public/cases/{tracking_no}?code=…`.
/// Every look-up counts towards the client's limit, found or not (that is
/// what keeps query codes from being guessed).
pub async fn lookup(
    state: web::Data<AppState>,
    client: ClientAddress,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, AppError> {
    let tracking_no = path.into_inner();
    let code = query.into_inner().code.unwrap_or_default();
    let now = time::now_utc();
    state.db.write(move |conn| limits::admit(conn, PublicRequest::Lookup, client, now)).await?;
    let case = state.db.read(move |conn| workflow::case_with_code(conn, &tracking_no, &code)).await?;
    Ok(HttpResponse::Ok().json(PublicCaseView::from(&case)))
}

/// `POST /api/v1/public/cases/{tracking_no}/rating?code=…`: the citizen rates
/// the reply of a closed case. A later rating replaces the earlier one in the figures.
pub async fn rate(
    state: web::Data<AppState>,
    client: ClientAddress,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let tracking_no = path.into_inner();
    let code = query.into_inner().code.unwrap_or_default();
    // A body of the wrong shape is refused before the code is checked, as
    // for every other body.
    let input = ActionInput::Typed(ActionBody::parse(Action::Rate, body.0)?);
    let now = time::now_utc();
    state.db.write(move |conn| limits::admit(conn, PublicRequest::Rating, client, now)).await?;
    let db = state.db.clone();
    let case = state
        .db
        .write(move |conn| {
            let case = workflow::case_with_code(conn, &tracking_no, &code)?;
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            workflow::act(conn, case.id, &Acting::citizen(), input, None, clock)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PublicCaseView::from(&case)))
}
