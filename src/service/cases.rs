//! Cases: registering one (once per idempotency key), reading one and its
//! audit trail, the lists and the workbench's queues, and every lifecycle
//! action. The API, the console, the demo loader, the import and the
//! benchmarks all come here, so the rules are kept in one place.
//!
//! The `*_in` functions run inside the caller's transaction (intake: case,
//! tracking counter, first event, rollups, receipt; an action: the case, its
//! event, the rollups and the mail); the others are the use cases, each one
//! database turn.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::access::{self, caller, contact_for, Caller};
use super::paging::{decode_cursor, encode_cursor, page_limit};
use super::views::{CaseList, CaseSummary, CaseView, Contact, CreatedCaseView, EventView};
use crate::auth::{AuthUser, OfficeStaff};
use crate::db::cases::{AssignmentOutcome, CaseFilter, ClosedOutcome, ListOrder};
use crate::db::models::StoredResponse;
use crate::db::models::{Case, CaseChanges, CaseEvent, Channel, Department, NewCaseEvent, NewCaseRow};
use crate::db::{self, DbConnection};
use crate::deadlines::DUE_SOON_WORKDAYS;
use crate::domain::actions::{self, ActionBody, CaseRef, Lookups, MergeTarget};
use crate::domain::calendar::{end_of_day, Clock};
use crate::domain::callback::CallbackState;
use crate::domain::case::{initial_due, CaseFacts};
use crate::domain::event::EventKind;
use crate::domain::figures::Definition;
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::intake::{self, NewCase, NewCaseInput};
use crate::domain::lifecycle::{Action, Actor, CaseState};
use crate::domain::publication::mask_for_publication;
use crate::domain::rating::RatingScale;
use crate::domain::rectification::RectificationState;
use crate::domain::role::Role;
use crate::domain::text::{self, SearchText};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::notify::{self, Notice};
use crate::state::AppState;

/// How long a retry with the same idempotency key is answered from the store.
pub const IDEMPOTENCY_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// Whether `key` may be an idempotency key: 1 to 255 visible ASCII characters.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic())
}

/// The case an intake registered, as a receipt shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedCase {
    /// The case's id.
    pub id: CaseId,
    pub tracking_no: String,
    /// Its query code, shown this once (and to a retry of the same request).
    pub query_code: String,
    /// Its version, for `ETag`.
    pub version: i32,
}

/// What an intake came to.
#[derive(Debug)]
pub struct Intake {
    /// The creation response's body (the case with its query code), exactly
    /// as the first request was answered: a retry gets the same bytes.
    pub body: String,
    /// The case registered, read from that body.
    pub created: CreatedCase,
    /// Whether this was a retry, answered from the store.
    pub replayed: bool,
}

impl Intake {
    /// A retry's answer: the stored body, and the case read back from it.
    fn replayed(body: String) -> Result<Intake, AppError> {
        let created = serde_json::from_str(&body)
            .map_err(|e| AppError::Internal(format!("a stored creation response does not read back: {e}")))?;
        Ok(Intake { body, created, replayed: true })
    }
}

/// The write's outcome.
enum Written {
    /// Created without an idempotency key: the response is built after the
    /// transaction, outside SQLite's writer turn.
    Created(Box<Case>, String, std::sync::Arc<crate::domain::calendar::Calendar>),
    /// Created under an idempotency key: the response was stored with the case.
    Stored(String, CreatedCase),
    /// The key's first response.
    Replayed(StoredResponse),
}

/// The creation response's body, and the case as a receipt shows it.
fn created(case: Case, query_code: String, clock: Clock<'_>) -> Result<(String, CreatedCase), AppError> {
    let receipt = CreatedCase {
        id: case.id,
        tracking_no: case.tracking_no.clone(),
        query_code: query_code.clone(),
        version: case.version,
    };
    let view = CreatedCaseView { case: CaseView::new(case, Contact::Full, clock), query_code };
    let body = serde_json::to_string(&view).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((body, receipt))
}

/// Registers the case `input` describes, once per idempotency `key` (the
/// API's `Idempotency-Key`, the console form's hidden key): a retry within
/// [`IDEMPOTENCY_WINDOW`] gets the first response and creates nothing; the
/// same key with a different request is refused.
pub async fn register(
    state: &AppState,
    OfficeStaff(user): &OfficeStaff,
    key: Option<String>,
    input: NewCaseInput,
) -> Result<Intake, AppError> {
    let fingerprint = serde_json::to_string(&input).map_err(|e| AppError::Internal(e.to_string()))?;
    let request_hash = format!("{:x}", Sha256::digest(fingerprint.as_bytes()));
    let user_id = user.id;
    let now = time::now_utc();
    let this_request = request_hash.clone();
    let key_for_retry = key.clone();
    let db = state.db.clone();
    let outcome = state
        .db
        .write(move |conn| {
            if let Some(key) = &key {
                if let Some(stored) = db::idempotency::find(conn, user_id, key, now - IDEMPOTENCY_WINDOW)? {
                    return Ok(Written::Replayed(stored));
                }
            }
            let channels = db.channels(conn)?;
            let new = input.validate(now, |code| channels.iter().any(|c| c.code == code))?;
            let channel = channel_of(&channels, &new.channel)?;
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            let (case, query_code) = register_in(conn, &new, channel, Registrar::Staff(user_id), clock)?;
            let Some(key) = &key else {
                return Ok(Written::Created(Box::new(case), query_code, calendar));
            };
            let (body, receipt) = created(case, query_code, clock)?;
            let stored =
                StoredResponse { request_hash: request_hash.clone(), status: 201, body: body.clone() };
            if !db::idempotency::store(conn, user_id, key, &stored, now, now - IDEMPOTENCY_WINDOW)? {
                return Err(AppError::IdempotencyKeyTaken);
            }
            Ok(Written::Stored(body, receipt))
        })
        .await;
    let outcome = match outcome {
        // A concurrent retry with the same key committed first: answer as it did.
        Err(AppError::IdempotencyKeyTaken) => {
            let key = key_for_retry.unwrap_or_default();
            let stored = state
                .db
                .read(move |conn| Ok(db::idempotency::find(conn, user_id, &key, now - IDEMPOTENCY_WINDOW)?))
                .await?
                .ok_or(AppError::IdempotencyKeyTaken)?;
            Written::Replayed(stored)
        }
        other => other?,
    };
    match outcome {
        Written::Replayed(stored) if stored.request_hash != this_request => {
            Err(AppError::invalid_field("Idempotency-Key", Rule::KeyReused))
        }
        Written::Replayed(stored) => Intake::replayed(stored.body),
        Written::Created(case, query_code, calendar) => {
            let (body, created) = created(*case, query_code, Clock { calendar: &calendar, now })?;
            Ok(Intake { body, created, replayed: false })
        }
        Written::Stored(body, created) => Ok(Intake { body, created, replayed: false }),
    }
}

