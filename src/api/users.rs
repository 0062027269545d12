//! `/api/v1/users`: staff accounts, managed by admins.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::body::{nullable, JsonBody};
use super::views::{Items, UserView};
use crate::accounts;
use crate::app::AppState;
use crate::auth::{password, Admin};
use crate::db::{self, models};
use crate::domain::citizen::optional_email;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::{text_in_range, FieldErrors};
use crate::error::AppError;

/// `GET /api/v1/users` (admin).
pub async fn list(state: web::Data<AppState>, Admin(_admin): Admin) -> Result<HttpResponse, AppError> {
    let users = state.db.read(|conn| Ok(db::users::list(conn)?)).await?;
    let items: Vec<UserView> = users.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    username: String,
    password: String,
    display_name: String,
    role: String,
    department_id: Option<DepartmentId>,
    email: Option<String>,
    active: Option<bool>,
}

/// Patch body; absent fields stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    password: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    active: Option<bool>,
}

/// Login names: 3 to 32 lower-case letters, digits, `.`, `_` or `-`.
pub fn parse_username(errors: &mut FieldErrors, raw: &str) -> Option<String> {
    let name = raw.trim();
    let valid = (3..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !valid {
        errors.add("username", "must be 3 to 32 lower-case letters, digits, '.', '_' or '-'");
    }
    valid.then(|| name.to_owned())
}

fn parse_role(errors: &mut FieldErrors, raw: &str) -> Option<Role> {
    let role = Role::parse(raw);
    if role.is_none() {
        errors.add("role", "must be one of admin, clerk, handler, leader");
    }
    role
}

/// `POST /api/v1/users` (admin).
pub async fn create(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    body: JsonBody<CreateInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let mut errors = FieldErrors::new();
    let username = parse_username(&mut errors, &input.username);
    if let Err(e) = password::check_new("password", &input.password) {
        errors.0.extend(e.0);
    }
    let display_name = text_in_range(&mut errors, "display_name", &input.display_name, 1, 50);
    let role = parse_role(&mut errors, &input.role);
    let email = optional_email(&mut errors, "email", input.email.as_deref());
    let (Some(username), Some(display_name), Some(role), true) =
        (username, display_name, role, errors.is_empty())
    else {
        return Err(errors.into());
    };
    let plain = input.password;
    let password_hash = web::block(move || password::hash(&plain)).await?.map_err(AppError::Internal)?;
    let now = time::now_utc();
    let new = models::NewUser {
        username,
        password_hash,
        display_name,
        role,
        department_id: input.department_id,
        email,
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let created = state.db.write(move |conn| accounts::create(conn, &new)).await?;
    tracing::info!(user = %created.username, role = %created.role, by = %admin.username, "account created");
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

/// `PATCH /api/v1/users/{id}` (admin). A new password or deactivation revokes
/// the account's tokens; the last active admin cannot be demoted or deactivated.
pub async fn update(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    path: web::Path<i64>,
    body: JsonBody<UpdateInput>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    let input = body.0;
    let mut errors = FieldErrors::new();
    if let Some(Err(e)) = input.password.as_deref().map(|p| password::check_new("password", p)) {
        errors.0.extend(e.0);
    }
    let display_name =
        input.display_name.as_deref().and_then(|n| text_in_range(&mut errors, "display_name", n, 1, 50));
    let role = input.role.as_deref().and_then(|r| parse_role(&mut errors, r));
    let email = input.email.map(|e| optional_email(&mut errors, "email", e.as_deref()));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let password_hash = match input.password {
        Some(plain) => Some(web::block(move || password::hash(&plain)).await?.map_err(AppError::Internal)?),
        None => None,
    };
    let revoke = password_hash.is_some() || input.active == Some(false);
    let changes = models::UserChanges {
        password_hash,
        display_name,
        role,
        department_id: input.department_id,
        email,
        active: input.active,
        token_epoch: None,
        updated_at: Some(time::now_utc()),
    };
    let updated = state
        .db
        .write(move |conn| {
            let current = db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
            let final_role = role.unwrap_or(current.role);
            let final_department = changes.department_id.unwrap_or(current.department_id);
            accounts::check_department(conn, final_role, final_department)?;
            db::users::update(conn, id, &changes)?;
            if revoke {
                db::users::revoke_tokens(conn, id)?;
            }
            if db::users::count_active_admins(conn)? == 0 {
                return Err(AppError::Conflict("this would leave no active administrator".into()));
            }
            db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))
        })
        .await?;
    state.users.forget(updated.id);
    tracing::info!(user = %updated.username, by = %admin.username, "account changed");
    Ok(HttpResponse::Ok().json(UserView::from(updated)))
}
