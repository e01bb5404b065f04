//! The server-rendered Japanese UI: search, case, 統計, 検索の傾向 and 新着
//! pages, and the HTML error states. Handlers build small view structs; the
//! askama templates in `templates/` only lay them out (escaping is on by
//! default; only our own `<mark>` snippet HTML is marked `safe`).
//!
//! Every page works without JavaScript: the search is a plain GET form and
//! every facet, chip, sort and page is a link. `static/app.js` only makes
//! it faster (search-as-you-type, in-place updates).
//!
//! One submodule per page; this module holds what they share (the page
//! frame, level badges, search links) and turns a [`WebError`] into an
//! HTML page ([`HtmlError`]), so that the error type itself knows nothing
//! of pages.

pub mod case;
pub mod recent;
pub mod search;
pub mod stats;

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Viewer;
use super::error::{WebError, bare_html};
use super::params::SearchParams;
use super::{AppState, assets};
use crate::case::Level;

pub use case::{CaseView, case_view};

/// Renders a template, or a bare 500 page if the template fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            bare_html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ページを表示できませんでした。",
            )
        }
    }
}

/// What every page needs: asset URLs, which nav item is current, and who
/// is looking (the header's login link or name and logout button).
pub struct Base {
    pub css: String,
    pub js: String,
    pub icon: String,
    pub nav: &'static str,
    pub cases: u64,
    /// The logged-in member's name.
    pub member: Option<String>,
    /// The session's CSRF token: every form of a member's page sends it.
    pub csrf: String,
    /// Writing is on (at least one member configured).
    pub writing: bool,
    /// While a new index is built in the background: what to tell people
    /// (「索引を作成中です（1,234 / 10,000 件）…」).
    pub building: Option<String>,
}

impl Base {
    pub fn new(state: &AppState, nav: &'static str, viewer: &Viewer) -> Base {
        Base {
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("icon.svg"),
            nav,
            cases: state.index.num_cases(),
            member: viewer.member.as_ref().map(|m| m.name.to_string()),
            csrf: viewer
                .member
                .as_ref()
                .map(|m| m.csrf.clone())
                .unwrap_or_default(),
            writing: viewer.writing,
            building: building(state),
        }
    }
}

/// The notice shown while a new index (a fresh clone, a new index
/// version) is built; `None` once it is, and while an existing index
/// merely converges (it already answers with every case it had).
fn building(state: &AppState) -> Option<String> {
    let status = state.live.status();
    if !state.index.created || status.state == crate::live::State::Ready {
        return None;
    }
    let p = status.progress;
    let count = if p.total > 0 {
        format!(
            "（{} / {} 件）",
            crate::progress::grouped(p.done),
            crate::progress::grouped(p.total)
        )
    } else {
        String::new()
    };
    Some(format!(
        "索引を作成中です{count}。作成済みの事例から検索できます。"
    ))
}

pub struct LevelBadge {
    pub name: &'static str,
    pub slug: &'static str,
}

fn badges(levels: &[Level]) -> Vec<LevelBadge> {
    levels
        .iter()
        .map(|l| LevelBadge {
            name: l.name(),
            slug: l.slug(),
        })
        .collect()
}

/// A case in a list of related or similar cases, ready to show: its link,
/// place, period and level badges.
pub struct ListingView {
    pub href: String,
    pub title: String,
    pub place: String,
    pub period: String,
    pub levels: Vec<LevelBadge>,
}

impl From<crate::case::Listing> for ListingView {
    fn from(c: crate::case::Listing) -> Self {
        ListingView {
            href: format!("/cases/{}", c.id),
            place: place(&c.municipality, &c.prefecture),
            period: c.period.to_string(),
            levels: badges(&c.levels),
            title: c.title,
        }
    }
}

/// `text` in at most `max` characters: cut, its last character is 「…」.
pub(super) fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        text.to_owned()
    }
}

/// The search page's address for these parameters.
fn href(p: &SearchParams) -> String {
    let q = p.to_query();
    if q.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{q}")
    }
}

/// 「鳥取市 · 鳥取県」, or 「鳥取県」 once for a prefecture's own case: how
/// every page (results, case, trash, delete) names where a case is.
pub(super) fn place(municipality: &str, prefecture: &str) -> String {
    if municipality == prefecture || prefecture.is_empty() {
        municipality.to_owned()
    } else if municipality.is_empty() {
        prefecture.to_owned()
    } else {
        format!("{municipality} · {prefecture}")
    }
}

// ----------------------------------------------------------------- errors

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub base: Base,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
    pub hint: &'static str,
}

impl ErrorPage {
    pub fn new(state: &AppState, viewer: &Viewer, e: &WebError) -> ErrorPage {
        let status = e.status_code();
        let (heading, hint) = match e {
            WebError::BadParam { .. } => (
                "検索条件を読み取れませんでした",
                "条件を見直すか、トップページから検索し直してください。",
            ),
            WebError::NotFound(_) => (
                "ページが見つかりません",
                "URL が古いか、事例が移動・削除された可能性があります。検索から探してください。",
            ),
            WebError::Csrf => (
                "送信を受け付けませんでした",
                "ログインの有効期限が切れたか、別の画面から送信された可能性があります。入力した内容は保存されていません。ブラウザの「戻る」で入力をコピーしてから、ページを読み込み直してください。",
            ),
            WebError::WritingOff => (
                "書き込みは無効です",
                "会員が登録されていないため、この環境では事例の追加・編集はできません。検索と閲覧はそのまま使えます。",
            ),
            WebError::RateLimited { .. } => (
                "しばらくお待ちください",
                "失敗が続いたため、一時的に受け付けを止めています。",
            ),
            WebError::BadBody(_) | WebError::Invalid(_) => (
                "送信内容を読み取れませんでした",
                "フォームを読み込み直してから、もう一度お試しください。",
            ),
            _ => (
                "エラーが起きました",
                "時間をおいて再読み込みしてください。続く場合は管理者にお知らせください。",
            ),
        };
        ErrorPage {
            base: Base::new(state, "error", viewer),
            status: status.as_u16(),
            heading,
            message: e.public_message(),
            hint,
        }
    }
}

/// An error as the UI's HTML page (the JSON API uses [`IntoResponse`]).
pub trait HtmlError {
    fn into_html(self, state: &AppState, viewer: &Viewer) -> Response;
}

impl HtmlError for WebError {
    fn into_html(self, state: &AppState, viewer: &Viewer) -> Response {
        self.log();
        let status = self.status_code();
        let page = ErrorPage::new(state, viewer, &self);
        let mut res = (status, render(&page)).into_response();
        self.add_headers(&mut res);
        res
    }
}

/// Unknown paths: JSON under `/api`, the HTML page elsewhere.
pub async fn not_found(State(state): State<AppState>, viewer: Viewer, uri: Uri) -> Response {
    let e = WebError::NotFound(format!("{} はありません", uri.path()));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        e.into_html(&state, &viewer)
    }
}
