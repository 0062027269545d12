//! The annual report section for a year (DESIGN.md's wording), for leaders,
//! clerks and admins: as text, JSON or a workbook.

use serde::Deserialize;

use crate::auth::Overseer;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::report::{self, AnnualReport, ReportFormat};
use crate::state::AppState;

/// `?year=YYYY&format=text|json|xlsx`, as given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnualQuery {
    /// The year, 2000 to 2100 (required).
    pub year: Option<String>,
    /// `text` (the default), `json` or `xlsx`.
    pub format: Option<String>,
}

/// The report as asked for.
#[derive(Debug)]
pub enum ReportFile {
    /// The report's structure, for JSON.
    Json(Box<AnnualReport>),
    /// The paragraphs, as the office pastes them into its report.
    Text(String),
    /// A workbook, with the year for its file name.
    Xlsx(i32, Vec<u8>),
}

/// The annual report section of `query`'s year.
pub async fn annual(
    state: &AppState,
    _reader: &Overseer,
    query: AnnualQuery,
) -> Result<ReportFile, AppError> {
    let AnnualQuery { year, format } = query;
    let mut errors = FieldErrors::new();
    let year = match year.as_deref().map(str::parse::<i32>) {
        Some(Ok(y)) if (2000..=2100).contains(&y) => Some(y),
        _ => {
            errors.add("year", Rule::RequiredYear);
            None
        }
    };
    let format = match format.as_deref().map(ReportFormat::parse) {
        None => Some(ReportFormat::Text),
        Some(Some(format)) => Some(format),
        Some(None) => {
            errors.add("format", Rule::OneOf(&["text", "json", "xlsx"]));
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
        ReportFormat::Json => ReportFile::Json(Box::new(built)),
        ReportFormat::Text => ReportFile::Text(built.text()),
        ReportFormat::Xlsx => {
            // Zipping the workbook is CPU work: off the async executor.
            let bytes = actix_web::web::block(move || built.xlsx())
                .await?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            ReportFile::Xlsx(year, bytes)
        }
    })
}
