//! 新着 (`/recent`): the cases added or updated most recently, newest
//! first, grouped by day, with the Atom feed of the same list linked for
//! feed readers. Reads the same list as the feed
//! ([`crate::index::CaseIndex::newest`]); must
//! not order cases any other way.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::super::auth::Viewer;
use super::super::error::WebError;
use super::super::feed::ENTRIES;
use super::{Base, HtmlError, LevelBadge, badges, place, render};
use crate::wareki;
use crate::web::AppState;

pub struct RecentCase {
    pub href: String,
    pub title: String,
    pub place: String,
    pub period: String,
    pub levels: Vec<LevelBadge>,
    pub contributor: Option<String>,
}

/// The cases saved on one day.
pub struct RecentDay {
    /// 2026年11月24日, or 「更新日の記載なし」.
    pub date: String,
    /// The ISO date for `<time datetime>`; empty when undated.
    pub iso: String,
    pub cases: Vec<RecentCase>,
}

#[derive(Template)]
#[template(path = "recent.html")]
pub struct RecentPage {
    pub base: Base,
    pub days: Vec<RecentDay>,
    pub shown: usize,
    /// The most the page lists.
    pub max: usize,
}

/// New and updated cases (HTML), newest first; the Atom feed of the same
/// list is `/feed.xml`.
#[utoipa::path(
    get,
    path = "/recent",
    tag = "ui",
    responses((status = 200, description = "New and updated cases (HTML)", content_type = "text/html"))
)]
pub async fn recent_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let cases = match state.index.newest(ENTRIES) {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_html(&state, &viewer),
    };
    let shown = cases.len();
    let mut days: Vec<RecentDay> = Vec::new();
    for c in cases {
        let iso = c.updated.clone().unwrap_or_default();
        let entry = RecentCase {
            href: format!("/cases/{}", c.id),
            place: place(&c.municipality, &c.prefecture),
            period: c.period.to_string(),
            levels: badges(&c.levels),
            contributor: c.contributor.clone(),
            title: c.title,
        };
        match days.last_mut() {
            Some(d) if d.iso == iso => d.cases.push(entry),
            _ => days.push(RecentDay {
                date: if iso.is_empty() {
                    "更新日の記載なし".to_owned()
                } else {
                    wareki::date_ja(&iso)
                },
                iso,
                cases: vec![entry],
            }),
        }
    }
    render(&RecentPage {
        base: Base::new(&state, "recent", &viewer),
        days,
        shown,
        max: ENTRIES,
    })
}
