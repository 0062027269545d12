//! Reading an `.xlsx` workbook within [`super::limits`]: the archive is
//! measured from its central directory and the shared strings are counted
//! before calamine opens the workbook; then the sheet is read twice as a
//! stream of cells — once to check its rows, columns and cells and to find
//! its header row, then again to hand out its rows one by one (from a thread
//! of its own, since calamine's cell reader borrows the workbook). Nothing
//! is ever laid out as a dense range, so an empty cell far away costs
//! nothing, and a file beyond a limit is refused before any row is imported.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, SyncSender};

use calamine::{Data, DataRef, Reader, Xlsx};
use quick_xml::events::Event;

use super::limits::{
    bytes_text, column_name, grouped, MAX_CELL_CHARS, MAX_COLUMNS, MAX_PARTS, MAX_ROWS, MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES, MAX_SHEET_PART_BYTES, MAX_SHEET_TEXT_BYTES, MAX_SMALL_PART_BYTES,
    MAX_WORKBOOK_BYTES,
};
use super::read::{FileFormat, ReadError, Row, Rows};
use crate::domain::transfer::Cell;

/// Rows read ahead of the import: enough to keep it busy, few enough that
/// the rows waiting are a small part of a batch.
const READ_AHEAD: usize = 64;

fn not_xlsx(error: impl std::fmt::Display) -> ReadError {
    ReadError(format!("not a readable .xlsx workbook: {error}"))
}

fn too_large(what: String) -> ReadError {
    ReadError(format!(
        "{what}: the workbook is refused whole (工作簿超出导入限制; split it, or save it as CSV and import that)"
    ))
}

/// A part's name as calamine looks it up: `/` for `\`, lower case.
fn normalized(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// Opens the workbook in `reader`, checks it against the limits and returns
/// its `sheet` (or first sheet) as rows.
pub fn open<R: Read + Seek + Send + 'static>(mut reader: R, sheet: Option<&str>) -> Result<Rows, ReadError> {
    check_package(&mut reader)?;
    reader.seek(SeekFrom::Start(0)).map_err(not_xlsx)?;
    let mut workbook: Xlsx<R> = Xlsx::new(reader).map_err(not_xlsx)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| *n == wanted).cloned().ok_or_else(|| {
            ReadError(format!("the workbook has no sheet '{wanted}' (sheets: {})", names.join(", ")))
        })?,
        None => names.first().cloned().ok_or_else(|| ReadError("the workbook has no sheets".into()))?,
    };
    let survey = guarded(|| survey(&mut workbook, &name))?;
    let headers = survey.headers.iter().map(Cell::text).collect();
    let (sender, receiver) = sync_channel(READ_AHEAD);
    let (first_row, first_column) = (survey.header_row, survey.first_column);
    std::thread::Builder::new()
        .name("xlsx-rows".into())
        .spawn(move || {
            let streamed = guarded(|| stream(&mut workbook, &name, first_row, first_column, &sender));
            if let Err(error) = streamed {
                // Nobody listens any more if the import stopped first.
                let _ = sender.send(Err(error));
            }
        })
        .map_err(|e| ReadError(format!("cannot start reading the workbook: {e}")))?;
    Ok(Rows::new(FileFormat::Xlsx, headers, Some(survey.data_rows), Box::new(receiver.into_iter())))
}

/// Runs calamine on hostile input: its cell-reference parser overflows on
/// a reference such as `A99999999999` (a panic where arithmetic is checked),
/// which is a bad file, not a bug of ours.
fn guarded<T>(read: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(not_xlsx("a cell reference or number in it is out of range")))
}

