//! The JSON shapes the API returns, built from stored rows. Masking of the
//! citizen's contact details is decided here, in one place.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::db::models::{Case, CaseEvent, CaseSummaryRow, Channel, Department, User};
pub use crate::domain::calendar::Clock;
use crate::domain::calendar::LimitUnit;
use crate::domain::callback::CallbackState;
use crate::domain::citizen::Citizen;
use crate::domain::event::EventKind;
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::rectification::RectificationState;
use crate::domain::role::Role;
use crate::domain::time::serde_office;

/// A list response: `{"items": [...]}`, serialised straight from the views.
#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A page of cases, as lists show them.
#[derive(Debug, Serialize)]
pub struct CaseList {
    /// The cases, newest first.
    pub items: Vec<CaseSummary>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// With a search (`q`): how many cases match, counted up to
    /// `db::cases::SEARCH_CAP` (beyond, `total_capped` is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// With a search: whether more cases match than `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_capped: Option<bool>,
}

/// A staff account, without its password hash.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: UserId,
    /// Login name.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub email: Option<String>,
    pub active: bool,
    /// The leaders' digest by mail: `none`, `weekly` or `monthly`.
    pub digest: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            department_id: u.department_id,
            email: u.email,
            active: u.active,
            digest: u.digest,
        }
    }
}

/// A department.
#[derive(Debug, Serialize)]
pub struct DepartmentView {
    pub id: DepartmentId,
    pub name: String,
    pub code: String,
    pub email: Option<String>,
    pub active: bool,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView { id: d.id, name: d.name, code: d.code, email: d.email, active: d.active }
    }
}

/// A channel and its limits.
#[derive(Debug, Serialize)]
pub struct ChannelView {
    pub code: String,
    pub name: String,
    /// Time limit amount.
    pub time_limit: i32,
    pub time_limit_unit: LimitUnit,
    /// Largest total extension.
    pub extension_limit: i32,
    pub extension_unit: LimitUnit,
    /// Tracking-number prefix.
    pub tracking_prefix: String,
    /// Whether ratings have a work and a result dimension.
    pub two_dimension_rating: bool,
    /// Display order.
    pub sort_order: i32,
    /// Working days to sign for an assigned case.
    pub accept_days: i32,
    /// Working days after assignment in which a department may return it.
    pub return_days: i32,
    /// Working days after closure for the 回访.
    pub callback_days: i32,
    /// Working days to rectify after a 差评.
    pub rectify_days: i32,
    /// Rating levels, 3 or 5.
    pub rating_scale: i32,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        ChannelView {
            code: c.code,
            name: c.name,
            time_limit: c.time_limit,
            time_limit_unit: c.time_limit_unit,
            extension_limit: c.extension_limit,
            extension_unit: c.extension_unit,
            tracking_prefix: c.tracking_prefix,
            two_dimension_rating: c.two_dimension_rating,
            sort_order: c.sort_order,
            accept_days: c.accept_days,
            return_days: c.return_days,
            callback_days: c.callback_days,
            rectify_days: c.rectify_days,
            rating_scale: c.rating_scale,
        }
    }
}

/// A closure's 回访 as the API shows it.
#[derive(Debug, Serialize)]
pub struct CallbackView {
    pub state: CallbackState,
    /// When it is due; null when not needed.
    #[serde(with = "serde_office::option")]
    pub due_at: Option<NaiveDateTime>,
    /// Unreached attempts so far.
    pub attempts: i32,
    /// When it was done, or found unreachable.
    #[serde(with = "serde_office::option")]
    pub ended_at: Option<NaiveDateTime>,
}

/// A case's 差评整改 as the API shows it.
#[derive(Debug, Serialize)]
pub struct RectificationView {
    pub state: RectificationState,
    /// The end of the `rectify_days`-th working day after the rating.
    #[serde(with = "serde_office::option")]
    pub due_at: Option<NaiveDateTime>,
    /// Whether it is still to do (open, or refused on appeal) and past its due time.
    pub overdue: bool,
    /// The department's 申诉 reason, once it appealed.
    pub appeal_reason: Option<String>,
    /// The leader's 复核 note, once decided.
    pub decision_note: Option<String>,
}

/// Whether the viewer may see the citizen's phone and email in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// Clerks and admins viewing one case.
    Full,
    /// Everyone and everywhere else.
    Masked,
}

