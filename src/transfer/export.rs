//! Export: cases as CSV (UTF-8 with BOM, so that Excel opens it right) or as
//! an xlsx workbook, with the import template's columns plus 编号, 截止时间
//! and 是否超期, so that an export can be imported elsewhere.
//!
//! Both are written a page at a time: CSV pages go to the client as they are
//! rendered; an xlsx workbook is built in rust_xlsxwriter's constant-memory
//! mode (rows go to a temporary file as they are written) and saved to an
//! anonymous temporary file that is then sent. Memory does not grow with the
//! number of rows either way.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

use chrono::NaiveDateTime;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::db::cases::CaseFilter;
use crate::db::models::{Case, Channel, Department};
use crate::db::transfer::ExportPage;
use crate::db::{self, Db};
use crate::domain::calendar::Clock;
use crate::domain::citizen::Citizen;
use crate::domain::ids::DepartmentId;
use crate::domain::time;
use crate::domain::transfer::{
    callback_label, format_instant, neutralise_csv_cell, rating_label, state_label, yes_no, Column,
    DUE_AT_HEADER, OVERDUE_HEADER, TRACKING_NO_HEADER,
};
use crate::error::AppError;

/// Cases read from the database per page.
pub const PAGE_SIZE: i64 = 1000;

/// UTF-8's byte-order mark: without it Excel on Chinese Windows reads a CSV
/// file as GBK and shows mojibake.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The two file kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated, UTF-8 with BOM.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl ExportFormat {
    /// `csv` or `xlsx`.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// Every header of an export, in order.
pub fn headers() -> Vec<&'static str> {
    let mut headers = vec![TRACKING_NO_HEADER];
    headers.extend(Column::ALL.iter().map(|c| c.header()));
    headers.extend([DUE_AT_HEADER, OVERDUE_HEADER]);
    headers
}

/// What an export names channels and departments by, and whether contact
/// details are shown in full.
#[derive(Debug, Clone)]
pub struct ExportContext {
    channels: HashMap<String, (String, bool)>,
    departments: HashMap<DepartmentId, String>,
    /// Whether phone and email are shown in full (the command line, run by
    /// the operator) or masked (the API, as the list masks them).
    pub full_contact: bool,
}

impl ExportContext {
    /// A context over the channels and departments as they are now.
    pub fn new(channels: &[Channel], departments: Vec<Department>, full_contact: bool) -> ExportContext {
        ExportContext {
            channels: channels
                .iter()
                .map(|c| (c.code.clone(), (c.name.clone(), c.two_dimension_rating)))
                .collect(),
            departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
            full_contact,
        }
    }
}

/// One value of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text, possibly empty.
    Text(String),
    /// An instant (written in Beijing time).
    Instant(NaiveDateTime),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Instant(at) => format_instant(*at),
        }
    }
}

fn text(value: Option<&str>) -> Value {
    Value::Text(value.unwrap_or_default().to_owned())
}

fn instant(at: Option<NaiveDateTime>) -> Value {
    at.map_or(Value::Text(String::new()), Value::Instant)
}

