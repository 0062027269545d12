//! Working days and time limits (DESIGN.md "Working-day calendar").
//!
//! A day is a working day if it is Monday to Friday, unless the calendar's
//! exceptions say otherwise: public holidays are exceptions that are not
//! working days, and make-up working days (调休) are weekend days that are.
//! A year without exceptions is plain weekends.
//!
//! As in Chinese law the day of receipt is not counted: a limit of N working
//! days ends on the Nth working day after it; a limit of N calendar days or
//! months ends N days or months after it (a month-end clamps, Jan 31 + 1 month
//! = Feb 28/29) and, if that is not a working day, on the next working day.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use super::time;

/// The working-day calendar: weekends plus exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    exceptions: BTreeMap<NaiveDate, bool>,
}

/// Upper bound on days stepped in one calculation, so that a calendar
/// without any working day can never loop for ever.
const MAX_STEPS: u64 = 20_000;

impl Calendar {
    /// A calendar with these exceptions (date, is_workday).
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Calendar {
        Calendar { exceptions: exceptions.into_iter().collect() }
    }

    /// Whether `day` is a working day.
    pub fn is_workday(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(is_workday) => *is_workday,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whether any exception falls on a day in `first..=last`.
    fn has_exception_in(&self, first: NaiveDate, last: NaiveDate) -> bool {
        self.exceptions.range(first..=last).next().is_some()
    }

    /// The `n`th working day after `from` (`from` itself is not counted; `n = 0` gives `from`).
    pub fn add_workdays(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut remaining = n;
        let mut steps = 0;
        while remaining > 0 && steps < MAX_STEPS {
            // Any seven days without exceptions hold exactly five working
            // days; while more than five remain, the target lies beyond them.
            let week_end = day + Days::new(7);
            if remaining > 5 && !self.has_exception_in(day + Days::new(1), week_end) {
                day = week_end;
                remaining -= 5;
            } else {
                day = day.succ_opt().unwrap_or(day);
                if self.is_workday(day) {
                    remaining -= 1;
                }
            }
            steps += 1;
        }
        day
    }

    /// `day` if it is a working day, else the next working day.
    pub fn on_or_next_workday(&self, day: NaiveDate) -> NaiveDate {
        let mut day = day;
        let mut steps = 0;
        while !self.is_workday(day) && steps < MAX_STEPS {
            day = day.succ_opt().unwrap_or(day);
            steps += 1;
        }
        day
    }

    /// Working days `d` with `from < d <= to`; negative (counting `to < d <= from`) when `to` is earlier.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.workdays_between(to, from);
        }
        let days = (to - from).num_days();
        // Whole weeks hold five weekdays each; the rest is at most six days.
        let mut count = days / 7 * 5;
        let tail_start = from + Days::new((days / 7 * 7) as u64);
        count += tail_start
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .count() as i64;
        // Then the exceptions in the range, where they differ from the week.
        if let Some(first) = from.succ_opt().filter(|first| *first <= to) {
            for (day, is_workday) in self.exceptions.range(first..=to) {
                let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                count += i64::from(*is_workday) - i64::from(weekday);
            }
        }
        count
    }

    /// Working days `d` with `from <= d < to`: how long a pause from the day
    /// `from` until the day `to` kept the clock stopped.
    pub fn workdays_in(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days().take_while(|d| *d < to).filter(|d| self.is_workday(*d)).count() as i64
    }
}

/// The calendar and the time an operation happens at: what deadlines and
/// handling times are computed against.
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    /// The working-day calendar.
    pub calendar: &'a Calendar,
    /// Now (stored form).
    pub now: NaiveDateTime,
}

/// The unit a time limit counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Working days (工作日).
    Workday,
    /// Calendar days (自然日), ending on a working day.
    CalendarDay,
    /// Calendar months, ending on a working day.
    Month,
}

impl LimitUnit {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitUnit::Workday => "workday",
            LimitUnit::CalendarDay => "calendar_day",
            LimitUnit::Month => "month",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<LimitUnit> {
        [LimitUnit::Workday, LimitUnit::CalendarDay, LimitUnit::Month].into_iter().find(|u| u.as_str() == s)
    }
}

/// A time limit: an amount and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimit {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: LimitUnit,
}

impl TimeLimit {
    /// A limit as stored: an amount and a unit, both present, the amount not negative.
    pub fn stored(amount: Option<i32>, unit: Option<LimitUnit>) -> Option<TimeLimit> {
        Some(TimeLimit { amount: u32::try_from(amount?).ok()?, unit: unit? })
    }

