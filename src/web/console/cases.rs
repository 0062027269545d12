//! `/console/cases`: the workbench list — the list's filters as a form, the
//! role's queues as one-click filters, pages of 50, and the total.
//!
//! The filters, the queues and who sees what are `service::cases::workbench`'s
//! (a handler is confined to their department there); this page only labels
//! them, lists the rows and links the pages.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

use crate::auth::AuthUser;
use crate::domain::ids::DepartmentId;
use crate::domain::lifecycle::CaseState;
use crate::domain::rectification::RectificationState;
use crate::domain::time;
use crate::error::AppError;
use crate::service::cases::{self, CaseQuery, Queue, WorkbenchQuery};
use crate::service::views::CaseSummary;
use crate::service::{channels, departments, exports};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::layout::{beijing_naive, html, Layout};
use crate::web::session::Page;
use crate::web::{messages, words};

/// A queue's name on the page.
fn queue_label(queue: Queue) -> &'static str {
    match queue {
        Queue::Registered => "待分办",
        Queue::Reviewing => "待审核",
        Queue::Extension => "延期申请",
        Queue::Overdue => "已超期",
        Queue::Assigned => "待签收",
        Queue::Processing => "办理中",
        Queue::DueSoon => "即将到期",
        Queue::Rejected => "被驳回",
        Queue::Callback => "待回访",
        Queue::Rectification => "待整改",
        Queue::Appeal => "待复核",
    }
}

/// The due date a queue is worked by, as its column's heading: the
/// steps after closure have their own, not the case's 办理期限.
fn due_heading(queue: Option<Queue>) -> &'static str {
    match queue {
        Some(Queue::Callback) => "回访期限",
        Some(Queue::Rectification | Queue::Appeal) => "整改期限",
        _ => "办理期限",
    }
}

/// A row's due date and its words in `queue`'s terms.
fn due_of(queue: Option<Queue>, c: &CaseSummary, now: NaiveDateTime) -> (String, String, bool) {
    let shown = |at: Option<NaiveDateTime>| at.map(beijing_naive).unwrap_or_else(|| "—".into());
    let late = |at: Option<NaiveDateTime>| at.is_some_and(|due| due < now);
    match queue {
        Some(Queue::Callback) => {
            let overdue = late(c.callback_due_at);
            (shown(c.callback_due_at), if overdue { "回访已超期" } else { "待回访" }.to_owned(), overdue)
        }
        Some(Queue::Rectification | Queue::Appeal) => {
            let state = c.rectification_state;
            let overdue = state.is_some_and(|s| RectificationState::TO_RECTIFY.contains(&s))
                && late(c.rectification_due_at);
            let words = state.map(words::rectification).unwrap_or_default();
            let words = if overdue { format!("{words}，已超期") } else { words.to_owned() };
            (shown(c.rectification_due_at), words, overdue)
        }
        _ => (
            shown(c.due_at),
            words::deadline(c.state, c.suspended, c.overdue, c.remaining_workdays),
            c.overdue,
        ),
    }
}

/// The query string of `pairs`.
fn query_string(pairs: &[(&str, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The view's query string without the page, for paging links.
fn without_page(query: &WorkbenchQuery) -> String {
    let mut pairs = query.filters.pairs();
    for (name, value) in [("unassigned", &query.unassigned), ("queue", &query.queue)] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            pairs.push((name, value.to_owned()));
        }
    }
    query_string(&pairs)
}

/// One queue link.
pub struct QueueLink {
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
    pub tracking_no: String,
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
    query: CaseQuery,
    /// The queue shown, as asked for.
    queue: Option<String>,
    errors: Vec<String>,
    own_department: bool,
    queues: Vec<QueueLink>,
    queue_label: Option<&'static str>,
    /// The due-date column's heading.
    due_heading: &'static str,
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

/// `GET /console/cases`: every role; a handler sees their department's cases only.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, proof: user }: Page<AuthUser>,
    query: web::Query<WorkbenchQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let page_no = query.page();
    let current = query.queue();
    let channels: Vec<(String, String)> =
        channels::list(&state, &user).await?.into_iter().map(|c| (c.code, c.name)).collect();
    let departments: Vec<(i64, String)> =
        departments::list(&state, &user).await?.into_iter().map(|d| (d.id.0, d.name)).collect();
    let mut page = CasesPage {
        layout: Layout::console(&req, &state, &session, "案件", "cases"),
        query: query.filters.clone(),
        queue: query.queue.clone().filter(|q| !q.trim().is_empty()),
        errors: Vec::new(),
        own_department: user.department_scope().is_some(),
        queues: Queue::of(user.role)
            .iter()
            .map(|q| QueueLink {
                label: queue_label(*q),
                href: format!("/console/cases?queue={}", q.code()),
                current: current == Some(*q),
            })
            .collect(),
        queue_label: current.map(queue_label),
        due_heading: due_heading(current),
        export_href: query
            .as_list_query()
            .map(|pairs| format!("/console/cases/export?format=xlsx&{}", query_string(&pairs))),
        states: CaseState::ALL.iter().map(|s| (s.as_str(), words::state(*s))).collect(),
        channels,
        departments,
        rows: Vec::new(),
        total: 0,
        total_text: String::new(),
        page: page_no,
        previous_href: None,
        next_href: None,
    };
    let bench = match cases::workbench(&state, &user, &query).await {
        Ok(bench) => bench,
        Err(AppError::Validation(errors)) => {
            page.errors = errors.0.iter().map(messages::field_error).collect();
            let mut response = html(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let channel_name = |code: &str| {
        page.channels.iter().find(|(c, _)| c == code).map_or_else(|| code.to_owned(), |(_, n)| n.clone())
    };
    let department_name = |id: Option<DepartmentId>| match id {
        Some(id) => page
            .departments
            .iter()
            .find(|(d, _)| *d == id.0)
            .map_or_else(|| format!("单位 {}", id.0), |(_, n)| n.clone()),
        None => "未交办".to_owned(),
    };
    let now = time::now_utc();
    let rows = bench
        .rows
        .iter()
        .map(|c| (c, due_of(current, c, now)))
        .map(|(c, (due_at, deadline, overdue))| Row {
            id: c.id.0,
            tracking_no: c.tracking_no.clone(),
            title: c.title.clone(),
            channel: channel_name(&c.channel),
            department: department_name(c.department_id),
            state: words::state(c.state),
            received_at: beijing_naive(c.received_at),
            due_at,
            deadline,
            overdue,
            citizen: c.citizen.as_ref().and_then(|c| c.name.clone()).unwrap_or_else(|| "匿名".into()),
        })
        .collect();
    page.rows = rows;
    page.total = bench.total;
    page.total_text = if bench.total > bench.cap {
        format!("超过 {} 件", bench.cap)
    } else {
        format!("共 {} 件", bench.total)
    };
    let base = without_page(&query);
    let link = |p: i64| format!("/console/cases?{base}{}page={p}", if base.is_empty() { "" } else { "&" });
    page.previous_href = (page_no > 1).then(|| link(page_no - 1));
    page.next_href = bench.more.then(|| link(page_no + 1));
    html(&page)
}

/// `GET /console/cases/export?format=csv|xlsx&…`: the list as a file, by the
/// API's own export (`service::exports`) for the signed-in user — the same
/// visibility and masking as the list. A page link cannot carry the API's
/// bearer token, so the console has this door to it.
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { proof: user, .. }: Page<AuthUser>,
) -> Result<HttpResponse, PageError> {
    let file = exports::export(&state, &user, req.query_string()).await?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.filename)))
        .streaming(file.body))
}
