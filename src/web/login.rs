//! Signing in and out, and changing one's own password, as pages. The checks
//! are `service::sessions`', the same the API's `/auth/*` handlers call;
//! these handlers only add the session cookie and the form (whose CSRF token
//! `forms::PublicForm` / `forms::CsrfForm` check).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::errors::PageError;
use super::forms::{CsrfForm, PublicForm};
use super::layout::html;
use super::layout::Layout;
use super::session::{self, Page, Session};
use super::{cookies, csrf};
use crate::auth::{password, AuthUser};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::service::sessions::{self as login, Resolved};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    error: Option<String>,
}

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The sign-in page with its nonce cookie set when the browser has none yet.
fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    username: String,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let (nonce, new) = csrf::login_nonce(req);
    let layout = Layout::public(req, "工作人员登录", csrf::login_token(&state.tokens, &nonce));
    let mut response = html(&LoginPage { layout, username, error })?;
    *response.status_mut() = status;
    if new {
        response.add_cookie(&cookies::login_nonce(&state.settings, nonce)).map_err(internal)?;
    }
    Ok(response)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// `GET /login`; a browser already signed in goes on to its home page.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    if session::current(&req).await?.is_some() {
        return Ok(redirect("/console/"));
    }
    login_page(&req, &state, StatusCode::OK, String::new(), None)
}

/// `POST /login`: CSRF first (a refused form is not a login attempt), then
/// the API's checks; a refusal gives the form again with a message.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PublicForm(LoginForm { username, password }): PublicForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let username = username.trim().to_owned();
    if username.is_empty() || password.is_empty() {
        let message = "请输入用户名和密码。".to_owned();
        return login_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, username, Some(message));
    }
    match login::check_credentials(&state, ClientAddress::of(&req), username.clone(), password).await {
        Ok(user) => {
            let token =
                state.tokens.issue_session(user.id, user.token_epoch, Utc::now(), session::idle(&state))?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/"))
                .cookie(cookies::session(&state.settings, token))
                .finish())
        }
        Err(AppError::Unauthenticated(_)) => {
            let message = "用户名或密码不正确，或账号已停用。".to_owned();
            login_page(&req, &state, StatusCode::UNAUTHORIZED, username, Some(message))
        }
        Err(AppError::RateLimited { retry_after_secs, .. }) => {
            let message =
                format!("这个账号登录失败次数过多，请 {} 分钟后再试。", retry_after_secs.div_ceil(60));
            let mut response =
                login_page(&req, &state, StatusCode::TOO_MANY_REQUESTS, username, Some(message))?;
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// A form with nothing in it but its token.
#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /logout`: ends every session and token of the account (the API's
/// logout), removes the cookie, and goes to the sign-in page.
pub async fn logout(
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
    page: Page<AuthUser>,
) -> Result<HttpResponse, PageError> {
    login::revoke_all(&state, page.session.user.id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(cookies::session_removal(&state.settings))
        .finish())
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: PasswordErrors,
    done: bool,
    min_len: usize,
    max_len: usize,
}

/// Messages beside the password form's fields.
#[derive(Default)]
struct PasswordErrors {
    current_password: Option<String>,
    new_password: Option<String>,
    new_password_again: Option<String>,
}

impl PasswordErrors {
    fn any(&self) -> bool {
        self.current_password.is_some() || self.new_password.is_some() || self.new_password_again.is_some()
    }
}

/// The password form as posted.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

fn password_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    status: StatusCode,
    errors: PasswordErrors,
    done: bool,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::console(req, state, session, "修改密码", "password");
    let page = PasswordPage { layout, errors, done, min_len: password::MIN_LEN, max_len: password::MAX_LEN };
    let mut response = html(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/password`.
pub async fn password_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    password_page(&req, &state, &session, StatusCode::OK, PasswordErrors::default(), false)
}

/// `POST /console/password`: the API's password change (which revokes every
/// earlier token and session), then a new session for this browser.
pub async fn password_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PasswordForm>,
    Session(session): Session,
) -> Result<HttpResponse, PageError> {
    let PasswordForm { current_password, new_password, new_password_again } = form;
    let mut errors = PasswordErrors::default();
    if new_password != new_password_again {
        errors.new_password_again = Some("两次输入的新密码不一致。".into());
        return password_page(&req, &state, &session, StatusCode::UNPROCESSABLE_ENTITY, errors, false);
    }
    let client = ClientAddress::of(&req);
    match login::change_password(&state, client, session.user.id, current_password, new_password).await {
        Ok(updated) => {
            let token = state.tokens.issue_session(
                updated.id,
                updated.token_epoch,
                Utc::now(),
                session::idle(&state),
            )?;
            let fresh = Resolved { claims: state.tokens.verify(&token)?, ..session };
            let mut response =
                password_page(&req, &state, &fresh, StatusCode::OK, PasswordErrors::default(), true)?;
            response.add_cookie(&cookies::session(&state.settings, token)).map_err(internal)?;
            Ok(response)
        }
        Err(AppError::Validation(fields)) => {
            for field in fields.0 {
                match field.field.as_str() {
                    "current_password" => errors.current_password = Some("当前密码不正确。".into()),
                    _ => {
                        errors.new_password = Some(format!(
                            "新密码须为 {} 至 {} 个字符。",
                            password::MIN_LEN,
                            password::MAX_LEN
                        ))
                    }
                }
            }
            debug_assert!(errors.any());
            password_page(&req, &state, &session, StatusCode::UNPROCESSABLE_ENTITY, errors, false)
        }
        Err(other) => Err(other.into()),
    }
}