    /// The due day of a case received on `receipt_day`.
    pub fn due_day(self, calendar: &Calendar, receipt_day: NaiveDate) -> NaiveDate {
        match self.unit {
            LimitUnit::Workday => calendar.add_workdays(receipt_day, self.amount),
            LimitUnit::CalendarDay => calendar.on_or_next_workday(
                receipt_day.checked_add_days(Days::new(u64::from(self.amount))).unwrap_or(receipt_day),
            ),
            LimitUnit::Month => calendar.on_or_next_workday(
                receipt_day.checked_add_months(Months::new(self.amount)).unwrap_or(receipt_day),
            ),
        }
    }
}

/// The end of a due day, 23:59:59 in Asia/Shanghai, in stored (UTC) form.
pub fn end_of_day(day: NaiveDate) -> NaiveDateTime {
    let end = NaiveTime::from_hms_opt(23, 59, 59).expect("valid time");
    time::to_storage(
        day.and_time(end).and_local_timezone(time::office_offset()).single().expect("fixed offset"),
    )
}

/// Parses the shared `date,is_workday,note` CSV (header line first).
pub fn parse_csv(text: &str) -> Result<Vec<(NaiveDate, bool, String)>, String> {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let mut fields = line.splitn(3, ',');
            let (Some(date), Some(flag), Some(note)) = (fields.next(), fields.next(), fields.next()) else {
                return Err(format!("line {}: expected date,is_workday,note", i + 2));
            };
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|e| format!("line {}: {e}", i + 2))?;
            let is_workday = match flag.trim() {
                "1" => true,
                "0" => false,
                other => return Err(format!("line {}: is_workday must be 0 or 1, got {other}", i + 2)),
            };
            Ok((date, is_workday, note.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SCHEDULE: &str = include_str!("../../migrations/seed/cn-holidays.csv");

    fn schedule() -> Vec<(NaiveDate, bool, String)> {
        parse_csv(SCHEDULE).unwrap()
    }

    fn calendar() -> Calendar {
        Calendar::new(schedule().into_iter().map(|(d, w, _)| (d, w)))
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// An independent reading of the schedule, day by day.
    fn reference_is_workday(table: &HashMap<NaiveDate, bool>, day: NaiveDate) -> bool {
        table.get(&day).copied().unwrap_or(day.weekday().number_from_monday() <= 5)
    }

    #[test]
    fn the_schedule_has_every_year_and_make_up_days_fall_on_weekends() {
        let rows = schedule();
        for year in 2024..=2026 {
            assert!(rows.iter().any(|(d, _, _)| d.year() == year), "{year}");
        }
        for (day, is_workday, note) in &rows {
            if *is_workday {
                assert!(matches!(day.weekday(), Weekday::Sat | Weekday::Sun), "{day} {note}");
            }
        }
    }

    #[test]
    fn every_day_of_2024_to_2026_is_classified_as_the_schedule_says() {
        let table: HashMap<NaiveDate, bool> = schedule().into_iter().map(|(d, w, _)| (d, w)).collect();
        let cal = calendar();
        for day in d("2024-01-01").iter_days().take_while(|day| day.year() <= 2026) {
            assert_eq!(cal.is_workday(day), reference_is_workday(&table, day), "{day}");
        }
        assert!(!cal.is_workday(d("2024-10-01")));
        assert!(cal.is_workday(d("2024-10-12")), "a make-up Saturday");
        assert!(!cal.is_workday(d("2024-10-13")), "an ordinary Sunday");
    }

    #[test]
    fn adding_working_days_matches_counting_by_hand_around_every_holiday() {
        let table: HashMap<NaiveDate, bool> = schedule().into_iter().map(|(d, w, _)| (d, w)).collect();
        let cal = calendar();
        let mut starts: Vec<NaiveDate> = Vec::new();
        for (day, _, _) in schedule() {
            for offset in 0..=10u64 {
                starts.push(day - Days::new(offset));
                starts.push(day + Days::new(offset));
            }
        }
        for start in starts {
            for n in 0..=30u32 {
                let mut day = start;
                let mut counted = 0;
                while counted < n {
                    day = day.succ_opt().unwrap();
                    if reference_is_workday(&table, day) {
                        counted += 1;
                    }
                }
                assert_eq!(cal.add_workdays(start, n), day, "{start} + {n}");
                assert_eq!(cal.workdays_between(start, day), i64::from(n), "{start}..{day}");
            }
        }
    }

    #[test]
    fn long_spans_count_the_same_as_day_by_day() {
        let table: HashMap<NaiveDate, bool> = schedule().into_iter().map(|(d, w, _)| (d, w)).collect();
        let cal = calendar();
        for start in ["2023-12-25", "2024-02-09", "2024-09-30", "2025-06-14"] {
            let from = d(start);
            let mut count = 0;
            for (i, day) in from.iter_days().skip(1).take(900).enumerate() {
                count += i64::from(reference_is_workday(&table, day));
                if i % 37 == 0 {
                    assert_eq!(cal.workdays_between(from, day), count, "{from}..{day}");
                    assert_eq!(cal.workdays_between(day, from), -count);
                }
            }
            assert_eq!(cal.add_workdays(from, 400), cal.add_workdays(cal.add_workdays(from, 150), 250));
        }
    }

    fn workdays(n: u32) -> TimeLimit {
        TimeLimit { amount: n, unit: LimitUnit::Workday }
    }

    #[test]
    fn fifteen_working_days_from_before_national_day_count_the_make_up_saturday() {
        // Sep 29 (make-up Sunday) and Oct 12 (make-up Saturday) count; Oct 1–7 do not.
        assert_eq!(workdays(15).due_day(&calendar(), d("2024-09-27")), d("2024-10-23"));
    }

    #[test]
    fn receipt_on_a_holiday_or_a_make_up_day_is_not_counted() {
        let cal = calendar();
        assert_eq!(workdays(15).due_day(&cal, d("2024-10-01")), d("2024-10-25"));
        assert_eq!(workdays(1).due_day(&cal, d("2024-10-12")), d("2024-10-14"));
        assert_eq!(workdays(15).due_day(&cal, d("2024-10-12")), d("2024-11-01"));
        assert_eq!(
            workdays(20).due_day(&cal, d("2025-01-27")),
            d("2025-03-03"),
            "across Spring Festival 2025 and its make-up Saturday"
        );
    }

    #[test]
    fn calendar_day_and_month_limits_ending_on_a_holiday_roll_forward() {
        let cal = calendar();
        let days = |n| TimeLimit { amount: n, unit: LimitUnit::CalendarDay };
        let months = |n| TimeLimit { amount: n, unit: LimitUnit::Month };
        assert_eq!(days(10).due_day(&cal, d("2024-09-21")), d("2024-10-08"));
        assert_eq!(days(10).due_day(&cal, d("2024-09-20")), d("2024-09-30"));
        assert_eq!(months(3).due_day(&cal, d("2024-07-01")), d("2024-10-08"));
        assert_eq!(months(3).due_day(&cal, d("2024-11-04")), d("2025-02-05"), "Spring Festival 2025");
        assert_eq!(months(3).due_day(&cal, d("2026-07-05")), d("2026-10-08"), "National Day 2026");
        assert_eq!(months(1).due_day(&cal, d("2024-01-31")), d("2024-02-29"), "month-end clamps (leap year)");
        assert_eq!(months(1).due_day(&cal, d("2025-01-31")), d("2025-02-28"), "month-end clamps");
        assert_eq!(months(1).due_day(&cal, d("2025-12-31")), d("2026-02-02"), "Jan 31 2026 is a Saturday");
    }

    #[test]
    fn a_year_without_exceptions_is_plain_weekends() {
        let cal = calendar();
        assert!(
            cal.is_workday(d("2027-10-01")),
            "no schedule for 2027: National Day is a Friday like any other"
        );
        assert_eq!(workdays(5).due_day(&cal, d("2027-01-01")), d("2027-01-08"));
    }

    #[test]
    fn pauses_count_the_working_days_from_the_first_day_to_the_day_before_resuming() {
        let cal = calendar();
        assert_eq!(cal.workdays_in(d("2024-09-30"), d("2024-10-09")), 2, "Sep 30 and Oct 8");
        assert_eq!(cal.workdays_in(d("2024-10-09"), d("2024-10-09")), 0);
        assert_eq!(cal.workdays_between(d("2024-10-23"), d("2024-10-21")), -2);
    }

    #[test]
    fn due_days_end_at_midnight_beijing_time() {
        assert_eq!(end_of_day(d("2024-10-23")).to_string(), "2024-10-23 15:59:59");
    }

    #[test]
    fn malformed_csv_lines_are_reported() {
        assert!(parse_csv("date,is_workday,note\n2024-13-01,0,x\n").is_err());
        assert!(parse_csv("date,is_workday,note\n2024-01-01,2,x\n").is_err());
        assert_eq!(parse_csv("date,is_workday,note\n2024-01-01,0,元旦\n").unwrap().len(), 1);
    }
}
