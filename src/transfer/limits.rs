//! What an imported file may unpack to, in one place (the README's Security
//! section lists them). A workbook is a zip archive of XML parts, and the
//! library that reads it (calamine) holds some parts whole and grows vectors
//! from numbers the file states; a 1.7 KB workbook naming the cell XFD1048576
//! asked it for 550 GB. So a workbook is measured before calamine sees it,
//! and its sheet is read as a stream of cells, never as a dense range. Beyond
//! any limit the file is refused whole, with a sentence naming the limit.
//!
//! The sizes leave room for what `POST /api/v1/imports` accepts (20 MiB):
//! the service's own export of 45,000 cases is a 64 MiB sheet part. Larger
//! histories go in as CSV through `casedesk import`, which streams them.

/// Parts (files inside the zip archive) a workbook may have; Excel writes a
/// dozen or two.
pub const MAX_PARTS: usize = 1_000;

/// Uncompressed bytes of all parts together.
pub const MAX_WORKBOOK_BYTES: u64 = 256 * 1024 * 1024;

/// Uncompressed bytes of a worksheet part (it is read as a stream, but one
/// XML element of it is held whole while it is read).
pub const MAX_SHEET_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Uncompressed bytes of the shared-strings part, which is held whole.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 64 * 1024 * 1024;

/// Strings in the shared-strings part (each costs a few dozen bytes held,
/// however short it is in the file; the part's own `uniqueCount` is believed
/// by calamine when it reserves room for them).
pub const MAX_SHARED_STRINGS: u64 = 1_000_000;

/// Uncompressed bytes of each of the workbook's other parts that are read
/// whole: the package and workbook relationships, the workbook part, styles
/// and theme. A byte of styles became 30 bytes held (`<xf/>`), so these are
/// kept small; Excel's own are a few kilobytes.
pub const MAX_SMALL_PART_BYTES: u64 = 2 * 1024 * 1024;

/// Rows of a sheet (the header included): its last used row and its
/// declared dimension must lie within them.
pub const MAX_ROWS: u32 = 100_000;

/// Columns of a sheet (A to BL): the template has 23, an export 26.
pub const MAX_COLUMNS: u32 = 64;

/// Characters in one cell: Excel's own limit, so no file Excel wrote is
/// refused for it. Holds for CSV too.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Bytes of text in all cells of a sheet, shared strings counted each time a
/// cell names them (a short part can name one long string a million times).
pub const MAX_SHEET_TEXT_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes of cell text an import holds in one batch (besides the row count of
/// `transfer::import::BATCH`): rows of long letters make smaller batches.
pub const MAX_BATCH_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// `64 MiB`, `2 MiB`, `1,000,000`: sizes and counts as the sentences say them.
pub fn bytes_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} bytes", grouped(bytes))
    }
}

/// A number with thousands separators.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The spreadsheet name of a zero-based column: 0 → `A`, 63 → `BL`.
pub fn column_name(column: u32) -> String {
    let mut n = column as u64 + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        name.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_columns_read_as_people_write_them() {
        assert_eq!(bytes_text(64 * 1024 * 1024), "64 MiB");
        assert_eq!(bytes_text(1_500_000), "1,500,000 bytes");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(MAX_COLUMNS - 1), "BL");
        assert_eq!(column_name(16_383), "XFD");
    }
}
