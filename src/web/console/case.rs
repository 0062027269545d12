//! `/console/cases/{id}`: one case as this user may see it (masked as the
//! API masks it for their role), its deadline, its timeline, and a form for
//! each action this user may take in this state — and only those: the
//! choice is `domain::actions::permitted`, the rule the API applies.
//!
//! An action form posts to `/console/cases/{id}/{action}` with the API
//! body's members as fields and a hidden `version`; the page turns the form
//! into the action's body and takes it through `service::cases::act`,
//! exactly as `POST /api/v1/cases/{id}/{action}` does. A stale version
//! changes nothing and says so; field errors come back beside their fields.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::{json, Map, Value};

use super::similar::{links, routing_lines, RoutingLine, SimilarLink};
use crate::auth::{AuthUser, OfficeStaff, RoleProof};
use crate::domain::actions::ReturnReason;
use crate::domain::callback::CallbackState;
use crate::domain::event::EventKind;
use crate::domain::ids::CaseId;
use crate::domain::lifecycle::{Action, CaseState};
use crate::domain::rectification::RectificationState;
use crate::error::AppError;
use crate::service::cases::{self, ActionInput, PublishedText, TimelineEvent};
use crate::service::sessions::Resolved;
use crate::service::similar;
use crate::service::views::CaseView;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::{beijing_naive, html, Layout};
use crate::web::session::Page;
use crate::web::{messages, words};

/// How a form field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Several lines.
    Text,
    /// A whole number.
    Number,
    /// A department, chosen from the active ones.
    Department,
    /// 满意 / 基本满意 / 不满意.
    Rating,
    /// Yes or no (同意 / 不同意, or the field's own words).
    YesNo,
    /// 电话 / 短信 / 上门.
    Method,
    /// A return's kind of reason: 非本单位职责 / 诉求不清 / 重复件 / 其他.
    ReturnReason,
    /// A case, by id or tracking number (one line).
    CaseRef,
}

/// A field of an action form: the API body member it fills.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The body member's name.
    pub name: &'static str,
    pub label: &'static str,
    /// How it is entered.
    pub input: Input,
    /// Whether the action needs it.
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, input: Input, required: bool) -> FieldSpec {
    FieldSpec { name, label, input, required }
}

const NOTE: FieldSpec = field("note", "备注", Input::Text, false);
const REASON: FieldSpec = field("reason", "理由", Input::Text, true);
const ASSIGN: [FieldSpec; 2] = [field("department_id", "承办单位", Input::Department, true), NOTE];
const SUPERVISE: [FieldSpec; 1] = [field("note", "督办意见", Input::Text, true)];
const REPLY: [FieldSpec; 1] = [field("reply", "答复内容", Input::Text, true)];
const EXTENSION: [FieldSpec; 2] = [field("days", "延期工作日数", Input::Number, true), REASON];
const DECISION: [FieldSpec; 2] = [field("approve", "审批意见", Input::YesNo, true), NOTE];
const RATE: [FieldSpec; 3] = [
    field("rating", "评价（对办理工作）", Input::Rating, true),
    field("result_rating", "对办理结果的评价（仅双维度评价渠道）", Input::Rating, false),
    field("comment", "评价意见", Input::Text, false),
];
const CALLBACK: [FieldSpec; 6] = [
    field("reached", "是否联系上来信人", Input::YesNo, true),
    field("method", "回访方式", Input::Method, true),
    field("rating", "评价（联系上时必填）", Input::Rating, false),
    field("result_rating", "对办理结果的评价（仅双维度评价渠道）", Input::Rating, false),
    field("resolved", "问题是否解决（联系上时必填）", Input::YesNo, false),
    field("comment", "回访记录", Input::Text, false),
];
/// The ways of a callback, as the form offers them.
pub const METHODS: [(&str, &str); 3] = [("phone", "电话"), ("sms", "短信"), ("visit", "上门")];
const RETURN: [FieldSpec; 2] = [
    field("reason_code", "退回原因类别", Input::ReturnReason, true),
    field("reason", "退回理由", Input::Text, true),
];
const APPEAL: [FieldSpec; 1] = [field("reason", "申诉理由（说明评价为何不应计入）", Input::Text, true)];
const APPEAL_DECISION: [FieldSpec; 2] =
    [field("uphold", "复核结论", Input::YesNo, true), field("note", "复核意见", Input::Text, true)];
