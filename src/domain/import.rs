//! Reading one row of an import file into a case with its history, checked
//! as intake checks a case plus the consistency of its states and times; and
//! deciding what a row does to a case that is already there. Pure: the
//! channels and departments are handed in.
//!
//! Errors name the column by its Chinese header and say what is wrong in
//! Chinese, since they go back to the clerk in the 错误原因 column.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDateTime};

use super::callback::CallbackState;
use super::citizen::{Citizen, Email, Phone};
use super::ids::DepartmentId;
use super::intake::{CLOCK_SKEW, CONTENT_MAX, EARLIEST_RECEIPT_YEAR, TITLE_MAX};
use super::lifecycle::CaseState;
use super::rating::{Rating, RatingScale};
use super::time;
use super::transfer::{
    parse_callback, parse_local_instant, parse_rating, parse_state, parse_yes_no, Cell, Column,
    DUE_AT_HEADER, IGNORED_HEADERS, TRACKING_NO_HEADER,
};

/// What a row may name: a channel.
#[derive(Debug, Clone)]
pub struct ChannelRef {
    /// Code, e.g. `mailbox`.
    pub code: String,
    /// Name, e.g. 公开信箱.
    pub name: String,
    /// Whether it rates work and result apart.
    pub two_dimension_rating: bool,
    /// The levels it rates on.
    pub scale: RatingScale,
}

/// What a row may name: a department.
#[derive(Debug, Clone)]
pub struct DepartmentRef {
    /// Its id.
    pub id: DepartmentId,
    /// Code, e.g. `EDU`.
    pub code: String,
    /// Name, e.g. 县教育局.
    pub name: String,
}

/// The channels and departments rows are checked against, and now.
#[derive(Debug, Clone)]
pub struct References {
    /// Every channel.
    pub channels: Vec<ChannelRef>,
    /// Every department (inactive ones too: history may name them).
    pub departments: Vec<DepartmentRef>,
    /// No time in a row may be later than this (plus the clock skew).
    pub now: NaiveDateTime,
}

/// A problem with a file's header row: the file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The file has no header row.
    Empty,
    /// A header that is not a template column.
    Unknown(String),
    /// A column given twice.
    Twice(String),
    /// A required column is missing.
    Missing(&'static str),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Empty => write!(f, "the file has no header row (文件为空)"),
            HeaderError::Unknown(h) => {
                write!(
                    f,
                    "unknown column '{h}' in the header row (未知的列; see the template's instructions)"
                )
            }
            HeaderError::Twice(h) => write!(f, "column '{h}' appears twice in the header row (列重复)"),
            HeaderError::Missing(h) => write!(f, "the required column '{h}' is missing (缺少必需的列)"),
        }
    }
}

/// Columns every file must have.
pub const REQUIRED: [Column; 5] =
    [Column::Channel, Column::ExternalRef, Column::Title, Column::Content, Column::ReceivedAt];

/// Which file column holds which template column.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    at: HashMap<Column, usize>,
    /// An export's 截止时间, kept as the due date when present.
    due_at: Option<usize>,
    /// An export's 编号: the 外部编号 of a row that has none (the source
    /// system is then another casedesk, whose number is its tracking number).
    tracking_no: Option<usize>,
}

impl HeaderMap {
    /// Maps a header row. Unknown headers are an error (a misspelt column
    /// would otherwise be dropped silently); the columns an export or a
    /// refused-rows file adds are accepted and ignored; blank trailing
    /// headers are ignored.
    pub fn parse(headers: &[String]) -> Result<HeaderMap, HeaderError> {
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(HeaderError::Empty);
        }
        let mut at = HashMap::new();
        let mut due_at = None;
        let mut tracking_no = None;
        for (i, header) in headers.iter().enumerate() {
            let header = header.trim().trim_start_matches('\u{feff}');
            if header == DUE_AT_HEADER {
                due_at = Some(i);
                continue;
            }
            if header == TRACKING_NO_HEADER {
                tracking_no = Some(i);
                continue;
            }
            if header.is_empty() || IGNORED_HEADERS.contains(&header) {
                continue;
            }
            let column = Column::of_header(header).ok_or_else(|| HeaderError::Unknown(header.to_owned()))?;
            if at.insert(column, i).is_some() {
                return Err(HeaderError::Twice(header.to_owned()));
            }
        }
        if let Some(missing) = REQUIRED.iter().find(|c| !at.contains_key(c)) {
            return Err(HeaderError::Missing(missing.header()));
        }
        Ok(HeaderMap { at, due_at, tracking_no })
    }

    fn cell<'a>(&self, row: &'a [Cell], column: Column) -> Option<&'a Cell> {
        self.at.get(&column).and_then(|i| row.get(*i)).filter(|c| !c.is_blank())
    }
}

