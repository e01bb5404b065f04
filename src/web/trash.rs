//! The members' 「ごみ箱」: cases deleted through the site or the API wait
//! in `cases/.trash/`; this page lists them and puts one back with
//! 「元に戻す」 (a CSRF-protected form), unless its id is in use again.
//! Right after a delete the same page offers the undo for that case.
//!
//! Owns only the pages; what a trash file is and how it moves back is the
//! case module's ([`crate::case::edit::restore_checked`]), and the index
//! follows through the live index. Never deletes a trash file for good:
//! that stays an operator's decision.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::account::MemberViewer;
use super::auth::Viewer;
use super::error::WebError;
use super::ui::{Base, HtmlError, place, render};
use super::writes::blocking;
use crate::case::edit::{self, Deleted, Trashed};

/// One deleted case as the page lists it.
pub struct TrashRow {
    /// The trash file's name: what 「元に戻す」 sends.
    pub name: String,
    pub title: String,
    pub id: String,
    pub place: String,
    pub deleted_at: String,
    /// The file no longer reads as a case: listed, not restorable here.
    pub broken: bool,
}

/// `2026-12-05 10:25` → `2026年12月5日 10:25`.
fn when(t: &Trashed) -> String {
    match t.deleted_at.as_deref().and_then(|d| d.split_once(' ')) {
        Some((day, time)) => format!("{} {time}", crate::wareki::date_ja(day)),
        None => String::new(),
    }
}

impl TrashRow {
    fn of(t: &Trashed) -> TrashRow {
        match &t.case {
            Some(c) => TrashRow {
                name: t.name.clone(),
                title: c.title.clone(),
                id: c.id.clone(),
                place: place(&c.municipality, &c.prefecture),
                deleted_at: when(t),
                broken: false,
            },
            None => TrashRow {
                name: t.name.clone(),
                title: t.name.clone(),
                id: String::new(),
                place: String::new(),
                deleted_at: when(t),
                broken: true,
            },
        }
    }
}

pub struct Notice {
    /// CSS modifier: `ok` or `error`.
    pub kind: &'static str,
    pub text: String,
    /// A link after the text (the restored case).
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "trash.html")]
pub struct TrashPage {
    pub base: Base,
    pub heading: String,
    pub notice: Option<Notice>,
    /// Right after a delete: the case just deleted, with its undo.
    pub just_deleted: Option<TrashRow>,
    pub rows: Vec<TrashRow>,
}

/// The trash page, listing what is in the trash now: with `notice` said
/// above it, and `just_deleted` (right after a delete) apart with its
/// undo. A failure to list is the error page instead.
async fn respond(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<Notice>,
    just_deleted: Option<&Deleted>,
) -> Response {
    let s = state.clone();
    let listed = match blocking(move || Ok(edit::list_trash(s.live.cases_dir())?)).await {
        Ok(listed) => listed,
        Err(e) => return e.into_html(state, viewer),
    };
    let mut rows: Vec<TrashRow> = listed.iter().map(TrashRow::of).collect();
    let just = just_deleted.and_then(|d| {
        let name = d.trash_path.file_name()?.to_str()?;
        let i = rows.iter().position(|r| r.name == name)?;
        Some(rows.remove(i))
    });
    let page = TrashPage {
        base: Base::new(state, "trash", viewer),
        heading: if just.is_some() {
            "削除しました".into()
        } else {
            "ごみ箱".into()
        },
        notice,
        just_deleted: just,
        rows,
    };
    let mut res = render(&page);
    // A template that failed keeps its 500.
    if res.status().is_success() {
        *res.status_mut() = status;
    }
    res
}

/// The page a delete ends on: done, with 「元に戻す」 for that case.
pub async fn after_delete(state: &AppState, viewer: &Viewer, deleted: Deleted) -> Response {
    respond(state, viewer, StatusCode::OK, None, Some(&deleted)).await
}

#[derive(Deserialize)]
struct Restored {
    restored: Option<String>,
}

/// Deleted cases, newest first, each with 「元に戻す」 (members).
#[utoipa::path(
    get,
    path = "/trash",
    tag = "ui",
    responses(
        (status = 200, description = "Deleted cases (HTML, members)", content_type = "text/html"),
        (status = 303, description = "Not logged in: to /login"),
        (status = 403, description = "Writing is off", content_type = "text/html")
    )
)]
pub async fn trash_page(
    State(state): State<AppState>,
    MemberViewer(viewer): MemberViewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let restored = raw
        .and_then(|q| serde_urlencoded::from_str::<Restored>(&q).ok())
        .and_then(|r| r.restored);
    let notice = match restored {
        Some(id) => {
            let title = state
                .index
                .get(&id)
                .ok()
                .flatten()
                .map(|c| c.title)
                .unwrap_or_else(|| id.clone());
            Some(Notice {
                kind: "ok",
                text: format!("「{title}」を元に戻しました。検索にもすぐ出ます。"),
                link: Some((format!("/cases/{id}"), "事例を開く".into())),
            })
        }
        None => None,
    };
    respond(&state, &viewer, StatusCode::OK, notice, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RestoreForm {
    name: String,
    csrf: String,
}

/// Puts a deleted case back (`name`: its file in the trash). Refused
/// when its id is in use again: nothing is overwritten.
#[utoipa::path(
    post,
    path = "/trash/restore",
    tag = "ui",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "name (the trash file), csrf"),
    responses(
        (status = 303, description = "Restored: to the trash page, which links the case"),
        (status = 400, description = "Not such a form", content_type = "text/html"),
        (status = 403, description = "Missing or wrong form token: nothing restored", content_type = "text/html"),
        (status = 404, description = "No such file in the trash (restored already?)", content_type = "text/html"),
        (status = 409, description = "The id is in use again: nothing restored", content_type = "text/html"),
        (status = 422, description = "The file no longer reads as a valid case", content_type = "text/html")
    )
)]
pub async fn restore(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> Response {
    let form: RestoreForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return WebError::BadBody("フォームの内容を読み取れません".into())
                .into_html(&state, &viewer);
        }
    };
    if let Err(e) = viewer.check_csrf(&form.csrf) {
        return e.into_html(&state, &viewer);
    }
    let s = state.clone();
    let name = form.name.clone();
    let result = blocking(move || Ok(s.live.restore(&name)?)).await;
    let (status, text) = match result {
        Ok(w) => {
            tracing::info!(id = %w.case.id, "case restored from the trash");
            let to = format!(
                "/trash?{}",
                serde_urlencoded::to_string([("restored", &w.case.id)]).unwrap_or_default()
            );
            return Redirect::to(&to).into_response();
        }
        Err(WebError::Exists(_)) => (
            StatusCode::CONFLICT,
            "元に戻していません: 同じ ID の事例がいまはあります。その事例を確かめ、必要なら削除してから、もう一度「元に戻す」を押してください。".to_owned(),
        ),
        Err(WebError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            "元に戻していません: その事例はごみ箱にありません（すでに戻したのかもしれません）。".to_owned(),
        ),
        Err(WebError::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "元に戻していません: ファイルの内容に誤りがあります（{}）。管理者に相談してください。",
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
        ),
        Err(e) => return e.into_html(&state, &viewer),
    };
    let notice = Notice {
        kind: "error",
        text,
        link: None,
    };
    respond(&state, &viewer, status, Some(notice), None).await
}
