//! `/api/v1/channels`: the channels and their time limits. Changes apply to
//! cases registered afterwards; registered cases keep the due date they got.

use actix_web::{web, HttpResponse};

use super::body::JsonBody;
use crate::auth::{Admin, AuthUser};
use crate::error::AppError;
use crate::service::categories::{self, Categories};
use crate::service::channels;
use crate::service::views::{ChannelView, Items};
use crate::state::AppState;

/// `GET /api/v1/channels`.
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let items: Vec<ChannelView> = channels::list(&state, &user).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// `PATCH /api/v1/channels/{code}` (admin).
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: JsonBody<channels::UpdateInput>,
) -> Result<HttpResponse, AppError> {
    let updated = channels::update(&state, &admin, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(ChannelView::from(updated)))
}

/// `GET /api/v1/channels/{code}/categories` (any user): the categories the
/// channel offers, in order.
pub async fn categories(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::list(&state, &user, path.into_inner()).await?))
}

/// `PUT /api/v1/channels/{code}/categories` (admin): replaces the list.
pub async fn replace_categories(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: JsonBody<Categories>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::replace(&state, &admin, path.into_inner(), body.0).await?))
}
