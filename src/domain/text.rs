//! The letters' text as the search index and the similar-case rules see it:
//! normalisation, character bigrams, contact keys, similarity and the
//! routing vote. Pure functions; `db::search` stores the terms and
//! `service::similar` asks the questions.
//!
//! Chinese is written without spaces, so words cannot be split on
//! whitespace. A segmenter (jieba) would need a dictionary of a few MB in the
//! binary and still cut names, places and new words unpredictably — and a
//! search must find any two characters a clerk types, segmented or not.
//! Overlapping character bigrams (the CJK indexing of Lucene's `CJKAnalyzer`
//! and PostgreSQL's `pg_bigm`) need no dictionary, find every substring of two
//! characters or more, and make a good similarity measure for short letters.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// The shortest search, in normalised characters: a bigram.
pub const MIN_QUERY_CHARS: usize = 2;

/// Phrases nearly every letter ends or begins with. They are removed before
/// letters are compared, so that two letters are not similar because both
/// ask the authorities to act soon. Written normalised (no punctuation);
/// longer phrases first, so that a long one is removed whole.
pub const BOILERPLATE: &[&str] = &[
    "希望有关部门尽快核实处理并予以答复",
    "希望有关部门尽快处理",
    "希望有关部门尽快解决",
    "希望有关部门协调解决",
    "希望相关部门尽快处理",
    "希望相关部门尽快解决",
    "请有关部门尽快处理",
    "请相关部门尽快处理",
    "恳请有关部门",
    "恳请相关部门",
    "恳请领导重视",
    "请领导重视",
    "群众多次反映此事",
    "望尽快解决",
    "望尽快处理",
    "尽快处理",
    "尽快解决",
    "予以答复",
    "给予答复",
    "尊敬的领导",
    "领导您好",
    "您好",
    "此致敬礼",
    "具体情况",
    "非常感谢",
    "谢谢",
];

/// Folds full-width forms to half-width (ＡＢＣ１２３ → abc123), lower-cases,
/// and keeps letters and digits only: punctuation, symbols and spaces of any
/// width say nothing about what a letter is about, and a search for
/// `MB2024` should find `mb-2024`.
pub fn normalize(text: &str) -> String {
    text.chars().map(fold_width).filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn fold_width(c: char) -> char {
    match c {
        // The full-width block mirrors ASCII 0x21–0x7E at 0xFF01–0xFF5E.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Normalised text without the [`BOILERPLATE`] phrases.
pub fn without_boilerplate(normalized: &str) -> String {
    let mut text = normalized.to_owned();
    for phrase in BOILERPLATE {
        if text.contains(phrase) {
            text = text.replace(phrase, "");
        }
    }
    text
}

/// A term of the index: a bigram of normalised characters, or a contact key.
/// Bigrams are the two code points side by side (21 bits each), so they need
/// no dictionary and sort by their first character; contact keys carry a tag
/// in the high bits above any bigram.
pub type Term = i64;

const TAG_SHIFT: u32 = 56;
const TAG_PHONE: i64 = 1;
const TAG_EMAIL: i64 = 2;
const TAG_NAME_ADDRESS: i64 = 3;

fn bigram(a: char, b: char) -> Term {
    ((a as i64) << 21) | b as i64
}

/// The distinct bigrams of a normalised text.
pub fn bigrams(normalized: &str) -> BTreeSet<Term> {
    let chars: Vec<char> = normalized.chars().collect();
    chars.windows(2).map(|w| bigram(w[0], w[1])).collect()
}

/// Whether a term is a bigram rather than a contact key.
pub fn is_bigram(term: Term) -> bool {
    term >> TAG_SHIFT == 0
}

fn keyed(tag: i64, key: &str) -> Term {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 8];
    bytes[1..].copy_from_slice(&digest[..7]);
    (tag << TAG_SHIFT) | i64::from_be_bytes(bytes)
}

/// A phone number as digits only, without China's country code, so that
/// `+86 138-0013-8000` and `13800138000` are one number.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().map(fold_width).filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix("86") {
        Some(rest) if digits.len() == 13 => rest.to_owned(),
        _ => digits,
    };
    (digits.len() >= 7).then_some(digits)
}

/// An email address in lower case.
pub fn email_key(email: &str) -> Option<String> {
    let email: String = email.chars().map(fold_width).collect::<String>().trim().to_lowercase();
    email.contains('@').then_some(email)
}