/// A row, checked: a case as it stands in the source system.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Channel code.
    pub channel: String,
    /// The source system's number.
    pub external_ref: String,
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Category.
    pub category: Option<String>,
    /// Contact details.
    pub citizen: Citizen,
    /// Whether the reply may be published.
    pub is_public: bool,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// The department handling it.
    pub department_id: Option<DepartmentId>,
    /// Its state.
    pub state: CaseState,
    /// When the department signed for it.
    pub accepted_at: Option<NaiveDateTime>,
    /// The reply.
    pub reply: Option<String>,
    /// When it was replied.
    pub replied_at: Option<NaiveDateTime>,
    /// When it was closed.
    pub closed_at: Option<NaiveDateTime>,
    /// The rating (the work rating on two-dimension channels).
    pub rating: Option<Rating>,
    /// The result rating (two-dimension channels).
    pub result_rating: Option<Rating>,
    /// When it was rated.
    pub rated_at: Option<NaiveDateTime>,
    /// A note for the import event.
    pub note: Option<String>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// The due date the source system had (an export's 截止时间, which
    /// carries extensions); none: computed from 收到时间 with the calendar.
    pub due_at: Option<NaiveDateTime>,
    /// 是否解决 of the rating.
    pub resolved: Option<bool>,
    /// The closure's callback.
    pub callback: Option<CallbackState>,
    /// When the callback ended.
    pub callback_at: Option<NaiveDateTime>,
    /// Whether the rating is 核减 (excluded on an upheld appeal); `None`
    /// when the row does not say (an existing case keeps what it has).
    pub excluded: Option<bool>,
    /// 并入: the number (编号 or 外部编号) of the case a merged case is
    /// under; given exactly when the state is 已并入.
    pub merged_into: Option<String>,
}

/// Longest 并入, in characters (a tracking number or an external reference).
pub const MERGED_INTO_MAX: usize = 100;

/// What is wrong with a row: one entry per field, `字段: 原因`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowErrors(pub Vec<(&'static str, String)>);

impl RowErrors {
    /// One problem of one column (a row refused for what the database says).
    pub fn of(column: Column, message: impl Into<String>) -> RowErrors {
        let mut errors = RowErrors::default();
        errors.add(column, message);
        errors
    }

    fn add(&mut self, column: Column, message: impl Into<String>) {
        self.add_field(column.header(), message);
    }

    fn add_field(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The 错误原因 text: every problem, `；`-separated.
    pub fn reason(&self) -> String {
        self.0.iter().map(|(field, message)| format!("{field}: {message}")).collect::<Vec<_>>().join("；")
    }
}

/// Whether a value is a masked phone or email as exports and lists show
/// them (`138****5678`, `w***@example.cn`): the exporter did not have the
/// value, so neither does the import.
fn is_masked(value: &str) -> bool {
    value.contains("***")
}

fn text(map: &HeaderMap, row: &[Cell], column: Column) -> Option<String> {
    map.cell(row, column).map(Cell::text).filter(|s| !s.is_empty())
}

fn bounded(errors: &mut RowErrors, column: Column, value: Option<String>, max: usize) -> Option<String> {
    let value = value?;
    if value.chars().count() > max {
        errors.add(column, format!("超过{max}个字符"));
        return None;
    }
    if value.contains('\0') {
        errors.add(column, "含有NUL字符");
        return None;
    }
    Some(value)
}

fn required(errors: &mut RowErrors, column: Column, value: Option<String>, max: usize) -> Option<String> {
    if value.is_none() {
        errors.add(column, "不能为空");
    }
    bounded(errors, column, value, max)
}

fn instant(
    errors: &mut RowErrors,
    map: &HeaderMap,
    row: &[Cell],
    column: Column,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let cell = map.cell(row, column)?;
    match parse_local_instant(cell) {
        None => {
            errors.add(
                column,
                format!(
                    "'{}' 不是日期（写作 2024-03-05、2024-03-05 14:20 或 2024/3/5 14:20:00）",
                    cell.text()
                ),
            );
            None
        }
        Some(at) if at > now + CLOCK_SKEW => {
            errors.add(column, "不能晚于现在");
            None
        }
        Some(at) if time::office_date(at).year() < EARLIEST_RECEIPT_YEAR => {
            errors.add(column, format!("不能早于{EARLIEST_RECEIPT_YEAR}年"));
            None
        }
        Some(at) => Some(at.min(now)),
    }
}

fn rating(errors: &mut RowErrors, map: &HeaderMap, row: &[Cell], column: Column) -> Option<Rating> {
    let value = text(map, row, column)?;
    let parsed = parse_rating(&value);
    if parsed.is_none() {
        errors.add(column, format!("'{value}' 不是非常满意、满意、基本满意、不满意或非常不满意"));
    }
    parsed
}

/// The case itself, as a row gives it.
struct CaseFields<'r> {
    channel: Option<&'r ChannelRef>,
    external_ref: Option<String>,
    title: Option<String>,
    content: Option<String>,
    category: Option<String>,
    citizen: Citizen,
    is_public: bool,
    received_at: Option<NaiveDateTime>,
}

