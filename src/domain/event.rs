//! What an entry of a case's audit trail records: its registration, one of
//! the lifecycle actions, or a deadline the system noticed on its own. Stored
//! as its name (`register`, `assign`, …, `overdue`, `due_soon`), so the log
//! reads the same in the database, the API and the pages.

use serde::{Serialize, Serializer};

use super::lifecycle::Action;

/// The kind of an audit-trail entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The case was registered (by a clerk, a citizen or an import).
    Register,
    /// A lifecycle action was taken.
    Action(Action),
    /// The due time passed (recorded once by the deadline scan).
    Overdue,
    /// Two working days or fewer remained (recorded once by the deadline scan).
    DueSoon,
}

impl EventKind {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Register => "register",
            EventKind::Action(action) => action.as_str(),
            EventKind::Overdue => "overdue",
            EventKind::DueSoon => "due_soon",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<EventKind> {
        match name {
            "register" => Some(EventKind::Register),
            "overdue" => Some(EventKind::Overdue),
            "due_soon" => Some(EventKind::DueSoon),
            other => Action::parse(other).map(EventKind::Action),
        }
    }
}

impl From<Action> for EventKind {
    fn from(action: Action) -> Self {
        EventKind::Action(action)
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        let kinds = [EventKind::Register, EventKind::Overdue, EventKind::DueSoon]
            .into_iter()
            .chain(Action::ALL.into_iter().map(EventKind::Action));
        for kind in kinds {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind), "{}", kind.as_str());
        }
        assert_eq!(EventKind::parse("created"), None, "a name never written is no kind");
    }
}
