//! Importing cases with their history from a spreadsheet (office staff): the
//! file is read, checked row by row and written in idempotent batches
//! (`transfer::import`); the import's record and its refused rows stay to be
//! looked at. The API's `/imports` and `casedesk import` call these.

use serde::Deserialize;

use crate::auth::OfficeStaff;
use crate::db;
use crate::db::models::ImportRecord;
use crate::domain::validation::Rule;
use crate::error::AppError;
use crate::state::AppState;
use crate::transfer::import::{self, ImportOptions};
use crate::transfer::read::{self, TextEncoding};

/// The import's options, as query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true`: check every row and count, write nothing.
    pub dry_run: Option<String>,
    /// The workbook's sheet (default: the first).
    pub sheet: Option<String>,
    /// A CSV file's encoding (default: detected).
    pub encoding: Option<String>,
    /// The name the import is recorded under.
    pub file_name: Option<String>,
}

/// Imports `bytes` (an xlsx workbook or a CSV file) as `staff`; returns the
/// import's record. A file that cannot be read is a 422 on `file`.
pub async fn run(
    state: &AppState,
    OfficeStaff(user): &OfficeStaff,
    query: ImportQuery,
    bytes: Vec<u8>,
) -> Result<ImportRecord, AppError> {
    let dry_run = match query.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid_field("dry_run", Rule::Boolean)),
    };
    let encoding =
        match query.encoding.as_deref() {
            None => None,
            Some(name) => Some(TextEncoding::parse(name).ok_or_else(|| {
                AppError::invalid_field("encoding", Rule::OneOf(&["utf-8", "gb18030", "gbk"]))
            })?),
        };
    let file_name = query.file_name.unwrap_or_else(|| "upload".into());
    if file_name.chars().count() > 200 || file_name.contains('\0') {
        return Err(AppError::invalid_field("file_name", Rule::MaxChars(200)));
    }
    let db = state.db.clone();
    let sheet = query.sheet;
    let actor = user.id;
    actix_web::web::block(move || {
        let rows = read::from_bytes(bytes, sheet.as_deref(), encoding)
            .map_err(|e| AppError::invalid_field("file", Rule::File(e.0)))?;
        let options = ImportOptions { file_name, dry_run, actor: Some(actor) };
        import::run(&db, rows, options, |_| {}).map_err(AppError::from)
    })
    .await?
}

/// The record of import `id`.
pub async fn find(state: &AppState, _staff: &OfficeStaff, id: i64) -> Result<ImportRecord, AppError> {
    state
        .db
        .read(move |conn| db::transfer::find_import(conn, id)?.ok_or_else(|| AppError::not_found("import")))
        .await
}

/// The rows import `id` refused, as a CSV file with the reason beside each.
pub async fn refused_rows(state: &AppState, staff: &OfficeStaff, id: i64) -> Result<Vec<u8>, AppError> {
    let record = find(state, staff, id).await?;
    let refusals = state.db.read(move |conn| Ok(db::transfer::refusals(conn, id)?)).await?;
    import::refused_csv(&record, &refusals)
}
