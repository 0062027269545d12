//! The import template (`casedesk import --template FILE.xlsx` or
//! `FILE.csv`): the columns as Chinese headers with a sample row, and in the
//! workbook a sheet of instructions (allowed values, date formats).

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::db::models::{Channel, Department};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::Rating;
use crate::domain::transfer::{rating_label, state_label, Column};

/// What each column holds, for the instructions sheet.
fn explain(column: Column) -> (&'static str, &'static str) {
    match column {
        Column::Channel => ("必填", "渠道名称或代码，见下方"),
        Column::ExternalRef => {
            ("必填", "来源系统的编号；同一渠道内唯一。再次导入同一编号只会推进案件，不会重复")
        }
        Column::Title => ("必填", "不超过200字"),
        Column::Content => ("必填", "不超过20000字"),
        Column::Category => ("", "不超过50字"),
        Column::CitizenName => ("", "不超过100字；匿名来信可空"),
        Column::CitizenPhone => ("", "11位手机号或带区号的固定电话"),
        Column::CitizenEmail => ("", "电子邮箱地址"),
        Column::CitizenAddress => ("", "不超过300字"),
        Column::IsPublic => ("", "是 或 否（空为否）"),
        Column::ReceivedAt => ("必填", "日期或日期时间（北京时间），不能晚于现在"),
        Column::Department => ("", "承办单位名称或代码；已交办、办理中、待审核的案件必填"),
        Column::State => ("", "见下方；空时按各时间推断"),
        Column::AcceptedAt => ("", "承办单位签收的时间"),
        Column::Reply => ("", "待审核的案件必填"),
        Column::RepliedAt => ("", "答复的时间"),
        Column::ClosedAt => ("", "已办结的案件必填，且不早于收到时间和答复时间"),
        Column::Rating => {
            ("", "满意、基本满意或不满意（五级评价的渠道另有非常满意、非常不满意）；只评价已办结的案件")
        }
        Column::WorkRating => ("", "两项评价的渠道（代表建议、委员提案）：对办理工作的满意度"),
        Column::ResultRating => ("", "两项评价的渠道：对办理结果的满意度"),
        Column::RatedAt => ("", "空时为办结时间"),
        Column::Note => ("", "记入导入事件的备注，不超过500字"),
        Column::ReopenCount => ("", "重办（办结后重新办理）的次数，空为0；计入重办率"),
        Column::Resolved => ("", "是 或 否：评价时来信人说问题是否解决（计入解决率）；只随满意度填写"),
        Column::CallbackResult => ("", "已办结案件的回访：待回访、已回访、联系不上或无需回访（计入回访率）"),
        Column::CallbackAt => ("", "已回访或联系不上的时间；空时为办结时间"),
        Column::Excluded => {
            ("", "是 或 否：评价经申诉复核核减的填是（不计入参评件数、满意率和解决率）；只随满意度填写")
        }
        Column::MergedInto => (
            "",
            "状态为已并入的案件必填：被并入案件的编号或外部编号，该案件须已在系统中或在同一文件中；其他状态须空",
        ),
    }
}

fn sample(column: Column) -> &'static str {
    match column {
        Column::Channel => "公开信箱",
        Column::ExternalRef => "GX-2024-000123",
        Column::Title => "关于小区停车难的问题",
        Column::Content => "我们小区停车位严重不足，希望有关部门协调解决。",
        Column::Category => "城建",
        Column::CitizenName => "王芳",
        Column::CitizenPhone => "13812345678",
        Column::CitizenEmail => "wangfang@example.cn",
        Column::CitizenAddress => "城关镇幸福路8号",
        Column::IsPublic => "否",
        Column::ReceivedAt => "2024-03-05 09:30",
        Column::Department => "",
        Column::State => "已办结",
        Column::AcceptedAt => "2024-03-06 10:00",
        Column::Reply => "已协调新增停车位50个。",
        Column::RepliedAt => "2024-03-15 16:00",
        Column::ClosedAt => "2024-03-18",
        Column::Rating => "满意",
        Column::WorkRating => "",
        Column::ResultRating => "",
        Column::RatedAt => "2024-03-20",
        Column::Note => "",
        Column::ReopenCount => "0",
        Column::Resolved => "是",
        Column::CallbackResult => "已回访",
        Column::CallbackAt => "2024-03-20",
        Column::Excluded => "否",
        Column::MergedInto => "",
    }
}

/// The sample row under the headers, naming the first department if there is one.
fn sample_row(departments: &[Department]) -> Vec<&str> {
    Column::ALL
        .into_iter()
        .map(|column| match (column, departments.first()) {
            (Column::Department, Some(d)) => d.name.as_str(),
            _ => sample(column),
        })
        .collect()
}

/// The forms the template is written in. The file name says which, so that
/// a file named `.csv` never holds a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    /// A workbook with the instructions sheet.
    Xlsx,
    /// The headers and the sample row only, in UTF-8 with a BOM as exports are.
    Csv,
}

impl TemplateFormat {
    /// The form `path`'s extension asks for (in any case); another extension,
    /// or none, is refused with a sentence that says what to name the file.
    pub fn of_path(path: &Path) -> Result<TemplateFormat, String> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("xlsx") => Ok(TemplateFormat::Xlsx),
            Some("csv") => Ok(TemplateFormat::Csv),
            _ => Err(format!(
                "the template is written as an .xlsx workbook or a .csv file: name the file {} or {}, not {}",
                path.with_extension("xlsx").display(),
                path.with_extension("csv").display(),
                path.display()
            )),
        }
    }
}

