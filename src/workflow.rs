//! Changes to cases that span tables, each meant to run inside one
//! transaction: intake (case, tracking counter, first event) and actions
//! (state change and its audit event). The API, the demo loader and the
//! benchmarks all go through these functions, so the rules are kept in one place.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::models::{Case, CaseChanges, Channel, NewCaseEvent, NewCaseRow};
use crate::db::{self, DbConnection};
use crate::deadlines;
use crate::domain::calendar::{end_of_day, Calendar, Clock};
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::intake::{self, NewCase};
use crate::domain::lifecycle::{check_pause, transition, Action, Actor, CaseState};
use crate::domain::rating::{RatingInput, RatingSource};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::{optional_text, text_in_range, FieldErrors};
use crate::error::AppError;
use crate::notify::{self, Notice};

/// Who registers a case.
#[derive(Debug, Clone, Copy)]
pub enum Registrar {
    /// A clerk (or admin) logging a letter, call or platform message.
    Staff(UserId),
    /// A citizen writing to the public mailbox.
    Citizen,
}

/// Registers a case; returns it with its query code (the only time the code
/// exists in clear). Refuses a second case with the same external reference in
/// a channel with 409 `duplicate`, naming the existing case.
pub fn register(
    conn: &mut DbConnection,
    new: &NewCase,
    channel: &Channel,
    registrar: Registrar,
    clock: Clock<'_>,
) -> Result<(Case, String), AppError> {
    let now = clock.now;
    if let Some(external_ref) = &new.external_ref {
        if let Some(existing) = db::cases::find_by_external_ref(conn, &new.channel, external_ref)? {
            return Err(AppError::Duplicate {
                detail: format!(
                    "channel '{}' already has case {} for external reference '{external_ref}'",
                    new.channel, existing.tracking_no
                ),
                existing: Some(json!({
                    "existing_case_id": existing.id,
                    "existing_tracking_no": existing.tracking_no,
                })),
            });
        }
    }
    let (time_limit, extension_limit) = deadlines::channel_limits(channel)?;
    let due_at = deadlines::initial_due(clock.calendar, time_limit, new.received_at);
    let year = intake::tracking_year(new.received_at);
    let sequence = db::cases::next_sequence(conn, &channel.code, year)?;
    let tracking_no = intake::tracking_number(&channel.tracking_prefix, year, sequence);
    let query_code = intake::new_query_code();
    let (created_by, source) = match registrar {
        Registrar::Staff(id) => (Some(id.0), "staff"),
        Registrar::Citizen => (None, "citizen"),
    };
    let case = db::cases::insert(
        conn,
        &NewCaseRow {
            query_code_hash: intake::hash_query_code(&tracking_no, &query_code),
            tracking_no,
            channel: channel.code.clone(),
            external_ref: new.external_ref.clone(),
            title: new.title.clone(),
            content: new.content.clone(),
            category: new.category.clone(),
            citizen_name: new.citizen.name.clone(),
            citizen_phone: new.citizen.phone.clone(),
            citizen_email: new.citizen.email.clone(),
            citizen_address: new.citizen.address.clone(),
            is_public: new.is_public,
            received_at: new.received_at,
            due_at: Some(due_at),
            state: CaseState::Registered.as_str().into(),
            created_by,
            created_at: now,
            updated_at: now,
            time_limit: Some(time_limit.amount as i32),
            time_limit_unit: Some(time_limit.unit.as_str().into()),
            extension_limit: Some(extension_limit.amount as i32),
            extension_unit: Some(extension_limit.unit.as_str().into()),
        },
    )?;
    db::events::append(
        conn,
        &NewCaseEvent {
            case_id: case.id,
            action: "register".into(),
            actor_id: created_by,
            at: now,
            from_state: None,
            to_state: Some(CaseState::Registered.as_str().into()),
            note: None,
            details: Some(json!({ "source": source, "channel": case.channel }).to_string()),
        },
    )?;
    db::rollups::apply(conn, None, Some(&case))?;
    notify::enqueue(conn, Notice::Receipt, &case, json!({ "query_code": query_code }), now)?;
    Ok((case, query_code))
}

