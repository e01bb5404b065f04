//! Static assets (CSS, JS, icon), embedded in the binary: the UI needs no
//! CDN and no files next to the binary. URLs carry a content hash
//! (`/static/3f9a…/app.css`), so they are cached for a year and a new
//! build changes the URL.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/icon.svg"),
    },
];

/// Hash of all assets together: one version for the set.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        for a in &ASSETS {
            h.update(a.body);
        }
        h.finalize().to_hex()[..12].to_owned()
    })
}

/// The URL of an asset.
pub fn url(name: &str) -> String {
    format!("/static/{}/{name}", version())
}

/// An embedded asset. Current version: cached for a year; another
/// version (an old page after a deploy): served, but not cached.
#[utoipa::path(
    get,
    path = "/static/{version}/{file}",
    tag = "ui",
    params(
        ("version" = String, Path, description = "Content hash of the asset set"),
        ("file" = String, Path, description = "app.css, app.js or icon.svg")
    ),
    responses(
        (status = 200, description = "The asset"),
        (status = 404, description = "No such asset")
    )
)]
pub async fn asset(Path((v, file)): Path<(String, String)>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == file) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let cache = if v == version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        a.body,
    )
        .into_response()
}
