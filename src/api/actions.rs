//! `POST /api/v1/cases/{id}/{action}`: every lifecycle action, one transaction
//! each (the change and its audit event), judged by `domain::actions`.

use actix_web::{web, HttpResponse};

use super::access::{acting, case_response, contact_for};
use super::body::{ActionJson, IfMatch};
use super::views::{CaseView, Clock};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::ids::CaseId;
use crate::domain::lifecycle::Action;
use crate::domain::time;
use crate::error::AppError;
use crate::workflow::{self, ActionInput};

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
    let acting = acting(&user);
    let now = time::now_utc();
    let db = state.db.clone();
    let (case, calendar) = state
        .db
        .write(move |conn| {
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            let case = workflow::act(conn, CaseId(id), &acting, input, if_match.0, clock)?;
            Ok((case, calendar))
        })
        .await?;
    Ok(case_response(CaseView::new(case, contact_for(&user), Clock { calendar: &calendar, now })))
}
