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
    // The approval was for the reply that is now being redone: the
    // next reply must be approved for publication afresh.
    if cx.case.published {
        d.update.publication = Some(None);
        d.details = json!({ "unpublished": true });
    }
    Ok(reason(&mut d.errors, given))
}
