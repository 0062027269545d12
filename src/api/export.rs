//! `GET /api/v1/cases/export`: the case list as a CSV file or an xlsx
//! workbook (`service::exports`), streamed as it is written.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::service::exports::{self, ExportFile};
use crate::state::AppState;

/// `GET /api/v1/cases/export?format=csv|xlsx&…` (staff): the list's filters,
/// visibility and masking; no paging.
pub async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    Ok(file_response(exports::export(&state, &user, req.query_string()).await?))
}

/// A download of `file`, streamed.
pub fn file_response(file: ExportFile) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.filename)))
        .streaming(file.body)
}
