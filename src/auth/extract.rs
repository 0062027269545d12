//! The authenticated caller and the proofs of its role. The API's middleware
//! (`api::bearer`) checks the bearer token before any handler runs, so a bad
//! token is a 401 whatever else is wrong with the request; handlers then take
//! [`AuthUser`] (any staff), [`Admin`] or [`OfficeStaff`] as their first
//! argument, and the role is checked before the body is read. The pages take
//! the same proofs through their session (`web::session::Page`), and the
//! service layer's functions ask for them: a proof can only be had from
//! [`RoleProof::check`], the one statement of who may do what.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};

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

/// The outcome of checking a request's bearer token, kept in its extensions
/// by the API's middleware (`api::bearer`) for the extractors below.
#[derive(Clone)]
pub struct Authentication(pub Result<AuthUser, AppError>);

fn authenticated(req: &HttpRequest) -> Result<AuthUser, AppError> {
    match req.extensions().get::<Authentication>() {
        Some(Authentication(outcome)) => outcome.clone(),
        None => Err(AppError::Unauthenticated("log in first: no Authorization header".into())),
    }
}

/// A signed-in caller's role, checked: the only way to hold one of these
/// types is `check`, so a function that asks for one cannot be reached by a
/// caller without the role, whichever surface it came from.
pub trait RoleProof: Sized {
    /// The proof for `user`, or 403 naming the role that may not do this.
    fn check(user: AuthUser) -> Result<Self, AppError>;

    /// The caller behind the proof.
    fn user(&self) -> &AuthUser;
}

impl RoleProof for AuthUser {
    fn check(user: AuthUser) -> Result<Self, AppError> {
        Ok(user)
    }

    fn user(&self) -> &AuthUser {
        self
    }
}

/// An administrator.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

impl RoleProof for Admin {
    fn check(user: AuthUser) -> Result<Self, AppError> {
        user.require(&[Role::Admin]).map(|()| Admin(user))
    }

    fn user(&self) -> &AuthUser {
        &self.0
    }
}

/// Office staff (clerk or administrator), who register, route and close cases.
#[derive(Debug, Clone)]
pub struct OfficeStaff(pub AuthUser);

impl RoleProof for OfficeStaff {
    fn check(user: AuthUser) -> Result<Self, AppError> {
        user.require(&[Role::Admin, Role::Clerk]).map(|()| OfficeStaff(user))
    }

    fn user(&self) -> &AuthUser {
        &self.0
    }
}

/// Those who read the office's figures and reports across departments:
/// leaders, clerks and admins (a handler's statistics are their own
/// department's, through [`AuthUser`]).
#[derive(Debug, Clone)]
pub struct Overseer(pub AuthUser);

impl RoleProof for Overseer {
    fn check(user: AuthUser) -> Result<Self, AppError> {
        user.require(&[Role::Admin, Role::Clerk, Role::Leader]).map(|()| Overseer(user))
    }

    fn user(&self) -> &AuthUser {
        &self.0
    }
}

/// The API's extractor for each proof: the bearer token's account, checked.
macro_rules! extract_proof {
    ($($proof:ty),*) => {$(
        impl FromRequest for $proof {
            type Error = AppError;
            type Future = Ready<Result<$proof, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(authenticated(req).and_then(<$proof as RoleProof>::check))
            }
        }
    )*};
}

extract_proof!(AuthUser, Admin, OfficeStaff, Overseer);
