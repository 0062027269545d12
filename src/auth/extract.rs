//! The authenticated caller. The [`authenticate`] middleware checks the bearer
//! token before any handler runs, so a bad token is a 401 whatever else is
//! wrong with the request; handlers then take [`AuthUser`] (any staff),
//! [`Admin`] or [`OfficeStaff`] as their first argument, and the role is checked
//! before the body is read.
//!
//! [`resolve`] is the one place a token becomes a user: the bearer token of
//! the API and the session cookie of the pages (`src/web/`) both go through it,
//! so revocation, deactivation and the idle timeout end both alike.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use crate::app::AppState;
use crate::auth::token::Claims;
use crate::db;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::role::Role;
use crate::error::AppError;

/// A staff member whose token checked out against the current account: active,
/// and not revoked since the token was issued.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Account id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    pub role: Role,
    /// Department (handlers always have one).
    pub department_id: Option<DepartmentId>,
}

impl AuthUser {
    /// Refuses with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("the {} role may not do this", self.role)))
        }
    }

    /// For handlers, the only department whose cases they may see.
    pub fn department_scope(&self) -> Option<DepartmentId> {
        match self.role {
            Role::Handler => self.department_id,
            _ => None,
        }
    }
}

/// The outcome of checking a request's token, kept in its extensions.
#[derive(Clone)]
struct Authentication(Result<AuthUser, AppError>);

fn bearer_token(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthenticated("log in first: no Authorization header".into()))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated("the Authorization header is not readable".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(AppError::Unauthenticated("the Authorization header must be 'Bearer <token>'".into())),
    }
}

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

/// Middleware: checks the bearer token of every request that carries one.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let outcome = match (req.app_data::<web::Data<AppState>>().cloned(), bearer_token(req.request())) {
            (Some(state), Ok(token)) => resolve(&state, &token).await.map(|resolved| resolved.user),
            (None, _) => Err(AppError::Internal("application state missing".into())),
            (_, Err(e)) => Err(e),
        };
        req.extensions_mut().insert(Authentication(outcome));
    }
    next.call(req).await
}

fn authenticated(req: &HttpRequest) -> Result<AuthUser, AppError> {
    match req.extensions().get::<Authentication>() {
        Some(Authentication(outcome)) => outcome.clone(),
        None => Err(AppError::Unauthenticated("log in first: no Authorization header".into())),
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Ready<Result<AuthUser, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticated(req))
    }
}

/// An administrator.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

impl Admin {
    /// The one rule of who administers: the API's extractor and the admin
    /// pages both ask it, so there is no second permission table.
    pub fn check(user: AuthUser) -> Result<Admin, AppError> {
        user.require(&[Role::Admin]).map(|()| Admin(user))
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Admin, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticated(req).and_then(Admin::check))
    }
}

/// Office staff (clerk or administrator), who register cases.
#[derive(Debug, Clone)]
pub struct OfficeStaff(pub AuthUser);

impl FromRequest for OfficeStaff {
    type Error = AppError;
    type Future = Ready<Result<OfficeStaff, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            authenticated(req)
                .and_then(|user| user.require(&[Role::Admin, Role::Clerk]).map(|()| OfficeStaff(user))),
        )
    }
}
