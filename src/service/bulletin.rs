//! The 运行通报 (`GET /api/v1/reports/bulletin`, and the scorecard page's
//! download): for a period, the totals and their change on the previous
//! period of equal length, the departments' scorecard, the five best and the
//! five last ranked (红黑榜), the cases overdue and not signed for in time per
//! department now, and the period's 差评 with their rectification — in the
//! office's register, as text a clerk pastes into a document and as a
//! workbook with a sheet per table.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;

use super::scorecard::{scorecard_in, DepartmentScore, Scorecard};
use crate::auth::Overseer;
use crate::db::rollups::counts;
use crate::db::{self, DbConnection};
use crate::domain::figures::{self, Breakdown, Counts, Definition, Figures, Hundredths, Scope};
use crate::domain::ids::DepartmentId;
use crate::domain::rectification::RectificationState;
use crate::domain::scorecard::{Component, Weights};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;

/// Longest period a bulletin covers, in days: a year, leap or not.
pub const MAX_BULLETIN_DAYS: i64 = 366;

/// Best and last ranked departments named in the 红黑榜.
const BOARD_SIZE: usize = 5;

/// `?from&to&format=text|xlsx`, as given.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletinQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last.
    pub to: Option<String>,
    /// `text` (default) or `xlsx`.
    pub format: Option<String>,
}

/// The form a bulletin is asked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulletinFormat {
    /// Paragraphs to paste into a document.
    Text,
    /// A workbook, a sheet per table.
    Xlsx,
}

/// One department's cases at risk now and its 差评 of the period.
#[derive(Debug, Clone, Default)]
pub struct DepartmentWatch {
    /// Department name.
    pub name: String,
    /// Open cases past their due time, now.
    pub overdue: i64,
    /// Assigned cases not signed for in time, now.
    pub accept_overdue: i64,
    /// 差评 (and unsolved problems) of the period's cases, by rectification state.
    pub rectifications: BTreeMap<&'static str, i64>,
}

/// A built bulletin.
#[derive(Debug, Clone)]
pub struct Bulletin {
    /// The period's first day.
    pub from: NaiveDate,
    /// The day after its last.
    pub to: NaiveDate,
    /// The previous period of equal length.
    pub previous_from: NaiveDate,
    /// The period's figures.
    pub current: Figures,
    /// The previous period's.
    pub previous: Figures,
    /// The scorecard of the period.
    pub scorecard: Scorecard,
    /// Per department (in the scorecard's order, then the rest).
    pub watch: Vec<DepartmentWatch>,
    /// The definition of the figures and the score.
    pub definition_text: String,
    /// Counted at, Beijing time.
    pub as_of: String,
}

fn total(groups: &BTreeMap<String, Counts>) -> Counts {
    groups.values().fold(Counts::default(), |mut sum, c| {
        sum += *c;
        sum
    })
}

/// Builds the bulletin of [`from`, `to`) as of `now`.
pub fn bulletin_in(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
    definition: &Definition,
    weights: &Weights,
) -> Result<Bulletin, AppError> {
    let scope = Scope { from, to, channel: None, department: None };
    let previous_from = from - Duration::days((to - from).num_days());
    let previous_scope = Scope { from: previous_from, to: from, ..scope.clone() };
    let current =
        figures::figures(&total(&counts(conn, &scope, Breakdown::Total, now, now)?), definition, false);
    let previous = figures::figures(
        &total(&counts(conn, &previous_scope, Breakdown::Total, now, now)?),
        definition,
        false,
    );
    let scorecard = scorecard_in(conn, &scope, now, definition, weights)?;
    let names: BTreeMap<i64, String> =
        db::departments::list(conn)?.into_iter().map(|d| (d.id.0, d.name)).collect();
    let mut watch: BTreeMap<Option<DepartmentId>, DepartmentWatch> = BTreeMap::new();
    for (department, (overdue, _)) in db::cases::at_risk(conn, None, None, now, now)? {
        watch.entry(department).or_default().overdue = overdue;
    }
    for (department, late) in db::cases::accept_overdue(conn, None, None, now)? {
        watch.entry(department).or_default().accept_overdue = late;
    }
    let (start, end) = (time::start_of_office_day(from), time::start_of_office_day(to));
    for (department, state, n) in db::cases::rectifications_by_state(conn, start, end)? {
        *watch.entry(department).or_default().rectifications.entry(state.as_str()).or_default() += n;
    }
    // The scorecard's order first, so the tables read alike.
    let order: Vec<Option<DepartmentId>> =
        scorecard.items.iter().map(|item| Some(DepartmentId(item.department_id))).collect();
    let mut rows: Vec<DepartmentWatch> = Vec::new();
    for key in order.iter().chain(watch.keys().filter(|k| !order.contains(k)).collect::<Vec<_>>()) {
        let Some(mut row) = watch.get(key).cloned() else { continue };
        row.name = match key {
            Some(id) => names.get(&id.0).cloned().unwrap_or_else(|| format!("单位 {}", id.0)),
            None => "未交办".to_owned(),
        };
        rows.push(row);
    }
    let definition_text = format!("{}{}", definition.text(), weights.formula_text());
    Ok(Bulletin {
        from,
        to,
        previous_from,
        current,
        previous,
        scorecard,
        watch: rows,
        definition_text,
        as_of: time::to_office(now).format("%Y年%m月%d日 %H:%M").to_string(),
    })
}

