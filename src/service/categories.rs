//! The categories each channel offers, in order: one list in the database,
//! offered by the console's intake and the mailbox, and managed on the admin
//! pages and `GET/PUT /api/v1/channels/{code}/categories`. A category in use
//! by cases stays theirs when it is taken off the list.

use serde::{Deserialize, Serialize};

use crate::auth::{Admin, AuthUser};
use crate::db;
use crate::domain::intake::CATEGORY_MAX;
use crate::domain::validation::{text_in_range, FieldErrors, Rule};
use crate::error::AppError;
use crate::state::AppState;

/// Most categories one channel may offer.
pub const MAX_CATEGORIES: usize = 100;

/// A channel's categories, as the API reads and writes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Categories {
    /// The names, in the order forms offer them.
    pub categories: Vec<String>,
}

/// The categories `channel` offers (any signed-in user); 404 for no such channel.
pub async fn list(state: &AppState, _reader: &AuthUser, channel: String) -> Result<Categories, AppError> {
    state
        .db
        .read(move |conn| {
            db::channels::find(conn, &channel)?.ok_or_else(|| AppError::not_found("channel"))?;
            Ok(Categories { categories: db::channels::categories(conn, &channel)? })
        })
        .await
}

/// The categories `channel` offers, for a form (no sign-in: the mailbox's).
pub async fn offered(state: &AppState, channel: &str) -> Result<Vec<String>, AppError> {
    let channel = channel.to_owned();
    state.db.read(move |conn| Ok(db::channels::categories(conn, &channel)?)).await
}

/// Checks a new list: each name 1 to [`CATEGORY_MAX`] characters without
/// control characters, none twice, at most [`MAX_CATEGORIES`].
pub fn check(input: Categories) -> Result<Vec<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if input.categories.len() > MAX_CATEGORIES {
        errors.add("categories", Rule::WholeNumber { min: 0, max: MAX_CATEGORIES as i64 });
    }
    let mut names: Vec<String> = Vec::with_capacity(input.categories.len());
    for (i, raw) in input.categories.iter().enumerate() {
        let field = format!("categories[{i}]");
        if let Some(name) = text_in_range(&mut errors, &field, raw, 1, CATEGORY_MAX) {
            if names.contains(&name) {
                errors.add(field, Rule::ListedTwice);
            } else {
                names.push(name);
            }
        }
    }
    errors.into_result(names)
}

/// Replaces the categories `channel` offers (admins).
pub async fn replace(
    state: &AppState,
    Admin(admin): &Admin,
    channel: String,
    input: Categories,
) -> Result<Categories, AppError> {
    let names = check(input)?;
    let code = channel.clone();
    let stored = state
        .db
        .write(move |conn| {
            db::channels::find(conn, &code)?.ok_or_else(|| AppError::not_found("channel"))?;
            db::channels::replace_categories(conn, &code, &names)?;
            Ok(db::channels::categories(conn, &code)?)
        })
        .await?;
    tracing::info!(%channel, categories = stored.len(), by = %admin.username, "channel categories replaced");
    Ok(Categories { categories: stored })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_trimmed_and_refuses_blanks_and_repeats() {
        let list = |names: &[&str]| Categories { categories: names.iter().map(|n| n.to_string()).collect() };
        assert_eq!(check(list(&[" 教育 ", "住房"])).unwrap(), ["教育", "住房"]);
        let errors = check(list(&["教育", "", "教育"])).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| (e.field.as_str(), e.rule.clone())).collect();
        assert_eq!(fields[0].0, "categories[1]");
        assert_eq!(fields[1], ("categories[2]", Rule::ListedTwice));
        assert!(check(list(&vec!["x"; MAX_CATEGORIES + 1])).is_err());
    }
}
