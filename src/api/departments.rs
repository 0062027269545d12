//! `/api/v1/departments`: listed for every user, managed by admins.

use actix_web::{web, HttpResponse};

use super::body::JsonBody;
use crate::auth::{Admin, AuthUser};
use crate::domain::ids::DepartmentId;
use crate::error::AppError;
use crate::service::departments;
use crate::service::views::{DepartmentView, Items};
use crate::state::AppState;

/// `GET /api/v1/departments`.
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let items: Vec<DepartmentView> =
        departments::list(&state, &user).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// `POST /api/v1/departments` (admin).
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: JsonBody<departments::CreateInput>,
) -> Result<HttpResponse, AppError> {
    let created = departments::create(&state, &admin, body.0).await?;
    Ok(HttpResponse::Created().json(DepartmentView::from(created)))
}

/// `PATCH /api/v1/departments/{id}` (admin).
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    body: JsonBody<departments::UpdateInput>,
) -> Result<HttpResponse, AppError> {
    let updated = departments::update(&state, &admin, DepartmentId(path.into_inner()), body.0).await?;
    Ok(HttpResponse::Ok().json(DepartmentView::from(updated)))
}
