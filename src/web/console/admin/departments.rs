//! `/console/admin/departments`: the departments (承办单位) — list and
//! create; per department, rename, change the mail address, deactivate or
//! reactivate. Through `service::departments::create` and `update`, as `POST`/`PATCH /api/v1/departments` do.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{done, layout, notice_of, refusal, refused_page, ConflictShown, Fields, FormState};
use crate::auth::Admin;
use crate::db::models::Department;
use crate::domain::ids::DepartmentId;
use crate::error::AppError;
use crate::service::departments::{self, CreateInput, UpdateInput};
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::html;
use crate::web::layout::Layout;
use crate::web::session::Page;

/// A name or code that another department has (the service's 409 `duplicate`).
fn taken(field: &str) -> ConflictShown<'_> {
    ConflictShown { field, text: "已有同名或同代码的承办单位。".into() }
}

const NOTICES: [(&str, &str); 4] = [
    ("created", "承办单位已新增。"),
    ("changed", "承办单位信息已保存。"),
    ("deactivated", "承办单位已停用：不能再向其交办新案件，已交办的案件不受影响。"),
    ("reactivated", "承办单位已恢复使用。"),
];

#[derive(Template)]
#[template(path = "console/admin/departments.html")]
struct List {
    layout: Layout,
    departments: Vec<Department>,
    form: FormState,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/admin/department.html")]
struct One {
    layout: Layout,
    department: Department,
    form: FormState,
    notice: Option<&'static str>,
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    form: FormState,
) -> Result<List, PageError> {
    let admin = super::admin_of(session)?;
    Ok(List {
        layout: layout(req, state, session, "承办单位管理"),
        departments: departments::list(state, &admin.0).await?,
        form,
        notice: notice_of(req, &NOTICES),
    })
}

/// `GET /console/admin/departments`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    html(&list_page(&req, &state, &session, FormState::default()).await?)
}

/// `POST /console/admin/departments`: a new department.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    let input = CreateInput {
        name: fields.value("name"),
        code: fields.value("code"),
        email: fields.text("email"),
        active: None,
    };
    match departments::create(&state, &admin, input).await {
        Ok(_) => Ok(done("/console/admin/departments", "created")),
        Err(error) => {
            let shown = refusal("create", fields, error, str::to_owned, taken("code"))?;
            refused_page(&list_page(&req, &state, &session, shown).await?)
        }
    }
}

async fn one_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    id: DepartmentId,
    form: FormState,
) -> Result<One, PageError> {
    let admin = super::admin_of(session)?;
    let department = departments::list(state, &admin.0)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| AppError::not_found("department"))?;
    Ok(One {
        layout: layout(req, state, session, &format!("承办单位：{}", department.name)),
        department,
        form,
        notice: notice_of(req, &NOTICES),
    })
}

/// `GET /console/admin/departments/{id}`.
pub async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    html(&one_page(&req, &state, &session, DepartmentId(path.into_inner()), FormState::default()).await?)
}

/// `POST /console/admin/departments/{id}/{change}`: `edit` (name and mail
/// address; the code stays, as tracking and imports refer to it) or `active`.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, which) = path.into_inner();
    let id = DepartmentId(raw_id);
    let (input, notice, conflict_field) = match which.as_str() {
        "edit" => (
            UpdateInput {
                name: Some(fields.value("name")),
                email: Some(fields.text("email")),
                ..UpdateInput::default()
            },
            "changed",
            "name",
        ),
        "active" => {
            let active = fields.get("active") == Some("true");
            (
                UpdateInput { active: Some(active), ..UpdateInput::default() },
                if active { "reactivated" } else { "deactivated" },
                "active",
            )
        }
        _ => return Err(AppError::not_found("page").into()),
    };
    match departments::update(&state, &admin, id, input).await {
        Ok(_) => Ok(done(&format!("/console/admin/departments/{raw_id}"), notice)),
        Err(error) => {
            let shown = refusal(&which, fields, error, str::to_owned, taken(conflict_field))?;
            refused_page(&one_page(&req, &state, &session, id, shown).await?)
        }
    }
}
