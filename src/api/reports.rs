//! `/api/v1/reports/annual`: the report section for a year, as text, JSON or
//! an Excel workbook.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::auth::Overseer;
use crate::error::AppError;
use crate::service::bulletin::{self, BulletinQuery};
use crate::service::reports::{self, AnnualQuery, ReportFile};
use crate::state::AppState;

/// The media type of an xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /api/v1/reports/annual?year=YYYY[&format=text|json|xlsx]` (leaders,
/// clerks, admins).
pub async fn annual(
    state: web::Data<AppState>,
    reader: Overseer,
    query: web::Query<AnnualQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(match reports::annual(&state, &reader, query.into_inner()).await? {
        ReportFile::Json(report) => HttpResponse::Ok().json(&report),
        ReportFile::Text(text) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text),
        ReportFile::Xlsx(year, bytes) => HttpResponse::Ok()
            .content_type(XLSX)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"casedesk-{year}.xlsx\""),
            ))
            .body(bytes),
    })
}

/// `GET /api/v1/reports/bulletin?from&to[&format=text|xlsx]` (运行通报;
/// leaders, clerks, admins).
pub async fn bulletin(
    state: web::Data<AppState>,
    reader: Overseer,
    query: web::Query<BulletinQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(bulletin::bulletin(&state, &reader, query.into_inner()).await?.into_response())
}