const DUPLICATE: [FieldSpec; 2] = [field("duplicate_of", "重复的案件 ID", Input::Number, true), NOTE];
const MERGE: [FieldSpec; 2] = [field("into", "并入的案件（案件 ID 或受理编号）", Input::CaseRef, true), NOTE];
const UNMERGE: [FieldSpec; 1] = [field("reason", "撤销并单的理由", Input::Text, true)];

/// The fields of an action's form: its body's members (`domain::actions`).
pub fn fields(action: Action) -> &'static [FieldSpec] {
    match action {
        Action::Assign => &ASSIGN,
        Action::Accept | Action::Approve | Action::Resume | Action::Publish | Action::Unpublish => &[NOTE],
        Action::Supervise => &SUPERVISE,
        Action::Return => &RETURN,
        Action::RejectReply | Action::Invalidate | Action::Suspend | Action::Reopen => &[REASON],
        Action::Reply => &REPLY,
        Action::RequestExtension => &EXTENSION,
        Action::DecideExtension => &DECISION,
        Action::Rate => &RATE,
        Action::MarkDuplicate => &DUPLICATE,
        Action::Callback => &CALLBACK,
        Action::Appeal => &APPEAL,
        Action::DecideAppeal => &APPEAL_DECISION,
        Action::Merge => &MERGE,
        Action::Unmerge => &UNMERGE,
    }
}

/// The form's fields as the API's JSON body: empty fields are left out,
/// numbers and yes/no become JSON numbers and booleans; a number that is not
/// one is an error of its field. Fields the action does not have are ignored.
pub fn body_of(action: Action, form: &BTreeMap<String, String>) -> Result<Value, Vec<(String, String)>> {
    let mut body = Map::new();
    let mut errors = Vec::new();
    for spec in fields(action) {
        let Some(raw) = form.get(spec.name).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = match spec.input {
            Input::Number | Input::Department => match raw.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) => {
                    errors.push((spec.name.to_owned(), "请填写整数".to_owned()));
                    continue;
                }
            },
            Input::YesNo => match raw {
                "true" => json!(true),
                "false" => json!(false),
                _ => {
                    errors.push((spec.name.to_owned(), "请选择同意或不同意".to_owned()));
                    continue;
                }
            },
            // An id as the API's number, anything else as a tracking number.
            Input::CaseRef => match raw.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) => json!(raw),
            },
            Input::Text | Input::Rating | Input::Method | Input::ReturnReason => json!(raw),
        };
        body.insert(spec.name.to_owned(), value);
    }
    if errors.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(errors)
    }
}

/// A field as the page renders it.
pub struct FieldView {
    pub spec: FieldSpec,
    /// The form element's id.
    pub id: String,
    /// The value typed (kept on an error).
    pub value: String,
    /// Its error, in Chinese.
    pub error: Option<String>,
}

impl FieldSpec {
    /// The words of a yes-or-no field's two choices.
    pub fn yes_no(&self) -> (&'static str, &'static str) {
        match self.name {
            "reached" => ("联系上", "未联系上"),
            "resolved" => ("已解决", "未解决"),
            "uphold" => ("申诉成立，核减此评价", "申诉不成立，须重办整改"),
            _ => ("同意", "不同意"),
        }
    }
}

impl FieldView {
    /// Whether the value typed is `option` (for a select's choice).
    pub fn is(&self, option: &str) -> bool {
        self.value == option
    }

    /// Whether the value typed is the number `option`.
    pub fn is_number(&self, option: &i64) -> bool {
        self.value.trim().parse::<i64>().ok() == Some(*option)
    }
}

/// An action form as the page renders it.
pub struct ActionForm {
    /// The action's name in the URL.
    pub action: &'static str,
    /// The button's label.
    pub label: &'static str,
    pub fields: Vec<FieldView>,
    /// Whether this form was posted and refused.
    pub refused: bool,
}