/// The channel a new case names, from the list of channels.
pub fn channel_of<'a>(channels: &'a [Channel], code: &str) -> Result<&'a Channel, AppError> {
    channels
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::invalid_field("channel", format!("unknown channel '{code}'")))
}

/// Who is acting on a case.
#[derive(Debug, Clone, Copy)]
pub struct Acting {
    /// The actor's kind, for the state machine.
    pub actor: Actor,
    /// The staff account, if any.
    pub user_id: Option<UserId>,
    /// A handler's department.
    pub department_id: Option<DepartmentId>,
}

impl Acting {
    /// A member of the public holding the query code.
    pub fn citizen() -> Acting {
        Acting { actor: Actor::Citizen, user_id: None, department_id: None }
    }

    /// Whether this actor may see `case` at all. Handlers see only their own
    /// department's cases; anything else is 404 to them, so ids do not leak.
    pub fn can_see(&self, case: &Case) -> bool {
        match self.actor {
            Actor::Staff(Role::Handler) => {
                self.department_id.is_some() && case.department_id == self.department_id.map(|d| d.0)
            }
            _ => true,
        }
    }
}

/// Loads a case the actor may see, or 404.
pub fn visible_case(conn: &mut DbConnection, id: CaseId, acting: &Acting) -> Result<Case, AppError> {
    db::cases::find(conn, id.0)?
        .filter(|case| acting.can_see(case))
        .ok_or_else(|| AppError::not_found("case"))
}

/// The fields an action's body may carry; each action reads only its own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// `assign`: the department.
    pub department_id: Option<i64>,
    /// Free-text note (required for `supervise`).
    pub note: Option<String>,
    /// Why (required for `return`, `reject-reply`, `invalidate`, `reopen`).
    pub reason: Option<String>,
    /// `reply`: the reply text.
    pub reply: Option<String>,
    /// `rate`: the rating.
    pub rating: Option<crate::domain::rating::Rating>,
    /// `rate`: the result rating of two-dimension channels.
    pub result_rating: Option<crate::domain::rating::Rating>,
    /// `rate`: a comment.
    pub comment: Option<String>,
    /// `mark-duplicate`: the case this one repeats.
    pub duplicate_of: Option<i64>,
    /// `request-extension`: working days asked for.
    pub days: Option<i64>,
    /// `decide-extension`: grant (true) or refuse (false).
    pub approve: Option<bool>,
}

/// Longest note or reason, in characters.
pub const NOTE_MAX: usize = 2000;

struct Planned {
    changes: CaseChanges,
    note: Option<String>,
    details: Value,
}

fn refuse_unused(errors: &mut FieldErrors, input: &ActionInput, action: Action, allowed: &[&str]) {
    let given = [
        ("department_id", input.department_id.is_some()),
        ("note", input.note.is_some()),
        ("reason", input.reason.is_some()),
        ("reply", input.reply.is_some()),
        ("rating", input.rating.is_some()),
        ("result_rating", input.result_rating.is_some()),
        ("comment", input.comment.is_some()),
        ("duplicate_of", input.duplicate_of.is_some()),
        ("days", input.days.is_some()),
        ("approve", input.approve.is_some()),
    ];
    for (field, present) in given {
        if present && !allowed.contains(&field) {
            errors.add(field, format!("is not used by '{action}'"));
        }
    }
}

fn required_text(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    match value {
        Some(v) => text_in_range(errors, field, v, 1, max),
        None => {
            errors.add(field, "is required");
            None
        }
    }
}

