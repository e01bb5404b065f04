//! The admin page: the state of the collection as the server sees it —
//! case files that do not validate (file, line, field, message; the last
//! valid version of such a file stays searchable), whether outside edits
//! are watched, whether writing is on — and, for members, a full re-sync.
//!
//! Members only (others are sent to the login page): it tells how many
//! members there are and which files are broken, which is nobody else's
//! business. It never shows where the server keeps its files: paths are
//! relative to `cases/`. The re-sync button is a CSRF-protected form.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;

use super::AppState;
use super::account::{CsrfOnly, MemberViewer};
use super::auth::Viewer;
use super::ui::{Base, HtmlError, render};
use super::writes::blocking;
use crate::case::Severity;

pub struct ProblemRow {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
    pub error: bool,
    /// An earlier valid version of the file is still searchable.
    pub indexed: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub base: Base,
    pub watching: bool,
    pub members: usize,
    pub invalid_files: usize,
    pub problems: Vec<ProblemRow>,
    pub notice: Option<String>,
}

fn page(state: &AppState, viewer: &Viewer, notice: Option<String>) -> AdminPage {
    let invalid = state.live.invalid_files();
    let problems = invalid
        .iter()
        .flat_map(|f| {
            f.diagnostics.iter().map(|d| ProblemRow {
                file: format!("cases/{}", f.rel),
                line: d.line,
                field: d.field.clone(),
                message: d.message.clone(),
                error: d.severity == Severity::Error,
                indexed: f.indexed,
            })
        })
        .collect();
    AdminPage {
        base: Base::new(state, "admin", viewer),
        watching: state.live.watching(),
        members: state.auth.roster().members.as_ref().map_or(0, |m| m.len()),
        invalid_files: invalid.len(),
        problems,
        notice,
    }
}

/// Case files with errors, watcher and writing status.
#[utoipa::path(
    get,
    path = "/admin",
    tag = "ui",
    responses(
        (status = 200, description = "Admin page (HTML, members): invalid case files with file, line, field and message", content_type = "text/html"),
        (status = 303, description = "Not logged in: to /login"),
        (status = 403, description = "Writing is off (no members): how to turn it on", content_type = "text/html")
    )
)]
pub async fn admin_page(
    State(state): State<AppState>,
    MemberViewer(viewer): MemberViewer,
) -> Response {
    render(&page(&state, &viewer, None))
}

/// Re-syncs the whole index with the case folder now (members).
#[utoipa::path(
    post,
    path = "/admin/resync",
    tag = "ui",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses(
        (status = 200, description = "Re-synced: the admin page with what changed", content_type = "text/html"),
        (status = 403, description = "Not a member's form (CSRF)", content_type = "text/html")
    )
)]
pub async fn resync(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> Response {
    let form: CsrfOnly = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Err(e) = viewer.check_csrf(&form.csrf) {
        return e.into_html(&state, &viewer);
    }
    let s = state.clone();
    match blocking(move || Ok(s.resync()?)).await {
        Ok(r) => render(&page(
            &state,
            &viewer,
            Some(format!(
                "再同期しました: 追加 {}、更新 {}、削除 {}、誤りのあるファイル {}。",
                r.added, r.updated, r.removed, r.invalid
            )),
        )),
        Err(e) => e.into_html(&state, &viewer),
    }
}
