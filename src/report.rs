//! The annual report section: one paragraph per channel in the wording of the
//! office's own report, the same figures as JSON, and a workbook for pasting
//! into the report (summary, and per channel by department and by month).

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use clap::ValueEnum;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::Serialize;

use crate::db::models::Channel;
use crate::db::rollups::counts;
use crate::db::{self, DbConnection};
use crate::domain::figures::{
    self, handling_time_change_text, Breakdown, Change, Counts, Definition, Figures, Hundredths, Scope,
};
use crate::domain::time;
use crate::domain::validation::Rule;
use crate::error::AppError;

/// The forms a report comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The paragraphs as plain text, then the definition.
    Text,
    /// The figures behind every paragraph, as JSON.
    Json,
    /// An Excel workbook: a summary, and per channel by department and by month.
    Xlsx,
}

impl ReportFormat {
    /// Parses `text`, `json` or `xlsx`.
    pub fn parse(s: &str) -> Option<ReportFormat> {
        [ReportFormat::Text, ReportFormat::Json, ReportFormat::Xlsx]
            .into_iter()
            .find(|f| f.to_possible_value().is_some_and(|v| v.get_name() == s))
    }
}

/// Categories the suggestion channel's report line counts separately.
pub const SUGGESTION_CATEGORIES: [&str; 2] = ["人大代表建议", "政协委员提案"];

/// One channel's part of the report.
#[derive(Debug, Serialize)]
pub struct Paragraph {
    /// Channel code.
    pub channel: String,
    /// Channel name.
    pub name: String,
    /// The sentence for the report.
    pub text: String,
    /// The year's figures.
    pub figures: Figures,
    /// The year before's figures.
    pub previous: Figures,
    /// The change on the year before.
    pub change: Change,
    /// Received cases per category (deputies' suggestions: 人大代表建议, 政协委员提案).
    pub categories: BTreeMap<String, i64>,
}

/// The report section for one year.
#[derive(Debug, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    /// Counted as of (RFC 3339).
    pub as_of: String,
    /// One paragraph per channel that had cases, in channel order.
    pub paragraphs: Vec<Paragraph>,
    /// The definition in force, as a paragraph.
    pub definition: String,
    #[serde(skip)]
    breakdowns: Vec<ChannelBreakdown>,
}

#[derive(Debug)]
struct ChannelBreakdown {
    name: String,
    by_department: Vec<(String, Figures)>,
    by_month: Vec<(String, Figures)>,
}

fn year_scope(year: i32, channel: Option<&str>) -> Result<Scope, AppError> {
    let day =
        |y| NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| AppError::invalid_field("year", Rule::YearRange));
    Ok(Scope { from: day(year)?, to: day(year + 1)?, channel: channel.map(str::to_owned), department: None })
}

fn percent(rate: Option<Hundredths>) -> String {
    rate.map(|r| format!("{}%", r.text())).unwrap_or_default()
}

/// The sentence for one channel, in the office's wording. `handling_change`
/// is the change in average handling time on the year before, in tenths of
/// a day, when both years closed cases.
pub fn paragraph_text(
    channel: &Channel,
    f: &Figures,
    handling_change: Option<i64>,
    categories: &BTreeMap<String, i64>,
) -> String {
    let all_closed = f.closed == f.received;
    let closed_clause =
        if all_closed { "已全部办结".to_owned() } else { format!("已办结{}件", f.closed) };
    let handling = match (handling_change, f.avg_handling_days) {
        (Some(tenths), _) => format!("，平均办结时间{}", handling_time_change_text(tenths)),
        (None, Some(now)) => format!("，平均办结时间{}天", now.text()),
        (None, None) => String::new(),
    };
    let satisfaction = |prefix: &str, rate: Option<Hundredths>| match rate {
        Some(_) if f.rated > 0 => format!("，{prefix}{}", percent(rate)),
        _ => String::new(),
    };
    let sentence = match channel.code.as_str() {
        "mailbox" => format!(
            "公开信箱群众来信{}件，{closed_clause}{handling}{}。",
            f.received,
            satisfaction("群众满意率", f.satisfaction_rate)
        ),
        "minhu" => {
            let done = if all_closed {
                "已全部办结".to_owned()
            } else {
                format!("办结{}件，办结率{}", f.closed, percent(f.completion_rate))
            };
            format!(
                "“民呼我为”累计办理事项{}件，{done}{}。",
                f.received,
                satisfaction("办结事项群众综合满意率", f.composite_satisfaction)
            )
        }
        "gov_web" => format!("接到中国政府网网民留言转办{}件，{closed_clause}。", f.received),
        "disclosure" => format!("接收政府信息公开申请{}件，{closed_clause}。", f.received),
        "suggestion" => {
            let counted: Vec<String> = SUGGESTION_CATEGORIES
                .iter()
                .filter_map(|category| categories.get(*category).map(|n| format!("{category}{n}件")))
                .collect();
            let listed: i64 = SUGGESTION_CATEGORIES.iter().filter_map(|c| categories.get(*c)).sum();
            let what = if counted.is_empty() || listed != f.received {
                format!("办理人大代表建议和政协委员提案{}件", f.received)
            } else {
                format!("办理{}", counted.join("、"))
            };
            let rates = match (f.work_satisfaction_rate, f.result_satisfaction_rate) {
                (Some(work), Some(result)) => format!(
                    "，代表委员对办理工作满意率{}、对办理结果满意率{}",
                    percent(Some(work)),
                    percent(Some(result))
                ),
                _ => String::new(),
            };
            format!("{what}，{closed_clause}{rates}。")
        }
        _ => format!(
            "{}{}件，{closed_clause}，办结率{}{}。",
            channel.name,
            f.received,
            percent(f.completion_rate),
            satisfaction("满意率", f.satisfaction_rate)
        ),
    };
    format!("{sentence}{}", after_closure_text(f))
}

