//! Signing in and out, and changing one's password: the checks that
//! `POST /api/v1/auth/login`, `/logout` and `/password` and the sign-in pages
//! (`src/web/login.rs`) share, so that the throttle, the timing equaliser and
//! the refusal of inactive accounts hold on both ways in. Each returns the
//! account; the caller issues what it hands out (a bearer token or a session
//! cookie).

use actix_web::web;

use crate::app::AppState;
use crate::auth::password;
use crate::db;
use crate::db::models::User;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::maintenance::LOGIN_FAILURE_WINDOW;

/// Failed logins for one username within the window before further attempts are refused.
pub const MAX_FAILED_LOGINS: i64 = 5;

/// Checks a username and password; returns the active account they belong to.
///
/// Each attempt is first counted as a failure, with concurrent attempts for
/// the same username taking turns (so parallel guesses cannot slip past the
/// limit while a slow hash is checked), then the password is checked outside
/// any transaction, and a success clears the count. A name no account could
/// have is refused without being recorded. Wrong names, wrong passwords and
/// inactive accounts are all the same 401, in the same time.
pub async fn check_credentials(state: &AppState, username: String, given: String) -> Result<User, AppError> {
    let possible_account =
        crate::api::parse_username(&mut FieldErrors::new(), &username).is_some_and(|n| n == username);
    if !possible_account {
        web::block(move || password::verify_against_nothing(&given)).await?;
        return Err(AppError::Unauthenticated("wrong username or password".into()));
    }
    let now = time::now_utc();
    let name = username.clone();
    let user = state
        .db
        .write(move |conn| {
            db::login_failures::lock(conn, &name)?;
            let (failures, oldest_counted) =
                db::login_failures::recent(conn, &name, now - LOGIN_FAILURE_WINDOW, MAX_FAILED_LOGINS)?;
            if failures >= MAX_FAILED_LOGINS {
                let free_at = oldest_counted.unwrap_or(now) + LOGIN_FAILURE_WINDOW;
                let retry_after_secs = (free_at - now).num_seconds().max(1) as u64;
                return Err(AppError::RateLimited {
                    detail: format!(
                        "too many failed logins for this username; try again in {} minutes",
                        retry_after_secs.div_ceil(60)
                    ),
                    retry_after_secs,
                });
            }
            db::login_failures::record(conn, &name, now)?;
            Ok(db::users::find_by_username(conn, &name)?)
        })
        .await?;
    let valid = web::block(move || match user {
        Some(found) if password::verify(&given, &found.password_hash) && found.active => Some(found),
        Some(_) => None,
        None => {
            password::verify_against_nothing(&given);
            None
        }
    })
    .await?;
    let Some(user) = valid else {
        return Err(AppError::Unauthenticated("wrong username or password".into()));
    };
    state.db.write(move |conn| Ok(db::login_failures::clear(conn, &username)?)).await?;
    Ok(user)
}

/// Revokes every token and session of the account issued until now.
pub async fn revoke_all(state: &AppState, user_id: i64) -> Result<(), AppError> {
    state.db.write(move |conn| Ok(db::users::revoke_tokens(conn, user_id)?)).await?;
    state.users.forget(user_id);
    Ok(())
}

/// Changes the account's password after checking the current one, and revokes
/// every earlier token and session. Returns the account as it is now (with its
/// new token epoch). A wrong current password is a 422 on `current_password`,
/// a bad new one on `new_password`.
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    current_password: String,
    new_password: String,
) -> Result<User, AppError> {
    password::check_new("new_password", &new_password)?;
    let account = state
        .db
        .read(move |conn| db::users::find(conn, user_id)?.ok_or_else(|| AppError::not_found("user")))
        .await?;
    let hash = web::block(move || {
        if !password::verify(&current_password, &account.password_hash) {
            return Err(AppError::invalid_field("current_password", "is not your current password"));
        }
        password::hash(&new_password).map_err(AppError::Internal)
    })
    .await??;
    let updated = state
        .db
        .write(move |conn| {
            db::users::revoke_tokens(conn, user_id)?;
            let changes = db::models::UserChanges {
                password_hash: Some(hash),
                updated_at: Some(time::now_utc()),
                ..Default::default()
            };
            db::users::update(conn, user_id, &changes)?;
            db::users::find(conn, user_id)?.ok_or_else(|| AppError::not_found("user"))
        })
        .await?;
    state.users.forget(updated.id);
    Ok(updated)
}
