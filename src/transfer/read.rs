//! Reading the files people have: `.xlsx` workbooks (calamine; the first
//! sheet or a named one) and CSV in UTF-8, with or without BOM, or in
//! GB18030/GBK as Excel on a Chinese Windows writes it (detected, or named).
//! CSV is decoded as it is read, so a large file from the command line is
//! streamed, and so are a workbook's rows once the workbook has been
//! measured against the import limits (`super::workbook`).

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use calamine::Data;
use encoding_rs::{Decoder, Encoding, GB18030, UTF_8};

use super::limits::{grouped, MAX_CELL_CHARS};
use crate::domain::transfer::{restore_csv_cell, Cell};

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// An Excel workbook.
    Xlsx,
    /// Comma-separated values.
    Csv,
}

impl FileFormat {
    /// `xlsx` or `csv`, as recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
        }
    }
}

/// A CSV file's character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (a BOM is dropped).
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
}

impl TextEncoding {
    /// `utf-8`, `gb18030`, `gbk` or `gb2312` (any case).
    pub fn parse(name: &str) -> Option<TextEncoding> {
        match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Some(TextEncoding::Gb18030),
            _ => None,
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Gb18030 => GB18030,
        }
    }
}

/// Why a file cannot be read; said to the clerk as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A data row: its line (the header is line 1, as a spreadsheet numbers
/// rows) and its cells.
pub type Row = (usize, Vec<Cell>);

/// An opened file: its format, header row and data rows (blank rows skipped).
pub struct Rows {
    /// What the file turned out to be.
    pub format: FileFormat,
    /// The header row, as text.
    pub headers: Vec<String>,
    /// Data rows, if known in advance (a workbook's).
    pub total: Option<usize>,
    rows: Box<dyn Iterator<Item = Result<Row, ReadError>> + Send>,
}

impl Rows {
    /// Rows of `format` under `headers`, `total` of them if known in advance.
    pub(super) fn new(
        format: FileFormat,
        headers: Vec<String>,
        total: Option<usize>,
        rows: Box<dyn Iterator<Item = Result<Row, ReadError>> + Send>,
    ) -> Rows {
        Rows { format, headers, total, rows }
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("format", &self.format)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Iterator for Rows {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// What a file's first bytes say it is.
fn sniff(head: &[u8]) -> Result<FileFormat, ReadError> {
    if head.is_empty() {
        return Err(ReadError("the file is empty (文件为空)".into()));
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(FileFormat::Xlsx);
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(ReadError(
            "this is an old Excel .xls file: save it as .xlsx (Excel 工作簿) or CSV and import that".into(),
        ));
    }
    // Text has no NUL bytes; PDFs, images and archives do within a few KiB.
    if head.contains(&0) || head.starts_with(b"%PDF") {
        return Err(ReadError(
            "not a spreadsheet: import an .xlsx workbook or a CSV file (不是表格文件)".into(),
        ));
    }
    Ok(FileFormat::Csv)
}

/// The encoding of CSV text from its first bytes: UTF-8 if they are valid
/// UTF-8 (a character cut at the end of the sample is allowed), else GB18030.
pub fn detect_encoding(head: &[u8]) -> TextEncoding {
    match std::str::from_utf8(head) {
        Ok(_) => TextEncoding::Utf8,
        Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Gb18030,
    }
}

/// Bytes sniffed and checked for the encoding.
const SAMPLE: usize = 64 * 1024;

/// Opens a file in memory (a request body).
pub fn from_bytes(
    bytes: Vec<u8>,
    sheet: Option<&str>,
    encoding: Option<TextEncoding>,
) -> Result<Rows, ReadError> {
    match sniff(&bytes[..bytes.len().min(SAMPLE)])? {
        FileFormat::Xlsx => super::workbook::open(Cursor::new(bytes), sheet),
        FileFormat::Csv => {
            let encoding = encoding.unwrap_or_else(|| detect_encoding(&bytes[..bytes.len().min(SAMPLE)]));
            csv_rows(Cursor::new(bytes), encoding)
        }
    }
}

/// Opens a file on disk.
pub fn from_path(
    path: &Path,
    sheet: Option<&str>,
    encoding: Option<TextEncoding>,
) -> Result<Rows, ReadError> {
    let cannot = |e: std::io::Error| ReadError(format!("cannot read {}: {e}", path.display()));
    let mut file = File::open(path).map_err(cannot)?;
    let mut head = Vec::with_capacity(SAMPLE);
    (&mut file).take(SAMPLE as u64).read_to_end(&mut head).map_err(cannot)?;
    let format = sniff(&head)?;
    let file = File::open(path).map_err(cannot)?;
    match format {
        FileFormat::Xlsx => super::workbook::open(BufReader::new(file), sheet),
        FileFormat::Csv => csv_rows(BufReader::new(file), encoding.unwrap_or_else(|| detect_encoding(&head))),
    }
}

/// A workbook cell as a [`Cell`]; date cells become Beijing date-times.
pub(super) fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
        Data::DateTime(at) => crate::domain::transfer::from_excel_serial(at.as_f64())
            .map_or(Cell::Number(at.as_f64()), Cell::DateTime),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

/// Reads CSV decoded from `encoding` as it goes. A cell that an export
/// neutralised against formula injection (a leading `'`) reads as it was
/// before; a cell longer than Excel allows stops the file there.
fn csv_rows<R: Read + Send + 'static>(reader: R, encoding: TextEncoding) -> Result<Rows, ReadError> {
    let decoded = DecodingReader::new(reader, encoding.encoding());
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(decoded);
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        None => return Err(ReadError("the file is empty (文件为空)".into())),
        Some(Err(e)) => return Err(ReadError(format!("not a readable CSV file: {e}"))),
        Some(Ok(record)) => csv_cells(&record, 1)?
            .into_iter()
            .map(|cell| match cell {
                Cell::Text(text) => text,
                other => other.text(),
            })
            .collect(),
    };
    drop(records);
    let rows = reader
        .into_records()
        .enumerate()
        .map(|(i, record)| match record {
            Ok(record) => {
                let line = record.position().map_or(i + 2, |p| p.line() as usize);
                Ok((line, csv_cells(&record, line)?))
            }
            Err(e) => Err(ReadError(format!("line {}: not readable as CSV: {e}", i + 2))),
        })
        .filter(|row| !matches!(row, Ok((_, cells)) if cells.iter().all(Cell::is_blank)));
    Ok(Rows::new(FileFormat::Csv, headers, None, Box::new(rows)))
}

fn csv_cells(record: &csv::StringRecord, line: usize) -> Result<Vec<Cell>, ReadError> {
    record
        .iter()
        .map(|value| {
            if value.len() > MAX_CELL_CHARS && value.chars().count() > MAX_CELL_CHARS {
                return Err(ReadError(format!(
                    "line {line}: a cell holds more than {} characters, Excel's own limit for a cell \
                     (单元格过长; the rows before it are in)",
                    grouped(MAX_CELL_CHARS as u64)
                )));
            }
            Ok(Cell::Text(restore_csv_cell(value).to_owned()))
        })
        .collect()
}

/// Decodes bytes of `encoding` into UTF-8 as they are read (a BOM is dropped).
struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    output: String,
    at: usize,
    done: bool,
}

