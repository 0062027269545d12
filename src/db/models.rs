//! Rows as stored, and the insert/update forms of each table. Query code lives
//! in the per-table modules; conversion to API shapes lives in `api`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

/// A department (承办单位).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
pub struct Department {
    /// Key.
    pub id: i64,
    /// Full name, e.g. 县教育局.
    pub name: String,
    /// Short code, e.g. `EDU`.
    pub code: String,
    /// Address for notifications.
    pub email: Option<String>,
    /// Inactive departments cannot receive new cases.
    pub active: bool,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A department to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = departments)]
pub struct NewDepartment {
    /// Full name.
    pub name: String,
    /// Short code.
    pub code: String,
    /// Notification address.
    pub email: Option<String>,
    /// Active from the start.
    pub active: bool,
    /// Now.
    pub created_at: NaiveDateTime,
    /// Now.
    pub updated_at: NaiveDateTime,
}

/// Changes to a department; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = departments)]
pub struct DepartmentChanges {
    /// New name.
    pub name: Option<String>,
    /// New code.
    pub code: Option<String>,
    /// New address (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// Now.
    pub updated_at: Option<NaiveDateTime>,
}

/// A staff account.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    /// Key.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Name shown in the event log.
    pub display_name: String,
    /// `admin`, `clerk`, `handler` or `leader`.
    pub role: String,
    /// Required for handlers.
    pub department_id: Option<i64>,
    /// Address for notifications.
    pub email: Option<String>,
    /// Inactive accounts cannot log in; their tokens stop working.
    pub active: bool,
    /// Tokens carry the epoch they were issued in; raising it revokes them all.
    pub token_epoch: i32,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// An account to create.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Display name.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// Department.
    pub department_id: Option<i64>,
    /// Email.
    pub email: Option<String>,
    /// Active.
    pub active: bool,
    /// Now.
    pub created_at: NaiveDateTime,
    /// Now.
    pub updated_at: NaiveDateTime,
}

/// Changes to an account; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New password hash.
    pub password_hash: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// New department (`Some(None)` clears it).
    pub department_id: Option<Option<i64>>,
    /// New email (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// Raised to revoke every earlier token.
    pub token_epoch: Option<i32>,
    /// Now.
    pub updated_at: Option<NaiveDateTime>,
}

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
    /// `workday`, `calendar_day` or `month`.
    pub time_limit_unit: String,
    /// Largest total extension.
    pub extension_limit: i32,
    /// Unit of the extension limit.
    pub extension_unit: String,
    /// Tracking-number prefix, e.g. `MB`.
    pub tracking_prefix: String,
    /// Whether ratings have a work and a result dimension.
    pub two_dimension_rating: bool,
    /// Display order.
    pub sort_order: i32,
    /// Last changed.
    pub updated_at: NaiveDateTime,
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
    pub time_limit_unit: Option<String>,
    /// New extension limit.
    pub extension_limit: Option<i32>,
    /// New extension unit.
    pub extension_unit: Option<String>,
    /// New prefix.
    pub tracking_prefix: Option<String>,
    /// Two-dimension rating.
    pub two_dimension_rating: Option<bool>,
    /// Display order.
    pub sort_order: Option<i32>,
    /// Now.
    pub updated_at: Option<NaiveDateTime>,
}

