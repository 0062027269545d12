//! `/api/v1/imports`: importing cases with their history from a spreadsheet
//! sent as the request body, the import record, and its refused rows.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Serialize;

use crate::auth::OfficeStaff;
use crate::db::models::ImportCounts;
use crate::db::models::ImportRecord;
use crate::domain::ids::UserId;
use crate::domain::time::serde_office;
use crate::error::AppError;
use crate::service::imports::{self, ImportQuery};
use crate::state::AppState;

/// Largest file `POST /api/v1/imports` takes: some 40,000 rows of CSV, or
/// far more as xlsx. Larger files go through `casedesk import`, which streams.
pub const IMPORT_LIMIT: usize = 20 * 1024 * 1024;

/// Media types an import body may have; what it is is read from the bytes.
const ACCEPTED_TYPES: [&str; 6] = [
    "text/csv",
    "application/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
];

/// An import record as the API shows it.
#[derive(Debug, Serialize)]
pub struct ImportView {
    pub id: i64,
    /// The file's name as given (`file_name`), else `upload`.
    pub file_name: String,
    /// `xlsx` or `csv`.
    pub format: String,
    /// Whether it only checked and counted.
    pub dry_run: bool,
    /// `running`, `finished` or `failed`.
    pub state: String,
    /// Rows read and what became of them.
    pub counts: ImportCounts,
    /// Why a failed import stopped.
    pub error: Option<String>,
    /// Who ran it.
    pub created_by: Option<UserId>,
    #[serde(with = "serde_office")]
    pub started_at: NaiveDateTime,
    #[serde(with = "serde_office::option")]
    pub finished_at: Option<NaiveDateTime>,
    /// Where the refused rows are, with 错误原因; null when none were refused.
    pub refused_rows_url: Option<String>,
}

impl From<ImportRecord> for ImportView {
    fn from(r: ImportRecord) -> Self {
        ImportView {
            refused_rows_url: (r.rows_refused > 0).then(|| format!("/api/v1/imports/{}/refused", r.id)),
            id: r.id,
            file_name: r.file_name,
            format: r.format,
            dry_run: r.dry_run,
            state: r.state,
            counts: ImportCounts {
                rows: r.rows_total,
                new: r.rows_new,
                updated: r.rows_updated,
                unchanged: r.rows_unchanged,
                refused: r.rows_refused,
            },
            error: r.error,
            created_by: r.created_by,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// Reads the body within [`IMPORT_LIMIT`].
async fn read_file(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    if !content_type.as_deref().is_some_and(|t| ACCEPTED_TYPES.contains(&t)) {
        return Err(AppError::UnsupportedMediaType(
            "send the file as the body, with Content-Type text/csv or \
             application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .into(),
        ));
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > IMPORT_LIMIT) {
        return Err(AppError::PayloadTooLarge { limit: IMPORT_LIMIT });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("the body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > IMPORT_LIMIT {
            return Err(AppError::PayloadTooLarge { limit: IMPORT_LIMIT });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// `POST /api/v1/imports` (clerk, admin): the file is the body.
pub async fn create(
    state: web::Data<AppState>,
    staff: OfficeStaff,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let bytes = read_file(&req, payload).await?;
    let view = ImportView::from(imports::run(&state, &staff, query.into_inner(), bytes).await?);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", view.id)))
        .json(view))
}

/// `GET /api/v1/imports/{id}` (clerk, admin).
pub async fn get(
    state: web::Data<AppState>,
    staff: OfficeStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ImportView::from(imports::find(&state, &staff, path.into_inner()).await?)))
}

/// `GET /api/v1/imports/{id}/refused` (clerk, admin): the refused rows as CSV.
pub async fn refused(
    state: web::Data<AppState>,
    staff: OfficeStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let bytes = imports::refused_rows(&state, &staff, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"import-{id}-refused.csv\""),
        ))
        .body(bytes))
}