/// Checks an action's body and works out what it changes. Needs the database
/// for references (department, duplicate, channel).
fn plan(
    conn: &mut DbConnection,
    case: &Case,
    action: Action,
    acting: &Acting,
    input: &ActionInput,
    clock: Clock<'_>,
) -> Result<Planned, AppError> {
    let (now, calendar) = (clock.now, clock.calendar);
    use Action::*;
    let mut errors = FieldErrors::new();
    let mut changes = CaseChanges::default();
    let mut details = json!({});
    let note = match action {
        Assign => {
            refuse_unused(&mut errors, input, action, &["department_id", "note"]);
            match input.department_id {
                None => errors.add("department_id", "is required"),
                Some(id) => match db::departments::find(conn, id)? {
                    Some(d) if d.active => {
                        if case.department_id == Some(id) && case.state != CaseState::Registered.as_str() {
                            errors.add("department_id", "the case is already with this department");
                        }
                        changes.department_id = Some(Some(id));
                        details =
                            json!({ "department_id": id, "previous_department_id": case.department_id });
                    }
                    Some(_) => errors.add("department_id", format!("department {id} is inactive")),
                    None => errors.add("department_id", format!("no department {id}")),
                },
            }
            optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX)
        }
        Accept | Approve => {
            refuse_unused(&mut errors, input, action, &["note"]);
            if action == Approve {
                // Handling time is fixed at closure, so that figures sum integers.
                let workdays = calendar
                    .workdays_between(time::office_date(case.received_at), time::office_date(now))
                    .max(0);
                changes.closed_at = Some(Some(now));
                changes.handling_seconds = Some(Some((now - case.received_at).num_seconds().max(0)));
                changes.handling_workdays = Some(Some(workdays as i32));
            }
            optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX)
        }
        Return | RejectReply | Invalidate | Reopen => {
            refuse_unused(&mut errors, input, action, &["reason"]);
            match action {
                Return => {
                    changes.department_id = Some(None);
                    details = json!({ "previous_department_id": case.department_id });
                }
                Reopen => {
                    // The rating after the next closure is the one that counts.
                    changes.closed_at = Some(None);
                    changes.handling_seconds = Some(None);
                    changes.handling_workdays = Some(None);
                    changes.rating = Some(None);
                    changes.result_rating = Some(None);
                    changes.rating_source = Some(None);
                    changes.rating_comment = Some(None);
                    changes.rated_at = Some(None);
                    changes.reopen_count = Some(case.reopen_count + 1);
                }
                _ => {}
            }
            required_text(&mut errors, "reason", input.reason.as_deref(), NOTE_MAX)
        }
        Reply => {
            refuse_unused(&mut errors, input, action, &["reply"]);
            if let Some(reply) =
                required_text(&mut errors, "reply", input.reply.as_deref(), intake::CONTENT_MAX)
            {
                details = json!({ "reply": reply });
                changes.reply = Some(Some(reply));
                changes.replied_at = Some(Some(now));
            }
            None
        }
        Supervise => {
            refuse_unused(&mut errors, input, action, &["note"]);
            let note = required_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
            changes.supervision_count = Some(case.supervision_count + 1);
            changes.last_supervised_at = Some(Some(now));
            changes.last_supervision_note = Some(note.clone());
            details = json!({ "supervision_count": case.supervision_count + 1, "department_id": case.department_id });
            note
        }
        Rate => {
            refuse_unused(&mut errors, input, action, &["rating", "result_rating", "comment"]);
            match input.rating {
                None => errors.add("rating", "is required"),
                Some(rating) => {
                    let channel = db::channels::find(conn, &case.channel)?
                        .ok_or_else(|| AppError::Internal(format!("channel {} missing", case.channel)))?;
                    let rating_input = RatingInput {
                        rating,
                        result_rating: input.result_rating,
                        comment: input.comment.clone(),
                    };
                    match rating_input.validate(channel.two_dimension_rating) {
                        Ok(valid) => {
                            let source = match acting.actor {
                                Actor::Citizen => RatingSource::Citizen,
                                Actor::Staff(_) => RatingSource::Callback,
                            };
                            details = json!({
                                "rating": valid.rating.as_str(),
                                "result_rating": valid.result_rating.map(|r| r.as_str()),
                                "source": source.as_str(),
                                "comment": valid.comment,
                            });
                            changes.rating = Some(Some(valid.rating.as_str().into()));
                            changes.result_rating = Some(valid.result_rating.map(|r| r.as_str().into()));
                            changes.rating_source = Some(Some(source.as_str().into()));
                            changes.rating_comment = Some(valid.comment);
                            changes.rated_at = Some(Some(now));
                        }
                        Err(e) => errors.0.extend(e.0),
                    }
                }
            }
            None
        }
        MarkDuplicate => {
            refuse_unused(&mut errors, input, action, &["duplicate_of", "note"]);
            match input.duplicate_of {
                None => errors.add("duplicate_of", "is required"),
                Some(id) if id == case.id => errors.add("duplicate_of", "a case cannot duplicate itself"),
                Some(id) => match db::cases::find(conn, id)? {
                    Some(original) if original.state != CaseState::Invalid.as_str() => {
                        changes.duplicate_of = Some(Some(id));
                        details =
                            json!({ "duplicate_of": id, "duplicate_of_tracking_no": original.tracking_no });
                    }
                    Some(_) => errors
                        .add("duplicate_of", "the original must be a valid case, not another invalid one"),
                    None => errors.add("duplicate_of", format!("no case {id}")),
                },
            }
            optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX)
        }
        RequestExtension => {
            refuse_unused(&mut errors, input, action, &["days", "reason"]);
            if case.pending_extension_days.is_some() {
                return Err(AppError::Conflict(
                    "an extension request is already waiting for a decision".into(),
                ));
            }
            let allowance = deadlines::extension_allowance(calendar, case);
            match input.days {
                None => errors.add("days", "is required"),
                Some(days) if days < 1 => errors.add("days", "must be at least 1 working day"),
                Some(days) if days > allowance => errors.add(
                    "days",
                    format!("at most {allowance} more working days may be granted for this case"),
                ),
                Some(days) => {
                    changes.pending_extension_days = Some(Some(days as i32));
                    changes.pending_extension_at = Some(Some(now));
                    changes.pending_extension_by = Some(acting.user_id.map(|u| u.0));
                    details = json!({ "days": days, "allowance": allowance });
                }
            }
            let reason = required_text(&mut errors, "reason", input.reason.as_deref(), NOTE_MAX);
            changes.pending_extension_reason = Some(reason.clone());
            reason
        }
        DecideExtension => {
            refuse_unused(&mut errors, input, action, &["approve", "note"]);
            let Some(days) = case.pending_extension_days else {
                return Err(AppError::Conflict("no extension request is waiting for a decision".into()));
            };
            match input.approve {
                None => errors.add("approve", "is required: true to grant the extension, false to refuse it"),
                Some(approve) => {
                    let mut decided = json!({ "approved": approve, "days": days });
                    if approve {
                        let (before, after) = move_due(calendar, case, days as u32, &mut changes);
                        changes.extended_workdays = Some(case.extended_workdays + days);
                        decided["due_at_before"] = json!(before);
                        decided["due_at_after"] = json!(after);
                    }
                    details = decided;
                }
            }
            changes.pending_extension_days = Some(None);
            changes.pending_extension_reason = Some(None);
            changes.pending_extension_at = Some(None);
            changes.pending_extension_by = Some(None);
            optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX)
        }
        Suspend => {
            refuse_unused(&mut errors, input, action, &["reason"]);
            changes.suspended = Some(true);
            changes.suspended_at = Some(Some(now));
            required_text(&mut errors, "reason", input.reason.as_deref(), NOTE_MAX)
        }
        Resume => {
            refuse_unused(&mut errors, input, action, &["note"]);
            let since = case.suspended_at.map(time::office_date).unwrap_or_else(|| time::office_date(now));
            let paused = calendar.workdays_in(since, time::office_date(now)).max(0);
            let (before, after) = move_due(calendar, case, paused as u32, &mut changes);
            changes.suspended = Some(false);
            changes.suspended_at = Some(None);
            changes.paused_workdays = Some(case.paused_workdays + paused as i32);
            details = json!({ "paused_workdays": paused, "due_at_before": before, "due_at_after": after });
            optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX)
        }
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(Planned { changes, note, details })
}