/// What a list shows of a case: everything but the long texts (letter,
/// reply, notes) and the deadline bookkeeping that only one case's page needs.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseSummaryRow {
    /// Id.
    pub id: i64,
    /// Tracking number.
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    /// Subject.
    pub title: String,
    /// Category.
    pub category: Option<String>,
    /// Citizen's name.
    pub citizen_name: Option<String>,
    /// Citizen's phone.
    pub citizen_phone: Option<String>,
    /// Citizen's email.
    pub citizen_email: Option<String>,
    /// Citizen's address.
    pub citizen_address: Option<String>,
    /// Received.
    pub received_at: NaiveDateTime,
    /// End of the due day.
    pub due_at: Option<NaiveDateTime>,
    /// State.
    pub state: String,
    /// Department.
    pub department_id: Option<i64>,
    /// Last closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<String>,
    /// Result rating in force.
    pub result_rating: Option<String>,
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
    /// Version.
    pub version: i32,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A case, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct Case {
    /// Key.
    pub id: i64,
    /// e.g. `MB2024000123`.
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    /// Subject.
    pub title: String,
    /// Text.
    pub content: String,
    /// Category.
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
    pub state: String,
    /// Department it is assigned to.
    pub department_id: Option<i64>,
    /// The department's reply.
    pub reply: Option<String>,
    /// When the reply was submitted.
    pub replied_at: Option<NaiveDateTime>,
    /// When it was (last) closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<String>,
    /// Result rating in force (two-dimension channels).
    pub result_rating: Option<String>,
    /// `citizen` or `callback`.
    pub rating_source: Option<String>,
    /// Rating comment.
    pub rating_comment: Option<String>,
    /// When the rating in force was given.
    pub rated_at: Option<NaiveDateTime>,
    /// The case this one duplicates.
    pub duplicate_of: Option<i64>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Registering user (none for citizens' own letters).
    pub created_by: Option<i64>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Time limit it was registered under (null only before the deadline migration's backfill).
    pub time_limit: Option<i32>,
    /// Unit of that limit.
    pub time_limit_unit: Option<String>,
    /// Largest total extension it was registered under.
    pub extension_limit: Option<i32>,
    /// Unit of the extension limit.
    pub extension_unit: Option<String>,
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
    pub pending_extension_by: Option<i64>,
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
    /// Subject.
    pub title: String,
    /// Text.
    pub content: String,
    /// Category.
    pub category: Option<String>,
    /// Name.
    pub citizen_name: Option<String>,
    /// Phone.
    pub citizen_phone: Option<String>,
    /// Email.
    pub citizen_email: Option<String>,
    /// Address.
    pub citizen_address: Option<String>,
    /// Publishable.
    pub is_public: bool,
    /// Query code hash.
    pub query_code_hash: String,
    /// Received.
    pub received_at: NaiveDateTime,
    /// Due.
    pub due_at: Option<NaiveDateTime>,
    /// Initial state.
    pub state: String,
    /// Registering user.
    pub created_by: Option<i64>,
    /// Now.
    pub created_at: NaiveDateTime,
    /// Now.
    pub updated_at: NaiveDateTime,
    /// The channel's time limit.
    pub time_limit: Option<i32>,
    /// Its unit.
    pub time_limit_unit: Option<String>,
    /// The channel's extension limit.
    pub extension_limit: Option<i32>,
    /// Its unit.
    pub extension_unit: Option<String>,
}

/// What an action changes on a case; `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = cases)]
pub struct CaseChanges {
    /// New state.
    pub state: Option<String>,
    /// New department.
    pub department_id: Option<Option<i64>>,
    /// New reply.
    pub reply: Option<Option<String>>,
    /// Reply time.
    pub replied_at: Option<Option<NaiveDateTime>>,
    /// Closing time.
    pub closed_at: Option<Option<NaiveDateTime>>,
    /// Rating.
    pub rating: Option<Option<String>>,
    /// Result rating.
    pub result_rating: Option<Option<String>>,
    /// Rating source.
    pub rating_source: Option<Option<String>>,
    /// Rating comment.
    pub rating_comment: Option<Option<String>>,
    /// Rating time.
    pub rated_at: Option<Option<NaiveDateTime>>,
    /// Duplicate of.
    pub duplicate_of: Option<Option<i64>>,
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
    pub pending_extension_by: Option<Option<i64>>,
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
}

/// One entry of a case's audit trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_events)]
pub struct CaseEvent {
    /// Key; increases with time.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Action name (or a system event such as `register`).
    pub action: String,
    /// Who acted; none for citizens and the system.
    pub actor_id: Option<i64>,
    /// When.
    pub at: NaiveDateTime,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// Free text.
    pub note: Option<String>,
    /// JSON object with action-specific details.
    pub details: Option<String>,
}

/// An event to append.
#[derive(Debug, Insertable)]
#[diesel(table_name = case_events)]
pub struct NewCaseEvent {
    /// The case.
    pub case_id: i64,
    /// Action name.
    pub action: String,
    /// Who acted.
    pub actor_id: Option<i64>,
    /// When.
    pub at: NaiveDateTime,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// Free text.
    pub note: Option<String>,
    /// JSON details.
    pub details: Option<String>,
}