/// An extension request waiting for a decision.
#[derive(Debug, Serialize)]
pub struct PendingExtensionView {
    /// Working days asked for.
    pub days: i32,
    pub reason: Option<String>,
    #[serde(with = "serde_office::option")]
    pub requested_at: Option<NaiveDateTime>,
    /// Who asked.
    pub requested_by: Option<UserId>,
}

/// A case as staff see it.
#[derive(Debug, Serialize)]
pub struct CaseView {
    pub id: CaseId,
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    /// Contact details, masked unless the viewer may see them; null for anonymous letters.
    pub citizen: Option<Citizen>,
    /// Whether the reply may be published.
    pub is_public: bool,
    #[serde(with = "serde_office")]
    pub received_at: NaiveDateTime,
    /// End of the due day.
    #[serde(with = "serde_office::option")]
    pub due_at: Option<NaiveDateTime>,
    pub state: CaseState,
    pub department_id: Option<DepartmentId>,
    pub reply: Option<String>,
    /// When the reply was submitted.
    #[serde(with = "serde_office::option")]
    pub replied_at: Option<NaiveDateTime>,
    /// When it was (last) closed.
    #[serde(with = "serde_office::option")]
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<Rating>,
    /// Result rating in force.
    pub result_rating: Option<Rating>,
    /// Who gave the rating in force.
    pub rating_source: Option<RatingSource>,
    pub rating_comment: Option<String>,
    /// 是否解决 with the rating in force, if the rater said.
    pub resolved: Option<bool>,
    /// When it was rated.
    #[serde(with = "serde_office::option")]
    pub rated_at: Option<NaiveDateTime>,
    /// The case this one duplicates.
    pub duplicate_of: Option<CaseId>,
    /// The case this one is merged into (并单), while it is merged.
    pub merged_into: Option<CaseId>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Whether the open case passed its due date (never while suspended).
    pub overdue: bool,
    /// Working days left until the due day (0 on it, negative after); null once closed.
    pub remaining_workdays: Option<i64>,
    /// Working days still available to extension requests.
    pub extension_allowance_workdays: i64,
    /// Working days granted by approved extensions.
    pub extended_workdays: i32,
    /// Working days the clock stood still in finished pauses.
    pub paused_workdays: i32,
    /// The extension request waiting for a decision.
    pub pending_extension: Option<PendingExtensionView>,
    /// How often it was supervised (督办).
    pub supervision_count: i32,
    /// The last supervision.
    #[serde(with = "serde_office::option")]
    pub last_supervised_at: Option<NaiveDateTime>,
    /// The last supervision's note.
    pub last_supervision_note: Option<String>,
    /// When a clerk approved the letter for publication (信件选登); null when not published.
    #[serde(with = "serde_office::option")]
    pub published_at: Option<NaiveDateTime>,
    /// Who approved it.
    pub published_by: Option<UserId>,
    /// The last closure's 回访; null while open and for closures before callbacks existed.
    pub callback: Option<CallbackView>,
    /// The 差评整改; null while none was needed.
    pub rectification: Option<RectificationView>,
    /// Whether the rating in force is 核减 (excluded from every figure on appeal).
    pub rating_excluded: bool,
    /// When it was 核减.
    #[serde(with = "serde_office::option")]
    pub rating_excluded_at: Option<NaiveDateTime>,
    /// When the department must sign for its latest assignment (签收时限);
    /// null for a case never assigned, or assigned before this was kept.
    #[serde(with = "serde_office::option")]
    pub accept_due_at: Option<NaiveDateTime>,
    /// Version, for `If-Match`.
    pub version: i32,
    #[serde(with = "serde_office")]
    pub created_at: NaiveDateTime,
    /// Last changed.
    #[serde(with = "serde_office")]
    pub updated_at: NaiveDateTime,
}

