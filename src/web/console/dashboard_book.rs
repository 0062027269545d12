//! The dashboard as a workbook (`/console/dashboard.xlsx`): the tiles, per
//! channel, per department, per month, and the definition — written from the
//! figures' numbers, the same cells the page shows.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::dashboard::{Row, Tile};
use super::format::{MIN_BASE, SHOWN};
use crate::service::stats::Dashboard;

/// What the workbook holds.
pub struct Sheets {
    /// The period, in words.
    pub period: String,
    /// The scope, in words.
    pub scope: String,
    pub tiles: Vec<Tile>,
    /// Per channel.
    pub channels: Vec<Row>,
    /// Per department.
    pub departments: Vec<Row>,
    /// The figures (per month, the definition).
    pub dashboard: Dashboard,
}

/// A number, or "—" where there is none (a rate over no cases).
fn number_or_dash(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    number: Option<f64>,
) -> Result<(), XlsxError> {
    match number {
        Some(v) => sheet.write_number(row, column, v)?,
        None => sheet.write_string(row, column, "—")?,
    };
    Ok(())
}

impl Sheets {
    /// The workbook's bytes.
    pub fn write(&self) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        {
            let sheet = workbook.add_worksheet().set_name("汇总")?;
            sheet.write_string_with_format(0, 0, "统计期", &bold)?;
            sheet.write_string(0, 1, &self.period)?;
            sheet.write_string_with_format(1, 0, "范围", &bold)?;
            sheet.write_string(1, 1, &self.scope)?;
            for (i, header) in ["指标", "本期", "去年同期", "变化"].iter().enumerate() {
                sheet.write_string_with_format(3, i as u16, *header, &bold)?;
            }
            for (r, tile) in self.tiles.iter().enumerate() {
                let r = r as u32 + 4;
                sheet.write_string(r, 0, tile.label)?;
                number_or_dash(sheet, r, 1, tile.cell.number)?;
                number_or_dash(sheet, r, 2, tile.previous_number)?;
                sheet.write_string(r, 3, &tile.change)?;
            }
            sheet.set_column_width(0, 16)?;
            sheet.set_column_width(3, 24)?;
        }
        let tables = [("按渠道", "渠道", &self.channels), ("按承办单位", "承办单位", &self.departments)];
        for (sheet_name, first, rows) in tables {
            let sheet = workbook.add_worksheet().set_name(sheet_name)?;
            sheet.write_string_with_format(0, 0, first, &bold)?;
            for (i, (_, header, _)) in SHOWN.iter().enumerate() {
                sheet.write_string_with_format(0, i as u16 + 1, *header, &bold)?;
            }
            for (r, row) in rows.iter().enumerate() {
                let r = r as u32 + 1;
                sheet.write_string(r, 0, &row.name)?;
                for (c, cell) in row.cells.iter().enumerate() {
                    let shown = if cell.too_few { None } else { cell.number };
                    number_or_dash(sheet, r, c as u16 + 1, shown)?;
                }
            }
            sheet.set_column_width(0, 24)?;
        }
        {
            let sheet = workbook.add_worksheet().set_name("月度趋势")?;
            for (i, header) in ["月份", "受理", "办结"].iter().enumerate() {
                sheet.write_string_with_format(0, i as u16, *header, &bold)?;
            }
            for (r, month) in self.dashboard.trend.iter().enumerate() {
                let r = r as u32 + 1;
                sheet.write_string(r, 0, &month.month)?;
                sheet.write_number(r, 1, month.comparison.figures.received as f64)?;
                sheet.write_number(r, 2, month.comparison.figures.closed as f64)?;
            }
        }
        {
            let sheet = workbook.add_worksheet().set_name("口径")?;
            sheet.write_string(0, 0, &self.dashboard.summary.envelope.definition.text)?;
            sheet.write_string(
                1,
                0,
                format!("比率的分母少于 {MIN_BASE} 件时，分项表中以“—”表示，不参与排名。"),
            )?;
        }
        workbook.save_to_buffer()
    }
}
