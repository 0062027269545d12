//! Published letters (信件选登) as a page lists them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One published letter with its reply, as published (title, letter and
/// reply masked; the name still to be masked by the view,
/// `domain::citizen::mask_name`).
#[derive(Debug, Clone, Queryable)]
pub struct PublishedLetter {
    pub tracking_no: String,
    /// Subject line.
    pub title: String,
    /// The letter.
    pub content: String,
    /// Subject category.
    pub category: Option<String>,
    /// The citizen's name, to be masked before it is shown.
    pub citizen_name: Option<String>,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// The approved reply.
    pub reply: Option<String>,
    /// When it was closed.
    pub closed_at: Option<NaiveDateTime>,
    /// The department that answered.
    pub department: Option<String>,
}
