//! `/api/v1/auth`: login with throttling, the current user, logout and
//! password change (both revoke earlier tokens).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use crate::auth::AuthUser;
use crate::client::ClientAddress;
use crate::domain::time;
use crate::error::AppError;
use crate::service::sessions as login;
use crate::service::views::UserView;
use crate::state::AppState;

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

/// `POST /api/v1/auth/login`: the checks of [`login::check_credentials`]
/// (shared with the sign-in page), then a token.
pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: JsonBody<LoginInput>,
) -> Result<HttpResponse, AppError> {
    let LoginInput { username, password } = body.0;
    let user = login::check_credentials(&state, client, username, password).await?;
    let (token, expires_at) = state.tokens.issue(user.id, user.token_epoch, Utc::now())?;
    Ok(HttpResponse::Ok().json(LoginView {
        token,
        expires_at: expires_at.with_timezone(&time::office_offset()),
        user: user.into(),
    }))
}

/// `GET /api/v1/auth/me`.
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(UserView::from(login::account(&state, &user).await?)))
}

/// `POST /api/v1/auth/logout`: revokes every token of the user issued until now.
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    login::revoke_all(&state, user.id).await?;
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
    let updated = login::change_password(&state, client, user.id, current_password, new_password).await?;
    let (token, expires_at) = state.tokens.issue(updated.id, updated.token_epoch, Utc::now())?;
    Ok(HttpResponse::Ok().json(LoginView {
        token,
        expires_at: expires_at.with_timezone(&time::office_offset()),
        user: updated.into(),
    }))
}
