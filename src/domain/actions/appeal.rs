//! 申诉 and 复核: the department contests a 差评 instead of re-handling the
//! case, and a leader decides. Upheld, the rating in force is 核减: it stays
//! on the case and in the event log, and leaves every figure.

use super::*;

/// `appeal` (the department's handler): contests the rating its open
/// rectification is for, once, with a reason.
pub(super) fn appeal(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    match cx.case.rectification {
        Some(r) if r.state == RectificationState::Open => {
            let reason = reason(&mut d.errors, given);
            d.update.rectification = Some(Some(Rectification { state: RectificationState::Appealed, ..r }));
            d.update.appeal_reason = Some(reason.clone());
            d.details = json!({ "rectification": RectificationState::Appealed });
            Ok(reason)
        }
        Some(r) if r.state.was_appealed() => Err(Refusal::AlreadyAppealed),
        other => {
            let state = other.map_or("none", |r| r.state.as_str());
            Err(Refusal::RectificationNotOpen(format!(
                "only an open rectification may be appealed (rectification: {state})"
            )))
        }
    }
}

/// `decide-appeal` (leader, admin): upheld, the rating in force is 核减 from
/// now on; refused, the rectification stands and the case must be reopened.
pub(super) fn decide_appeal(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    AppealDecisionBody { uphold, note: given }: &AppealDecisionBody,
) -> Result<Option<String>, Refusal> {
    let Some(appealed) = cx.case.rectification.filter(|r| r.state == RectificationState::Appealed) else {
        let state = cx.case.rectification.map_or("none", |r| r.state.as_str());
        return Err(Refusal::NotAppealed(format!("no appeal waits for a decision (rectification: {state})")));
    };
    let note = required_text(&mut d.errors, "note", given.as_deref(), NOTE_MAX);
    let Some(uphold) = uphold else {
        d.errors.add("uphold", Rule::Required);
        return Ok(note);
    };
    let state = if *uphold { RectificationState::Upheld } else { RectificationState::Rejected };
    d.update.rectification = Some(Some(Rectification { state, ..appealed }));
    d.update.appeal_note = Some(note.clone());
    d.details = json!({ "uphold": uphold, "rectification": state });
    if *uphold {
        d.update.rating_excluded_at = Some(Some(cx.now));
        d.details["excluded_rating"] = json!(cx.case.rating);
        d.details["excluded_result_rating"] = json!(cx.case.result_rating);
    }
    Ok(note)
}
