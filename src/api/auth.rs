//! `/api/v1/auth`: login with throttling, the current user, logout and
//! password change (both revoke earlier tokens).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::views::UserView;
use crate::app::AppState;
use crate::auth::{password, throttle, AuthUser};
use crate::client::ClientAddress;
use crate::db;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;

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
/// Each check is first admitted by the throttle (and counted as a failure
/// until it succeeds), then the password is checked outside any transaction,
/// and a success clears the count for this username from this address. A
/// name no account could have is refused without being checked or recorded.
/// Failures are logged with the username and the client's address, as an
/// audit trail (never the password).
pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: JsonBody<LoginInput>,
) -> Result<HttpResponse, AppError> {
    let LoginInput { username, password: given } = body.0;
    let possible_account =
        super::parse_username(&mut FieldErrors::new(), &username).is_some_and(|n| n == username);
    if !possible_account {
        web::block(move || password::verify_against_nothing(&given)).await?;
        tracing::warn!(username = %username.escape_debug(), %client, "login failed: no such account");
        return Err(AppError::Unauthenticated("wrong username or password".into()));
    }
    let now = time::now_utc();
    let name = username.clone();
    let user = state
        .db
        .write(move |conn| {
            throttle::admit(conn, &name, client, now)?;
            Ok(db::users::find_by_username(conn, &name)?)
        })
        .await
        .inspect_err(|error| {
            if let AppError::RateLimited { .. } = error {
                tracing::warn!(%username, %client, "login refused: too many failures");
            }
        })?;
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
        tracing::warn!(%username, %client, "login failed");
        return Err(AppError::Unauthenticated("wrong username or password".into()));
    };
    state.db.write(move |conn| throttle::succeeded(conn, &username, client)).await?;
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
    client: ClientAddress,
    body: JsonBody<PasswordInput>,
) -> Result<HttpResponse, AppError> {
    let PasswordInput { current_password, new_password } = body.0;
    password::check_new("new_password", &new_password)?;
    let id = user.id;
    let now = time::now_utc();
    let username = user.username.clone();
    // Guessing the current password with a stolen token is throttled like a login.
    let account = state
        .db
        .write(move |conn| {
            throttle::admit(conn, &username, client, now)?;
            db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))
        })
        .await?;
    let hash = web::block(move || {
        if !password::verify(&current_password, &account.password_hash) {
            return Err(AppError::invalid_field("current_password", "is not your current password"));
        }
        password::hash(&new_password).map_err(AppError::Internal)
    })
    .await?
    .inspect_err(
        |_| tracing::warn!(username = %user.username, %client, "password change: wrong current password"),
    )?;
    let name = user.username.clone();
    let updated = state
        .db
        .write(move |conn| {
            throttle::succeeded(conn, &name, client)?;
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
