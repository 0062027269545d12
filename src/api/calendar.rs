//! `/api/v1/calendar/{year}`: the working-day calendar's exceptions — public
//! holidays and make-up working days (调休). Anyone logged in reads them;
//! admins replace a year at once when the State Council publishes it. Changes
//! apply to deadlines computed afterwards; due dates already set stay.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;

use super::body::JsonBody;
use crate::auth::{Admin, AuthUser};
use crate::db::models::CalendarDay;
use crate::error::AppError;
use crate::service::calendar::{self, missing_schedule_warning};
use crate::state::AppState;

/// One exception, as the API shows it.
#[derive(Debug, Serialize)]
pub struct DayView {
    date: NaiveDate,
    is_workday: bool,
    note: String,
}

fn respond(year: i32, days: Vec<CalendarDay>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if days.is_empty() {
        response.insert_header(("Warning", format!("299 casedesk \"{}\"", missing_schedule_warning(year))));
    }
    let views: Vec<DayView> =
        days.into_iter().map(|d| DayView { date: d.day, is_workday: d.is_workday, note: d.note }).collect();
    response.json(views)
}

/// `GET /api/v1/calendar/{year}`: that year's exceptions by date. An empty list
/// means no schedule was entered: plain weekends, with a `Warning` header.
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let year = path.into_inner();
    Ok(respond(year, calendar::year(&state, &user, year).await?))
}

/// `PUT /api/v1/calendar/{year}` (admin): replaces the year's exceptions.
pub async fn put(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i32>,
    body: JsonBody<Vec<calendar::DayInput>>,
) -> Result<HttpResponse, AppError> {
    let year = path.into_inner();
    let stored = calendar::edit_year(&state, &admin, year, move |_| body.0).await?;
    Ok(respond(year, stored))
}
