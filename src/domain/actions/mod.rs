//! What each action does to a case (DESIGN.md "Case lifecycle"), as a pure
//! function: given the case as it stands, who acts, the action's typed body
//! and the few facts looked up for it, [`effect`] returns the change — the
//! new state, the fields set, the event to record and the notice to send —
//! or why the action is refused. `service::cases::act_in` loads what this
//! needs, writes what it returns, and nothing else decides. The bodies are in
//! [`bodies`]; each action is a function of its family's module.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use super::calendar::{end_of_day, Calendar, Clock};
use super::callback::{CallbackRecord, CallbackState, MAX_ATTEMPTS};
use super::case::{handling_time, CaseFacts};
use super::ids::{CaseId, DepartmentId, UserId};
use super::intake::CONTENT_MAX;
use super::lifecycle::{check_pause, transition, Action, Actor, CaseState, TransitionError};
use super::notice::Notice;
use super::rating::{Rating, RatingInput, RatingRules, RatingScale, RatingSource};
use super::rectification::{calls_for_rectification, Rectification, RectificationState};
use super::time;
use super::validation::{optional_text, text_in_range, FieldErrors, Rule};

mod answer;
mod appeal;
mod bodies;
mod clock;
mod merge;
mod publication;
mod rating;
mod routing;
#[cfg(test)]
mod tests;

pub use bodies::*;
pub use routing::accept_due;

/// What [`effect`] needs looked up in the database beforehand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// Whether the department the body names is active; `None` if it does not exist.
    pub department_active: Option<bool>,
    /// The case the body names as the original: its state and tracking number.
    pub original: Option<(CaseState, String)>,
    /// Whether the case's channel rates work and result separately.
    pub two_dimension_rating: bool,
    /// The levels the case's channel rates on.
    pub rating_scale: RatingScale,
    /// The channel's working days for the 回访 after a closure.
    pub callback_days: i32,
    /// The channel's working days to rectify after a 差评.
    pub rectify_days: i32,
    /// Whether the citizen rated the case since its last closure.
    pub citizen_rated_this_closure: bool,
    /// For a `return`: when the case was last assigned (its latest `assign`
    /// event); `None` for a case with no such event (imported history),
    /// which may be returned whatever the setting.
    pub assigned_at: Option<NaiveDateTime>,
    /// For a `return`: the channel's working days after assignment in which
    /// the department may hand the case back (0: never).
    pub return_days: i32,
    /// For an `assign`: the channel's working days to sign for the case
    /// (0: at once).
    pub accept_days: i32,
    /// For a `merge`: the case its body names, if it exists; for an
    /// `unmerge`: the case it is merged into.
    pub merge_target: Option<MergeTarget>,
    /// For `merge`, `invalidate` and `mark-duplicate`: how many cases are
    /// merged into this one (they wait for its reply).
    pub merged_cases: i64,
    /// For a `rate` of a merged case: when the case it is merged into
    /// closed (its last closure), if it is closed.
    pub parent_closed_at: Option<NaiveDateTime>,
}

/// The other case of a 并单, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeTarget {
    /// Its id.
    pub id: CaseId,
    /// Its tracking number, for the event and the citizen's mail.
    pub tracking_no: String,
    /// Where it stands.
    pub state: CaseState,
    /// The case it is itself merged into.
    pub merged_into: Option<CaseId>,
}

/// Who acts, and when.
#[derive(Debug, Clone, Copy)]
pub struct ActionContext<'a> {
    /// The actor's kind, for the state machine.
    pub actor: Actor,
    /// The staff account, if any.
    pub user_id: Option<UserId>,
    /// The calendar and the time of the action.
    pub clock: Clock<'a>,
}

/// A case's closure: when, and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closure {
    /// When it closed.
    pub at: NaiveDateTime,
    /// Seconds from receipt.
    pub handling_seconds: i64,
    /// Working days from the day of receipt (not counted) to the day of closure.
    pub handling_workdays: i32,
}

/// A rating in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenRating {
    /// The (work) rating.
    pub rating: Rating,
    /// The result rating of two-dimension channels.
    pub result_rating: Option<Rating>,
    /// Who gave it.
    pub source: RatingSource,
    /// What was said.
    pub comment: Option<String>,
    /// 是否解决, if the rater said.
    pub resolved: Option<bool>,
    /// When.
    pub at: NaiveDateTime,
}

/// An extension request waiting for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExtension {
    /// Working days asked for.
    pub days: i32,
    /// Why.
    pub reason: Option<String>,
    /// When it was asked for.
    pub at: NaiveDateTime,
    /// Who asked.
    pub by: Option<UserId>,
}

