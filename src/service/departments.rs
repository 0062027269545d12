//! Departments (承办单位): listed for every signed-in user, created and
//! changed by admins — the API's `/departments` and the admin pages.

use crate::auth::{Admin, AuthUser};
use crate::db::{
    self,
    models::{self, Department},
};
use crate::domain::citizen::optional_email;
use crate::domain::ids::DepartmentId;
use crate::domain::time;
use crate::domain::validation::nullable;
use crate::domain::validation::{text_in_range, FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;
use serde::Deserialize;

/// Every department, active or not (any signed-in user may read them).
pub async fn list(state: &AppState, _reader: &AuthUser) -> Result<Vec<Department>, AppError> {
    state.db.read(|conn| Ok(db::departments::list(conn)?)).await
}

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    /// Full name, e.g. 县教育局.
    pub name: String,
    /// Short code, e.g. `EDU`.
    pub code: String,
    /// Address for notifications.
    pub email: Option<String>,
    /// Defaults to active.
    pub active: Option<bool>,
}

/// Patch body; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// Full name.
    pub name: Option<String>,
    /// Short code.
    pub code: Option<String>,
    /// `Some(None)` clears the address.
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
    /// `false` deactivates: no new cases can be assigned to it.
    pub active: Option<bool>,
}

fn parse_code(errors: &mut FieldErrors, raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    let valid = (1..=20).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        errors.add("code", Rule::DepartmentCode);
    }
    valid.then_some(code)
}

fn duplicate(error: AppError) -> AppError {
    match error {
        AppError::Duplicate { .. } => AppError::Duplicate {
            detail: "a department with this name or code already exists".into(),
            existing: None,
        },
        other => other,
    }
}

/// Creates a department: the API's `POST /api/v1/departments` and the admin pages.
pub async fn create(
    state: &AppState,
    Admin(admin): &Admin,
    input: CreateInput,
) -> Result<Department, AppError> {
    let mut errors = FieldErrors::new();
    let name = text_in_range(&mut errors, "name", &input.name, 1, 100);
    let code = parse_code(&mut errors, &input.code);
    let email = optional_email(&mut errors, "email", input.email.as_deref());
    let (Some(name), Some(code)) = (name, code) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let now = time::now_utc();
    let new = models::NewDepartment {
        name,
        code,
        email,
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let created = state
        .db
        .write(move |conn| {
            let id = db::departments::insert(conn, &new)?;
            db::departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))
        })
        .await
        .map_err(duplicate)?;
    tracing::info!(department = %created.id, by = %admin.username, "department created");
    Ok(created)
}

/// Changes a department: the API's `PATCH /api/v1/departments/{id}` and the admin pages.
pub async fn update(
    state: &AppState,
    Admin(admin): &Admin,
    id: DepartmentId,
    input: UpdateInput,
) -> Result<Department, AppError> {
    let mut errors = FieldErrors::new();
    let changes = models::DepartmentChanges {
        name: input.name.as_deref().and_then(|n| text_in_range(&mut errors, "name", n, 1, 100)),
        code: input.code.as_deref().and_then(|c| parse_code(&mut errors, c)),
        email: input.email.map(|e| optional_email(&mut errors, "email", e.as_deref())),
        active: input.active,
        updated_at: Some(time::now_utc()),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let updated = state
        .db
        .write(move |conn| {
            if !db::departments::update(conn, id, &changes)? {
                return Err(AppError::not_found("department"));
            }
            db::departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))
        })
        .await
        .map_err(duplicate)?;
    tracing::info!(department = %updated.id, by = %admin.username, "department changed");
    Ok(updated)
}
