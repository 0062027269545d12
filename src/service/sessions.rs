//! Signing in and out, changing one's password, and turning a token into an
//! account: the checks that `POST /api/v1/auth/login`, `/logout` and
//! `/password`, the bearer-token middleware and the sign-in pages
//! (`src/web/login.rs`, the session cookie) share, so that the throttle, the
//! timing equaliser, revocation and the refusal of inactive accounts hold on
//! every way in. Each returns the account; the caller issues what it hands out
//! (a bearer token or a session cookie).

use actix_web::web;

use crate::auth::token::Claims;
use crate::auth::{password, throttle, AuthUser};
use crate::client::ClientAddress;
use crate::db;
use crate::db::models::User;
use crate::domain::account::is_possible_username;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::Rule;
use crate::error::AppError;
use crate::state::AppState;

/// A token that checked out: who it is, what the token says, and the name the
/// account shows (pages greet the user with it).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The caller.
    pub user: AuthUser,
    /// The token's claims (a session is renewed from them).
    pub claims: Claims,
    /// The account's display name.
    pub display_name: String,
}

/// Checks a token (signature, expiry, idle deadline) against the current
/// account: it must exist, be active and not have been revoked since.
pub async fn resolve(state: &AppState, token: &str) -> Result<Resolved, AppError> {
    let claims = state.tokens.verify(token)?;
    let user_id = UserId(
        claims
            .sub
            .parse()
            .map_err(|_| AppError::Unauthenticated("the token's subject is not a user id".into()))?,
    );
    let user = match state.users.get(user_id) {
        Some(user) => user,
        None => {
            let user =
                state.db.read(move |conn| Ok(db::users::find(conn, user_id)?)).await?.ok_or_else(|| {
                    AppError::Unauthenticated("the token's account no longer exists".into())
                })?;
            state.users.put(user.clone());
            user
        }
    };
    if !user.active {
        return Err(AppError::Unauthenticated("the account is deactivated".into()));
    }
    if user.token_epoch != claims.epoch {
        return Err(AppError::Unauthenticated("the token was revoked; log in again".into()));
    }
    if user.role == Role::Handler && user.department_id.is_none() {
        return Err(AppError::Forbidden("this handler account belongs to no department".into()));
    }
    Ok(Resolved {
        user: AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            department_id: user.department_id,
        },
        claims,
        display_name: user.display_name,
    })
}

/// Checks a username and password from `client`; returns the active account
/// they belong to.
///
/// Each check is first admitted by the throttle (and counted as a failure
/// until it succeeds; checks from one address take turns, so parallel
/// guesses cannot slip past the limits while a slow hash is checked), then
/// the password is checked outside any transaction, and a success clears the
/// count for this username from this address. A name no account could have
/// is refused without being recorded. Wrong names, wrong passwords and
/// inactive accounts are all the same 401, in the same time. Failures are
/// logged with the username and address (never the password), as an audit trail.
pub async fn check_credentials(
    state: &AppState,
    client: ClientAddress,
    username: String,
    given: String,
) -> Result<User, AppError> {
    if !is_possible_username(&username) {
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
    Ok(user)
}

/// The signed-in user's own account, as it is now.
pub async fn account(state: &AppState, user: &AuthUser) -> Result<User, AppError> {
    let id = user.id;
    state.db.read(move |conn| db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))).await
}

/// Revokes every token and session of the account issued until now.
pub async fn revoke_all(state: &AppState, user_id: UserId) -> Result<(), AppError> {
    state.db.write(move |conn| Ok(db::users::revoke_tokens(conn, user_id)?)).await?;
    state.users.forget(user_id);
    Ok(())
}

/// Changes the account's password after checking the current one, and revokes
/// every earlier token and session. Returns the account as it is now (with its
/// new token epoch). A wrong current password is a 422 on `current_password`,
/// a bad new one on `new_password`; guessing the current one with a stolen
/// token or session is throttled as logins are.
pub async fn change_password(
    state: &AppState,
    client: ClientAddress,
    user_id: UserId,
    current_password: String,
    new_password: String,
) -> Result<User, AppError> {
    password::check_new("new_password", &new_password)?;
    let now = time::now_utc();
    let account = state
        .db
        .write(move |conn| {
            let account = db::users::find(conn, user_id)?.ok_or_else(|| AppError::not_found("user"))?;
            throttle::admit(conn, &account.username, client, now)?;
            Ok(account)
        })
        .await?;
    let username = account.username.clone();
    let hash = web::block(move || {
        if !password::verify(&current_password, &account.password_hash) {
            return Err(AppError::invalid_field("current_password", Rule::WrongPassword));
        }
        password::hash(&new_password).map_err(AppError::Internal)
    })
    .await?
    .inspect_err(|_| tracing::warn!(%username, %client, "password change: wrong current password"))?;
    let updated = state
        .db
        .write(move |conn| {
            throttle::succeeded(conn, &username, client)?;
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
