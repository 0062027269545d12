//! `/console/admin/channels`: the channels with their time limits; per
//! channel, a form for the time limit and the extension limit with their
//! units, through `service::channels::update` as `PATCH
//! /api/v1/channels/{code}` (changes apply to cases registered afterwards),
//! and the list of its categories, one a line, through
//! `service::categories::replace` as `PUT /api/v1/channels/{code}/categories`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{done, layout, notice_of, refusal, refused_page, ConflictShown, Fields, FormState};
use crate::auth::Admin;
use crate::db::models::Channel;
use crate::domain::calendar::LimitUnit;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::service::categories::{self, Categories};
use crate::service::channels::{self, UpdateInput};
use crate::service::sessions::Resolved;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::forms::CsrfForm;
use crate::web::layout::html;
use crate::web::layout::Layout;
use crate::web::session::Page;

const NOTICES: [(&str, &str); 2] = [
    ("changed", "办理时限已保存，适用于此后登记的案件；已登记案件的办理期限不变。"),
    ("categories", "类别已保存：登记和公开信箱从现在起提供新的类别；已登记案件的类别不变。"),
];

/// The units as the forms offer them.
const UNITS: [(&str, &str); 3] = [("workday", "个工作日"), ("calendar_day", "个自然日"), ("month", "个月")];

/// A unit in Chinese.
fn unit_name(unit: LimitUnit) -> &'static str {
    UNITS.iter().find(|(code, _)| *code == unit.as_str()).map_or("", |(_, name)| *name)
}

/// One channel as the pages show it.
pub struct Row {
    code: String,
    name: String,
    time_limit: i32,
    time_limit_unit: &'static str,
    time_limit_unit_name: &'static str,
    extension_limit: i32,
    extension_unit: &'static str,
    extension_unit_name: &'static str,
    tracking_prefix: String,
}

impl From<Channel> for Row {
    fn from(c: Channel) -> Self {
        Row {
            code: c.code,
            name: c.name,
            time_limit: c.time_limit,
            time_limit_unit: c.time_limit_unit.as_str(),
            time_limit_unit_name: unit_name(c.time_limit_unit),
            extension_limit: c.extension_limit,
            extension_unit: c.extension_unit.as_str(),
            extension_unit_name: unit_name(c.extension_unit),
            tracking_prefix: c.tracking_prefix,
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin/channels.html")]
struct List {
    layout: Layout,
    channels: Vec<Row>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/admin/channel.html")]
struct One {
    layout: Layout,
    channel: Row,
    /// The categories, one a line, as stored or as typed after a refusal.
    categories: String,
    units: [(&'static str, &'static str); 3],
    form: FormState,
    notice: Option<&'static str>,
}

impl One {
    /// The value a field shows: what was typed after a refusal, else the stored one.
    fn shown(&self, name: &str, stored: &str) -> String {
        if self.form.which == "edit" {
            self.form.values.value(name)
        } else {
            stored.to_owned()
        }
    }
}

/// `GET /console/admin/channels`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { proof: admin, session }: Page<Admin>,
) -> Result<HttpResponse, PageError> {
    html(&List {
        layout: layout(&req, &state, &session, "渠道与办理时限"),
        channels: channels::list(&state, &admin.0).await?.into_iter().map(Row::from).collect(),
        notice: notice_of(&req, &NOTICES),
    })
}

async fn one_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Resolved,
    code: &str,
    form: FormState,
) -> Result<One, PageError> {
    let admin = super::admin_of(session)?;
    let channel = channels::list(state, &admin.0)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::not_found("channel"))?;
    let categories = if form.which == "categories" {
        form.values.get("categories").unwrap_or_default().to_owned()
    } else {
        categories::list(state, &admin.0, code.to_owned()).await?.categories.join("\n")
    };
    Ok(One {
        layout: layout(req, state, session, &format!("渠道：{}", channel.name)),
        channel: channel.into(),
        categories,
        units: UNITS,
        form,
        notice: notice_of(req, &NOTICES),
    })
}

/// `GET /console/admin/channels/{code}`.
pub async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    Page { session, .. }: Page<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    html(&one_page(&req, &state, &session, &path.into_inner(), FormState::default()).await?)
}

/// A whole number typed into a form: the API's body would carry a number,
/// so anything else is refused here, in the API's words for the range.
fn number(errors: &mut FieldErrors, fields: &Fields, name: &str, min: i32) -> Option<i32> {
    let parsed = fields.value(name).parse().ok();
    if parsed.is_none() {
        errors.add(name, Rule::WholeNumber { min: min.into(), max: 366 });
    }
    parsed
}

/// The form as the API's patch.
fn input_of(fields: &Fields) -> Result<UpdateInput, AppError> {
    let mut errors = FieldErrors::new();
    let time_limit = number(&mut errors, fields, "time_limit", 1);
    let extension_limit = number(&mut errors, fields, "extension_limit", 0);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(UpdateInput {
        time_limit,
        time_limit_unit: Some(fields.value("time_limit_unit")),
        extension_limit,
        extension_unit: Some(fields.value("extension_unit")),
        ..UpdateInput::default()
    })
}

/// `POST /console/admin/channels/{code}`: the time limits.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = path.into_inner();
    let outcome = match input_of(&fields) {
        Ok(input) => channels::update(&state, &admin, code.clone(), input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(done(&format!("/console/admin/channels/{code}"), "changed")),
        Err(error) => {
            let taken =
                ConflictShown { field: "time_limit", text: "编号前缀已被其他渠道使用。".into() };
            let shown = refusal("edit", fields, error, str::to_owned, taken)?;
            refused_page(&one_page(&req, &state, &session, &code, shown).await?)
        }
    }
}

/// The categories typed, one a line (blank lines left out).
fn categories_of(fields: &Fields) -> Categories {
    let typed = fields.get("categories").unwrap_or_default();
    Categories {
        categories: typed.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
    }
}

/// `POST /console/admin/channels/{code}/categories`: the channel's categories.
pub async fn change_categories(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
    Page { proof: admin, session }: Page<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = path.into_inner();
    match categories::replace(&state, &admin, code.clone(), categories_of(&fields)).await {
        Ok(_) => Ok(done(&format!("/console/admin/channels/{code}"), "categories")),
        Err(error) => {
            let unused = ConflictShown { field: "categories", text: String::new() };
            let shown = refusal("categories", fields, error, |_| "categories".to_owned(), unused)?;
            refused_page(&one_page(&req, &state, &session, &code, shown).await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_apis_patch() {
        let fields = Fields(
            [
                ("time_limit", "20"),
                ("time_limit_unit", "workday"),
                ("extension_limit", " 0 "),
                ("extension_unit", "month"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let input = input_of(&fields).unwrap();
        assert_eq!((input.time_limit, input.extension_limit), (Some(20), Some(0)));
        assert_eq!(input.extension_unit.as_deref(), Some("month"));
        assert!(input.name.is_none() && input.tracking_prefix.is_none(), "only the limits change");
        let typed =
            Fields([("categories".to_string(), " 教育 \r\n\n住房\n".to_string())].into_iter().collect());
        assert_eq!(categories_of(&typed).categories, ["教育", "住房"], "one a line, blank lines left out");
        let bad = Fields([("time_limit".to_string(), "十五".to_string())].into_iter().collect());
        let Err(AppError::Validation(errors)) = input_of(&bad) else { panic!("refused") };
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["time_limit", "extension_limit"]);
    }
}
