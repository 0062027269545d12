//! The staff console's entry: `/console/` sends each role to its home, and the
//! first, thin versions of the home pages (the dashboard's figures and the
//! case workbench are built on the restructured core later; these show who is
//! signed in and nothing invented).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::errors::PageError;
use super::home::html;
use super::layout::Layout;
use super::session::Session;
use crate::app::AppState;
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

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct Dashboard {
    layout: Layout,
    own_department: bool,
}

/// `GET /console/dashboard`: every role; a handler's figures will be their
/// own department's (`AuthUser::department_scope`, as in the statistics API).
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    let own_department = session.user.department_scope().is_some();
    html(&Dashboard {
        layout: Layout::console(&req, &state, &session, "首页/统计", "dashboard"),
        own_department,
    })
}

#[derive(Template)]
#[template(path = "console/cases.html")]
struct Cases {
    layout: Layout,
    own_department: bool,
}

/// `GET /console/cases`: every role; a handler sees their department's cases only.
pub async fn cases(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    let own_department = session.user.department_scope().is_some();
    html(&Cases { layout: Layout::console(&req, &state, &session, "案件", "cases"), own_department })
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
