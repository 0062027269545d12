//! Collecting field errors, so that a 422 lists every problem with a request at
//! once rather than the first one found. An error names its field and the
//! [`Rule`] it broke, typed: the API words a rule in English (its `Display`,
//! the problem+json `message`), the pages in Chinese (`web::messages`), and
//! nobody reads a sentence back.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

/// A rule an input broke, with what the message needs to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A value is needed.
    Required,
    /// A date is needed.
    RequiredDate,
    /// A year is needed.
    RequiredYear,
    /// A yes or no is needed (an extension's decision).
    RequiredDecision,
    /// A text's length in characters, trimmed, is out of range.
    Length {
        /// Fewest allowed.
        min: usize,
        /// Most allowed.
        max: usize,
        /// As given.
        got: usize,
    },
    /// At most this many characters.
    MaxChars(usize),
    /// Text with control characters.
    ControlCharacters,
    /// Text with NUL characters (PostgreSQL cannot store them).
    NulCharacters,
    /// A time in the future.
    NotInFuture,
    /// A receipt before this year.
    YearFrom(i32),
    /// Not RFC 3339 with an offset.
    Timestamp,
    /// Neither a date nor an RFC 3339 timestamp.
    DateOrTimestamp,
    /// Not a `YYYY-MM-DD` date in a sensible range.
    Date,
    /// Not `true` or `false`.
    Boolean,
    /// Not one of the values allowed.
    OneOf(&'static [&'static str]),
    /// A whole number out of its range.
    WholeNumber {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A year outside 2000 to 2100.
    YearRange,
    /// Not a department's id.
    DepartmentId,
    /// No department has this id.
    UnknownDepartment(i64),
    /// The department may not take new cases.
    InactiveDepartment(i64),
    /// No department has this code.
    UnknownDepartmentCode(String),
    /// No channel has this code.
    UnknownChannel(String),
    /// No state has this name.
    UnknownState(String),
    /// No case has this id.
    UnknownCase(i64),
    /// No case has this tracking number.
    UnknownTrackingNo(String),
    /// The case is with this department already.
    SameDepartment,
    /// A duplicate's original must be a valid case.
    OriginalInvalid,
    /// A case named as its own original.
    SelfDuplicate,
    /// A `return`'s reason code that is not one of the four.
    ReturnReasonCode,
    /// An extension of fewer than one working day.
    AtLeastOneWorkday,
    /// More extension than the channel grants.
    ExtensionAllowance(i64),
    /// A two-dimension channel's result rating is missing.
    ResultRatingRequired,
    /// A one-dimension channel got a result rating.
    ResultRatingNotUsed,
    /// A rating level the channel's scale (3 or 5 levels) does not have.
    RatingScale(i32),
    /// A citizen's 差评 without a comment.
    PoorRatingNeedsComment,
    /// A rating scale other than 3 or 5 levels.
    ScaleLevels,
    /// A callback's rating or 是否解决 when the citizen was not reached.
    OnlyWhenReached,
    /// Not a login name.
    Username,
    /// A handler without a department.
    HandlerNeedsDepartment,
    /// Not a department code.
    DepartmentCode,
    /// Not a tracking-number prefix.
    TrackingPrefix,
    /// A password of the wrong length.
    PasswordLength {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// Not the account's current password.
    WrongPassword,
    /// A calendar exception's note.
    CalendarNote,
    /// A calendar date outside the year edited.
    NotInYear(i32),
    /// A calendar date entered twice.
    ListedTwice,
    /// A make-up working day on a weekday.
    WeekdayMakeUp(NaiveDate),
    /// A period whose end is not after its start.
    ToAfterFrom,
    /// A period over ten years.
    PeriodTooLong,
    /// A bulletin's period over 366 days.
    BulletinTooLong,
    /// A parameter of the trend only.
    TrendOnly,
    /// A cursor this service did not issue.
    Cursor,
    /// An idempotency key reused with another request.
    KeyReused,
    /// Not one email address.
    Email,
    /// An email address at an IP address.
    EmailAtIp,
    /// Several addresses, spaces or line breaks.
    SingleEmail,
    /// Not a mobile or landline number.
    Phone,
    /// A phone number with other characters.
    PhoneCharacters,
    /// A category the channel does not offer.
    UnknownCategory(String),
    /// A file that cannot be read as a spreadsheet, with what the reader saw.
    File(String),
    /// A body member that is not of the request's shape, as the JSON
    /// reader put it (unknown, missing or of the wrong type).
    Shape(ShapeError),
}

/// How a body's member did not fit its request's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// What kind of misfit.
    pub kind: ShapeKind,
    /// The JSON reader's own words, for programs.
    pub detail: String,
}

