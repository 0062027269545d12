//! Mail to departments and citizens through a transactional outbox.
//!
//! Changes write their messages to the outbox in their own transaction
//! ([`enqueue`]); a sender task ([`spawn`], [`deliver_due`]) claims due
//! messages, renders them ([`templates`]) and hands them to the [`Mailer`]:
//! SMTP with lettre, or `.eml` files under `data/outbox/` when no SMTP server
//! is configured. Failed attempts are retried with exponential backoff for 24
//! hours, then the message is marked failed for an admin to retry.

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use chrono::NaiveDateTime;
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{json, Value};

use crate::config::Settings;
use crate::db::models::{Case, Message, NewMessage};
use crate::db::outbox;
use crate::db::{self, Db, DbConnection};
pub use crate::domain::notice::Notice;
use crate::domain::time;
use crate::error::AppError;
use crate::metrics::Metrics;

/// How long messages are retried before they are marked failed.
pub const RETRY_WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// Longest wait between two attempts.
pub const MAX_BACKOFF: chrono::Duration = chrono::Duration::hours(1);
/// How often the sender looks for due messages.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How long a claimed message is held by one sender before another may take it.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// Messages claimed per round.
const BATCH: i64 = 50;
/// The media type of an xlsx workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What every message about a case carries. Departments never get the
/// citizen's contact details; citizens never get internal notes.
fn case_payload(case: &Case) -> Value {
    json!({
        "case_id": case.id,
        "tracking_no": case.tracking_no,
        "title": case.title,
        "due_at": case.due_at.map(|d| time::to_office(d).to_rfc3339()),
    })
}

/// Writes the messages a change calls for, in the caller's transaction.
/// `extra` adds notice-specific members (a note, the reply, a query code).
pub fn enqueue(
    conn: &mut DbConnection,
    notice: Notice,
    case: &Case,
    extra: Value,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let (recipients, department) = if notice.to_department() {
        let Some(department_id) = case.department_id else { return Ok(0) };
        let department = db::departments::find(conn, department_id)?;
        let email = department.as_ref().and_then(|d| d.email.clone());
        (outbox::department_recipients(conn, department_id, email.as_deref())?, department.map(|d| d.name))
    } else {
        (case.citizen_email.iter().cloned().collect(), None)
    };
    let mut payload = case_payload(case);
    if let (Value::Object(base), Value::Object(more)) = (&mut payload, extra) {
        base.extend(more);
    }
    if let Some(name) = department {
        payload["department"] = json!(name);
    }
    let subject = templates::subject(notice, &payload);
    for recipient in &recipients {
        outbox::insert(
            conn,
            &NewMessage {
                kind: notice,
                recipient: recipient.clone(),
                subject: subject.clone(),
                case_id: Some(case.id),
                payload: payload.to_string(),
                next_attempt_at: now,
                created_at: now,
            },
        )?;
    }
    Ok(recipients.len())
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server (`CASEDESK_SMTP_URL`), with STARTTLS/TLS and credentials from the URL.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder, for demos and machines without mail.
    Files(PathBuf),
}

impl Mailer {
    /// The mailer the settings ask for.
    pub fn from_settings(settings: &Settings) -> Result<Mailer, String> {
        match &settings.smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| Mailer::Smtp(builder.timeout(Some(Duration::from_secs(20))).build()))
                .map_err(|e| format!("CASEDESK_SMTP_URL is not usable: {e}")),
            None => Ok(Mailer::Files(PathBuf::from("data").join("outbox"))),
        }
    }

    async fn send(&self, id: i64, message: lettre::Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(transport) => transport.send(message).await.map(drop).map_err(|e| e.to_string()),
            Mailer::Files(dir) => {
                let dir = dir.clone();
                actix_web::web::block(move || {
                    crate::files::private_dir(&dir)?;
                    crate::files::write_private(&dir.join(format!("{id:010}.eml")), &message.formatted())
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
            }
        }
    }
}

