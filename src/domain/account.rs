//! The rules of staff accounts that the API, the admin pages and the command
//! line share: what a login name may be, and which role a name stands for.

use super::role::Role;
use super::validation::{FieldErrors, Rule};

/// Login names: 3 to 32 lower-case letters, digits, `.`, `_` or `-`.
pub fn parse_username(errors: &mut FieldErrors, raw: &str) -> Option<String> {
    let name = raw.trim();
    let valid = (3..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !valid {
        errors.add("username", Rule::Username);
    }
    valid.then(|| name.to_owned())
}

/// A role by its name.
pub fn parse_role(errors: &mut FieldErrors, raw: &str) -> Option<Role> {
    let role = Role::parse(raw);
    if role.is_none() {
        errors.add("role", Rule::OneOf(&["admin", "clerk", "handler", "leader"]));
    }
    role
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_lower_case_words() {
        let mut errors = FieldErrors::new();
        assert_eq!(parse_username(&mut errors, "wang.li-2"), Some("wang.li-2".into()));
        assert_eq!(parse_username(&mut errors, "No Such!User"), None);
        assert_eq!(parse_username(&mut errors, "ab"), None);
        assert_eq!(errors.0.len(), 2);
        let mut errors = FieldErrors::new();
        assert_eq!(parse_username(&mut errors, " wang "), Some("wang".into()));
        assert!(errors.is_empty());
        assert_eq!(parse_role(&mut errors, "root"), None);
        assert_eq!(errors.0[0].field, "role");
    }
}
