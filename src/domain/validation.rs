//! Collecting field errors, so that a 422 lists every problem with a request at
//! once rather than the first one found.

use serde::Serialize;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, as a dotted path in the request body (`citizen.phone`) or a query parameter name.
    pub field: String,
    /// What is wrong, for a person to read.
    pub message: String,
}

/// The problems found so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
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
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
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
        if min == 1 && chars == 0 {
            errors.add(field, format!("must not be empty (at most {max} characters)"));
        } else {
            errors.add(field, format!("must be {min} to {max} characters, got {chars}"));
        }
        return None;
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.add(field, "must not contain control characters");
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
        FieldErrors::single(field_name(&path, &message), message)
    })
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