/// One case as `user` may see it (masked for their role), or 404.
pub async fn detail(state: &AppState, user: &AuthUser, id: CaseId) -> Result<CaseView, AppError> {
    let acting = caller(user);
    let db = state.db.clone();
    let (case, calendar) =
        state.db.read(move |conn| Ok((access::visible_case(conn, id, &acting)?, db.calendar(conn)?))).await?;
    Ok(CaseView::new(case, contact_for(user), Clock { calendar: &calendar, now: time::now_utc() }))
}

/// A case's audit trail, oldest first, for a user who may see the case.
pub async fn events(state: &AppState, user: &AuthUser, id: CaseId) -> Result<Vec<EventView>, AppError> {
    let acting = caller(user);
    let events = state
        .db
        .read(move |conn| {
            let case = access::visible_case(conn, id, &acting)?;
            Ok(db::events::for_case(conn, case.id)?)
        })
        .await?;
    Ok(events.into_iter().map(Into::into).collect())
}

/// One event of a case's timeline, with the name of whoever took it.
#[derive(Debug)]
pub struct TimelineEvent {
    pub event: CaseEvent,
    /// The staff member's display name; `None` for a citizen or the system.
    pub actor_name: Option<String>,
}

/// Everything the console's case page shows: the case as the user may see
/// it, its channel and department by name, its timeline, the actions this
/// user may take on it now, and the departments it may be assigned to.
#[derive(Debug)]
pub struct CaseFile {
    /// The case, masked for the user's role.
    pub case: CaseView,
    /// The channel's name.
    pub channel_name: String,
    /// The department's name, when it has one.
    pub department_name: Option<String>,
    /// The audit trail, oldest first.
    pub timeline: Vec<TimelineEvent>,
    /// The actions offered to this user in this state.
    pub actions: Vec<Action>,
    /// Active departments, for an assignment.
    pub departments: Vec<Department>,
    /// The levels its channel rates on, for the rating and callback forms.
    pub rating_scale: RatingScale,
    /// What 信件选登 would show of the letter, when publishing is offered:
    /// the clerk sees the masked text before confirming.
    pub publication_preview: Option<PublishedText>,
}

/// A letter's text as published: personal details masked
/// (`domain::publication`), the case's own text unchanged.
#[derive(Debug)]
pub struct PublishedText {
    /// The title.
    pub title: String,
    /// The letter.
    pub content: String,
    /// The reply.
    pub reply: Option<String>,
}

/// Publication is offered only where it can succeed: a letter the citizen
/// let be published and not yet published, or one published now. The state
/// machine allows both on every closed case; the action itself refuses the
/// rest (409), and a form that can only be refused is not worth offering.
fn offered_for_publication(action: Action, consented: bool, published: bool) -> bool {
    match action {
        Action::Publish => consented && !published,
        Action::Unpublish => published,
        _ => true,
    }
}

/// The steps after closure are offered only where they can succeed (the
/// actions refuse the rest): a callback form where one is due, the clerk's
/// rating form only where no callback is due — the callback form is how a
/// rating is recorded then — an appeal of an open rectification, a decision
/// on an appeal waiting.
fn offered_after_closure(action: Action, case: &CaseFacts<'_>) -> bool {
    let callback_due = case.callback.is_some_and(|c| c.state == CallbackState::Pending);
    let rectification = case.rectification.map(|r| r.state);
    match action {
        Action::Callback => callback_due,
        Action::Rate => !callback_due,
        Action::Appeal => rectification == Some(RectificationState::Open),
        Action::DecideAppeal => rectification == Some(RectificationState::Appealed),
        _ => true,
    }
}

/// The case page of `id` for `user`, or 404 when they may not see it.
pub async fn case_file(state: &AppState, user: &AuthUser, id: CaseId) -> Result<CaseFile, AppError> {
    let acting_as = caller(user);
    let db = state.db.clone();
    let (case, calendar, events, departments, users, channels) = state
        .db
        .read(move |conn| {
            let case = access::visible_case(conn, id, &acting_as)?;
            let events = db::events::for_case(conn, case.id)?;
            let departments = db::departments::list(conn)?;
            let users = db::users::list(conn)?;
            Ok((case, db.calendar(conn)?, events, departments, users, db.channels(conn)?))
        })
        .await?;
    let facts = case.facts();
    let actions: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| actions::permitted(&facts, *a, acting_as.actor).is_ok())
        .filter(|a| offered_for_publication(*a, case.is_public, case.published_at.is_some()))
        .filter(|a| offered_after_closure(*a, &facts))
        // A merged case is rated by its citizen, on the parent's reply.
        .filter(|a| !(facts.state == CaseState::Merged && *a == Action::Rate))
        .collect();
    let names: BTreeMap<UserId, String> = users.into_iter().map(|u| (u.id, u.display_name)).collect();
    let timeline = events
        .into_iter()
        .map(|event| TimelineEvent {
            actor_name: event.actor_id.and_then(|id| names.get(&id).cloned()),
            event,
        })
        .collect();
    let channel = channels.iter().find(|c| c.code == case.channel);
    let channel_name = channel.map_or(case.channel.clone(), |c| c.name.clone());
    let rating_scale = channel.map(|c| c.scale()).unwrap_or_default();
    let department_name = case.department_id.map(|id| {
        departments.iter().find(|d| d.id == id).map_or_else(|| format!("单位 {}", id.0), |d| d.name.clone())
    });
    let publication_preview = actions.contains(&Action::Publish).then(|| {
        let writer = case.citizen_name.as_deref();
        PublishedText {
            title: mask_for_publication(&case.title, writer),
            content: mask_for_publication(&case.content, writer),
            reply: case.reply.as_deref().map(|reply| mask_for_publication(reply, writer)),
        }
    });
    let view = CaseView::new(case, contact_for(user), Clock { calendar: &calendar, now: time::now_utc() });
    Ok(CaseFile {
        publication_preview,
        case: view,
        channel_name,
        department_name,
        timeline,
        actions,
        departments: departments.into_iter().filter(|d| d.active).collect(),
        rating_scale,
    })
}

