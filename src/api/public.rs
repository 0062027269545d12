//! `/api/v1/public`: what citizens can do without an account — write to the
//! public mailbox, look up their letter with tracking number and query code,
//! and rate the reply (`service::letters`). Nothing personal is ever
//! returned, and a wrong code is the same 404 as an unknown tracking number.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use crate::client::ClientAddress;
use crate::domain::actions::RateBody;
use crate::domain::lifecycle::CaseState;
use crate::domain::validation::from_json;
use crate::error::AppError;
use crate::service::letters::{self, LetterInput};
use crate::state::AppState;

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
    let letter = letters::submit(&state, client, body.0).await?;
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
pub async fn lookup(
    state: web::Data<AppState>,
    client: ClientAddress,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, AppError> {
    let code = query.into_inner().code.unwrap_or_default();
    let status = letters::lookup(&state, client, path.into_inner(), code).await?;
    Ok(HttpResponse::Ok().json(status.view))
}

/// `POST /api/v1/public/cases/{tracking_no}/rating?code=…`: the citizen rates
/// the reply of a closed case, once per closure.
pub async fn rate(
    state: web::Data<AppState>,
    client: ClientAddress,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    // A body of the wrong shape is refused before the code is checked, as
    // for every other body.
    let rating: RateBody = from_json(body.0)?;
    let code = query.into_inner().code.unwrap_or_default();
    let status = letters::rate(&state, client, path.into_inner(), code, rating, None).await?.into_result()?;
    Ok(HttpResponse::Ok().json(status.view))
}
