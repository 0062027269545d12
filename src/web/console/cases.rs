//! `/console/cases`: the workbench list — the API's filters as a form, the
//! role's queues as one-click filters, pages of 50, and the total.
//!
//! The filters are the API list's own (`api::cases::ListQuery::into_filter`,
//! which also confines a handler to their department); a queue adds what
//! the API has no parameter for (extension requests waiting, replies sent
//! back, due within two working days) and may sort by due date.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::messages;
use crate::api::cases::ListQuery;
use crate::api::views::{CaseSummary, Clock};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::db::cases::{CaseFilter, ListOrder};
use crate::db::{self};
use crate::deadlines::DUE_SOON_WORKDAYS;
use crate::domain::calendar::end_of_day;
use crate::domain::lifecycle::CaseState;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::errors::PageError;
use crate::web::home::html;
use crate::web::layout::{beijing_naive, Layout};
use crate::web::session::Session;
use crate::web::words;

/// Cases per page.
const PAGE_SIZE: i64 = 50;
/// The total is counted exactly up to this many cases; beyond, the page says
/// "more than" (an exact count over a million rows costs more than the page).
pub const COUNT_CAP: i64 = 10_000;

/// A queue: a named, one-click filter of a role's daily work.
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
}

impl Queue {
    const ALL: [Queue; 8] = [
        Queue::Registered,
        Queue::Reviewing,
        Queue::Extension,
        Queue::Overdue,
        Queue::Assigned,
        Queue::Processing,
        Queue::DueSoon,
        Queue::Rejected,
    ];

    fn code(self) -> &'static str {
        match self {
            Queue::Registered => "registered",
            Queue::Reviewing => "reviewing",
            Queue::Extension => "extension",
            Queue::Overdue => "overdue",
            Queue::Assigned => "assigned",
            Queue::Processing => "processing",
            Queue::DueSoon => "due_soon",
            Queue::Rejected => "rejected",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Queue::Registered => "待分办",
            Queue::Reviewing => "待审核",
            Queue::Extension => "延期申请",
            Queue::Overdue => "已超期",
            Queue::Assigned => "待签收",
            Queue::Processing => "办理中",
            Queue::DueSoon => "即将到期",
            Queue::Rejected => "被驳回",
        }
    }

    fn parse(code: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.code() == code)
    }

    /// The queues a role works from.
    fn of(role: Role) -> &'static [Queue] {
        match role {
            Role::Handler => &[Queue::Assigned, Queue::Processing, Queue::DueSoon, Queue::Rejected],
            _ => &[Queue::Registered, Queue::Reviewing, Queue::Extension, Queue::Overdue],
        }
    }

    /// The queue as the API list's own filters, where it can be said in them
    /// (the export takes only those).
    fn as_api_filter(self) -> Option<(&'static str, &'static str)> {
        match self {
            Queue::Registered => Some(("state", "registered")),
            Queue::Reviewing => Some(("state", "reviewing")),
            Queue::Assigned => Some(("state", "assigned")),
            Queue::Processing => Some(("state", "processing")),
            Queue::Overdue => Some(("overdue", "true")),
            Queue::Extension | Queue::DueSoon | Queue::Rejected => None,
        }
    }

    /// Narrows `filter` to the queue; returns the order the queue is worked in.
    fn apply(
        self,
        filter: &mut CaseFilter,
        now: chrono::NaiveDateTime,
        due_soon_end: chrono::NaiveDateTime,
    ) -> ListOrder {
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
        }
        ListOrder::Newest
    }
}

/// The list's query: the API list's filters, plus the queue and the page.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CasesQuery {
    /// States, comma-separated (one from the form's select).
    pub state: Option<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Department id.
    pub department_id: Option<String>,
    /// `true`: only overdue.
    pub overdue: Option<String>,
    /// Due before this date.
    pub due_before: Option<String>,
    /// Received from this date.
    pub received_from: Option<String>,
    /// Received before this date.
    pub received_to: Option<String>,
    /// Text search.
    pub q: Option<String>,
    /// `true`: only supervised.
    pub supervised: Option<String>,
    /// `true`: only cases not yet routed.
    pub unassigned: Option<String>,
    /// A queue's code.
    pub queue: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
}