/// Where the workbook part is, as calamine finds it: the package
/// relationships' `officeDocument` target, split into folder and file name.
fn document_target<R: Read + Seek>(archive: &mut zip::ZipArchive<R>) -> Result<(String, String), ReadError> {
    let default = || ("xl/".to_owned(), "workbook.xml".to_owned());
    let Some(index) = (0..archive.len()).find(|&i| {
        archive.by_index_data(i).ok().and_then(|e| e.name().ok().map(|n| normalized(&n))).as_deref()
            == Some("_rels/.rels")
    }) else {
        return Ok(default());
    };
    let part = archive.by_index(index).map_err(not_xlsx)?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut target = None;
    loop {
        match xml.read_event_into(&mut buf).map_err(not_xlsx)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let attribute = |name: &str| -> Result<Option<String>, ReadError> {
                    match e.try_get_attribute(name).map_err(not_xlsx)? {
                        Some(a) => {
                            Ok(Some(quick_xml::escape::unescape(&a.value).map_err(not_xlsx)?.into_owned()))
                        }
                        None => Ok(None),
                    }
                };
                let office = attribute("Type")?.is_some_and(|t| t.ends_with("/relationships/officeDocument"));
                if office {
                    target = attribute("Target")?.or(target);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let Some(target) = target else { return Ok(default()) };
    let (folder, name) = match target.rfind('/') {
        Some(i) => target.split_at(i + 1),
        None => ("", target.as_str()),
    };
    let folder = folder.strip_prefix('/').unwrap_or(folder);
    let name = if name.is_empty() { "workbook.xml" } else { name };
    Ok((normalized(folder), normalized(name)))
}

/// Checks the archive's parts against the limits, from the sizes its
/// central directory states (the zip reader refuses to unpack a part beyond
/// its stated size), and counts the shared strings.
fn check_package<R: Read + Seek>(reader: &mut R) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(not_xlsx)?;
    if archive.len() > MAX_PARTS {
        return Err(too_large(format!(
            "the workbook has {} parts inside; at most {} are read",
            grouped(archive.len() as u64),
            grouped(MAX_PARTS as u64)
        )));
    }
    let mut parts = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(not_xlsx)?;
        parts.push((normalized(&entry.name().map_err(not_xlsx)?), entry.size()));
    }
    // calamine finds parts by their name in lower case; two parts alike so
    // would leave which of them it reads to chance.
    let mut names: Vec<&str> = parts.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(not_xlsx(format!("two of its parts are named '{}'", twice[0])));
    }
    let total: u64 = parts.iter().map(|(_, size)| *size).fold(0, u64::saturating_add);
    if total > MAX_WORKBOOK_BYTES {
        return Err(too_large(format!(
            "the workbook unpacks to {}; at most {} are read",
            bytes_text(total),
            bytes_text(MAX_WORKBOOK_BYTES)
        )));
    }
    // The package relationships are read whole to find the workbook part,
    // so they are measured first.
    let small_limit = |name: &str, size: u64| {
        if size > MAX_SMALL_PART_BYTES {
            Err(too_large(format!(
                "the workbook's part '{name}' unpacks to {}; at most {} are read",
                bytes_text(size),
                bytes_text(MAX_SMALL_PART_BYTES)
            )))
        } else {
            Ok(())
        }
    };
    for (name, size) in parts.iter().filter(|(name, _)| name == "_rels/.rels") {
        small_limit(name, *size)?;
    }
    let (folder, workbook) = document_target(&mut archive)?;
    let read_whole = [
        "_rels/.rels".to_owned(),
        format!("{folder}{workbook}"),
        format!("{folder}_rels/{workbook}.rels"),
        format!("{folder}styles.xml"),
        format!("{folder}theme/theme1.xml"),
    ];
    let shared_strings = format!("{folder}sharedstrings.xml");
    for (name, size) in &parts {
        if read_whole.contains(name) {
            small_limit(name, *size)?;
        } else {
            let (limit, what) = if *name == shared_strings {
                (MAX_SHARED_STRINGS_BYTES, "shared strings")
            } else {
                (MAX_SHEET_PART_BYTES, "part")
            };
            if *size > limit {
                return Err(too_large(format!(
                    "the workbook's {what} '{name}' unpacks to {}; at most {} are read",
                    bytes_text(*size),
                    bytes_text(limit)
                )));
            }
        }
    }
    if let Some(index) = parts.iter().position(|(name, _)| *name == shared_strings) {
        count_shared_strings(archive.by_index(index).map_err(not_xlsx)?)?;
    }
    Ok(())
}

