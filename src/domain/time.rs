//! Time as the office sees it. Instants are stored as UTC `NaiveDateTime`
//! (the MultiConnection backend has no timestamptz); days, deadlines and report periods are days of
//! Asia/Shanghai. China has kept UTC+8 without daylight saving since 1991, so a
//! fixed offset is exact for every date casedesk handles and needs no tz database.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound, Utc};

/// Asia/Shanghai's offset from UTC: eight hours.
pub fn office_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Now, truncated to microseconds so that both backends store the same value
/// (SQLite would keep nanoseconds, PostgreSQL keeps microseconds).
pub fn now_utc() -> NaiveDateTime {
    to_storage(Utc::now())
}

/// An instant in any zone, as stored: UTC, microsecond precision.
pub fn to_storage<Tz: chrono::TimeZone>(at: DateTime<Tz>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(6)
}

/// A stored instant as the office's local time, for the API (RFC 3339 with +08:00).
pub fn to_office(at: NaiveDateTime) -> DateTime<FixedOffset> {
    at.and_utc().with_timezone(&office_offset())
}

/// The office's calendar day of a stored instant.
pub fn office_date(at: NaiveDateTime) -> NaiveDate {
    to_office(at).date_naive()
}

/// The first instant (stored form) of an office calendar day.
pub fn start_of_office_day(day: NaiveDate) -> NaiveDateTime {
    to_storage(
        day.and_time(NaiveTime::MIN)
            .and_local_timezone(office_offset())
            .single()
            .expect("a fixed offset has no gaps"),
    )
}

/// Years a date from outside may name. Both backends store far wider ranges,
/// but PostgreSQL's ends before chrono's, and a date outside these years is a
/// typing error in a county office, never a real case, filter or report.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Parses a calendar date written `YYYY-MM-DD` (four-digit year, within
/// [`SUPPORTED_YEARS`]).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let well_formed = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !well_formed {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|d| SUPPORTED_YEARS.contains(&d.year()))
}

/// Parses an instant given as RFC 3339 (any offset) or, for convenience in
/// filters, as a plain date meaning the start of that office day; either
/// within [`SUPPORTED_YEARS`].
pub fn parse_instant(s: &str) -> Option<NaiveDateTime> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        let at = to_storage(at);
        return SUPPORTED_YEARS.contains(&at.year()).then_some(at);
    }
    parse_date(s).map(start_of_office_day)
}

/// Serde helpers that write stored instants as RFC 3339 in the office's zone.
pub mod serde_office {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    /// Serialises a stored UTC instant as RFC 3339 with +08:00.
    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_office(*at).to_rfc3339())
    }

    /// The same for optional instants (`null` when absent).
    pub mod option {
        use chrono::NaiveDateTime;
        use serde::Serializer;

        /// Serialises an optional stored UTC instant.
        pub fn serialize<S: Serializer>(at: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_day_starts_at_utc_sixteen_hundred_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        assert_eq!(start_of_office_day(day).to_string(), "2023-12-31 16:00:00");
        assert_eq!(office_date(start_of_office_day(day)), day);
    }

    #[test]
    fn instants_parse_with_any_offset_and_dates_as_office_midnight() {
        let a = parse_instant("2024-03-01T08:00:00+08:00").unwrap();
        let b = parse_instant("2024-03-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_instant("2024-03-01").unwrap().to_string(), "2024-02-29 16:00:00");
        assert_eq!(parse_instant("2024-02-30"), None);
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn dates_outside_the_supported_years_are_refused_not_panicked_on() {
        for s in [
            "-262143-01-01",
            "+262142-12-31",
            "0001-01-01",
            "1899-12-31",
            "10000-01-01",
            "2024-1-5",
            "2024-01-05x",
            "-5000-01-01T00:00:00Z",
            "0001-01-01T00:00:00+08:00",
        ] {
            assert_eq!(parse_instant(s), None, "{s}");
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(parse_date("1900-01-01"), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(parse_date("9999-12-31"), NaiveDate::from_ymd_opt(9999, 12, 31));
        assert!(parse_instant("9999-12-31T23:59:59+08:00").is_some());
    }

    #[test]
    fn stored_instants_keep_microseconds_only() {
        let at = DateTime::parse_from_rfc3339("2024-03-01T08:00:00.123456789+08:00").unwrap();
        assert_eq!(to_storage(at).to_string(), "2024-03-01 00:00:00.123456");
        assert_eq!(to_office(to_storage(at)).to_rfc3339(), "2024-03-01T08:00:00.123456+08:00");
    }
}