/// The case's columns: channel, reference, title, content, category, the
/// citizen and the time of receipt.
fn case_fields<'r>(
    map: &HeaderMap,
    row: &[Cell],
    refs: &'r References,
    errors: &mut RowErrors,
) -> CaseFields<'r> {
    let now = refs.now;
    let channel = match text(map, row, Column::Channel) {
        None => {
            errors.add(Column::Channel, "不能为空");
            None
        }
        Some(value) => {
            let found = refs.channels.iter().find(|c| c.code == value || c.name == value);
            if found.is_none() {
                let known: Vec<&str> = refs.channels.iter().map(|c| c.name.as_str()).collect();
                errors.add(
                    Column::Channel,
                    format!("未知的渠道 '{value}'（可填：{}，或其代码）", known.join("、")),
                );
            }
            found
        }
    };
    let tracking_no = map.tracking_no.and_then(|i| row.get(i)).map(Cell::text).filter(|t| !t.is_empty());
    let external_ref =
        required(errors, Column::ExternalRef, text(map, row, Column::ExternalRef).or(tracking_no), 100);
    let title = required(errors, Column::Title, text(map, row, Column::Title), TITLE_MAX);
    let content = required(errors, Column::Content, text(map, row, Column::Content), CONTENT_MAX);
    let category = bounded(errors, Column::Category, text(map, row, Column::Category), 50);
    let phone = match text(map, row, Column::CitizenPhone) {
        Some(value) if !is_masked(&value) => match Phone::parse(&value) {
            Ok(phone) => Some(phone.as_str().to_owned()),
            Err(_) => {
                errors.add(Column::CitizenPhone, format!("'{value}' 不是11位手机号或带区号的固定电话"));
                None
            }
        },
        _ => None,
    };
    let email = match text(map, row, Column::CitizenEmail) {
        Some(value) if !is_masked(&value) => match Email::parse(&value) {
            Ok(email) => Some(email.as_str().to_owned()),
            Err(_) => {
                errors.add(Column::CitizenEmail, format!("'{value}' 不是电子邮箱地址"));
                None
            }
        },
        _ => None,
    };
    let citizen = Citizen {
        name: bounded(errors, Column::CitizenName, text(map, row, Column::CitizenName), 100),
        phone,
        email,
        address: bounded(errors, Column::CitizenAddress, text(map, row, Column::CitizenAddress), 300),
    };
    let is_public = match parse_yes_no(&text(map, row, Column::IsPublic).unwrap_or_default()) {
        Ok(value) => value.unwrap_or(false),
        Err(_) => {
            errors.add(Column::IsPublic, "须为是或否");
            false
        }
    };
    let received_at = instant(errors, map, row, Column::ReceivedAt, now);
    if map.cell(row, Column::ReceivedAt).is_none() {
        errors.add(Column::ReceivedAt, "不能为空");
    }
    CaseFields { channel, external_ref, title, content, category, citizen, is_public, received_at }
}

/// What happened to the case before it was imported, as a row gives it.
struct History {
    department_id: Option<DepartmentId>,
    department_named: bool,
    stated: Option<CaseState>,
    accepted_at: Option<NaiveDateTime>,
    reply: Option<String>,
    replied_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    note: Option<String>,
    reopen_count: i32,
    due_at: Option<NaiveDateTime>,
}

/// The history's columns: department, state, the times of acceptance,
/// reply and closure, the reply, the note, reopenings and the due date.
fn history(
    map: &HeaderMap,
    row: &[Cell],
    refs: &References,
    received_at: Option<NaiveDateTime>,
    errors: &mut RowErrors,
) -> History {
    let now = refs.now;
    let department_id = text(map, row, Column::Department).and_then(|value| {
        let found = refs
            .departments
            .iter()
            .find(|d| d.code.eq_ignore_ascii_case(&value) || d.name == value)
            .map(|d| d.id);
        if found.is_none() {
            errors.add(Column::Department, format!("没有代码或名称为 '{value}' 的承办单位"));
        }
        found
    });
    let department_named = map.cell(row, Column::Department).is_some();
    let stated = text(map, row, Column::State).and_then(|value| {
        let state = parse_state(&value);
        if state.is_none() {
            errors.add(
                Column::State,
                format!("'{value}' 不是已登记、已交办、办理中、待审核、已办结或不予受理"),
            );
        }
        state
    });
    let accepted_at = instant(errors, map, row, Column::AcceptedAt, now);
    let reply = bounded(errors, Column::Reply, text(map, row, Column::Reply), CONTENT_MAX);
    let replied_at = instant(errors, map, row, Column::RepliedAt, now);
    let closed_at = instant(errors, map, row, Column::ClosedAt, now);
    let note = bounded(errors, Column::Note, text(map, row, Column::Note), 500);
    let reopen_count = match text(map, row, Column::ReopenCount) {
        None => 0,
        Some(value) => match value.parse::<i32>() {
            Ok(n) if (0..=1000).contains(&n) => n,
            _ => {
                errors.add(Column::ReopenCount, format!("'{value}' 不是0到1000的整数"));
                0
            }
        },
    };
    let due_at = map.due_at.and_then(|i| row.get(i)).filter(|c| !c.is_blank()).and_then(|cell| {
        let parsed = parse_local_instant(cell);
        match (parsed, received_at) {
            (None, _) => errors.add_field(DUE_AT_HEADER, format!("'{}' 不是日期", cell.text())),
            (Some(due), Some(received)) if due < received => errors.add_field(DUE_AT_HEADER, "早于收到时间"),
            _ => {}
        }
        parsed
    });

    History {
        department_id,
        department_named,
        stated,
        accepted_at,
        reply,
        replied_at,
        closed_at,
        note,
        reopen_count,
        due_at,
    }
}

