//! What people are told of by mail: the notices a change calls for, and where
//! a message stands in the outbox.

use serde::Serialize;

/// What happened that someone must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// To the citizen: the letter was registered (tracking number, query code).
    Receipt,
    /// To the department: a case was assigned to it.
    Assigned,
    /// To the department: two working days or fewer remain.
    DueSoon,
    /// To the department: the due time passed.
    Overdue,
    /// To the department: 督办.
    Supervised,
    /// To the department: its reply was sent back.
    ReplyRejected,
    /// To the citizen: the reply, with how to rate it.
    Closed,
    /// To the citizen: the due date was extended.
    Extended,
    /// To the department: a 差评 (or an unsolved problem) to verify and rectify.
    Rectification,
    /// To a staff account that asked for it: the leaders' weekly or monthly digest.
    Digest,
    /// To the citizen: the letter was merged into another case (并单), whose
    /// reply will answer it.
    Merged,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 11] = [
        Notice::Receipt,
        Notice::Assigned,
        Notice::DueSoon,
        Notice::Overdue,
        Notice::Supervised,
        Notice::ReplyRejected,
        Notice::Closed,
        Notice::Extended,
        Notice::Rectification,
        Notice::Digest,
        Notice::Merged,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Receipt => "receipt",
            Notice::Assigned => "assigned",
            Notice::DueSoon => "due_soon",
            Notice::Overdue => "overdue",
            Notice::Supervised => "supervised",
            Notice::ReplyRejected => "reply_rejected",
            Notice::Closed => "closed",
            Notice::Extended => "extended",
            Notice::Rectification => "rectification",
            Notice::Digest => "digest",
            Notice::Merged => "merged",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether the department handling the case hears of it (else the citizen).
    pub fn to_department(self) -> bool {
        matches!(
            self,
            Notice::Assigned
                | Notice::DueSoon
                | Notice::Overdue
                | Notice::Supervised
                | Notice::ReplyRejected
                | Notice::Rectification
        )
    }
}

/// Where a message stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting to be delivered (or retried).
    Pending,
    /// Handed to the mail server.
    Sent,
    /// Given up on after a day of attempts; an admin may queue it again.
    Failed,
}

impl MessageState {
    /// Every state.
    pub const ALL: [MessageState; 3] = [MessageState::Pending, MessageState::Sent, MessageState::Failed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<MessageState> {
        MessageState::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for notice in Notice::ALL {
            assert_eq!(Notice::parse(notice.as_str()), Some(notice));
        }
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MessageState::parse("queued"), None);
    }
}
