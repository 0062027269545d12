//! Staff roles (DESIGN.md "Users and roles").

use serde::{Deserialize, Serialize};

/// What a staff account may do. Citizens have no account and no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System administrator: users, departments, channels, calendar, and every office action.
    Admin,
    /// 登记/交办 staff: registers, routes, reviews and closes cases.
    Clerk,
    /// Staff of one department (承办单位), acting only on that department's cases.
    Handler,
    /// Office leadership: reads everything, supervises, decides extensions.
    Leader,
}

impl Role {
    /// Every role, in a stable order (used by the authorization tests and the CLI).
    pub const ALL: [Role; 4] = [Role::Admin, Role::Clerk, Role::Handler, Role::Leader];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::Handler => "handler",
            Role::Leader => "leader",
        }
    }

    /// Parses a stored or user-supplied role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role works for the office as a whole rather than one department.
    pub fn is_office_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Clerk)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("citizen"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