/// The rating columns: one rating, or work and result on a two-dimension
/// channel (the other columns refused), on the levels the channel's scale
/// has, and the time of rating.
fn ratings(
    map: &HeaderMap,
    row: &[Cell],
    channel: Option<&ChannelRef>,
    now: NaiveDateTime,
    errors: &mut RowErrors,
) -> (Option<Rating>, Option<Rating>, Option<NaiveDateTime>) {
    let single = rating(errors, map, row, Column::Rating);
    let work = rating(errors, map, row, Column::WorkRating);
    let result = rating(errors, map, row, Column::ResultRating);
    let rated_at = instant(errors, map, row, Column::RatedAt, now);
    // The outer levels only where the channel rates on five.
    if let Some(channel) = channel.filter(|c| c.scale == RatingScale::Three) {
        for (column, given) in
            [(Column::Rating, single), (Column::WorkRating, work), (Column::ResultRating, result)]
        {
            if given.is_some_and(|r| !channel.scale.offers(r)) {
                errors.add(column, "此渠道只有满意、基本满意、不满意三个等级");
            }
        }
    }
    let two_dimensions = channel.is_some_and(|c| c.two_dimension_rating);
    // Two-dimension channels rate work and result; the others once.
    let (rating, result_rating) = if two_dimensions {
        if single.is_some() && work.is_some() {
            errors.add(Column::Rating, "与办理工作满意度重复：此渠道只填办理工作满意度和办理结果满意度");
        }
        (work.or(single), result)
    } else {
        if work.is_some() {
            errors.add(Column::WorkRating, "此渠道只有一项满意度：填在满意度列");
        }
        if result.is_some() {
            errors.add(Column::ResultRating, "此渠道只有一项满意度：填在满意度列");
        }
        (single.or(work), None)
    };

    (rating, result_rating, rated_at)
}

/// The times in order: nothing before receipt, a closure not before the
/// reply, a rating not before the closure, and no time of rating without one.
fn time_order(
    errors: &mut RowErrors,
    received_at: Option<NaiveDateTime>,
    history: &History,
    rated_at: Option<NaiveDateTime>,
    rated: bool,
) {
    let History { accepted_at, replied_at, closed_at, .. } = *history;
    if let Some(received_at) = received_at {
        for (column, at) in [
            (Column::AcceptedAt, accepted_at),
            (Column::RepliedAt, replied_at),
            (Column::ClosedAt, closed_at),
            (Column::RatedAt, rated_at),
        ] {
            if at.is_some_and(|at| at < received_at) {
                errors.add(column, "早于收到时间");
            }
        }
    }
    if let (Some(replied), Some(closed)) = (replied_at, closed_at) {
        if closed < replied {
            errors.add(Column::ClosedAt, "早于答复时间");
        }
    }
    if let (Some(closed), Some(rated)) = (closed_at, rated_at) {
        if rated < closed {
            errors.add(Column::RatedAt, "早于办结时间");
        }
    }
    if rated_at.is_some() && !rated {
        errors.add(Column::RatedAt, "有评价时间却没有满意度");
    }
}

/// The callback columns (是否解决, 回访结果, 回访时间): whether a rating says the
/// problem was solved, and where the callback of a closed case stands.
fn callback_fields(
    map: &HeaderMap,
    row: &[Cell],
    state: CaseState,
    rated: bool,
    now: NaiveDateTime,
    errors: &mut RowErrors,
) -> (Option<bool>, Option<CallbackState>, Option<NaiveDateTime>) {
    let resolved = match parse_yes_no(&text(map, row, Column::Resolved).unwrap_or_default()) {
        Ok(value) => value,
        Err(_) => {
            errors.add(Column::Resolved, "须为是或否");
            None
        }
    };
    if resolved.is_some() && !rated {
        errors.add(Column::Resolved, "是否解决随评价填写：此行没有满意度");
    }
    let callback = text(map, row, Column::CallbackResult).and_then(|value| {
        let parsed = parse_callback(&value);
        if parsed.is_none() {
            errors.add(Column::CallbackResult, format!("'{value}' 不是待回访、已回访、联系不上或无需回访"));
        }
        parsed
    });
    if callback.is_some() && state != CaseState::Closed {
        errors.add(Column::CallbackResult, "只有已办结的案件有回访");
    }
    let callback_at = instant(errors, map, row, Column::CallbackAt, now);
    if callback_at.is_some() && !callback.is_some_and(|c| c.is_made()) {
        errors.add(Column::CallbackAt, "回访时间只随已回访或联系不上填写");
    }
    (resolved, callback, callback_at)
}