fn percent(rate: Option<Hundredths>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{}%", r.text()))
}

fn count_change(current: i64, previous: i64) -> String {
    match current - previous {
        0 => "与上期持平".to_owned(),
        d if d > 0 => format!("较上期增加{d}件"),
        d => format!("较上期减少{}件", -d),
    }
}

fn points_change(current: Option<Hundredths>, previous: Option<Hundredths>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) if c.0 > p.0 => format!("较上期上升{}个百分点", Hundredths(c.0 - p.0).text()),
        (Some(c), Some(p)) if c.0 < p.0 => format!("较上期下降{}个百分点", Hundredths(p.0 - c.0).text()),
        (Some(_), Some(_)) => "与上期持平".to_owned(),
        _ => "上期无可比数据".to_owned(),
    }
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y年%-m月%-d日").to_string()
}

/// The rectification states in the order the bulletin names them.
const RECTIFICATION_WORDS: [(RectificationState, &str); 5] = [
    (RectificationState::Open, "整改中"),
    (RectificationState::Appealed, "申诉待复核"),
    (RectificationState::Rejected, "申诉未获同意待重办"),
    (RectificationState::Done, "已整改"),
    (RectificationState::Upheld, "申诉核减"),
];

fn score_line(item: &DepartmentScore) -> String {
    let part = |name: &str| item.components.get(name).and_then(|c| c.part.rate);
    format!(
        "{}（综合得分{}，按时签收率{}，办结率{}，按时办结率{}，满意率{}，解决率{}，退单{}件）",
        item.name,
        item.score.map_or_else(|| "—".to_owned(), |s| s.text()),
        percent(part(Component::AcceptedOnTimeRate.name())),
        percent(part(Component::CompletionRate.name())),
        percent(part(Component::OnTimeRate.name())),
        percent(part(Component::SatisfactionRate.name())),
        percent(part(Component::ResolutionRate.name())),
        item.returns,
    )
}

impl Bulletin {
    /// The ranked departments, best first.
    fn ranked(&self) -> Vec<&DepartmentScore> {
        self.scorecard.items.iter().filter(|i| i.rank.is_some()).collect()
    }

    /// The 红榜 and the 黑榜: the five best, and the five last of the rest
    /// (a department is never on both), last first.
    pub fn boards(&self) -> (Vec<&DepartmentScore>, Vec<&DepartmentScore>) {
        let ranked = self.ranked();
        let best: Vec<&DepartmentScore> = ranked.iter().take(BOARD_SIZE).copied().collect();
        let rest = &ranked[best.len()..];
        let last: Vec<&DepartmentScore> = rest.iter().rev().take(BOARD_SIZE).copied().collect();
        (best, last)
    }