/// A 督办 on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervision {
    /// How often the case has been supervised, this time included.
    pub count: i32,
    /// When, this time.
    pub at: NaiveDateTime,
    /// What was said.
    pub note: Option<String>,
}

/// A clerk's approval to publish a letter and its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// When it was approved.
    pub at: NaiveDateTime,
    /// Who approved it.
    pub by: Option<UserId>,
}

/// The fields an action sets; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseUpdate {
    pub department_id: Option<Option<DepartmentId>>,
    /// The reply and when it was given.
    pub reply: Option<(String, NaiveDateTime)>,
    pub closure: Option<Option<Closure>>,
    /// The rating in force.
    pub rating: Option<Option<GivenRating>>,
    /// The case this one duplicates.
    pub duplicate_of: Option<CaseId>,
    /// How often it was reopened.
    pub reopen_count: Option<i32>,
    /// The pause: `Some(Some(at))` suspends, `Some(None)` resumes.
    pub suspended_at: Option<Option<NaiveDateTime>>,
    /// Working days paused in finished pauses.
    pub paused_workdays: Option<i32>,
    /// A new due time; the due-soon and overdue events are armed again for it.
    pub due_at: Option<NaiveDateTime>,
    /// Working days granted by extensions.
    pub extended_workdays: Option<i32>,
    /// The extension request waiting.
    pub pending_extension: Option<Option<PendingExtension>>,
    /// The latest 督办.
    pub supervision: Option<Supervision>,
    /// The approval to publish: `Some(Some(_))` publishes, `Some(None)` withdraws it.
    pub publication: Option<Option<Publication>>,
    /// The closure's callback: `Some(None)` clears it (a reopened case).
    pub callback: Option<Option<CallbackRecord>>,
    /// The 差评整改.
    pub rectification: Option<Option<Rectification>>,
    /// The department's 申诉 reason: `Some(None)` clears it (a new rectification).
    pub appeal_reason: Option<Option<String>>,
    /// The leader's 复核 note.
    pub appeal_note: Option<Option<String>>,
    /// When the rating in force was 核减: `Some(None)` when a new rating
    /// (or none) takes its place.
    pub rating_excluded_at: Option<Option<NaiveDateTime>>,
    /// A new assignment's time to sign by; its automatic 督办 is armed again.
    pub accept_due_at: Option<NaiveDateTime>,
    /// The case it is merged into: `Some(None)` unmerges.
    pub merged_into: Option<Option<CaseId>>,
}

/// What an action does to a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The state after it.
    pub state: CaseState,
    /// The fields it sets.
    pub update: CaseUpdate,
    /// The event's note.
    pub note: Option<String>,
    /// The event's details.
    pub details: Value,
    /// The mail it calls for, with what the mail says beyond the case.
    pub notice: Option<(Notice, Value)>,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actor may not take it, or not in this state (403, 409 `invalid_transition`).
    Transition(TransitionError),
    /// It contradicts the extension request waiting (409 `conflict`).
    Conflict(String),
    /// A citizen rates a closure they rated already (409 `already_rated`).
    AlreadyRated,
    /// An appeal without a rectification open to appeal (409 `rectification_not_open`).
    RectificationNotOpen(String),
    /// A second appeal of one rectification (409 `already_appealed`).
    AlreadyAppealed,
    /// A decision without an appeal waiting (409 `not_appealed`).
    NotAppealed(String),
    /// A `return` after the channel's `return_days` (409 `return_window_closed`).
    ReturnWindowClosed(String),
    /// A `merge` into a case that cannot take it: merged, invalid or
    /// closed (409 `merge_target_invalid`).
    MergeTargetInvalid(String),
    /// A `merge` into itself, or into a case merged into it (409 `merge_cycle`).
    MergeCycle(String),
    /// The case has cases merged into it, which wait for its reply: it can
    /// be neither merged nor made invalid (409 `has_merged_cases`).
    HasMergedCases(String),
    /// The body is wrong (422).
    Invalid(FieldErrors),
}

impl From<TransitionError> for Refusal {
    fn from(error: TransitionError) -> Self {
        Refusal::Transition(error)
    }
}

impl From<FieldErrors> for Refusal {
    fn from(errors: FieldErrors) -> Self {
        Refusal::Invalid(errors)
    }
}

/// Whether `acting` may take the action `body` is for on `case` at all:
/// the state machine and the pause, before the body is looked at.
pub fn permitted(case: &CaseFacts<'_>, action: Action, actor: Actor) -> Result<CaseState, TransitionError> {
    let next = transition(case.state, action, actor)?;
    check_pause(action, case.suspended)?;
    Ok(next)
}