impl CaseView {
    /// The view of a stored case with contact details as `contact` allows.
    pub fn new(case: Case, contact: Contact, clock: Clock<'_>) -> CaseView {
        let facts = case.facts();
        let callback = case.callback().map(|c| CallbackView {
            state: c.state,
            due_at: c.due_at,
            attempts: c.attempts,
            ended_at: c.at,
        });
        let rectification = case.rectification().map(|r| RectificationView {
            state: r.state,
            due_at: r.due_at,
            overdue: r.is_overdue(clock.now),
            appeal_reason: case.appeal_reason.clone(),
            decision_note: case.appeal_note.clone(),
        });
        let overdue = facts.clock().is_overdue(clock.now);
        let remaining_workdays = facts.clock().remaining_workdays(clock.calendar, clock.now);
        let extension_allowance_workdays = facts.extension_allowance(clock.calendar);
        let pending_extension = case.pending_extension_days.map(|days| PendingExtensionView {
            days,
            reason: case.pending_extension_reason.clone(),
            requested_at: case.pending_extension_at,
            requested_by: case.pending_extension_by,
        });
        let citizen = Citizen {
            name: case.citizen_name,
            phone: case.citizen_phone,
            email: case.citizen_email,
            address: case.citizen_address,
        };
        let citizen = (citizen != Citizen::default()).then(|| match contact {
            Contact::Full => citizen,
            Contact::Masked => citizen.masked(),
        });
        CaseView {
            id: case.id,
            tracking_no: case.tracking_no,
            channel: case.channel,
            external_ref: case.external_ref,
            title: case.title,
            content: case.content,
            category: case.category,
            citizen,
            is_public: case.is_public,
            received_at: case.received_at,
            due_at: case.due_at,
            state: case.state,
            department_id: case.department_id,
            reply: case.reply,
            replied_at: case.replied_at,
            closed_at: case.closed_at,
            rating: case.rating,
            result_rating: case.result_rating,
            rating_source: case.rating_source,
            rating_comment: case.rating_comment,
            resolved: case.resolved,
            rated_at: case.rated_at,
            duplicate_of: case.duplicate_of,
            merged_into: case.merged_into,
            reopen_count: case.reopen_count,
            suspended: case.suspended,
            overdue,
            remaining_workdays,
            extension_allowance_workdays,
            extended_workdays: case.extended_workdays,
            paused_workdays: case.paused_workdays,
            pending_extension,
            supervision_count: case.supervision_count,
            last_supervised_at: case.last_supervised_at,
            last_supervision_note: case.last_supervision_note,
            published_at: case.published_at,
            published_by: case.published_by,
            callback,
            rectification,
            rating_excluded: case.rating_excluded_at.is_some(),
            rating_excluded_at: case.rating_excluded_at,
            accept_due_at: case.accept_due_at,
            version: case.version,
            created_at: case.created_at,
            updated_at: case.updated_at,
        }
    }
}

/// A case in a list: what a clerk or handler scans a queue by. The letter,
/// the reply and the deadline bookkeeping are on the case's own page
/// (`GET /api/v1/cases/{id}`); a page of 50 letters of up to 20,000
/// characters each would otherwise weigh megabytes. Contact details are
/// always masked in lists.
#[derive(Debug, Serialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub tracking_no: String,
    /// Channel code.
    pub channel: String,
    /// The platform's own id.
    pub external_ref: Option<String>,
    pub title: String,
    pub category: Option<String>,
    /// Contact details, masked; null for anonymous letters.
    pub citizen: Option<Citizen>,
    #[serde(with = "serde_office")]
    pub received_at: NaiveDateTime,
    /// End of the due day.
    #[serde(with = "serde_office::option")]
    pub due_at: Option<NaiveDateTime>,
    pub state: CaseState,
    pub department_id: Option<DepartmentId>,
    /// When it was (last) closed.
    #[serde(with = "serde_office::option")]
    pub closed_at: Option<NaiveDateTime>,
    /// Rating in force.
    pub rating: Option<Rating>,
    /// Result rating in force.
    pub result_rating: Option<Rating>,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// Whether the clock is paused.
    pub suspended: bool,
    /// Whether the open case passed its due date (never while suspended).
    pub overdue: bool,
    /// Working days left until the due day; null once closed.
    pub remaining_workdays: Option<i64>,
    /// Whether an extension request waits for a decision.
    pub extension_requested: bool,
    /// How often it was supervised (督办).
    pub supervision_count: i32,
    /// When the 回访 is due, while one is pending.
    #[serde(with = "serde_office::option")]
    pub callback_due_at: Option<NaiveDateTime>,
    /// Where the 差评整改 stands; null while none was needed.
    pub rectification_state: Option<RectificationState>,
    /// When the rectification is due.
    #[serde(with = "serde_office::option")]
    pub rectification_due_at: Option<NaiveDateTime>,
    /// Whether the rating in force is 核减.
    pub rating_excluded: bool,
    /// Version, for `If-Match`.
    pub version: i32,
    /// Last changed.
    #[serde(with = "serde_office")]
    pub updated_at: NaiveDateTime,
}

