//! The answer: a department's reply, the office's review, closure and re-handling.

use super::*;

/// `reply` (the department's handler): the answer, for the office to review.
pub(super) fn reply(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReplyBody { reply }: &ReplyBody,
) -> Result<Option<String>, Refusal> {
    if let Some(reply) = required_text(&mut d.errors, "reply", reply.as_deref(), CONTENT_MAX) {
        d.details = json!({ "reply": reply });
        d.update.reply = Some((reply, cx.now));
    }
    Ok(None)
}

/// `approve` (clerk): closes the case, fixing its handling time, and sends the reply.
pub(super) fn approve(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    let (handling_seconds, handling_workdays) = handling_time(cx.calendar, cx.case.received_at, cx.now);
    d.update.closure = Some(Some(Closure { at: cx.now, handling_seconds, handling_workdays }));
    // Every closure opens its own 回访, due `callback_days` working days on,
    // when there is a phone to call.
    let callback = if cx.case.has_phone {
        let day = cx.calendar.add_workdays(time::office_date(cx.now), cx.lookups.callback_days.max(0) as u32);
        CallbackRecord { state: CallbackState::Pending, due_at: Some(end_of_day(day)), attempts: 0, at: None }
    } else {
        CallbackRecord { state: CallbackState::NotNeeded, due_at: None, attempts: 0, at: None }
    };
    d.update.callback = Some(Some(callback));
    d.details = json!({ "callback": callback.state, "callback_due_at": callback.due_at.map(|at| time::to_office(at).to_rfc3339()) });
    // A rectification still outstanding was for the closure this one
    // redoes: the department re-handled the case, which is its rectification.
    if let Some(rectification) = cx.case.rectification.filter(|r| r.state.is_outstanding()) {
        d.update.rectification =
            Some(Some(Rectification { state: RectificationState::Done, ..rectification }));
        d.details["rectification"] = json!(RectificationState::Done);
    }
    d.notice = Some((Notice::Closed, json!({ "reply": cx.case.reply })));
    Ok(note(&mut d.errors, given))
}

/// `reject-reply` (clerk): sends the reply back to the department, with a reason.
pub(super) fn reject_reply(
    _cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    let reason = reason(&mut d.errors, given);
    d.notice = Some((Notice::ReplyRejected, json!({ "note": reason })));
    Ok(reason)
}

/// `reopen` (clerk, leader): re-handling (重办); the rating and the closure no longer count, and a published letter is withdrawn.
pub(super) fn reopen(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    // The rating after the next closure is the one that counts.
    d.update.closure = Some(None);
    d.update.rating = Some(None);
    d.update.reopen_count = Some(cx.case.reopen_count + 1);
    // The callback was of the closure being redone; the next closure opens its own.
    d.update.callback = Some(None);
    // The rating 核减 is no longer in force either.
    if cx.case.rating_excluded {
        d.update.rating_excluded_at = Some(None);
    }
    // The approval was for the reply that is now being redone: the
    // next reply must be approved for publication afresh.
    if cx.case.published {
        d.update.publication = Some(None);
        d.details = json!({ "unpublished": true });
    }
    Ok(reason(&mut d.errors, given))
}
