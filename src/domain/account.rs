//! The rules of staff accounts that the API, the admin pages, the command line
//! and the sign-in throttle share: what a login name may be, and which role a
//! name stands for.

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

/// Whether an account could be called exactly `name` (untrimmed): sign-in
/// refuses other names without looking them up.
pub fn is_possible_username(name: &str) -> bool {
    parse_username(&mut FieldErrors::new(), name).is_some_and(|n| n == name)
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
        assert!(is_possible_username("wang.li-2"));
        assert!(!is_possible_username("No Such!User"));
        assert!(!is_possible_username(" wang"), "a name with spaces around it is no account's");
        assert!(!is_possible_username("ab"));
        let mut errors = FieldErrors::new();
        assert_eq!(parse_username(&mut errors, " wang "), Some("wang".into()));
        assert!(errors.is_empty());
        assert_eq!(parse_role(&mut errors, "root"), None);
        assert_eq!(errors.0[0].field, "role");
    }
}