/// A name with an address, both normalised; only when both are given (a
/// name alone is shared by too many people).
pub fn name_address_key(name: &str, address: &str) -> Option<String> {
    let (name, address) = (normalize(name), normalize(address));
    (!name.is_empty() && !address.is_empty()).then(|| format!("{name}\u{1}{address}"))
}

/// What the index keeps of a case: the fields a search finds, and the
/// citizen's contact details that make two cases the same person's.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexedFields<'a> {
    /// The title.
    pub title: &'a str,
    /// The letter.
    pub content: &'a str,
    /// The tracking number.
    pub tracking_no: &'a str,
    /// The platform's own reference.
    pub external_ref: Option<&'a str>,
    /// The citizen's name.
    pub name: Option<&'a str>,
    /// The citizen's phone.
    pub phone: Option<&'a str>,
    /// The citizen's email.
    pub email: Option<&'a str>,
    /// The citizen's address.
    pub address: Option<&'a str>,
}

impl IndexedFields<'_> {
    /// The searchable fields, normalised one by one (a bigram never spans two fields).
    pub fn searchable(&self) -> Vec<String> {
        [Some(self.title), Some(self.content), Some(self.tracking_no), self.external_ref, self.name]
            .into_iter()
            .flatten()
            .map(normalize)
            .collect()
    }

    /// Every term the index holds for the case.
    pub fn terms(&self) -> BTreeSet<Term> {
        let mut terms: BTreeSet<Term> = self.searchable().iter().flat_map(|f| bigrams(f)).collect();
        terms.extend(self.contact_terms().into_iter().map(|(_, term)| term));
        terms
    }

    /// The contact keys, each with the reason it gives for a match.
    pub fn contact_terms(&self) -> Vec<(Reason, Term)> {
        let mut terms = Vec::new();
        if let Some(key) = self.phone.and_then(phone_key) {
            terms.push((Reason::SamePhone, keyed(TAG_PHONE, &key)));
        }
        if let Some(key) = self.email.and_then(email_key) {
            terms.push((Reason::SameEmail, keyed(TAG_EMAIL, &key)));
        }
        if let Some(key) = self.name.zip(self.address).and_then(|(n, a)| name_address_key(n, a)) {
            terms.push((Reason::SameNameAddress, keyed(TAG_NAME_ADDRESS, &key)));
        }
        terms
    }

    /// The bigrams that say what the letter is about: title and letter,
    /// without the boilerplate.
    pub fn topic(&self) -> BTreeSet<Term> {
        let mut terms = bigrams(&without_boilerplate(&normalize(self.title)));
        terms.extend(bigrams(&without_boilerplate(&normalize(self.content))));
        terms
    }

    /// Whether the normalised `needle` occurs in one of the searchable fields.
    pub fn contains(&self, needle: &str) -> bool {
        self.searchable().iter().any(|field| field.contains(needle))
    }
}

/// A search as the index answers it: the normalised text and its bigrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    /// The text normalised as the fields are.
    pub normalized: String,
    /// Its distinct bigrams: a case matches only if it has them all.
    pub terms: Vec<Term>,
}

impl SearchText {
    /// `None` when fewer than [`MIN_QUERY_CHARS`] letters or digits remain
    /// (`%`, `_`, a single character): no bigram could find it.
    pub fn parse(query: &str) -> Option<SearchText> {
        let normalized = normalize(query);
        if normalized.chars().count() < MIN_QUERY_CHARS {
            return None;
        }
        let terms = bigrams(&normalized).into_iter().collect();
        Some(SearchText { normalized, terms })
    }

    /// The search as a whole tracking number (letters, then a year and a
    /// sequence of at least ten digits in all), upper case as numbers are
    /// stored: every bigram of a number is in nearly every case's number,
    /// so the index cannot narrow it, and the number's own unique index can.
    pub fn tracking_number(&self) -> Option<String> {
        let digits = self.normalized.trim_start_matches(|c: char| c.is_ascii_lowercase());
        let letters = self.normalized.len() - digits.len();
        ((1..=10).contains(&letters) && digits.len() >= 10 && digits.chars().all(|c| c.is_ascii_digit()))
            .then(|| self.normalized.to_ascii_uppercase())
    }
}

/// Why a case is offered as similar to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The same phone number.
    SamePhone,
    /// The same email address.
    SameEmail,
    /// The same name at the same address.
    SameNameAddress,
    /// Title and letter say much the same.
    SimilarText,
}