/// Builds the message for one outbox row.
fn build(settings: &Settings, row: &Message) -> Result<lettre::Message, String> {
    let notice = row.kind;
    let payload: Value = serde_json::from_str(&row.payload).map_err(|e| e.to_string())?;
    let (text, html) = templates::bodies(notice, &payload, &settings.public_url);
    let from: Mailbox = settings.mail_from.parse().map_err(|e| format!("CASEDESK_MAIL_FROM: {e}"))?;
    let to: Mailbox = row.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    let bodies = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
    // A digest carries its workbook, written with the digest (base64 in the payload).
    let body = match (payload["attachment"]["name"].as_str(), payload["attachment"]["base64"].as_str()) {
        (Some(name), Some(encoded)) => {
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| e.to_string())?;
            let kind = ContentType::parse(XLSX).map_err(|e| e.to_string())?;
            MultiPart::mixed()
                .multipart(bodies)
                .singlepart(Attachment::new(name.to_owned()).body(bytes, kind))
        }
        _ => bodies,
    };
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(&row.subject)
        .message_id(Some(format!("<outbox-{}@casedesk>", row.id)))
        .multipart(body)
        .map_err(|e| e.to_string())
}

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … (doubling from
/// `base`), at most an hour.
pub fn backoff(base: chrono::Duration, attempts: i32) -> chrono::Duration {
    let factor = 1_i64 << attempts.clamp(0, 20);
    (base * factor as i32).min(MAX_BACKOFF)
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    /// Failed, to be retried.
    pub retrying: usize,
    /// Failed for good.
    pub failed: usize,
    /// Claimed but given back unsent, because too little of the lease was left.
    pub released: usize,
}

/// Claims the messages due at `now` for [`LEASE`] and delivers them.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    settings: &Settings,
    metrics: Option<&Metrics>,
    now: NaiveDateTime,
) -> Result<Delivery, AppError> {
    deliver_due_within(db, mailer, settings, metrics, now, LEASE).await
}

/// Claims the messages due at `now` for `lease` and delivers them.
///
/// Once the lease lapses another sender may claim the same messages, so a
/// message is only handed to the mailer while at least half the lease is left
/// (more than a slow SMTP server's timeouts need); the rest of the batch is
/// released for the next round. Results are recorded only while this
/// sender's claim still holds, so a sender that was overtaken cannot undo
/// another's delivery.
pub async fn deliver_due_within(
    db: &Db,
    mailer: &Mailer,
    settings: &Settings,
    metrics: Option<&Metrics>,
    now: NaiveDateTime,
    lease: chrono::Duration,
) -> Result<Delivery, AppError> {
    let started = std::time::Instant::now();
    let lease_until = now + lease;
    let claimed = db.write(move |conn| Ok(outbox::claim(conn, now, lease_until, BATCH)?)).await?;
    let mut delivery = Delivery::default();
    let base = chrono::Duration::seconds(settings.mail_retry_base_secs);
    let send_budget = (lease / 2).to_std().unwrap_or_default();
    let mut rows = claimed.into_iter();
    while let Some(row) = rows.next() {
        if started.elapsed() > send_budget {
            let unsent: Vec<i64> = std::iter::once(row.id).chain(rows.map(|r| r.id)).collect();
            delivery.released = unsent.len();
            db.write(move |conn| Ok(outbox::release(conn, &unsent, lease_until)?)).await?;
            break;
        }
        let outcome = match build(settings, &row) {
            Ok(message) => mailer.send(row.id, message).await,
            Err(e) => Err(e),
        };
        let id = row.id;
        let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let still_ours = match outcome {
            Ok(()) => {
                let kept = templates::redacted(&row.payload);
                delivery.sent += 1;
                if let Some(m) = metrics {
                    m.mail_sent();
                }
                db.write(move |conn| Ok(outbox::mark_sent(conn, id, lease_until, at, &kept)?)).await?
            }
            Err(error) => {
                let retry_at = at + backoff(base, row.attempts);
                let keep_trying = retry_at < row.created_at + RETRY_WINDOW;
                tracing::warn!(message = id, attempts = row.attempts + 1, %error, keep_trying, "mail not delivered");
                if keep_trying {
                    delivery.retrying += 1;
                } else {
                    delivery.failed += 1;
                }
                if let Some(m) = metrics {
                    m.mail_failed();
                }
                let retry = keep_trying.then_some(retry_at);
                db.write(move |conn| Ok(outbox::mark_attempt_failed(conn, id, lease_until, &error, retry)?))
                    .await?
            }
        };
        if !still_ours {
            tracing::warn!(message = id, "another sender took this message over after the claim lapsed");
        }
    }
    Ok(delivery)
}

/// Starts the sender on the current runtime.
pub fn spawn(db: Db, mailer: Mailer, settings: std::sync::Arc<Settings>, metrics: Metrics) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(POLL_INTERVAL);
        loop {
            interval.tick().await;
            // Keep going through a backlog without waiting for the next tick.
            loop {
                match deliver_due(&db, &mailer, &settings, Some(&metrics), time::now_utc()).await {
                    Ok(d) if d.sent + d.retrying + d.failed + d.released == BATCH as usize => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "mail sender round failed");
                        break;
                    }
                }
            }
        }
    });
}
