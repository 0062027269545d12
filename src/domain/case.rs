//! A stored case as the rules see it: the facts its deadline, its figures
//! and its next action depend on, in domain types. `db` builds them from a
//! row ([`crate::db::models::Case::facts`]); everything here is pure.

use chrono::{NaiveDate, NaiveDateTime};

use super::calendar::{end_of_day, Calendar, TimeLimit};
use super::callback::CallbackRecord;
use super::ids::{CaseId, DepartmentId};
use super::lifecycle::CaseState;
use super::rating::Rating;
use super::rectification::Rectification;
use super::time;

/// What the rules read of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    pub id: CaseId,
    /// Its channel's code.
    pub channel: &'a str,
    /// Where it stands.
    pub state: CaseState,
    /// The department it is with.
    pub department_id: Option<DepartmentId>,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// The end of its due day.
    pub due_at: Option<NaiveDateTime>,
    /// When it was (last) closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Since when its clock is paused.
    pub suspended_at: Option<NaiveDateTime>,
    /// Whether its clock is paused.
    pub suspended: bool,
    /// The time limit it was registered under.
    pub time_limit: Option<TimeLimit>,
    /// The largest total extension it was registered under.
    pub extension_limit: Option<TimeLimit>,
    /// Working days granted by approved extensions.
    pub extended_workdays: i32,
    /// Working days the clock stood still in finished pauses.
    pub paused_workdays: i32,
    /// Working days asked for by an extension request waiting for a decision.
    pub pending_extension_days: Option<i32>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// How often it was supervised (督办).
    pub supervision_count: i32,
    /// The department's reply.
    pub reply: Option<&'a str>,
    /// Seconds from receipt to (last) closure, while closed.
    pub handling_seconds: Option<i64>,
    /// Working days from receipt to (last) closure, while closed.
    pub handling_workdays: Option<i32>,
    /// The rating in force.
    pub rating: Option<Rating>,
    /// The result rating in force (two-dimension channels).
    pub result_rating: Option<Rating>,
    /// 是否解决 with the rating in force.
    pub resolved: Option<bool>,
    /// Whether the citizen left a phone number to call back.
    pub has_phone: bool,
    /// The last closure's callback.
    pub callback: Option<CallbackRecord>,
    /// The 差评整改 of the rating in force (or of an earlier one, kept as done).
    pub rectification: Option<Rectification>,
    /// Whether the rating in force is 核减: out of every figure.
    pub rating_excluded: bool,
    /// Whether the citizen agreed that the letter and reply may be published.
    pub is_public: bool,
    /// Whether a clerk approved it for publication.
    pub published: bool,
}

/// The due date of a case received at `received_at` under `time_limit`.
pub fn initial_due(calendar: &Calendar, time_limit: TimeLimit, received_at: NaiveDateTime) -> NaiveDateTime {
    end_of_day(time_limit.due_day(calendar, time::office_date(received_at)))
}

impl CaseFacts<'_> {
    /// What its deadline figures depend on.
    pub fn clock(&self) -> CaseClock {
        CaseClock {
            state: self.state,
            due_at: self.due_at,
            suspended: self.suspended,
            suspended_at: self.suspended_at,
        }
    }

    /// The office day it is due (the day of its `due_at` in Beijing).
    pub fn due_day(&self) -> Option<NaiveDate> {
        self.due_at.map(time::office_date)
    }

    /// The latest due day extensions may reach: the extension limit counted
    /// from the original due day, moved on by the working days it was paused.
    pub fn latest_due_day(&self, calendar: &Calendar) -> Option<NaiveDate> {
        let original = self.time_limit?.due_day(calendar, time::office_date(self.received_at));
        let latest = self.extension_limit?.due_day(calendar, original);
        Some(calendar.add_workdays(latest, u32::try_from(self.paused_workdays).unwrap_or(0)))
    }

    /// Working days that may still be asked for by extension requests; 0 once closed.
    pub fn extension_allowance(&self, calendar: &Calendar) -> i64 {
        if !self.state.is_open() {
            return 0;
        }
        match (self.due_day(), self.latest_due_day(calendar)) {
            (Some(due), Some(latest)) => calendar.workdays_between(due, latest).max(0),
            _ => 0,
        }
    }
}

/// What a case's deadline figures depend on, for whole cases and list
/// summaries alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseClock {
    /// Where it stands.
    pub state: CaseState,
    /// The end of its due day.
    pub due_at: Option<NaiveDateTime>,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Since when.
    pub suspended_at: Option<NaiveDateTime>,
}

