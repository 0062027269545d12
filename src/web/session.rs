//! The signed-in staff member of a page request: the `casedesk_session`
//! cookie, checked by `auth::resolve` exactly as the API checks a bearer token
//! (signature, expiry, idle deadline, account active, token epoch). A page
//! that takes [`Session`] sends a browser without a valid one to `/login`.
//! A valid session is renewed: its idle deadline moves on, and
//! `page_middleware` sets the renewed cookie on the response.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, Utc};

use super::cookies;
use super::errors::PageError;
use crate::app::AppState;
use crate::auth::{resolve, Resolved};
use crate::error::AppError;

/// A valid browser session.
pub struct Session(pub Resolved);

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