/// Moves the due date `workdays` working days on from the current due day,
/// and re-arms the due-soon and overdue events for the new date. Returns the
/// due dates before and after (RFC 3339) for the event's details.
fn move_due(
    calendar: &Calendar,
    case: &Case,
    workdays: u32,
    changes: &mut CaseChanges,
) -> (Option<String>, Option<String>) {
    let Some(day) = deadlines::due_day(case) else {
        return (None, None);
    };
    let moved = end_of_day(calendar.add_workdays(day, workdays));
    let show = |at: NaiveDateTime| time::to_office(at).to_rfc3339();
    if workdays > 0 {
        changes.due_at = Some(Some(moved));
        changes.due_soon_recorded_at = Some(None);
        changes.overdue_recorded_at = Some(None);
    }
    (case.due_at.map(show), Some(show(if workdays > 0 { moved } else { case.due_at.unwrap_or(moved) })))
}

/// Writes the mail an action calls for (in its transaction).
fn notify_action(
    conn: &mut DbConnection,
    action: Action,
    input: &ActionInput,
    case: &Case,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (notice, extra) = match action {
        Action::Assign => (Notice::Assigned, json!({ "note": input.note })),
        Action::Supervise => (Notice::Supervised, json!({ "note": input.note })),
        Action::RejectReply => (Notice::ReplyRejected, json!({ "note": input.reason })),
        Action::Approve => (Notice::Closed, json!({ "reply": case.reply })),
        Action::DecideExtension if input.approve == Some(true) => (Notice::Extended, json!({})),
        _ => return Ok(()),
    };
    notify::enqueue(conn, notice, case, extra, now).map(drop)
}