impl Reason {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SamePhone => "same_phone",
            Reason::SameEmail => "same_email",
            Reason::SameNameAddress => "same_name_address",
            Reason::SimilarText => "similar_text",
        }
    }

    /// How much the reason alone says that two cases are about one matter:
    /// the same person writing again is likely but not certain to be (people
    /// write about several things); a name at an address is the strongest.
    fn weight(self) -> f64 {
        match self {
            Reason::SamePhone | Reason::SameEmail => 0.6,
            Reason::SameNameAddress => 0.7,
            Reason::SimilarText => 1.0,
        }
    }
}

/// Dice's coefficient of two bigram sets: 1 for the same text, 0 for nothing
/// in common.
pub fn dice(a: &BTreeSet<Term>, b: &BTreeSet<Term>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

/// Text this similar (Dice of the topic bigrams) counts as `similar_text`. A
/// letter reworded keeps most of its two-character words (0.4–0.7 in the
/// tests); two letters on different matters share places and common words
/// (under 0.2).
pub const SIMILAR_TEXT_THRESHOLD: f64 = 0.3;

/// A candidate's score from its reasons and text similarity: each reason is
/// independent evidence, combined as `1 − Π(1 − wᵢ)` (the text counts with
/// its similarity as weight), rounded to two decimals.
pub fn score(reasons: &BTreeSet<Reason>, text_similarity: f64) -> f64 {
    let mut unlikely = 1.0;
    for reason in reasons {
        let weight = match reason {
            Reason::SimilarText => text_similarity,
            other => other.weight(),
        };
        unlikely *= 1.0 - weight.clamp(0.0, 1.0);
    }
    ((1.0 - unlikely) * 100.0).round() / 100.0
}

/// A department suggested for a case: its share of the similarity of the
/// similar closed cases, and those cases, most similar first.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion<D> {
    /// The department.
    pub department: D,
    /// Its share of the votes, 0–1, two decimals.
    pub score: f64,
    /// The closed cases that voted for it.
    pub because: Vec<i64>,
}

