//! Throttling password guesses. Failures are counted per (username, client
//! address): after [`FREE_FAILURES`] within [`WINDOW`], each further check
//! waits longer after the last failure ([`delay_after`]) — so an attacker at
//! one address slows only their own guesses and cannot lock the account's
//! owner out at another. Each address also has a budget of [`ADDRESS_BUDGET`]
//! failures within the window across all usernames, against password
//! spraying. The counts live in the database, so they hold across instances.

use chrono::{Duration, NaiveDateTime};

use crate::client::ClientAddress;
use crate::db::{self, DbConnection};
use crate::error::AppError;

/// The window in which failures count.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures for one username from one address before delays begin.
pub const FREE_FAILURES: i64 = 5;
/// The first delay; each further failure doubles it, up to the window.
pub const FIRST_DELAY: Duration = Duration::seconds(5);
/// Failures from one address across all usernames within the window.
pub const ADDRESS_BUDGET: i64 = 20;

/// How long after the last of `failures` recent failures the next check may come.
pub fn delay_after(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(u32::MAX).min(20);
    (FIRST_DELAY * 2_i32.pow(doublings)).min(WINDOW)
}

fn too_soon(until: NaiveDateTime, now: NaiveDateTime, detail: &str) -> AppError {
    let retry_after_secs = (until - now).num_seconds().max(1) as u64;
    AppError::RateLimited {
        detail: format!("{detail}; try again in {} seconds", retry_after_secs),
        retry_after_secs,
    }
}

/// Decides whether a password check for `username` from `client` may happen
/// now and, if so, records it as a failure until [`succeeded`] clears it —
/// so that a crash or a slow hash in between cannot hide a guess. Runs in
/// the caller's write transaction; checks from one address take turns.
pub fn admit(
    conn: &mut DbConnection,
    username: &str,
    client: ClientAddress,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let client = client.to_string();
    db::login_failures::lock(conn, &client)?;
    let since = now - WINDOW;
    let (failures, latest) = db::login_failures::recent_for(conn, username, &client, since)?;
    if let Some(latest) = latest {
        let until = latest + delay_after(failures);
        if until > now {
            return Err(too_soon(until, now, "too many failed attempts for this account from your address"));
        }
    }
    let (from_address, nth_latest) = db::login_failures::recent_from(conn, &client, since, ADDRESS_BUDGET)?;
    if from_address >= ADDRESS_BUDGET {
        let until = nth_latest.unwrap_or(now) + WINDOW;
        return Err(too_soon(until, now, "too many failed attempts from your address"));
    }
    db::login_failures::record(conn, username, &client, now)?;
    Ok(())
}

/// Clears the failures of `username` from `client` after a check succeeded.
pub fn succeeded(conn: &mut DbConnection, username: &str, client: ClientAddress) -> Result<(), AppError> {
    Ok(db::login_failures::clear(conn, username, &client.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_up_to_the_window() {
        assert_eq!(delay_after(0), Duration::zero());
        assert_eq!(delay_after(4), Duration::zero());
        assert_eq!(delay_after(5), Duration::seconds(5));
        assert_eq!(delay_after(6), Duration::seconds(10));
        assert_eq!(delay_after(9), Duration::seconds(80));
        assert_eq!(delay_after(12), Duration::seconds(640));
        assert_eq!(delay_after(13), WINDOW);
        assert_eq!(delay_after(i64::MAX), WINDOW);
    }
}
