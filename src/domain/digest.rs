//! The leaders' digest (issue 23): an account may ask for the headline
//! figures, the risk board and the 运行通报 by mail, weekly (Monday 08:00
//! Asia/Shanghai, for the week before) or monthly (the 1st at 08:00, for the
//! month before). Which period is due when is decided here; writing each
//! digest exactly once is `digest`'s.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};

use super::time;

/// How often an account gets the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Never (the default).
    None,
    /// Monday 08:00, the Monday-to-Sunday week before.
    Weekly,
    /// The 1st at 08:00, the month before.
    Monthly,
}

/// The hour (office time) a digest goes out.
pub const SEND_AT: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// How long after its hour a digest is still written: a service down for
/// that whole day skips it rather than mail a stale digest days later, and a
/// new subscriber waits for the next one.
pub const WINDOW: Duration = Duration::hours(24);

impl Frequency {
    /// The stored and requested names.
    pub const CODES: &'static [&'static str] = &["none", "weekly", "monthly"];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::None => "none",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<Frequency> {
        match s {
            "none" => Some(Frequency::None),
            "weekly" => Some(Frequency::Weekly),
            "monthly" => Some(Frequency::Monthly),
            _ => None,
        }
    }

    /// Its name in a mail's subject.
    pub fn label(self) -> &'static str {
        match self {
            Frequency::None => "",
            Frequency::Weekly => "运行周报",
            Frequency::Monthly => "运行月报",
        }
    }

    /// The period [from, to) whose digest is due at `now` (UTC): the one
    /// whose sending hour passed less than [`WINDOW`] ago, if any.
    pub fn due_period(self, now: NaiveDateTime) -> Option<(NaiveDate, NaiveDate)> {
        let local = time::to_office(now).naive_local();
        let today = local.date();
        let (from, to) = match self {
            Frequency::None => return None,
            Frequency::Weekly => {
                let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (monday - Duration::days(7), monday)
            }
            Frequency::Monthly => {
                let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
                (first.checked_sub_months(Months::new(1))?, first)
            }
        };
        let sending = to.and_time(SEND_AT);
        (local >= sending && local < sending + WINDOW).then_some((from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        time::parse_instant(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_weekly_digest_is_due_from_monday_eight_for_a_day() {
        let week = Some((day("2026-11-23"), day("2026-11-30")));
        assert_eq!(Frequency::Weekly.due_period(at("2026-11-30T07:59:59+08:00")), None);
        assert_eq!(Frequency::Weekly.due_period(at("2026-11-30T08:00:00+08:00")), week);
        assert_eq!(Frequency::Weekly.due_period(at("2026-12-01T07:59:59+08:00")), week);
        assert_eq!(Frequency::Weekly.due_period(at("2026-12-01T08:00:00+08:00")), None);
        assert_eq!(Frequency::None.due_period(at("2026-11-30T09:00:00+08:00")), None);
    }

    #[test]
    fn a_monthly_digest_covers_the_month_before() {
        let november = Some((day("2026-11-01"), day("2026-12-01")));
        assert_eq!(Frequency::Monthly.due_period(at("2026-12-01T08:00:00+08:00")), november);
        // 00:30 on the 1st in Beijing is still the 30th in UTC: office time decides.
        assert_eq!(Frequency::Monthly.due_period(at("2026-12-01T00:30:00+08:00")), None);
        assert_eq!(
            Frequency::Monthly.due_period(at("2027-01-01T10:00:00+08:00")),
            Some((day("2026-12-01"), day("2027-01-01")))
        );
        assert_eq!(Frequency::Monthly.due_period(at("2026-12-02T10:00:00+08:00")), None);
    }

    #[test]
    fn names_round_trip() {
        for code in Frequency::CODES {
            assert_eq!(Frequency::parse(code).map(Frequency::as_str), Some(*code));
        }
        assert_eq!(Frequency::parse("daily"), None);
    }
}