/// Takes `input`'s action on case `id` as `user`, in one transaction; returns
/// the case after it, masked for the user's role.
pub async fn act(
    state: &AppState,
    user: &AuthUser,
    id: CaseId,
    input: ActionInput,
    if_match: Option<i32>,
) -> Result<CaseView, AppError> {
    let acting = caller(user);
    let now = time::now_utc();
    let db = state.db.clone();
    let (case, calendar) = state
        .db
        .write(move |conn| {
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            let case = act_in(conn, id, &acting, input, if_match, clock)?;
            Ok((case, calendar))
        })
        .await?;
    Ok(CaseView::new(case, contact_for(user), Clock { calendar: &calendar, now }))
}

// ---- lists -------------------------------------------------------------------

/// The case list's filters, as query parameters: the API's `GET /cases`
/// and its export, and (with the workbench's own) the console's list.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// States, comma-separated.
    pub state: Option<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Category, exactly as the case holds it.
    pub category: Option<String>,
    pub department_id: Option<String>,
    /// `true`: only overdue open cases.
    pub overdue: Option<String>,
    /// Due before this date or instant.
    pub due_before: Option<String>,
    /// Received at or after.
    pub received_from: Option<String>,
    /// Received before.
    pub received_to: Option<String>,
    /// Text in the title, content or tracking number.
    pub q: Option<String>,
    /// `true`: only supervised cases.
    pub supervised: Option<String>,
    /// `pending`: callbacks due; `overdue`: due and past their due time.
    pub callback: Option<String>,
    /// `open`: rectifications the department still has to make (open, or
    /// refused on appeal); `appealed`: appeals waiting for a decision.
    pub rectification: Option<String>,
    /// A department id: only cases it was assigned (whoever holds them now),
    /// received in the period given — the scorecard's 交办 behind its
    /// 按时签收率 and 退单率.
    pub assigned_to: Option<String>,
    /// With `assigned_to`: `accepted_on_time` (it signed in time) or
    /// `returned` (it handed the case back).
    pub assignment: Option<String>,
    /// `true`: only assigned cases not signed for in time (签收超时).
    pub accept_overdue: Option<String>,
    /// Closed cases by what came of them: `on_time` (closed by the due time),
    /// `rated`, `satisfied` (as the satisfaction rate counts), `resolved`,
    /// `resolution_answered` (said whether resolved); ratings 核减 count in none.
    pub outcome: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// The page cursor.
    pub cursor: Option<String>,
}

