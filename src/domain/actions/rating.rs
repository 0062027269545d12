//! Ratings of a closed case, and the 回访 that records one on the phone.

use super::*;

/// Checks a rating against the channel and who gives it; on success the
/// rating in force, with the event's details, else the body's problems.
fn given(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    input: RatingInput,
    source: RatingSource,
) -> Option<GivenRating> {
    let rules = RatingRules {
        two_dimensions: cx.lookups.two_dimension_rating,
        scale: cx.lookups.rating_scale,
        by_citizen: source == RatingSource::Citizen,
    };
    match input.validate(rules) {
        Ok(valid) => Some(GivenRating {
            rating: valid.rating,
            result_rating: valid.result_rating,
            source,
            comment: valid.comment,
            resolved: valid.resolved,
            at: cx.now,
        }),
        Err(invalid) => {
            d.errors.0.extend(invalid.0);
            None
        }
    }
}

/// Puts `rating` in force, with what follows from it: a rating 核减 before
/// it no longer stands, so nothing is excluded any more; and a 差评 or an
/// unsolved problem opens a rectification, due `rectify_days` working days
/// on, and mails the department — unless one is still outstanding, which
/// this rating joins (one rectification, one mail).
fn put_in_force(cx: &Context<'_, '_>, d: &mut Draft, rating: GivenRating) {
    d.details = rating_details(&rating);
    if cx.case.rating_excluded {
        d.update.rating_excluded_at = Some(None);
    }
    let outstanding = cx.case.rectification.is_some_and(|r| r.state.is_outstanding());
    if calls_for_rectification(rating.rating, rating.resolved) && !outstanding {
        let days = u32::try_from(cx.lookups.rectify_days).unwrap_or(0);
        let due_at = end_of_day(cx.calendar.add_workdays(time::office_date(cx.now), days));
        d.update.rectification =
            Some(Some(Rectification { state: RectificationState::Open, due_at: Some(due_at) }));
        d.update.appeal_reason = Some(None);
        d.update.appeal_note = Some(None);
        let due = time::to_office(due_at).to_rfc3339();
        d.details["rectification"] = json!(RectificationState::Open);
        d.details["rectification_due_at"] = json!(due);
        d.notice = Some((Notice::Rectification, json!({ "rectify_due_at": due })));
    }
    d.update.rating = Some(Some(rating));
}

fn rating_details(rating: &GivenRating) -> Value {
    json!({
        "rating": rating.rating,
        "result_rating": rating.result_rating,
        "source": rating.source,
        "comment": rating.comment,
        "resolved": rating.resolved,
    })
}

/// `rate`: a rating of the closed case — a citizen's (once per closure) or a
/// clerk's, which replaces it. A citizen who rates before the 回访 is due
/// spares it (DESIGN.md: `not_needed`).
pub(super) fn rate(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    RateBody { rating, result_rating, comment, resolved }: &RateBody,
) -> Result<Option<String>, Refusal> {
    let merged = cx.case.state == CaseState::Merged;
    // A merged case is answered when the case it is merged into closes.
    if merged && cx.lookups.parent_closed_at.is_none() {
        return Err(
            TransitionError::InvalidTransition { state: CaseState::Merged, action: Action::Rate }.into()
        );
    }
    if cx.acting.actor == Actor::Citizen && cx.lookups.citizen_rated_this_closure {
        return Err(Refusal::AlreadyRated);
    }
    let Some(rating) = rating else {
        d.errors.add("rating", Rule::Required);
        return Ok(None);
    };
    let source = match cx.acting.actor {
        Actor::Citizen => RatingSource::Citizen,
        Actor::Staff(_) => RatingSource::Callback,
    };
    let input = RatingInput {
        rating: *rating,
        result_rating: *result_rating,
        comment: comment.clone(),
        resolved: *resolved,
    };
    if let Some(rating) = given(cx, d, input, source) {
        if merged {
            // Recorded on the citizen's own case, which no figure counts; a
            // 差评 of the parent's reply is the parent's to rectify.
            d.details = rating_details(&rating);
            d.update.rating = Some(Some(rating));
            return Ok(None);
        }
        put_in_force(cx, d, rating);
        let pending = cx.case.callback.filter(|c| c.state == CallbackState::Pending);
        if let Some(callback) = pending.filter(|c| c.due_at.is_none_or(|due| cx.now <= due)) {
            if source == RatingSource::Citizen {
                d.update.callback =
                    Some(Some(CallbackRecord { state: CallbackState::NotNeeded, ..callback }));
                d.details["callback"] = json!(CallbackState::NotNeeded);
            }
        }
    }
    Ok(None)
}

/// `callback` (clerk): records a 回访 that is due. Reached: the rating the
/// citizen gave on the phone replaces theirs in the figures (source
/// `callback`), with 是否解决. Not reached: an attempt; the third ends it as
/// unreachable. A callback that is not due (none opened, or it ended) is
/// refused, so two clerks recording the same call make one event.
pub(super) fn callback(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    CallbackBody { reached, method, rating, result_rating, resolved, comment }: &CallbackBody,
) -> Result<Option<String>, Refusal> {
    let Some(open) = cx.case.callback.filter(|c| c.state == CallbackState::Pending) else {
        let state = cx.case.callback.map_or("none", |c| c.state.as_str());
        return Err(Refusal::Conflict(format!(
            "no callback is due for this closure (callback: {state}); a reopened case gets one when it closes again"
        )));
    };
    if method.is_none() {
        d.errors.add("method", Rule::Required);
    }
    let comment = optional_text(&mut d.errors, "comment", comment.as_deref(), NOTE_MAX);
    match reached {
        None => d.errors.add("reached", Rule::Required),
        Some(true) => {
            if resolved.is_none() {
                d.errors.add("resolved", Rule::Required);
            }
            match rating {
                None => d.errors.add("rating", Rule::Required),
                Some(rating) => {
                    let input = RatingInput {
                        rating: *rating,
                        result_rating: *result_rating,
                        comment: comment.clone(),
                        resolved: *resolved,
                    };
                    if let Some(rating) = given(cx, d, input, RatingSource::Callback) {
                        put_in_force(cx, d, rating);
                    }
                }
            }
            d.update.callback =
                Some(Some(CallbackRecord { state: CallbackState::Done, at: Some(cx.now), ..open }));
        }
        Some(false) => {
            for (field, given) in [
                ("rating", rating.is_some()),
                ("result_rating", result_rating.is_some()),
                ("resolved", resolved.is_some()),
            ] {
                if given {
                    d.errors.add(field, Rule::OnlyWhenReached);
                }
            }
            let attempts = open.attempts + 1;
            let state =
                if attempts >= MAX_ATTEMPTS { CallbackState::Unreachable } else { CallbackState::Pending };
            let at = (state == CallbackState::Unreachable).then_some(cx.now);
            d.update.callback = Some(Some(CallbackRecord { state, attempts, at, ..open }));
            d.details = json!({ "attempt": attempts });
        }
    }
    if let Some(Some(record)) = d.update.callback {
        d.details["reached"] = json!(reached);
        d.details["method"] = json!(method);
        d.details["callback"] = json!(record.state);
    }
    Ok(comment)
}
