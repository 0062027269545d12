//! Registering a case: validating what the clerk (or citizen) submitted,
//! tracking numbers and query codes.

use chrono::{Datelike, NaiveDateTime};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::citizen::{Citizen, CitizenInput};
use super::time;
use super::validation::{optional_text, text_in_range, FieldErrors, Rule};

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest content, in characters.
pub const CONTENT_MAX: usize = 20_000;
/// Largest request body or letter form accepted. A case's content
/// ([`CONTENT_MAX`] characters) fits even with every character escaped as
/// `\uXXXX` or percent-encoded.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Longest category, in characters.
pub const CATEGORY_MAX: usize = 50;
/// Longest external reference, in characters.
pub const EXTERNAL_REF_MAX: usize = 100;
/// How far ahead of this server's clock a sender's clock may run: a
/// `received_at` up to this much in the future counts as now.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);
/// No office's records of citizens' letters reach back further; an earlier
/// year is a typing error.
pub const EARLIEST_RECEIPT_YEAR: i32 = 2000;

/// When the office received a case, as a surface gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ReceivedAt {
    /// RFC 3339 text with an offset, as the API takes it.
    Rfc3339(String),
    /// A wall-clock time in the office's zone (Beijing), as the console's
    /// `datetime-local` field gives it.
    OfficeTime(NaiveDateTime),
}

impl From<String> for ReceivedAt {
    fn from(text: String) -> Self {
        ReceivedAt::Rfc3339(text)
    }
}

impl From<ReceivedAt> for String {
    fn from(at: ReceivedAt) -> Self {
        match at {
            ReceivedAt::Rfc3339(text) => text,
            ReceivedAt::OfficeTime(local) => format!("{}+08:00", local.format("%Y-%m-%dT%H:%M:%S")),
        }
    }
}

impl ReceivedAt {
    /// The stored (UTC) instant, or `None` when the text is not RFC 3339.
    fn to_storage(&self) -> Option<NaiveDateTime> {
        match self {
            ReceivedAt::Rfc3339(text) => {
                chrono::DateTime::parse_from_rfc3339(text).ok().map(time::to_storage)
            }
            ReceivedAt::OfficeTime(local) => {
                local.and_local_timezone(time::office_offset()).single().map(time::to_storage)
            }
        }
    }
}

/// `POST /api/v1/cases` as submitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCaseInput {
    /// Channel code, e.g. `mailbox`.
    pub channel: String,
    /// Subject line.
    pub title: String,
    /// The letter or message itself.
    pub content: String,
    /// When the office received it; defaults to now.
    pub received_at: Option<ReceivedAt>,
    /// The originating platform's own id.
    pub external_ref: Option<String>,
    /// Subject category (e.g. 教育, 住房).
    pub category: Option<String>,
    /// Whether the reply may be published.
    pub is_public: Option<bool>,
    /// Contact details; absent for anonymous letters.
    pub citizen: Option<CitizenInput>,
}

/// A case ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Channel code (known to exist).
    pub channel: String,
    /// Trimmed title.
    pub title: String,
    /// Trimmed content.
    pub content: String,
    /// When the office received it, stored form.
    pub received_at: NaiveDateTime,
    /// The platform's own id.
    pub external_ref: Option<String>,
    pub category: Option<String>,
    /// Whether the reply may be published.
    pub is_public: bool,
    /// Validated contact details.
    pub citizen: Citizen,
}

impl NewCaseInput {
    /// Validates everything at once. `channel_exists` answers for channel codes;
    /// `now` bounds `received_at` (a case cannot be received in the future).
    pub fn validate(
        &self,
        now: NaiveDateTime,
        channel_exists: impl Fn(&str) -> bool,
    ) -> Result<NewCase, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !channel_exists(&self.channel) {
            errors.add("channel", Rule::UnknownChannel(self.channel.clone()));
        }
        let title = text_in_range(&mut errors, "title", &self.title, 1, TITLE_MAX);
        let content = text_in_range(&mut errors, "content", &self.content, 1, CONTENT_MAX);
        let received_at = match self.received_at.as_ref().map(ReceivedAt::to_storage) {
            None => Some(now),
            Some(Some(at)) if at > now + CLOCK_SKEW => {
                errors.add("received_at", Rule::NotInFuture);
                None
            }
            Some(Some(at)) if time::office_date(at).year() < EARLIEST_RECEIPT_YEAR => {
                errors.add("received_at", Rule::YearFrom(EARLIEST_RECEIPT_YEAR));
                None
            }
            // A moment ahead is the sender's clock, not a receipt to come.
            Some(Some(at)) => Some(at.min(now)),
            Some(None) => {
                errors.add("received_at", Rule::Timestamp);
                None
            }
        };
        let external_ref =
            optional_text(&mut errors, "external_ref", self.external_ref.as_deref(), EXTERNAL_REF_MAX);
        let category = optional_text(&mut errors, "category", self.category.as_deref(), CATEGORY_MAX);
        let citizen = self.citizen.as_ref().map(|c| Citizen::parse(c, &mut errors)).unwrap_or_default();
        match (title, content, received_at) {
            (Some(title), Some(content), Some(received_at)) if errors.is_empty() => Ok(NewCase {
                channel: self.channel.clone(),
                title,
                content,
                received_at,
                external_ref,
                category,
                is_public: self.is_public.unwrap_or(false),
                citizen,
            }),
            _ => Err(errors),
        }
    }
}

