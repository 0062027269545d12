//! Satisfaction ratings (DESIGN.md "Ratings").

use serde::{Deserialize, Serialize};

use super::validation::{optional_text, FieldErrors, Rule};

/// How satisfied the citizen (or deputy) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    Unsatisfied,
}

impl Rating {
    /// Every rating.
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Unsatisfied];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == s)
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
}

impl RatingInput {
    /// Checks the input against the channel: two-dimension channels (deputies'
    /// suggestions) need both ratings, the others exactly one.
    pub fn validate(&self, two_dimensions: bool) -> Result<ValidRating, FieldErrors> {
        let mut errors = FieldErrors::new();
        match (two_dimensions, self.result_rating) {
            (true, None) => errors.add("result_rating", Rule::ResultRatingRequired),
            (false, Some(_)) => errors.add("result_rating", Rule::ResultRatingNotUsed),
            _ => {}
        }
        let comment = optional_text(&mut errors, "comment", self.comment.as_deref(), 2000);
        errors.into_result(ValidRating { rating: self.rating, result_rating: self.result_rating, comment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(result_rating: Option<Rating>) -> RatingInput {
        RatingInput { rating: Rating::Satisfied, result_rating, comment: None }
    }

    #[test]
    fn two_dimension_channels_need_both_ratings() {
        assert!(input(None).validate(true).is_err());
        assert!(input(Some(Rating::Satisfied)).validate(true).is_ok());
        assert!(input(Some(Rating::Satisfied)).validate(false).is_err());
        assert!(input(None).validate(false).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for rating in Rating::ALL {
            assert_eq!(Rating::parse(rating.as_str()), Some(rating));
        }
    }
}