    /// The bulletin as paragraphs, in the office's register.
    pub fn text(&self) -> String {
        let (c, p) = (&self.current, &self.previous);
        let last_day = self.to.pred_opt().unwrap_or(self.to);
        let previous_last = self.from.pred_opt().unwrap_or(self.from);
        let mut out = vec![
            format!("运行通报（{}至{}）", day_text(self.from), day_text(last_day)),
            format!(
                "一、总体情况。本期共受理群众诉求{}件，{}；办结{}件，办结率{}，{}；按时办结率{}，{}；满意率{}，{}；\
                 按时签收率{}，{}；退单率{}，{}。截至{}，本期受理事项中超期未办结{}件。（上期为{}至{}。）",
                c.received,
                count_change(c.received, p.received),
                c.closed,
                percent(c.completion_rate),
                points_change(c.completion_rate, p.completion_rate),
                percent(c.on_time_rate),
                points_change(c.on_time_rate, p.on_time_rate),
                percent(c.satisfaction_rate),
                points_change(c.satisfaction_rate, p.satisfaction_rate),
                percent(c.accepted_on_time_rate),
                points_change(c.accepted_on_time_rate, p.accepted_on_time_rate),
                percent(c.return_rate),
                points_change(c.return_rate, p.return_rate),
                self.as_of,
                c.overdue_open,
                day_text(self.previous_from),
                day_text(previous_last),
            ),
        ];
        let ranked = self.ranked();
        let unranked: Vec<&str> =
            self.scorecard.items.iter().filter(|i| i.rank.is_none()).map(|i| i.name.as_str()).collect();
        let mut scores = String::from("二、各单位考核情况。");
        if ranked.is_empty() {
            scores.push_str("本期没有受理满5件的单位，不作排名。");
        } else {
            scores.push_str("按综合得分排序：");
            let lines: Vec<String> =
                ranked.iter().map(|i| format!("{}. {}", i.rank.unwrap_or(0), score_line(i))).collect();
            scores.push_str(&lines.join("；"));
            scores.push('。');
        }
        if !unranked.is_empty() {
            scores.push_str(&format!(
                "{}本期受理不足{}件，列出不排名。",
                unranked.join("、"),
                self.scorecard.min_cases_ranked
            ));
        }
        out.push(scores);
        let (best, last) = self.boards();
        let names = |list: &[&DepartmentScore]| {
            if list.is_empty() {
                "无".to_owned()
            } else {
                list.iter().map(|i| i.name.clone()).collect::<Vec<_>>().join("、")
            }
        };
        out.push(format!(
            "三、红黑榜。红榜（综合得分前{BOARD_SIZE}名）：{}；黑榜（综合得分后{BOARD_SIZE}名）：{}。",
            names(&best),
            names(&last)
        ));
        let late: Vec<String> = self
            .watch
            .iter()
            .filter(|w| w.overdue > 0 || w.accept_overdue > 0)
            .map(|w| format!("{}超期未办结{}件、签收超时{}件", w.name, w.overdue, w.accept_overdue))
            .collect();
        out.push(if late.is_empty() {
            format!("四、超期与签收超时。截至{}，没有超期未办结或签收超时的案件。", self.as_of)
        } else {
            format!("四、超期与签收超时。截至{}，{}。请相关单位抓紧办理。", self.as_of, late.join("；"))
        });
        let rectified: Vec<String> = self
            .watch
            .iter()
            .filter(|w| !w.rectifications.is_empty())
            .map(|w| {
                let parts: Vec<String> = RECTIFICATION_WORDS
                    .iter()
                    .filter_map(|(state, word)| {
                        w.rectifications.get(state.as_str()).map(|n| format!("{word}{n}件"))
                    })
                    .collect();
                format!("{}{}件（{}）", w.name, w.rectifications.values().sum::<i64>(), parts.join("，"))
            })
            .collect();
        out.push(format!(
            "五、差评整改。本期受理事项中收到不满意评价{}件，需整改事项：{}。",
            c.unsatisfied,
            if rectified.is_empty() { "无".to_owned() } else { rectified.join("；") }
        ));
        out.push(self.definition_text.clone());
        out.join("\n\n") + "\n"
    }