/// The sentence on the steps after closure, where the channel made
/// callbacks: how many, 回访率, 解决率 when ratings said, and the ratings
/// 核减 when there were any (the satisfaction rates leave them out). A
/// channel that made none says nothing of them — "回访群众0件" in the
/// office's text would read as a finding about history loaded from before
/// casedesk kept callbacks; the workbook still has the column.
fn after_closure_text(f: &Figures) -> String {
    if f.callbacks_made == 0 {
        return String::new();
    }
    let resolution = match f.resolution_rate {
        Some(rate) => format!("，问题解决率{}", percent(Some(rate))),
        None => String::new(),
    };
    let excluded = match f.ratings_excluded {
        0 => String::new(),
        n => format!("，经申诉复核核减评价{n}件"),
    };
    format!(
        "办结后回访群众{}件，回访率{}{resolution}{excluded}。",
        f.callbacks_made,
        percent(f.callback_rate)
    )
}

/// Builds the report section of `year`, counted as of `as_of`.
pub fn annual(
    conn: &mut DbConnection,
    year: i32,
    definition: &Definition,
    as_of: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<AnnualReport, AppError> {
    let channels = db::channels::list(conn)?;
    let departments: BTreeMap<String, String> =
        db::departments::list(conn)?.into_iter().map(|d| (d.id.to_string(), d.name)).collect();
    let scope = year_scope(year, None)?;
    let this_year = counts(conn, &scope, Breakdown::Channel, as_of, now)?;
    let last_year = counts(conn, &scope.year_earlier(), Breakdown::Channel, as_of, now)?;
    let mut paragraphs = Vec::new();
    let mut breakdowns = Vec::new();
    for channel in &channels {
        let current = this_year.get(&channel.code).copied().unwrap_or_default();
        if current.received == 0 {
            continue;
        }
        let two = channel.two_dimension_rating;
        let f = figures::figures(&current, definition, two);
        let before = last_year.get(&channel.code).copied().unwrap_or_default();
        let previous = figures::figures(&before, definition, two);
        let handling_change = figures::handling_days_change_tenths(&current, &before);
        let channel_scope = year_scope(year, Some(&channel.code))?;
        let categories = db::cases::received_by_category(conn, &channel_scope)?;
        let by_department = counts(conn, &channel_scope, Breakdown::Department, as_of, now)?
            .into_iter()
            .map(|(id, c)| {
                let name = departments.get(&id).cloned().unwrap_or_else(|| "未交办".to_owned());
                (name, figures::figures(&c, definition, two))
            })
            .collect();
        let monthly = counts(conn, &channel_scope, Breakdown::Month, as_of, now)?;
        let by_month = (1..=12)
            .map(|m| {
                let key = format!("{year}-{m:02}");
                let c = monthly.get(&key).copied().unwrap_or(Counts::default());
                (format!("{m}月"), figures::figures(&c, definition, two))
            })
            .collect();
        paragraphs.push(Paragraph {
            channel: channel.code.clone(),
            name: channel.name.clone(),
            text: paragraph_text(channel, &f, handling_change, &categories),
            change: figures::change(&f, &previous),
            figures: f,
            previous,
            categories,
        });
        breakdowns.push(ChannelBreakdown { name: channel.name.clone(), by_department, by_month });
    }
    Ok(AnnualReport {
        year,
        as_of: time::to_office(as_of).to_rfc3339(),
        paragraphs,
        definition: definition.text(),
        breakdowns,
    })
}

impl AnnualReport {
    /// The paragraphs, one per line, then the definition.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.paragraphs {
            out.push_str(&p.text);
            out.push('\n');
        }
        if self.paragraphs.is_empty() {
            out.push_str(&format!("{}年无受理事项。\n", self.year));
        }
        out.push('\n');
        out.push_str(&self.definition);
        out.push('\n');
        out
    }

    /// The workbook: 汇总 (one row per channel), then per channel a sheet by
    /// department and one by month, with Chinese headers.
    pub fn xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let summary = workbook.add_worksheet().set_name("汇总")?;
        write_header(summary, &bold, "渠道")?;
        for (row, p) in self.paragraphs.iter().enumerate() {
            write_row(summary, row as u32 + 1, &p.name, &p.figures)?;
        }
        let text_row = self.paragraphs.len() as u32 + 2;
        summary.write_string_with_format(text_row, 0, "报告表述", &bold)?;
        for (i, p) in self.paragraphs.iter().enumerate() {
            summary.write_string(text_row + 1 + i as u32, 0, &p.text)?;
        }
        summary.write_string(text_row + 2 + self.paragraphs.len() as u32, 0, &self.definition)?;
        summary.set_column_width(0, 24)?;
        let mut taken = HashSet::from(["汇总".to_owned()]);
        for b in &self.breakdowns {
            for (suffix, first, rows) in
                [("按单位", "承办单位", &b.by_department), ("按月", "月份", &b.by_month)]
            {
                let name = sheet_name(&b.name, suffix, &mut taken);
                let sheet = workbook.add_worksheet().set_name(&name)?;
                write_header(sheet, &bold, first)?;
                for (row, (label, f)) in rows.iter().enumerate() {
                    write_row(sheet, row as u32 + 1, label, f)?;
                }
                sheet.set_column_width(0, 24)?;
            }
        }
        workbook.save_to_buffer()
    }
}

