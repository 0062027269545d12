//! `/console/admin/…`: administration for admins — users, departments,
//! channels, the working-day calendar and the mail outbox.
//!
//! Every page is the API's second client: who may administer is the API's
//! own proof (`Page<Admin>`), and every change goes through the same service
//! function as its API endpoint (`service::accounts::create`,
//! `service::calendar::edit_year`, …), with the same checks and the same
//! transaction. A form is turned into that function's typed input; its field
//! errors come back in Chinese beside the fields (`web::messages`), with
//! status 422, and nothing is changed.

pub mod calendar;
pub mod channels;
pub mod departments;
pub mod outbox;
pub mod users;

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use serde::Deserialize;

use crate::auth::{Admin, RoleProof};
use crate::error::AppError;
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::layout::{html, Layout};
use crate::web::messages;
use crate::web::session::Page;

/// The navigation key of every admin page.
const NAV: &str = "admin";

/// The signed-in user as an administrator, or the 403 page: the API's
/// `Admin` proof, for a page helper that has only the session.
pub fn admin_of(session: &Resolved) -> Result<Admin, PageError> {
    Ok(Admin::check(session.user.clone())?)
}

/// A form's fields by name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(transparent)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    /// A field's value, as posted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A field's value, trimmed; `None` when empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// A field's value, trimmed, empty when absent.
    pub fn value(&self, name: &str) -> String {
        self.text(name).unwrap_or_default()
    }
}

/// What a form shows again after a refusal: the values typed and the errors
/// by field name (a message for the whole form under `""`).
#[derive(Debug, Default)]
pub struct FormState {
    /// Which form it was, when a page has several.
    pub which: String,
    /// Values typed.
    pub values: Fields,
    /// Errors in Chinese by field.
    pub errors: BTreeMap<String, String>,
}

impl FormState {
    /// The value typed into a field of form `which`, if that form is the one shown again.
    pub fn value(&self, which: &str, name: &str) -> String {
        if self.which == which {
            self.values.value(name)
        } else {
            String::new()
        }
    }

    /// A field's error in form `which`.
    pub fn error(&self, which: &str, name: &str) -> Option<&str> {
        (self.which == which).then(|| self.errors.get(name).map(String::as_str)).flatten()
    }

    /// Whether form `which` was refused.
    pub fn refused(&self, which: &str) -> bool {
        self.which == which && !self.errors.is_empty()
    }

    /// Whether a field of form `which` had an error.
    pub fn has_error(&self, which: &str, name: &str) -> bool {
        self.error(which, name).is_some()
    }
}

/// What a duplicate or a conflict means on a form: the field it is shown
/// beside and the sentence (the page knows what it asked for).
pub struct ConflictShown<'a> {
    pub field: &'a str,
    /// What to say.
    pub text: String,
}

/// How a refusal of the shared code is shown on the form: field errors in
/// Chinese beside their fields (`field_of` maps the service's field names to
/// the form's), a duplicate or conflict as `conflict` says. Anything else is
/// a refusal page (403, 404, 500 without internals).
pub fn refusal(
    which: &str,
    values: Fields,
    error: AppError,
    field_of: impl Fn(&str) -> String,
    conflict: ConflictShown<'_>,
) -> Result<FormState, PageError> {
    let mut errors = BTreeMap::new();
    match error {
        AppError::Validation(found) => {
            for e in found.0 {
                errors.entry(field_of(&e.field)).or_insert_with(|| messages::sentence(&e));
            }
        }
        AppError::Duplicate { .. } | AppError::Conflict(_) => {
            errors.insert(conflict.field.to_owned(), conflict.text);
        }
        other => return Err(other.into()),
    }
    Ok(FormState { which: which.to_owned(), values, errors })
}

/// A page rendered again with a form's errors: 422, or 409 for a conflict.
pub fn refused_page(template: &impl Template) -> Result<HttpResponse, PageError> {
    let mut response = html(template)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// After a change, back to the page (Post/Redirect/Get) with the key of a
/// notice the page knows (a plain ASCII word: no escaping needed).
pub fn done(to: &str, notice: &'static str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("{to}?done={notice}"))).finish()
}

/// The `done` notice of a page after a change: only the page's own words,
/// never text from the query, so a link cannot make a page say anything.
pub fn notice_of(req: &HttpRequest, known: &[(&'static str, &'static str)]) -> Option<&'static str> {
    let query = web::Query::<BTreeMap<String, String>>::from_query(req.query_string()).ok()?;
    let key = query.get("done")?;
    known.iter().find(|(k, _)| k == key).map(|(_, text)| *text)
}

#[derive(Template)]
#[template(path = "console/admin/index.html")]
struct Index {
    layout: Layout,
    this_year: i32,
}

/// `GET /console/admin/`: the five areas.
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    html(&Index {
        layout: Layout::console(&req, &state, &session, "系统管理", NAV),
        this_year: calendar::this_year(),
    })
}

/// The layout of an admin page.
pub fn layout(req: &HttpRequest, state: &AppState, session: &Resolved, title: &str) -> Layout {
    Layout::console(req, state, session, title, NAV)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::{FieldErrors, Rule};

    #[test]
    fn refusals_become_field_errors_in_chinese() {
        let conflict =
            || ConflictShown { field: "code", text: "已有同名或同代码的承办单位".into() };
        let mut found = FieldErrors::new();
        found.add("name", Rule::Length { min: 1, max: 100, got: 0 });
        let shown = refusal("create", Fields::default(), found.into(), |f| f.to_owned(), conflict()).unwrap();
        assert!(shown.error("create", "name").is_some_and(|e| e.contains("不能为空（最多 100 个字）")));
        assert_eq!(shown.error("other", "name"), None, "only the form that was posted");
        let duplicate = AppError::Duplicate { detail: "x".into(), existing: None };
        let shown = refusal("create", Fields::default(), duplicate, |f| f.to_owned(), conflict()).unwrap();
        assert_eq!(shown.error("create", "code"), Some("已有同名或同代码的承办单位"));
        assert!(refusal("x", Fields::default(), AppError::not_found("user"), |f| f.to_owned(), conflict())
            .is_err());
    }
}
