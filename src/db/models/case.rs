//! Cases as stored: the full row, the list row, and the insert and update forms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::actions::CaseUpdate;
use crate::domain::calendar::{LimitUnit, TimeLimit};
use crate::domain::callback::{CallbackRecord, CallbackState};
use crate::domain::case::{CaseClock, CaseFacts};
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::rectification::{Rectification, RectificationState};

/// What a list shows of a case: everything but the long texts (letter,
/// reply, notes) and the deadline bookkeeping that only one case's page needs.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseSummaryRow {
    pub id: CaseId,
    /// Tracking number.
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    pub title: String,
    pub category: Option<String>,
    /// Citizen's name.
    pub citizen_name: Option<String>,
    /// Citizen's phone.
    pub citizen_phone: Option<String>,
    /// Citizen's email.
    pub citizen_email: Option<String>,
    /// Citizen's address.
    pub citizen_address: Option<String>,
    pub received_at: NaiveDateTime,
    /// End of the due day.
    pub due_at: Option<NaiveDateTime>,
    pub state: CaseState,
    pub department_id: Option<DepartmentId>,
    /// Last closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<Rating>,
    /// Result rating in force.
    pub result_rating: Option<Rating>,
    /// Reopened this often.
    pub reopen_count: i32,
    /// Clock paused.
    pub suspended: bool,
    /// Since when.
    pub suspended_at: Option<NaiveDateTime>,
    /// Days of a pending extension request.
    pub pending_extension_days: Option<i32>,
    /// 督办 count.
    pub supervision_count: i32,
    pub version: i32,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// The 回访's state, for the 待回访 queue.
    pub callback_state: Option<CallbackState>,
    /// When the 回访 is due.
    pub callback_due_at: Option<NaiveDateTime>,
    /// The 差评整改's state, for the 待整改 and 待复核 queues.
    pub rectification_state: Option<RectificationState>,
    /// When the rectification is due.
    pub rectification_due_at: Option<NaiveDateTime>,
    /// Whether (since when) the rating in force is 核减.
    pub rating_excluded_at: Option<NaiveDateTime>,
}

