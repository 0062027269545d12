//! Staff accounts: listing, creating and changing them (admins, through the
//! API and the admin pages), and the one path of creation that the API,
//! `casedesk user add` and the first start's administrator all take, so that
//! the rules (a handler belongs to a department that exists; usernames are
//! unique; the last active admin stays) hold whoever acts.

use actix_web::web;
use serde::Deserialize;

use crate::auth::{password, Admin};
use crate::config::{check_admin_password, ConfigError};
use crate::db::models::{self, NewUser, User};
use crate::db::{self, Db, DbConnection};
use crate::domain::account::{parse_role, parse_username};
use crate::domain::citizen::optional_email;
use crate::domain::digest::Frequency;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::{nullable, text_in_range, FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;

/// Checks the department an account would end up with: a handler needs
/// one, and a named one must exist.
pub fn check_department(
    conn: &mut DbConnection,
    role: Role,
    department_id: Option<DepartmentId>,
) -> Result<(), AppError> {
    match department_id {
        None if role == Role::Handler => {
            Err(AppError::invalid_field("department_id", Rule::HandlerNeedsDepartment))
        }
        None => Ok(()),
        Some(id) => match db::departments::find(conn, id)? {
            Some(_) => Ok(()),
            None => Err(AppError::invalid_field("department_id", Rule::UnknownDepartment(id.0))),
        },
    }
}

/// Creates an account (its password already hashed), in the caller's transaction.
pub fn create_in(conn: &mut DbConnection, new: &NewUser) -> Result<User, AppError> {
    check_department(conn, new.role, new.department_id)?;
    if db::users::find_by_username(conn, &new.username)?.is_some() {
        return Err(AppError::Duplicate {
            detail: format!("the username '{}' is taken", new.username),
            existing: None,
        });
    }
    let id = db::users::insert(conn, new)?;
    db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))
}

/// Every account. Like every shared function of this module it takes the
/// [`Admin`] the caller holds: the proof that the role was checked.
pub async fn list(state: &AppState, _admin: &Admin) -> Result<Vec<User>, AppError> {
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
    /// The leaders' digest by mail: `none`, `weekly` or `monthly`.
    pub digest: Option<String>,
}

/// Creates an account: the API's `POST /api/v1/users` and the admin pages.
pub async fn create(state: &AppState, Admin(admin): &Admin, input: CreateInput) -> Result<User, AppError> {
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
    let created = state.db.write(move |conn| create_in(conn, &new)).await?;
    tracing::info!(user = %created.username, role = %created.role, by = %admin.username, "account created");
    Ok(created)
}

/// Changes an account: the API's `PATCH /api/v1/users/{id}` and the admin
/// pages (role, department, deactivation, password reset). A new password
/// or deactivation revokes the account's tokens; the last active admin
/// cannot be demoted or deactivated.
pub async fn update(
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
    let digest = input.digest.as_deref().and_then(|d| match Frequency::parse(d) {
        Some(frequency) => Some(frequency.as_str().to_owned()),
        None => {
            errors.add("digest", Rule::OneOf(Frequency::CODES));
            None
        }
    });
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
        digest,
    };
    let updated = state
        .db
        .write(move |conn| {
            let current = db::users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
            let final_role = role.unwrap_or(current.role);
            let final_department = changes.department_id.unwrap_or(current.department_id);
            check_department(conn, final_role, final_department)?;
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

/// Why the first administrator could not be created.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// `CASEDESK_ADMIN_PASSWORD` breaks the password rule: said naming the
    /// setting, not as a request's invalid field.
    #[error(transparent)]
    Setting(#[from] ConfigError),
    /// The database refused.
    #[error("cannot create the administrator account: {0}")]
    Database(#[from] AppError),
}

/// On an empty database, creates user `admin` with the configured password, or
/// with a random one printed once.
pub fn bootstrap_admin(db: &Db, configured: Option<&str>) -> Result<(), BootstrapError> {
    let created = db.write_blocking(|conn| {
        if !db::users::none_exist(conn)? {
            return Ok(Ok(()));
        }
        let (password, generated) = match configured {
            Some(p) => match check_admin_password(p) {
                Ok(()) => (p.to_owned(), false),
                Err(refused) => return Ok(Err(refused)),
            },
            None => (password::generate(), true),
        };
        let now = time::now_utc();
        create_in(
            conn,
            &db::models::NewUser {
                username: "admin".into(),
                password_hash: password::hash(&password).map_err(AppError::Internal)?,
                display_name: "系统管理员".into(),
                role: Role::Admin,
                department_id: None,
                email: None,
                active: true,
                created_at: now,
                updated_at: now,
            },
        )?;
        if generated {
            println!("Created the administrator account 'admin' with password: {password}");
            println!("It is shown only this once: log in and change it (POST /api/v1/auth/password).");
        } else {
            tracing::info!("created the administrator account 'admin' from CASEDESK_ADMIN_PASSWORD");
        }
        Ok(Ok(()))
    });
    Ok(created??)
}
