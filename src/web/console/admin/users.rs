//! `/console/admin/users`: the accounts — list and create; per account,
//! change name, role, department and mail address, deactivate or reactivate,
//! and reset the password. Each form goes through `service::accounts::create`
//! or `update`, as `POST /api/v1/users` and `PATCH /api/v1/users/{id}`
//! do: the same checks (a handler needs a department; the last active admin
//! stays), and a reset password or a deactivation ends the account's sessions.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{done, layout, notice_of, refusal, refused_page, ConflictShown, Fields, FormState};
use crate::auth::password::{MAX_LEN, MIN_LEN};
use crate::auth::Admin;
use crate::db::models::{Department, User};
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::validation::Rule;
use crate::error::AppError;
use crate::service::accounts::{self, CreateInput, UpdateInput};
use crate::service::departments;
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::html;
use crate::web::layout::{role_name, Layout};
use crate::web::session::Page;

/// The roles as the forms offer them.
const ROLES: [(&str, &str); 4] =
    [("clerk", "登记交办员"), ("handler", "承办单位人员"), ("leader", "办公室领导"), ("admin", "系统管理员")];

const NOTICES: [(&str, &str); 5] = [
    ("created", "账号已创建。"),
    ("changed", "账号信息已保存。"),
    ("deactivated", "账号已停用，该账号的登录已全部退出。"),
    ("reactivated", "账号已恢复使用。"),
    ("password", "密码已重置，该账号的登录已全部退出。请把新密码告知本人，并请其登录后修改。"),
];

/// One account as the list shows it.
pub struct Row {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    department: String,
    email: String,
    active: bool,
    /// `none`, `weekly` or `monthly`.
    digest: String,
}

/// The digest's choices, as the select offers them.
const DIGESTS: [(&str, &str); 3] = [
    ("none", "不订阅"),
    ("weekly", "每周一 08:00 发送上周运行通报"),
    ("monthly", "每月1日 08:00 发送上月运行通报"),
];

fn department_name(departments: &[Department], id: Option<DepartmentId>) -> String {
    id.and_then(|id| departments.iter().find(|d| d.id == id)).map(|d| d.name.clone()).unwrap_or_default()
}

fn row(user: &User, departments: &[Department]) -> Row {
    Row {
        id: user.id.0,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: role_name(user.role),
        department: department_name(departments, user.department_id),
        email: user.email.clone().unwrap_or_default(),
        active: user.active,
        digest: user.digest.clone(),
    }
}

#[derive(Template)]
#[template(path = "console/admin/users.html")]
struct List {
    layout: Layout,
    users: Vec<Row>,
    departments: Vec<(i64, String)>,
    roles: [(&'static str, &'static str); 4],
    form: FormState,
    notice: Option<&'static str>,
    password_hint: String,
}

#[derive(Template)]
#[template(path = "console/admin/user.html")]
struct One {
    layout: Layout,
    user: Row,
    role: String,
    department_id: String,
    departments: Vec<(i64, String)>,
    roles: [(&'static str, &'static str); 4],
    digests: [(&'static str, &'static str); 3],
    form: FormState,
    notice: Option<&'static str>,
    password_hint: String,
}

/// Active departments for a select, plus the one an account has (even inactive).
fn choices(departments: &[Department], keep: Option<DepartmentId>) -> Vec<(i64, String)> {
    departments
        .iter()
        .filter(|d| d.active || Some(d.id) == keep)
        .map(|d| (d.id.0, if d.active { d.name.clone() } else { format!("{}（已停用）", d.name) }))
        .collect()
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    form: FormState,
) -> Result<List, PageError> {
    let admin = super::admin_of(session)?;
    let users = accounts::list(state, &admin).await?;
    let departments = departments::list(state, &admin.0).await?;
    Ok(List {
        layout: layout(req, state, session, "用户管理"),
        users: users.iter().map(|u| row(u, &departments)).collect(),
        departments: choices(&departments, None),
        roles: ROLES,
        form,
        notice: notice_of(req, &NOTICES),
        password_hint: format!("{MIN_LEN} 至 {MAX_LEN} 个字符。请把初始密码当面告知本人，并请其登录后修改。"),
    })
}

