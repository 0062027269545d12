//! The signed-in staff member of a page request: the `casedesk_session`
//! cookie, checked by `service::sessions::resolve` exactly as the API checks
//! a bearer token (signature, expiry, idle deadline, account active, token
//! epoch). A page that takes [`Page`] sends a browser without a valid session
//! to `/login`, and refuses (403 page) a user without the role its proof
//! names — the proofs are the API's own (`crate::auth::RoleProof`). A valid
//! session is renewed: its idle deadline moves on, and `page_middleware`
//! sets the renewed cookie on the response.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, Utc};

use super::cookies;
use super::errors::PageError;
use crate::auth::RoleProof;
use crate::error::AppError;
use crate::service::sessions::{resolve, Resolved};
use crate::state::AppState;

/// A valid browser session, whatever the role.
pub struct Session(pub Resolved);

/// A valid browser session of a user with the role `R` proves.
pub struct Page<R> {
    /// The proof of the role, for the service's functions.
    pub proof: R,
    /// The session: who, its claims (for the forms' CSRF tokens), the name shown.
    pub session: Resolved,
}

/// The renewed session cookie for the response.
#[derive(Clone)]
pub struct Renewal(pub Cookie<'static>);

/// The idle timeout in force.
pub fn idle(state: &AppState) -> Duration {
    Duration::minutes(state.settings.session_idle_minutes)
}

/// Checks the request's session cookie, if it has one: `Ok(None)` without a
/// cookie or with one that no longer holds.
pub async fn current(req: &HttpRequest) -> Result<Option<Resolved>, PageError> {
    let Some(token) = req.cookie(cookies::SESSION).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    match resolve(state, &token).await {
        Ok(resolved) => {
            let renewed = state.tokens.renew_session(&resolved.claims, Utc::now(), idle(state))?;
            req.extensions_mut().insert(Renewal(cookies::session(&state.settings, renewed)));
            Ok(Some(resolved))
        }
        // Revoked, expired, idle, deactivated, or a handler without a department.
        Err(AppError::Unauthenticated(_) | AppError::Forbidden(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Session, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { current(&req).await?.map(Session).ok_or(PageError::SignIn) })
    }
}

impl<R: RoleProof + 'static> FromRequest for Page<R> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Page<R>, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = current(&req).await?.ok_or(PageError::SignIn)?;
            let proof = R::check(session.user.clone())?;
            Ok(Page { proof, session })
        })
    }
}