/// 核减: whether the rating of a closed case was excluded on an upheld
/// appeal, so that a round trip keeps it out of the figures.
fn excluded_field(
    map: &HeaderMap,
    row: &[Cell],
    state: CaseState,
    rated: bool,
    errors: &mut RowErrors,
) -> Option<bool> {
    let excluded = match parse_yes_no(&text(map, row, Column::Excluded).unwrap_or_default()) {
        Ok(value) => value,
        Err(_) => {
            errors.add(Column::Excluded, "须为是或否");
            None
        }
    };
    if excluded == Some(true) && !(rated && state == CaseState::Closed) {
        errors.add(Column::Excluded, "只有已办结案件的评价可以核减：此行没有满意度或未办结");
    }
    excluded
}

/// Reads one data row (cells in file order) against the header map and the
/// known channels and departments: the case, its history and ratings, every
/// problem at once.
pub fn parse_row(map: &HeaderMap, row: &[Cell], refs: &References) -> Result<ImportRow, RowErrors> {
    let mut errors = RowErrors::default();
    let fields = case_fields(map, row, refs, &mut errors);
    let received_at = fields.received_at;
    let history = history(map, row, refs, received_at, &mut errors);
    let (rating, result_rating, rated_at) = ratings(map, row, fields.channel, refs.now, &mut errors);
    let History {
        department_id,
        department_named,
        stated,
        accepted_at,
        ref reply,
        replied_at,
        closed_at,
        ..
    } = history;
    // The state: as given, or what the times imply.
    let state = stated.unwrap_or(if closed_at.is_some() {
        CaseState::Closed
    } else if reply.is_some() || replied_at.is_some() {
        CaseState::Reviewing
    } else if accepted_at.is_some() {
        CaseState::Processing
    } else if department_named {
        CaseState::Assigned
    } else {
        CaseState::Registered
    });
    if errors.0.iter().all(|(field, _)| *field != Column::State.header()) {
        check_consistency(
            &mut errors,
            state,
            department_named,
            reply.is_some(),
            closed_at,
            rating.or(result_rating),
        );
    }
    let rated = rating.is_some() || result_rating.is_some();
    time_order(&mut errors, received_at, &history, rated_at, rated);
    let (resolved, callback, callback_at) = callback_fields(map, row, state, rated, refs.now, &mut errors);
    let excluded = excluded_field(map, row, state, rated, &mut errors);
    let merged_into =
        bounded(&mut errors, Column::MergedInto, text(map, row, Column::MergedInto), MERGED_INTO_MAX);
    match (state, &merged_into) {
        (CaseState::Merged, None) => {
            errors.add(Column::MergedInto, "已并入的案件须填写并入：被并入案件的编号或外部编号")
        }
        (CaseState::Merged, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.add(Column::MergedInto, "只有状态为已并入的案件可以填写并入"),
    }
    if !errors.0.is_empty() {
        return Err(errors);
    }
    let CaseFields { channel, external_ref, title, content, category, citizen, is_public, .. } = fields;
    let History { reply, note, reopen_count, due_at, .. } = history;
    match (channel, external_ref, title, content, received_at) {
        (Some(channel), Some(external_ref), Some(title), Some(content), Some(received_at)) => Ok(ImportRow {
            channel: channel.code.clone(),
            external_ref,
            title,
            content,
            category,
            citizen,
            is_public,
            received_at,
            // A merge takes the case from its department, as the action does.
            department_id: department_id.filter(|_| state != CaseState::Merged),
            state,
            accepted_at: accepted_at.filter(|_| {
                !matches!(state, CaseState::Registered | CaseState::Assigned | CaseState::Invalid)
            }),
            reply,
            replied_at: if matches!(state, CaseState::Reviewing | CaseState::Closed) {
                replied_at.or(closed_at)
            } else {
                None
            },
            closed_at,
            rating,
            result_rating,
            // A rating without its time counts from the closure.
            rated_at: (rating.is_some() || result_rating.is_some()).then(|| rated_at.or(closed_at)).flatten(),
            note,
            reopen_count,
            due_at,
            resolved,
            callback,
            callback_at: callback_at.or_else(|| callback.filter(|c| c.is_made()).and(closed_at)),
            excluded,
            merged_into,
        }),
        _ => Err(errors),
    }
}

/// The checks between the state and the rest of a row.
fn check_consistency(
    errors: &mut RowErrors,
    state: CaseState,
    has_department: bool,
    has_reply: bool,
    closed_at: Option<NaiveDateTime>,
    rating: Option<Rating>,
) {
    let label = super::transfer::state_label(state);
    match state {
        CaseState::Closed if closed_at.is_none() => errors.add(Column::ClosedAt, "已办结的案件须有办结时间"),
        CaseState::Closed => {}
        _ if closed_at.is_some() => {
            errors.add(Column::ClosedAt, format!("状态为{label}的案件不能有办结时间"))
        }
        _ => {}
    }
    if matches!(state, CaseState::Assigned | CaseState::Processing | CaseState::Reviewing) && !has_department
    {
        errors.add(Column::Department, format!("状态为{label}的案件须有承办单位"));
    }
    if state == CaseState::Reviewing && !has_reply {
        errors.add(Column::Reply, "待审核的案件须有答复内容");
    }
    if rating.is_some() && state != CaseState::Closed {
        errors.add(Column::Rating, format!("状态为{label}的案件不能有满意度（只评价已办结的案件）"));
    }
}

/// How far along the lifecycle a state is; an invalid case is as far as a
/// closed one (both are terminal).
fn progress(state: CaseState) -> u8 {
    match state {
        CaseState::Registered => 0,
        CaseState::Assigned => 1,
        CaseState::Processing => 2,
        CaseState::Reviewing => 3,
        CaseState::Closed | CaseState::Invalid | CaseState::Merged => 4,
    }
}

/// What a row does to the case already stored under its (channel, 外部编号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The row moves the case forward: a later state, a new reply or a rating.
    Update,
    /// Nothing the case does not already have (or the row is behind it).
    Unchanged,
}

