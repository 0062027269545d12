//! 并单: a case put under another one that answers for it, and back.

use super::*;

/// `merge` (clerk): the case waits, as `merged`, for the reply of the case
/// `into` names; its citizen is told so. The parent must be a case still
/// being worked on (not merged, invalid or closed: a closed case's answer is
/// given, and a repeat of it is `mark-duplicate` or `reopen`), not this case
/// nor one merged into it, and this case must have no cases merged into it
/// (they would wait on a case that waits itself).
pub(super) fn merge(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    MergeBody { into, note: given }: &MergeBody,
) -> Result<Option<String>, Refusal> {
    let note = note(&mut d.errors, given);
    let Some(into) = into else {
        d.errors.add("into", Rule::Required);
        return Ok(note);
    };
    let Some(target) = &cx.lookups.merge_target else {
        let rule = match into {
            CaseRef::Id(id) => Rule::UnknownCase(id.0),
            CaseRef::TrackingNo(number) => Rule::UnknownTrackingNo(number.clone()),
        };
        d.errors.add("into", rule);
        return Ok(note);
    };
    if target.id == cx.case.id {
        return Err(Refusal::MergeCycle("a case cannot be merged into itself".into()));
    }
    if target.merged_into == Some(cx.case.id) {
        return Err(Refusal::MergeCycle(format!(
            "case {} is merged into this case: merging this case into it would make a cycle",
            target.tracking_no
        )));
    }
    if !target.state.is_open() {
        return Err(Refusal::MergeTargetInvalid(format!(
            "case {} is {}: a case can be merged only into one still being handled",
            target.tracking_no, target.state
        )));
    }
    if cx.lookups.merged_cases > 0 {
        return Err(has_merged_cases(cx.lookups.merged_cases));
    }
    d.update.merged_into = Some(Some(target.id));
    // The parent's department answers; this case is no longer with its own,
    // nor paused or waiting for an extension: `unmerge` starts it afresh.
    if cx.case.department_id.is_some() {
        d.update.department_id = Some(None);
    }
    if cx.case.suspended {
        d.update.suspended_at = Some(None);
    }
    if cx.case.pending_extension_days.is_some() {
        d.update.pending_extension = Some(None);
    }
    d.details = json!({
        "into": target.id,
        "into_tracking_no": target.tracking_no,
        "previous_department_id": cx.case.department_id,
    });
    d.notice = Some((Notice::Merged, json!({ "into_tracking_no": target.tracking_no })));
    Ok(note)
}

/// `unmerge` (clerk): the merged case is registered again, to be routed on
/// its own, with the reason in the log.
pub(super) fn unmerge(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    ReasonBody { reason: given }: &ReasonBody,
) -> Result<Option<String>, Refusal> {
    d.update.merged_into = Some(None);
    d.details = json!({
        "merged_into": cx.lookups.merge_target.as_ref().map(|t| t.id),
        "merged_into_tracking_no": cx.lookups.merge_target.as_ref().map(|t| t.tracking_no.clone()),
    });
    Ok(reason(&mut d.errors, given))
}

/// The refusal of a case that cases wait on.
pub(super) fn has_merged_cases(count: i64) -> Refusal {
    Refusal::HasMergedCases(format!(
        "{count} case(s) are merged into this case and wait for its reply: unmerge them first"
    ))
}
