//! Channels (渠道) and their settings as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::calendar::{LimitUnit, TimeLimit};
use crate::domain::rating::RatingScale;

/// A channel (渠道) and its time limits.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = channels)]
pub struct Channel {
    /// Key, e.g. `mailbox`.
    pub code: String,
    /// Name, e.g. 公开信箱.
    pub name: String,
    /// Time limit amount.
    pub time_limit: i32,
    /// Unit of the time limit.
    pub time_limit_unit: LimitUnit,
    /// Largest total extension.
    pub extension_limit: i32,
    /// Unit of the extension limit.
    pub extension_unit: LimitUnit,
    /// Tracking-number prefix, e.g. `MB`.
    pub tracking_prefix: String,
    /// Whether ratings have a work and a result dimension.
    pub two_dimension_rating: bool,
    /// Display order.
    pub sort_order: i32,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Working days to sign for an assigned case.
    pub accept_days: i32,
    /// Working days after assignment in which a department may return a case.
    pub return_days: i32,
    /// Working days after closure for the 回访.
    pub callback_days: i32,
    /// Working days to rectify after a 差评.
    pub rectify_days: i32,
    /// Rating levels: 3 or 5 (the database refuses others).
    pub rating_scale: i32,
}

impl Channel {
    /// The levels its ratings take.
    pub fn scale(&self) -> RatingScale {
        RatingScale::of_levels(self.rating_scale).unwrap_or_default()
    }
}

impl Channel {
    /// Its time limit and extension limit.
    pub fn limits(&self) -> Option<(TimeLimit, TimeLimit)> {
        TimeLimit::stored(Some(self.time_limit), Some(self.time_limit_unit))
            .zip(TimeLimit::stored(Some(self.extension_limit), Some(self.extension_unit)))
    }
}

/// Changes to a channel; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = channels)]
pub struct ChannelChanges {
    /// New name.
    pub name: Option<String>,
    /// New time limit.
    pub time_limit: Option<i32>,
    /// New unit.
    pub time_limit_unit: Option<LimitUnit>,
    /// New extension limit.
    pub extension_limit: Option<i32>,
    /// New extension unit.
    pub extension_unit: Option<LimitUnit>,
    /// New prefix.
    pub tracking_prefix: Option<String>,
    /// Two-dimension rating.
    pub two_dimension_rating: Option<bool>,
    /// Display order.
    pub sort_order: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
    /// Working days to sign for an assigned case.
    pub accept_days: Option<i32>,
    /// Working days in which a department may return a case.
    pub return_days: Option<i32>,
    /// Working days after closure for the 回访.
    pub callback_days: Option<i32>,
    /// Working days to rectify after a 差评.
    pub rectify_days: Option<i32>,
    /// Rating levels, 3 or 5.
    pub rating_scale: Option<i32>,
}