/// Votes of similar closed cases: each `(case id, department that closed it,
/// similarity)` votes for its department with its similarity; the `limit`
/// departments with most votes, best first (ties: the lower id, for a stable
/// answer).
pub fn route<D: Ord + Copy>(votes: &[(i64, D, f64)], limit: usize) -> Vec<Suggestion<D>> {
    let total: f64 = votes.iter().map(|v| v.2).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut per_department: BTreeMap<D, (f64, Vec<(f64, i64)>)> = BTreeMap::new();
    for &(case, department, similarity) in votes {
        let entry = per_department.entry(department).or_default();
        entry.0 += similarity;
        entry.1.push((similarity, case));
    }
    // (the department's summed similarity, the department, its cases with theirs)
    type Tally<D> = (f64, D, Vec<(f64, i64)>);
    let mut suggestions: Vec<Tally<D>> =
        per_department.into_iter().map(|(d, (sum, cases))| (sum, d, cases)).collect();
    suggestions.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    suggestions
        .into_iter()
        .take(limit)
        .map(|(sum, department, mut cases)| {
            cases.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            Suggestion {
                department,
                score: (sum / total * 100.0).round() / 100.0,
                because: cases.into_iter().map(|(_, id)| id).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_tracking_number_is_recognised_in_any_width_or_case() {
        let number = |q: &str| SearchText::parse(q).and_then(|s| s.tracking_number());
        assert_eq!(number("MB2026000123"), Some("MB2026000123".to_owned()));
        assert_eq!(number("ｍｂ２０２６０００１２３"), Some("MB2026000123".to_owned()));
        assert_eq!(number("mb-2026-000123"), Some("MB2026000123".to_owned()));
        for not_one in ["MB2026", "2026000123", "路灯2026000123", "MB2026000123路灯", "abcdefghijk2026000123"]
        {
            assert_eq!(number(not_one), None, "{not_one}");
        }
    }

    fn fields<'a>(title: &'a str, content: &'a str) -> IndexedFields<'a> {
        IndexedFields { title, content, tracking_no: "MB2026000001", ..Default::default() }
    }

    #[test]
    fn normalisation_folds_widths_and_drops_punctuation() {
        assert_eq!(normalize("ＡＢＣ，１２３。路灯　不亮！"), "abc123路灯不亮");
        assert_eq!(normalize("MB-2024_000%123\\"), "mb2024000123");
        assert_eq!(normalize("“小区”《停车》…"), "小区停车");
    }

    #[test]
    fn a_search_needs_two_letters_or_digits() {
        assert_eq!(SearchText::parse("%_\\"), None);
        assert_eq!(SearchText::parse("王"), None);
        assert_eq!(SearchText::parse(" 王。"), None);
        let search = SearchText::parse("王伟").unwrap();
        assert_eq!(search.terms, vec![bigram('王', '伟')]);
        assert_eq!(SearchText::parse("ａ％ｂ").unwrap().normalized, "ab");
        assert_eq!(SearchText::parse("小区小区").unwrap().terms.len(), 2, "distinct bigrams");
    }

    #[test]
    fn bigrams_do_not_span_fields() {
        let case = IndexedFields { name: Some("王伟"), ..fields("路灯", "不亮") };
        let terms = case.terms();
        assert!(terms.contains(&bigram('路', '灯')));
        assert!(terms.contains(&bigram('王', '伟')));
        assert!(!terms.contains(&bigram('灯', '不')));
        assert!(case.contains("王伟"));
        assert!(!case.contains("灯不"));
    }

    #[test]
    fn contact_keys_are_tagged_apart_from_bigrams_and_normalised() {
        let a = IndexedFields {
            phone: Some("+86 138-0013-8000"),
            email: Some(" Wang@Example.CN"),
            name: Some("王伟"),
            address: Some("人民路１号"),
            ..fields("a", "b")
        };
        let b = IndexedFields {
            phone: Some("13800138000"),
            email: Some("wang@example.cn"),
            name: Some("王 伟"),
            address: Some("人民路1号"),
            ..fields("c", "d")
        };
        assert_eq!(a.contact_terms(), b.contact_terms());
        assert_eq!(a.contact_terms().len(), 3);
        assert!(a.contact_terms().iter().all(|(_, t)| !is_bigram(*t)));
        assert!(bigrams("龘龘").iter().all(|t| is_bigram(*t)));
        let no_address = IndexedFields { address: None, ..b };
        assert_eq!(no_address.contact_terms().len(), 2);
        assert_eq!(phone_key("12345"), None);
    }

    #[test]
    fn boilerplate_does_not_make_letters_similar() {
        let a = fields("路灯不亮", "人民路的路灯坏了三个月。希望有关部门尽快处理！谢谢");
        let b = fields("幼儿园收费", "孩子的幼儿园收费太高。希望有关部门尽快处理。谢谢");
        let c = fields("人民路路灯坏了", "人民路路灯坏了快三个月了，晚上很黑，希望尽快修好");
        assert!(dice(&a.topic(), &b.topic()) < 0.1, "{}", dice(&a.topic(), &b.topic()));
        assert!(dice(&a.topic(), &c.topic()) >= SIMILAR_TEXT_THRESHOLD, "{}", dice(&a.topic(), &c.topic()));
        // With the boilerplate, the unrelated pair would share a fifth of its bigrams.
        let with = |f: &IndexedFields| bigrams(&normalize(&format!("{}{}", f.title, f.content)));
        assert!(dice(&with(&a), &with(&b)) > 0.2);
    }

    #[test]
    fn scores_combine_independent_reasons() {
        let reasons = |r: &[Reason]| r.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(score(&reasons(&[Reason::SamePhone]), 0.0), 0.6);
        assert_eq!(score(&reasons(&[Reason::SamePhone, Reason::SameEmail]), 0.0), 0.84);
        assert_eq!(score(&reasons(&[Reason::SimilarText]), 0.5), 0.5);
        assert_eq!(score(&reasons(&[Reason::SameNameAddress, Reason::SimilarText]), 0.5), 0.85);
        assert_eq!(score(&reasons(&[]), 0.9), 0.0);
    }

    #[test]
    fn routing_votes_by_similarity() {
        let votes = [(1, 10, 0.9), (2, 20, 0.5), (3, 20, 0.5), (4, 30, 0.1), (5, 40, 0.05)];
        let suggestions = route(&votes, 3);
        assert_eq!(suggestions.len(), 3);
        assert_eq!(suggestions[0].department, 20);
        assert_eq!(suggestions[0].because, vec![2, 3]);
        assert_eq!(suggestions[1].department, 10);
        assert_eq!(suggestions[2].department, 30);
        assert_eq!(suggestions[0].score, 0.49);
        assert!(route::<i64>(&[], 3).is_empty());
    }
}
