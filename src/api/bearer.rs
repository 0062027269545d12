//! The API's way in: the bearer token of every request that carries one is
//! checked (`service::sessions::resolve`) before any handler runs, and the
//! outcome is left in the request for the role extractors of `crate::auth`.
//! The pages never read `Authorization`; their session cookie is theirs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use crate::auth::Authentication;
use crate::error::AppError;
use crate::service::sessions::resolve;
use crate::state::AppState;

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
