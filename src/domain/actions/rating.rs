//! Ratings of a closed case.

use super::*;

/// `rate`: a rating of the closed case — a citizen's (once per closure) or a clerk's callback, which replaces it.
pub(super) fn rate(
    cx: &Context<'_, '_>,
    d: &mut Draft,
    RateBody { rating, result_rating, comment }: &RateBody,
) -> Result<Option<String>, Refusal> {
    if cx.acting.actor == Actor::Citizen && cx.lookups.citizen_rated_this_closure {
        return Err(Refusal::AlreadyRated);
    }
    match rating {
        None => d.errors.add("rating", Rule::Required),
        Some(rating) => {
            let input =
                RatingInput { rating: *rating, result_rating: *result_rating, comment: comment.clone() };
            match input.validate(cx.lookups.two_dimension_rating) {
                Ok(valid) => {
                    let source = match cx.acting.actor {
                        Actor::Citizen => RatingSource::Citizen,
                        Actor::Staff(_) => RatingSource::Callback,
                    };
                    d.details = json!({
                        "rating": valid.rating,
                        "result_rating": valid.result_rating,
                        "source": source,
                        "comment": valid.comment,
                    });
                    d.update.rating = Some(Some(GivenRating {
                        rating: valid.rating,
                        result_rating: valid.result_rating,
                        source,
                        comment: valid.comment,
                        at: cx.now,
                    }));
                }
                Err(invalid) => d.errors.0.extend(invalid.0),
            }
        }
    }
    Ok(None)
}