/// A case, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: CaseId,
    /// e.g. `MB2024000123`.
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    /// Citizen's name.
    pub citizen_name: Option<String>,
    /// Citizen's phone digits.
    pub citizen_phone: Option<String>,
    /// Citizen's email.
    pub citizen_email: Option<String>,
    /// Citizen's postal address.
    pub citizen_address: Option<String>,
    /// Whether the reply may be published.
    pub is_public: bool,
    /// Hash of the query code.
    pub query_code_hash: String,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// End of the due day.
    pub due_at: Option<NaiveDateTime>,
    /// Lifecycle state.
    pub state: CaseState,
    /// Department it is assigned to.
    pub department_id: Option<DepartmentId>,
    /// The department's reply.
    pub reply: Option<String>,
    /// When the reply was submitted.
    pub replied_at: Option<NaiveDateTime>,
    /// When it was (last) closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<Rating>,
    /// Result rating in force (two-dimension channels).
    pub result_rating: Option<Rating>,
    /// Who gave the rating in force.
    pub rating_source: Option<RatingSource>,
    /// Rating comment.
    pub rating_comment: Option<String>,
    /// When the rating in force was given.
    pub rated_at: Option<NaiveDateTime>,
    /// The case this one duplicates.
    pub duplicate_of: Option<CaseId>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Registering user (none for citizens' own letters).
    pub created_by: Option<UserId>,
    /// Optimistic-concurrency version.
    pub version: i32,
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Time limit it was registered under (null only before the deadline migration's backfill).
    pub time_limit: Option<i32>,
    /// Unit of that limit.
    pub time_limit_unit: Option<LimitUnit>,
    /// Largest total extension it was registered under.
    pub extension_limit: Option<i32>,
    /// Unit of the extension limit.
    pub extension_unit: Option<LimitUnit>,
    /// Working days granted by approved extensions.
    pub extended_workdays: i32,
    /// Working days the clock stood still in finished pauses.
    pub paused_workdays: i32,
    /// Start of the current pause, while suspended.
    pub suspended_at: Option<NaiveDateTime>,
    /// Working days asked for by a pending extension request.
    pub pending_extension_days: Option<i32>,
    /// Why the pending extension was asked for.
    pub pending_extension_reason: Option<String>,
    /// When it was asked for.
    pub pending_extension_at: Option<NaiveDateTime>,
    /// Who asked.
    pub pending_extension_by: Option<UserId>,
    /// How often it was supervised (督办).
    pub supervision_count: i32,
    /// The last supervision.
    pub last_supervised_at: Option<NaiveDateTime>,
    /// The last supervision's note.
    pub last_supervision_note: Option<String>,
    /// When the `due_soon` event was recorded for the current due date.
    pub due_soon_recorded_at: Option<NaiveDateTime>,
    /// When the `overdue` event was recorded for the current due date.
    pub overdue_recorded_at: Option<NaiveDateTime>,
    /// Seconds from receipt to (last) closure, while closed.
    pub handling_seconds: Option<i64>,
    /// Working days from receipt to (last) closure, while closed.
    pub handling_workdays: Option<i32>,
    /// When a clerk approved the letter and reply for publication (信件选登).
    pub published_at: Option<NaiveDateTime>,
    /// Who approved it.
    pub published_by: Option<UserId>,
    /// 是否解决 of the rating in force, if the rater said.
    pub resolved: Option<bool>,
    /// The last closure's 回访 (null before callbacks existed, and while reopened).
    pub callback_state: Option<CallbackState>,
    /// When the callback is due.
    pub callback_due_at: Option<NaiveDateTime>,
    /// Unreached attempts so far.
    pub callback_attempts: i32,
    /// When the callback ended (reached, or the last unreached attempt).
    pub callback_at: Option<NaiveDateTime>,
    /// The 差评整改 (null while none was needed).
    pub rectification_state: Option<RectificationState>,
    /// When the rectification is due.
    pub rectification_due_at: Option<NaiveDateTime>,
    /// The department's 申诉 reason.
    pub appeal_reason: Option<String>,
    /// The leader's 复核 note.
    pub appeal_note: Option<String>,
    /// When the rating in force was 核减 (null: it counts).
    pub rating_excluded_at: Option<NaiveDateTime>,
    /// When the department must sign for its latest assignment (null:
    /// assigned before assignments had a time to sign, or never assigned).
    pub accept_due_at: Option<NaiveDateTime>,
    /// The case this one is merged into (并单), while merged.
    pub merged_into: Option<CaseId>,
}

/// A case to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = cases)]
pub struct NewCaseRow {
    /// Tracking number.
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// External id.
    pub external_ref: Option<String>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    pub citizen_name: Option<String>,
    pub citizen_phone: Option<String>,
    pub citizen_email: Option<String>,
    pub citizen_address: Option<String>,
    pub is_public: bool,
    /// Query code hash.
    pub query_code_hash: String,
    pub received_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    /// Initial state.
    pub state: CaseState,
    /// Registering user.
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The channel's time limit.
    pub time_limit: Option<i32>,
    /// Its unit.
    pub time_limit_unit: Option<LimitUnit>,
    /// The channel's extension limit.
    pub extension_limit: Option<i32>,
    /// Its unit.
    pub extension_unit: Option<LimitUnit>,
    /// The department, for a case loaded with its history (intake: none).
    pub department_id: Option<DepartmentId>,
    /// The reply of a case loaded with its history.
    pub reply: Option<String>,
    /// When that reply was given.
    pub replied_at: Option<NaiveDateTime>,
    /// When a case loaded with its history was closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Its rating in force.
    pub rating: Option<Rating>,
    /// Its result rating in force.
    pub result_rating: Option<Rating>,
    /// Who rated it.
    pub rating_source: Option<RatingSource>,
    /// When it was rated.
    pub rated_at: Option<NaiveDateTime>,
    /// Seconds from receipt to closure, for a closed case.
    pub handling_seconds: Option<i64>,
    /// Working days from receipt to closure, for a closed case.
    pub handling_workdays: Option<i32>,
    /// 是否解决 of the rating.
    pub resolved: Option<bool>,
    /// The closure's callback.
    pub callback_state: Option<CallbackState>,
    /// When it is due.
    pub callback_due_at: Option<NaiveDateTime>,
    /// When it ended.
    pub callback_at: Option<NaiveDateTime>,
    /// The rectification of a case loaded with its history.
    pub rectification_state: Option<RectificationState>,
    /// When it is due.
    pub rectification_due_at: Option<NaiveDateTime>,
    /// When its rating was 核减.
    pub rating_excluded_at: Option<NaiveDateTime>,
}

/// What an action changes on a case; `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = cases)]
pub struct CaseChanges {
    /// New state.
    pub state: Option<CaseState>,
    /// New department.
    pub department_id: Option<Option<DepartmentId>>,
    /// New reply.
    pub reply: Option<Option<String>>,
    /// Reply time.
    pub replied_at: Option<Option<NaiveDateTime>>,
    /// Closing time.
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub rating: Option<Option<Rating>>,
    /// Result rating.
    pub result_rating: Option<Option<Rating>>,
    /// Rating source.
    pub rating_source: Option<Option<RatingSource>>,
    /// Rating comment.
    pub rating_comment: Option<Option<String>>,
    /// Rating time.
    pub rated_at: Option<Option<NaiveDateTime>>,
    /// Duplicate of.
    pub duplicate_of: Option<Option<CaseId>>,
    /// Reopen count.
    pub reopen_count: Option<i32>,
    /// Clock paused.
    pub suspended: Option<bool>,
    /// Due date.
    pub due_at: Option<Option<NaiveDateTime>>,
    /// Extended working days.
    pub extended_workdays: Option<i32>,
    /// Paused working days.
    pub paused_workdays: Option<i32>,
    /// Start of the current pause.
    pub suspended_at: Option<Option<NaiveDateTime>>,
    /// Pending extension: days.
    pub pending_extension_days: Option<Option<i32>>,
    /// Pending extension: reason.
    pub pending_extension_reason: Option<Option<String>>,
    /// Pending extension: when.
    pub pending_extension_at: Option<Option<NaiveDateTime>>,
    /// Pending extension: who.
    pub pending_extension_by: Option<Option<UserId>>,
    /// Supervision count.
    pub supervision_count: Option<i32>,
    /// Last supervision time.
    pub last_supervised_at: Option<Option<NaiveDateTime>>,
    /// Last supervision note.
    pub last_supervision_note: Option<Option<String>>,
    /// Re-arms or records the due-soon event.
    pub due_soon_recorded_at: Option<Option<NaiveDateTime>>,
    /// Re-arms or records the overdue event.
    pub overdue_recorded_at: Option<Option<NaiveDateTime>>,
    /// Handling time in seconds, set on closure.
    pub handling_seconds: Option<Option<i64>>,
    /// Handling time in working days, set on closure.
    pub handling_workdays: Option<Option<i32>>,
    /// Publication approved at (`Some(None)` withdraws it).
    pub published_at: Option<Option<NaiveDateTime>>,
    /// Publication approved by.
    pub published_by: Option<Option<UserId>>,
    /// 是否解决 of the rating in force.
    pub resolved: Option<Option<bool>>,
    /// Callback state.
    pub callback_state: Option<Option<CallbackState>>,
    /// Callback due time.
    pub callback_due_at: Option<Option<NaiveDateTime>>,
    /// Unreached attempts.
    pub callback_attempts: Option<i32>,
    /// When the callback ended.
    pub callback_at: Option<Option<NaiveDateTime>>,
    /// Rectification state.
    pub rectification_state: Option<Option<RectificationState>>,
    /// Rectification due time.
    pub rectification_due_at: Option<Option<NaiveDateTime>>,
    /// 申诉 reason.
    pub appeal_reason: Option<Option<String>>,
    /// 复核 note.
    pub appeal_note: Option<Option<String>>,
    /// When the rating in force was 核减.
    pub rating_excluded_at: Option<Option<NaiveDateTime>>,
    /// Time to sign for the latest assignment.
    pub accept_due_at: Option<Option<NaiveDateTime>>,
    /// The case it is merged into (`Some(None)`: unmerged).
    pub merged_into: Option<Option<CaseId>>,
}

impl Case {
    /// The last closure's callback, if it has one.
    pub fn callback(&self) -> Option<CallbackRecord> {
        self.callback_state.map(|state| CallbackRecord {
            state,
            due_at: self.callback_due_at,
            attempts: self.callback_attempts,
            at: self.callback_at,
        })
    }

    /// Its 差评整改, if one was ever opened.
    pub fn rectification(&self) -> Option<Rectification> {
        self.rectification_state.map(|state| Rectification { state, due_at: self.rectification_due_at })
    }

    /// The case as the rules see it.
    pub fn facts(&self) -> CaseFacts<'_> {
        CaseFacts {
            id: self.id,
            channel: &self.channel,
            state: self.state,
            department_id: self.department_id,
            received_at: self.received_at,
            due_at: self.due_at,
            closed_at: self.closed_at,
            suspended_at: self.suspended_at,
            suspended: self.suspended,
            time_limit: TimeLimit::stored(self.time_limit, self.time_limit_unit),
            extension_limit: TimeLimit::stored(self.extension_limit, self.extension_unit),
            extended_workdays: self.extended_workdays,
            paused_workdays: self.paused_workdays,
            pending_extension_days: self.pending_extension_days,
            reopen_count: self.reopen_count,
            supervision_count: self.supervision_count,
            reply: self.reply.as_deref(),
            handling_seconds: self.handling_seconds,
            handling_workdays: self.handling_workdays,
            rating: self.rating,
            result_rating: self.result_rating,
            resolved: self.resolved,
            has_phone: self.citizen_phone.as_deref().is_some_and(|p| !p.trim().is_empty()),
            callback: self.callback(),
            rectification: self.rectification(),
            rating_excluded: self.rating_excluded_at.is_some(),
            is_public: self.is_public,
            published: self.published_at.is_some(),
        }
    }
}

