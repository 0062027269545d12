//! 差评整改 (DESIGN.md "After closure"): a 差评, or a rating saying the
//! problem was not solved, obliges the department to verify and rectify
//! within the channel's `rectify_days` working days — by re-handling the
//! case (`reopen` → reply → approve) or by an appeal (申诉) that a leader
//! decides (复核). An upheld appeal takes the rating out of the figures (核减).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::rating::Rating;

/// Where a rectification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectificationState {
    /// To rectify: in the department's 待整改 queue; it may appeal.
    Open,
    /// The department appealed: in the leaders' 待复核 queue.
    Appealed,
    /// The appeal was upheld: the rating is 核减.
    Upheld,
    /// The appeal was refused: the case must be reopened and handled again.
    Rejected,
    /// The case closed again after a reopen.
    Done,
}

impl RectificationState {
    /// Every state.
    pub const ALL: [RectificationState; 5] = [
        RectificationState::Open,
        RectificationState::Appealed,
        RectificationState::Upheld,
        RectificationState::Rejected,
        RectificationState::Done,
    ];

    /// The states still waiting for the department or a leader: a new 差评
    /// meanwhile opens no second rectification and sends no second mail.
    pub const OUTSTANDING: [RectificationState; 3] =
        [RectificationState::Open, RectificationState::Appealed, RectificationState::Rejected];

    /// The states in which the department still has to rectify (待整改):
    /// open, or rejected on appeal.
    pub const TO_RECTIFY: [RectificationState; 2] = [RectificationState::Open, RectificationState::Rejected];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            RectificationState::Open => "open",
            RectificationState::Appealed => "appealed",
            RectificationState::Upheld => "upheld",
            RectificationState::Rejected => "rejected",
            RectificationState::Done => "done",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<RectificationState> {
        RectificationState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether it still waits for the department or a leader.
    pub fn is_outstanding(self) -> bool {
        RectificationState::OUTSTANDING.contains(&self)
    }

    /// Whether the department has appealed this rectification already
    /// (one appeal per rectification).
    pub fn was_appealed(self) -> bool {
        matches!(
            self,
            RectificationState::Appealed | RectificationState::Upheld | RectificationState::Rejected
        )
    }
}

/// A case's rectification: where it stands and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rectification {
    /// Where it stands.
    pub state: RectificationState,
    /// The end of the `rectify_days`-th working day after the rating.
    pub due_at: Option<NaiveDateTime>,
}

impl Rectification {
    /// Whether the department is late: still to rectify after its due time.
    /// An appeal waiting for a leader is not the department's delay.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        RectificationState::TO_RECTIFY.contains(&self.state) && self.due_at.is_some_and(|due| due < now)
    }
}

/// Whether a rating calls for a rectification: a 差评 (不满意, 非常不满意),
/// or the rater saying the problem was not solved.
pub fn calls_for_rectification(rating: Rating, resolved: Option<bool>) -> bool {
    rating.is_poor() || resolved == Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_what_is_outstanding() {
        for state in RectificationState::ALL {
            assert_eq!(RectificationState::parse(state.as_str()), Some(state));
        }
        let outstanding: Vec<_> =
            RectificationState::ALL.into_iter().filter(|s| s.is_outstanding()).collect();
        assert_eq!(outstanding, RectificationState::OUTSTANDING);
        assert!(!RectificationState::Open.was_appealed() && RectificationState::Rejected.was_appealed());
    }

    #[test]
    fn a_poor_rating_or_an_unsolved_problem_calls_for_it() {
        assert!(calls_for_rectification(Rating::Unsatisfied, None));
        assert!(calls_for_rectification(Rating::VeryUnsatisfied, Some(true)));
        assert!(calls_for_rectification(Rating::Satisfied, Some(false)));
        assert!(!calls_for_rectification(Rating::BasicallySatisfied, Some(true)));
        assert!(!calls_for_rectification(Rating::VerySatisfied, None));
    }

    #[test]
    fn only_a_rectification_to_do_is_overdue() {
        let due = chrono::NaiveDate::from_ymd_opt(2025, 10, 9).unwrap().and_hms_opt(15, 59, 59).unwrap();
        let after = due + chrono::Duration::seconds(1);
        let open = Rectification { state: RectificationState::Open, due_at: Some(due) };
        assert!(open.is_overdue(after) && !open.is_overdue(due));
        let appealed = Rectification { state: RectificationState::Appealed, ..open };
        assert!(!appealed.is_overdue(after), "waiting for a leader");
        assert!(Rectification { state: RectificationState::Rejected, ..open }.is_overdue(after));
    }
}