/// Counts the strings of the shared-strings part and measures each, as
/// calamine will hold them; also checks the count the part states, for which
/// calamine reserves room before it reads a single string.
fn count_shared_strings(part: impl Read) -> Result<(), ReadError> {
    let too_many = |n: u64| {
        too_large(format!(
            "the workbook's shared strings number {}; at most {} are read",
            grouped(n),
            grouped(MAX_SHARED_STRINGS)
        ))
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let (mut strings, mut in_string, mut chars) = (0_u64, false, 0_usize);
    loop {
        match xml.read_event_into(&mut buf).map_err(not_xlsx)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                if let Some(stated) = e.try_get_attribute("uniqueCount").map_err(not_xlsx)? {
                    let stated = stated.value.trim().parse::<u64>().ok();
                    // A count calamine cannot parse, it ignores.
                    if let Some(n) = stated.filter(|n| *n > MAX_SHARED_STRINGS) {
                        return Err(too_many(n));
                    }
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                strings += 1;
                in_string = true;
                chars = 0;
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => strings += 1,
            Event::End(e) if e.local_name().as_ref() == "si" => in_string = false,
            Event::Text(text) if in_string => chars += text.chars().count(),
            Event::CData(text) if in_string => chars += text.chars().count(),
            Event::GeneralRef(_) if in_string => chars += 1,
            Event::Eof => break,
            _ => {}
        }
        if strings > MAX_SHARED_STRINGS {
            return Err(too_many(strings));
        }
        if chars > MAX_CELL_CHARS {
            return Err(too_long(&format!("shared string {}", grouped(strings))));
        }
        buf.clear();
    }
    Ok(())
}

fn too_long(which: &str) -> ReadError {
    too_large(format!(
        "{which} holds more than {} characters, Excel's own limit for a cell",
        grouped(MAX_CELL_CHARS as u64)
    ))
}

/// What the first reading of a sheet found.
struct Survey {
    /// The first row with a value: the header row (zero-based).
    header_row: u32,
    /// The first column with a value in any row (zero-based).
    first_column: u32,
    /// The header row's cells from `first_column` on.
    headers: Vec<Cell>,
    /// Rows below the header row with something in them.
    data_rows: usize,
}

/// A cell's text, if it is text, for measuring.
fn text_of<'a>(value: &'a DataRef<'_>) -> Option<&'a str> {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s),
        DataRef::SharedString(s) => Some(s),
        _ => None,
    }
}

fn is_empty(value: &DataRef<'_>) -> bool {
    matches!(value, DataRef::Empty) || text_of(value).is_some_and(str::is_empty)
}

fn is_blank(value: &DataRef<'_>) -> bool {
    is_empty(value) || text_of(value).is_some_and(|s| s.trim().is_empty())
}

fn reference(row: u32, column: u32) -> String {
    format!("{}{}", column_name(column), row as u64 + 1)
}

