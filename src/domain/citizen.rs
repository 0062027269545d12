//! A citizen's contact details: parsed at the edge, masked wherever the viewer
//! may not see them in full (DESIGN.md "A case").

use serde::{Deserialize, Serialize};

use super::validation::{optional_text, FieldErrors, Rule};

/// A phone number reduced to its digits: an 11-digit mainland mobile number or
/// a landline with its area code (0 + 9 to 11 digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces and dashes between digits and a leading `+86`/`86` country code.
    pub fn parse(raw: &str) -> Result<Phone, Rule> {
        let mut digits: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if let Some(rest) = digits.strip_prefix('+') {
            digits = rest.to_owned();
        }
        if digits.len() == 13 && digits.starts_with("86") {
            digits.drain(..2);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Rule::PhoneCharacters);
        }
        let bytes = digits.as_bytes();
        let mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        let landline = (10..=12).contains(&bytes.len()) && bytes[0] == b'0';
        if mobile || landline {
            Ok(Phone(digits))
        } else {
            Err(Rule::Phone)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address checked against RFC 5322's address syntax. Refusing CR and
/// LF here also keeps header injection out of any mail sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address such as `wang@example.cn`.
    pub fn parse(raw: &str) -> Result<Email, Rule> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Rule::SingleEmail);
        }
        match email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default().without_display_text(),
        ) {
            // An IP-literal domain (`a@[127.0.0.1]`) would let anyone aim the
            // office's mail at any host, the internal network included.
            Ok(address) if address.domain().starts_with('[') => Err(Rule::EmailAtIp),
            Ok(address) if address.domain().contains('.') => Ok(Email(address.email().to_string())),
            _ => Err(Rule::Email),
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates an optional address: absent is `None`; a bad one, blank
/// included, is recorded under `field`. The API spec says `format: email`, so
/// `""` is refused rather than taken for "none" (null or leaving the field
/// out says that); a form should map an empty input to `None` first.
pub fn optional_email(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<String> {
    match raw.map(str::trim) {
        None => None,
        Some(raw) => match Email::parse(raw) {
            Ok(email) => Some(email.as_str().to_owned()),
            Err(message) => {
                errors.add(field, message);
                None
            }
        },
    }
}

/// `13812345678` → `138****5678`: the first three and last four digits stay.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let (head, rest) = chars.split_at(3);
    let tail = &rest[rest.len() - 4..];
    format!(
        "{}{}{}",
        head.iter().collect::<String>(),
        "*".repeat(rest.len() - 4),
        tail.iter().collect::<String>()
    )
}

/// `wangfang@example.cn` → `w***@example.cn`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `王芳` → `王**`, `欧阳娜娜` → `欧**`: the first character and two stars,
/// whatever the name's length, so that the mask does not tell the length
/// either. Published letters (信件选登) show names so. A blank name is `""`.
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(first) => format!("{first}**"),
        None => String::new(),
    }
}

/// Contact details as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenInput {
    /// Name; optional for anonymous letters.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// Contact details after validation, as stored and (possibly masked) shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Citizen {
    pub name: Option<String>,
    /// Phone digits (or their mask).
    pub phone: Option<String>,
    /// Email address (or its mask).
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

impl Citizen {
    /// Validates submitted details, recording problems under `citizen.*`.
    pub fn parse(input: &CitizenInput, errors: &mut FieldErrors) -> Citizen {
        let phone = match input.phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match Phone::parse(raw) {
                Ok(phone) => Some(phone.as_str().to_owned()),
                Err(message) => {
                    errors.add("citizen.phone", message);
                    None
                }
            },
        };
        let email = optional_email(errors, "citizen.email", input.email.as_deref());
        Citizen {
            name: optional_text(errors, "citizen.name", input.name.as_deref(), 100),
            phone,
            email,
            address: optional_text(errors, "citizen.address", input.address.as_deref(), 300),
        }
    }

    /// The same details with phone and email masked.
    pub fn masked(&self) -> Citizen {
        Citizen {
            name: self.name.clone(),
            phone: self.phone.as_deref().map(mask_phone),
            email: self.email.as_deref().map(mask_email),
            address: self.address.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_and_landline_numbers_parse_to_digits() {
        assert_eq!(Phone::parse("138 1234 5678").unwrap().as_str(), "13812345678");
        assert_eq!(Phone::parse("+86 138-1234-5678").unwrap().as_str(), "13812345678");
        assert_eq!(Phone::parse("0571-88886666").unwrap().as_str(), "057188886666");
        assert_eq!(Phone::parse("010-12345678").unwrap().as_str(), "01012345678");
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in ["12345", "2381234567", "1381234567x", "11012345678", "138123456789", ""] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks_keep_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("057188886666"), "057*****6666");
        assert_eq!(mask_email("wangfang@example.cn"), "w***@example.cn");
    }

    #[test]
    fn names_keep_one_character_and_hide_their_length() {
        assert_eq!(mask_name("王芳"), "王**");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("欧阳娜娜"), "欧**");
        assert_eq!(mask_name(" 李 "), "李**");
        assert_eq!(mask_name("Li Ming"), "L**");
        assert_eq!(mask_name("   "), "");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn emails_with_line_breaks_or_display_names_are_refused() {
        assert!(Email::parse("a@example.cn").is_ok());
        assert!(Email::parse("a@example.cn\r\nBcc: x@evil.com").is_err());
        assert!(Email::parse("Wang <a@example.cn>").is_err());
        assert!(Email::parse("no-at-sign").is_err());
        assert!(Email::parse("a@localhost").is_err());
        assert!(Email::parse("a@[127.0.0.1]").is_err());
        assert!(Email::parse("a@[IPv6:::1]").is_err());
    }

    #[test]
    fn an_empty_email_is_refused_and_an_absent_one_is_none() {
        let mut errors = FieldErrors::new();
        assert_eq!(optional_email(&mut errors, "email", None), None);
        assert!(errors.is_empty());
        assert_eq!(optional_email(&mut errors, "email", Some("")), None);
        assert_eq!(errors.0.len(), 1, "the spec says format email, which \"\" is not");
    }

    #[test]
    fn citizen_errors_name_the_nested_field() {
        let mut errors = FieldErrors::new();
        let input = CitizenInput { phone: Some("12".into()), email: Some("x".into()), ..Default::default() };
        Citizen::parse(&input, &mut errors);
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["citizen.phone", "citizen.email"]);
    }
}
