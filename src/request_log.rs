//! The one log line per request. It records what tracing-actix-web's default
//! span does, except the values of secret or personal query parameters: a
//! query code (`?code=…`) is stored only as a hash and must not turn up in
//! clear in a log file, and a search (`q=…`) may name a citizen. The route
//! template, the other filters and the request id are enough to follow a
//! request.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Query parameters whose values are never logged.
const REDACTED_PARAMETERS: [&str; 2] = ["code", "q"];

/// The root span of every request, with [`redacted_target`] as `http.target`.
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".into());
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redacted_target(request.path(), request.query_string()),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The path and query string as logged: the values of
/// [`REDACTED_PARAMETERS`] replaced by `***`.
pub fn redacted_target(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    // Names are compared as the service reads them, percent-decoded:
    // `?%63ode=…` is `code` to the handler and must be to the log too.
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let decoded: String =
                form_urlencoded::parse(name.as_bytes()).map(|(n, _)| n.into_owned()).collect();
            if REDACTED_PARAMETERS.contains(&decoded.as_str()) {
                format!("{name}=***")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_codes_and_searches_are_not_logged() {
        assert_eq!(
            redacted_target("/api/v1/public/cases/MB2024000001", "code=K7PQ2MX9RT"),
            "/api/v1/public/cases/MB2024000001?code=***"
        );
        assert_eq!(
            redacted_target("/api/v1/cases", "state=closed&q=%E7%8E%8B%E8%8A%B3&limit=5"),
            "/api/v1/cases?state=closed&q=***&limit=5"
        );
        assert_eq!(redacted_target("/api/v1/cases", ""), "/api/v1/cases");
        assert_eq!(redacted_target("/api/v1/cases", "codes=1"), "/api/v1/cases?codes=1");
        assert_eq!(
            redacted_target("/api/v1/public/cases/MB2024000001", "%63ode=K7PQ2MX9RT&%71=%E7%8E%8B"),
            "/api/v1/public/cases/MB2024000001?%63ode=***&%71=***",
            "names are compared percent-decoded"
        );
        assert_eq!(redacted_target("/x", "code"), "/x?code=***", "even without a value");
    }
}
