//! How a signed-in caller meets a case: as whom they act on it, how much of
//! the citizen's contact details they see, and the response that carries a
//! case with its version. Shared by every handler that returns a case.

use actix_web::http::header;
use actix_web::HttpResponse;

use super::views::{CaseView, Contact};
use crate::auth::AuthUser;
use crate::domain::lifecycle::Actor;
use crate::workflow::Acting;

/// How the caller acts on cases.
pub fn acting(user: &AuthUser) -> Acting {
    Acting { actor: Actor::Staff(user.role), user_id: Some(user.id), department_id: user.department_id }
}

/// Full contact details for clerks and admins looking at one case; masked otherwise.
pub fn contact_for(user: &AuthUser) -> Contact {
    if user.role.is_office_staff() {
        Contact::Full
    } else {
        Contact::Masked
    }
}

/// A 200 with a case and its version as ETag.
pub fn case_response(view: CaseView) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, format!("\"{}\"", view.version))).json(view)
}