    /// The bulletin as a workbook: 总体情况, 考核得分, 红黑榜, 超期与签收超时, 差评整改, 口径说明.
    pub fn xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let totals = workbook.add_worksheet().set_name("总体情况")?;
        for (col, header) in ["指标", "本期", "上期"].iter().enumerate() {
            totals.write_string_with_format(0, col as u16, *header, &bold)?;
        }
        let (c, p) = (&self.current, &self.previous);
        let rows: [(&str, Option<f64>, Option<f64>); 9] = [
            ("受理件数", Some(c.received as f64), Some(p.received as f64)),
            ("办结件数", Some(c.closed as f64), Some(p.closed as f64)),
            (
                "办结率（%）",
                c.completion_rate.map(Hundredths::as_f64),
                p.completion_rate.map(Hundredths::as_f64),
            ),
            (
                "按时办结率（%）",
                c.on_time_rate.map(Hundredths::as_f64),
                p.on_time_rate.map(Hundredths::as_f64),
            ),
            (
                "满意率（%）",
                c.satisfaction_rate.map(Hundredths::as_f64),
                p.satisfaction_rate.map(Hundredths::as_f64),
            ),
            (
                "解决率（%）",
                c.resolution_rate.map(Hundredths::as_f64),
                p.resolution_rate.map(Hundredths::as_f64),
            ),
            (
                "按时签收率（%）",
                c.accepted_on_time_rate.map(Hundredths::as_f64),
                p.accepted_on_time_rate.map(Hundredths::as_f64),
            ),
            ("退单率（%）", c.return_rate.map(Hundredths::as_f64), p.return_rate.map(Hundredths::as_f64)),
            ("超期未办结件数", Some(c.overdue_open as f64), Some(p.overdue_open as f64)),
        ];
        for (i, (label, now, before)) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            totals.write_string(row, 0, *label)?;
            for (col, value) in [(1u16, now), (2, before)] {
                match value {
                    Some(v) => totals.write_number(row, col, *v)?,
                    None => totals.write_string(row, col, "—")?,
                };
            }
        }
        totals.set_column_width(0, 20)?;

        let scores = workbook.add_worksheet().set_name("考核得分")?;
        let mut headers = vec!["排名".to_owned(), "单位".to_owned(), "受理".to_owned()];
        for component in Component::ALL {
            headers.push(format!("{}（%）", component.label()));
            headers.push(format!("{} 分子", component.label()));
            headers.push(format!("{} 分母", component.label()));
        }
        headers.extend(["退单件数".to_owned(), "综合得分".to_owned()]);
        for (col, header) in headers.iter().enumerate() {
            scores.write_string_with_format(0, col as u16, header, &bold)?;
        }
        for (i, item) in self.scorecard.items.iter().enumerate() {
            let row = i as u32 + 1;
            match item.rank {
                Some(rank) => scores.write_number(row, 0, rank as f64)?,
                None => scores.write_string(row, 0, "不排名")?,
            };
            scores.write_string(row, 1, &item.name)?;
            scores.write_number(row, 2, item.received as f64)?;
            for (j, component) in Component::ALL.iter().enumerate() {
                let col = 3 + 3 * j as u16;
                if let Some(score) = item.components.get(component.name()) {
                    match score.part.rate {
                        Some(rate) => scores.write_number(row, col, rate.as_f64())?,
                        None => scores.write_string(row, col, "—")?,
                    };
                    scores.write_number(row, col + 1, score.part.numerator as f64)?;
                    scores.write_number(row, col + 2, score.part.denominator as f64)?;
                }
            }
            let col = 3 + 3 * Component::ALL.len() as u16;
            scores.write_number(row, col, item.returns as f64)?;
            match item.score {
                Some(score) => scores.write_number(row, col + 1, score.as_f64())?,
                None => scores.write_string(row, col + 1, "—")?,
            };
        }
        scores.set_column_width(1, 20)?;

        let boards = workbook.add_worksheet().set_name("红黑榜")?;
        for (col, header) in ["榜", "排名", "单位", "综合得分"].iter().enumerate() {
            boards.write_string_with_format(0, col as u16, *header, &bold)?;
        }
        let (best, last) = self.boards();
        let mut row = 1;
        for (board, list) in [("红榜", &best), ("黑榜", &last)] {
            for item in list.iter() {
                boards.write_string(row, 0, board)?;
                boards.write_number(row, 1, item.rank.unwrap_or(0) as f64)?;
                boards.write_string(row, 2, &item.name)?;
                if let Some(score) = item.score {
                    boards.write_number(row, 3, score.as_f64())?;
                }
                row += 1;
            }
        }
        boards.set_column_width(2, 20)?;

        let risk = workbook.add_worksheet().set_name("超期与签收超时")?;
        for (col, header) in ["单位", "超期未办结", "签收超时"].iter().enumerate() {
            risk.write_string_with_format(0, col as u16, *header, &bold)?;
        }
        let mut row = 1;
        for w in self.watch.iter().filter(|w| w.overdue > 0 || w.accept_overdue > 0) {
            risk.write_string(row, 0, &w.name)?;
            risk.write_number(row, 1, w.overdue as f64)?;
            risk.write_number(row, 2, w.accept_overdue as f64)?;
            row += 1;
        }
        risk.write_string(row + 1, 0, format!("截至 {}（北京时间）", self.as_of))?;
        risk.set_column_width(0, 20)?;

        let rect = workbook.add_worksheet().set_name("差评整改")?;
        rect.write_string_with_format(0, 0, "单位", &bold)?;
        for (col, (_, word)) in RECTIFICATION_WORDS.iter().enumerate() {
            rect.write_string_with_format(0, col as u16 + 1, *word, &bold)?;
        }
        rect.write_string_with_format(0, RECTIFICATION_WORDS.len() as u16 + 1, "合计", &bold)?;
        for (row, w) in (1..).zip(self.watch.iter().filter(|w| !w.rectifications.is_empty())) {
            rect.write_string(row, 0, &w.name)?;
            for (col, (state, _)) in RECTIFICATION_WORDS.iter().enumerate() {
                let n = w.rectifications.get(state.as_str()).copied().unwrap_or(0);
                rect.write_number(row, col as u16 + 1, n as f64)?;
            }
            let sum: i64 = w.rectifications.values().sum();
            rect.write_number(row, RECTIFICATION_WORDS.len() as u16 + 1, sum as f64)?;
        }
        rect.set_column_width(0, 20)?;

        let notes = workbook.add_worksheet().set_name("口径说明")?;
        notes.write_string(0, 0, &self.definition_text)?;
        notes.set_column_width(0, 120)?;
        workbook.save_to_buffer()
    }
}

