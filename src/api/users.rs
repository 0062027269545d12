//! `/api/v1/users`: staff accounts, managed by admins.

use actix_web::{web, HttpResponse};

use super::body::JsonBody;
use crate::auth::Admin;
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::service::accounts;
use crate::service::views::{Items, UserView};
use crate::state::AppState;

/// `GET /api/v1/users` (admin).
pub async fn list(state: web::Data<AppState>, admin: Admin) -> Result<HttpResponse, AppError> {
    let items: Vec<UserView> = accounts::list(&state, &admin).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// `POST /api/v1/users` (admin).
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: JsonBody<accounts::CreateInput>,
) -> Result<HttpResponse, AppError> {
    let created = accounts::create(&state, &admin, body.0).await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

/// `PATCH /api/v1/users/{id}` (admin).
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    body: JsonBody<accounts::UpdateInput>,
) -> Result<HttpResponse, AppError> {
    let updated = accounts::update(&state, &admin, UserId(path.into_inner()), body.0).await?;
    Ok(HttpResponse::Ok().json(UserView::from(updated)))
}