pub(super) fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    match value {
        Some(v) => text_in_range(errors, field, v, 1, max),
        None => {
            errors.add(field, Rule::Required);
            None
        }
    }
}

pub(super) fn note(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    optional_text(errors, "note", value.as_deref(), NOTE_MAX)
}

pub(super) fn reason(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    required_text(errors, "reason", value.as_deref(), NOTE_MAX)
}

/// The due date moved `workdays` working days on from the current due day,
/// and the due dates before and after (RFC 3339) for the event's details.
pub(super) fn moved_due(
    case: &CaseFacts<'_>,
    clock: Clock<'_>,
    workdays: u32,
) -> (Option<NaiveDateTime>, Option<String>, Option<String>) {
    let Some(day) = case.due_day() else {
        return (None, None, None);
    };
    let moved = end_of_day(clock.calendar.add_workdays(day, workdays));
    let show = |at: NaiveDateTime| time::to_office(at).to_rfc3339();
    let after = if workdays > 0 { moved } else { case.due_at.unwrap_or(moved) };
    ((workdays > 0).then_some(moved), case.due_at.map(show), Some(show(after)))
}

/// What `body`'s action does to `case`, or why it is refused. Checks, in
/// order: the actor and the state ([`permitted`]), then the body against
/// the case and the `lookups` (each action in a function of its own, by
/// family). Every problem with the body is reported at once.
pub fn effect(
    case: &CaseFacts<'_>,
    body: &ActionBody,
    acting: ActionContext<'_>,
    lookups: &Lookups,
) -> Result<Effect, Refusal> {
    let state = permitted(case, body.action(), acting.actor)?;
    let Clock { calendar, now } = acting.clock;
    let cx = Context { case, acting, lookups, calendar, now };
    let mut draft = Draft::default();
    let event_note = match body {
        ActionBody::Assign(body) => routing::assign(&cx, &mut draft, body)?,
        ActionBody::Accept(body) => routing::accept(&cx, &mut draft, body)?,
        ActionBody::Approve(body) => answer::approve(&cx, &mut draft, body)?,
        ActionBody::Return(body) => routing::return_case(&cx, &mut draft, body)?,
        ActionBody::RejectReply(body) => answer::reject_reply(&cx, &mut draft, body)?,
        ActionBody::Invalidate(body) => routing::invalidate(&cx, &mut draft, body)?,
        ActionBody::Reopen(body) => answer::reopen(&cx, &mut draft, body)?,
        ActionBody::Publish(body) => publication::publish(&cx, &mut draft, body)?,
        ActionBody::Unpublish(body) => publication::unpublish(&cx, &mut draft, body)?,
        ActionBody::Reply(body) => answer::reply(&cx, &mut draft, body)?,
        ActionBody::Supervise(body) => clock::supervise(&cx, &mut draft, body)?,
        ActionBody::Rate(body) => rating::rate(&cx, &mut draft, body)?,
        ActionBody::MarkDuplicate(body) => routing::mark_duplicate(&cx, &mut draft, body)?,
        ActionBody::RequestExtension(body) => clock::request_extension(&cx, &mut draft, body)?,
        ActionBody::DecideExtension(body) => clock::decide_extension(&cx, &mut draft, body)?,
        ActionBody::Suspend(body) => clock::suspend(&cx, &mut draft, body)?,
        ActionBody::Resume(body) => clock::resume(&cx, &mut draft, body)?,
        ActionBody::Callback(body) => rating::callback(&cx, &mut draft, body)?,
        ActionBody::Appeal(body) => appeal::appeal(&cx, &mut draft, body)?,
        ActionBody::DecideAppeal(body) => appeal::decide_appeal(&cx, &mut draft, body)?,
        ActionBody::Merge(body) => merge::merge(&cx, &mut draft, body)?,
        ActionBody::Unmerge(body) => merge::unmerge(&cx, &mut draft, body)?,
    };
    let Draft { errors, update, details, notice } = draft;
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    Ok(Effect { state, update, note: event_note, details, notice })
}

/// What an action's function is given: the case, who acts and when, and
/// what was looked up.
struct Context<'c, 'k> {
    case: &'c CaseFacts<'k>,
    acting: ActionContext<'c>,
    lookups: &'c Lookups,
    calendar: &'c Calendar,
    now: NaiveDateTime,
}

/// What an action's function writes: the body's problems, the change, the
/// event's details and the notice.
struct Draft {
    errors: FieldErrors,
    update: CaseUpdate,
    details: Value,
    notice: Option<(Notice, Value)>,
}

impl Default for Draft {
    fn default() -> Self {
        Draft { errors: FieldErrors::new(), update: CaseUpdate::default(), details: json!({}), notice: None }
    }
}
