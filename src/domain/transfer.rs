//! The one spreadsheet format of import and export (issue 15): the Chinese
//! column headers, the Chinese names of states, ratings and yes/no, and the
//! date forms people type. Import reads it, export writes it, so an export
//! can be imported elsewhere; everything here is pure.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::callback::CallbackState;
use super::lifecycle::CaseState;
use super::rating::Rating;
use super::time;

/// A column of the import template, in template order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// 渠道: channel code or name.
    Channel,
    /// 外部编号: the source system's number, the key of idempotent import.
    ExternalRef,
    /// 标题.
    Title,
    /// 内容.
    Content,
    /// 类别.
    Category,
    /// 姓名.
    CitizenName,
    /// 电话.
    CitizenPhone,
    /// 邮箱.
    CitizenEmail,
    /// 地址.
    CitizenAddress,
    /// 是否公开.
    IsPublic,
    /// 收到时间.
    ReceivedAt,
    /// 承办单位: department code or name.
    Department,
    /// 状态: Chinese name or code.
    State,
    /// 签收时间: when the department signed for it.
    AcceptedAt,
    /// 答复内容.
    Reply,
    /// 答复时间.
    RepliedAt,
    /// 办结时间.
    ClosedAt,
    /// 满意度 (one-dimension channels).
    Rating,
    /// 办理工作满意度 (two-dimension channels: the work).
    WorkRating,
    /// 办理结果满意度 (two-dimension channels: the result).
    ResultRating,
    /// 评价时间.
    RatedAt,
    /// 备注: a note recorded with the import event.
    Note,
    /// 重办次数: how often the case was reopened (重办率 counts it).
    ReopenCount,
    /// 是否解决 of the rating in force.
    Resolved,
    /// 回访结果: where the last closure's callback stands.
    CallbackResult,
    /// 回访时间: when the callback ended.
    CallbackAt,
    /// 核减: whether the rating in force was excluded on an upheld appeal.
    Excluded,
    /// 并入: the number of the case a merged case was merged into (its
    /// 编号, or its 外部编号 where it was imported).
    MergedInto,
}

impl Column {
    /// Every template column, in template order.
    pub const ALL: [Column; 28] = [
        Column::Channel,
        Column::ExternalRef,
        Column::Title,
        Column::Content,
        Column::Category,
        Column::CitizenName,
        Column::CitizenPhone,
        Column::CitizenEmail,
        Column::CitizenAddress,
        Column::IsPublic,
        Column::ReceivedAt,
        Column::Department,
        Column::State,
        Column::AcceptedAt,
        Column::Reply,
        Column::RepliedAt,
        Column::ClosedAt,
        Column::Rating,
        Column::WorkRating,
        Column::ResultRating,
        Column::RatedAt,
        Column::Note,
        Column::ReopenCount,
        Column::Resolved,
        Column::CallbackResult,
        Column::CallbackAt,
        Column::Excluded,
        Column::MergedInto,
    ];

    /// The Chinese header.
    pub fn header(self) -> &'static str {
        match self {
            Column::Channel => "渠道",
            Column::ExternalRef => "外部编号",
            Column::Title => "标题",
            Column::Content => "内容",
            Column::Category => "类别",
            Column::CitizenName => "姓名",
            Column::CitizenPhone => "电话",
            Column::CitizenEmail => "邮箱",
            Column::CitizenAddress => "地址",
            Column::IsPublic => "是否公开",
            Column::ReceivedAt => "收到时间",
            Column::Department => "承办单位",
            Column::State => "状态",
            Column::AcceptedAt => "签收时间",
            Column::Reply => "答复内容",
            Column::RepliedAt => "答复时间",
            Column::ClosedAt => "办结时间",
            Column::Rating => "满意度",
            Column::WorkRating => "办理工作满意度",
            Column::ResultRating => "办理结果满意度",
            Column::RatedAt => "评价时间",
            Column::Note => "备注",
            Column::ReopenCount => "重办次数",
            Column::Resolved => "是否解决",
            Column::CallbackResult => "回访结果",
            Column::CallbackAt => "回访时间",
            Column::Excluded => "核减",
            Column::MergedInto => "并入",
        }
    }

    /// The column of a header, trimmed; `None` if it is not a template column.
    pub fn of_header(header: &str) -> Option<Column> {
        let header = header.trim();
        Column::ALL.into_iter().find(|c| c.header() == header)
    }
}