/// A sheet name for a channel's breakdown that Excel accepts and that no
/// other sheet has: at most 31 UTF-16 units, none of `[]:*?/\`, not starting
/// with `'`, unique ignoring case. The channel's name is cut so that the
/// suffix (按单位, 按月) always stays, and a number tells apart channels
/// whose cut names are alike. Channel names are an admin's free text (a
/// 41-character name once made both sheets of a channel one name, and the
/// report a 500).
fn sheet_name(channel: &str, suffix: &str, taken: &mut HashSet<String>) -> String {
    let cleaned: String = channel.chars().filter(|c| !"[]:*?/\\".contains(*c)).collect();
    let cleaned = cleaned.trim_start_matches(['\'', ' ']);
    let base = if cleaned.is_empty() { "渠道" } else { cleaned };
    let utf16 = |s: &str| s.encode_utf16().count();
    for n in 1.. {
        let tag = if n == 1 { String::new() } else { format!("({n})") };
        let room = 31 - utf16(suffix) - utf16(&tag);
        let mut cut = String::new();
        for c in base.chars() {
            if utf16(&cut) + c.len_utf16() > room {
                break;
            }
            cut.push(c);
        }
        let name = format!("{cut}{tag}{suffix}");
        if taken.insert(name.to_lowercase()) {
            return name;
        }
    }
    unreachable!("a free number is found before the names run out")
}

const HEADERS: [&str; 19] = [
    "受理件数",
    "办结件数",
    "办结率(%)",
    "平均办结时间(天)",
    "平均办结时间(工作日)",
    "按时办结率(%)",
    "超期未办结",
    "参评件数",
    "满意",
    "基本满意",
    "不满意",
    "满意率(%)",
    "综合满意率(%)",
    "对办理工作满意率(%)",
    "对办理结果满意率(%)",
    "重办率(%)",
    "回访率(%)",
    "解决率(%)",
    "核减件数",
];

fn write_header(sheet: &mut Worksheet, bold: &Format, first: &str) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, first, bold)?;
    for (i, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16 + 1, *h, bold)?;
        sheet.set_column_width(i as u16 + 1, 14)?;
    }
    Ok(())
}

