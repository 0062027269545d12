//! The body each action takes, as typed input: read from JSON (the API, a
//! page's form) only once the actor and the state allow the action.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::callback::CallbackMethod;
use crate::domain::ids::{CaseId, DepartmentId};
use crate::domain::lifecycle::Action;
use crate::domain::rating::Rating;
use crate::domain::validation::{from_json, FieldErrors};

/// Longest note or reason, in characters.
pub const NOTE_MAX: usize = 2000;

/// A body with an optional note (`accept`, `approve`, `resume`, `publish`,
/// `unpublish`, and `supervise`, where the note is required).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Free text for the event log.
    pub note: Option<String>,
}

/// A body whose reason is required (`return`, `reject-reply`, `invalidate`,
/// `suspend`, `reopen`, `appeal`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why.
    pub reason: Option<String>,
}

/// `return`: the reason is required; the code says what kind of reason it
/// is (absent: `other`, so clients written before the codes keep working).
/// The code is read as text so an unknown one is a field error naming
/// `reason_code`, like every other rule, not a parse failure of the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Why (required).
    pub reason: Option<String>,
    /// One of [`ReturnReason`]'s codes.
    pub reason_code: Option<String>,
}

/// The kinds of reason a department may hand a case back for (退单), as the
/// 12345 rules name them; recorded in the event so the clerk's queue and
/// the figures can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnReason {
    /// 非本单位职责.
    NotOurDuty,
    /// 诉求不清.
    Unclear,
    /// 重复件.
    Duplicate,
    /// 其他: also what a body without a code means.
    #[default]
    Other,
}

impl ReturnReason {
    /// Every reason, in the order the page offers them.
    pub const ALL: [ReturnReason; 4] =
        [ReturnReason::NotOurDuty, ReturnReason::Unclear, ReturnReason::Duplicate, ReturnReason::Other];

    /// The code in the API and the event's details.
    pub fn code(self) -> &'static str {
        match self {
            ReturnReason::NotOurDuty => "not_our_duty",
            ReturnReason::Unclear => "unclear",
            ReturnReason::Duplicate => "duplicate",
            ReturnReason::Other => "other",
        }
    }

    /// The words a clerk reads.
    pub fn label(self) -> &'static str {
        match self {
            ReturnReason::NotOurDuty => "非本单位职责",
            ReturnReason::Unclear => "诉求不清",
            ReturnReason::Duplicate => "重复件",
            ReturnReason::Other => "其他",
        }
    }

    /// The reason with this code, if there is one.
    pub fn parse(code: &str) -> Option<ReturnReason> {
        ReturnReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// `assign`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The department to route the case to (required).
    pub department_id: Option<DepartmentId>,
    /// A note for the department.
    pub note: Option<String>,
}

/// `reply`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// The department's answer (required).
    pub reply: Option<String>,
}

/// `rate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    /// The rating, or the rating of the work on two-dimension channels (required).
    pub rating: Option<Rating>,
    /// The rating of the result, on two-dimension channels only.
    pub result_rating: Option<Rating>,
    /// What the citizen said (required with a citizen's 差评).
    pub comment: Option<String>,
    /// 是否解决: whether the problem was solved.
    pub resolved: Option<bool>,
}

/// `callback` (回访).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// Whether the citizen was reached (required).
    pub reached: Option<bool>,
    /// How (required).
    pub method: Option<CallbackMethod>,
    /// When reached: the rating (required).
    pub rating: Option<Rating>,
    /// When reached, on two-dimension channels: the result rating.
    pub result_rating: Option<Rating>,
    /// When reached: 是否解决 (required).
    pub resolved: Option<bool>,
    /// What was said, or why nobody answered.
    pub comment: Option<String>,
}

/// `decide-appeal` (复核).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionBody {
    /// Uphold the appeal, making the rating 核减 (true), or refuse it (false) (required).
    pub uphold: Option<bool>,
    /// The reasons of the decision (required: it stands in the record beside the 核减).
    pub note: Option<String>,
}

/// `mark-duplicate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateBody {
    /// The case this one repeats (required).
    pub duplicate_of: Option<CaseId>,
    /// A note for the event log.
    pub note: Option<String>,
}

/// A case named by its id or by its tracking number: the API takes either
/// (`17` or `"MB2026000017"`), so a clerk can type the number from a letter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CaseRef {
    /// By id.
    Id(CaseId),
    /// By tracking number.
    TrackingNo(String),
}

/// `merge` (并单).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The case to merge this one into (required).
    pub into: Option<CaseRef>,
    /// A note for the event log.
    pub note: Option<String>,
}

/// `request-extension`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequestBody {
    /// Working days asked for (required).
    pub days: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

/// `decide-extension`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecisionBody {
    /// Grant (true) or refuse (false) the request waiting (required).
    pub approve: Option<bool>,
    /// A note for the event log.
    pub note: Option<String>,
}

