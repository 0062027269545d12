//! The case state machine (DESIGN.md "Case lifecycle"): one function decides
//! whether an actor may take an action on a case in a given state, and where the
//! case goes. Handlers never compare state strings themselves.

use serde::{Deserialize, Serialize};

use super::role::Role;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 已登记: logged, not yet routed.
    Registered,
    /// 已交办: routed to a department, not yet signed for.
    Assigned,
    /// 办理中: the department signed for it and is handling it.
    Processing,
    /// 待审核: the department submitted a reply; the office reviews it.
    Reviewing,
    /// 已办结: the reply was approved and sent.
    Closed,
    /// 不予受理: not accepted; terminal.
    Invalid,
    /// 已并入: 并单, put under another case that answers for it; not counted
    /// as received (like `invalid`), but `unmerge` brings it back.
    Merged,
}

impl CaseState {
    /// Every state, in lifecycle order.
    pub const ALL: [CaseState; 7] = [
        CaseState::Registered,
        CaseState::Assigned,
        CaseState::Processing,
        CaseState::Reviewing,
        CaseState::Closed,
        CaseState::Invalid,
        CaseState::Merged,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Registered => "registered",
            CaseState::Assigned => "assigned",
            CaseState::Processing => "processing",
            CaseState::Reviewing => "reviewing",
            CaseState::Closed => "closed",
            CaseState::Invalid => "invalid",
            CaseState::Merged => "merged",
        }
    }

    /// Parses a stored or user-supplied state name.
    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Open cases are still being worked on: neither closed, invalid nor
    /// merged (the case it is merged into is worked on instead).
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Closed | CaseState::Invalid | CaseState::Merged)
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something done to a case: `POST /api/v1/cases/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Route to a department (or re-route).
    Assign,
    /// The department signs for the case.
    Accept,
    /// The department hands the case back to the office.
    Return,
    /// The department submits its reply for review.
    Reply,
    /// The office approves the reply; the case closes.
    Approve,
    /// The office sends the reply back to the department.
    RejectReply,
    /// The department asks for more time.
    RequestExtension,
    /// The office decides on a pending extension request.
    DecideExtension,
    /// 督办: the office presses the department.
    Supervise,
    /// 不予受理.
    Invalidate,
    /// Pause the clock (补正, third-party consultation).
    Suspend,
    /// Restart the clock.
    Resume,
    /// 重办: a closed case is handled again.
    Reopen,
    /// Record a satisfaction rating.
    Rate,
    /// Not accepted because another case covers it.
    MarkDuplicate,
    /// 信件选登: approve a closed letter the citizen let be published.
    Publish,
    /// Withdraw the approval to publish.
    Unpublish,
    /// 回访: record a callback to the citizen after closure.
    Callback,
    /// 申诉: the department contests the 差评 its rectification is for.
    Appeal,
    /// 复核: a leader decides the appeal; upheld, the rating is 核减.
    DecideAppeal,
    /// 并单: put the case under another one that answers for it.
    Merge,
    /// Undo a 并单: the case is registered again.
    Unmerge,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 22] = [
        Action::Assign,
        Action::Accept,
        Action::Return,
        Action::Reply,
        Action::Approve,
        Action::RejectReply,
        Action::RequestExtension,
        Action::DecideExtension,
        Action::Supervise,
        Action::Invalidate,
        Action::Suspend,
        Action::Resume,
        Action::Reopen,
        Action::Rate,
        Action::MarkDuplicate,
        Action::Publish,
        Action::Unpublish,
        Action::Callback,
        Action::Appeal,
        Action::DecideAppeal,
        Action::Merge,
        Action::Unmerge,
    ];

    /// The name in the URL and in the event log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Accept => "accept",
            Action::Return => "return",
            Action::Reply => "reply",
            Action::Approve => "approve",
            Action::RejectReply => "reject-reply",
            Action::RequestExtension => "request-extension",
            Action::DecideExtension => "decide-extension",
            Action::Supervise => "supervise",
            Action::Invalidate => "invalidate",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Reopen => "reopen",
            Action::Rate => "rate",
            Action::MarkDuplicate => "mark-duplicate",
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::Callback => "callback",
            Action::Appeal => "appeal",
            Action::DecideAppeal => "decide-appeal",
            Action::Merge => "merge",
            Action::Unmerge => "unmerge",
        }
    }

    /// Parses the URL segment.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in member of staff.
    Staff(Role),
    /// A member of the public holding the case's query code.
    Citizen,
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// This actor may never take this action (403).
    NotPermitted,
    /// The action is not possible in the case's current state (409 `invalid_transition`).
    InvalidTransition {
        /// The state the case is in.
        state: CaseState,
        /// The action that was refused.
        action: Action,
    },
    /// The action is not possible while the clock is paused, or (`resume`)
    /// while it is running (409 `invalid_transition`, naming the pause).
    Paused {
        /// The action that was refused.
        action: Action,
        /// Whether the case is suspended.
        suspended: bool,
    },
}

/// Whether the case's pause allows `action`: a suspended case waits for the
/// applicant or a third party, so it cannot be suspended again, replied to or
/// extended; only a suspended case can be resumed.
pub fn check_pause(action: Action, suspended: bool) -> Result<(), TransitionError> {
    let refused = match action {
        Action::Suspend | Action::Reply | Action::RequestExtension => suspended,
        Action::Resume => !suspended,
        _ => false,
    };
    if refused {
        Err(TransitionError::Paused { action, suspended })
    } else {
        Ok(())
    }
}

/// Whether `actor` may take `action` at all, whatever the case's state.
///
/// Admins may do everything the office does (DESIGN.md: "admin: everything"), but
/// not what only a department can do: they belong to no department.
pub fn may_act(actor: Actor, action: Action) -> bool {
    use Action::*;
    let role = match actor {
        Actor::Citizen => return action == Rate,
        Actor::Staff(role) => role,
    };
    match action {
        Accept | Return | Reply | RequestExtension | Appeal => role == Role::Handler,
        // The appeal is against the office's own callback ratings too, so the
        // office's clerks do not judge it: leadership does.
        DecideAppeal => matches!(role, Role::Leader | Role::Admin),
        Assign | Approve | RejectReply | Invalidate | MarkDuplicate | Rate | Publish | Unpublish
        | Callback | Merge | Unmerge => role.is_office_staff(),
        DecideExtension | Supervise | Reopen => role.is_office_staff() || role == Role::Leader,
        Suspend | Resume => role.is_office_staff() || role == Role::Handler,
    }
}

/// The state `action` takes a case to from `state`, or `None` if it cannot be taken there.
pub fn next_state(state: CaseState, action: Action) -> Option<CaseState> {
    use Action::*;
    use CaseState::*;
    match (action, state) {
        (Assign, Registered | Assigned | Processing) => Some(Assigned),
        (Accept, Assigned) => Some(Processing),
        (Return, Assigned | Processing) => Some(Registered),
        (Reply, Processing) => Some(Reviewing),
        (Approve, Reviewing) => Some(Closed),
        (RejectReply, Reviewing) => Some(Processing),
        (RequestExtension | Suspend | Resume, Processing) => Some(Processing),
        (DecideExtension, Processing | Reviewing) => Some(state),
        (Supervise, s) if s.is_open() => Some(s),
        (Invalidate | MarkDuplicate, Registered) => Some(Invalid),
        (Reopen, Closed) => Some(Processing),
        (Rate | Publish | Unpublish | Callback | Appeal | DecideAppeal, Closed) => Some(Closed),
        // Once under way, a case is answered by its own reply: only what has
        // not yet been replied to is merged.
        (Merge, Registered | Assigned | Processing) => Some(Merged),
        (Unmerge, Merged) => Some(Registered),
        // The merged citizen rates their own case once the case it is merged
        // into closed (`domain::actions` checks that the parent is closed).
        (Rate, Merged) => Some(Merged),
        _ => None,
    }
}

/// Decides an action: first whether the actor may take it at all, then whether
/// the case's state allows it. Returns the state after the action.
pub fn transition(state: CaseState, action: Action, actor: Actor) -> Result<CaseState, TransitionError> {
    if !may_act(actor, action) {
        return Err(TransitionError::NotPermitted);
    }
    next_state(state, action).ok_or(TransitionError::InvalidTransition { state, action })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use CaseState::*;

    /// The table of DESIGN.md, written out independently of `next_state`.
    const ALLOWED: &[(Action, CaseState, CaseState)] = &[
        (Assign, Registered, Assigned),
        (Assign, Assigned, Assigned),
        (Assign, Processing, Assigned),
        (Accept, Assigned, Processing),
        (Return, Assigned, Registered),
        (Return, Processing, Registered),
        (Reply, Processing, Reviewing),
        (Approve, Reviewing, Closed),
        (RejectReply, Reviewing, Processing),
        (RequestExtension, Processing, Processing),
        (DecideExtension, Processing, Processing),
        (DecideExtension, Reviewing, Reviewing),
        (Supervise, Registered, Registered),
        (Supervise, Assigned, Assigned),
        (Supervise, Processing, Processing),
        (Supervise, Reviewing, Reviewing),
        (Invalidate, Registered, Invalid),
        (Suspend, Processing, Processing),
        (Resume, Processing, Processing),
        (Reopen, Closed, Processing),
        (Rate, Closed, Closed),
        (MarkDuplicate, Registered, Invalid),
        (Publish, Closed, Closed),
        (Unpublish, Closed, Closed),
        (Callback, Closed, Closed),
        (Appeal, Closed, Closed),
        (DecideAppeal, Closed, Closed),
        (Merge, Registered, Merged),
        (Merge, Assigned, Merged),
        (Merge, Processing, Merged),
        (Unmerge, Merged, Registered),
        (Rate, Merged, Merged),
    ];

    #[test]
    fn every_state_action_pair_matches_the_design_table() {
        for action in Action::ALL {
            for state in CaseState::ALL {
                let expected =
                    ALLOWED.iter().find(|(a, from, _)| *a == action && *from == state).map(|(_, _, to)| *to);
                assert_eq!(next_state(state, action), expected, "{action} from {state}");
            }
        }
    }

    #[test]
    fn invalid_is_terminal_and_closed_only_reopens_rates_or_publishes() {
        for action in Action::ALL {
            assert_eq!(next_state(Invalid, action), None, "{action}");
            let from_closed = next_state(Closed, action);
            assert_eq!(
                from_closed.is_some(),
                matches!(action, Reopen | Rate | Publish | Unpublish | Callback | Appeal | DecideAppeal),
                "{action}"
            );
        }
    }

    #[test]
    fn permissions_follow_the_design_table() {
        let who = |action: Action| -> Vec<Actor> {
            let mut actors: Vec<Actor> =
                Role::ALL.into_iter().map(Actor::Staff).filter(|actor| may_act(*actor, action)).collect();
            if may_act(Actor::Citizen, action) {
                actors.push(Actor::Citizen);
            }
            actors
        };
        let staff = |roles: &[Role]| -> Vec<Actor> { roles.iter().copied().map(Actor::Staff).collect() };
        use Role::*;
        assert_eq!(who(Assign), staff(&[Admin, Clerk]));
        assert_eq!(who(Accept), staff(&[Handler]));
        assert_eq!(who(Return), staff(&[Handler]));
        assert_eq!(who(Reply), staff(&[Handler]));
        assert_eq!(who(Approve), staff(&[Admin, Clerk]));
        assert_eq!(who(RejectReply), staff(&[Admin, Clerk]));
        assert_eq!(who(RequestExtension), staff(&[Handler]));
        assert_eq!(who(DecideExtension), staff(&[Admin, Clerk, Leader]));
        assert_eq!(who(Supervise), staff(&[Admin, Clerk, Leader]));
        assert_eq!(who(Invalidate), staff(&[Admin, Clerk]));
        assert_eq!(who(Suspend), staff(&[Admin, Clerk, Handler]));
        assert_eq!(who(Resume), staff(&[Admin, Clerk, Handler]));
        assert_eq!(who(Reopen), staff(&[Admin, Clerk, Leader]));
        let mut raters = staff(&[Admin, Clerk]);
        raters.push(Actor::Citizen);
        assert_eq!(who(Rate), raters);
        assert_eq!(who(MarkDuplicate), staff(&[Admin, Clerk]));
        assert_eq!(who(Publish), staff(&[Admin, Clerk]));
        assert_eq!(who(Unpublish), staff(&[Admin, Clerk]));
        assert_eq!(who(Callback), staff(&[Admin, Clerk]));
        assert_eq!(who(Appeal), staff(&[Handler]));
        assert_eq!(who(DecideAppeal), staff(&[Admin, Leader]));
        assert_eq!(who(Merge), staff(&[Admin, Clerk]));
        assert_eq!(who(Unmerge), staff(&[Admin, Clerk]));
    }

    #[test]
    fn merged_is_not_open_and_only_unmerges_or_rates() {
        assert!(!Merged.is_open());
        for action in Action::ALL {
            assert_eq!(next_state(Merged, action).is_some(), matches!(action, Unmerge | Rate), "{action}");
        }
    }

    #[test]
    fn permission_is_checked_before_state() {
        assert_eq!(
            transition(Closed, Approve, Actor::Staff(Role::Leader)),
            Err(TransitionError::NotPermitted)
        );
        assert_eq!(
            transition(Closed, Approve, Actor::Staff(Role::Clerk)),
            Err(TransitionError::InvalidTransition { state: Closed, action: Approve })
        );
        assert_eq!(transition(Reviewing, Approve, Actor::Staff(Role::Clerk)), Ok(Closed));
    }

    #[test]
    fn pauses_block_what_waits_on_the_applicant() {
        assert_eq!(check_pause(Suspend, false), Ok(()));
        assert!(check_pause(Suspend, true).is_err());
        assert!(check_pause(Resume, false).is_err());
        assert_eq!(check_pause(Resume, true), Ok(()));
        assert!(check_pause(Reply, true).is_err());
        assert!(check_pause(RequestExtension, true).is_err());
        assert_eq!(check_pause(Supervise, true), Ok(()));
        assert_eq!(check_pause(Assign, true), Ok(()), "re-routing stays possible");
    }

    #[test]
    fn names_round_trip() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        for state in CaseState::ALL {
            assert_eq!(CaseState::parse(state.as_str()), Some(state));
        }
        assert_eq!(Action::parse("delete"), None);
        assert_eq!(CaseState::parse("open"), None);
    }
}
