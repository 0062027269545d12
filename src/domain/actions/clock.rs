//! Time: extensions, the paused clock, and supervision (督办).

use super::*;

/// `request-extension` (the department's handler): asks for more working days, within what the channel allows.
pub(super) fn request_extension(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ExtensionRequestBody { days, reason: given }: &ExtensionRequestBody,
) -> Result<Option<String>, Refusal> {
    if cx.case.pending_extension_days.is_some() {
        return Err(Refusal::Conflict("an extension request is already waiting for a decision".into()));
    }
    let allowance = cx.case.extension_allowance(cx.calendar);
    let days = match days {
        None => {
            d.errors.add("days", Rule::Required);
            None
        }
        Some(days) if *days < 1 => {
            d.errors.add("days", Rule::AtLeastOneWorkday);
            None
        }
        Some(days) if *days > allowance => {
            d.errors.add("days", Rule::ExtensionAllowance(allowance));
            None
        }
        Some(days) => {
            d.details = json!({ "days": days, "allowance": allowance });
            Some(*days as i32)
        }
    };
    let reason = reason(&mut d.errors, given);
    if let Some(days) = days {
        d.update.pending_extension =
            Some(Some(PendingExtension { days, reason: reason.clone(), at: cx.now, by: cx.acting.user_id }));
    }
    Ok(reason)
}

/// `decide-extension` (clerk, leader): grants (moving the due date) or refuses the request waiting.
pub(super) fn decide_extension(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ExtensionDecisionBody { approve, note: given }: &ExtensionDecisionBody,
) -> Result<Option<String>, Refusal> {
    let Some(days) = cx.case.pending_extension_days else {
        return Err(Refusal::Conflict("no extension request is waiting for a decision".into()));
    };
    match approve {
        None => d.errors.add("approve", Rule::RequiredDecision),
        Some(approve) => {
            let mut decided = json!({ "approved": approve, "days": days });
            if *approve {
                let (due_at, before, after) = moved_due(cx.case, cx.acting.clock, days as u32);
                d.update.due_at = due_at;
                d.update.extended_workdays = Some(cx.case.extended_workdays + days);
                decided["due_at_before"] = json!(before);
                decided["due_at_after"] = json!(after);
                d.notice = Some((Notice::Extended, json!({})));
            }
            d.details = decided;
        }
    }
    d.update.pending_extension = Some(None);
    Ok(note(&mut d.errors, given))
}

/// `suspend`: pauses the clock (e.g. 补正), with a reason.
pub(super) fn suspend(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    d.update.suspended_at = Some(Some(cx.now));
    Ok(reason(&mut d.errors, given))
}

/// `resume`: starts the clock again; the due date moves by the paused working days.
pub(super) fn resume(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    let since = cx.case.suspended_at.map(time::office_date).unwrap_or_else(|| time::office_date(cx.now));
    let paused = cx.calendar.workdays_in(since, time::office_date(cx.now)).max(0);
    let (due_at, before, after) = moved_due(cx.case, cx.acting.clock, paused as u32);
    d.update.due_at = due_at;
    d.update.suspended_at = Some(None);
    d.update.paused_workdays = Some(cx.case.paused_workdays + paused as i32);
    d.details = json!({ "paused_workdays": paused, "due_at_before": before, "due_at_after": after });
    Ok(note(&mut d.errors, given))
}

/// `supervise` (督办, clerk or leader): counted on the case and told to the department.
pub(super) fn supervise(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    let note = required_text(&mut d.errors, "note", given.as_deref(), NOTE_MAX);
    let count = cx.case.supervision_count + 1;
    d.update.supervision = Some(Supervision { count, at: cx.now, note: note.clone() });
    d.details = json!({ "supervision_count": count, "department_id": cx.case.department_id });
    d.notice = Some((Notice::Supervised, json!({ "note": note })));
    Ok(note)
}