/// An action with its body: what each action reads, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBody {
    /// Route to a department (or re-route).
    Assign(AssignBody),
    /// The department signs for the case.
    Accept(NoteBody),
    /// The department hands the case back.
    Return(ReturnBody),
    /// The department submits its reply.
    Reply(ReplyBody),
    /// The office approves the reply and closes the case.
    Approve(NoteBody),
    /// The office sends the reply back.
    RejectReply(ReasonBody),
    /// The department asks for more time.
    RequestExtension(ExtensionRequestBody),
    /// The office decides on the request waiting.
    DecideExtension(ExtensionDecisionBody),
    /// 督办 (the note is required).
    Supervise(NoteBody),
    /// 不予受理.
    Invalidate(ReasonBody),
    /// Pause the clock.
    Suspend(ReasonBody),
    /// Restart the clock.
    Resume(NoteBody),
    /// 重办.
    Reopen(ReasonBody),
    /// Record a rating.
    Rate(RateBody),
    /// Not accepted because another case covers it.
    MarkDuplicate(DuplicateBody),
    /// Approve for publication (信件选登).
    Publish(NoteBody),
    /// Withdraw the approval to publish.
    Unpublish(NoteBody),
    /// 回访.
    Callback(CallbackBody),
    /// 申诉 against the 差评 (the reason is required).
    Appeal(ReasonBody),
    /// 复核 of the appeal.
    DecideAppeal(AppealDecisionBody),
    /// 并单.
    Merge(MergeBody),
    /// Undo a 并单 (the reason is required).
    Unmerge(ReasonBody),
}

impl ActionBody {
    /// The action this body is for.
    pub fn action(&self) -> Action {
        match self {
            ActionBody::Assign(_) => Action::Assign,
            ActionBody::Accept(_) => Action::Accept,
            ActionBody::Return(_) => Action::Return,
            ActionBody::Reply(_) => Action::Reply,
            ActionBody::Approve(_) => Action::Approve,
            ActionBody::RejectReply(_) => Action::RejectReply,
            ActionBody::RequestExtension(_) => Action::RequestExtension,
            ActionBody::DecideExtension(_) => Action::DecideExtension,
            ActionBody::Supervise(_) => Action::Supervise,
            ActionBody::Invalidate(_) => Action::Invalidate,
            ActionBody::Suspend(_) => Action::Suspend,
            ActionBody::Resume(_) => Action::Resume,
            ActionBody::Reopen(_) => Action::Reopen,
            ActionBody::Rate(_) => Action::Rate,
            ActionBody::MarkDuplicate(_) => Action::MarkDuplicate,
            ActionBody::Publish(_) => Action::Publish,
            ActionBody::Unpublish(_) => Action::Unpublish,
            ActionBody::Callback(_) => Action::Callback,
            ActionBody::Appeal(_) => Action::Appeal,
            ActionBody::DecideAppeal(_) => Action::DecideAppeal,
            ActionBody::Merge(_) => Action::Merge,
            ActionBody::Unmerge(_) => Action::Unmerge,
        }
    }

    /// Reads `action`'s body from JSON: a member the action does not use, or
    /// one of the wrong type, is an error naming it.
    pub fn parse(action: Action, json: Value) -> Result<ActionBody, FieldErrors> {
        Ok(match action {
            Action::Assign => ActionBody::Assign(from_json(json)?),
            Action::Accept => ActionBody::Accept(from_json(json)?),
            Action::Return => ActionBody::Return(from_json(json)?),
            Action::Reply => ActionBody::Reply(from_json(json)?),
            Action::Approve => ActionBody::Approve(from_json(json)?),
            Action::RejectReply => ActionBody::RejectReply(from_json(json)?),
            Action::RequestExtension => ActionBody::RequestExtension(from_json(json)?),
            Action::DecideExtension => ActionBody::DecideExtension(from_json(json)?),
            Action::Supervise => ActionBody::Supervise(from_json(json)?),
            Action::Invalidate => ActionBody::Invalidate(from_json(json)?),
            Action::Suspend => ActionBody::Suspend(from_json(json)?),
            Action::Resume => ActionBody::Resume(from_json(json)?),
            Action::Reopen => ActionBody::Reopen(from_json(json)?),
            Action::Rate => ActionBody::Rate(from_json(json)?),
            Action::MarkDuplicate => ActionBody::MarkDuplicate(from_json(json)?),
            Action::Publish => ActionBody::Publish(from_json(json)?),
            Action::Unpublish => ActionBody::Unpublish(from_json(json)?),
            Action::Callback => ActionBody::Callback(from_json(json)?),
            Action::Appeal => ActionBody::Appeal(from_json(json)?),
            Action::DecideAppeal => ActionBody::DecideAppeal(from_json(json)?),
            Action::Merge => ActionBody::Merge(from_json(json)?),
            Action::Unmerge => ActionBody::Unmerge(from_json(json)?),
        })
    }

    /// The department the body names, which [`effect`] needs looked up.
    pub fn department_id(&self) -> Option<DepartmentId> {
        match self {
            ActionBody::Assign(body) => body.department_id,
            _ => None,
        }
    }

    /// The case a `merge` names as its parent, which [`effect`] needs looked up.
    pub fn merge_into(&self) -> Option<&CaseRef> {
        match self {
            ActionBody::Merge(body) => body.into.as_ref(),
            _ => None,
        }
    }

    /// The case the body names as the original, which [`effect`] needs looked up.
    pub fn duplicate_of(&self) -> Option<CaseId> {
        match self {
            ActionBody::MarkDuplicate(body) => body.duplicate_of,
            _ => None,
        }
    }
}