fn write_row(sheet: &mut Worksheet, row: u32, label: &str, f: &Figures) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, label)?;
    let values: [Option<f64>; 19] = [
        Some(f.received as f64),
        Some(f.closed as f64),
        f.completion_rate.map(Hundredths::as_f64),
        f.avg_handling_days.map(Hundredths::as_f64),
        f.avg_handling_workdays.map(Hundredths::as_f64),
        f.on_time_rate.map(Hundredths::as_f64),
        Some(f.overdue_open as f64),
        Some(f.rated as f64),
        Some(f.satisfied as f64),
        Some(f.basically_satisfied as f64),
        Some(f.unsatisfied as f64),
        f.satisfaction_rate.map(Hundredths::as_f64),
        f.composite_satisfaction.map(Hundredths::as_f64),
        f.work_satisfaction_rate.map(Hundredths::as_f64),
        f.result_satisfaction_rate.map(Hundredths::as_f64),
        f.reopen_rate.map(Hundredths::as_f64),
        f.callback_rate.map(Hundredths::as_f64),
        f.resolution_rate.map(Hundredths::as_f64),
        Some(f.ratings_excluded as f64),
    ];
    for (i, value) in values.into_iter().enumerate() {
        if let Some(v) = value {
            sheet.write_number(row, i as u16 + 1, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(code: &str, name: &str, two: bool) -> Channel {
        Channel {
            code: code.into(),
            name: name.into(),
            time_limit: 15,
            time_limit_unit: crate::domain::calendar::LimitUnit::Workday,
            extension_limit: 15,
            extension_unit: crate::domain::calendar::LimitUnit::Workday,
            tracking_prefix: "XX".into(),
            two_dimension_rating: two,
            sort_order: 1,
            updated_at: NaiveDateTime::default(),
            accept_days: 1,
            return_days: 1,
            callback_days: 3,
            rectify_days: 5,
            rating_scale: 3,
        }
    }

    /// A year in which `closed` of `received` cases closed, each after `days`
    /// days, with the ratings given (satisfied, basically, unsatisfied).
    fn year(received: i64, closed: i64, days: i64, ratings: (i64, i64, i64)) -> Counts {
        let (satisfied, basically_satisfied, unsatisfied) = ratings;
        Counts {
            received,
            closed,
            handling_seconds: closed * days * figures::SECONDS_PER_DAY,
            rated: satisfied + basically_satisfied + unsatisfied,
            satisfied,
            basically_satisfied,
            unsatisfied,
            ..Counts::default()
        }
    }

    fn sentence(channel: &Channel, current: Counts, previous: Counts, categories: &[(&str, i64)]) -> String {
        let definition = Definition::default();
        let f = figures::figures(&current, &definition, channel.two_dimension_rating);
        let categories = categories.iter().map(|(c, n)| (c.to_string(), *n)).collect();
        paragraph_text(channel, &f, figures::handling_days_change_tenths(&current, &previous), &categories)
    }

    #[test]
    fn sheet_names_are_valid_and_unique_whatever_the_channel_is_called() {
        let mut taken = HashSet::from(["汇总".to_owned()]);
        let long = "人大代表建议和政协委员提案（含跨年度结转件及重点督办件）合并统计口径";
        assert!(long.chars().count() > 31);
        let names = [
            sheet_name(long, "按单位", &mut taken),
            sheet_name(long, "按月", &mut taken),
            sheet_name(&format!("{long}二"), "按单位", &mut taken),
            sheet_name("'引号开头的渠道'", "按月", &mut taken),
            sheet_name("[]:*?/\\", "按月", &mut taken),
            sheet_name("Mailbox", "按月", &mut taken),
            sheet_name("MAILBOX", "按月", &mut taken),
        ];
        assert!(names[0].ends_with("按单位") && names[1].ends_with("按月"));
        assert!(names[2].ends_with("(2)按单位"), "{}", names[2]);
        assert_eq!(names[3], "引号开头的渠道'按月");
        assert_eq!(names[4], "渠道按月");
        assert_eq!(names[6], "MAILBOX(2)按月", "unique ignoring case");
        let mut book = Workbook::new();
        for name in &names {
            assert!(name.encode_utf16().count() <= 31, "{name}");
            book.add_worksheet().set_name(name).unwrap();
        }
        book.save_to_buffer().expect("Excel's rules hold for every name");
    }

    #[test]
    fn each_channel_is_worded_as_the_office_reports_it() {
        let mailbox = channel("mailbox", "公开信箱", false);
        let mut this_year = year(225, 223, 8, (210, 12, 1));
        // 8.2 days on average this year against 12.5 the year before.
        this_year.handling_seconds = 223 * 82 * figures::SECONDS_PER_DAY / 10;
        let last_year = Counts {
            handling_seconds: 180 * 125 * figures::SECONDS_PER_DAY / 10,
            ..year(190, 180, 0, (0, 0, 0))
        };
        assert_eq!(
            sentence(&mailbox, this_year, last_year, &[]),
            "公开信箱群众来信225件，已办结223件，平均办结时间缩短4.3天，群众满意率99.55%。"
        );
        assert_eq!(
            sentence(&mailbox, year(10, 10, 5, (0, 0, 0)), year(8, 8, 4, (0, 0, 0)), &[]),
            "公开信箱群众来信10件，已全部办结，平均办结时间延长1天。",
            "no ratings, no satisfaction clause"
        );
        assert_eq!(
            sentence(&mailbox, year(10, 10, 5, (0, 0, 0)), year(8, 8, 5, (0, 0, 0)), &[]),
            "公开信箱群众来信10件，已全部办结，平均办结时间持平。"
        );
        assert_eq!(
            sentence(&mailbox, year(4, 2, 3, (2, 0, 0)), Counts::default(), &[]),
            "公开信箱群众来信4件，已办结2件，平均办结时间3天，群众满意率100%。",
            "without a year before, the time itself"
        );

        let minhu = channel("minhu", "民呼我为", false);
        assert_eq!(
            sentence(&minhu, year(3878, 3836, 7, (3068, 503, 265)), Counts::default(), &[]),
            "“民呼我为”累计办理事项3878件，办结3836件，办结率98.92%，办结事项群众综合满意率90.47%。"
        );
        assert_eq!(
            sentence(&minhu, year(5, 5, 7, (4, 1, 0)), Counts::default(), &[]),
            "“民呼我为”累计办理事项5件，已全部办结，办结事项群众综合满意率96%。"
        );

        let gov_web = channel("gov_web", "中国政府网网民留言", false);
        assert_eq!(
            sentence(&gov_web, year(20, 20, 6, (0, 0, 0)), Counts::default(), &[]),
            "接到中国政府网网民留言转办20件，已全部办结。"
        );
        assert_eq!(
            sentence(&gov_web, year(20, 19, 6, (0, 0, 0)), Counts::default(), &[]),
            "接到中国政府网网民留言转办20件，已办结19件。"
        );

        let disclosure = channel("disclosure", "政府信息公开申请", false);
        assert_eq!(
            sentence(&disclosure, year(11, 11, 9, (0, 0, 0)), Counts::default(), &[]),
            "接收政府信息公开申请11件，已全部办结。"
        );

        let suggestion = channel("suggestion", "人大代表建议和政协委员提案", true);
        let deputies = Counts { result_rated: 436, result_satisfied: 436, ..year(436, 436, 60, (436, 0, 0)) };
        let both = [("人大代表建议", 218), ("政协委员提案", 218)];
        assert_eq!(
            sentence(&suggestion, deputies, Counts::default(), &both),
            "办理人大代表建议218件、政协委员提案218件，已全部办结，代表委员对办理工作满意率100%、对办理结果满意率100%。"
        );
        let unfinished = Counts {
            result_rated: 400,
            result_satisfied: 399,
            result_unsatisfied: 1,
            ..year(436, 430, 60, (400, 0, 0))
        };
        assert_eq!(
            sentence(&suggestion, unfinished, Counts::default(), &[("人大代表建议", 200)]),
            "办理人大代表建议和政协委员提案436件，已办结430件，代表委员对办理工作满意率100%、对办理结果满意率99.75%。",
            "categories that do not add up are not listed"
        );

        let called = Counts {
            callbacks_needed: 190,
            callbacks_made: 186,
            resolved_answered: 180,
            resolved_yes: 171,
            ..year(225, 223, 8, (210, 12, 1))
        };
        assert_eq!(
            sentence(&mailbox, called, Counts::default(), &[]),
            "公开信箱群众来信225件，已办结223件，平均办结时间8天，群众满意率99.55%。\
             办结后回访群众186件，回访率97.89%，问题解决率95%。",
            "186 / 190 = 97.894…; 171 / 180 = 95"
        );
        let excluded = Counts { ratings_excluded: 2, resolved_answered: 0, resolved_yes: 0, ..called };
        assert_eq!(
            sentence(&mailbox, excluded, Counts::default(), &[]),
            "公开信箱群众来信225件，已办结223件，平均办结时间8天，群众满意率99.55%。\
             办结后回访群众186件，回访率97.89%，经申诉复核核减评价2件。"
        );

        let other = channel("hotline", "12345热线", false);
        assert_eq!(
            sentence(&other, year(50, 40, 2, (30, 5, 5)), Counts::default(), &[]),
            "12345热线50件，已办结40件，办结率80%，满意率87.5%。"
        );
    }
}