impl CaseSummary {
    /// The list entry of a stored case.
    pub fn new(row: CaseSummaryRow, clock: Clock<'_>) -> CaseSummary {
        let deadline = row.clock();
        let overdue = deadline.is_overdue(clock.now);
        let remaining_workdays = deadline.remaining_workdays(clock.calendar, clock.now);
        let citizen = Citizen {
            name: row.citizen_name,
            phone: row.citizen_phone,
            email: row.citizen_email,
            address: row.citizen_address,
        };
        CaseSummary {
            id: row.id,
            tracking_no: row.tracking_no,
            channel: row.channel,
            external_ref: row.external_ref,
            title: row.title,
            category: row.category,
            citizen: (citizen != Citizen::default()).then(|| citizen.masked()),
            received_at: row.received_at,
            due_at: row.due_at,
            state: row.state,
            department_id: row.department_id,
            closed_at: row.closed_at,
            rating: row.rating,
            result_rating: row.result_rating,
            reopen_count: row.reopen_count,
            suspended: row.suspended,
            overdue,
            remaining_workdays,
            extension_requested: row.pending_extension_days.is_some(),
            supervision_count: row.supervision_count,
            callback_due_at: row
                .callback_due_at
                .filter(|_| row.callback_state == Some(CallbackState::Pending)),
            rectification_state: row.rectification_state,
            rectification_due_at: row.rectification_due_at,
            rating_excluded: row.rating_excluded_at.is_some(),
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

/// The creation response: the case plus its query code, shown this once.
#[derive(Debug, Serialize)]
pub struct CreatedCaseView {
    #[serde(flatten)]
    pub case: CaseView,
    /// The query code (查询码) for the citizen.
    pub query_code: String,
}

/// One audit-trail entry.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    /// What the entry records: `register`, an action, `overdue`, `due_soon`.
    pub action: EventKind,
    /// Who acted (null for citizens and the system).
    pub actor_id: Option<UserId>,
    #[serde(with = "serde_office")]
    pub at: NaiveDateTime,
    /// State before.
    pub from_state: Option<CaseState>,
    /// State after.
    pub to_state: Option<CaseState>,
    pub note: Option<String>,
    /// Action-specific details.
    pub details: Value,
}

impl From<CaseEvent> for EventView {
    fn from(e: CaseEvent) -> Self {
        EventView {
            id: e.id,
            action: e.action,
            actor_id: e.actor_id,
            at: e.at,
            from_state: e.from_state,
            to_state: e.to_state,
            note: e.note,
            details: e
                .details
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_else(|| Value::Object(Default::default())),
        }
    }
}

/// What a citizen sees of their case: state, due date, and the reply once closed.
#[derive(Debug, Serialize)]
pub struct PublicCaseView {
    pub tracking_no: String,
    pub state: CaseState,
    /// End of the due day.
    #[serde(with = "serde_office::option")]
    pub due_at: Option<NaiveDateTime>,
    /// The approved reply, once closed.
    pub reply: Option<String>,
    /// When it was closed.
    #[serde(with = "serde_office::option")]
    pub closed_at: Option<NaiveDateTime>,
    /// The case a merged letter was put under (已并入), with where that
    /// stands; its reply and closing time are the letter's once it closes.
    pub merged_into: Option<PublicParentView>,
}

/// What a merged letter's writer sees of the case it was merged into: its
/// number and state, nothing else of someone else's letter.
#[derive(Debug, Serialize)]
pub struct PublicParentView {
    pub tracking_no: String,
    pub state: CaseState,
}

impl PublicCaseView {
    /// The view of a letter merged into `parent`: the parent's reply answers it.
    pub fn merged(case: &Case, parent: &Case) -> PublicCaseView {
        let answered = PublicCaseView::from(parent);
        PublicCaseView {
            merged_into: Some(PublicParentView {
                tracking_no: parent.tracking_no.clone(),
                state: parent.state,
            }),
            reply: answered.reply,
            closed_at: answered.closed_at,
            ..PublicCaseView::from(case)
        }
    }
}

impl From<&Case> for PublicCaseView {
    fn from(case: &Case) -> Self {
        let closed = case.state == CaseState::Closed;
        PublicCaseView {
            tracking_no: case.tracking_no.clone(),
            state: case.state,
            due_at: case.due_at,
            reply: if closed { case.reply.clone() } else { None },
            closed_at: if closed { case.closed_at } else { None },
            merged_into: None,
        }
    }
}