/// The template in `format`, its headers and sample row the same in both.
pub fn render(
    format: TemplateFormat,
    channels: &[Channel],
    departments: &[Department],
) -> Result<Vec<u8>, String> {
    match format {
        TemplateFormat::Xlsx => workbook(channels, departments).map_err(|e| e.to_string()),
        TemplateFormat::Csv => csv(departments).map_err(|e| e.to_string()),
    }
}

/// The CSV template: the BOM, the header row and the sample row.
pub fn csv(departments: &[Department]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(crate::transfer::export::UTF8_BOM.to_vec());
    writer.write_record(Column::ALL.map(Column::header))?;
    writer.write_record(sample_row(departments))?;
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The template workbook: sheet 案件 (headers and one sample row, naming
/// the first department if there is one) and sheet 说明.
pub fn workbook(channels: &[Channel], departments: &[Department]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = workbook.add_worksheet().set_name("案件")?;
    for (col, (column, value)) in Column::ALL.into_iter().zip(sample_row(departments)).enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, column.header(), &bold)?;
        // Text cells: Excel would otherwise turn a phone number into a number
        // and a date into a serial, which import reads too, but a person
        // editing the sheet sees something else than they typed.
        sheet.write_string_with_format(1, col, value, &text)?;
        sheet.set_column_width(col, 16)?;
    }
    let help = workbook.add_worksheet().set_name("说明")?;
    let mut row = 0;
    let mut line = |cells: &[&str], format: Option<&Format>| -> Result<(), XlsxError> {
        for (col, cell) in cells.iter().enumerate() {
            match format {
                Some(f) => help.write_string_with_format(row, col as u16, *cell, f)?,
                None => help.write_string(row, col as u16, *cell)?,
            };
        }
        row += 1;
        Ok(())
    };
    line(&["列", "是否必填", "说明"], Some(&bold))?;
    for column in Column::ALL {
        let (required, meaning) = explain(column);
        line(&[column.header(), required, meaning], None)?;
    }
    line(&[], None)?;
    line(&["日期格式", "2024-03-05、2024-03-05 14:20、2024-03-05 14:20:00、2024/3/5 14:20:00 或 Excel 日期单元格；均为北京时间"], None)?;
    line(
        &[
            "文件",
            "本工作簿的第一个工作表（或 --sheet 指定的），或 CSV 文件（UTF-8，带或不带 BOM；或 GB18030/GBK）",
        ],
        None,
    )?;
    line(&["第一行", "列名；不认识的列名会使整个文件被拒绝，可以省略非必填的列；编号、是否超期、错误原因列会被忽略；导出文件的截止时间列（含延期）作为截止时间保留，没有该列时按收到时间和工作日历计算"], None)?;
    line(&[], None)?;
    line(&["渠道", "代码"], Some(&bold))?;
    for channel in channels {
        line(&[&channel.name, &channel.code], None)?;
    }
    line(&[], None)?;
    line(&["状态", "代码"], Some(&bold))?;
    for state in CaseState::ALL {
        line(&[state_label(state), state.as_str()], None)?;
    }
    line(&[], None)?;
    line(&["满意度", "代码"], Some(&bold))?;
    for rating in Rating::ALL {
        line(&[rating_label(rating), rating.as_str()], None)?;
    }
    line(&[], None)?;
    line(&["承办单位", "代码"], Some(&bold))?;
    for department in departments {
        line(&[&department.name, &department.code], None)?;
    }
    help.set_column_width(0, 18)?;
    help.set_column_width(1, 40)?;
    help.set_column_width(2, 60)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::read;

    fn rows_of(bytes: Vec<u8>) -> (Vec<String>, Vec<String>) {
        let mut rows = read::from_bytes(bytes, None, None).expect("the template reads back");
        let headers = rows.headers.clone();
        let (_, sample) = rows.next().expect("a sample row").expect("readable");
        assert!(rows.next().is_none(), "one sample row");
        (headers, sample.iter().map(|c| c.text()).collect())
    }

    #[test]
    fn the_file_name_chooses_the_format_and_other_names_are_refused() {
        assert_eq!(TemplateFormat::of_path(Path::new("tpl.xlsx")), Ok(TemplateFormat::Xlsx));
        assert_eq!(TemplateFormat::of_path(Path::new("dir/模板.CSV")), Ok(TemplateFormat::Csv));
        for name in ["tpl.xls", "tpl", "tpl.csv.txt"] {
            let refusal = TemplateFormat::of_path(Path::new(name)).unwrap_err();
            assert!(refusal.contains(".xlsx workbook or a .csv file") && refusal.contains(name), "{refusal}");
        }
    }

    #[test]
    fn both_templates_have_the_same_headers_and_sample_row() {
        let xlsx = render(TemplateFormat::Xlsx, &[], &[]).unwrap();
        let csv = render(TemplateFormat::Csv, &[], &[]).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a workbook");
        assert!(csv.starts_with(crate::transfer::export::UTF8_BOM), "CSV with a BOM, as exports are");
        let (xlsx_headers, mut xlsx_sample) = rows_of(xlsx);
        let (csv_headers, csv_sample) = rows_of(csv);
        // A workbook's row ends at its last filled cell (the sample leaves
        // 并入 blank); an import reads a missing cell as blank too.
        assert!(xlsx_sample.len() <= csv_sample.len());
        xlsx_sample.resize(csv_sample.len(), String::new());
        assert_eq!(xlsx_headers, Column::ALL.map(|c| c.header().to_owned()).to_vec());
        assert_eq!(csv_headers, xlsx_headers);
        assert_eq!(csv_sample, xlsx_sample);
        assert_eq!(csv_sample[0], "公开信箱");
    }
}
