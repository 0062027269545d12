//! What each action does to a case (DESIGN.md "Case lifecycle"), as a pure
//! function: given the case as it stands, who acts, the action's typed body
//! and the few facts looked up for it, [`effect`] returns the change — the
//! new state, the fields set, the event to record and the notice to send —
//! or why the action is refused. `workflow::act` loads what this needs,
//! writes what it returns, and nothing else decides.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{json, Value};

use super::calendar::{end_of_day, Clock};
use super::case::CaseFacts;
use super::ids::{CaseId, DepartmentId, UserId};
use super::intake::CONTENT_MAX;
use super::lifecycle::{check_pause, transition, Action, Actor, CaseState, TransitionError};
use super::notice::Notice;
use super::rating::{Rating, RatingInput, RatingSource};
use super::time;
use super::validation::{from_json, optional_text, text_in_range, FieldErrors, Rule};

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
/// `suspend`, `reopen`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why.
    pub reason: Option<String>,
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
    /// What the citizen said.
    pub comment: Option<String>,
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
    Return(ReasonBody),
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
        })
    }

    /// The department the body names, which [`effect`] needs looked up.
    pub fn department_id(&self) -> Option<DepartmentId> {
        match self {
            ActionBody::Assign(body) => body.department_id,
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

/// What [`effect`] needs looked up in the database beforehand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// Whether the department the body names is active; `None` if it does not exist.
    pub department_active: Option<bool>,
    /// The case the body names as the original: its state and tracking number.
    pub original: Option<(CaseState, String)>,
    /// Whether the case's channel rates work and result separately.
    pub two_dimension_rating: bool,
    /// Whether the citizen rated the case since its last closure.
    pub citizen_rated_this_closure: bool,
}

/// Who acts, and when.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
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
    /// The department.
    pub department_id: Option<Option<DepartmentId>>,
    /// The reply and when it was given.
    pub reply: Option<(String, NaiveDateTime)>,
    /// The closure.
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

fn required_text(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    match value {
        Some(v) => text_in_range(errors, field, v, 1, max),
        None => {
            errors.add(field, Rule::Required);
            None
        }
    }
}

fn note(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    optional_text(errors, "note", value.as_deref(), NOTE_MAX)
}

fn reason(errors: &mut FieldErrors, value: &Option<String>) -> Option<String> {
    required_text(errors, "reason", value.as_deref(), NOTE_MAX)
}

/// The due date moved `workdays` working days on from the current due day,
/// and the due dates before and after (RFC 3339) for the event's details.
fn moved_due(
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
/// the case and the `lookups`. Every problem with the body is reported at once.
pub fn effect(
    case: &CaseFacts<'_>,
    body: &ActionBody,
    acting: Acting<'_>,
    lookups: &Lookups,
) -> Result<Effect, Refusal> {
    let state = permitted(case, body.action(), acting.actor)?;
    let Clock { calendar, now } = acting.clock;
    let mut errors = FieldErrors::new();
    let mut update = CaseUpdate::default();
    let mut details = json!({});
    let mut notice = None;
    let event_note = match body {
        ActionBody::Assign(AssignBody { department_id, note: given }) => {
            match (department_id, lookups.department_active) {
                (None, _) => errors.add("department_id", Rule::Required),
                (Some(id), None) => errors.add("department_id", Rule::UnknownDepartment(id.0)),
                (Some(id), Some(false)) => errors.add("department_id", Rule::InactiveDepartment(id.0)),
                (Some(id), Some(true)) => {
                    if case.department_id == Some(*id) && case.state != CaseState::Registered {
                        errors.add("department_id", Rule::SameDepartment);
                    }
                    update.department_id = Some(Some(*id));
                    details = json!({ "department_id": id, "previous_department_id": case.department_id });
                }
            }
            let note = note(&mut errors, given);
            notice = Some((Notice::Assigned, json!({ "note": note })));
            note
        }
        ActionBody::Accept(NoteBody { note: given }) => note(&mut errors, given),
        ActionBody::Approve(NoteBody { note: given }) => {
            // Handling time is fixed at closure, so that figures sum integers.
            let workdays =
                calendar.workdays_between(time::office_date(case.received_at), time::office_date(now)).max(0);
            update.closure = Some(Some(Closure {
                at: now,
                handling_seconds: (now - case.received_at).num_seconds().max(0),
                handling_workdays: workdays as i32,
            }));
            notice = Some((Notice::Closed, json!({ "reply": case.reply })));
            note(&mut errors, given)
        }
        ActionBody::Return(ReasonBody { reason: given }) => {
            update.department_id = Some(None);
            details = json!({ "previous_department_id": case.department_id });
            reason(&mut errors, given)
        }
        ActionBody::RejectReply(ReasonBody { reason: given }) => {
            let reason = reason(&mut errors, given);
            notice = Some((Notice::ReplyRejected, json!({ "note": reason })));
            reason
        }
        ActionBody::Invalidate(ReasonBody { reason: given }) => reason(&mut errors, given),
        ActionBody::Reopen(ReasonBody { reason: given }) => {
            // The rating after the next closure is the one that counts.
            update.closure = Some(None);
            update.rating = Some(None);
            update.reopen_count = Some(case.reopen_count + 1);
            // The approval was for the reply that is now being redone: the
            // next reply must be approved for publication afresh.
            if case.published {
                update.publication = Some(None);
                details = json!({ "unpublished": true });
            }
            reason(&mut errors, given)
        }
        ActionBody::Publish(NoteBody { note: given }) => {
            if !case.is_public {
                return Err(Refusal::Conflict(
                    "the citizen did not agree to publication (is_public is false)".into(),
                ));
            }
            if case.published {
                return Err(Refusal::Conflict("the letter is already published".into()));
            }
            update.publication = Some(Some(Publication { at: now, by: acting.user_id }));
            note(&mut errors, given)
        }
        ActionBody::Unpublish(NoteBody { note: given }) => {
            if !case.published {
                return Err(Refusal::Conflict("the letter is not published".into()));
            }
            update.publication = Some(None);
            note(&mut errors, given)
        }
        ActionBody::Reply(ReplyBody { reply }) => {
            if let Some(reply) = required_text(&mut errors, "reply", reply.as_deref(), CONTENT_MAX) {
                details = json!({ "reply": reply });
                update.reply = Some((reply, now));
            }
            None
        }
        ActionBody::Supervise(NoteBody { note: given }) => {
            let note = required_text(&mut errors, "note", given.as_deref(), NOTE_MAX);
            let count = case.supervision_count + 1;
            update.supervision = Some(Supervision { count, at: now, note: note.clone() });
            details = json!({ "supervision_count": count, "department_id": case.department_id });
            notice = Some((Notice::Supervised, json!({ "note": note })));
            note
        }
        ActionBody::Rate(RateBody { rating, result_rating, comment }) => {
            if acting.actor == Actor::Citizen && lookups.citizen_rated_this_closure {
                return Err(Refusal::AlreadyRated);
            }
            match rating {
                None => errors.add("rating", Rule::Required),
                Some(rating) => {
                    let input = RatingInput {
                        rating: *rating,
                        result_rating: *result_rating,
                        comment: comment.clone(),
                    };
                    match input.validate(lookups.two_dimension_rating) {
                        Ok(valid) => {
                            let source = match acting.actor {
                                Actor::Citizen => RatingSource::Citizen,
                                Actor::Staff(_) => RatingSource::Callback,
                            };
                            details = json!({
                                "rating": valid.rating,
                                "result_rating": valid.result_rating,
                                "source": source,
                                "comment": valid.comment,
                            });
                            update.rating = Some(Some(GivenRating {
                                rating: valid.rating,
                                result_rating: valid.result_rating,
                                source,
                                comment: valid.comment,
                                at: now,
                            }));
                        }
                        Err(invalid) => errors.0.extend(invalid.0),
                    }
                }
            }
            None
        }
        ActionBody::MarkDuplicate(DuplicateBody { duplicate_of, note: given }) => {
            match (duplicate_of, &lookups.original) {
                (None, _) => errors.add("duplicate_of", Rule::Required),
                (Some(id), _) if *id == case.id => errors.add("duplicate_of", Rule::SelfDuplicate),
                (Some(id), None) => errors.add("duplicate_of", Rule::UnknownCase(id.0)),
                (Some(_), Some((CaseState::Invalid, _))) => errors.add("duplicate_of", Rule::OriginalInvalid),
                (Some(id), Some((_, tracking_no))) => {
                    update.duplicate_of = Some(*id);
                    details = json!({ "duplicate_of": id, "duplicate_of_tracking_no": tracking_no });
                }
            }
            note(&mut errors, given)
        }
        ActionBody::RequestExtension(ExtensionRequestBody { days, reason: given }) => {
            if case.pending_extension_days.is_some() {
                return Err(Refusal::Conflict(
                    "an extension request is already waiting for a decision".into(),
                ));
            }
            let allowance = case.extension_allowance(calendar);
            let days = match days {
                None => {
                    errors.add("days", Rule::Required);
                    None
                }
                Some(days) if *days < 1 => {
                    errors.add("days", Rule::AtLeastOneWorkday);
                    None
                }
                Some(days) if *days > allowance => {
                    errors.add("days", Rule::ExtensionAllowance(allowance));
                    None
                }
                Some(days) => {
                    details = json!({ "days": days, "allowance": allowance });
                    Some(*days as i32)
                }
            };
            let reason = reason(&mut errors, given);
            if let Some(days) = days {
                update.pending_extension = Some(Some(PendingExtension {
                    days,
                    reason: reason.clone(),
                    at: now,
                    by: acting.user_id,
                }));
            }
            reason
        }
        ActionBody::DecideExtension(ExtensionDecisionBody { approve, note: given }) => {
            let Some(days) = case.pending_extension_days else {
                return Err(Refusal::Conflict("no extension request is waiting for a decision".into()));
            };
            match approve {
                None => errors.add("approve", Rule::RequiredDecision),
                Some(approve) => {
                    let mut decided = json!({ "approved": approve, "days": days });
                    if *approve {
                        let (due_at, before, after) = moved_due(case, acting.clock, days as u32);
                        update.due_at = due_at;
                        update.extended_workdays = Some(case.extended_workdays + days);
                        decided["due_at_before"] = json!(before);
                        decided["due_at_after"] = json!(after);
                        notice = Some((Notice::Extended, json!({})));
                    }
                    details = decided;
                }
            }
            update.pending_extension = Some(None);
            note(&mut errors, given)
        }
        ActionBody::Suspend(ReasonBody { reason: given }) => {
            update.suspended_at = Some(Some(now));
            reason(&mut errors, given)
        }
        ActionBody::Resume(NoteBody { note: given }) => {
            let since = case.suspended_at.map(time::office_date).unwrap_or_else(|| time::office_date(now));
            let paused = calendar.workdays_in(since, time::office_date(now)).max(0);
            let (due_at, before, after) = moved_due(case, acting.clock, paused as u32);
            update.due_at = due_at;
            update.suspended_at = Some(None);
            update.paused_workdays = Some(case.paused_workdays + paused as i32);
            details = json!({ "paused_workdays": paused, "due_at_before": before, "due_at_after": after });
            note(&mut errors, given)
        }
    };
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    Ok(Effect { state, update, note: event_note, details, notice })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::tests::{calendar, facts};
    use crate::domain::role::Role;

    fn at(s: &str) -> NaiveDateTime {
        time::parse_instant(s).unwrap()
    }

    fn clerk() -> Actor {
        Actor::Staff(Role::Clerk)
    }

    fn handler() -> Actor {
        Actor::Staff(Role::Handler)
    }

    /// Runs `body` on `case` at `now` with `lookups`.
    fn run(
        case: CaseFacts<'_>,
        body: ActionBody,
        actor: Actor,
        now: &str,
        lookups: Lookups,
    ) -> Result<Effect, Refusal> {
        let calendar = calendar();
        let acting =
            Acting { actor, user_id: Some(UserId(5)), clock: Clock { calendar: &calendar, now: at(now) } };
        effect(&case, &body, acting, &lookups)
    }

    fn in_state(state: CaseState) -> CaseFacts<'static> {
        CaseFacts { state, ..facts() }
    }

    fn fields(refusal: Refusal) -> Vec<String> {
        match refusal {
            Refusal::Invalid(errors) => errors.0.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    const NOW: &str = "2024-06-12T15:00:00+08:00";

    #[test]
    fn assign_routes_to_an_active_department_and_tells_it() {
        let case = CaseFacts { department_id: None, ..in_state(CaseState::Registered) };
        let body = ActionBody::Assign(AssignBody {
            department_id: Some(DepartmentId(4)),
            note: Some(" 请办理 ".into()),
        });
        let active = Lookups { department_active: Some(true), ..Lookups::default() };
        let effect = run(case, body.clone(), clerk(), NOW, active).unwrap();
        assert_eq!(effect.state, CaseState::Assigned);
        assert_eq!(
            effect.update,
            CaseUpdate { department_id: Some(Some(DepartmentId(4))), ..CaseUpdate::default() }
        );
        assert_eq!(effect.note.as_deref(), Some("请办理"));
        assert_eq!(effect.details, json!({"department_id": 4, "previous_department_id": null}));
        assert_eq!(effect.notice, Some((Notice::Assigned, json!({"note": "请办理"}))));
        let inactive = Lookups { department_active: Some(false), ..Lookups::default() };
        assert_eq!(fields(run(case, body.clone(), clerk(), NOW, inactive).unwrap_err()), ["department_id"]);
        assert_eq!(fields(run(case, body, clerk(), NOW, Lookups::default()).unwrap_err()), ["department_id"]);
        let again = ActionBody::Assign(AssignBody { department_id: Some(DepartmentId(3)), note: None });
        let same = Lookups { department_active: Some(true), ..Lookups::default() };
        let refused = run(in_state(CaseState::Processing), again, clerk(), NOW, same).unwrap_err();
        assert_eq!(fields(refused), ["department_id"], "already with this department");
    }

    #[test]
    fn accept_changes_only_the_state() {
        let effect = run(
            in_state(CaseState::Assigned),
            ActionBody::Accept(NoteBody::default()),
            handler(),
            NOW,
            Lookups::default(),
        )
        .unwrap();
        assert_eq!(
            (effect.state, effect.update, effect.notice),
            (CaseState::Processing, CaseUpdate::default(), None)
        );
    }

    #[test]
    fn return_gives_the_case_back_to_the_office() {
        let body = ActionBody::Return(ReasonBody { reason: Some("不属本单位职责".into()) });
        let effect = run(in_state(CaseState::Processing), body, handler(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Registered);
        assert_eq!(effect.update.department_id, Some(None));
        assert_eq!(effect.details, json!({"previous_department_id": 3}));
        let missing = ActionBody::Return(ReasonBody { reason: None });
        assert_eq!(
            fields(
                run(in_state(CaseState::Processing), missing, handler(), NOW, Lookups::default())
                    .unwrap_err()
            ),
            ["reason"]
        );
    }

    #[test]
    fn reply_records_the_answer_for_review() {
        let body = ActionBody::Reply(ReplyBody { reply: Some("已协调解决。".into()) });
        let effect = run(in_state(CaseState::Processing), body, handler(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Reviewing);
        assert_eq!(effect.update.reply, Some(("已协调解决。".into(), at(NOW))));
        assert_eq!(effect.note, None);
        let blank = ActionBody::Reply(ReplyBody { reply: Some("  ".into()) });
        assert_eq!(
            fields(
                run(in_state(CaseState::Processing), blank, handler(), NOW, Lookups::default()).unwrap_err()
            ),
            ["reply"]
        );
    }

    #[test]
    fn approve_closes_with_the_handling_time_fixed() {
        let case = CaseFacts { reply: Some("已协调解决。"), ..in_state(CaseState::Reviewing) };
        let effect =
            run(case, ActionBody::Approve(NoteBody::default()), clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Closed);
        // Received Monday 06-03 10:00, closed Wednesday 06-12 15:00: 9 days 5 hours;
        // working days 06-04..06-12 without the 06-10 holiday and the weekend: 6.
        let closure = Closure { at: at(NOW), handling_seconds: 9 * 86_400 + 5 * 3600, handling_workdays: 6 };
        assert_eq!(effect.update.closure, Some(Some(closure)));
        assert_eq!(effect.notice, Some((Notice::Closed, json!({"reply": "已协调解决。"}))));
    }

    #[test]
    fn reject_reply_sends_it_back_with_the_reason() {
        let body = ActionBody::RejectReply(ReasonBody { reason: Some("答复不完整".into()) });
        let effect = run(in_state(CaseState::Reviewing), body, clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Processing);
        assert_eq!(effect.update, CaseUpdate::default());
        assert_eq!(effect.notice, Some((Notice::ReplyRejected, json!({"note": "答复不完整"}))));
    }

    #[test]
    fn extension_requests_stay_within_the_allowance_and_wait_alone() {
        let ask = |days| {
            ActionBody::RequestExtension(ExtensionRequestBody {
                days: Some(days),
                reason: Some("需现场核实".into()),
            })
        };
        let case = in_state(CaseState::Processing);
        let effect = run(case, ask(5), handler(), NOW, Lookups::default()).unwrap();
        let pending =
            PendingExtension {
                days: 5, reason: Some("需现场核实".into()), at: at(NOW), by: Some(UserId(5))
            };
        assert_eq!(
            effect.update,
            CaseUpdate { pending_extension: Some(Some(pending)), ..CaseUpdate::default() }
        );
        assert_eq!(effect.details, json!({"days": 5, "allowance": 15}));
        assert_eq!(fields(run(case, ask(16), handler(), NOW, Lookups::default()).unwrap_err()), ["days"]);
        assert_eq!(fields(run(case, ask(0), handler(), NOW, Lookups::default()).unwrap_err()), ["days"]);
        let none = ActionBody::RequestExtension(ExtensionRequestBody::default());
        assert_eq!(
            fields(run(case, none, handler(), NOW, Lookups::default()).unwrap_err()),
            ["days", "reason"]
        );
        let waiting = CaseFacts { pending_extension_days: Some(3), ..case };
        assert!(matches!(
            run(waiting, ask(2), handler(), NOW, Lookups::default()),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn a_granted_extension_moves_the_due_day_on_by_its_working_days() {
        let case = CaseFacts {
            pending_extension_days: Some(5),
            extended_workdays: 2,
            ..in_state(CaseState::Processing)
        };
        let grant = ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(true), note: None });
        let effect = run(case, grant, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
        // Due Tuesday 06-25; five working days on: Tuesday 07-02.
        assert_eq!(
            effect.update.due_at,
            Some(end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 7, 2).unwrap()))
        );
        assert_eq!(effect.update.extended_workdays, Some(7));
        assert_eq!(effect.update.pending_extension, Some(None));
        assert_eq!(effect.details["due_at_after"], "2024-07-02T23:59:59+08:00");
        assert_eq!(effect.notice, Some((Notice::Extended, json!({}))));
        let refuse = ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(false), note: None });
        let refused = run(case, refuse, clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(refused.update, CaseUpdate { pending_extension: Some(None), ..CaseUpdate::default() });
        assert_eq!(refused.notice, None);
        let nothing_waiting =
            ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(true), note: None });
        assert!(matches!(
            run(in_state(CaseState::Processing), nothing_waiting, clerk(), NOW, Lookups::default()),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn supervision_counts_and_tells_the_department() {
        let body = ActionBody::Supervise(NoteBody { note: Some("请加快办理".into()) });
        let case = CaseFacts { supervision_count: 1, ..in_state(CaseState::Assigned) };
        let effect = run(case, body, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Assigned);
        assert_eq!(
            effect.update.supervision,
            Some(Supervision { count: 2, at: at(NOW), note: Some("请加快办理".into()) })
        );
        assert_eq!(effect.notice, Some((Notice::Supervised, json!({"note": "请加快办理"}))));
        let silent = ActionBody::Supervise(NoteBody::default());
        assert_eq!(fields(run(case, silent, clerk(), NOW, Lookups::default()).unwrap_err()), ["note"]);
    }

    #[test]
    fn invalidate_and_mark_duplicate_end_a_registered_case() {
        let registered = in_state(CaseState::Registered);
        let invalidate = ActionBody::Invalidate(ReasonBody { reason: Some("重复来信".into()) });
        assert_eq!(
            run(registered, invalidate, clerk(), NOW, Lookups::default()).unwrap().state,
            CaseState::Invalid
        );
        let of = |id| ActionBody::MarkDuplicate(DuplicateBody { duplicate_of: Some(CaseId(id)), note: None });
        let original =
            Lookups { original: Some((CaseState::Processing, "MB2024000001".into())), ..Lookups::default() };
        let effect = run(registered, of(1), clerk(), NOW, original).unwrap();
        assert_eq!(effect.update.duplicate_of, Some(CaseId(1)));
        assert_eq!(effect.details["duplicate_of_tracking_no"], "MB2024000001");
        assert_eq!(
            fields(run(registered, of(7), clerk(), NOW, Lookups::default()).unwrap_err()),
            ["duplicate_of"],
            "itself"
        );
        assert_eq!(
            fields(run(registered, of(2), clerk(), NOW, Lookups::default()).unwrap_err()),
            ["duplicate_of"],
            "missing"
        );
        let invalid =
            Lookups { original: Some((CaseState::Invalid, "MB2024000002".into())), ..Lookups::default() };
        assert_eq!(fields(run(registered, of(2), clerk(), NOW, invalid).unwrap_err()), ["duplicate_of"]);
    }

    #[test]
    fn a_pause_moves_the_due_day_by_the_working_days_it_lasted() {
        let suspend = ActionBody::Suspend(ReasonBody { reason: Some("申请人补正材料".into()) });
        let effect =
            run(in_state(CaseState::Processing), suspend, handler(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.update, CaseUpdate { suspended_at: Some(Some(at(NOW))), ..CaseUpdate::default() });
        // Suspended Wednesday 06-12, resumed Monday 06-17: 06-12, 06-13 and 06-14 stood still.
        let paused =
            CaseFacts { suspended: true, suspended_at: Some(at(NOW)), ..in_state(CaseState::Processing) };
        let resume = ActionBody::Resume(NoteBody::default());
        let effect =
            run(paused, resume.clone(), handler(), "2024-06-17T09:00:00+08:00", Lookups::default()).unwrap();
        assert_eq!(effect.update.suspended_at, Some(None));
        assert_eq!(effect.update.paused_workdays, Some(3));
        assert_eq!(
            effect.update.due_at,
            Some(end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 6, 28).unwrap()))
        );
        // Suspended and resumed the same day: no pause, the due date stays.
        let same_day =
            run(paused, resume, handler(), "2024-06-12T17:00:00+08:00", Lookups::default()).unwrap();
        assert_eq!(same_day.update.due_at, None);
        assert_eq!(same_day.update.paused_workdays, Some(0));
    }

    #[test]
    fn a_paused_case_cannot_be_replied_to_or_paused_again() {
        let paused =
            CaseFacts { suspended: true, suspended_at: Some(at(NOW)), ..in_state(CaseState::Processing) };
        let reply = ActionBody::Reply(ReplyBody { reply: Some("答复".into()) });
        assert!(matches!(
            run(paused, reply, handler(), NOW, Lookups::default()),
            Err(Refusal::Transition(TransitionError::Paused { .. }))
        ));
    }

    #[test]
    fn reopening_clears_the_closure_and_the_rating_in_force() {
        let closed = CaseFacts {
            closed_at: Some(at(NOW)),
            rating: Some(Rating::Unsatisfied),
            reopen_count: 1,
            ..in_state(CaseState::Closed)
        };
        let body = ActionBody::Reopen(ReasonBody { reason: Some("回访不满意".into()) });
        let effect = run(closed, body, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Processing);
        assert_eq!(
            effect.update,
            CaseUpdate {
                closure: Some(None),
                rating: Some(None),
                reopen_count: Some(2),
                ..CaseUpdate::default()
            }
        );
    }

    #[test]
    fn ratings_say_who_gave_them_and_follow_the_channel() {
        let closed = in_state(CaseState::Closed);
        let rate = |result| {
            ActionBody::Rate(RateBody {
                rating: Some(Rating::Satisfied),
                result_rating: result,
                comment: None,
            })
        };
        let by_citizen = run(closed, rate(None), Actor::Citizen, NOW, Lookups::default()).unwrap();
        let given = by_citizen.update.rating.unwrap().unwrap();
        assert_eq!(
            (given.rating, given.source, given.at),
            (Rating::Satisfied, RatingSource::Citizen, at(NOW))
        );
        assert_eq!(by_citizen.details["source"], "citizen");
        let callback = run(closed, rate(None), clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(callback.update.rating.unwrap().unwrap().source, RatingSource::Callback);
        let two = Lookups { two_dimension_rating: true, ..Lookups::default() };
        assert_eq!(
            fields(run(closed, rate(None), clerk(), NOW, two.clone()).unwrap_err()),
            ["result_rating"]
        );
        assert!(run(closed, rate(Some(Rating::BasicallySatisfied)), clerk(), NOW, two).is_ok());
        let missing = ActionBody::Rate(RateBody::default());
        assert_eq!(fields(run(closed, missing, clerk(), NOW, Lookups::default()).unwrap_err()), ["rating"]);
    }

    #[test]
    fn only_consented_closed_letters_are_published_and_reopening_withdraws_it() {
        let closed = in_state(CaseState::Closed);
        let publish = ActionBody::Publish(NoteBody::default());
        assert!(
            matches!(
                run(closed, publish.clone(), clerk(), NOW, Lookups::default()),
                Err(Refusal::Conflict(_))
            ),
            "the citizen did not consent"
        );
        let consented = CaseFacts { is_public: true, ..closed };
        let effect = run(consented, publish.clone(), clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.state, CaseState::Closed);
        assert_eq!(
            effect.update,
            CaseUpdate {
                publication: Some(Some(Publication { at: at(NOW), by: Some(UserId(5)) })),
                ..CaseUpdate::default()
            }
        );
        let published = CaseFacts { published: true, ..consented };
        assert!(matches!(
            run(published, publish.clone(), clerk(), NOW, Lookups::default()),
            Err(Refusal::Conflict(_))
        ));
        assert_eq!(
            run(in_state(CaseState::Reviewing), publish, clerk(), NOW, Lookups::default()),
            Err(Refusal::Transition(TransitionError::InvalidTransition {
                state: CaseState::Reviewing,
                action: Action::Publish
            }))
        );
        let unpublish = ActionBody::Unpublish(NoteBody::default());
        assert_eq!(
            run(published, unpublish.clone(), clerk(), NOW, Lookups::default()).unwrap().update.publication,
            Some(None)
        );
        assert!(matches!(
            run(consented, unpublish, clerk(), NOW, Lookups::default()),
            Err(Refusal::Conflict(_))
        ));
        let reopen = ActionBody::Reopen(ReasonBody { reason: Some("回访不满意".into()) });
        let reopened = run(published, reopen, clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(reopened.update.publication, Some(None));
        assert_eq!(reopened.details, json!({"unpublished": true}));
    }

    #[test]
    fn refusals_come_from_the_state_machine_first() {
        let approve = ActionBody::Approve(NoteBody::default());
        assert_eq!(
            run(
                in_state(CaseState::Reviewing),
                approve.clone(),
                Actor::Staff(Role::Leader),
                NOW,
                Lookups::default()
            ),
            Err(Refusal::Transition(TransitionError::NotPermitted))
        );
        assert_eq!(
            run(in_state(CaseState::Closed), approve, clerk(), NOW, Lookups::default()),
            Err(Refusal::Transition(TransitionError::InvalidTransition {
                state: CaseState::Closed,
                action: Action::Approve
            }))
        );
    }

    #[test]
    fn bodies_refuse_members_their_action_does_not_use() {
        let parsed = ActionBody::parse(Action::Assign, json!({"department_id": 2, "note": "急"})).unwrap();
        assert_eq!(
            parsed,
            ActionBody::Assign(AssignBody { department_id: Some(DepartmentId(2)), note: Some("急".into()) })
        );
        let unused =
            ActionBody::parse(Action::Assign, json!({"department_id": 2, "reply": "x"})).unwrap_err();
        assert_eq!(unused.0[0].field, "reply");
        let mistyped = ActionBody::parse(Action::RequestExtension, json!({"days": "three"})).unwrap_err();
        assert_eq!(mistyped.0[0].field, "days");
        assert_eq!(
            ActionBody::parse(Action::Accept, json!({})).unwrap(),
            ActionBody::Accept(NoteBody::default())
        );
        for action in Action::ALL {
            if let Ok(body) = ActionBody::parse(action, json!({})) {
                assert_eq!(body.action(), action);
            }
        }
    }
}