/// 编号: the tracking number, first column of an export.
pub const TRACKING_NO_HEADER: &str = "编号";
/// 截止时间: the due time, after the template columns of an export.
pub const DUE_AT_HEADER: &str = "截止时间";
/// 是否超期: whether an open case is past its due time, last column of an export.
pub const OVERDUE_HEADER: &str = "是否超期";
/// 错误原因: the column a refused-rows file adds.
pub const ERROR_HEADER: &str = "错误原因";

/// Headers an import accepts and ignores: those an export or a refused-rows
/// file adds to the template's, so that either can be imported again.
pub const IGNORED_HEADERS: [&str; 4] = [TRACKING_NO_HEADER, DUE_AT_HEADER, OVERDUE_HEADER, ERROR_HEADER];

/// The Chinese name of a state, as the office writes it.
pub fn state_label(state: CaseState) -> &'static str {
    match state {
        CaseState::Registered => "已登记",
        CaseState::Assigned => "已交办",
        CaseState::Processing => "办理中",
        CaseState::Reviewing => "待审核",
        CaseState::Closed => "已办结",
        CaseState::Invalid => "不予受理",
        CaseState::Merged => "已并入",
    }
}

/// A state from its Chinese name or its code.
pub fn parse_state(text: &str) -> Option<CaseState> {
    let text = text.trim();
    CaseState::ALL.into_iter().find(|s| state_label(*s) == text || s.as_str() == text)
}

/// The Chinese name of a callback's state, as 回访结果 says it.
pub fn callback_label(state: CallbackState) -> &'static str {
    match state {
        CallbackState::Pending => "待回访",
        CallbackState::Done => "已回访",
        CallbackState::Unreachable => "联系不上",
        CallbackState::NotNeeded => "无需回访",
    }
}

/// A callback's state from its Chinese name or its code.
pub fn parse_callback(text: &str) -> Option<CallbackState> {
    let text = text.trim();
    CallbackState::ALL.into_iter().find(|s| callback_label(*s) == text || s.as_str() == text)
}

/// The Chinese name of a rating.
pub fn rating_label(rating: Rating) -> &'static str {
    match rating {
        Rating::VerySatisfied => "非常满意",
        Rating::Satisfied => "满意",
        Rating::BasicallySatisfied => "基本满意",
        Rating::Unsatisfied => "不满意",
        Rating::VeryUnsatisfied => "非常不满意",
    }
}

/// A rating from its Chinese name or its code.
pub fn parse_rating(text: &str) -> Option<Rating> {
    let text = text.trim();
    Rating::ALL.into_iter().find(|r| rating_label(*r) == text || r.as_str() == text)
}

/// 是 or 否.
pub fn yes_no(value: bool) -> &'static str {
    if value {
        "是"
    } else {
        "否"
    }
}

/// A value that is not 是 or 否.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotYesNo;

/// 是/否, also 1/0, true/false, y/n; blank is `None`, anything else an error.
pub fn parse_yes_no(text: &str) -> Result<Option<bool>, NotYesNo> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "是" | "1" | "true" | "y" | "yes" | "公开" => Ok(Some(true)),
        "否" | "0" | "false" | "n" | "no" | "不公开" => Ok(Some(false)),
        _ => Err(NotYesNo),
    }
}

