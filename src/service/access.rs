//! How a caller meets a case: as whom they act on it, whether they may see it
//! at all, and how much of the citizen's contact details they see. Every
//! function that returns or changes a case asks here.

use super::views::Contact;
use crate::auth::AuthUser;
use crate::db::models::Case;
use crate::db::{self, DbConnection};
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::lifecycle::Actor;
use crate::domain::role::Role;
use crate::error::AppError;

/// Who is acting on a case.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The actor's kind, for the state machine.
    pub actor: Actor,
    /// The staff account, if any.
    pub user_id: Option<UserId>,
    /// A handler's department.
    pub department_id: Option<DepartmentId>,
}

impl Caller {
    /// A member of the public holding the query code.
    pub fn citizen() -> Caller {
        Caller { actor: Actor::Citizen, user_id: None, department_id: None }
    }

    /// Whether this actor may see `case` at all. Handlers see only their own
    /// department's cases; anything else is 404 to them, so ids do not leak.
    pub fn can_see(&self, case: &Case) -> bool {
        match self.actor {
            Actor::Staff(Role::Handler) => {
                self.department_id.is_some() && case.department_id == self.department_id
            }
            _ => true,
        }
    }
}

/// How a signed-in caller acts on cases.
pub fn caller(user: &AuthUser) -> Caller {
    Caller { actor: Actor::Staff(user.role), user_id: Some(user.id), department_id: user.department_id }
}

/// Full contact details for clerks and admins looking at one case; masked otherwise.
pub fn contact_for(user: &AuthUser) -> Contact {
    if user.role.is_office_staff() {
        Contact::Full
    } else {
        Contact::Masked
    }
}

/// Loads a case the actor may see, or 404.
pub fn visible_case(conn: &mut DbConnection, id: CaseId, acting: &Caller) -> Result<Case, AppError> {
    db::cases::find(conn, id)?.filter(|case| acting.can_see(case)).ok_or_else(|| AppError::not_found("case"))
}