fn instant(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDateTime> {
    let raw = raw?;
    let parsed = time::parse_instant(raw);
    if parsed.is_none() {
        errors.add(field, Rule::DateOrTimestamp);
    }
    parsed
}

/// The longest search, in characters as typed.
pub const MAX_QUERY_CHARS: usize = 100;

/// A search as the index answers it: 2 to [`MAX_QUERY_CHARS`] characters, of
/// which at least two letters or digits (punctuation and `%`, `_`, `\` are
/// not searched for: the index keeps letters and digits only), without NUL.
fn search_text(q: &str, errors: &mut FieldErrors) -> Option<SearchText> {
    let typed = q.chars().count();
    if q.contains('\0') {
        errors.add("q", Rule::NulCharacters);
        return None;
    }
    if typed > MAX_QUERY_CHARS {
        errors.add("q", Rule::MaxChars(MAX_QUERY_CHARS));
        return None;
    }
    let search = SearchText::parse(q);
    if search.is_none() {
        let got = text::normalize(q).chars().count();
        errors.add("q", Rule::Length { min: text::MIN_QUERY_CHARS, max: MAX_QUERY_CHARS, got });
    }
    search
}

/// A form's empty field is a filter not given.
fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl CaseQuery {
    /// The query with blank values left out, as a form sends them.
    pub fn without_blanks(&self) -> CaseQuery {
        CaseQuery {
            state: given(&self.state),
            channel: given(&self.channel),
            category: given(&self.category),
            department_id: given(&self.department_id),
            overdue: given(&self.overdue),
            due_before: given(&self.due_before),
            received_from: given(&self.received_from),
            received_to: given(&self.received_to),
            q: given(&self.q),
            supervised: given(&self.supervised),
            callback: given(&self.callback),
            rectification: given(&self.rectification),
            assigned_to: given(&self.assigned_to),
            assignment: given(&self.assignment),
            accept_overdue: given(&self.accept_overdue),
            outcome: given(&self.outcome),
            limit: given(&self.limit),
            cursor: given(&self.cursor),
        }
    }

    /// Whether the filter names channel `code`.
    pub fn channel_is(&self, code: &str) -> bool {
        self.channel.as_deref() == Some(code)
    }

    /// Whether the filter names department `id`.
    pub fn department_is(&self, id: &i64) -> bool {
        self.department_id.as_deref().and_then(|d| d.parse::<i64>().ok()) == Some(*id)
    }

    /// Whether the filter names state `code`.
    pub fn state_is(&self, code: &str) -> bool {
        self.state.as_deref() == Some(code)
    }

    /// The filters as query-string pairs, in a stable order (the console's
    /// links to the list and to its export).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let fields = [
            ("state", &self.state),
            ("channel", &self.channel),
            ("category", &self.category),
            ("department_id", &self.department_id),
            ("overdue", &self.overdue),
            ("due_before", &self.due_before),
            ("received_from", &self.received_from),
            ("received_to", &self.received_to),
            ("q", &self.q),
            ("supervised", &self.supervised),
            ("callback", &self.callback),
            ("rectification", &self.rectification),
            ("assigned_to", &self.assigned_to),
            ("assignment", &self.assignment),
            ("accept_overdue", &self.accept_overdue),
            ("outcome", &self.outcome),
        ];
        fields.into_iter().filter_map(|(name, value)| given(value).map(|v| (name, v))).collect()
    }

    /// The filter and page size for `user`: a handler's list is their department's.
    pub fn into_filter(
        self,
        user: &AuthUser,
        definition: &Definition,
    ) -> Result<(CaseFilter, i64), AppError> {
        let mut errors = FieldErrors::new();
        let mut filter = CaseFilter::default();
        if let Some(states) = &self.state {
            for name in states.split(',').map(str::trim) {
                match CaseState::parse(name) {
                    Some(s) => filter.states.push(s),
                    None => errors.add("state", Rule::UnknownState(name.to_owned())),
                }
            }
        }
        filter.channel = self.channel.filter(|c| !c.is_empty());
        filter.category = self.category.filter(|c| !c.is_empty());
        filter.department_id = match self.department_id.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(DepartmentId(id)),
            Some(Err(_)) => {
                errors.add("department_id", Rule::DepartmentId);
                None
            }
        };
        match self.overdue.as_deref() {
            None | Some("false") => {}
            Some("true") => filter.overdue_at = Some(time::now_utc()),
            Some(_) => errors.add("overdue", Rule::Boolean),
        }
        match self.supervised.as_deref() {
            None | Some("false") => {}
            Some("true") => filter.supervised = true,
            Some(_) => errors.add("supervised", Rule::Boolean),
        }
        match self.callback.as_deref() {
            None => {}
            Some("pending") => filter.callback_due_before = Some(None),
            Some("overdue") => filter.callback_due_before = Some(Some(time::now_utc())),
            Some(_) => errors.add("callback", Rule::OneOf(&["pending", "overdue"])),
        }
        match self.rectification.as_deref() {
            None => {}
            Some("open") => filter.rectification_states = RectificationState::TO_RECTIFY.to_vec(),
            Some("appealed") => filter.rectification_states = vec![RectificationState::Appealed],
            Some(_) => errors.add("rectification", Rule::OneOf(&["open", "appealed"])),
        }
        filter.assigned_to = match self.assigned_to.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(DepartmentId(id)),
            Some(Err(_)) => {
                errors.add("assigned_to", Rule::DepartmentId);
                None
            }
        };
        filter.assignment = match self.assignment.as_deref() {
            None => None,
            Some(code) => {
                let parsed = AssignmentOutcome::parse(code);
                if parsed.is_none() {
                    errors.add("assignment", Rule::OneOf(AssignmentOutcome::CODES));
                } else if filter.assigned_to.is_none() {
                    errors.add("assigned_to", Rule::Required);
                }
                parsed
            }
        };
        match self.accept_overdue.as_deref() {
            None | Some("false") => {}
            Some("true") => filter.accept_overdue_at = Some(time::now_utc()),
            Some(_) => errors.add("accept_overdue", Rule::Boolean),
        }
        filter.outcome = match self.outcome.as_deref() {
            None => None,
            Some(code) => {
                let parsed = ClosedOutcome::parse(code, &definition.satisfied_ratings);
                if parsed.is_none() {
                    errors.add("outcome", Rule::OneOf(ClosedOutcome::CODES));
                }
                parsed
            }
        };
        filter.due_before = instant(&mut errors, "due_before", self.due_before.as_deref());
        filter.received_from = instant(&mut errors, "received_from", self.received_from.as_deref());
        filter.received_to = instant(&mut errors, "received_to", self.received_to.as_deref());
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            filter.text = search_text(q, &mut errors);
        }
        let limit = page_limit(self.limit.as_deref(), &mut errors);
        filter.before_id = self.cursor.as_deref().and_then(|c| decode_cursor(c, &mut errors)).map(CaseId);
        if let Some(own) = user.department_scope() {
            // A handler asking for another department gets nothing, not an error.
            if filter.department_id.is_some_and(|asked| asked != own) {
                filter.department_id = Some(DepartmentId(-1));
            } else {
                filter.department_id = Some(own);
            }
        }
        errors.into_result((filter, limit)).map_err(Into::into)
    }
}

/// The API's list: newest first, filtered, paged by cursor. Contact details
/// are always masked in lists.
pub async fn list(state: &AppState, user: &AuthUser, query: CaseQuery) -> Result<CaseList, AppError> {
    let (filter, limit) = query.into_filter(user, &state.settings.definition)?;
    let db = state.db.clone();
    let (rows, more, total, calendar) = state
        .db
        .read(move |conn| {
            let (rows, more) = db::cases::list(conn, &filter, limit)?;
            // A search's total is over every page, so counted without the cursor.
            let total = match filter.text {
                Some(_) => Some(db::cases::count(
                    conn,
                    &CaseFilter { before_id: None, ..filter },
                    db::cases::SEARCH_CAP,
                )?),
                None => None,
            };
            Ok((rows, more, total, db.calendar(conn)?))
        })
        .await?;
    let next_cursor = if more { rows.last().map(|c| encode_cursor(c.id.0)) } else { None };
    let clock = Clock { calendar: &calendar, now: time::now_utc() };
    let items = rows.into_iter().map(|c| CaseSummary::new(c, clock)).collect();
    Ok(CaseList {
        items,
        next_cursor,
        total: total.map(|n| n.min(db::cases::SEARCH_CAP)),
        total_capped: total.map(|n| n > db::cases::SEARCH_CAP),
    })
}

