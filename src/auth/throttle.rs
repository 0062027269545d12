//! Throttling password guesses. Failures are counted per (username, client
//! address): after [`FREE_FAILURES`] within [`WINDOW`], each further check
//! waits longer after the last failure ([`delay_after`]) — so an attacker at
//! one address slows only their own guesses and cannot lock the account's
//! owner out at another. Each address also has a budget of [`ADDRESS_BUDGET`]
//! failures within the window across all usernames, against password
//! spraying. A client is [`ClientAddress::throttle_key`]: an IPv6 attacker
//! gets one /64, not 2^64 addresses.
//!
//! Guesses spread over many addresses (a botnet) meet a per-account cap:
//! after [`ACCOUNT_FREE_FAILURES`] failures for one account within
//! [`ACCOUNT_WINDOW`] from anywhere, checks for it from a client it has not
//! signed in from within [`KNOWN_CLIENT_DAYS`] wait longer and longer after
//! its last failure ([`account_delay_after`]), a few guesses an hour at most.
//! From a client where it has signed in before, the owner is not delayed by
//! this at all: never a lock-out the owner cannot pass from a known address.
//! The counts live in the database, so they hold across instances.

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
/// The window of the per-account cap.
pub const ACCOUNT_WINDOW: Duration = Duration::hours(1);
/// Failures for one account from all clients within [`ACCOUNT_WINDOW`]
/// before its checks from unknown clients are delayed.
pub const ACCOUNT_FREE_FAILURES: i64 = 50;
/// How long a client where an account signed in stays known to it.
pub const KNOWN_CLIENT_DAYS: i64 = 90;
/// How long failures are kept: the longest window that counts them.
pub const KEPT: Duration = ACCOUNT_WINDOW;

/// How long after the last of `failures` recent failures the next check may come.
pub fn delay_after(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(u32::MAX).min(20);
    (FIRST_DELAY * 2_i32.pow(doublings)).min(WINDOW)
}

/// How long after the last of `failures` recent failures for one account
/// (from any client) a check from an unknown client may come: 5 s doubling
/// from the cap on, at most 15 minutes.
pub fn account_delay_after(failures: i64) -> Duration {
    if failures < ACCOUNT_FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = u32::try_from(failures - ACCOUNT_FREE_FAILURES).unwrap_or(u32::MAX).min(20);
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
/// the caller's write transaction; checks from one client take turns, and so
/// do checks for one account.
pub fn admit(
    conn: &mut DbConnection,
    username: &str,
    client: ClientAddress,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let client = client.throttle_key();
    db::login_failures::lock(conn, &client)?;
    db::login_failures::lock_account(conn, username)?;
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
    let (for_account, latest) = db::login_failures::recent_for_account(conn, username, now - ACCOUNT_WINDOW)?;
    if let Some(latest) = latest.filter(|_| for_account >= ACCOUNT_FREE_FAILURES) {
        let until = latest + account_delay_after(for_account);
        let known = db::login_failures::is_known_client(
            conn,
            username,
            &client,
            now - Duration::days(KNOWN_CLIENT_DAYS),
        )?;
        if until > now && !known {
            return Err(too_soon(
                until,
                now,
                "too many failed attempts for this account from many addresses; from an address \
                 where it has signed in before, it is not delayed",
            ));
        }
    }
    db::login_failures::record(conn, username, &client, now)?;
    Ok(())
}

/// After a check succeeded: clears the failures of `username` from `client`
/// and remembers the client as one the account signs in from.
pub fn succeeded(
    conn: &mut DbConnection,
    username: &str,
    client: ClientAddress,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let client = client.throttle_key();
    db::login_failures::clear(conn, username, &client)?;
    db::login_failures::remember_client(conn, username, &client, now)?;
    Ok(())
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

    #[test]
    fn an_account_under_a_spread_attack_slows_to_a_few_guesses_an_hour() {
        assert_eq!(account_delay_after(ACCOUNT_FREE_FAILURES - 1), Duration::zero());
        assert_eq!(account_delay_after(ACCOUNT_FREE_FAILURES), Duration::seconds(5));
        assert_eq!(account_delay_after(ACCOUNT_FREE_FAILURES + 3), Duration::seconds(40));
        assert_eq!(account_delay_after(ACCOUNT_FREE_FAILURES + 8), WINDOW);
        assert!(KEPT >= WINDOW && KEPT >= ACCOUNT_WINDOW, "failures are kept while any window counts them");
    }
}
