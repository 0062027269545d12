//! The mail queue, for admins: what is pending, sent or failed, and a retry
//! of a failed message.

use crate::auth::Admin;
use crate::db::{self, models::Message};
use crate::domain::notice::MessageState;
use crate::domain::time::{self};
use crate::error::AppError;
use crate::state::AppState;

/// A page of messages, newest first, in one state or all; `true` when more follow.
pub async fn list(
    state: &AppState,
    _admin: &Admin,
    wanted: Option<MessageState>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Message>, bool), AppError> {
    state.db.read(move |conn| Ok(db::outbox::list(conn, wanted, before, limit)?)).await
}

/// A failed message goes back in the queue with a fresh 24 hours of
/// attempts: the API's retry and the outbox page's button. Anything but a
/// failed message is a conflict.
pub async fn retry(state: &AppState, Admin(admin): &Admin, id: i64) -> Result<Message, AppError> {
    let now = time::now_utc();
    let message = state
        .db
        .write(move |conn| {
            let message = db::outbox::find(conn, id)?.ok_or_else(|| AppError::not_found("message"))?;
            if !db::outbox::retry(conn, id, now)? {
                return Err(AppError::Conflict(format!(
                    "message {id} is {}, not failed",
                    message.state.as_str()
                )));
            }
            db::outbox::find(conn, id)?.ok_or_else(|| AppError::not_found("message"))
        })
        .await?;
    tracing::info!(message = id, by = %admin.username, "failed mail queued again");
    Ok(message)
}

/// Messages per state, for the metrics.
pub async fn counts(state: &AppState) -> Result<Vec<(MessageState, i64)>, AppError> {
    state.db.read(|conn| Ok(db::outbox::counts(conn)?)).await
}