/// A queue of the workbench: a named, one-click filter of a role's daily work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// 待分办: registered, not yet routed.
    Registered,
    /// 待审核: replies waiting for the office's review.
    Reviewing,
    /// 延期申请: extension requests waiting for a decision.
    Extension,
    /// 已超期.
    Overdue,
    /// 待签收: routed to the department, not yet signed for.
    Assigned,
    /// 办理中, soonest due first.
    Processing,
    /// 即将到期: due within two working days, not yet overdue.
    DueSoon,
    /// 被驳回: the reply was sent back.
    Rejected,
    /// 待回访: callbacks due, overdue (earliest due) first.
    Callback,
    /// 待整改: rectifications to make (open, or refused on appeal), earliest due first.
    Rectification,
    /// 待复核: appeals waiting for a leader's decision.
    Appeal,
}

impl Queue {
    /// Every queue.
    pub const ALL: [Queue; 11] = [
        Queue::Registered,
        Queue::Reviewing,
        Queue::Extension,
        Queue::Overdue,
        Queue::Assigned,
        Queue::Processing,
        Queue::DueSoon,
        Queue::Rejected,
        Queue::Callback,
        Queue::Rectification,
        Queue::Appeal,
    ];

    /// The name in `?queue=`.
    pub fn code(self) -> &'static str {
        match self {
            Queue::Registered => "registered",
            Queue::Reviewing => "reviewing",
            Queue::Extension => "extension",
            Queue::Overdue => "overdue",
            Queue::Assigned => "assigned",
            Queue::Processing => "processing",
            Queue::DueSoon => "due_soon",
            Queue::Rejected => "rejected",
            Queue::Callback => "callback",
            Queue::Rectification => "rectification",
            Queue::Appeal => "appeal",
        }
    }

    /// The queue named `code`.
    pub fn parse(code: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.code() == code)
    }

    /// The queues a role works from.
    pub fn of(role: Role) -> &'static [Queue] {
        match role {
            Role::Handler => {
                &[Queue::Assigned, Queue::Processing, Queue::DueSoon, Queue::Rejected, Queue::Rectification]
            }
            Role::Clerk => &[
                Queue::Registered,
                Queue::Reviewing,
                Queue::Extension,
                Queue::Overdue,
                Queue::Callback,
                Queue::Rectification,
            ],
            // Leaders and admins decide appeals (复核).
            Role::Leader | Role::Admin => &[
                Queue::Registered,
                Queue::Reviewing,
                Queue::Extension,
                Queue::Overdue,
                Queue::Callback,
                Queue::Rectification,
                Queue::Appeal,
            ],
        }
    }

    /// The queue in the list's own filters, where they can say it (the
    /// export takes only those).
    pub fn as_list_filter(self) -> Option<(&'static str, &'static str)> {
        match self {
            Queue::Registered => Some(("state", "registered")),
            Queue::Reviewing => Some(("state", "reviewing")),
            Queue::Assigned => Some(("state", "assigned")),
            Queue::Processing => Some(("state", "processing")),
            Queue::Overdue => Some(("overdue", "true")),
            Queue::Callback => Some(("callback", "pending")),
            Queue::Rectification => Some(("rectification", "open")),
            Queue::Appeal => Some(("rectification", "appealed")),
            Queue::Extension | Queue::DueSoon | Queue::Rejected => None,
        }
    }

    /// Narrows `filter` to the queue; returns the order the queue is worked in.
    fn apply(self, filter: &mut CaseFilter, now: NaiveDateTime, due_soon_end: NaiveDateTime) -> ListOrder {
        match self {
            Queue::Registered => filter.states = vec![CaseState::Registered],
            Queue::Reviewing => filter.states = vec![CaseState::Reviewing],
            Queue::Extension => filter.extension_requested = true,
            Queue::Overdue => filter.overdue_at = Some(now),
            Queue::Assigned => filter.states = vec![CaseState::Assigned],
            Queue::Processing => {
                filter.states = vec![CaseState::Processing];
                return ListOrder::SoonestDue;
            }
            Queue::DueSoon => {
                filter.due_between = Some((now, due_soon_end));
                return ListOrder::SoonestDue;
            }
            Queue::Rejected => {
                filter.states = vec![CaseState::Processing];
                filter.replied = true;
            }
            Queue::Callback => {
                filter.callback_due_before = Some(None);
                return ListOrder::CallbackDue;
            }
            Queue::Rectification => {
                filter.rectification_states = RectificationState::TO_RECTIFY.to_vec();
                return ListOrder::RectificationDue;
            }
            Queue::Appeal => {
                filter.rectification_states = vec![RectificationState::Appealed];
                return ListOrder::RectificationDue;
            }
        }
        ListOrder::Newest
    }
}

/// The workbench's query: the list's filters, a queue, "not yet routed", the page.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct WorkbenchQuery {
    /// The list's filters.
    #[serde(flatten)]
    pub filters: CaseQuery,
    /// `true`: only cases not yet routed (office staff).
    pub unassigned: Option<String>,
    /// A queue's code.
    pub queue: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
}

impl WorkbenchQuery {
    /// The queue asked for, if it is one.
    pub fn queue(&self) -> Option<Queue> {
        given(&self.queue).and_then(|code| Queue::parse(&code))
    }