/// A case as one row, in the order of [`headers`].
pub fn row(
    case: &Case,
    accepted_at: Option<NaiveDateTime>,
    merged_into: Option<&str>,
    context: &ExportContext,
    clock: Clock<'_>,
) -> Vec<Value> {
    let citizen = Citizen {
        name: case.citizen_name.clone(),
        phone: case.citizen_phone.clone(),
        email: case.citizen_email.clone(),
        address: case.citizen_address.clone(),
    };
    let citizen = if context.full_contact { citizen } else { citizen.masked() };
    let (channel_name, two_dimensions) =
        context.channels.get(&case.channel).map_or((case.channel.as_str(), false), |(n, t)| (n.as_str(), *t));
    let department = case
        .department_id
        .map(|id| context.departments.get(&id).cloned().unwrap_or_else(|| id.0.to_string()));
    let rating = case.rating.map(rating_label);
    let (single, work) = if two_dimensions { (None, rating) } else { (rating, None) };
    let overdue = case.facts().clock().is_overdue(clock.now);
    let mut values = vec![Value::Text(case.tracking_no.clone())];
    for column in Column::ALL {
        values.push(match column {
            Column::Channel => Value::Text(channel_name.to_owned()),
            Column::ExternalRef => text(case.external_ref.as_deref()),
            Column::Title => Value::Text(case.title.clone()),
            Column::Content => Value::Text(case.content.clone()),
            Column::Category => text(case.category.as_deref()),
            Column::CitizenName => text(citizen.name.as_deref()),
            Column::CitizenPhone => text(citizen.phone.as_deref()),
            Column::CitizenEmail => text(citizen.email.as_deref()),
            Column::CitizenAddress => text(citizen.address.as_deref()),
            Column::IsPublic => Value::Text(yes_no(case.is_public).to_owned()),
            Column::ReceivedAt => Value::Instant(case.received_at),
            Column::Department => text(department.as_deref()),
            Column::State => Value::Text(state_label(case.state).to_owned()),
            Column::AcceptedAt => instant(accepted_at),
            Column::Reply => text(case.reply.as_deref()),
            Column::RepliedAt => instant(case.replied_at),
            Column::ClosedAt => instant(case.closed_at),
            Column::Rating => text(single),
            Column::WorkRating => text(work),
            Column::ResultRating => text(case.result_rating.map(rating_label)),
            Column::RatedAt => instant(case.rated_at),
            Column::Note => Value::Text(String::new()),
            Column::ReopenCount => Value::Text(case.reopen_count.to_string()),
            Column::Resolved => text(case.resolved.map(yes_no)),
            Column::CallbackResult => text(case.callback_state.map(callback_label)),
            Column::CallbackAt => instant(case.callback_at),
            Column::Excluded => text(case.rating.map(|_| yes_no(case.rating_excluded_at.is_some()))),
            Column::MergedInto => text(merged_into),
        });
    }
    values.push(instant(case.due_at));
    values.push(Value::Text(yes_no(overdue).to_owned()));
    values
}

/// The rows of a page, in order.
pub fn page_rows(page: &ExportPage, context: &ExportContext, clock: Clock<'_>) -> Vec<Vec<Value>> {
    page.cases
        .iter()
        .map(|case| {
            let merged_into = page.merged_into.get(&case.id).map(String::as_str);
            row(case, page.accepted_at.get(&case.id).copied(), merged_into, context, clock)
        })
        .collect()
}

/// The start of a CSV export: the BOM and the header row.
pub fn csv_head() -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(UTF8_BOM.to_vec());
    writer.write_record(headers())?;
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Rows as CSV lines, each cell neutralised against formula injection
/// (`domain::transfer::neutralise_csv_cell`): titles, letters and replies
/// are citizens' text.
pub fn csv_rows(rows: &[Vec<Value>]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 256));
    for row in rows {
        writer.write_record(row.iter().map(|value| neutralise_csv_cell(&value.text()).into_owned()))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// An xlsx export being written, one sheet 案件 in constant-memory mode.
pub struct XlsxExport {
    workbook: Workbook,
    next_row: u32,
    date_format: Format,
}

/// Excel's serial number of a (Beijing) instant: days since 1899-12-30.
fn excel_serial(at: NaiveDateTime) -> f64 {
    let local = time::to_office(at).naive_local();
    let epoch =
        chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default().and_time(chrono::NaiveTime::MIN);
    (local - epoch).num_seconds() as f64 / 86_400.0
}

impl XlsxExport {
    /// A workbook with its header row written.
    pub fn new() -> Result<XlsxExport, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("案件")?;
        for (col, header) in headers().into_iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, header, &bold)?;
        }
        let date_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        Ok(XlsxExport { workbook, next_row: 1, date_format })
    }

    /// Appends rows below those written so far.
    pub fn append(&mut self, rows: &[Vec<Value>]) -> Result<(), XlsxError> {
        let sheet = self.workbook.worksheet_from_index(0)?;
        for row in rows {
            for (col, value) in row.iter().enumerate() {
                let col = col as u16;
                match value {
                    Value::Text(s) if s.is_empty() => {}
                    Value::Text(s) => {
                        sheet.write_string(self.next_row, col, s)?;
                    }
                    Value::Instant(at) => {
                        sheet.write_number_with_format(
                            self.next_row,
                            col,
                            excel_serial(*at),
                            &self.date_format,
                        )?;
                    }
                }
            }
            self.next_row += 1;
        }
        Ok(())
    }

    /// Saves the workbook to an anonymous temporary file (removed when
    /// closed), positioned at its start.
    pub fn finish(mut self) -> Result<File, XlsxError> {
        let mut file = tempfile::tempfile()?;
        self.workbook.save_to_writer(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }
}

