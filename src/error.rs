//! The service's one error type and how it is rendered.
//!
//! Layers: `domain` returns its own small error types (`FieldErrors`,
//! `TransitionError`); `db` returns diesel's `QueryResult`; handlers and the
//! transaction closures they pass to `db` return [`AppError`], which converts
//! from all of those and renders as RFC 9457 problem details with a stable
//! `code` member. A 500 logs its cause and tells the client nothing more.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{json, Map, Value};

use crate::domain::actions::Refusal;
use crate::domain::lifecycle::{Action, CaseState, TransitionError};
use crate::domain::validation::{FieldErrors, Rule};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// 400 `bad_request`: the request cannot be read (malformed JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// 401 `unauthenticated`: no valid token.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403 `forbidden`: authenticated, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`: no such thing, or not visible to this user.
    #[error("{0}")]
    NotFound(String),
    /// 405 `method_not_allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 `invalid_transition`: the case's state (or its pause) does not allow the action.
    #[error("{}", transition_detail(*state, *action, *suspended))]
    InvalidTransition {
        /// Current state.
        state: CaseState,
        /// Refused action.
        action: Action,
        /// Set when the refusal is about the pause rather than the state.
        suspended: Option<bool>,
    },
    /// 409 `version_conflict`: `If-Match` named a version that is no longer current.
    #[error("the case has changed (current version {current}); reload it and try again")]
    VersionConflict {
        /// The case's current version.
        current: i32,
    },
    /// 409 `duplicate`: the thing already exists.
    #[error("{detail}")]
    Duplicate {
        /// What already exists.
        detail: String,
        /// Extra members naming the existing record.
        existing: Option<Value>,
    },
    /// 409 `already_rated`: the citizen rated this closure of the case already.
    #[error("this closure of the case is rated already: a citizen rates each closure once")]
    AlreadyRated,
    /// 409 `rectification_not_open`: an appeal without an open rectification.
    #[error("{0}")]
    RectificationNotOpen(String),
    /// 409 `already_appealed`: the rectification was appealed already.
    #[error("this rectification was appealed already: a department appeals each rectification once")]
    AlreadyAppealed,
    /// 409 `not_appealed`: a decision on an appeal that is not waiting.
    #[error("{0}")]
    NotAppealed(String),
    /// 409 `return_window_closed`: a `return` after the channel's `return_days`.
    #[error("{0}")]
    ReturnWindowClosed(String),
    /// 409 `merge_target_invalid`: a `merge` into a merged, invalid or closed case.
    #[error("{0}")]
    MergeTargetInvalid(String),
    /// 409 `merge_cycle`: a `merge` into itself or into a case merged into it.
    #[error("{0}")]
    MergeCycle(String),
    /// 409 `has_merged_cases`: cases are merged into this one and wait for its reply.
    #[error("{0}")]
    HasMergedCases(String),
    /// 409 `conflict`: the request contradicts the current state of something other than a case's lifecycle.
    #[error("{0}")]
    Conflict(String),
    /// 409 `conflict`: a concurrent request with the same `Idempotency-Key`
    /// holds the key and has not answered (or failed).
    #[error("a concurrent request with this Idempotency-Key is still being processed or failed; retry")]
    IdempotencyKeyTaken,
    /// 413 `payload_too_large`.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422 `validation_failed`, with every field error.
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    /// 429 `rate_limited`.
    #[error("{detail}")]
    RateLimited {
        detail: String,
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// 503 `unavailable`: the database cannot be reached or is overloaded.
    /// The cause is logged (with the request id); the client is told only
    /// to try again.
    #[error("{0}")]
    Unavailable(String),
    /// 500 `internal`: a bug or an unexpected failure; the cause is logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

fn transition_detail(state: CaseState, action: Action, suspended: Option<bool>) -> String {
    match suspended {
        Some(true) => format!("the case is suspended: resume it before '{action}'"),
        Some(false) => format!("the case is not suspended, so it cannot be '{action}'"),
        None => format!("a case in state '{state}' cannot be '{action}'"),
    }
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::InvalidTransition { .. } => "invalid_transition",
            AppError::VersionConflict { .. } => "version_conflict",
            AppError::Duplicate { .. } => "duplicate",
            AppError::AlreadyRated => "already_rated",
            AppError::RectificationNotOpen(_) => "rectification_not_open",
            AppError::AlreadyAppealed => "already_appealed",
            AppError::NotAppealed(_) => "not_appealed",
            AppError::ReturnWindowClosed(_) => "return_window_closed",
            AppError::MergeTargetInvalid(_) => "merge_target_invalid",
            AppError::MergeCycle(_) => "merge_cycle",
            AppError::HasMergedCases(_) => "has_merged_cases",
            AppError::Conflict(_) | AppError::IdempotencyKeyTaken => "conflict",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation(_) => "validation_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// A 404 for something that does not exist or may not be seen.
    pub fn not_found(what: &str) -> AppError {
        AppError::NotFound(format!("{what} not found"))
    }

    /// A 422 with a single field error.
    pub fn invalid_field(field: &str, rule: Rule) -> AppError {
        AppError::Validation(FieldErrors::single(field, rule))
    }

    /// The problem-details body.
    pub fn problem(&self) -> Value {
        let status = self.status_code();
        let detail = match self {
            AppError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            AppError::Unavailable(_) => {
                "the service cannot reach its database just now; try again shortly".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = Map::new();
        body.insert("type".into(), json!("about:blank"));
        body.insert("title".into(), json!(status.canonical_reason().unwrap_or("Error")));
        body.insert("status".into(), json!(status.as_u16()));
        body.insert("code".into(), json!(self.code()));
        body.insert("detail".into(), json!(detail));
        match self {
            AppError::Validation(errors) => {
                body.insert("errors".into(), json!(errors.0));
            }
            AppError::InvalidTransition { state, action, suspended } => {
                body.insert("state".into(), json!(state.as_str()));
                body.insert("action".into(), json!(action.as_str()));
                if let Some(suspended) = suspended {
                    body.insert("suspended".into(), json!(suspended));
                }
            }
            AppError::VersionConflict { current } => {
                body.insert("current_version".into(), json!(current));
            }
            AppError::Duplicate { existing: Some(Value::Object(extra)), .. } => {
                body.extend(extra.clone());
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::InvalidTransition { .. }
            | AppError::VersionConflict { .. }
            | AppError::Duplicate { .. }
            | AppError::AlreadyRated
            | AppError::RectificationNotOpen(_)
            | AppError::AlreadyAppealed
            | AppError::NotAppealed(_)
            | AppError::ReturnWindowClosed(_)
            | AppError::MergeTargetInvalid(_)
            | AppError::MergeCycle(_)
            | AppError::HasMergedCases(_)
            | AppError::Conflict(_)
            | AppError::IdempotencyKeyTaken => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Inside the request's span, so these lines carry its request id.
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            AppError::RateLimited { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(self.problem().to_string())
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => AppError::NotFound("not found".into()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Duplicate {
                detail: "a record with these values already exists".into(),
                existing: None,
            },
            error if lost_connection(&error) => {
                AppError::Unavailable(format!("database connection lost: {error}"))
            }
            // SQLite cannot write its files: SQLITE_FULL on a full disk
            // (ENOSPC), SQLITE_IOERR when a write fails otherwise (EFBIG past a
            // file-size limit, a failing disk). The transaction is rolled back
            // and reads go on; the client may retry once space returns.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if ["database or disk is full", "disk I/O error"].contains(&info.message()) =>
            {
                AppError::Unavailable(format!(
                    "the database cannot write ({}); try again later",
                    info.message()
                ))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Messages libpq and PostgreSQL give when the connection to the server is
/// gone or the server is going away (SQLSTATE 08xxx and 57P0x; diesel passes
/// on the text only, and maps just some of the codes to `ClosedConnection`).
const LOST_CONNECTION_MESSAGES: [&str; 12] = [
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
    "connection to server",
    "connection not open",
    "SSL SYSCALL error",
    "SSL connection has been closed",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
];

/// Whether a database error says the connection was lost (not that the
/// statement was wrong): the client may retry once the database is back.
/// A commit that failed so, with the rollback after it, is one too; so is a
/// connection whose transaction state such a failure left unknown (the
/// pool drops it).
fn lost_connection(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            LOST_CONNECTION_MESSAGES.iter().any(|m| info.message().contains(m))
        }
        DieselError::RollbackErrorOnCommit { commit_error, .. } => lost_connection(commit_error),
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

impl From<TransitionError> for AppError {
    fn from(error: TransitionError) -> Self {
        match error {
            TransitionError::NotPermitted => AppError::Forbidden("your role may not take this action".into()),
            TransitionError::InvalidTransition { state, action } => {
                AppError::InvalidTransition { state, action, suspended: None }
            }
            TransitionError::Paused { action, suspended } => {
                // Pauses exist only while processing.
                AppError::InvalidTransition {
                    state: CaseState::Processing,
                    action,
                    suspended: Some(suspended),
                }
            }
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Transition(error) => error.into(),
            Refusal::Conflict(detail) => AppError::Conflict(detail),
            Refusal::AlreadyRated => AppError::AlreadyRated,
            Refusal::RectificationNotOpen(detail) => AppError::RectificationNotOpen(detail),
            Refusal::AlreadyAppealed => AppError::AlreadyAppealed,
            Refusal::NotAppealed(detail) => AppError::NotAppealed(detail),
            Refusal::ReturnWindowClosed(detail) => AppError::ReturnWindowClosed(detail),
            Refusal::MergeTargetInvalid(detail) => AppError::MergeTargetInvalid(detail),
            Refusal::MergeCycle(detail) => AppError::MergeCycle(detail),
            Refusal::HasMergedCases(detail) => AppError::HasMergedCases(detail),
            Refusal::Invalid(errors) => AppError::Validation(errors),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("no database connection available: {error}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        AppError::Internal("blocking task was cancelled or panicked".into())
    }
}

impl From<jsonwebtoken::errors::Error> for AppError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        let detail = match error.kind() {
            ErrorKind::ExpiredSignature => "the token has expired; log in again",
            ErrorKind::InvalidSignature => "the token's signature is invalid",
            ErrorKind::InvalidAlgorithm => "the token is not signed with HS256",
            _ => "the token is malformed",
        };
        AppError::Unauthenticated(detail.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(error: AppError) -> (u16, Value, String) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let content_type = response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_owned();
        let bytes = response.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), content_type)
    }

    #[test]
    fn every_lost_connection_is_unavailable_and_a_bad_statement_is_not() {
        let db_error = |kind, message: &str| DieselError::DatabaseError(kind, Box::new(message.to_owned()));
        let lost = [
            db_error(DatabaseErrorKind::ClosedConnection, "connection closed"),
            db_error(DatabaseErrorKind::UnableToSendCommand, "no connection to the server\n"),
            db_error(
                DatabaseErrorKind::Unknown,
                "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally",
            ),
            db_error(DatabaseErrorKind::Unknown, "terminating connection due to administrator command"),
            db_error(DatabaseErrorKind::Unknown, "could not receive data from server: Connection reset by peer"),
            db_error(DatabaseErrorKind::Unknown, "SSL SYSCALL error: EOF detected"),
            DieselError::RollbackErrorOnCommit {
                rollback_error: Box::new(db_error(DatabaseErrorKind::UnableToSendCommand, "no connection")),
                commit_error: Box::new(db_error(DatabaseErrorKind::Unknown, "server closed the connection")),
            },
            DieselError::BrokenTransactionManager,
        ];
        for error in lost {
            let shown = error.to_string();
            let app = AppError::from(error);
            assert_eq!(app.code(), "unavailable", "{shown}");
            assert_eq!(app.status_code(), 503);
        }
        let bad = db_error(DatabaseErrorKind::Unknown, "syntax error at or near \"SELEC\"");
        assert_eq!(AppError::from(bad).code(), "internal");
    }

    #[test]
    fn problem_details_have_the_rfc_9457_members_and_a_code() {
        let (status, body, content_type) = body_of(AppError::invalid_field("title", Rule::Required));
        assert_eq!(status, 422);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(
            body,
            json!({
                "type": "about:blank",
                "title": "Unprocessable Entity",
                "status": 422,
                "code": "validation_failed",
                "detail": "the request has invalid fields",
                "errors": [{"field": "title", "message": "is required"}]
            })
        );
    }

    #[test]
    fn transitions_name_state_and_action() {
        let (status, body, _) = body_of(AppError::InvalidTransition {
            state: CaseState::Closed,
            action: Action::Approve,
            suspended: None,
        });
        assert_eq!(status, 409);
        assert_eq!(body["code"], "invalid_transition");
        assert_eq!(body["state"], "closed");
        assert_eq!(body["action"], "approve");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let (status, body, _) = body_of(AppError::Internal("relation \"cases\" does not exist".into()));
        assert_eq!(status, 500);
        assert!(!body.to_string().contains("relation"));
    }

    #[test]
    fn unavailable_databases_do_not_leak_their_error_text() {
        let cause = "no database connection available: timed out waiting for connection: \
                     connection to server at \"127.0.0.1\", port 5432 failed: Connection refused";
        let (status, body, _) = body_of(AppError::Unavailable(cause.into()));
        assert_eq!((status, body["code"].as_str()), (503, Some("unavailable")));
        for leak in ["5432", "127.0.0.1", "connection", "timed out"] {
            assert!(!body.to_string().contains(leak), "{leak} in {body}");
        }
    }

    #[test]
    fn diesel_errors_map_to_stable_codes() {
        assert_eq!(AppError::from(DieselError::NotFound).code(), "not_found");
        assert_eq!(AppError::from(DieselError::RollbackTransaction).code(), "internal");
        for storage in ["database or disk is full", "disk I/O error"] {
            let error = DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(storage.to_owned()));
            assert_eq!(AppError::from(error).status_code(), StatusCode::SERVICE_UNAVAILABLE, "{storage}");
        }
    }
}