    /// The page asked for (1 when absent or out of range).
    pub fn page(&self) -> i64 {
        given(&self.page)
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1)
    }

    /// Whether only unrouted cases are asked for.
    pub fn unassigned(&self) -> bool {
        given(&self.unassigned).as_deref() == Some("true")
    }

    /// The view in the list's own filters (for the export), or `None` when
    /// it has a filter the list cannot say.
    pub fn as_list_query(&self) -> Option<Vec<(&'static str, String)>> {
        let queue = self.queue();
        if self.unassigned() || queue.is_some_and(|q| q.as_list_filter().is_none()) {
            return None;
        }
        let mut pairs = self.filters.pairs();
        if let Some((name, value)) = queue.and_then(Queue::as_list_filter) {
            pairs.retain(|(n, _)| *n != name);
            pairs.push((name, value.to_owned()));
        }
        Some(pairs)
    }
}

/// Cases on one page of the workbench.
pub const WORKBENCH_PAGE: i64 = 50;
/// The workbench counts its total exactly up to this many cases; beyond, it
/// says "more than" (an exact count over a million rows costs more than the page).
pub const COUNT_CAP: i64 = 10_000;

/// A page of the workbench.
#[derive(Debug)]
pub struct Workbench {
    /// The cases, masked as lists are.
    pub rows: Vec<CaseSummary>,
    /// Whether another page follows.
    pub more: bool,
    /// How many cases match, counted up to just past `cap`.
    pub total: i64,
    /// How far the total was counted: [`COUNT_CAP`], or for a search
    /// `db::cases::SEARCH_CAP` (each match is checked against its text).
    pub cap: i64,
}

/// One page of the workbench for `user`: the list's filters (a handler
/// confined to their department), narrowed to a queue, newest or soonest due first.
pub async fn workbench(
    state: &AppState,
    user: &AuthUser,
    query: &WorkbenchQuery,
) -> Result<Workbench, AppError> {
    let (mut filter, _) = query.filters.without_blanks().into_filter(user, &state.settings.definition)?;
    if query.unassigned() && user.department_scope().is_none() {
        filter.unassigned = true;
    }
    let queue = query.queue();
    let page = query.page();
    let now = time::now_utc();
    let db = state.db.clone();
    state
        .db
        .read(move |conn| {
            let calendar = db.calendar(conn)?;
            let due_soon_end =
                end_of_day(calendar.add_workdays(time::office_date(now), DUE_SOON_WORKDAYS as u32));
            let order = queue.map_or(ListOrder::Newest, |q| q.apply(&mut filter, now, due_soon_end));
            let cap = if filter.text.is_some() { db::cases::SEARCH_CAP } else { COUNT_CAP };
            let (rows, more) =
                db::cases::list_page(conn, &filter, order, (page - 1) * WORKBENCH_PAGE, WORKBENCH_PAGE)?;
            let total =
                if page == 1 && !more { rows.len() as i64 } else { db::cases::count(conn, &filter, cap)? };
            let clock = Clock { calendar: &calendar, now };
            let rows = rows.into_iter().map(|r| CaseSummary::new(r, clock)).collect();
            Ok(Workbench { rows, more, total, cap })
        })
        .await
}

// ---- in the caller's transaction ---------------------------------------------

/// Who registers a case.
#[derive(Debug, Clone, Copy)]
pub enum Registrar {
    /// A clerk (or admin) logging a letter, call or platform message.
    Staff(UserId),
    /// A citizen writing to the public mailbox; `mail_receipt` is false
    /// when their address has had as many receipts today as it may.
    Citizen {
        /// Whether the receipt is mailed (when an address was given).
        mail_receipt: bool,
    },
}

/// Registers a case; returns it with its query code (the only time the code
/// exists in clear). Refuses a second case with the same external reference in
/// a channel with 409 `duplicate`, naming the existing case.
pub fn register_in(
    conn: &mut DbConnection,
    new: &NewCase,
    channel: &Channel,
    registrar: Registrar,
    clock: Clock<'_>,
) -> Result<(Case, String), AppError> {
    let now = clock.now;
    if let Some(external_ref) = &new.external_ref {
        if let Some(existing) = db::cases::find_by_external_ref(conn, &new.channel, external_ref)? {
            return Err(AppError::Duplicate {
                detail: format!(
                    "channel '{}' already has case {} for external reference '{external_ref}'",
                    new.channel, existing.tracking_no
                ),
                existing: Some(json!({
                    "existing_case_id": existing.id,
                    "existing_tracking_no": existing.tracking_no,
                })),
            });
        }
    }
    let (time_limit, extension_limit) = channel
        .limits()
        .ok_or_else(|| AppError::Internal(format!("channel {} has invalid limits", channel.code)))?;
    let due_at = initial_due(clock.calendar, time_limit, new.received_at);
    let year = intake::tracking_year(new.received_at);
    let sequence = db::cases::next_sequence(conn, &channel.code, year)?;
    let tracking_no = intake::tracking_number(&channel.tracking_prefix, year, sequence);
    let query_code = intake::new_query_code();
    let (created_by, source) = match registrar {
        Registrar::Staff(id) => (Some(id), "staff"),
        Registrar::Citizen { .. } => (None, "citizen"),
    };
    let row = NewCaseRow {
        query_code_hash: intake::hash_query_code(&tracking_no, &query_code),
        tracking_no,
        channel: channel.code.clone(),
        external_ref: new.external_ref.clone(),
        title: new.title.clone(),
        content: new.content.clone(),
        category: new.category.clone(),
        citizen_name: new.citizen.name.clone(),
        citizen_phone: new.citizen.phone.clone(),
        citizen_email: new.citizen.email.clone(),
        citizen_address: new.citizen.address.clone(),
        is_public: new.is_public,
        received_at: new.received_at,
        due_at: Some(due_at),
        state: CaseState::Registered,
        created_by,
        created_at: now,
        updated_at: now,
        time_limit: Some(time_limit.amount as i32),
        time_limit_unit: Some(time_limit.unit),
        extension_limit: Some(extension_limit.amount as i32),
        extension_unit: Some(extension_limit.unit),
        department_id: None,
        reply: None,
        replied_at: None,
        closed_at: None,
        rating: None,
        result_rating: None,
        rating_source: None,
        rated_at: None,
        handling_seconds: None,
        handling_workdays: None,
        resolved: None,
        callback_state: None,
        callback_due_at: None,
        callback_at: None,
        rectification_state: None,
        rectification_due_at: None,
        rating_excluded_at: None,
    };
    // Two intakes of one external reference at once both pass the check
    // above; the unique index lets only one of them in.
    let case = db::cases::insert(conn, &row).map_err(|error| match &new.external_ref {
        Some(external_ref) if db::is_unique_violation(&error) => AppError::Duplicate {
            detail: format!(
                "channel '{}' already has a case for external reference '{external_ref}'",
                new.channel
            ),
            existing: None,
        },
        _ => error.into(),
    })?;
    db::events::append(
        conn,
        &NewCaseEvent {
            case_id: case.id,
            action: EventKind::Register,
            actor_id: created_by,
            at: now,
            from_state: None,
            to_state: Some(CaseState::Registered),
            note: None,
            details: Some(json!({ "source": source, "channel": case.channel }).to_string()),
        },
    )?;
    // Its text index and 热点 counts are the indexer's, with other cases'
    // (see `db::search`): the figures alone move here.
    db::rollups::apply_figures(conn, None, Some(&case))?;
    db::search::queue_case(conn, case.id)?;
    if !matches!(registrar, Registrar::Citizen { mail_receipt: false }) {
        notify::enqueue(conn, Notice::Receipt, &case, json!({ "query_code": query_code }), now)?;
    }
    Ok((case, query_code))
}