/// An instant as written in a file: Beijing time, `2024-03-05 14:20:00`.
pub fn format_instant(at: NaiveDateTime) -> String {
    time::to_office(at).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// What a spreadsheet program takes for the start of a formula when it
/// opens a CSV file (OWASP's list for CSV injection): a citizen's title
/// `=HYPERLINK(…)` or `=cmd|' /C calc'!A0` would run on a clerk's machine.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `value` would begin a formula once any leading `'` are removed.
fn formula_like(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A value as written into a CSV file: prefixed with `'` when a spreadsheet
/// would take it for a formula, so that it shows as text. A value that
/// already starts with `'` before such a character gets one more, so that
/// [`restore_csv_cell`] gives every value back exactly.
pub fn neutralise_csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(value) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// A CSV cell as it was before [`neutralise_csv_cell`].
pub fn restore_csv_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

/// A cell's value as a spreadsheet holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (every CSV cell).
    Text(String),
    /// A number (an xlsx number cell; a date cell as its serial number).
    Number(f64),
    /// A date cell already read as a date and time (Beijing).
    DateTime(NaiveDateTime),
}

impl Cell {
    /// The cell as text: numbers without a needless `.0` (a phone number
    /// typed into Excel arrives as the number 13812345678).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::DateTime(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    /// Bytes of text it holds (a number or date counts as its few bytes).
    pub fn text_len(&self) -> usize {
        match self {
            Cell::Empty => 0,
            Cell::Text(s) => s.len(),
            Cell::Number(_) | Cell::DateTime(_) => 8,
        }
    }

    /// Whether it holds nothing but blanks.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Excel's day 0 (serial dates count from 1899-12-30, Lotus's leap-year bug included).
fn excel_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default().and_time(NaiveTime::MIN)
}

/// A date and time written in Beijing time, as a spreadsheet cell holds it:
/// `2024-03-05`, `2024-03-05 14:20`, `2024-03-05 14:20:00`, `2024/3/5 14:20:00`
/// (also `T` between date and time), an Excel serial number (45356.6) or a
/// date cell. Returns the stored (UTC) instant; `None` if it is none of these.
pub fn parse_local_instant(cell: &Cell) -> Option<NaiveDateTime> {
    let local = match cell {
        Cell::Empty => return None,
        Cell::DateTime(at) => *at,
        Cell::Number(serial) => from_excel_serial(*serial)?,
        Cell::Text(text) => {
            let text = text.trim();
            match text.parse::<f64>() {
                Ok(serial) if !text.contains('-') => from_excel_serial(serial)?,
                _ => parse_local_text(text)?,
            }
        }
    };
    Some(time::to_storage(local.and_local_timezone(time::office_offset()).single()?))
}

/// An Excel serial date (whole days since day 0 plus the fraction of a
/// day) as the local date and time it stands for. Serials before 2000 are
/// refused (no office's records reach back further; a small number is more
/// likely a misplaced count than a date).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || !(36_526.0..=109_574.0).contains(&serial) {
        return None;
    }
    let millis = (serial * 86_400_000.0).round() as i64;
    // Rounded to whole seconds: Excel stores 14:20 as 0.597222…, which is
    // a few microseconds off.
    let seconds = (millis + 500) / 1000;
    Some(excel_epoch() + Duration::seconds(seconds))
}

