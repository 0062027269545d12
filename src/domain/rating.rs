//! Satisfaction ratings (DESIGN.md "Ratings").

use serde::{Deserialize, Serialize};

use super::validation::{optional_text, FieldErrors, Rule};

/// How satisfied the citizen (or deputy) is. Three-level channels use the
/// middle three; five-level channels (好差评) also the outer two, which the
/// figures count with their neighbours ([`Rating::counted_as`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 非常满意 (five-level channels).
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    Unsatisfied,
    /// 非常不满意 (five-level channels).
    VeryUnsatisfied,
}

impl Rating {
    /// Every rating, best first.
    pub const ALL: [Rating; 5] = [
        Rating::VerySatisfied,
        Rating::Satisfied,
        Rating::BasicallySatisfied,
        Rating::Unsatisfied,
        Rating::VeryUnsatisfied,
    ];

    /// The three levels the figures count in (and three-level channels offer).
    pub const COUNTED: [Rating; 3] = [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Unsatisfied];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::VerySatisfied => "very_satisfied",
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Unsatisfied => "unsatisfied",
            Rating::VeryUnsatisfied => "very_unsatisfied",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The level the figures count it as (DESIGN.md: 非常满意 as 满意,
    /// 非常不满意 as 不满意).
    pub fn counted_as(self) -> Rating {
        match self {
            Rating::VerySatisfied => Rating::Satisfied,
            Rating::VeryUnsatisfied => Rating::Unsatisfied,
            other => other,
        }
    }

    /// Whether it is a 差评, which a citizen must explain and which opens a
    /// rectification.
    pub fn is_poor(self) -> bool {
        self.counted_as() == Rating::Unsatisfied
    }
}

/// How many levels a channel rates on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RatingScale {
    /// 满意 / 基本满意 / 不满意.
    #[default]
    Three,
    /// 非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意 (好差评).
    Five,
}

impl RatingScale {
    /// The scale of a stored level count (3 or 5).
    pub fn of_levels(levels: i32) -> Option<RatingScale> {
        match levels {
            3 => Some(RatingScale::Three),
            5 => Some(RatingScale::Five),
            _ => None,
        }
    }

    /// The level count, as stored and served.
    pub fn levels(self) -> i32 {
        match self {
            RatingScale::Three => 3,
            RatingScale::Five => 5,
        }
    }

    /// The ratings it offers, best first.
    pub fn ratings(self) -> &'static [Rating] {
        match self {
            RatingScale::Three => &Rating::COUNTED,
            RatingScale::Five => &Rating::ALL,
        }
    }

    /// Whether `rating` is one of its levels.
    pub fn offers(self, rating: Rating) -> bool {
        self.ratings().contains(&rating)
    }
}

/// Who gave the rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// The citizen, with the case's query code.
    Citizen,
    /// Office staff, recording a telephone callback (回访).
    Callback,
}

impl RatingSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RatingSource::Citizen => "citizen",
            RatingSource::Callback => "callback",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<RatingSource> {
        [RatingSource::Citizen, RatingSource::Callback].into_iter().find(|r| r.as_str() == s)
    }
}

/// A rating as submitted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// The rating, or for two-dimension channels the rating of the work (办理工作).
    pub rating: Rating,
    /// For two-dimension channels only: the rating of the result (办理结果).
    pub result_rating: Option<Rating>,
    /// Free text.
    pub comment: Option<String>,
    /// 是否解决: whether the problem was solved, as the rater says.
    pub resolved: Option<bool>,
}

/// A validated rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRating {
    /// The (work) rating.
    pub rating: Rating,
    /// The result rating, present exactly on two-dimension channels.
    pub result_rating: Option<Rating>,
    /// Trimmed comment.
    pub comment: Option<String>,
    /// 是否解决.
    pub resolved: Option<bool>,
}

/// What a rating is checked against: the channel's settings, and who rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RatingRules {
    /// Whether the channel rates work and result separately.
    pub two_dimensions: bool,
    /// The channel's levels.
    pub scale: RatingScale,
    /// Whether the citizen rates (a 差评 then needs a comment: the office must
    /// know what to rectify; a clerk's callback notes what was said itself).
    pub by_citizen: bool,
}

