//! `POST /api/v1/cases/{id}/{action}`: every lifecycle action, one transaction
//! each (the change and its audit event), judged by `domain::actions`.

use actix_web::{web, HttpResponse};

use super::body::{ActionJson, IfMatch};
use super::case_response;
use crate::auth::AuthUser;
use crate::domain::ids::CaseId;
use crate::domain::lifecycle::Action;
use crate::error::AppError;
use crate::service::cases::{self, ActionInput};
use crate::state::AppState;

/// Takes the action named in the path.
pub async fn act(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, String)>,
    if_match: IfMatch,
    body: ActionJson,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    let action = Action::parse(&name).ok_or_else(|| AppError::NotFound(format!("no action '{name}'")))?;
    let input = ActionInput::Json(action, body.0);
    Ok(case_response(cases::act(&state, &user, CaseId(id), input, if_match.0).await?))
}