/// Checks `query`: `from` and `to` dates, `to` after `from`, at most
/// [`MAX_BULLETIN_DAYS`] days, `format` text or xlsx.
pub fn parse(query: BulletinQuery) -> Result<(NaiveDate, NaiveDate, BulletinFormat), AppError> {
    let mut errors = FieldErrors::new();
    let mut date = |field: &str, raw: Option<&str>| match raw.map(time::parse_date) {
        None => {
            errors.add(field, Rule::RequiredDate);
            None
        }
        Some(None) => {
            errors.add(field, Rule::Date);
            None
        }
        Some(day) => day,
    };
    let from = date("from", query.from.as_deref());
    let to = date("to", query.to.as_deref());
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            errors.add("to", Rule::ToAfterFrom);
        } else if (to - from).num_days() > MAX_BULLETIN_DAYS {
            errors.add("to", Rule::BulletinTooLong);
        }
    }
    let format = match query.format.as_deref() {
        None | Some("text") => Some(BulletinFormat::Text),
        Some("xlsx") => Some(BulletinFormat::Xlsx),
        Some(_) => {
            errors.add("format", Rule::OneOf(&["text", "xlsx"]));
            None
        }
    };
    match (from, to, format, errors.is_empty()) {
        (Some(from), Some(to), Some(format), true) => Ok((from, to, format)),
        _ => Err(errors.into()),
    }
}

/// A bulletin as asked for.
#[derive(Debug)]
pub enum BulletinFile {
    /// The paragraphs.
    Text(String),
    /// The workbook, with the period for its file name.
    Xlsx(NaiveDate, NaiveDate, Vec<u8>),
}

impl BulletinFile {
    /// The response: text, or a workbook to download.
    pub fn into_response(self) -> actix_web::HttpResponse {
        match self {
            BulletinFile::Text(text) => {
                actix_web::HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text)
            }
            BulletinFile::Xlsx(from, to, bytes) => actix_web::HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    actix_web::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"bulletin-{from}-{to}.xlsx\""),
                ))
                .body(bytes),
        }
    }
}

/// The bulletin `query` asks for (leaders, clerks, admins).
pub async fn bulletin(
    state: &AppState,
    _reader: &Overseer,
    query: BulletinQuery,
) -> Result<BulletinFile, AppError> {
    let (from, to, format) = parse(query)?;
    let definition = state.settings.definition.clone();
    let weights = state.settings.scorecard_weights.clone();
    let now = time::now_utc();
    let built = state.db.read(move |conn| bulletin_in(conn, from, to, now, &definition, &weights)).await?;
    Ok(match format {
        BulletinFormat::Text => BulletinFile::Text(built.text()),
        BulletinFormat::Xlsx => {
            // Zipping the workbook is CPU work: off the async executor.
            let bytes = actix_web::web::block(move || built.xlsx())
                .await?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            BulletinFile::Xlsx(from, to, bytes)
        }
    })
}
