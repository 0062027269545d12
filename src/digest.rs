//! The leaders' digest shell: every minute, each account that asked for a
//! digest and whose period's sending hour has come (`domain::digest`) gets
//! one mail with the headline figures, the risk board and the 运行通报
//! workbook, through the outbox. Exactly once per account and period: the
//! claim (`db::digests`) and the mail are one transaction, and the claim's key
//! refuses a second writer, another instance's or this one's after a restart.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::config::Settings;
use crate::db::models::{NewMessage, User};
use crate::db::{self, Db, DbConnection};
use crate::domain::digest::Frequency;
use crate::domain::figures::Hundredths;
use crate::domain::time;
use crate::error::AppError;
use crate::notify::{templates, Notice};
use crate::service::bulletin::{bulletin_in, Bulletin};

/// How often the digests due are looked for.
pub const INTERVAL: Duration = Duration::from_secs(60);

fn percent(rate: Option<Hundredths>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{}%", r.text()))
}

/// The headline figures as the mail lists them.
fn headline(b: &Bulletin) -> Vec<String> {
    let c = &b.current;
    vec![
        format!(
            "受理{}件，办结{}件，办结率{}，按时办结率{}",
            c.received,
            c.closed,
            percent(c.completion_rate),
            percent(c.on_time_rate)
        ),
        format!("满意率{}，解决率{}", percent(c.satisfaction_rate), percent(c.resolution_rate)),
        format!("按时签收率{}，退单率{}", percent(c.accepted_on_time_rate), percent(c.return_rate)),
        format!("超期未办结{}件（上期受理{}件）", c.overdue_open, b.previous.received),
    ]
}

/// Writes the digest of `user`'s period due at `now`, if any and not
/// written yet; whether it wrote one.
fn write_one(
    conn: &mut DbConnection,
    user: &User,
    now: NaiveDateTime,
    settings: &Settings,
) -> Result<bool, AppError> {
    let (Some(frequency), Some(address)) = (Frequency::parse(&user.digest), user.email.as_deref()) else {
        return Ok(false);
    };
    let Some((from, to)) = frequency.due_period(now) else { return Ok(false) };
    // Most minutes everything is written already: a read, not a write.
    if db::digests::written(conn, user.id, from, to)? || !db::digests::claim(conn, user.id, from, to, now)? {
        return Ok(false);
    }
    let bulletin = bulletin_in(conn, from, to, now, &settings.definition, &settings.scorecard_weights)?;
    let workbook = bulletin.xlsx().map_err(|e| AppError::Internal(format!("digest workbook: {e}")))?;
    let last_day = to.pred_opt().unwrap_or(to);
    let risk: Vec<String> = bulletin
        .watch
        .iter()
        .filter(|w| w.overdue > 0 || w.accept_overdue > 0)
        .map(|w| format!("{}：超期未办结{}件，签收超时{}件", w.name, w.overdue, w.accept_overdue))
        .collect();
    let payload = json!({
        "label": frequency.label(),
        "frequency": frequency.as_str(),
        "recipient_name": user.display_name,
        "from": from.to_string(),
        "to": to.to_string(),
        "last_day": last_day.to_string(),
        "as_of": bulletin.as_of,
        "headline": headline(&bulletin),
        "risk": risk,
        "attachment": {
            "name": format!("运行通报_{from}_{last_day}.xlsx"),
            "base64": base64::engine::general_purpose::STANDARD.encode(workbook),
        },
    });
    db::outbox::insert(
        conn,
        &NewMessage {
            kind: Notice::Digest,
            recipient: address.to_owned(),
            subject: templates::subject(Notice::Digest, &payload),
            case_id: None,
            payload: payload.to_string(),
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok(true)
}

/// Writes every digest due at `now`, each account in a transaction of its
/// own; returns how many were written.
pub fn run(db: &Db, now: NaiveDateTime, settings: &Settings) -> Result<usize, AppError> {
    let subscribers = db.write_blocking(|conn| Ok(db::digests::subscribers(conn)?))?;
    let mut written = 0;
    for user in subscribers {
        if db.write_blocking(|conn| write_one(conn, &user, now, settings))? {
            written += 1;
        }
    }
    Ok(written)
}

/// Runs [`run`] every minute on the current runtime.
pub fn spawn(db: Db, settings: Arc<Settings>) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(INTERVAL);
        loop {
            interval.tick().await;
            let (db, settings) = (db.clone(), settings.clone());
            match actix_web::web::block(move || run(&db, time::now_utc(), &settings)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(written)) => tracing::info!(written, "digests written"),
                Ok(Err(error)) => tracing::warn!(%error, "digests failed"),
                Err(error) => tracing::warn!(%error, "digests failed"),
            }
        }
    });
}