/// `MB2024000123`: channel prefix, year of receipt, six-digit sequence (wider
/// past 999,999 rather than wrapping).
pub fn tracking_number(prefix: &str, year: i32, sequence: i32) -> String {
    format!("{prefix}{year}{sequence:06}")
}

/// The year a tracking number counts in: the office's year of receipt.
pub fn tracking_year(received_at: NaiveDateTime) -> i32 {
    time::office_date(received_at).year()
}

/// Letters and digits a citizen cannot mistake for each other (no 0/O, 1/I/L).
const QUERY_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Ten characters of a 31-letter alphabet: about 49.5 bits.
const QUERY_CODE_LEN: usize = 10;

/// A new random query code (查询码), shown to the citizen once.
pub fn new_query_code() -> String {
    let mut rng = rand::rng();
    (0..QUERY_CODE_LEN)
        .map(|_| QUERY_CODE_ALPHABET[rng.random_range(0..QUERY_CODE_ALPHABET.len())] as char)
        .collect()
}

/// The stored form of a query code. The tracking number salts it, and the code's
/// ~50 bits of entropy make a fast hash sufficient; a slow password hash here would
/// put tens of milliseconds of CPU on every intake and every citizen look-up.
pub fn hash_query_code(tracking_no: &str, code: &str) -> String {
    let normalized = code.trim().to_ascii_uppercase();
    let digest = Sha256::digest(format!("{tracking_no}:{normalized}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a presented code with the stored hash in constant time.
pub fn query_code_matches(tracking_no: &str, code: &str, stored_hash: &str) -> bool {
    let presented = hash_query_code(tracking_no, code);
    presented.len() == stored_hash.len()
        && presented.bytes().zip(stored_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewCaseInput {
        NewCaseInput {
            channel: "mailbox".into(),
            title: " 关于小区停车难的问题 ".into(),
            content: "小区停车位不足。".into(),
            received_at: None,
            external_ref: None,
            category: None,
            is_public: None,
            citizen: None,
        }
    }

    fn now() -> NaiveDateTime {
        time::parse_instant("2024-06-01T10:00:00+08:00").unwrap()
    }

    #[test]
    fn a_valid_case_is_trimmed_and_defaults_to_now() {
        let case = input().validate(now(), |c| c == "mailbox").unwrap();
        assert_eq!(case.title, "关于小区停车难的问题");
        assert_eq!(case.received_at, now());
        assert!(!case.is_public);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut bad = input();
        bad.channel = "fax".into();
        bad.title = String::new();
        bad.content = "x".repeat(CONTENT_MAX + 1);
        bad.received_at = Some(ReceivedAt::Rfc3339("2024-06-02T00:00:00+08:00".into()));
        let errors = bad.validate(now(), |c| c == "mailbox").unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["channel", "title", "content", "received_at"]);
    }

    #[test]
    fn received_at_may_be_earlier_but_needs_an_offset() {
        let mut earlier = input();
        earlier.received_at = Some(ReceivedAt::Rfc3339("2024-05-20T09:30:00+08:00".into()));
        assert!(earlier.validate(now(), |_| true).is_ok());
        earlier.received_at = Some(ReceivedAt::Rfc3339("2024-05-20 09:30:00".into()));
        assert!(earlier.validate(now(), |_| true).is_err());
    }

    #[test]
    fn receipts_before_2000_or_in_the_future_are_refused() {
        for (at, ok) in [
            ("1999-12-31T23:59:59+08:00", false),
            ("2000-01-01T00:00:00+08:00", true),
            ("2024-06-01T10:05:01+08:00", false),
            ("2024-06-01T10:05:00+08:00", true),
        ] {
            let mut case = input();
            case.received_at = Some(ReceivedAt::Rfc3339(at.into()));
            let validated = case.validate(now(), |_| true);
            assert_eq!(validated.is_ok(), ok, "{at}");
            if let Ok(case) = validated {
                assert!(case.received_at <= now(), "a moment ahead counts as now");
            }
        }
    }

    #[test]
    fn a_console_time_is_beijing_time() {
        let mut case = input();
        let local = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap().and_hms_opt(9, 30, 0).unwrap();
        case.received_at = Some(ReceivedAt::OfficeTime(local));
        let validated = case.validate(now(), |_| true).unwrap();
        assert_eq!(validated.received_at, time::parse_instant("2024-06-01T09:30:00+08:00").unwrap());
        assert_eq!(String::from(ReceivedAt::OfficeTime(local)), "2024-06-01T09:30:00+08:00");
    }

    #[test]
    fn tracking_numbers_pad_to_six_digits() {
        assert_eq!(tracking_number("MB", 2024, 123), "MB2024000123");
        assert_eq!(tracking_number("MH", 2024, 1_234_567), "MH20241234567");
        let new_year_eve = time::parse_instant("2024-12-31T20:00:00Z").unwrap();
        assert_eq!(tracking_year(new_year_eve), 2025, "Beijing is already in 2025");
    }

    #[test]
    fn query_codes_match_case_insensitively_and_only_their_case() {
        let code = new_query_code();
        assert_eq!(code.len(), QUERY_CODE_LEN);
        let stored = hash_query_code("MB2024000001", &code);
        assert!(query_code_matches("MB2024000001", &code, &stored));
        assert!(query_code_matches("MB2024000001", &code.to_lowercase(), &stored));
        assert!(!query_code_matches("MB2024000002", &code, &stored));
        assert!(!query_code_matches("MB2024000001", "WRONGCODE2", &stored));
    }
}