/// Reads the sheet once, checking every cell that holds something against
/// the limits, without keeping any but the header row's.
fn survey<R: Read + Seek>(workbook: &mut Xlsx<R>, name: &str) -> Result<Survey, ReadError> {
    let mut cells = workbook.worksheet_cells_reader(name).map_err(not_xlsx)?;
    let declared = cells.dimensions();
    if declared.end.0 >= MAX_ROWS || declared.end.1 >= MAX_COLUMNS {
        return Err(too_large(format!(
            "sheet '{name}' declares its cells to reach {}; at most {} rows and {} columns (A to {}) are read",
            reference(declared.end.0, declared.end.1),
            grouped(MAX_ROWS as u64),
            MAX_COLUMNS,
            column_name(MAX_COLUMNS - 1)
        )));
    }
    let mut text_bytes = 0_u64;
    let mut header_row = None;
    let mut header: Vec<(u32, Data)> = Vec::new();
    let mut first_column = u32::MAX;
    let (mut last_row, mut last_row_counted) = (0_u32, false);
    let mut data_rows = 0;
    while let Some(cell) = cells.next_cell().map_err(not_xlsx)? {
        let (row, column) = cell.get_position();
        let value = cell.get_value();
        if is_empty(value) {
            continue;
        }
        if row >= MAX_ROWS {
            return Err(too_large(format!(
                "sheet '{name}' has a value in row {}; at most {} rows are read",
                grouped(row as u64 + 1),
                grouped(MAX_ROWS as u64)
            )));
        }
        if column >= MAX_COLUMNS {
            return Err(too_large(format!(
                "sheet '{name}' has a value in column {} ({}); at most {} columns (A to {}) are read",
                column_name(column),
                reference(row, column),
                MAX_COLUMNS,
                column_name(MAX_COLUMNS - 1)
            )));
        }
        if let Some(text) = text_of(value) {
            if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
                return Err(too_long(&format!("cell {}", reference(row, column))));
            }
            text_bytes += text.len() as u64;
            if text_bytes > MAX_SHEET_TEXT_BYTES {
                return Err(too_large(format!(
                    "the text in sheet '{name}' comes to more than {}, shared strings counted where they are used",
                    bytes_text(MAX_SHEET_TEXT_BYTES)
                )));
            }
        }
        if header_row.is_some() && row < last_row {
            return Err(not_xlsx(format!(
                "row {} comes after row {} in sheet '{name}'",
                row as u64 + 1,
                last_row as u64 + 1
            )));
        }
        if row != last_row {
            last_row_counted = false;
        }
        last_row = row;
        first_column = first_column.min(column);
        match header_row {
            None => {
                header_row = Some(row);
                header.push((column, Data::from(value.clone())));
            }
            Some(h) if h == row => header.push((column, Data::from(value.clone()))),
            Some(_) if !last_row_counted && !is_blank(value) => {
                data_rows += 1;
                last_row_counted = true;
            }
            Some(_) => {}
        }
    }
    let Some(header_row) = header_row else {
        return Err(ReadError(format!("sheet '{name}' is empty (工作表为空)")));
    };
    let mut headers = Vec::new();
    for (column, value) in header {
        place(&mut headers, (column - first_column) as usize, super::read::cell(&value));
    }
    Ok(Survey { header_row, first_column, headers, data_rows })
}

/// Puts `cell` at `index`, filling the gap with empty cells.
fn place(cells: &mut Vec<Cell>, index: usize, cell: Cell) {
    if cells.len() <= index {
        cells.resize(index + 1, Cell::Empty);
    }
    cells[index] = cell;
}

