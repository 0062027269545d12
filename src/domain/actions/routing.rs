//! Routing a case: to a department and back, or out as not accepted or a duplicate.

use super::*;

/// `assign` (clerk): routes the case to an active department (or another one), and tells it.
pub(super) fn assign(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    AssignBody { department_id, note: given }: &AssignBody,
) -> Result<Option<String>, Refusal> {
    match (department_id, cx.lookups.department_active) {
        (None, _) => d.errors.add("department_id", Rule::Required),
        (Some(id), None) => d.errors.add("department_id", Rule::UnknownDepartment(id.0)),
        (Some(id), Some(false)) => d.errors.add("department_id", Rule::InactiveDepartment(id.0)),
        (Some(id), Some(true)) => {
            if cx.case.department_id == Some(*id) && cx.case.state != CaseState::Registered {
                d.errors.add("department_id", Rule::SameDepartment);
            }
            d.update.department_id = Some(Some(*id));
            let accept_due_at = accept_due(cx.calendar, cx.now, cx.lookups.accept_days);
            d.update.accept_due_at = Some(accept_due_at);
            d.details = json!({
                "department_id": id,
                "previous_department_id": cx.case.department_id,
                "accept_due_at": time::to_office(accept_due_at).to_rfc3339(),
            });
        }
    }
    let note = note(&mut d.errors, given);
    d.notice = Some((Notice::Assigned, json!({ "note": note })));
    Ok(note)
}

/// When a case assigned at `now` must be signed for: the end of the
/// `days`-th working day after, as due dates are; with 0 days, at once.
pub fn accept_due(calendar: &Calendar, now: NaiveDateTime, days: i32) -> NaiveDateTime {
    match u32::try_from(days) {
        Ok(days @ 1..) => end_of_day(calendar.add_workdays(time::office_date(now), days)),
        _ => now,
    }
}

/// `accept` (the department's handler): signs for the case.
pub(super) fn accept(
    _cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    Ok(note(&mut d.errors, given))
}

/// `return` (the department's handler): hands the case back to the office,
/// with a reason and its kind, within `return_days` working days of the
/// latest assignment (due at the end of the last of them, as due dates are).
/// The window is checked before the body: a department past it is told so
/// whatever it wrote, and asks the clerk to reassign instead.
pub(super) fn return_case(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReturnBody { reason: given, reason_code }: &ReturnBody,
) -> Result<Option<String>, Refusal> {
    if let Some(assigned_at) = cx.lookups.assigned_at {
        if let Some(detail) = return_window_closed(cx.calendar, assigned_at, cx.lookups.return_days, cx.now) {
            return Err(Refusal::ReturnWindowClosed(detail));
        }
    }
    let code = match reason_code.as_deref() {
        None => Some(ReturnReason::Other),
        Some(code) => {
            let parsed = ReturnReason::parse(code);
            if parsed.is_none() {
                d.errors.add("reason_code", Rule::ReturnReasonCode);
            }
            parsed
        }
    };
    d.update.department_id = Some(None);
    d.details = json!({
        "previous_department_id": cx.case.department_id,
        "reason_code": code.map(ReturnReason::code),
    });
    Ok(reason(&mut d.errors, given))
}

/// Why a return at `now` is too late, or `None` while the window is open:
/// `days` working days after the day of `assigned_at`, to 23:59:59 office
/// time of the last; with 0 days it is closed from the start.
pub(super) fn return_window_closed(
    calendar: &Calendar,
    assigned_at: NaiveDateTime,
    days: i32,
    now: NaiveDateTime,
) -> Option<String> {
    let Ok(days @ 1..) = u32::try_from(days) else {
        return Some(
            "this channel allows no returns (return_days is 0): ask the office to reassign the case".into(),
        );
    };
    let closes = end_of_day(calendar.add_workdays(time::office_date(assigned_at), days));
    (now > closes).then(|| {
        format!(
            "the window to return this case closed at {} ({days} working days after its assignment): ask the office to reassign it",
            time::to_office(closes).to_rfc3339()
        )
    })
}

/// `invalidate` (clerk): not accepted (不予受理), with a reason.
pub(super) fn invalidate(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    if cx.lookups.merged_cases > 0 {
        return Err(super::merge::has_merged_cases(cx.lookups.merged_cases));
    }
    Ok(reason(&mut d.errors, given))
}

/// `mark-duplicate` (clerk): not accepted as a duplicate of a valid case.
pub(super) fn mark_duplicate(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    DuplicateBody { duplicate_of, note: given }: &DuplicateBody,
) -> Result<Option<String>, Refusal> {
    if cx.lookups.merged_cases > 0 {
        return Err(super::merge::has_merged_cases(cx.lookups.merged_cases));
    }
    match (duplicate_of, &cx.lookups.original) {
        (None, _) => d.errors.add("duplicate_of", Rule::Required),
        (Some(id), _) if *id == cx.case.id => d.errors.add("duplicate_of", Rule::SelfDuplicate),
        (Some(id), None) => d.errors.add("duplicate_of", Rule::UnknownCase(id.0)),
        (Some(_), Some((CaseState::Invalid, _))) => d.errors.add("duplicate_of", Rule::OriginalInvalid),
        (Some(id), Some((_, tracking_no))) => {
            d.update.duplicate_of = Some(*id);
            d.details = json!({ "duplicate_of": id, "duplicate_of_tracking_no": tracking_no });
        }
    }
    Ok(note(&mut d.errors, given))
}