/// The kinds of misfit a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// A member the request does not have.
    Unknown,
    /// A member the request needs.
    Missing,
    /// A member of the wrong type.
    Invalid,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::RequiredDate => f.write_str("is required (YYYY-MM-DD)"),
            Rule::RequiredYear => f.write_str("is required: a year from 2000 to 2100"),
            Rule::RequiredDecision => {
                f.write_str("is required: true to grant the extension, false to refuse it")
            }
            Rule::Length { min: 1, max, got: 0 } => write!(f, "must not be empty (at most {max} characters)"),
            Rule::Length { min, max, got } => write!(f, "must be {min} to {max} characters, got {got}"),
            Rule::MaxChars(max) => write!(f, "must be at most {max} characters"),
            Rule::ControlCharacters => f.write_str("must not contain control characters"),
            Rule::NulCharacters => f.write_str("text must not contain NUL characters (\\u0000)"),
            Rule::NotInFuture => f.write_str("must not be in the future"),
            Rule::YearFrom(year) => write!(f, "must be in a year from {year} on"),
            Rule::Timestamp => f.write_str("must be an RFC 3339 timestamp with offset"),
            Rule::DateOrTimestamp => f.write_str("must be a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
            Rule::Date => f.write_str("must be a date, YYYY-MM-DD, between the years 1900 and 9999"),
            Rule::Boolean => f.write_str("must be true or false"),
            Rule::OneOf(allowed) => write!(f, "must be one of {}", allowed.join(", ")),
            Rule::WholeNumber { min, max } => write!(f, "must be a whole number from {min} to {max}"),
            Rule::YearRange => f.write_str("must be between 2000 and 2100"),
            Rule::DepartmentId => f.write_str("must be a department id"),
            Rule::UnknownDepartment(id) => write!(f, "no department {id}"),
            Rule::InactiveDepartment(id) => write!(f, "department {id} is inactive"),
            Rule::UnknownDepartmentCode(code) => write!(f, "no department with code {code}"),
            Rule::UnknownChannel(code) => write!(f, "unknown channel '{code}'"),
            Rule::UnknownState(name) => write!(f, "unknown state '{name}'"),
            Rule::UnknownCase(id) => write!(f, "no case {id}"),
            Rule::UnknownTrackingNo(number) => write!(f, "no case with tracking number '{number}'"),
            Rule::SameDepartment => f.write_str("the case is already with this department"),
            Rule::OriginalInvalid => {
                f.write_str("the original must be a valid case, not another invalid one")
            }
            Rule::SelfDuplicate => f.write_str("a case cannot duplicate itself"),
            Rule::ReturnReasonCode => {
                f.write_str("must be one of not_our_duty, unclear, duplicate, other (the default)")
            }
            Rule::AtLeastOneWorkday => f.write_str("must be at least 1 working day"),
            Rule::ExtensionAllowance(days) => {
                write!(f, "at most {days} more working days may be granted for this case")
            }
            Rule::ResultRatingRequired => {
                f.write_str("this channel rates the work and the result: result_rating is required")
            }
            Rule::ResultRatingNotUsed => {
                f.write_str("this channel rates one dimension: leave result_rating out")
            }
            Rule::RatingScale(3) => f.write_str(
                "this channel rates on three levels: satisfied, basically_satisfied or unsatisfied",
            ),
            Rule::RatingScale(levels) => write!(f, "is not a level of this channel's {levels}-level scale"),
            Rule::PoorRatingNeedsComment => {
                f.write_str("an unsatisfied rating needs a comment saying what was not solved")
            }
            Rule::ScaleLevels => f.write_str("must be 3 or 5"),
            Rule::OnlyWhenReached => f.write_str("is only given when the citizen was reached"),
            Rule::Username => f.write_str("must be 3 to 32 lower-case letters, digits, '.', '_' or '-'"),
            Rule::HandlerNeedsDepartment => f.write_str("a handler must belong to a department"),
            Rule::DepartmentCode => f.write_str("must be 1 to 20 letters, digits or underscores"),
            Rule::TrackingPrefix => f.write_str("must be 2 to 4 upper-case letters"),
            Rule::PasswordLength { min, max } => write!(f, "must be {min} to {max} characters"),
            Rule::WrongPassword => f.write_str("is not your current password"),
            Rule::CalendarNote => f.write_str("must be 1 to 50 characters, e.g. 春节 or 春节调休上班"),
            Rule::NotInYear(year) => write!(f, "is not in {year}"),
            Rule::ListedTwice => f.write_str("is listed twice"),
            Rule::WeekdayMakeUp(date) => {
                write!(f, "{date} is a weekday: only a Saturday or Sunday can be a make-up working day")
            }
            Rule::ToAfterFrom => f.write_str("must be after from (to is exclusive)"),
            Rule::PeriodTooLong => f.write_str("the period may span at most ten years"),
            Rule::BulletinTooLong => f.write_str("a bulletin's period may span at most 366 days"),
            Rule::TrendOnly => f.write_str("is only used by /stats/trend"),
            Rule::Cursor => f.write_str("is not a cursor this service issued"),
            Rule::KeyReused => f.write_str("was already used with a different request body"),
            Rule::Email => f.write_str("must be an email address such as name@example.cn"),
            Rule::EmailAtIp => f.write_str("must be an address at a mail domain, not at an IP address"),
            Rule::SingleEmail => f.write_str("must be a single email address without spaces or line breaks"),
            Rule::Phone => {
                f.write_str("must be an 11-digit mobile number or a landline number with its area code")
            }
            Rule::PhoneCharacters => {
                f.write_str("must contain only digits, spaces, dashes and a leading +86")
            }
            Rule::UnknownCategory(name) => write!(f, "'{name}' is not one of the channel's categories"),
            Rule::File(detail) => f.write_str(detail),
            Rule::Shape(shape) => f.write_str(&shape.detail),
        }
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, as a dotted path in the request body (`citizen.phone`) or a query parameter name.
    pub field: String,
    /// The rule broken; serialised as the API's English `message`.
    #[serde(rename = "message", serialize_with = "in_english")]
    pub rule: Rule,
}

