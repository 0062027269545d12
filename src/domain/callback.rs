//! 回访 (DESIGN.md "After closure"): after each closure the office calls
//! back a citizen who left a phone number, within the channel's
//! `callback_days` working days; a citizen who rates before then spares
//! the call. Three unreached attempts end it as unreachable.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Unreached attempts after which a callback ends as unreachable.
pub const MAX_ATTEMPTS: i32 = 3;

/// Where a closure's callback stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    /// Due: in the clerks' 待回访 queue.
    Pending,
    /// The citizen was reached; the rating counts with source `callback`.
    Done,
    /// Not reached in [`MAX_ATTEMPTS`] attempts.
    Unreachable,
    /// No phone to call, or the citizen rated before it was due.
    NotNeeded,
}

impl CallbackState {
    /// Every state.
    pub const ALL: [CallbackState; 4] =
        [CallbackState::Pending, CallbackState::Done, CallbackState::Unreachable, CallbackState::NotNeeded];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackState::Pending => "pending",
            CallbackState::Done => "done",
            CallbackState::Unreachable => "unreachable",
            CallbackState::NotNeeded => "not_needed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<CallbackState> {
        CallbackState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether it counts in 回访率's denominator: every callback but one not needed.
    pub fn is_needed(self) -> bool {
        self != CallbackState::NotNeeded
    }

    /// Whether it counts in 回访率's numerator: made, reached or not.
    pub fn is_made(self) -> bool {
        matches!(self, CallbackState::Done | CallbackState::Unreachable)
    }
}

/// A closure's 回访.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackRecord {
    /// Where it stands.
    pub state: CallbackState,
    /// When it is due (none when not needed).
    pub due_at: Option<NaiveDateTime>,
    /// Unreached attempts so far.
    pub attempts: i32,
    /// When it ended.
    pub at: Option<NaiveDateTime>,
}

/// How the citizen was contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMethod {
    /// 电话.
    Phone,
    /// 短信.
    Sms,
    /// 上门.
    Visit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_rate_counts_made_of_needed() {
        for state in CallbackState::ALL {
            assert_eq!(CallbackState::parse(state.as_str()), Some(state));
        }
        let made: Vec<_> = CallbackState::ALL.into_iter().filter(|s| s.is_made()).collect();
        assert_eq!(made, [CallbackState::Done, CallbackState::Unreachable]);
        assert!(!CallbackState::NotNeeded.is_needed() && CallbackState::Pending.is_needed());
    }
}
