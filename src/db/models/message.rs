//! Mail in the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::ids::CaseId;
use crate::domain::notice::{MessageState, Notice};

/// A message to add.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage {
    /// What it reports (`assigned`, `receipt`, …).
    pub kind: Notice,
    /// One address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// The case it is about.
    pub case_id: Option<CaseId>,
    /// JSON the body is rendered from at sending time.
    pub payload: String,
    /// When to try first.
    pub next_attempt_at: NaiveDateTime,
    /// When it was written.
    pub created_at: NaiveDateTime,
}

/// A message as stored.
#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: i64,
    pub kind: Notice,
    pub recipient: String,
    pub subject: String,
    pub case_id: Option<CaseId>,
    /// Render data.
    pub payload: String,
    /// Where it stands.
    pub state: MessageState,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: NaiveDateTime,
    /// While a sender holds it.
    pub claimed_until: Option<NaiveDateTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The mailbox the recipient's address names, as caps count it
    /// (`domain::citizen::mailbox_key`).
    pub recipient_key: Option<String>,
}