/// The channel a new case names, from the list of channels.
pub fn channel_of<'a>(channels: &'a [Channel], code: &str) -> Result<&'a Channel, AppError> {
    channels
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::invalid_field("channel", Rule::UnknownChannel(code.to_owned())))
}

/// An action's body: typed by a program (the demo), or JSON from a request,
/// read only once the actor and the state allow the action, so that the
/// refusals come in the documented order (404, 409 version, 403, 409 state, 422).
#[derive(Debug, Clone)]
pub enum ActionInput {
    /// A body already typed.
    Typed(ActionBody),
    /// The JSON body of `POST /cases/{id}/{action}`.
    Json(Action, Value),
}

impl ActionInput {
    fn action(&self) -> Action {
        match self {
            ActionInput::Typed(body) => body.action(),
            ActionInput::Json(action, _) => *action,
        }
    }

    fn into_body(self) -> Result<ActionBody, AppError> {
        match self {
            ActionInput::Typed(body) => Ok(body),
            ActionInput::Json(action, json) => Ok(ActionBody::parse(action, json)?),
        }
    }
}

impl From<ActionBody> for ActionInput {
    fn from(body: ActionBody) -> Self {
        ActionInput::Typed(body)
    }
}

/// Looks up what the action's rules need beyond the case itself.
fn lookups(
    conn: &mut DbConnection,
    case: &Case,
    body: &ActionBody,
    actor: Actor,
) -> Result<Lookups, AppError> {
    let department_active = match body.department_id() {
        Some(id) => db::departments::find(conn, id)?.map(|d| d.active),
        None => None,
    };
    let original = match body.duplicate_of() {
        Some(id) => db::cases::find(conn, id)?.map(|c| (c.state, c.tracking_no)),
        None => None,
    };
    let (two_dimension_rating, rating_scale, callback_days, rectify_days) = match body {
        ActionBody::Rate(_) | ActionBody::Callback(_) | ActionBody::Approve(_) => {
            let channel = db::channels::find(conn, &case.channel)?
                .ok_or_else(|| AppError::Internal(format!("channel {} missing", case.channel)))?;
            (channel.two_dimension_rating, channel.scale(), channel.callback_days, channel.rectify_days)
        }
        _ => (false, RatingScale::default(), 0, 0),
    };
    // A merge's parent is held until the merge commits, so that it cannot
    // close (leaving this case unanswered) or be made invalid meanwhile.
    let merge_target = match (body, body.merge_into(), case.merged_into) {
        (ActionBody::Merge(_), Some(into), _) => {
            let target = match into {
                CaseRef::Id(id) => db::cases::find(conn, *id)?,
                CaseRef::TrackingNo(number) => db::cases::find_by_tracking_no(conn, number.trim())?,
            };
            match target {
                Some(target) if target.id != case.id => {
                    db::cases::lock_row(conn, target.id)?;
                    db::cases::find(conn, target.id)?
                }
                other => other,
            }
        }
        (ActionBody::Unmerge(_), _, Some(parent)) => db::cases::find(conn, parent)?,
        _ => None,
    }
    .map(|t| MergeTarget {
        id: t.id,
        tracking_no: t.tracking_no,
        state: t.state,
        merged_into: t.merged_into,
    });
    let merged_cases = match body {
        ActionBody::Merge(_) | ActionBody::Invalidate(_) | ActionBody::MarkDuplicate(_) => {
            db::cases::count_merged_into(conn, case.id)?
        }
        _ => 0,
    };
    // A merged case is answered by its parent's closure: the citizen rates
    // once per closure of the parent.
    let parent_closed_at = match (body, case.state, case.merged_into) {
        (ActionBody::Rate(_), CaseState::Merged, Some(parent)) => {
            db::cases::find(conn, parent)?.filter(|p| p.state == CaseState::Closed).and_then(|p| p.closed_at)
        }
        _ => None,
    };
    let citizen_rated_this_closure = match body {
        ActionBody::Rate(_) if actor == Actor::Citizen => match parent_closed_at {
            Some(closed_at) => db::events::citizen_rated_since(conn, case.id, closed_at)?,
            None => super::letters::citizen_rated_this_closure(conn, case)?,
        },
        _ => false,
    };
    // Only a return needs its window: the latest assignment and the channel's setting.
    let (assigned_at, return_days) = match body {
        ActionBody::Return(_) => {
            let channel = db::channels::find(conn, &case.channel)?
                .ok_or_else(|| AppError::Internal(format!("channel {} missing", case.channel)))?;
            (db::events::latest_at(conn, case.id, Action::Assign)?, channel.return_days)
        }
        _ => (None, 0),
    };
    let accept_days = match body {
        ActionBody::Assign(_) => {
            db::channels::find(conn, &case.channel)?
                .ok_or_else(|| AppError::Internal(format!("channel {} missing", case.channel)))?
                .accept_days
        }
        _ => 0,
    };
    Ok(Lookups {
        merge_target,
        merged_cases,
        parent_closed_at,
        assigned_at,
        return_days,
        accept_days,
        department_active,
        original,
        two_dimension_rating,
        rating_scale,
        callback_days,
        rectify_days,
        citizen_rated_this_closure,
    })
}