impl<R: Read> DecodingReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder(),
            input: vec![0; 64 * 1024],
            output: String::new(),
            at: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            self.output.clear();
            self.at = 0;
            let needed = self.decoder.max_utf8_buffer_length(n).unwrap_or(4 * n + 16);
            self.output.reserve(needed);
            let (_, _, _) = self.decoder.decode_to_string(&self.input[..n], &mut self.output, last);
            self.done = last;
        }
        let available = &self.output.as_bytes()[self.at..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(rows: Rows) -> Vec<Row> {
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn csv_in_utf8_with_or_without_bom_and_in_gb18030_reads_the_same() {
        // Excel saves an empty row as commas alone.
        let text = "渠道,标题\n公开信箱,\"停车难,求解决\"\n,\n民呼我为,噪音\n";
        let (gbk, _, _) = GB18030.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(text.as_bytes());
        for bytes in [text.as_bytes().to_vec(), bom, gbk.into_owned()] {
            let rows = from_bytes(bytes, None, None).unwrap();
            assert_eq!(rows.format, FileFormat::Csv);
            assert_eq!(rows.headers, ["渠道", "标题"]);
            let data = all(rows);
            assert_eq!(data.len(), 2, "the empty row is skipped");
            assert_eq!(data[0], (2, vec![Cell::Text("公开信箱".into()), Cell::Text("停车难,求解决".into())]));
            assert_eq!(data[1].0, 4, "lines as the spreadsheet numbers them");
        }
    }

    #[test]
    fn gb18030_is_detected_and_can_be_named() {
        let (gbk, _, _) = GB18030.encode("标题\n停车难\n");
        assert_eq!(detect_encoding(&gbk), TextEncoding::Gb18030);
        assert_eq!(detect_encoding("标题".as_bytes()), TextEncoding::Utf8);
        assert_eq!(
            detect_encoding(&"标题".as_bytes()[..4]),
            TextEncoding::Utf8,
            "a character cut at the end"
        );
        assert_eq!(TextEncoding::parse("GBK"), Some(TextEncoding::Gb18030));
    }

    #[test]
    fn what_is_not_a_spreadsheet_is_said_so() {
        assert!(from_bytes(Vec::new(), None, None).unwrap_err().0.contains("empty"));
        assert!(from_bytes(b"%PDF-1.7 \x00\x01".to_vec(), None, None)
            .unwrap_err()
            .0
            .contains("not a spreadsheet"));
        assert!(from_bytes(b"\xD0\xCF\x11\xE0\xA1\xB1".to_vec(), None, None).unwrap_err().0.contains(".xls"));
        assert!(from_bytes(b"PK\x03\x04garbage".to_vec(), None, None).unwrap_err().0.contains("xlsx"));
    }

    #[test]
    fn a_workbook_reads_with_numbers_and_dates() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "电话").unwrap();
        sheet.write_string(0, 1, "收到时间").unwrap();
        sheet.write_number(1, 0, 13812345678.0).unwrap();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
        sheet.write_number_with_format(1, 1, 45356.5, &date).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let rows = from_bytes(bytes, None, None).unwrap();
        assert_eq!(rows.format, FileFormat::Xlsx);
        assert_eq!(rows.total, Some(1));
        let data = all(rows);
        assert_eq!(data[0].1[0].text(), "13812345678");
        assert_eq!(data[0].1[1].text(), "2024-03-05 12:00:00");
        let named = rust_xlsxwriter::Workbook::new().save_to_buffer().unwrap();
        assert!(from_bytes(named, Some("案件"), None).unwrap_err().0.contains("no sheet '案件'"));
    }
}