impl RatingInput {
    /// Checks the input against the channel: two-dimension channels (deputies'
    /// suggestions) need both ratings, the others exactly one; each on the
    /// channel's scale; a citizen's 差评 with a comment.
    pub fn validate(&self, rules: RatingRules) -> Result<ValidRating, FieldErrors> {
        let mut errors = FieldErrors::new();
        match (rules.two_dimensions, self.result_rating) {
            (true, None) => errors.add("result_rating", Rule::ResultRatingRequired),
            (false, Some(_)) => errors.add("result_rating", Rule::ResultRatingNotUsed),
            _ => {}
        }
        for (field, rating) in [("rating", Some(self.rating)), ("result_rating", self.result_rating)] {
            if rating.is_some_and(|r| !rules.scale.offers(r)) {
                errors.add(field, Rule::RatingScale(rules.scale.levels()));
            }
        }
        let comment = optional_text(&mut errors, "comment", self.comment.as_deref(), 2000);
        let poor = self.rating.is_poor() || self.result_rating.is_some_and(Rating::is_poor);
        if rules.by_citizen && poor && comment.is_none() && errors.0.iter().all(|e| e.field != "comment") {
            errors.add("comment", Rule::PoorRatingNeedsComment);
        }
        errors.into_result(ValidRating {
            rating: self.rating,
            result_rating: self.result_rating,
            comment,
            resolved: self.resolved,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(result_rating: Option<Rating>) -> RatingInput {
        RatingInput { rating: Rating::Satisfied, result_rating, comment: None, resolved: None }
    }

    fn rules(two_dimensions: bool) -> RatingRules {
        RatingRules { two_dimensions, ..RatingRules::default() }
    }

    fn fields(errors: FieldErrors) -> Vec<String> {
        errors.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn two_dimension_channels_need_both_ratings() {
        assert!(input(None).validate(rules(true)).is_err());
        assert!(input(Some(Rating::Satisfied)).validate(rules(true)).is_ok());
        assert!(input(Some(Rating::Satisfied)).validate(rules(false)).is_err());
        assert!(input(None).validate(rules(false)).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for rating in Rating::ALL {
            assert_eq!(Rating::parse(rating.as_str()), Some(rating));
        }
    }

    #[test]
    fn outer_levels_need_a_five_level_channel_and_count_with_their_neighbours() {
        let very = RatingInput { rating: Rating::VerySatisfied, ..input(None) };
        let refused = very.validate(rules(false)).unwrap_err();
        assert_eq!(refused.0[0].rule, Rule::RatingScale(3));
        let five = RatingRules { scale: RatingScale::Five, ..RatingRules::default() };
        assert_eq!(very.validate(five).unwrap().rating, Rating::VerySatisfied);
        let result = RatingInput { result_rating: Some(Rating::VeryUnsatisfied), ..input(None) };
        let two = RatingRules { two_dimensions: true, ..RatingRules::default() };
        assert_eq!(fields(result.validate(two).unwrap_err()), ["result_rating"]);
        assert_eq!(Rating::VerySatisfied.counted_as(), Rating::Satisfied);
        assert_eq!(Rating::VeryUnsatisfied.counted_as(), Rating::Unsatisfied);
        assert_eq!(Rating::BasicallySatisfied.counted_as(), Rating::BasicallySatisfied);
        assert!(Rating::VeryUnsatisfied.is_poor() && Rating::Unsatisfied.is_poor());
        assert!(!Rating::BasicallySatisfied.is_poor());
        assert_eq!(RatingScale::Five.ratings().len(), 5);
        assert_eq!(RatingScale::of_levels(4), None);
        assert_eq!(RatingScale::of_levels(5).map(RatingScale::levels), Some(5));
    }

    #[test]
    fn a_citizens_poor_rating_needs_a_comment_a_callbacks_does_not() {
        let poor = RatingInput { rating: Rating::Unsatisfied, comment: Some("  ".into()), ..input(None) };
        let citizen = RatingRules { by_citizen: true, ..RatingRules::default() };
        let refused = poor.validate(citizen).unwrap_err();
        assert_eq!(refused.0[0].rule, Rule::PoorRatingNeedsComment);
        assert!(poor.validate(RatingRules::default()).is_ok(), "a callback's needs none");
        let said = RatingInput { comment: Some("没有解决".into()), resolved: Some(false), ..poor };
        let valid = said.validate(citizen).unwrap();
        assert_eq!((valid.comment.as_deref(), valid.resolved), (Some("没有解决"), Some(false)));
        assert!(input(None).validate(citizen).is_ok(), "a good rating needs no comment");
    }
}