fn set(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl CasesQuery {
    fn list_query(&self) -> ListQuery {
        ListQuery {
            state: set(&self.state),
            channel: set(&self.channel),
            department_id: set(&self.department_id),
            overdue: set(&self.overdue),
            due_before: set(&self.due_before),
            received_from: set(&self.received_from),
            received_to: set(&self.received_to),
            q: set(&self.q),
            supervised: set(&self.supervised),
            limit: None,
            cursor: None,
        }
    }

    /// Whether the form's channel is `code`.
    pub fn channel_is(&self, code: &str) -> bool {
        self.channel.as_deref() == Some(code)
    }

    /// Whether the form's department is `id`.
    pub fn department_is(&self, id: &i64) -> bool {
        self.department_id.as_deref().and_then(|d| d.parse::<i64>().ok()) == Some(*id)
    }

    /// Whether the form's state is `code`.
    pub fn state_is(&self, code: &str) -> bool {
        self.state.as_deref() == Some(code)
    }

    /// The export's query string: the list's API filters (the queue said in
    /// them), or `None` when the view has a filter the API cannot express.
    fn export_query(&self) -> Option<String> {
        let queue = set(&self.queue).and_then(|code| Queue::parse(&code));
        if set(&self.unassigned).is_some() || queue.is_some_and(|q| q.as_api_filter().is_none()) {
            return None;
        }
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        let mut fields = vec![
            ("state", set(&self.state)),
            ("channel", set(&self.channel)),
            ("department_id", set(&self.department_id)),
            ("overdue", set(&self.overdue)),
            ("due_before", set(&self.due_before)),
            ("received_from", set(&self.received_from)),
            ("received_to", set(&self.received_to)),
            ("q", set(&self.q)),
            ("supervised", set(&self.supervised)),
        ];
        if let Some((name, value)) = queue.and_then(Queue::as_api_filter) {
            fields.retain(|(n, _)| *n != name);
            fields.push((name, Some(value.to_owned())));
        }
        for (name, value) in fields {
            if let Some(value) = value {
                pairs.append_pair(name, &value);
            }
        }
        Some(pairs.finish())
    }

    /// The query string without the page, for paging links.
    fn without_page(&self) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("state", &self.state),
            ("channel", &self.channel),
            ("department_id", &self.department_id),
            ("overdue", &self.overdue),
            ("due_before", &self.due_before),
            ("received_from", &self.received_from),
            ("received_to", &self.received_to),
            ("q", &self.q),
            ("supervised", &self.supervised),
            ("unassigned", &self.unassigned),
            ("queue", &self.queue),
        ];
        for (name, value) in fields {
            if let Some(value) = set(value) {
                pairs.append_pair(name, &value);
            }
        }
        pairs.finish()
    }
}

/// One queue link.
pub struct QueueLink {
    /// Label.
    pub label: &'static str,
    /// Target.
    pub href: String,
    /// Whether it is the queue shown.
    pub current: bool,
}

/// A row of the list.
pub struct Row {
    /// Case id.
    pub id: i64,
    /// Tracking number.
    pub tracking_no: String,
    /// Title.
    pub title: String,
    /// Channel name.
    pub channel: String,
    /// Department name.
    pub department: String,
    /// State in words.
    pub state: &'static str,
    /// Received, Beijing time.
    pub received_at: String,
    /// Due, Beijing time.
    pub due_at: String,
    /// Remaining time in words (剩余 n 个工作日 / 已超期 / 暂停计时).
    pub deadline: String,
    /// Overdue (for the row's marker; the words say it too).
    pub overdue: bool,
    /// The citizen, masked.
    pub citizen: String,
}

#[derive(Template)]
#[template(path = "console/cases.html")]
struct CasesPage {
    layout: Layout,
    query: CasesQuery,
    errors: Vec<String>,
    own_department: bool,
    queues: Vec<QueueLink>,
    queue_label: Option<&'static str>,
    export_href: Option<String>,
    states: Vec<(&'static str, &'static str)>,
    channels: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
    rows: Vec<Row>,
    total: i64,
    total_text: String,
    page: i64,
    previous_href: Option<String>,
    next_href: Option<String>,
}

/// The deadline column's words.
pub fn deadline_words(summary: &CaseSummary) -> String {
    if summary.suspended && summary.state.is_open() {
        return "暂停计时".to_owned();
    }
    if summary.overdue {
        return "已超期".to_owned();
    }
    match summary.remaining_workdays {
        Some(0) => "今日到期".to_owned(),
        Some(n) if n > 0 => format!("剩余 {n} 个工作日"),
        Some(_) => "已超期".to_owned(),
        None => String::new(),
    }
}

struct Loaded {
    rows: Vec<CaseSummary>,
    more: bool,
    total: i64,
    channels: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
}

fn filter_for(query: &CasesQuery, user: &AuthUser) -> Result<(CaseFilter, Option<Queue>), AppError> {
    let (mut filter, _) = query.list_query().into_filter(user)?;
    let queue = set(&query.queue).and_then(|code| Queue::parse(&code));
    if set(&query.unassigned).as_deref() == Some("true") && user.department_scope().is_none() {
        filter.unassigned = true;
    }
    Ok((filter, queue))
}