impl CaseClock {
    /// Working days from today (not counted) to the due day (counted): 0 on
    /// the due day, negative once overdue. A suspended case's clock stands
    /// still, so it keeps what it had on the day it was suspended. `None` for
    /// closed or invalid cases and cases without a due date.
    pub fn remaining_workdays(&self, calendar: &Calendar, now: NaiveDateTime) -> Option<i64> {
        if !self.state.is_open() {
            return None;
        }
        let stopped_at = if self.suspended { self.suspended_at.unwrap_or(now) } else { now };
        Some(calendar.workdays_between(time::office_date(stopped_at), time::office_date(self.due_at?)))
    }

    /// Whether an open case has passed its due time. A suspended case's clock
    /// is stopped, so it is not overdue while suspended.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        self.state.is_open() && !self.suspended && self.due_at.is_some_and(|due| due < now)
    }
}

/// How long a case took from receipt to closure: seconds, and working days
/// from the day of receipt (not counted) to the day of closure. Fixed when a
/// case closes (an action, an import, or the backfill of older cases), so
/// that the figures sum integers.
pub fn handling_time(
    calendar: &Calendar,
    received_at: NaiveDateTime,
    closed_at: NaiveDateTime,
) -> (i64, i32) {
    let workdays =
        calendar.workdays_between(time::office_date(received_at), time::office_date(closed_at)).max(0);
    ((closed_at - received_at).num_seconds().max(0), workdays as i32)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::calendar::LimitUnit;

    /// A processing mailbox case received on Monday 2024-06-03 at 10:00,
    /// due 15 working days later (Tuesday 2024-06-25: the Dragon Boat
    /// holiday of 2024-06-10 is in the calendar of [`calendar`]).
    pub fn facts() -> CaseFacts<'static> {
        let received_at = time::parse_instant("2024-06-03T10:00:00+08:00").unwrap();
        let limit = TimeLimit { amount: 15, unit: LimitUnit::Workday };
        CaseFacts {
            id: CaseId(7),
            channel: "mailbox",
            state: CaseState::Processing,
            department_id: Some(DepartmentId(3)),
            received_at,
            due_at: Some(initial_due(&calendar(), limit, received_at)),
            closed_at: None,
            suspended_at: None,
            suspended: false,
            time_limit: Some(limit),
            extension_limit: Some(limit),
            extended_workdays: 0,
            paused_workdays: 0,
            pending_extension_days: None,
            reopen_count: 0,
            supervision_count: 0,
            reply: None,
            handling_seconds: None,
            handling_workdays: None,
            rating: None,
            result_rating: None,
            resolved: None,
            has_phone: true,
            callback: None,
            rectification: None,
            rating_excluded: false,
            is_public: false,
            published: false,
        }
    }

    /// Weekends plus the Dragon Boat holiday of 2024 (Monday 2024-06-10).
    pub fn calendar() -> Calendar {
        Calendar::new([(NaiveDate::from_ymd_opt(2024, 6, 10).unwrap(), false)])
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_due_day_skips_weekends_and_holidays() {
        assert_eq!(facts().due_day(), Some(day("2024-06-25")));
    }

    #[test]
    fn extensions_may_reach_the_limit_counted_from_the_original_due_day() {
        let case = facts();
        assert_eq!(case.latest_due_day(&calendar()), Some(day("2024-07-16")));
        assert_eq!(case.extension_allowance(&calendar()), 15);
        let paused = CaseFacts { paused_workdays: 2, ..case };
        assert_eq!(paused.latest_due_day(&calendar()), Some(day("2024-07-18")));
        assert_eq!(CaseFacts { state: CaseState::Closed, ..case }.extension_allowance(&calendar()), 0);
    }

    #[test]
    fn a_suspended_clock_stands_still_and_is_never_overdue() {
        let case = facts();
        let after_due = time::parse_instant("2024-07-01T09:00:00+08:00").unwrap();
        assert!(case.clock().is_overdue(after_due));
        assert_eq!(case.clock().remaining_workdays(&calendar(), after_due), Some(-4));
        let suspended_at = time::parse_instant("2024-06-20T09:00:00+08:00").unwrap();
        let paused = CaseFacts { suspended: true, suspended_at: Some(suspended_at), ..case };
        assert!(!paused.clock().is_overdue(after_due));
        assert_eq!(paused.clock().remaining_workdays(&calendar(), after_due), Some(3));
        let closed = CaseFacts { state: CaseState::Closed, ..case };
        assert_eq!(closed.clock().remaining_workdays(&calendar(), after_due), None);
        assert!(!closed.clock().is_overdue(after_due));
    }
}
