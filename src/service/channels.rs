//! Channels and their time limits: listed for every signed-in user, changed
//! by admins. Changes apply to cases registered afterwards; registered cases
//! keep the due date they got.

use crate::auth::{Admin, AuthUser};
use crate::db::{
    self,
    models::{self, Channel},
};
use crate::domain::calendar::LimitUnit;
use crate::domain::time;
use crate::domain::validation::{text_in_range, FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;
use serde::Deserialize;

/// Every channel in display order (any signed-in user may read them).
pub async fn list(state: &AppState, _reader: &AuthUser) -> Result<Vec<Channel>, AppError> {
    let db = state.db.clone();
    state.db.read(move |conn| Ok(db.channels(conn)?.to_vec())).await
}

/// Patch body; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// Name, e.g. 公开信箱.
    pub name: Option<String>,
    /// Time limit amount.
    pub time_limit: Option<i32>,
    /// `workday`, `calendar_day` or `month`.
    pub time_limit_unit: Option<String>,
    /// Largest total extension.
    pub extension_limit: Option<i32>,
    /// `workday`, `calendar_day` or `month`.
    pub extension_unit: Option<String>,
    /// Tracking-number prefix.
    pub tracking_prefix: Option<String>,
    /// Whether ratings have a work and a result dimension.
    pub two_dimension_rating: Option<bool>,
    /// Display order.
    pub sort_order: Option<i32>,
}

fn unit(errors: &mut FieldErrors, field: &str, raw: Option<String>) -> Option<LimitUnit> {
    let unit = LimitUnit::parse(&raw?);
    if unit.is_none() {
        errors.add(field, Rule::OneOf(&["workday", "calendar_day", "month"]));
    }
    unit
}

fn amount(errors: &mut FieldErrors, field: &str, raw: Option<i32>, min: i32) -> Option<i32> {
    let value = raw?;
    if (min..=366).contains(&value) {
        Some(value)
    } else {
        errors.add(field, Rule::WholeNumber { min: min.into(), max: 366 });
        None
    }
}

/// Changes a channel: the API's `PATCH /api/v1/channels/{code}` and the admin pages.
pub async fn update(
    state: &AppState,
    Admin(admin): &Admin,
    code: String,
    input: UpdateInput,
) -> Result<Channel, AppError> {
    let mut errors = FieldErrors::new();
    let tracking_prefix = input.tracking_prefix.and_then(|p| {
        let valid = (2..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_uppercase());
        if !valid {
            errors.add("tracking_prefix", Rule::TrackingPrefix);
        }
        valid.then_some(p)
    });
    let changes = models::ChannelChanges {
        name: input.name.as_deref().and_then(|n| text_in_range(&mut errors, "name", n, 1, 50)),
        time_limit: amount(&mut errors, "time_limit", input.time_limit, 1),
        time_limit_unit: unit(&mut errors, "time_limit_unit", input.time_limit_unit),
        extension_limit: amount(&mut errors, "extension_limit", input.extension_limit, 0),
        extension_unit: unit(&mut errors, "extension_unit", input.extension_unit),
        tracking_prefix,
        two_dimension_rating: input.two_dimension_rating,
        sort_order: input.sort_order,
        updated_at: Some(time::now_utc()),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let updated = state
        .db
        .write(move |conn| {
            if !db::channels::update(conn, &code, &changes)? {
                return Err(AppError::not_found("channel"));
            }
            db::channels::find(conn, &code)?.ok_or_else(|| AppError::not_found("channel"))
        })
        .await
        .map_err(|e| match e {
            AppError::Duplicate { .. } => AppError::Duplicate {
                detail: "another channel already uses this tracking prefix".into(),
                existing: None,
            },
            other => other,
        })?;
    state.db.forget_cached();
    tracing::info!(channel = %updated.code, by = %admin.username, "channel changed");
    Ok(updated)
}
