//! What a published letter (信件选登) shows of what was written: citizens
//! type their phone number, ID number, email address and name into the
//! letter itself, and departments repeat them in replies. Publishing masks
//! these in the title, letter and reply; the case keeps its text as written.
//! The masks are those of the rest of the service (`138****5678`,
//! `w***@example.cn`, `王**`), so a reader sees at once what was hidden.
//!
//! Pure: `db::letters` stores the masked text when a clerk publishes, and
//! the publish form shows the clerk this same text before they confirm.

use super::citizen::{mask_email, mask_name};

/// `text` as published: phone numbers (mobile, or landline with its area
/// code, with or without spaces and dashes, `+86` included), 18-digit ID
/// numbers, any other run of eleven or more digits, email addresses, and the
/// writer's own name (when it has two characters or more; one character is
/// too common to find) masked.
pub fn mask_for_publication(text: &str, writer: Option<&str>) -> String {
    let named = match writer.map(str::trim).filter(|name| name.chars().count() >= 2) {
        Some(name) => text.replace(name, &mask_name(name)),
        None => text.to_owned(),
    };
    mask_numbers(&mask_emails(&named))
}

fn is_local_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn is_domain_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".-".contains(c)
}

/// Masks `name@domain.tld` (also with a full-width `＠`) as `n***@domain.tld`.
fn mask_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '@' | '＠') {
            let mut start = i;
            while start > 0 && is_local_part(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && is_domain_part(chars[end]) {
                end += 1;
            }
            // A domain ends in a letter or digit, not the sentence's full stop.
            while end > i + 1 && matches!(chars[end - 1], '.' | '-') {
                end -= 1;
            }
            let local: String = chars[start..i].iter().collect();
            let domain: String = chars[i + 1..end].iter().collect();
            if !local.is_empty() && domain.contains('.') {
                // The local part was copied out already; take it back.
                for _ in start..i {
                    out.pop();
                }
                out.push_str(&mask_email(&format!("{local}@{domain}")));
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// A digit, full-width ones (as Chinese input methods type them) included.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}')
}

/// Whether `digits` (with separators taken out) is a phone number or an ID
/// number as people write them with separators.
fn is_phone_or_id(digits: &str) -> bool {
    let b = digits.as_bytes();
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]);
    mobile(b)
        || (b.len() == 13 && b.starts_with(b"86") && mobile(&b[2..]))
        || ((10..=12).contains(&b.len()) && b[0] == b'0')
        || b.len() == 18
}

/// Whether a run of digits written without separators is personal: a
/// phone or ID number, or any identifier of eleven digits or more.
fn is_long_number(digits: &str) -> bool {
    digits.len() >= 11 || is_phone_or_id(digits)
}

/// `13812345678` → `138****5678`: the first three and last four stay.
fn masked_digits(digits: &str) -> String {
    let n = digits.chars().count();
    if n <= 7 {
        return "*".repeat(n);
    }
    let head: String = digits.chars().take(3).collect();
    let tail: String = digits.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphabetic() {
            // A code such as MB2024000123: letters and the digits after them stay.
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                out.push(chars[i]);
                i += 1;
            }
            continue;
        }
        if digit(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of digit groups joined by single separators.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && digit(chars[j]).is_some() {
                j += 1;
            }
            groups.push((start, j));
            if j + 1 < chars.len() && is_separator(chars[j]) && digit(chars[j + 1]).is_some() {
                j += 1;
            } else {
                break;
            }
        }
        let digits_of =
            |from: usize, to: usize| -> String { chars[from..to].iter().filter_map(|c| digit(*c)).collect() };
        let whole = digits_of(i, j);
        if whole.len() == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x' | 'Ｘ') {
            // An ID number whose check digit is X.
            out.push_str(&masked_digits(&format!("{whole}X")));
            i = j + 1;
            continue;
        }
        if (groups.len() > 1 && is_phone_or_id(&whole)) || (groups.len() == 1 && is_long_number(&whole)) {
            out.push_str(&masked(&whole));
        } else {
            for (k, &(from, to)) in groups.iter().enumerate() {
                let group = digits_of(from, to);
                if is_long_number(&group) {
                    out.push_str(&masked(&group));
                } else {
                    out.extend(&chars[from..to]);
                }
                if k + 1 < groups.len() {
                    out.push(chars[to]);
                }
            }
        }
        i = j;
    }
    out
}

/// [`masked_digits`], keeping a leading country code 86 of a mobile number.
fn masked(digits: &str) -> String {
    match digits.strip_prefix("86").filter(|rest| digits.len() == 13 && is_phone_or_id(rest)) {
        Some(mobile) => format!("86{}", masked_digits(mobile)),
        None => masked_digits(digits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(text: &str) -> String {
        mask_for_publication(text, Some("王芳"))
    }

    #[test]
    fn a_long_letter_is_masked_in_one_pass() {
        let letter = "我叫王芳，电话13812345678。".repeat(2000);
        let out = published(&letter);
        assert_eq!(out.matches("138****5678").count(), 2000);
        assert!(!out.contains("王芳"));
    }

    #[test]
    fn phone_and_id_numbers_are_masked_however_they_are_written() {
        assert_eq!(published("电话13812345678。"), "电话138****5678。");
        assert_eq!(published("电话 138 1234 5678 或 138-1234-5678"), "电话 138****5678 或 138****5678");
        assert_eq!(published("+86 138 1234 5678"), "+86138****5678");
        assert_eq!(published("座机0571-88886666"), "座机057*****6666");
        assert_eq!(published("身份证号110101199003071234"), "身份证号110***********1234");
        assert_eq!(published("身份证号11010119900307123X"), "身份证号110***********123X");
        assert_eq!(published("身份证号11010119900307123x。"), "身份证号110***********123X。");
        assert_eq!(published("电话１３８１２３４５６７８"), "电话138****5678", "full-width digits");
        assert_eq!(published("卡号6222020200112233445"), "卡号622************3445");
    }

    #[test]
    fn numbers_that_are_not_personal_stay() {
        for kept in [
            "受理编号MB2024000123",
            "2024-03-05 14:20",
            "3号楼2单元501室",
            "共1,000,000元",
            "2024年3月5日至2024年3月10日",
            "邮编311100",
            "12345热线",
        ] {
            assert_eq!(mask_for_publication(kept, None), kept);
        }
    }

    #[test]
    fn emails_and_the_writers_name_are_published() {
        assert_eq!(published("请回复wangfang@example.cn。"), "请回复w***@example.cn。");
        assert_eq!(published("或 wang.fang+x@mail.example.com"), "或 w***@mail.example.com");
        assert_eq!(published("全角ｗ＠example.cn不是地址"), "全角ｗ＠example.cn不是地址");
        assert_eq!(published("我是王芳，王芳的家在3号楼"), "我是王**，王**的家在3号楼");
        assert_eq!(mask_for_publication("李明反映", Some("李")), "李明反映", "one character is too common");
        assert_eq!(mask_for_publication("王芳反映", None), "王芳反映");
        assert_eq!(published("王芳（13812345678，wf@example.cn）"), "王**（138****5678，w***@example.cn）");
    }
}
