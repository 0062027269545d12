//! Static assets, embedded in the binary (an intranet has no CDN) and served
//! under a name carrying a hash of their content, so that browsers may keep
//! them for a year: a changed file is a new name.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

/// The one stylesheet: console, citizen pages, 长辈版 and print.
const STYLESHEET: &str = include_str!("../../assets/casedesk.css");

struct Asset {
    href: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn hashed(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    Asset { href: format!("/assets/{stem}.{hash}.{ext}"), content_type, body }
}

static ASSETS: LazyLock<Vec<Asset>> =
    LazyLock::new(|| vec![hashed("casedesk", "css", "text/css; charset=utf-8", STYLESHEET.as_bytes())]);

/// Where the stylesheet is served, e.g. `/assets/casedesk.3f9a1c2e.css`.
pub fn stylesheet_href() -> &'static str {
    &ASSETS[0].href
}

/// `GET /assets/{name}`: the asset of that exact hashed name, cached for a
/// year; any other name is 404 (an old name is not served a new body).
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let wanted = format!("/assets/{}", name.into_inner());
    match ASSETS.iter().find(|asset| asset.href == wanted) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("没有这个文件"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_name_carries_its_hash() {
        let href = stylesheet_href();
        let hash = href.trim_start_matches("/assets/casedesk.").trim_end_matches(".css");
        assert_eq!(hash.len(), 8, "{href}");
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{href}");
    }
}
