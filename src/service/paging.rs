//! Paging of lists: the page size a client may ask for, and the opaque
//! cursor that continues a list after the last item shown.

use base64::Engine;

use crate::domain::validation::{FieldErrors, Rule};

/// Default page size of lists.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of lists.
pub const MAX_LIMIT: i64 = 500;

/// Checks `limit`, recording an error when it is out of range.
pub fn page_limit(raw: Option<&str>, errors: &mut FieldErrors) -> i64 {
    match raw {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.add("limit", Rule::WholeNumber { min: 1, max: MAX_LIMIT });
                DEFAULT_LIMIT
            }
        },
    }
}

/// An opaque cursor for the next page, from the last id shown.
pub fn encode_cursor(last_id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("id:{last_id}"))
}

/// The id a cursor continues after.
pub fn decode_cursor(raw: &str, errors: &mut FieldErrors) -> Option<i64> {
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("id:").and_then(|id| id.parse::<i64>().ok()));
    if decoded.is_none() {
        errors.add("cursor", Rule::Cursor);
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let mut errors = FieldErrors::new();
        assert_eq!(decode_cursor(&encode_cursor(1234), &mut errors), Some(1234));
        assert_eq!(decode_cursor("1234", &mut errors), None);
        assert_eq!(errors.0.len(), 1);
    }
}