/// Takes an action on case `id`: checks visibility and `If-Match`, asks
/// `domain::actions` what the action does, and writes that — the case, its
/// event, the rollups and the mail — in the caller's transaction. Concurrent
/// actions on one case serialise on its version: the loser re-reads the case
/// and is judged against its new state.
pub fn act_in(
    conn: &mut DbConnection,
    id: CaseId,
    acting: &Caller,
    input: ActionInput,
    if_match: Option<i32>,
    clock: Clock<'_>,
) -> Result<Case, AppError> {
    let action = input.action();
    if action == Action::Merge {
        db::locks::transaction_lock(conn, db::locks::MERGES)?;
    }
    let mut body = None;
    let mut input = Some(input);
    loop {
        let case = access::visible_case(conn, id, acting)?;
        if let Some(expected) = if_match {
            if expected != case.version {
                return Err(AppError::VersionConflict { current: case.version });
            }
        }
        actions::permitted(&case.facts(), action, acting.actor)?;
        let body = match (&mut body, input.take()) {
            (Some(body), _) => body,
            (slot, Some(input)) => slot.insert(input.into_body()?),
            (None, None) => unreachable!("the input is read on the first round"),
        };
        let lookups = lookups(conn, &case, body, acting.actor)?;
        let step = actions::ActionContext { actor: acting.actor, user_id: acting.user_id, clock };
        let effect = actions::effect(&case.facts(), body, step, &lookups)?;
        let changes = CaseChanges::from(&effect.update);
        let Some(after) =
            db::cases::update_if_version(conn, case.id, case.version, effect.state, &changes, clock.now)?
        else {
            continue;
        };
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: case.id,
                action: action.into(),
                actor_id: acting.user_id,
                at: clock.now,
                from_state: Some(case.state),
                to_state: Some(effect.state),
                note: effect.note,
                details: Some(effect.details.to_string()),
            },
        )?;
        db::rollups::apply(conn, Some(&case), Some(&after))?;
        record_assignment(conn, action, &case, &after, &effect.details, clock.now)?;
        if after.published_at != case.published_at {
            db::letters::record_publication(conn, &after)?;
        }
        if let Some((notice, extra)) = effect.notice {
            notify::enqueue(conn, notice, &after, extra, clock.now)?;
        }
        if after.state == CaseState::Closed && case.state != CaseState::Closed {
            // The cases merged into this one are answered by its reply.
            for merged in db::cases::merged_into(conn, after.id)? {
                let extra = json!({ "reply": after.reply, "merged_into_tracking_no": after.tracking_no });
                notify::enqueue(conn, Notice::Closed, &merged, extra, clock.now)?;
            }
        }
        return Ok(after);
    }
}

/// Keeps the department's assignments in step with an action on the case:
/// an assignment opens one (and ends the one before), signing for the case
/// or handing it back closes the department's current one.
fn record_assignment(
    conn: &mut DbConnection,
    action: Action,
    before: &Case,
    after: &Case,
    details: &Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    match action {
        Action::Assign => {
            let (Some(department), Some(accept_due_at)) = (after.department_id, after.accept_due_at) else {
                return Err(AppError::Internal(format!("case {} assigned without a department", after.id)));
            };
            db::assignments::assigned(conn, after, department, now, accept_due_at)?;
        }
        Action::Accept => db::assignments::accepted(conn, before.id, now)?,
        // A merged case waits for its parent's reply: its department's
        // assignment ends, neither signed for nor handed back.
        Action::Merge => db::assignments::ended(conn, before.id, now)?,
        Action::Return => {
            db::assignments::returned(conn, before.id, now, details["reason_code"].as_str())?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publication_is_offered_only_where_it_can_succeed() {
        assert!(offered_for_publication(Action::Publish, true, false));
        assert!(!offered_for_publication(Action::Publish, false, false), "the citizen did not consent");
        assert!(!offered_for_publication(Action::Publish, true, true), "published already");
        assert!(offered_for_publication(Action::Unpublish, true, true));
        assert!(!offered_for_publication(Action::Unpublish, true, false));
        assert!(offered_for_publication(Action::Approve, false, false));
    }

    #[test]
    fn the_workbench_takes_the_lists_filters_and_its_own() {
        let query: WorkbenchQuery =
            serde_urlencoded::from_str("state=&channel=mailbox&queue=overdue&page=2&junk=1").unwrap();
        assert_eq!(query.filters.channel.as_deref(), Some("mailbox"));
        assert_eq!(query.filters.without_blanks().state, None, "a form's empty field is no filter");
        assert_eq!((query.queue(), query.page()), (Some(Queue::Overdue), 2));
        let export = query.as_list_query().unwrap();
        assert_eq!(export, [("channel", "mailbox".to_owned()), ("overdue", "true".to_owned())]);
        let extension: WorkbenchQuery = serde_urlencoded::from_str("queue=extension").unwrap();
        assert!(extension.as_list_query().is_none(), "the list's filters cannot say it");
        for role in Role::ALL {
            assert!(!Queue::of(role).is_empty());
        }
    }
}