/// Takes `action` on case `id`: checks visibility, `If-Match`, the state
/// machine and the body; applies the change and appends its event. Concurrent
/// actions on one case serialise on its version: the loser re-reads the case
/// and is judged against its new state.
pub fn act(
    conn: &mut DbConnection,
    id: CaseId,
    action: Action,
    acting: &Acting,
    input: &ActionInput,
    if_match: Option<i32>,
    clock: Clock<'_>,
) -> Result<Case, AppError> {
    let now = clock.now;
    loop {
        let case = visible_case(conn, id, acting)?;
        if let Some(expected) = if_match {
            if expected != case.version {
                return Err(AppError::VersionConflict { current: case.version });
            }
        }
        let state = CaseState::parse(&case.state)
            .ok_or_else(|| AppError::Internal(format!("stored state '{}' is unknown", case.state)))?;
        let next = transition(state, action, acting.actor)?;
        check_pause(action, case.suspended)?;
        let mut planned = plan(conn, &case, action, acting, input, clock)?;
        planned.changes.state = Some(next.as_str().into());
        if !db::cases::update_if_version(conn, case.id, case.version, &planned.changes, now)? {
            continue;
        }
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: case.id,
                action: action.as_str().into(),
                actor_id: acting.user_id.map(|u| u.0),
                at: now,
                from_state: Some(state.as_str().into()),
                to_state: Some(next.as_str().into()),
                note: planned.note,
                details: Some(planned.details.to_string()),
            },
        )?;
        let after = db::cases::find(conn, case.id)?.ok_or_else(|| AppError::not_found("case"))?;
        db::rollups::apply(conn, Some(&case), Some(&after))?;
        notify_action(conn, action, input, &after, now)?;
        return Ok(after);
    }
}
