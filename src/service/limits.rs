//! Limits on what one client address may do without an account: write
//! letters, look them up, rate them. Counted in the database, so that they
//! hold across several instances on one PostgreSQL; beyond a limit the
//! answer is 429 with `Retry-After`. The address is [`ClientAddress`]'s.

use chrono::{Duration, NaiveDateTime};

use crate::client::ClientAddress;
use crate::db::{self, DbConnection};
use crate::error::AppError;

/// Something a client does without an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicRequest {
    /// Write a letter to the public mailbox.
    Letter,
    /// Look a letter up with its tracking number and query code.
    Lookup,
    /// Rate the reply to a letter.
    Rating,
}

/// At most `count` within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How many.
    pub count: i64,
    /// Within how long.
    pub window: Duration,
}

/// The longest window of any limit: requests older than this no longer count.
pub const LONGEST_WINDOW: Duration = Duration::days(1);

impl PublicRequest {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PublicRequest::Letter => "letter",
            PublicRequest::Lookup => "lookup",
            PublicRequest::Rating => "rating",
        }
    }

    /// Its limits per client address: five letters an hour and twenty a
    /// day; thirty look-ups (or ratings) a minute, which no citizen
    /// reaches and which makes guessing a query code hopeless.
    pub fn limits(self) -> &'static [Limit] {
        const LETTERS: [Limit; 2] =
            [Limit { count: 5, window: Duration::hours(1) }, Limit { count: 20, window: Duration::days(1) }];
        const LOOKUPS: [Limit; 1] = [Limit { count: 30, window: Duration::minutes(1) }];
        match self {
            PublicRequest::Letter => &LETTERS,
            PublicRequest::Lookup | PublicRequest::Rating => &LOOKUPS,
        }
    }
}

/// Lets `request` from `client` through and records it, or refuses it with
/// 429 when a limit is reached. Runs in the caller's write transaction (a
/// refused request then records nothing; an admitted one is counted with
/// whatever it writes).
pub fn admit(
    conn: &mut DbConnection,
    request: PublicRequest,
    client: ClientAddress,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let client = client.to_string();
    db::public_requests::lock(conn, &client)?;
    for limit in request.limits() {
        let (count, nth_latest) =
            db::public_requests::recent(conn, request.as_str(), &client, now - limit.window, limit.count)?;
        if count >= limit.count {
            let free_at = nth_latest.unwrap_or(now) + limit.window;
            let retry_after_secs = (free_at - now).num_seconds().max(1) as u64;
            return Err(AppError::RateLimited {
                detail: format!(
                    "at most {} of these from one address within {} minutes; try again in {retry_after_secs} seconds",
                    limit.count,
                    limit.window.num_minutes()
                ),
                retry_after_secs,
            });
        }
    }
    db::public_requests::record(conn, request.as_str(), &client, now)?;
    Ok(())
}