/// What the stored case has, for [`compare`].
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// Its state.
    pub state: CaseState,
    /// Its reply.
    pub reply: Option<&'a str>,
    /// Its rating in force.
    pub rating: Option<super::rating::Rating>,
    /// Its result rating.
    pub result_rating: Option<super::rating::Rating>,
    /// When that rating was given.
    pub rated_at: Option<NaiveDateTime>,
}

/// Whether `row` moves the stored case forward. Never backwards: a row
/// behind the case (an older export) leaves it alone, and so does an
/// invalid case, which is terminal.
pub fn compare(stored: Stored<'_>, row: &ImportRow) -> Outcome {
    if stored.state == CaseState::Invalid || progress(row.state) < progress(stored.state) {
        return Outcome::Unchanged;
    }
    if row.state == CaseState::Invalid && stored.state == CaseState::Closed {
        return Outcome::Unchanged;
    }
    let later_state = progress(row.state) > progress(stored.state);
    let new_reply = row.reply.as_deref().is_some_and(|r| Some(r) != stored.reply);
    let new_rating = (row.rating.is_some() || row.result_rating.is_some())
        && (row.rating, row.result_rating) != (stored.rating, stored.result_rating)
        && match (row.rated_at, stored.rated_at) {
            (Some(new), Some(old)) => new > old,
            _ => true,
        };
    if later_state || new_reply || new_rating {
        Outcome::Update
    } else {
        Outcome::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookups() -> References {
        References {
            channels: vec![
                ChannelRef {
                    code: "mailbox".into(),
                    name: "公开信箱".into(),
                    two_dimension_rating: false,
                    scale: RatingScale::Three,
                },
                ChannelRef {
                    code: "suggestion".into(),
                    name: "人大代表建议".into(),
                    two_dimension_rating: true,
                    scale: RatingScale::Three,
                },
                ChannelRef {
                    code: "minhu".into(),
                    name: "民呼我为".into(),
                    two_dimension_rating: false,
                    scale: RatingScale::Five,
                },
            ],
            departments: vec![DepartmentRef {
                id: DepartmentId(3),
                code: "EDU".into(),
                name: "县教育局".into(),
            }],
            now: time::parse_instant("2025-01-10T12:00:00+08:00").unwrap(),
        }
    }

    fn header(columns: &[&str]) -> HeaderMap {
        HeaderMap::parse(&columns.iter().map(|c| c.to_string()).collect::<Vec<_>>()).unwrap()
    }

    const BASE: [&str; 5] = ["渠道", "外部编号", "标题", "内容", "收到时间"];

    fn row(values: &[&str]) -> Vec<Cell> {
        values.iter().map(|v| Cell::Text(v.to_string())).collect()
    }

    fn full_header() -> HeaderMap {
        let mut columns = BASE.to_vec();
        columns.extend([
            "承办单位",
            "状态",
            "签收时间",
            "答复内容",
            "答复时间",
            "办结时间",
            "满意度",
            "评价时间",
            "电话",
        ]);
        header(&columns)
    }

    fn at(s: &str) -> NaiveDateTime {
        time::parse_instant(s).unwrap()
    }

    #[test]
    fn a_closed_and_rated_row_reads_with_its_history() {
        let cells = row(&[
            "公开信箱",
            "GX-1",
            "停车难",
            "小区停车难",
            "2024-03-05 09:00",
            "县教育局",
            "已办结",
            "2024/3/6 10:00",
            "已协调。",
            "2024-03-08 16:00",
            "2024-03-09",
            "基本满意",
            "",
            "138 1234 5678",
        ]);
        let parsed = parse_row(&full_header(), &cells, &lookups()).unwrap();
        assert_eq!(parsed.channel, "mailbox");
        assert_eq!(parsed.state, CaseState::Closed);
        assert_eq!(parsed.department_id, Some(DepartmentId(3)));
        assert_eq!(parsed.received_at, at("2024-03-05T09:00:00+08:00"));
        assert_eq!(parsed.accepted_at, Some(at("2024-03-06T10:00:00+08:00")));
        assert_eq!(parsed.closed_at, Some(at("2024-03-09T00:00:00+08:00")));
        assert_eq!(parsed.rating, Some(Rating::BasicallySatisfied));
        assert_eq!(parsed.rated_at, parsed.closed_at, "rated at closure when no time is given");
        assert_eq!(parsed.citizen.phone.as_deref(), Some("13812345678"));
    }

    #[test]
    fn the_state_follows_from_the_times_when_blank() {
        let cells = row(&["mailbox", "GX-2", "t", "c", "2024-03-05", "EDU", "", "2024-03-06"]);
        assert_eq!(parse_row(&full_header(), &cells, &lookups()).unwrap().state, CaseState::Processing);
        let cells = row(&["mailbox", "GX-2", "t", "c", "2024-03-05"]);
        assert_eq!(parse_row(&header(&BASE), &cells, &lookups()).unwrap().state, CaseState::Registered);
    }

    fn reasons(cells: &[&str]) -> String {
        parse_row(&full_header(), &row(cells), &lookups()).unwrap_err().reason()
    }

    #[test]
    fn every_kind_of_error_names_its_field() {
        assert!(reasons(&["传真", "1", "t", "c", "2024-03-05"]).starts_with("渠道: 未知的渠道 '传真'"));
        assert_eq!(reasons(&["mailbox", "", "t", "c", "2024-03-05"]), "外部编号: 不能为空");
        assert_eq!(reasons(&["mailbox", "1", "", "c", "2024-03-05"]), "标题: 不能为空");
        assert!(reasons(&["mailbox", "1", "t", "c", "昨天"]).starts_with("收到时间: '昨天' 不是日期"));
        assert_eq!(reasons(&["mailbox", "1", "t", "c", "2099-01-01"]), "收到时间: 不能晚于现在");
        assert_eq!(reasons(&["mailbox", "1", "t", "c", ""]), "收到时间: 不能为空");
        assert!(reasons(&["mailbox", "1", "t", "c", "2024-03-05", "财政局"]).starts_with("承办单位: 没有"));
        assert!(reasons(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "完成"]).starts_with("状态: '完成'"));
        let closed_before =
            reasons(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "已办结", "", "", "", "2024-03-01"]);
        assert_eq!(closed_before, "办结时间: 早于收到时间");
        let closed_without = reasons(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "已办结"]);
        assert_eq!(closed_without, "办结时间: 已办结的案件须有办结时间");
        let open_with_closure =
            reasons(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "办理中", "", "", "", "2024-03-09"]);
        assert_eq!(open_with_closure, "办结时间: 状态为办理中的案件不能有办结时间");
        let rated_open =
            reasons(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "办理中", "", "", "", "", "满意"]);
        assert!(rated_open.starts_with("满意度: 状态为办理中的案件不能有满意度"), "{rated_open}");
        assert!(reasons(&["mailbox", "1", "t", "c", "2024-03-05", "", "", "", "", "", "", "", "", "123"])
            .starts_with("电话: '123'"));
        assert_eq!(
            reasons(&["mailbox", "1", "t", "c", "2024-03-05", "", "已交办"]),
            "承办单位: 状态为已交办的案件须有承办单位"
        );
    }

    #[test]
    fn every_problem_of_a_row_is_reported() {
        let all = reasons(&["传真", "", "", "c", "昨天"]);
        assert_eq!(all.matches('；').count(), 3, "{all}");
    }

    #[test]
    fn an_export_without_external_refs_is_keyed_by_its_tracking_numbers() {
        let mut columns = vec!["编号"];
        columns.extend(BASE);
        columns.push("截止时间");
        let cells = row(&["MB2024000001", "mailbox", "", "t", "c", "2024-03-05", "2024-03-30 23:59:59"]);
        let parsed = parse_row(&header(&columns), &cells, &lookups()).unwrap();
        assert_eq!(parsed.external_ref, "MB2024000001");
        assert_eq!(parsed.due_at, Some(at("2024-03-30T23:59:59+08:00")), "an export's due date is kept");
        let early = row(&["MB2024000001", "mailbox", "X", "t", "c", "2024-03-05", "2024-03-01"]);
        let reason = parse_row(&header(&columns), &early, &lookups()).unwrap_err().reason();
        assert_eq!(reason, "截止时间: 早于收到时间");
    }

    #[test]
    fn masked_contact_details_of_an_export_are_taken_as_absent() {
        let mut columns = BASE.to_vec();
        columns.extend(["电话", "邮箱"]);
        let cells = row(&["mailbox", "1", "t", "c", "2024-03-05", "138****5678", "w***@example.cn"]);
        let parsed = parse_row(&header(&columns), &cells, &lookups()).unwrap();
        assert_eq!((parsed.citizen.phone, parsed.citizen.email), (None, None));
    }

    #[test]
    fn two_dimension_channels_rate_work_and_result() {
        let mut columns = BASE.to_vec();
        columns.extend(["办结时间", "办理工作满意度", "办理结果满意度"]);
        let map = header(&columns);
        let cells = row(&["人大代表建议", "1", "t", "c", "2024-03-05", "2024-05-05", "满意", "基本满意"]);
        let parsed = parse_row(&map, &cells, &lookups()).unwrap();
        assert_eq!(
            (parsed.rating, parsed.result_rating),
            (Some(Rating::Satisfied), Some(Rating::BasicallySatisfied))
        );
        let cells = row(&["公开信箱", "1", "t", "c", "2024-03-05", "2024-05-05", "满意", "基本满意"]);
        let reason = parse_row(&map, &cells, &lookups()).unwrap_err().reason();
        assert!(reason.starts_with("办理工作满意度: 此渠道只有一项满意度"), "{reason}");
    }

    #[test]
    fn the_outer_levels_only_on_five_level_channels() {
        let mut columns = BASE.to_vec();
        columns.extend(["办结时间", "满意度"]);
        let map = header(&columns);
        let cells = row(&["民呼我为", "1", "t", "c", "2024-03-05", "2024-05-05", "非常不满意"]);
        assert_eq!(parse_row(&map, &cells, &lookups()).unwrap().rating, Some(Rating::VeryUnsatisfied));
        let cells = row(&["公开信箱", "1", "t", "c", "2024-03-05", "2024-05-05", "非常满意"]);
        let reason = parse_row(&map, &cells, &lookups()).unwrap_err().reason();
        assert!(reason.starts_with("满意度: 此渠道只有满意、基本满意、不满意三个等级"), "{reason}");
    }

    #[test]
    fn resolved_and_the_callback_come_with_a_closure() {
        let mut columns = BASE.to_vec();
        columns.extend(["办结时间", "满意度", "是否解决", "回访结果", "回访时间"]);
        let map = header(&columns);
        let closed = |cells: &[&str]| {
            let mut all = vec!["公开信箱", "1", "t", "c", "2024-03-05", "2024-05-05"];
            all.extend(cells);
            row(&all)
        };
        let parsed = parse_row(&map, &closed(&["满意", "否", "已回访", ""]), &lookups()).unwrap();
        assert_eq!((parsed.resolved, parsed.callback), (Some(false), Some(CallbackState::Done)));
        assert_eq!(parsed.callback_at, parsed.closed_at, "ended at closure when no time is given");
        let pending = parse_row(&map, &closed(&["", "", "pending", ""]), &lookups()).unwrap();
        assert_eq!((pending.callback, pending.callback_at), (Some(CallbackState::Pending), None));
        let reason =
            parse_row(&map, &closed(&["", "是", "打过了", "2024-05-06"]), &lookups()).unwrap_err().reason();
        assert!(reason.contains("是否解决: 是否解决随评价填写"), "{reason}");
        assert!(reason.contains("回访结果: '打过了' 不是"), "{reason}");
        let open = row(&["公开信箱", "1", "t", "c", "2024-03-05", "", "", "", "待回访", ""]);
        let reason = parse_row(&map, &open, &lookups()).unwrap_err().reason();
        assert!(reason.contains("只有已办结的案件有回访"), "{reason}");
    }

    #[test]
    fn headers_must_be_known_once_and_complete() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(HeaderMap::parse(&strings(&["", " "])).unwrap_err(), HeaderError::Empty);
        let mut with_unknown = BASE.to_vec();
        with_unknown.push("联系人");
        assert_eq!(
            HeaderMap::parse(&strings(&with_unknown)).unwrap_err(),
            HeaderError::Unknown("联系人".into())
        );
        let mut twice = BASE.to_vec();
        twice.push("标题");
        assert_eq!(HeaderMap::parse(&strings(&twice)).unwrap_err(), HeaderError::Twice("标题".into()));
        assert_eq!(HeaderMap::parse(&strings(&BASE[..4])).unwrap_err(), HeaderError::Missing("收到时间"));
        let mut export = vec!["\u{feff}编号"];
        export.extend(BASE);
        export.extend(["截止时间", "是否超期", "错误原因"]);
        assert!(
            HeaderMap::parse(&strings(&export)).is_ok(),
            "an export's and a refusal file's columns are ignored"
        );
    }

    fn stored(state: CaseState) -> Stored<'static> {
        Stored { state, reply: None, rating: None, result_rating: None, rated_at: None }
    }

    #[test]
    fn rows_move_cases_forward_only() {
        let map = full_header();
        let closed = parse_row(
            &map,
            &row(&[
                "mailbox",
                "1",
                "t",
                "c",
                "2024-03-05",
                "EDU",
                "已办结",
                "",
                "答复",
                "",
                "2024-03-09",
                "满意",
            ]),
            &lookups(),
        )
        .unwrap();
        assert_eq!(compare(stored(CaseState::Processing), &closed), Outcome::Update);
        let same = Stored {
            state: CaseState::Closed,
            reply: Some("答复"),
            rating: Some(Rating::Satisfied),
            result_rating: None,
            rated_at: closed.rated_at,
        };
        assert_eq!(compare(same, &closed), Outcome::Unchanged, "the same row again");
        let unrated = Stored { rating: None, rated_at: None, ..same };
        assert_eq!(compare(unrated, &closed), Outcome::Update, "a rating is news");
        let processing =
            parse_row(&map, &row(&["mailbox", "1", "t", "c", "2024-03-05", "EDU", "办理中"]), &lookups())
                .unwrap();
        assert_eq!(compare(same, &processing), Outcome::Unchanged, "never backwards");
        assert_eq!(compare(stored(CaseState::Invalid), &closed), Outcome::Unchanged);
    }
}
