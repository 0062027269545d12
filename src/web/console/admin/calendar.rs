//! `/console/admin/calendar/{year}`: the working-day calendar of one year as
//! twelve month tables (Monday first), holidays marked 休 and make-up working
//! days 班 in text, not colour alone; a form to add an exception and a button
//! to remove each one.
//!
//! The office enters a new year (2027 now) from the State Council's notice
//! one day at a time here, or all at once with `PUT /api/v1/calendar/2027`.
//! Both go through `service::calendar::edit_year`: the page reads the stored
//! year, adds or removes one entry and writes the year back, in one
//! transaction, with the API's checks (a date of that year, listed once; a
//! make-up working day on a weekend; a note).

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate, Weekday};

use super::{done, layout, notice_of, refusal, refused_page, ConflictShown, Fields, FormState};
use crate::auth::Admin;
use crate::db::models::CalendarDay;
use crate::domain::time;
use crate::error::AppError;
use crate::service::calendar;
use crate::service::calendar::{check_year, edit_year, DayInput};
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::html;
use crate::web::layout::Layout;
use crate::web::session::Page;

const NOTICES: [(&str, &str); 2] = [
    ("added", "已添加。此后计算的办理期限按新的安排。"),
    ("removed", "已删除。此后计算的办理期限按新的安排。"),
];

/// This year, Beijing time.
pub fn this_year() -> i32 {
    time::office_date(time::now_utc()).year()
}

/// One day of a month table.
pub struct Cell {
    /// Day of the month.
    day: u32,
    /// `YYYY-MM-DD`.
    date: String,
    /// 休 (holiday), 班 (make-up working day), or none.
    mark: &'static str,
    /// The exception's note.
    note: String,
    /// Saturday or Sunday.
    weekend: bool,
}

/// One month: its weeks, Monday first, `None` outside the month.
pub struct Month {
    /// 1 to 12.
    number: u32,
    /// Weeks of seven cells.
    weeks: Vec<Vec<Option<Cell>>>,
}

/// The twelve months of a year with its exceptions marked.
fn months(year: i32, days: &[CalendarDay]) -> Vec<Month> {
    let by_date: BTreeMap<NaiveDate, &CalendarDay> = days.iter().map(|d| (d.day, d)).collect();
    (1..=12)
        .filter_map(|number| {
            let first = NaiveDate::from_ymd_opt(year, number, 1)?;
            let mut weeks = Vec::new();
            let mut week: Vec<Option<Cell>> =
                (0..first.weekday().num_days_from_monday()).map(|_| None).collect();
            let mut date = first;
            while date.month() == number {
                let exception = by_date.get(&date);
                week.push(Some(Cell {
                    day: date.day(),
                    date: date.to_string(),
                    mark: match exception {
                        Some(d) if d.is_workday => "班",
                        Some(_) => "休",
                        None => "",
                    },
                    note: exception.map(|d| d.note.clone()).unwrap_or_default(),
                    weekend: matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                }));
                if week.len() == 7 {
                    weeks.push(std::mem::take(&mut week));
                }
                date = date.succ_opt()?;
            }
            if !week.is_empty() {
                week.resize_with(7, || None);
                weeks.push(week);
            }
            Some(Month { number, weeks })
        })
        .collect()
}

/// One exception as the list shows it.
pub struct Entry {
    date: String,
    weekday: &'static str,
    is_workday: bool,
    note: String,
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

#[derive(Template)]
#[template(path = "console/admin/calendar.html")]
struct YearPage {
    layout: Layout,
    year: i32,
    months: Vec<Month>,
    entries: Vec<Entry>,
    holidays: usize,
    workdays: usize,
    weekdays: [&'static str; 7],
    date_hint: String,
    form: FormState,
    notice: Option<&'static str>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    year: i32,
    form: FormState,
) -> Result<YearPage, PageError> {
    let admin = super::admin_of(session)?;
    let days = calendar::year(state, &admin.0, year).await?;
    Ok(YearPage {
        layout: layout(req, state, session, &format!("{year} 年节假日安排")),
        year,
        months: months(year, &days),
        holidays: days.iter().filter(|d| !d.is_workday).count(),
        workdays: days.iter().filter(|d| d.is_workday).count(),
        entries: days
            .iter()
            .map(|d| Entry {
                date: d.day.to_string(),
                weekday: WEEKDAYS[d.day.weekday().num_days_from_monday() as usize],
                is_workday: d.is_workday,
                note: d.note.clone(),
            })
            .collect(),
        weekdays: WEEKDAYS,
        date_hint: format!("{year} 年内的日期，例如 {year}-10-01"),
        form,
        notice: notice_of(req, &NOTICES),
    })
}

/// A year in the path the calendar can hold, or the 404 page.
fn year_of(raw: i32) -> Result<i32, PageError> {
    check_year(raw).map_err(|_| AppError::not_found("year"))?;
    Ok(raw)
}

/// `GET /console/admin/calendar`: this year's.
pub async fn current(_page: Page<Admin>) -> Result<HttpResponse, PageError> {
    let to = format!("/console/admin/calendar/{}", this_year());
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, to)).finish())
}

