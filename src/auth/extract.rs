//! The authenticated caller, as a handler argument: `async fn h(user: AuthUser)`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::app::AppState;
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
    /// Role.
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

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<AuthUser, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("application state missing".into()))?;
            let claims = state.tokens.verify(&token?)?;
            let user_id: i64 = claims
                .sub
                .parse()
                .map_err(|_| AppError::Unauthenticated("the token's subject is not a user id".into()))?;
            let user =
                state.db.read(move |conn| Ok(db::users::find(conn, user_id)?)).await?.ok_or_else(|| {
                    AppError::Unauthenticated("the token's account no longer exists".into())
                })?;
            if !user.active {
                return Err(AppError::Unauthenticated("the account is deactivated".into()));
            }
            if user.token_epoch != claims.epoch {
                return Err(AppError::Unauthenticated("the token was revoked; log in again".into()));
            }
            let role = Role::parse(&user.role)
                .ok_or_else(|| AppError::Internal(format!("stored role '{}' is unknown", user.role)))?;
            Ok(AuthUser {
                id: UserId(user.id),
                username: user.username,
                role,
                department_id: user.department_id.map(DepartmentId),
            })
        })
    }
}