fn in_english<S: Serializer>(rule: &Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(rule)
}

/// The problems found so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` broke `rule`.
    pub fn add(&mut self, field: impl Into<String>, rule: Rule) {
        self.0.push(FieldError { field: field.into(), rule });
    }

    /// Whether nothing was found wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` if nothing was found wrong, else the errors.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// A single error.
    pub fn single(field: impl Into<String>, rule: Rule) -> Self {
        let mut errors = Self::new();
        errors.add(field, rule);
        errors
    }
}

/// Trims `value` and checks its length in characters (not bytes: Chinese text).
/// Records an error and returns `None` when it is out of range.
pub fn text_in_range(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Option<String> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        errors.add(field, Rule::Length { min, max, got: chars });
        return None;
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.add(field, Rule::ControlCharacters);
        return None;
    }
    Some(trimmed.to_owned())
}

/// Like [`text_in_range`] for an optional field: absent or blank stays `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => None,
        Some(v) => text_in_range(errors, field, v, 1, max),
    }
}

/// Reads a typed input from JSON, naming the field at fault: a missing,
/// unknown or mistyped member is one field error (serde stops at the first).
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldErrors> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = strip_position(&error.into_inner().to_string());
        FieldErrors::single(field_name(&path, &message), shape(message))
    })
}

/// serde's message for a member that does not fit, as a rule. serde says
/// which kind of misfit only in its words, so they are read here, at the
/// edge where a body becomes typed input, and nowhere else.
pub(crate) fn shape(detail: String) -> Rule {
    let kind = if detail.starts_with("unknown field") {
        ShapeKind::Unknown
    } else if detail.starts_with("missing field") {
        ShapeKind::Missing
    } else {
        ShapeKind::Invalid
    };
    Rule::Shape(ShapeError { kind, detail })
}

/// serde names a missing or unknown field in its message, with the parent's path.
pub(crate) fn field_name(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    match named {
        // serde_path_to_error already ends an unknown field's path with its name.
        Some(name) if parent.rsplit('.').next() == Some(name) => parent.to_owned(),
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    }
}

pub(crate) fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null`
/// (`Some(None)`). Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut errors = FieldErrors::new();
        let title = "关于".repeat(100);
        assert_eq!(text_in_range(&mut errors, "title", &title, 1, 200), Some(title.clone()));
        assert!(errors.is_empty());
        let too_long = format!("{title}了");
        assert_eq!(text_in_range(&mut errors, "title", &too_long, 1, 200), None);
        assert_eq!(errors.0[0].field, "title");
    }

    #[test]
    fn blank_and_control_characters_are_refused() {
        let mut errors = FieldErrors::new();
        assert_eq!(text_in_range(&mut errors, "title", "   ", 1, 200), None);
        assert_eq!(text_in_range(&mut errors, "title", "a\u{0}b", 1, 200), None);
        assert_eq!(errors.0.len(), 2);
        assert_eq!(
            text_in_range(&mut errors, "content", "第一行\n第二行", 1, 200).as_deref(),
            Some("第一行\n第二行")
        );
    }

    #[test]
    fn optional_text_skips_absent_and_blank() {
        let mut errors = FieldErrors::new();
        assert_eq!(optional_text(&mut errors, "category", None, 50), None);
        assert_eq!(optional_text(&mut errors, "category", Some("  "), 50), None);
        assert_eq!(optional_text(&mut errors, "category", Some(" 教育 "), 50).as_deref(), Some("教育"));
        assert!(errors.is_empty());
    }
}
