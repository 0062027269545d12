//! `/api/v1/users`: staff accounts, managed by admins.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::body::{nullable, JsonBody};
use super::views::{Items, UserView};
use crate::accounts;
use crate::app::AppState;
use crate::auth::{password, Admin};
use crate::db::{
    self,
    models::{self, User},
};
use crate::domain::citizen::optional_email;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::{text_in_range, FieldErrors};
use crate::error::AppError;

/// `GET /api/v1/users` (admin).
pub async fn list(state: web::Data<AppState>, admin: Admin) -> Result<HttpResponse, AppError> {
    let items: Vec<UserView> = list_users(&state, &admin).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// Every account. Like every shared function of this module it takes the
/// [`Admin`] the caller holds: the proof that the role was checked.
pub async fn list_users(state: &AppState, _admin: &Admin) -> Result<Vec<User>, AppError> {
    state.db.read(|conn| Ok(db::users::list(conn)?)).await
}

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    /// Login name.
    pub username: String,
    /// Initial password.
    pub password: String,
    /// Name shown in the event log.
    pub display_name: String,
    /// `admin`, `clerk`, `handler` or `leader`.
    pub role: String,
    /// Required for handlers.
    pub department_id: Option<DepartmentId>,
    /// Address for notifications.
    pub email: Option<String>,
    /// Defaults to active.
    pub active: Option<bool>,
}

/// Patch body; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// A new password (revokes the account's sessions).
    pub password: Option<String>,
    /// Name shown in the event log.
    pub display_name: Option<String>,
    /// `admin`, `clerk`, `handler` or `leader`.
    pub role: Option<String>,
    /// `Some(None)` clears the department.
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    /// `Some(None)` clears the address.
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
    /// `false` deactivates (and revokes the account's sessions).
    pub active: Option<bool>,
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
    admin: Admin,
    body: JsonBody<CreateInput>,
) -> Result<HttpResponse, AppError> {
    let created = create_user(&state, &admin, body.0).await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

/// Creates an account: the API's `POST /api/v1/users` and the admin pages.
pub async fn create_user(
    state: &AppState,
    Admin(admin): &Admin,
    input: CreateInput,
) -> Result<User, AppError> {
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
    Ok(created)
}

/// `PATCH /api/v1/users/{id}` (admin).
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    body: JsonBody<UpdateInput>,
) -> Result<HttpResponse, AppError> {
    let updated = update_user(&state, &admin, UserId(path.into_inner()), body.0).await?;
    Ok(HttpResponse::Ok().json(UserView::from(updated)))
}

/// Changes an account: the API's `PATCH /api/v1/users/{id}` and the admin
/// pages (role, department, deactivation, password reset). A new password
/// or deactivation revokes the account's tokens; the last active admin
/// cannot be demoted or deactivated.
pub async fn update_user(
    state: &AppState,
    Admin(admin): &Admin,
    id: UserId,
    input: UpdateInput,
) -> Result<User, AppError> {
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
    Ok(updated)
}
