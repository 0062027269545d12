//! Posted forms, read only once their CSRF token checks out: [`CsrfForm`]
//! for a signed-in session's forms (the token is bound to the session), and
//! [`PublicForm`] for the forms without a session — sign-in and the public
//! mailbox — whose token is the signed double submit of `csrf::login_token`.
//! A wrong or missing token is refused (403) before anything in the form is
//! looked at; a form that is not of the handler's type is a 400 page.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::csrf;
use super::errors::PageError;
use super::session;
use crate::error::AppError;
use crate::state::AppState;

/// The form's own name for its token.
const TOKEN_FIELD: &str = "csrf_token";

/// A signed-in session's form, its token checked.
pub struct CsrfForm<T>(pub T);

/// A form of the pages without a session, its token checked.
pub struct PublicForm<T>(pub T);

/// The form's fields in order (the form limit of the route applies), and its token.
async fn read_fields(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<(Vec<(String, String)>, Option<String>), PageError> {
    let fields = web::Form::<Vec<(String, String)>>::from_request(req, payload)
        .await
        .map_err(|_| PageError::BadRequest)?
        .into_inner();
    let token = fields.iter().find(|(name, _)| name == TOKEN_FIELD).map(|(_, value)| value.clone());
    Ok((fields, token))
}

/// The fields as the handler's type, the token left out.
fn typed<T: DeserializeOwned>(fields: Vec<(String, String)>) -> Result<T, PageError> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().filter(|(name, _)| name != TOKEN_FIELD))
        .finish();
    serde_urlencoded::from_str(&encoded).map_err(|_| PageError::BadRequest)
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()).into())
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<CsrfForm<T>, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = state(&req)?;
            let signed_in = session::current(&req).await?.ok_or(PageError::SignIn)?;
            let (fields, token) = read_fields(&req, &mut payload).await?;
            if !csrf::session_token_matches(&state.tokens, &signed_in.claims, token.as_deref()) {
                return Err(PageError::Csrf);
            }
            typed(fields).map(CsrfForm)
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PublicForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<PublicForm<T>, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = state(&req)?;
            let (fields, token) = read_fields(&req, &mut payload).await?;
            if !csrf::login_token_matches(&state.tokens, &req, token.as_deref()) {
                return Err(PageError::Csrf);
            }
            typed(fields).map(PublicForm)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Letter {
        title: String,
        is_public: Option<String>,
    }

    #[test]
    fn the_token_is_not_part_of_the_typed_form() {
        let fields =
            vec![("csrf_token".to_owned(), "t".to_owned()), ("title".to_owned(), "路灯 & 井盖".to_owned())];
        let letter: Letter = typed(fields.clone()).unwrap();
        assert_eq!(letter, Letter { title: "路灯 & 井盖".into(), is_public: None });
        let map: BTreeMap<String, String> = typed(fields).unwrap();
        assert!(!map.contains_key("csrf_token"));
        assert!(
            typed::<Letter>(vec![("is_public".into(), "on".into())]).is_err(),
            "a missing field is a 400"
        );
    }
}