/// One event of the timeline.
pub struct TimelineEntry {
    /// When, Beijing time.
    pub at: String,
    /// What, in words.
    pub what: String,
    pub who: String,
    /// State change in words.
    pub states: Option<String>,
    pub note: Option<String>,
}

/// What came of a posted form, for the page shown after it.
#[derive(Default)]
pub struct Posted {
    /// The action posted.
    pub action: Option<Action>,
    /// The values typed.
    pub values: BTreeMap<String, String>,
    /// Field errors (field, message in Chinese).
    pub errors: Vec<(String, String)>,
    /// A message about the whole form.
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    layout: Layout,
    case: CaseView,
    channel: String,
    department: String,
    state: &'static str,
    received_at: String,
    due_at: String,
    deadline: String,
    replied_at: String,
    closed_at: String,
    rating: String,
    /// The closure's 回访 in words, if it has one.
    callback: Option<String>,
    /// The 差评整改 in words, if one was opened.
    rectification: Option<String>,
    /// Why the rating in force is 核减, when it is.
    excluded: Option<String>,
    pending_extension: Option<String>,
    published_at: Option<String>,
    forms: Vec<ActionForm>,
    departments: Vec<(i64, String)>,
    ratings: Vec<(&'static str, &'static str)>,
    /// The ways of a callback.
    methods: [(&'static str, &'static str); 3],
    /// The kinds of reason for a return, code and words.
    return_reasons: Vec<(&'static str, &'static str)>,
    timeline: Vec<TimelineEntry>,
    done: Option<&'static str>,
    notice: Option<String>,
    /// What 信件选登 would show, offered beside the publish form.
    preview: Option<PublishedText>,
    /// A registered case's similar cases.
    similar: Vec<SimilarLink>,
    /// A registered case's suggested departments, for office staff (none preselected).
    routing: Vec<RoutingLine>,
}

fn timeline(events: Vec<TimelineEvent>) -> Vec<TimelineEntry> {
    events
        .into_iter()
        .map(|TimelineEvent { event: e, actor_name }| TimelineEntry {
            at: beijing_naive(e.at),
            what: words::event(e.action).to_owned(),
            who: match (e.actor_id, actor_name) {
                (Some(_), Some(name)) => name,
                (Some(id), None) => format!("用户 {}", id.0),
                (None, _) if e.action == EventKind::Action(Action::Rate) => "群众".to_owned(),
                (None, _) => "系统".to_owned(),
            },
            states: match (e.from_state, e.to_state) {
                (Some(from), Some(to)) if from != to => {
                    Some(format!("{} → {}", words::state(from), words::state(to)))
                }
                (None, Some(to)) => Some(words::state(to).to_owned()),
                _ => None,
            },
            note: e.note,
        })
        .collect()
}