/// `GET /console/cases`: every role; a handler sees their department's cases only.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
    query: web::Query<CasesQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let user = session.user.clone();
    let layout = Layout::console(&req, &state, &session, "案件", "cases");
    let own_department = user.department_scope().is_some();
    let page_no = set(&query.page)
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let mut page = CasesPage {
        layout,
        query: query.clone(),
        errors: Vec::new(),
        own_department,
        queues: Queue::of(user.role)
            .iter()
            .map(|q| QueueLink {
                label: q.label(),
                href: format!("/console/cases?queue={}", q.code()),
                current: set(&query.queue).as_deref() == Some(q.code()),
            })
            .collect(),
        queue_label: set(&query.queue).and_then(|c| Queue::parse(&c)).map(Queue::label),
        export_href: query.export_query().map(|q| format!("/console/cases/export?format=xlsx&{q}")),
        states: CaseState::ALL.iter().map(|s| (s.as_str(), words::state(*s))).collect(),
        channels: Vec::new(),
        departments: Vec::new(),
        rows: Vec::new(),
        total: 0,
        total_text: String::new(),
        page: page_no,
        previous_href: None,
        next_href: None,
    };
    let (mut filter, queue) = match filter_for(&query, &user) {
        Ok(f) => f,
        Err(AppError::Validation(errors)) => {
            page.errors = errors.0.iter().map(|e| messages::field_error(&e.field, &e.message)).collect();
            let mut response = html(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let now = time::now_utc();
    let db = state.db.clone();
    let loaded = state
        .db
        .read(move |conn| {
            let calendar = db.calendar(conn)?;
            let due_soon_end =
                end_of_day(calendar.add_workdays(time::office_date(now), DUE_SOON_WORKDAYS as u32));
            let order = queue.map_or(ListOrder::Newest, |q| q.apply(&mut filter, now, due_soon_end));
            let (rows, more) =
                db::cases::list_page(conn, &filter, order, (page_no - 1) * PAGE_SIZE, PAGE_SIZE)?;
            let total = if page_no == 1 && !more {
                rows.len() as i64
            } else {
                db::cases::count(conn, &filter, COUNT_CAP)?
            };
            let clock = Clock { calendar: &calendar, now };
            let rows = rows.into_iter().map(|r| CaseSummary::new(r, clock)).collect();
            let channels = db.channels(conn)?.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
            let departments =
                db::departments::list(conn)?.into_iter().map(|d| (d.id.0, d.name)).collect::<Vec<_>>();
            Ok(Loaded { rows, more, total, channels, departments })
        })
        .await?;
    let channel_name = |code: &str| {
        loaded.channels.iter().find(|(c, _)| c == code).map_or_else(|| code.to_owned(), |(_, n)| n.clone())
    };
    let department_name = |id: Option<crate::domain::ids::DepartmentId>| match id {
        Some(id) => loaded
            .departments
            .iter()
            .find(|(d, _)| *d == id.0)
            .map_or_else(|| format!("单位 {}", id.0), |(_, n)| n.clone()),
        None => "未交办".to_owned(),
    };
    page.rows = loaded
        .rows
        .iter()
        .map(|c| Row {
            id: c.id.0,
            tracking_no: c.tracking_no.clone(),
            title: c.title.clone(),
            channel: channel_name(&c.channel),
            department: department_name(c.department_id),
            state: words::state(c.state),
            received_at: beijing_naive(c.received_at),
            due_at: c.due_at.map(beijing_naive).unwrap_or_else(|| "—".into()),
            deadline: deadline_words(c),
            overdue: c.overdue,
            citizen: c.citizen.as_ref().and_then(|c| c.name.clone()).unwrap_or_else(|| "匿名".into()),
        })
        .collect();
    page.total = loaded.total;
    page.total_text = if loaded.total > COUNT_CAP {
        format!("超过 {COUNT_CAP} 件")
    } else {
        format!("共 {} 件", loaded.total)
    };
    let base = query.without_page();
    let link = |p: i64| format!("/console/cases?{base}{}page={p}", if base.is_empty() { "" } else { "&" });
    page.previous_href = (page_no > 1).then(|| link(page_no - 1));
    page.next_href = loaded.more.then(|| link(page_no + 1));
    page.channels = loaded.channels;
    page.departments = loaded.departments;
    html(&page)
}

/// `GET /console/cases/export?format=csv|xlsx&…`: the list as a file, by the
/// API's own export (`api::export::respond`) for the signed-in user — the
/// same visibility and masking as the list. A page link cannot carry the
/// API's bearer token, so the console has this door to it.
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    Ok(crate::api::export::respond(&state, &session.user, req.query_string()).await?)
}