impl CaseSummaryRow {
    /// What its deadline figures depend on.
    pub fn clock(&self) -> CaseClock {
        CaseClock {
            state: self.state,
            due_at: self.due_at,
            suspended: self.suspended,
            suspended_at: self.suspended_at,
        }
    }
}

impl From<&CaseUpdate> for CaseChanges {
    fn from(update: &CaseUpdate) -> CaseChanges {
        let mut changes = CaseChanges { department_id: update.department_id, ..CaseChanges::default() };
        if let Some((reply, at)) = &update.reply {
            changes.reply = Some(Some(reply.clone()));
            changes.replied_at = Some(Some(*at));
        }
        if let Some(closure) = update.closure {
            changes.closed_at = Some(closure.map(|c| c.at));
            changes.handling_seconds = Some(closure.map(|c| c.handling_seconds));
            changes.handling_workdays = Some(closure.map(|c| c.handling_workdays));
        }
        if let Some(rating) = &update.rating {
            changes.rating = Some(rating.as_ref().map(|r| r.rating));
            changes.result_rating = Some(rating.as_ref().and_then(|r| r.result_rating));
            changes.rating_source = Some(rating.as_ref().map(|r| r.source));
            changes.rating_comment = Some(rating.as_ref().and_then(|r| r.comment.clone()));
            changes.rated_at = Some(rating.as_ref().map(|r| r.at));
            changes.resolved = Some(rating.as_ref().and_then(|r| r.resolved));
        }
        if let Some(callback) = &update.callback {
            changes.callback_state = Some(callback.map(|c| c.state));
            changes.callback_due_at = Some(callback.and_then(|c| c.due_at));
            changes.callback_attempts = Some(callback.map_or(0, |c| c.attempts));
            changes.callback_at = Some(callback.and_then(|c| c.at));
        }
        if let Some(rectification) = &update.rectification {
            changes.rectification_state = Some(rectification.map(|r| r.state));
            changes.rectification_due_at = Some(rectification.and_then(|r| r.due_at));
        }
        changes.appeal_reason = update.appeal_reason.clone();
        changes.appeal_note = update.appeal_note.clone();
        changes.rating_excluded_at = update.rating_excluded_at;
        changes.duplicate_of = update.duplicate_of.map(Some);
        changes.merged_into = update.merged_into;
        changes.reopen_count = update.reopen_count;
        if let Some(suspended_at) = update.suspended_at {
            changes.suspended = Some(suspended_at.is_some());
            changes.suspended_at = Some(suspended_at);
        }
        changes.paused_workdays = update.paused_workdays;
        if let Some(due_at) = update.due_at {
            changes.due_at = Some(Some(due_at));
            changes.due_soon_recorded_at = Some(None);
            changes.overdue_recorded_at = Some(None);
        }
        changes.extended_workdays = update.extended_workdays;
        if let Some(accept_due_at) = update.accept_due_at {
            changes.accept_due_at = Some(Some(accept_due_at));
        }
        if let Some(pending) = &update.pending_extension {
            changes.pending_extension_days = Some(pending.as_ref().map(|p| p.days));
            changes.pending_extension_reason = Some(pending.as_ref().and_then(|p| p.reason.clone()));
            changes.pending_extension_at = Some(pending.as_ref().map(|p| p.at));
            changes.pending_extension_by = Some(pending.as_ref().and_then(|p| p.by));
        }
        if let Some(supervision) = &update.supervision {
            changes.supervision_count = Some(supervision.count);
            changes.last_supervised_at = Some(Some(supervision.at));
            changes.last_supervision_note = Some(supervision.note.clone());
        }
        if let Some(publication) = &update.publication {
            changes.published_at = Some(publication.map(|p| p.at));
            changes.published_by = Some(publication.and_then(|p| p.by));
        }
        changes
    }
}
