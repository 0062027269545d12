//! The staff console: `/console/` sends each role to its home; the
//! dashboard, the workbench list, the case page with its action forms, and
//! intake; administration (`admin`). Every page asks the API's own functions (statistics, list
//! filters, masking, permitted actions, registration, `workflow::act`).

pub mod admin;
pub mod case;
pub mod cases;
pub mod dashboard;
mod dashboard_book;
pub mod format;
pub mod intake;
pub mod scorecard;
mod similar;

use actix_web::http::header;
use actix_web::HttpResponse;

use super::session::Session;
use crate::domain::role::Role;

/// A role's home page.
fn home_of(role: Role) -> &'static str {
    match role {
        Role::Handler => "/console/cases",
        Role::Admin | Role::Clerk | Role::Leader => "/console/dashboard",
    }
}

/// `GET /console/`.
pub async fn home(Session(session): Session) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, home_of(session.user.role))).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_its_home() {
        assert_eq!(home_of(Role::Handler), "/console/cases");
        for role in [Role::Admin, Role::Clerk, Role::Leader] {
            assert_eq!(home_of(role), "/console/dashboard");
        }
    }
}