/// `GET /console/admin/calendar/{year}`.
pub async fn year(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
    path: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let year = year_of(path.into_inner())?;
    html(&page(&req, &state, &session, year, FormState::default()).await?)
}

/// The add form's field an error of the new (last) entry names: `[i].date` → `date`.
fn form_field(member: &str) -> String {
    member.rsplit_once('.').map_or(member, |(_, name)| name).to_owned()
}

/// `POST /console/admin/calendar/{year}/{change}`: `add` (date, is_workday,
/// note) or `remove` (date).
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<(i32, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_year, which) = path.into_inner();
    let year = year_of(raw_year)?;
    let date = fields.value("date");
    let outcome = match which.as_str() {
        "add" => {
            let added = DayInput {
                date: date.clone(),
                is_workday: fields.get("is_workday") == Some("true"),
                note: fields.value("note"),
            };
            edit_year(&state, &admin, year, move |mut days| {
                days.push(added);
                days
            })
            .await
        }
        "remove" => {
            let stored = calendar::year(&state, &admin.0, year).await?;
            if !stored.iter().any(|d| d.day.to_string() == date) {
                return Err(AppError::not_found("calendar entry").into());
            }
            edit_year(&state, &admin, year, move |days| days.into_iter().filter(|d| d.date != date).collect())
                .await
        }
        _ => return Err(AppError::not_found("page").into()),
    };
    match outcome {
        Ok(_) => Ok(done(
            &format!("/console/admin/calendar/{year}"),
            if which == "add" { "added" } else { "removed" },
        )),
        Err(error) => {
            let unused = ConflictShown { field: "date", text: String::new() };
            let shown = refusal(&which, fields, error, form_field, unused)?;
            refused_page(&page(&req, &state, &session, year, shown).await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_twelve_month_tables_monday_first() {
        let day = |m, d, is_workday| CalendarDay {
            day: NaiveDate::from_ymd_opt(2027, m, d).unwrap(),
            is_workday,
            note: "春节".into(),
        };
        let grid = months(2027, &[day(2, 6, false), day(2, 20, true)]);
        assert_eq!(grid.len(), 12);
        // 1 February 2027 is a Monday: the first cell of the month's first week.
        let february = &grid[1];
        assert_eq!(february.weeks[0][0].as_ref().map(|c| c.day), Some(1));
        // 1 January 2027 is a Friday: four empty cells before it.
        assert!(grid[0].weeks[0][..4].iter().all(Option::is_none));
        assert_eq!(grid[0].weeks[0][4].as_ref().map(|c| c.day), Some(1));
        let cells: Vec<&Cell> = grid.iter().flat_map(|m| m.weeks.iter().flatten().flatten()).collect();
        assert_eq!(cells.len(), 365);
        assert!(grid.iter().all(|m| m.weeks.iter().all(|w| w.len() == 7)));
        let mark = |date: &str| cells.iter().find(|c| c.date == date).map(|c| c.mark).unwrap();
        assert_eq!(mark("2027-02-06"), "休");
        assert_eq!(mark("2027-02-20"), "班");
        assert_eq!(mark("2027-02-21"), "");
        assert!(cells.iter().find(|c| c.date == "2027-02-20").unwrap().weekend);
        assert_eq!(form_field("[3].date"), "date");
    }
}
