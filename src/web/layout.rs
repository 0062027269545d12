//! What the base layout (`templates/base.html`) shows around every page: the
//! title, the stylesheet, the layout choice, and for signed-in staff their name,
//! role and the navigation their role may use.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::errors::PageError;
use super::{assets, cookies, csrf};
use crate::domain::role::Role;
use crate::domain::time;
use crate::service::sessions::Resolved;
use crate::state::AppState;

/// Name of the service as pages show it.
pub const SITE_NAME: &str = "县政府办公室案件办理系统";

/// The layout's view model.
pub struct Layout {
    /// The page's own title.
    pub title: String,
    /// Where the stylesheet is (its name carries its hash).
    pub css: &'static str,
    /// The large-type layout (长辈版) is on.
    pub large: bool,
    /// The request's path, for the layout switch to come back to.
    pub path: String,
    /// The signed-in staff member, if any.
    pub staff: Option<Staff>,
    /// The CSRF token of this page's forms.
    pub csrf: String,
}

/// The signed-in staff member as the header shows them.
pub struct Staff {
    /// Display name.
    pub name: String,
    /// Role in Chinese.
    pub role: &'static str,
    /// Navigation entries.
    pub nav: Vec<NavItem>,
    /// When the session began, Beijing time.
    pub signed_in_at: String,
}

/// One entry of the console navigation.
pub struct NavItem {
    pub label: &'static str,
    /// Target.
    pub href: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// A role's name in Chinese.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "系统管理员",
        Role::Clerk => "登记交办员",
        Role::Handler => "承办单位人员",
        Role::Leader => "办公室领导",
    }
}

/// The navigation a role may use. Who may register and who administers are
/// the API's own rules (`Role::is_office_staff`, `Admin`).
fn navigation(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut nav = vec![("dashboard", "首页/统计", "/console/dashboard"), ("cases", "案件", "/console/cases")];
    if role != Role::Handler {
        nav.push(("scorecard", "考核与通报", "/console/scorecard"));
    }
    if role.is_office_staff() {
        nav.push(("new", "登记", "/console/cases/new"));
    }
    if role == Role::Admin {
        nav.push(("admin", "管理", "/console/admin/"));
    }
    nav.push(("password", "修改密码", "/console/password"));
    nav
}

/// A time as pages print it: Beijing time, to the minute.
pub fn beijing(at: DateTime<Utc>) -> String {
    at.with_timezone(&time::office_offset()).format("%Y年%m月%d日 %H:%M").to_string()
}

/// A stored (UTC) instant as pages print it, Beijing time.
pub fn beijing_naive(at: chrono::NaiveDateTime) -> String {
    beijing(DateTime::from_naive_utc_and_offset(at, Utc))
}

impl Layout {
    /// The layout of a page nobody needs to be signed in for.
    pub fn public(req: &HttpRequest, title: &str, csrf: String) -> Layout {
        Layout {
            title: title.to_owned(),
            css: assets::stylesheet_href(),
            large: cookies::wants_large_type(req),
            path: req.path().to_owned(),
            staff: None,
            csrf,
        }
    }

    /// The layout of a console page for a signed-in session.
    pub fn console(
        req: &HttpRequest,
        state: &AppState,
        session: &Resolved,
        title: &str,
        current: &'static str,
    ) -> Layout {
        let signed_in_at = DateTime::from_timestamp(session.claims.iat, 0).unwrap_or_default();
        Layout {
            staff: Some(Staff {
                name: session.display_name.clone(),
                role: role_name(session.user.role),
                nav: navigation(session.user.role)
                    .into_iter()
                    .map(|(key, label, href)| NavItem { label, href, current: key == current })
                    .collect(),
                signed_in_at: beijing(signed_in_at),
            }),
            ..Layout::public(req, title, csrf::session_token(&state.tokens, &session.claims))
        }
    }

    /// The site's name, for the templates.
    pub fn site_name(&self) -> &'static str {
        SITE_NAME
    }
}

/// Renders a template as an HTML response.
pub fn html(template: &impl Template) -> Result<HttpResponse, PageError> {
    let body =
        template.render().map_err(|e| crate::error::AppError::Internal(format!("template failed: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_follows_the_roles_rules() {
        let keys = |role| navigation(role).into_iter().map(|(k, _, _)| k).collect::<Vec<_>>();
        assert_eq!(keys(Role::Admin), ["dashboard", "cases", "scorecard", "new", "admin", "password"]);
        assert_eq!(keys(Role::Clerk), ["dashboard", "cases", "scorecard", "new", "password"]);
        assert_eq!(keys(Role::Leader), ["dashboard", "cases", "scorecard", "password"]);
        assert_eq!(keys(Role::Handler), ["dashboard", "cases", "password"]);
    }

    #[test]
    fn times_are_printed_in_beijing_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T16:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(beijing(at), "2026年12月02日 00:30");
    }
}
