//! Exports of the case list as a CSV file or an xlsx workbook, with the
//! list's filters, visibility and masking (`GET /api/v1/cases/export`, the
//! console's 导出 Excel).
//!
//! The file is written a page of cases at a time, each page read and
//! rendered on the blocking pool (`Db::read`): CSV pages are sent as they
//! come, so memory does not grow with the number of cases; an xlsx workbook
//! goes to a temporary file first (a zip archive is finished only at its
//! end), which is then sent in chunks.

use std::io::Read;
use std::sync::Arc;

use actix_web::web::{self, Bytes};
use futures_util::stream::{self, LocalBoxStream};
use futures_util::StreamExt;

use super::cases::CaseQuery;
use crate::auth::AuthUser;
use crate::db::{self, cases::CaseFilter, Db};
use crate::domain::calendar::{Calendar, Clock};
use crate::domain::time;
use crate::domain::validation::Rule;
use crate::error::AppError;
use crate::state::AppState;
use crate::transfer::export::{self, ExportContext, ExportFormat, XlsxExport, PAGE_SIZE};

/// An export on its way: its name, its media type, and its bytes as they are
/// written (a page of cases at a time; an error ends the stream).
pub struct ExportFile {
    /// The file name to save it under.
    pub filename: String,
    /// Its media type.
    pub content_type: &'static str,
    /// The bytes.
    pub body: LocalBoxStream<'static, Result<Bytes, AppError>>,
}

/// Bytes of the workbook file sent per chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// Splits `format` off the query string; the rest are the list's filters.
/// The list's paging parameters are refused: an export holds every match.
fn split_query(query: &str) -> Result<(ExportFormat, String), AppError> {
    let mut format = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "format" if format.is_some() => {
                return Err(AppError::BadRequest("invalid query string: duplicate field `format`".into()))
            }
            "format" => {
                format = Some(
                    ExportFormat::parse(&value)
                        .ok_or_else(|| AppError::invalid_field("format", Rule::OneOf(&["csv", "xlsx"])))?,
                )
            }
            "limit" | "cursor" => {
                return Err(AppError::BadRequest(format!(
                    "invalid query string: unknown field `{name}` (an export holds every matching case)"
                )))
            }
            _ => {
                rest.append_pair(&name, &value);
            }
        }
    }
    Ok((format.unwrap_or(ExportFormat::Csv), rest.finish()))
}

/// What every page needs: the filter (with the cursor moving on), the names
/// of channels and departments, the calendar.
#[derive(Clone)]
struct Pager {
    db: Db,
    filter: CaseFilter,
    context: Arc<ExportContext>,
    calendar: Arc<Calendar>,
}

impl Pager {
    /// Reads the next page and hands its rows to `render` on the blocking
    /// pool; returns what `render` made and whether more pages follow (the
    /// filter's cursor then points past this page).
    async fn next<T, F>(&mut self, render: F) -> Result<(T, bool), AppError>
    where
        F: FnOnce(Vec<Vec<export::Value>>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let filter = self.filter.clone();
        let context = self.context.clone();
        let calendar = self.calendar.clone();
        let (made, last_id, more) = self
            .db
            .read(move |conn| {
                let page = db::transfer::export_page(conn, &filter, PAGE_SIZE)?;
                let clock = Clock { calendar: &calendar, now: time::now_utc() };
                let rows = export::page_rows(&page, &context, clock);
                let last_id = page.cases.last().map(|c| c.id);
                Ok((render(rows)?, last_id, page.more))
            })
            .await?;
        self.filter.before_id = last_id;
        Ok((made, more && last_id.is_some()))
    }
}

fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(error.to_string())
}

/// The export of the cases `query` (the list's filters and `format`)
/// selects for `user`: the API's answer, and the console's "导出" link's.
pub async fn export(state: &AppState, user: &AuthUser, query: &str) -> Result<ExportFile, AppError> {
    let (format, filters) = split_query(query)?;
    let query = web::Query::<CaseQuery>::from_query(&filters)
        .map_err(|e| AppError::BadRequest(format!("invalid query string: {e}")))?;
    let (filter, _) = query.into_inner().into_filter(user, &state.settings.definition)?;
    let db = state.db.clone();
    let (context, calendar) = state
        .db
        .read(move |conn| {
            let channels = db.channels(conn)?;
            let departments = db::departments::list(conn)?;
            Ok((ExportContext::new(&channels, departments, false), db.calendar(conn)?))
        })
        .await?;
    let mut pager = Pager { db: state.db.clone(), filter, context: Arc::new(context), calendar };
    let filename = format!(
        "casedesk-cases-{}.{}",
        time::office_date(time::now_utc()).format("%Y%m%d"),
        format.extension()
    );
    let content_type = format.content_type();
    let export_file = |body| ExportFile { filename, content_type, body };
    match format {
        ExportFormat::Csv => {
            // The first page is read before the response starts, so that a
            // database that cannot be reached is a 503, not a cut-off file.
            let (first, more) = pager
                .next(|rows| {
                    let mut bytes = export::csv_head().map_err(internal)?;
                    bytes.extend(export::csv_rows(&rows).map_err(internal)?);
                    Ok(bytes)
                })
                .await?;
            let rest = stream::unfold(more.then_some(pager), |pager| async move {
                let mut pager = pager?;
                match pager.next(|rows| export::csv_rows(&rows).map_err(internal)).await {
                    Ok((bytes, more)) => Some((Ok(Bytes::from(bytes)), more.then_some(pager))),
                    Err(error) => {
                        tracing::error!(%error, "export stopped part way");
                        Some((Err(error), None))
                    }
                }
            });
            let first = stream::once(async move { Ok::<_, AppError>(Bytes::from(first)) });
            Ok(export_file(first.chain(rest).boxed_local()))
        }
        ExportFormat::Xlsx => {
            let mut book = web::block(XlsxExport::new).await?.map_err(internal)?;
            loop {
                let (returned, more) = pager
                    .next(move |rows| {
                        book.append(&rows).map_err(internal)?;
                        Ok(book)
                    })
                    .await?;
                book = returned;
                if !more {
                    break;
                }
            }
            let file = web::block(move || book.finish()).await?.map_err(internal)?;
            let chunks = stream::unfold(Some(file), |file| async move {
                let mut file = file?;
                let read = web::block(move || {
                    let mut buffer = vec![0; FILE_CHUNK];
                    let n = file.read(&mut buffer)?;
                    buffer.truncate(n);
                    Ok::<_, std::io::Error>((buffer, file))
                })
                .await;
                match read {
                    Ok(Ok((buffer, _))) if buffer.is_empty() => None,
                    Ok(Ok((buffer, file))) => Some((Ok(Bytes::from(buffer)), Some(file))),
                    Ok(Err(error)) => Some((Err(internal(error)), None)),
                    Err(error) => Some((Err(internal(error)), None)),
                }
            });
            Ok(export_file(chunks.boxed_local()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_taken_out_and_paging_refused() {
        let (format, rest) = split_query("format=xlsx&state=closed&q=%E5%81%9C%E8%BD%A6").unwrap();
        assert_eq!(format, ExportFormat::Xlsx);
        assert_eq!(rest, "state=closed&q=%E5%81%9C%E8%BD%A6");
        assert_eq!(split_query("").unwrap().0, ExportFormat::Csv);
        assert_eq!(split_query("format=pdf").unwrap_err().code(), "validation_failed");
        assert_eq!(split_query("limit=5").unwrap_err().code(), "bad_request");
        assert_eq!(split_query("format=csv&format=xlsx").unwrap_err().code(), "bad_request");
    }
}