/// Renders the case page for the session, with what came of a post.
async fn render(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    id: CaseId,
    posted: Posted,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let file = cases::case_file(state, &session.user, id).await?;
    let registered = file.case.state == CaseState::Registered;
    let similar =
        if registered { links(similar::similar(state, &session.user, id).await?) } else { Vec::new() };
    let routing = match OfficeStaff::check(session.user.clone()) {
        Ok(staff) if registered => similar::routing(state, &staff, id).await?,
        _ => Vec::new(),
    };
    let forms = file
        .actions
        .iter()
        .map(|&action| {
            let this_one = posted.action == Some(action);
            ActionForm {
                action: action.as_str(),
                label: words::action(action),
                refused: this_one && !posted.errors.is_empty(),
                fields: fields(action)
                    .iter()
                    .map(|spec| FieldView {
                        spec: *spec,
                        id: format!("{}-{}", action.as_str(), spec.name),
                        value: if this_one {
                            posted.values.get(spec.name).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        },
                        error: if this_one {
                            posted.errors.iter().find(|(f, _)| f == spec.name).map(|(_, m)| m.clone())
                        } else {
                            None
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let done = req.query_string().strip_prefix("done=").and_then(Action::parse).map(words::action);
    let view = file.case;
    let pending_extension = view.pending_extension.as_ref().map(|p| {
        format!(
            "申请延期 {} 个工作日{}",
            p.days,
            p.reason.as_deref().map(|r| format!("，理由：{r}")).unwrap_or_default()
        )
    });
    let departments: Vec<(i64, String)> = file.departments.into_iter().map(|d| (d.id.0, d.name)).collect();
    let page = CasePage {
        layout: Layout::console(req, state, session, &format!("案件 {}", view.tracking_no), "cases"),
        channel: file.channel_name,
        department: file.department_name.unwrap_or_else(|| "未交办".to_owned()),
        state: words::state(view.state),
        received_at: beijing_naive(view.received_at),
        due_at: view.due_at.map(beijing_naive).unwrap_or_else(|| "—".into()),
        deadline: words::deadline(view.state, view.suspended, view.overdue, view.remaining_workdays),
        replied_at: view.replied_at.map(beijing_naive).unwrap_or_default(),
        closed_at: view.closed_at.map(beijing_naive).unwrap_or_default(),
        rating: match (view.rating, view.result_rating) {
            (Some(r), Some(result)) => {
                format!("办理工作：{}；办理结果：{}", words::rating(r), words::rating(result))
            }
            (Some(r), None) => words::rating(r).to_owned(),
            _ => "未评价".to_owned(),
        },
        callback: view.callback.as_ref().map(|c| {
            let state = match c.state {
                CallbackState::Pending => "待回访",
                CallbackState::Done => "已回访",
                CallbackState::Unreachable => "联系不上",
                CallbackState::NotNeeded => "无需回访",
            };
            match (c.state, c.due_at) {
                (CallbackState::Pending, Some(due)) => {
                    format!("{state}（回访期限 {}；未接通 {} 次）", beijing_naive(due), c.attempts)
                }
                _ => state.to_owned(),
            }
        }),
        rectification: view.rectification.as_ref().map(|r| {
            let mut text = words::rectification(r.state).to_owned();
            if let Some(due) = r.due_at.filter(|_| r.state.is_outstanding()) {
                text.push_str(&format!(
                    "（整改期限 {}{}）",
                    beijing_naive(due),
                    if r.overdue { "，已超期" } else { "" }
                ));
            }
            if let Some(reason) = &r.appeal_reason {
                text.push_str(&format!("；申诉理由：{reason}"));
            }
            if let Some(note) = r.decision_note.as_ref().filter(|_| r.state != RectificationState::Upheld) {
                text.push_str(&format!("；复核意见：{note}"));
            }
            text
        }),
        excluded: view.rating_excluded.then(|| {
            let r = view.rectification.as_ref();
            let reason = r.and_then(|r| r.appeal_reason.as_deref()).unwrap_or("—");
            let note = r.and_then(|r| r.decision_note.as_deref()).unwrap_or("—");
            let at = view.rating_excluded_at.map(beijing_naive).unwrap_or_default();
            format!("此评价已于 {at} 核减，不计入满意率等各项评价统计。申诉理由：{reason}；复核意见：{note}")
        }),
        pending_extension,
        published_at: view.published_at.map(beijing_naive),
        forms,
        departments: departments.clone(),
        routing: routing_lines(routing, &departments),
        similar,
        ratings: file.rating_scale.ratings().iter().map(|r| (r.as_str(), words::rating(*r))).collect(),
        methods: METHODS,
        return_reasons: ReturnReason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        timeline: timeline(file.timeline),
        preview: file.publication_preview,
        done,
        notice: posted.notice,
        case: view,
    };
    let mut response = html(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/cases/{id}`: a handler asking for another department's
/// case gets the 404 page, as in the API.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<AuthUser>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    render(&req, &state, &session, CaseId(path.into_inner()), Posted::default(), StatusCode::OK).await
}

/// `POST /console/cases/{id}/{action}`: the form's CSRF token first (a
/// wrong one changes nothing), then the action as the API takes it.
pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
    Page { session, .. }: Page<AuthUser>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let (id, name) = path.into_inner();
    let id = CaseId(id);
    let action = Action::parse(&name).ok_or_else(|| AppError::not_found("action"))?;
    let version = form.get("version").and_then(|v| v.trim().parse::<i32>().ok());
    let Some(version) = version else {
        return Err(PageError::BadRequest);
    };
    let mut posted = Posted { action: Some(action), values: form.clone(), ..Posted::default() };
    let body = match body_of(action, &form) {
        Ok(body) => body,
        Err(errors) => {
            posted.errors = errors;
            posted.notice = Some("未提交：请按提示改正后重新提交。".into());
            return render(&req, &state, &session, id, posted, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let outcome =
        cases::act(&state, &session.user, id, ActionInput::Json(action, body), Some(version)).await.map(drop);
    match outcome {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/console/cases/{}?done={}", id.0, action.as_str())))
            .finish()),
        Err(AppError::Validation(errors)) => {
            posted.errors = errors.0.iter().map(|e| (e.field.clone(), messages::sentence(e))).collect();
            posted.notice = Some("未提交：请按提示改正后重新提交。".into());
            render(&req, &state, &session, id, posted, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::VersionConflict { .. }) => {
            posted.values.clear();
            posted.notice = Some(
                "此案件已被他人修改（您看到的不是最新内容），本次操作没有执行。下面是最新内容，请确认后重新操作。"
                    .into(),
            );
            render(&req, &state, &session, id, posted, StatusCode::CONFLICT).await
        }
        Err(AppError::InvalidTransition { .. }) => {
            posted.values.clear();
            posted.notice = Some("案件当前的状态不能进行这项操作，本次操作没有执行。".into());
            render(&req, &state, &session, id, posted, StatusCode::CONFLICT).await
        }
        Err(
            refused @ (AppError::RectificationNotOpen(_)
            | AppError::AlreadyAppealed
            | AppError::NotAppealed(_)
            | AppError::ReturnWindowClosed(_)
            | AppError::MergeTargetInvalid(_)
            | AppError::MergeCycle(_)
            | AppError::HasMergedCases(_)),
        ) => {
            posted.values.clear();
            posted.notice = Some(
                match refused {
                    AppError::AlreadyAppealed => {
                        "此差评整改已提出过申诉，每次整改只能申诉一次；本次操作没有执行。"
                    }
                    AppError::NotAppealed(_) => {
                        "此案件没有待复核的申诉（可能已由他人复核）；本次操作没有执行。"
                    }
                    AppError::ReturnWindowClosed(_) => {
                        "已超过本渠道的退回时限，不能再退回；如确非本单位职责，请联系办公室改派。本次操作没有执行。"
                    }
                    AppError::MergeTargetInvalid(_) => {
                        "只能并入仍在办理中的案件，不能并入已并单、不予受理或已办结的案件；本次操作没有执行。"
                    }
                    AppError::MergeCycle(_) => {
                        "不能并入本件自身或已并入本件的案件（会形成循环）；本次操作没有执行。"
                    }
                    AppError::HasMergedCases(_) => {
                        "已有其他案件并入本件、等待本件答复：请先撤销那些并单；本次操作没有执行。"
                    }
                    _ => "此案件没有待整改的差评，不能申诉；本次操作没有执行。",
                }
                .into(),
            );
            render(&req, &state, &session, id, posted, StatusCode::CONFLICT).await
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_become_the_apis_bodies() {
        let body =
            body_of(Action::Assign, &form(&[("department_id", "3"), ("note", " 请办理 "), ("version", "2")]));
        assert_eq!(body.unwrap(), json!({"department_id": 3, "note": "请办理"}));
        let body = body_of(Action::DecideExtension, &form(&[("approve", "false"), ("note", "")]));
        assert_eq!(body.unwrap(), json!({"approve": false}));
        let errors =
            body_of(Action::RequestExtension, &form(&[("days", "三"), ("reason", "x")])).unwrap_err();
        assert_eq!(errors, vec![("days".to_owned(), "请填写整数".to_owned())]);
    }

    #[test]
    fn every_action_has_a_form_of_its_bodys_members() {
        for action in Action::ALL {
            for spec in fields(action) {
                let mut body = Map::new();
                body.insert(spec.name.to_owned(), json!(null));
                // A member the typed body does not know is refused by deny_unknown_fields.
                let parsed = crate::domain::actions::ActionBody::parse(action, Value::Object(body));
                assert!(parsed.is_ok(), "{action:?}.{} is not a member of its body: {parsed:?}", spec.name);
            }
        }
    }
}