/// Reads the sheet again and sends its data rows (blank rows skipped), each
/// with its line as the spreadsheet numbers it. Stops quietly when nobody
/// listens any more.
fn stream<R: Read + Seek>(
    workbook: &mut Xlsx<R>,
    name: &str,
    header_row: u32,
    first_column: u32,
    sender: &SyncSender<Result<Row, ReadError>>,
) -> Result<(), ReadError> {
    let mut cells = workbook.worksheet_cells_reader(name).map_err(not_xlsx)?;
    let mut current: Option<(u32, Vec<Cell>)> = None;
    let send = |row: Option<(u32, Vec<Cell>)>| match row {
        Some((row, cells)) if !cells.iter().all(Cell::is_blank) => {
            sender.send(Ok((row as usize + 1, cells))).is_ok()
        }
        _ => true,
    };
    while let Some(cell) = cells.next_cell().map_err(not_xlsx)? {
        let (row, column) = cell.get_position();
        let value = cell.get_value();
        // The survey checked every position below; these are the same cells.
        if is_empty(value) || row <= header_row || column < first_column {
            continue;
        }
        if current.as_ref().is_some_and(|(at, _)| *at != row) && !send(current.take()) {
            return Ok(());
        }
        let (_, row_cells) = current.get_or_insert_with(|| (row, Vec::new()));
        place(row_cells, (column - first_column) as usize, super::read::cell(&Data::from(value.clone())));
    }
    send(current);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    const RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK: &str = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="案件" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

    /// A workbook of the given sheet data (and shared strings, styles).
    fn workbook(dimension: &str, rows: &str, extra: &[(&str, &str)]) -> Vec<u8> {
        let sheet = format!(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let mut parts = vec![
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", sheet.as_str()),
        ];
        parts.extend_from_slice(extra);
        for (name, body) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn inline(reference: &str, text: &str) -> String {
        format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    fn refusal(bytes: Vec<u8>) -> String {
        open(Cursor::new(bytes), None).map(|_| ()).unwrap_err().0
    }

    #[test]
    fn rows_stream_from_the_first_used_cell_with_their_lines() {
        let rows = format!(
            r#"<row r="2">{}{}</row><row r="3">{}</row><row r="4">{}</row><row r="6">{}<c r="D6"><v>13812345678</v></c></row>"#,
            inline("B2", "渠道"),
            inline("D2", "电话"),
            inline("B3", "公开信箱"),
            inline("C4", " "),
            inline("B6", "民呼我为"),
        );
        let opened = open(Cursor::new(workbook("B2:D6", &rows, &[])), None).unwrap();
        assert_eq!(opened.headers, ["渠道", "", "电话"]);
        assert_eq!(opened.total, Some(2), "the blank row 4 is no data row");
        let data: Vec<Row> = opened.map(Result::unwrap).collect();
        assert_eq!(data[0], (3, vec![Cell::Text("公开信箱".into())]));
        assert_eq!(data[1].0, 6);
        assert_eq!(data[1].1[2].text(), "13812345678");
    }

    #[test]
    fn a_far_cell_or_dimension_is_refused_without_laying_out_a_range() {
        let far = format!(
            "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
            inline("A1", "渠道"),
            inline("XFD1048576", "x")
        );
        assert!(refusal(workbook("A1", &far, &[])).contains("in row 1,048,576"));
        let wide = format!("<row r=\"1\">{}{}</row>", inline("A1", "渠道"), inline("BM1", "x"));
        assert!(refusal(workbook("A1", &wide, &[])).contains("column BM (BM1)"));
        let declared = format!("<row r=\"1\">{}</row>", inline("A1", "渠道"));
        assert!(refusal(workbook("A1:XFD1048576", &declared, &[]))
            .contains("declares its cells to reach XFD1048576"));
        let overflowing = format!("<row r=\"1\">{}</row>", inline("A99999999999", "x"));
        assert!(refusal(workbook("A1", &overflowing, &[])).contains("not a readable .xlsx workbook"));
    }

    #[test]
    fn long_cells_and_many_or_long_shared_strings_are_refused() {
        let long = format!("<row r=\"1\">{}</row>", inline("A1", &"字".repeat(MAX_CELL_CHARS + 1)));
        assert!(refusal(workbook("A1", &long, &[])).contains("cell A1 holds more than 32,767 characters"));
        let exact = format!("<row r=\"1\">{}</row>", inline("A1", &"字".repeat(MAX_CELL_CHARS)));
        assert!(open(Cursor::new(workbook("A1", &exact, &[])), None).is_ok());
        let cell = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        let stated = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="100000000000"><si><t>a</t></si></sst>"#;
        assert!(refusal(workbook("A1", cell, &[("xl/sharedStrings.xml", stated)]))
            .contains("number 100,000,000,000"));
        let string = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><r><t>{}</t></r><r><t>&amp;</t></r></si></sst>"#,
            "a".repeat(MAX_CELL_CHARS)
        );
        assert!(refusal(workbook("A1", cell, &[("xl/sharedStrings.xml", &string)]))
            .contains("shared string 1 holds"));
        let many = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#,
            "<si/>".repeat(MAX_SHARED_STRINGS as usize + 1)
        );
        assert!(
            refusal(workbook("A1", cell, &[("xl/sharedStrings.xml", &many)])).contains("number 1,000,001")
        );
    }

    #[test]
    fn parts_are_measured_before_they_are_read() {
        let cell = format!("<row r=\"1\">{}</row>", inline("A1", "渠道"));
        let styles = format!("<styleSheet><cellXfs>{}</cellXfs></styleSheet>", "<xf/>".repeat(500_000));
        let refused = refusal(workbook("A1", &cell, &[("xl/styles.xml", &styles)]));
        assert!(refused.contains("'xl/styles.xml' unpacks to 2,500,044 bytes; at most 2 MiB"), "{refused}");
        // A workbook part moved elsewhere is still one of the small parts.
        let moved = RELS.replace("xl/workbook.xml", "xl/worksheets/wb.xml");
        let big_workbook = WORKBOOK.replace("<sheets>", &format!("<sheets>{}", " ".repeat(3 * 1024 * 1024)));
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in [("_rels/.rels", moved.as_str()), ("xl/worksheets/wb.xml", big_workbook.as_str())]
        {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        let refused = refusal(zip.finish().unwrap().into_inner());
        assert!(refused.contains("'xl/worksheets/wb.xml' unpacks to"), "{refused}");
    }
}
