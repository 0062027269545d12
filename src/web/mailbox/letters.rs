//! `/mailbox/letters` (信件选登): the published letters, newest closure first,
//! ten a page, searchable in title, letter and reply — `service::letters::published`,
//! which masks the writer's name and shows no contact details.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{beijing_day, has_control, respond};
use crate::service::letters::{self, LAST_PAGE, SEARCH_MAX};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::layout::Layout;

/// `?q=…&page=…` of the published letters.
#[derive(Debug, Default, Deserialize)]
struct LettersQuery {
    q: Option<String>,
    page: Option<String>,
}

/// One published letter as the page shows it.
struct LetterView {
    tracking_no: String,
    title: String,
    content: String,
    category: Option<String>,
    /// 王** or 匿名.
    writer: String,
    received_day: String,
    reply: String,
    department: String,
    closed_day: String,
}

#[derive(Template)]
#[template(path = "mailbox/letters.html")]
struct LettersPage {
    layout: Layout,
    q: String,
    q_error: Option<String>,
    letters: Vec<LetterView>,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
}

fn letters_href(q: &str, page: i64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    query.append_pair("page", &page.to_string());
    format!("/mailbox/letters?{}", query.finish())
}

/// `GET /mailbox/letters[?q=…][&page=N]`: the published letters, newest first.
pub async fn letters(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let query = web::Query::<LettersQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let page = query
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=LAST_PAGE).contains(p))
        .unwrap_or(1);
    let typed = query.q.unwrap_or_default();
    let q = typed.trim().to_owned();
    let q_error = if q.chars().count() > SEARCH_MAX {
        Some(format!("查询词最多 {SEARCH_MAX} 个字。"))
    } else if has_control(&q) {
        Some("查询词中有无法识别的控制字符。".into())
    } else {
        None
    };
    let (letters, more) = if q_error.is_some() {
        (Vec::new(), false)
    } else {
        letters::published(&state, (!q.is_empty()).then(|| q.clone()), page).await?
    };
    let letters = letters
        .into_iter()
        .map(|letter| LetterView {
            writer: letter.writer.unwrap_or_else(|| "匿名".into()),
            received_day: beijing_day(letter.received_at),
            closed_day: letter.closed_at.map(beijing_day).unwrap_or_default(),
            reply: letter.reply,
            department: letter.department.unwrap_or_else(|| "县政府办公室".into()),
            tracking_no: letter.tracking_no,
            title: letter.title,
            content: letter.content,
            category: letter.category,
        })
        .collect();
    let shown_q = if has_control(&q) { String::new() } else { q.clone() };
    let page_view = LettersPage {
        layout: Layout::public(&req, "信件选登", String::new()),
        previous: (page > 1).then(|| letters_href(&shown_q, page - 1)),
        next: more.then(|| letters_href(&shown_q, page + 1)),
        q: shown_q,
        q_error,
        letters,
        page,
    };
    let status = if page_view.q_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    respond(&page_view, status, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_keep_the_search() {
        assert_eq!(letters_href("停车 难", 2), "/mailbox/letters?q=%E5%81%9C%E8%BD%A6+%E9%9A%BE&page=2");
        assert_eq!(letters_href("", 1), "/mailbox/letters?page=1");
    }
}