/// `GET /console/admin/users`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    html(&list_page(&req, &state, &session, FormState::default()).await?)
}

/// A department field: empty is none; anything but a number is the API's
/// own "must be a department id".
fn department_of(fields: &Fields) -> Result<Option<DepartmentId>, AppError> {
    match fields.text("department_id") {
        None => Ok(None),
        Some(raw) => raw
            .parse()
            .map(|id| Some(DepartmentId(id)))
            .map_err(|_| AppError::invalid_field("department_id", Rule::DepartmentId)),
    }
}

/// `POST /console/admin/users`: a new account.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    let outcome = match department_of(&fields) {
        Ok(department_id) => {
            let input = CreateInput {
                username: fields.value("username"),
                password: fields.get("password").unwrap_or_default().to_owned(),
                display_name: fields.value("display_name"),
                role: fields.value("role"),
                department_id,
                email: fields.text("email"),
                active: None,
            };
            accounts::create(&state, &admin, input).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(done("/console/admin/users", "created")),
        Err(error) => {
            let taken = ConflictShown {
                field: "username",
                text: format!("用户名 {} 已被使用。", fields.value("username")),
            };
            let shown = refusal("create", fields, error, str::to_owned, taken)?;
            refused_page(&list_page(&req, &state, &session, shown).await?)
        }
    }
}

async fn one_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    id: UserId,
    form: FormState,
) -> Result<One, PageError> {
    let admin = super::admin_of(session)?;
    let users = accounts::list(state, &admin).await?;
    let user = users.iter().find(|u| u.id == id).ok_or_else(|| AppError::not_found("user"))?;
    let departments = departments::list(state, &admin.0).await?;
    Ok(One {
        layout: layout(req, state, session, &format!("用户：{}", user.display_name)),
        user: row(user, &departments),
        role: user.role.as_str().to_owned(),
        department_id: user.department_id.map(|d| d.0.to_string()).unwrap_or_default(),
        departments: choices(&departments, user.department_id),
        roles: ROLES,
        digests: DIGESTS,
        form,
        notice: notice_of(req, &NOTICES),
        password_hint: format!("{MIN_LEN} 至 {MAX_LEN} 个字符。重置后该账号在各处的登录全部退出。"),
    })
}

/// `GET /console/admin/users/{id}`.
pub async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    html(&one_page(&req, &state, &session, UserId(path.into_inner()), FormState::default()).await?)
}

/// `POST /console/admin/users/{id}/{change}`: `edit` (name, role,
/// department, mail address), `active` (deactivate or reactivate) or
/// `password` (reset).
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, which) = path.into_inner();
    let id = UserId(raw_id);
    let (input, notice, conflict_field) = match which.as_str() {
        "edit" => match department_of(&fields) {
            Ok(department_id) => (
                Ok(UpdateInput {
                    display_name: Some(fields.value("display_name")),
                    role: Some(fields.value("role")),
                    department_id: Some(department_id),
                    email: Some(fields.text("email")),
                    digest: fields.get("digest").map(str::to_owned),
                    ..UpdateInput::default()
                }),
                "changed",
                "role",
            ),
            Err(e) => (Err(e), "changed", "role"),
        },
        "active" => {
            let active = fields.get("active") == Some("true");
            let notice = if active { "reactivated" } else { "deactivated" };
            (Ok(UpdateInput { active: Some(active), ..UpdateInput::default() }), notice, "active")
        }
        "password" => (
            Ok(UpdateInput {
                password: Some(fields.get("password").unwrap_or_default().to_owned()),
                ..UpdateInput::default()
            }),
            "password",
            "password",
        ),
        _ => return Err(AppError::not_found("page").into()),
    };
    let outcome = match input {
        Ok(input) => accounts::update(&state, &admin, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(done(&format!("/console/admin/users/{raw_id}"), notice)),
        Err(error) => {
            let last_admin = ConflictShown {
                field: conflict_field,
                text: "这样会没有可用的系统管理员，未修改。".into(),
            };
            let shown = refusal(&which, fields, error, str::to_owned, last_admin)?;
            refused_page(&one_page(&req, &state, &session, id, shown).await?)
        }
    }
}
