//! `/api/v1/auth`: login with throttling, the current user, logout and
//! password change (both revoke earlier tokens).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::views::UserView;
use crate::app::AppState;
use crate::auth::{password, AuthUser};
use crate::db;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::maintenance::LOGIN_FAILURE_WINDOW;

/// Failed logins for one username within the window before further attempts are refused.
pub const MAX_FAILED_LOGINS: i64 = 5;

/// Login body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    username: String,
    password: String,
}

/// Login response.
#[derive(Debug, Serialize)]
pub struct LoginView {
    token: String,
    expires_at: DateTime<chrono::FixedOffset>,
    user: UserView,
}

/// `POST /api/v1/auth/login`.
///
/// Each attempt is first counted as a failure, with concurrent attempts for
/// the same username taking turns (so parallel guesses cannot slip past the
/// limit while a slow hash is checked), then the password is checked outside
/// any transaction, and a success clears the count. A name no account could
/// have is refused without being recorded.
pub async fn login(state: web::Data<AppState>, body: JsonBody<LoginInput>) -> Result<HttpResponse, AppError> {
    let LoginInput { username, password: given } = body.0;
    let possible_account =
        super::parse_username(&mut FieldErrors::new(), &username).is_some_and(|n| n == username);
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
    let (token, expires_at) = state.tokens.issue(user.id, user.token_epoch, Utc::now())?;
    Ok(HttpResponse::Ok().json(LoginView {
        token,
        expires_at: expires_at.with_timezone(&time::office_offset()),
        user: user.into(),
    }))
}

/// `GET /api/v1/auth/me`.
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let id = user.id;
    let found = state.db.read(move |conn| Ok(db::users::find(conn, id)?)).await?;
    let user = found.ok_or_else(|| AppError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// `POST /api/v1/auth/logout`: revokes every token of the user issued until now.
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let id = user.id;
    state.db.write(move |conn| Ok(db::users::revoke_tokens(conn, id)?)).await?;
    state.users.forget(id);
    Ok(HttpResponse::NoContent().finish())
}

/// Password change body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/auth/password`: changes the caller's password, revokes every
/// earlier token, and returns a fresh one.
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<PasswordInput>,
) -> Result<HttpResponse, AppError> {
    let PasswordInput { current_password, new_password } = body.0;
    password::check_new("new_password", &new_password)?;
    let id = user.id;
    let account = state
        .db
        .read(move |conn| db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user")))
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
            db::users::revoke_tokens(conn, id)?;
            let changes = db::models::UserChanges {
                password_hash: Some(hash),
                updated_at: Some(time::now_utc()),
                ..Default::default()
            };
            db::users::update(conn, id, &changes)?;
            db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))
        })
        .await?;
    state.users.forget(updated.id);
    let (token, expires_at) = state.tokens.issue(updated.id, updated.token_epoch, Utc::now())?;
    Ok(HttpResponse::Ok().json(LoginView {
        token,
        expires_at: expires_at.with_timezone(&time::office_offset()),
        user: updated.into(),
    }))
}