/// Writes every case of `filter` to `out` as `format`, a page at a time, on
/// the calling (blocking) thread; returns how many. For the command line
/// and the benchmark, which run as the operator: `full_contact` says
/// whether phone and email are written in full.
pub fn write_all(
    db: &Db,
    mut filter: CaseFilter,
    format: ExportFormat,
    full_contact: bool,
    out: &mut impl Write,
) -> Result<u64, AppError> {
    let mut conn = db.pool().get()?;
    let context =
        ExportContext::new(&db.channels(&mut conn)?, db::departments::list(&mut conn)?, full_contact);
    let calendar = db.calendar(&mut conn)?;
    let mut book = match format {
        ExportFormat::Csv => {
            out.write_all(&csv_head().map_err(internal)?).map_err(internal)?;
            None
        }
        ExportFormat::Xlsx => Some(XlsxExport::new().map_err(internal)?),
    };
    let mut written = 0;
    loop {
        let page = db::transfer::export_page(&mut conn, &filter, PAGE_SIZE)?;
        let rows = page_rows(&page, &context, Clock { calendar: &calendar, now: time::now_utc() });
        match &mut book {
            None => out.write_all(&csv_rows(&rows).map_err(internal)?).map_err(internal)?,
            Some(book) => book.append(&rows).map_err(internal)?,
        }
        written += rows.len() as u64;
        filter.before_id = page.cases.last().map(|c| c.id);
        if !page.more || filter.before_id.is_none() {
            break;
        }
    }
    if let Some(book) = book {
        let mut file = book.finish().map_err(internal)?;
        std::io::copy(&mut file, out).map_err(internal)?;
    }
    out.flush().map_err(internal)?;
    Ok(written)
}

fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_has_the_template_columns_between_its_own() {
        let headers = headers();
        assert_eq!(headers.len(), Column::ALL.len() + 3);
        assert_eq!(headers[0], "编号");
        assert_eq!(headers[1], "渠道");
        assert_eq!(headers[headers.len() - 2..], ["截止时间", "是否超期"]);
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let head = csv_head().unwrap();
        assert!(head.starts_with(UTF8_BOM));
        assert!(String::from_utf8(head[3..].to_vec()).unwrap().starts_with("编号,渠道,外部编号"));
        let rows =
            csv_rows(&[vec![Value::Text("a,b".into()), Value::Text("第一行\n第二行".into())]]).unwrap();
        assert_eq!(String::from_utf8(rows).unwrap(), "\"a,b\",\"第一行\n第二行\"\n");
    }

    #[test]
    fn csv_cells_that_would_be_formulas_are_text() {
        let rows = csv_rows(&[vec![
            Value::Text("=cmd|' /C calc'!A0".into()),
            Value::Text("@SUM(1)".into()),
            Value::Text("停车难".into()),
        ]])
        .unwrap();
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(rows.as_slice());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.iter().collect::<Vec<_>>(), ["'=cmd|' /C calc'!A0", "'@SUM(1)", "停车难"]);
    }

    #[test]
    fn excel_serials_are_beijing_days_since_1899_12_30() {
        let at = time::parse_instant("2024-03-05T14:20:00+08:00").unwrap();
        let serial = excel_serial(at);
        assert!((serial - (45356.0 + 14.0 / 24.0 + 20.0 / 1440.0)).abs() < 1e-9, "{serial}");
    }
}
