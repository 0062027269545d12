//! Publication of a letter and its reply (信件选登).

use super::*;

/// `publish`: the letter and its reply are listed in 信件选登 (the citizen must have agreed).
pub(super) fn publish(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    if !cx.case.is_public {
        return Err(Refusal::Conflict(
            "the citizen did not agree to publication (is_public is false)".into(),
        ));
    }
    if cx.case.published {
        return Err(Refusal::Conflict("the letter is already published".into()));
    }
    d.update.publication = Some(Some(Publication { at: cx.now, by: cx.acting.user_id }));
    Ok(note(&mut d.errors, given))
}

/// `unpublish`: withdraws a published letter.
pub(super) fn unpublish(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    NoteBody { note: given }: &NoteBody,
) -> Result<Option<String>, Refusal> {
    if !cx.case.published {
        return Err(Refusal::Conflict("the letter is not published".into()));
    }
    d.update.publication = Some(None);
    Ok(note(&mut d.errors, given))
}
