//! `/api/v1/reports/annual`: the report section for a year, as text, JSON or
//! an Excel workbook.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::report::{self, ReportFormat};

/// Query parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnualQuery {
    year: Option<String>,
    format: Option<String>,
}

/// The media type of xlsx workbooks.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /api/v1/reports/annual?year=YYYY&format=text|json|xlsx` (leader, clerk, admin).
pub async fn annual(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AnnualQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(&[Role::Admin, Role::Clerk, Role::Leader])?;
    let AnnualQuery { year, format } = query.into_inner();
    let mut errors = FieldErrors::new();
    let year = match year.as_deref().map(str::parse::<i32>) {
        Some(Ok(y)) if (2000..=2100).contains(&y) => Some(y),
        _ => {
            errors.add("year", "is required: a year from 2000 to 2100");
            None
        }
    };
    let format = match format.as_deref().map(ReportFormat::parse) {
        None => Some(ReportFormat::Text),
        Some(Some(format)) => Some(format),
        Some(None) => {
            errors.add("format", "must be text, json or xlsx");
            None
        }
    };
    let (Some(year), Some(format), true) = (year, format, errors.is_empty()) else {
        return Err(errors.into());
    };
    let definition = state.settings.definition.clone();
    let now = time::now_utc();
    let built = state.db.read(move |conn| report::annual(conn, year, &definition, now, now)).await?;
    Ok(match format {
        ReportFormat::Json => HttpResponse::Ok().json(&built),
        ReportFormat::Xlsx => {
            let bytes =
                web::block(move || built.xlsx()).await?.map_err(|e| AppError::Internal(e.to_string()))?;
            HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"casedesk-{year}.xlsx\""),
                ))
                .body(bytes)
        }
        ReportFormat::Text => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(built.text()),
    })
}
