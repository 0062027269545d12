//! Similar cases and the routing suggestion as the intake receipt and the
//! case page show them (`service::similar`): links, with the reasons and the
//! supporting cases in words.

use crate::service::similar::{RoutingSuggestion, SimilarCase};
use crate::web::layout::beijing_naive;
use crate::web::words;

/// A similar case as a link.
#[derive(Debug)]
pub struct SimilarLink {
    /// The case's id, for its link.
    pub id: i64,
    /// Its tracking number.
    pub tracking_no: String,
    /// Its title.
    pub title: String,
    /// Its state in words.
    pub state: &'static str,
    /// When it was received, Beijing time.
    pub received_at: String,
    /// The API's score.
    pub score: f64,
    /// Why, in words.
    pub reasons: String,
}

fn reason(code: &str) -> &'static str {
    match code {
        "same_phone" => "同一电话",
        "same_email" => "同一邮箱",
        "same_name_address" => "同一姓名和地址",
        "similar_text" => "内容相似",
        _ => "其他",
    }
}

/// The similar cases as links.
pub fn links(similar: Vec<SimilarCase>) -> Vec<SimilarLink> {
    similar
        .into_iter()
        .map(|s| SimilarLink {
            id: s.case_id.0,
            tracking_no: s.tracking_no,
            title: s.title,
            state: words::state(s.state),
            received_at: beijing_naive(s.received_at),
            score: s.score,
            reasons: s.reasons.iter().copied().map(reason).collect::<Vec<_>>().join("、"),
        })
        .collect()
}

/// A suggested department, named.
#[derive(Debug)]
pub struct RoutingLine {
    /// The department's id.
    pub department_id: i64,
    /// Its name.
    pub department: String,
    /// Its share of the votes, as a percentage.
    pub percent: i64,
    /// The supporting closed cases' ids.
    pub because: Vec<i64>,
}

/// The suggestion with the departments' names (`names`: id and name).
pub fn routing_lines(suggestions: Vec<RoutingSuggestion>, names: &[(i64, String)]) -> Vec<RoutingLine> {
    suggestions
        .into_iter()
        .map(|s| RoutingLine {
            department_id: s.department_id.0,
            department: names
                .iter()
                .find(|(id, _)| *id == s.department_id.0)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| format!("单位 {}", s.department_id.0)),
            percent: (s.score * 100.0).round() as i64,
            because: s.because.into_iter().map(|id| id.0).collect(),
        })
        .collect()
}