fn parse_local_text(text: &str) -> Option<NaiveDateTime> {
    let normalized = text.replace('/', "-").replace('T', " ");
    let (date, clock) = match normalized.split_once(' ') {
        Some((date, clock)) => (date, Some(clock.trim())),
        None => (normalized.as_str(), None),
    };
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let clock = match clock {
        None | Some("") => NaiveTime::MIN,
        Some(clock) => NaiveTime::parse_from_str(clock, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
            .ok()?,
    };
    Some(date.and_time(clock))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> NaiveDateTime {
        time::parse_instant(s).unwrap()
    }

    #[test]
    fn headers_round_trip_and_unknown_ones_are_none() {
        for column in Column::ALL {
            assert_eq!(Column::of_header(&format!(" {} ", column.header())), Some(column));
        }
        assert_eq!(Column::of_header("联系方式"), None);
        assert_eq!(
            Column::of_header(TRACKING_NO_HEADER),
            None,
            "export-only columns are not template columns"
        );
    }

    #[test]
    fn states_and_ratings_parse_from_chinese_or_code() {
        for state in CaseState::ALL {
            assert_eq!(parse_state(state_label(state)), Some(state));
            assert_eq!(parse_state(state.as_str()), Some(state));
        }
        assert_eq!(parse_state("已完成"), None);
        for rating in Rating::ALL {
            assert_eq!(parse_rating(rating_label(rating)), Some(rating));
            assert_eq!(parse_rating(rating.as_str()), Some(rating));
        }
        assert_eq!(parse_rating("很满意"), None);
    }

    #[test]
    fn every_documented_date_form_is_beijing_time() {
        let text = |s: &str| parse_local_instant(&Cell::Text(s.into()));
        assert_eq!(text("2024-03-05"), Some(utc("2024-03-05T00:00:00+08:00")));
        assert_eq!(text("2024-03-05 14:20"), Some(utc("2024-03-05T14:20:00+08:00")));
        assert_eq!(text("2024/3/5 14:20:00"), Some(utc("2024-03-05T14:20:00+08:00")));
        assert_eq!(text("2024-03-05T14:20:00"), Some(utc("2024-03-05T14:20:00+08:00")));
        assert_eq!(text("2024-02-30"), None);
        assert_eq!(text("2024-03-05 25:00"), None);
        assert_eq!(text("昨天"), None);
        assert_eq!(text(""), None);
    }

    #[test]
    fn excel_serial_dates_count_from_1899_12_30() {
        // 45356 is 2024-03-05; .597222… is 14:20.
        let at = parse_local_instant(&Cell::Number(45356.0 + 14.0 / 24.0 + 20.0 / 1440.0));
        assert_eq!(at, Some(utc("2024-03-05T14:20:00+08:00")));
        assert_eq!(parse_local_instant(&Cell::Text("45356".into())), Some(utc("2024-03-05T00:00:00+08:00")));
        assert_eq!(parse_local_instant(&Cell::Number(12.0)), None, "not a date of this century");
        assert_eq!(parse_local_instant(&Cell::Number(f64::NAN)), None);
    }

    #[test]
    fn numbers_read_as_text_lose_their_decimal_point() {
        assert_eq!(Cell::Number(13812345678.0).text(), "13812345678");
        assert_eq!(Cell::Number(1.5).text(), "1.5");
        assert!(Cell::Text("  ".into()).is_blank());
        assert_eq!(parse_yes_no("是"), Ok(Some(true)));
        assert_eq!(parse_yes_no(""), Ok(None));
        assert!(parse_yes_no("也许").is_err());
    }

    #[test]
    fn formula_like_csv_cells_are_neutralised_and_restored_exactly() {
        for formula in
            ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://evil\")"]
        {
            assert_eq!(neutralise_csv_cell(formula), format!("'{formula}"));
            assert_eq!(restore_csv_cell(&neutralise_csv_cell(formula)), formula);
        }
        for plain in ["停车难", "'引号开头", "a=b", " =1", "", "'", "''"] {
            assert_eq!(neutralise_csv_cell(plain), plain, "not a formula: {plain:?}");
            assert_eq!(restore_csv_cell(plain), plain);
        }
        // A value that looks neutralised already is kept apart from one that was.
        for tricky in ["'=1+1", "''=1+1", "'-5"] {
            assert_eq!(neutralise_csv_cell(tricky), format!("'{tricky}"));
            assert_eq!(restore_csv_cell(&neutralise_csv_cell(tricky)), tricky);
        }
    }

    #[test]
    fn instants_are_written_in_beijing_time() {
        assert_eq!(format_instant(utc("2024-03-05T06:20:00Z")), "2024-03-05 14:20:00");
    }
}
