//! Reading requests: JSON bodies with a size limit and per-field errors, and
//! the `If-Match` version.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::domain::intake::BODY_LIMIT;
use crate::domain::validation::{field_name, shape, strip_position, FieldErrors, Rule};
use crate::error::AppError;

/// A JSON request body. Malformed JSON and invalid UTF-8 are 400; well-formed
/// JSON of the wrong shape (missing or unknown fields, wrong types) is 422
/// naming the field; too large is 413; not JSON is 415.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_body(req, payload, false);
        Box::pin(async move { parse_json(&read.await?).map(JsonBody) })
    }
}

/// The body of a case action: JSON like [`JsonBody`], except that an empty
/// body means `{}` (most actions need no fields).
#[derive(Debug)]
pub struct ActionJson(pub serde_json::Value);

impl FromRequest for ActionJson {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_body(req, payload, true);
        Box::pin(async move {
            let bytes = read.await?;
            if bytes.is_empty() {
                return Ok(ActionJson(serde_json::Value::Object(Default::default())));
            }
            parse_json(&bytes).map(ActionJson)
        })
    }
}

/// Reads the whole body within [`BODY_LIMIT`], checking that it is JSON.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    allow_empty: bool,
) -> impl Future<Output = Result<actix_web::web::BytesMut, AppError>> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let is_json =
        content_type.as_deref().is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared_length.is_some_and(|n| n > BODY_LIMIT) {
            return Err(AppError::PayloadTooLarge { limit: BODY_LIMIT });
        }
        let mut bytes = actix_web::web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| AppError::BadRequest(format!("the body could not be read: {e}")))?;
            if bytes.len() + chunk.len() > BODY_LIMIT {
                return Err(AppError::PayloadTooLarge { limit: BODY_LIMIT });
            }
            bytes.extend_from_slice(&chunk);
        }
        let empty_allowed = allow_empty && bytes.is_empty() && (content_type.is_none() || is_json);
        if !is_json && !empty_allowed {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        Ok(bytes)
    }
}

/// Whether any string (or key) in the JSON holds a NUL character.
fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(members) => members.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Parses JSON, telling malformed input (400) from a wrong shape (422).
/// Text with NUL characters (`\u0000`) is refused with 422: PostgreSQL cannot
/// store it, and no letter or reply needs it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // A raw NUL byte is already malformed JSON; only the escape can smuggle one
    // in, so the full check runs only when the escape is there.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
        if holds_nul(&value) {
            return Err(AppError::Validation(FieldErrors::single("body", Rule::NulCharacters)));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                AppError::Validation(FieldErrors::single(field_name(&path, &message), shape(message)))
            }
            _ => AppError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    deserializer.end().map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Refuses a request whose path or query string encodes a NUL character
/// (`%00`) with 400, before any handler sees it: PostgreSQL cannot compare or
/// store text holding one, and no real path or filter contains it.
pub async fn refuse_nul_in_url(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let encodes_nul = |part: &str| part.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if encodes_nul(req.path()) || req.query_string().split('&').any(encodes_nul) {
        let error = AppError::BadRequest("the URL must not contain NUL characters (%00)".into());
        return Ok(req.error_response(error));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The version named by `If-Match` (`5`, `"5"` or `W/"5"`), if any.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl IfMatch {
    fn parse(req: &HttpRequest) -> Result<IfMatch, AppError> {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<i32>()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| AppError::BadRequest("If-Match must carry the case's version, e.g. \"3\"".into()))
    }
}

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = std::future::Ready<Result<IfMatch, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(IfMatch::parse(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        phone: Option<String>,
    }

    fn field_of(json: &str) -> (String, String) {
        match parse_json::<Outer>(json.as_bytes()).unwrap_err() {
            AppError::Validation(errors) => (errors.0[0].field.clone(), errors.0[0].rule.to_string()),
            other => (other.code().to_owned(), other.to_string()),
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        assert_eq!(field_of("{}").0, "title");
        assert_eq!(field_of(r#"{"title": 5}"#).0, "title");
        assert_eq!(field_of(r#"{"title": "a", "extra": 1}"#).0, "extra");
        assert_eq!(field_of(r#"{"title": "a", "inner": {"phone": 1}}"#).0, "inner.phone");
        assert_eq!(field_of(r#"{"title": "a", "inner": {"fax": "1"}}"#).0, "inner.fax");
        assert_eq!(field_of("[]").0, "body");
    }

    #[test]
    fn malformed_json_and_bad_utf8_are_bad_requests() {
        assert_eq!(field_of(r#"{"title": "#).0, "bad_request");
        assert_eq!(field_of(r#"{"title": "a"} trailing"#).0, "bad_request");
        let invalid_utf8 = b"{\"title\": \"\xff\xfe\"}";
        assert_eq!(parse_json::<Outer>(invalid_utf8).unwrap_err().code(), "bad_request");
    }

    #[test]
    fn nul_characters_in_text_are_refused_wherever_they_hide() {
        assert_eq!(
            field_of(r#"{"title": "a\u0000b"}"#),
            ("body".into(), field_of(r#"{"title": "\u0000"}"#).1)
        );
        assert_eq!(field_of(r#"{"title": "a", "inner": {"phone": "\u0000"}}"#).0, "body");
        assert_eq!(field_of(r#"{"title": "a", "\u0000": 1}"#).0, "body");
        // An escaped backslash followed by "u0000" is ordinary text.
        assert!(parse_json::<Outer>(br#"{"title": "C:\\u0000"}"#).is_ok());
    }
}
