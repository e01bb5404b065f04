//! The members' case pages: new case, edit, preview, delete with
//! confirmation. Plain HTML forms (no script needed), each with the
//! session's CSRF token; on any problem the form comes back with the
//! member's input exactly as typed and the message next to its field.
//!
//! An edit carries the ETag (content hash) and the case it started from
//! (the base, a hidden field). If someone saved in between, the edit is
//! merged field by field with their version ([`super::merge`]): what only
//! they changed is kept, and without a field changed by both the merge is
//! saved. A field both changed comes back as a conflict — the member's
//! text in the input, theirs under it with 「相手の版を取り込む」 — and
//! nothing is written until the member saves again with both in view.
//!
//! A delete moves the file to the trash and ends on the ごみ箱 page with
//! 「元に戻す」 ([`super::trash`]).

mod page;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::account::MemberViewer;
use super::auth::Viewer;
use super::error::WebError;
use super::form_messages::label;
use super::forms::CaseForm;
use super::merge::{self, MERGE_FIELDS};
use super::ui::{Base, HtmlError, LevelBadge, case_view, place, render};
use super::writes::{blocking, create_case, delete_case, update_case};
use crate::case::edit::{self, Current};
use crate::case::{Case, FieldProblem, Section, Severity};
use page::{Banner, FormArgs, Theirs, csrf_banner, edit_args, form_page, new_args, with_status};

/// A case form's body: up to the members' limit with a member's session,
/// up to the small anonymous limit without (a form whose session ended is
/// still read, so that it can be shown back with nothing lost).
async fn form_body(state: &AppState, viewer: &Viewer, request: Request) -> Result<Bytes, WebError> {
    let limit = if viewer.member.is_some() {
        state.config.limits.max_body
    } else {
        state.config.limits.anonymous_body
    };
    let (parts, body) = request.into_parts();
    super::limits::read_body(&parts.headers, body, limit).await
}

/// The case form a request carries, as typed.
async fn read_form(
    state: &AppState,
    viewer: &Viewer,
    request: Request,
) -> Result<CaseForm, WebError> {
    let body = form_body(state, viewer, request).await?;
    CaseForm::parse(&body)
}

/// The new-case form.
#[utoipa::path(
    get,
    path = "/cases/new",
    tag = "ui",
    responses(
        (status = 200, description = "New-case form (HTML, members)", content_type = "text/html"),
        (status = 303, description = "Not logged in: to /login"),
        (status = 403, description = "Writing is off: how to turn it on", content_type = "text/html")
    )
)]
pub async fn new_page(
    State(state): State<AppState>,
    MemberViewer(viewer): MemberViewer,
) -> Response {
    let f = CaseForm {
        sections: vec![String::new(); Section::ALL.len()],
        ..CaseForm::default()
    };
    render(&form_page(&state, &viewer, f, new_args(&[], None)))
}

/// Previews or saves a new case (`action=preview|save`). Saved: to the
/// case page; otherwise the form again with every problem by field.
#[utoipa::path(
    post,
    path = "/cases/new",
    tag = "ui",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The case form's fields, csrf, action"),
    responses(
        (status = 200, description = "Preview (nothing saved)", content_type = "text/html"),
        (status = 303, description = "Saved: to the case page"),
        (status = 403, description = "Missing or wrong form token: nothing saved, input kept", content_type = "text/html"),
        (status = 409, description = "The id is taken: input kept", content_type = "text/html"),
        (status = 422, description = "Problems by field: input kept", content_type = "text/html")
    )
)]
pub async fn create(State(state): State<AppState>, viewer: Viewer, request: Request) -> Response {
    let mut f = match read_form(&state, &viewer, request).await {
        Ok(f) => f,
        Err(e) => return e.into_html(&state, &viewer),
    };
    f.settle_years();
    if viewer.member.is_none() && !viewer.writing {
        return WebError::WritingOff.into_html(&state, &viewer);
    }
    let me = match viewer.check_csrf(&f.csrf) {
        Ok(me) => me.clone(),
        Err(_) => {
            let page = form_page(&state, &viewer, f, new_args(&[], Some(csrf_banner())));
            return with_status(StatusCode::FORBIDDEN, &page);
        }
    };
    let draft = f.draft();
    if f.action != "save" {
        return preview(&state, &viewer, f, new_args(&[], None));
    }
    match create_case(&state, draft, me.name).await {
        Ok(w) => Redirect::to(&format!("/cases/{}?saved=1", w.case.id)).into_response(),
        Err(WebError::Invalid(problems)) => {
            let page = form_page(&state, &viewer, f, new_args(&problems, None));
            with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(WebError::Exists(message)) => {
            let problems = [FieldProblem {
                field: "id",
                severity: Severity::Error,
                message: format!("{message}。別の ID にするか、空にして自動で決めてください"),
            }];
            let page = form_page(&state, &viewer, f, new_args(&problems, None));
            with_status(StatusCode::CONFLICT, &page)
        }
        Err(e) => e.into_html(&state, &viewer),
    }
}

/// Renders the form with a preview of the case it describes (nothing is
/// written) and every problem next to its field.
fn preview(state: &AppState, viewer: &Viewer, mut f: CaseForm, args: FormArgs<'_>) -> Response {
    if !args.editing && f.filing.id.trim().is_empty() {
        // Propose the readable id in the field, where the member can change it.
        let (case, problems) = f.draft().to_case();
        if problems.is_empty() && !case.title.trim().is_empty() {
            f.filing.id = super::forms::derive_id(&case, &state.index, &mut Default::default());
        }
    }
    let mut draft = f.draft();
    if !args.editing && draft.filing.id.trim().is_empty() {
        // The id is decided when saving; the preview needs one.
        draft.filing.id = "preview".into();
    }
    let (case, problems) = match draft.check() {
        Ok((case, warnings)) => (Some(case), warnings),
        Err(problems) => {
            let typed = draft.to_case();
            // A draft whose fields parsed can be shown even if rules fail.
            (typed.1.is_empty().then_some(typed.0), problems)
        }
    };
    let problems: Vec<FieldProblem> = if f.filing.id.trim().is_empty() && !args.editing {
        problems.into_iter().filter(|p| p.field != "id").collect()
    } else {
        problems
    };
    let args = FormArgs {
        problems: &problems,
        preview: case.as_ref(),
        banner: Some(Banner {
            kind: "ok",
            text: "プレビューです。まだ保存していません。内容を確かめて「保存」を押してください。"
                .into(),
        }),
        ..args
    };
    render(&form_page(state, viewer, f, args))
}

fn read_current(state: &AppState, id: &str) -> Result<Current, WebError> {
    edit::read(state.live.cases_dir(), id).map_err(WebError::from)
}

/// A case whose file does not read back cannot be edited through the form
/// (its last valid version is what the index shows): say where to look.
fn unreadable(state: &AppState, viewer: &Viewer, e: WebError) -> Response {
    match e {
        WebError::Invalid(problems) => {
            let details: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
            let page = NoticePage {
                base: Base::new(state, "edit", viewer),
                heading: "この事例はフォームで編集できません".into(),
                message: format!(
                    "事例ファイルに誤りがあります（{}）。ファイルを直接直してください。誤りの一覧は「管理」ページにあります。",
                    details.join(" / ")
                ),
            };
            (StatusCode::CONFLICT, render(&page)).into_response()
        }
        e => e.into_html(state, viewer),
    }
}

async fn read_current_async(state: &AppState, id: String) -> Result<Current, WebError> {
    let state = state.clone();
    blocking(move || read_current(&state, &id)).await
}

/// The edit form of a case, with the ETag it starts from.
#[utoipa::path(
    get,
    path = "/cases/{id}/edit",
    tag = "ui",
    params(("id" = String, Path, description = "Case id (slug)")),
    responses(
        (status = 200, description = "Edit form (HTML, members)", content_type = "text/html"),
        (status = 303, description = "Not logged in: to /login"),
        (status = 403, description = "Writing is off", content_type = "text/html"),
        (status = 404, description = "No case with this id", content_type = "text/html")
    )
)]
pub async fn edit_page(
    State(state): State<AppState>,
    MemberViewer(viewer): MemberViewer,
    Path(id): Path<String>,
) -> Response {
    let current = match read_current_async(&state, id.clone()).await {
        Ok(c) => c,
        Err(e) => return unreadable(&state, &viewer, e),
    };
    let mut f = CaseForm::from_case(&current.case);
    f.etag = current.etag;
    f.base = merge::serialise_base(&current.case);
    let title = current.case.title.clone();
    render(&form_page(
        &state,
        &viewer,
        f,
        edit_args(&id, &title, &[], None),
    ))
}

/// Previews or saves an edit. A stale ETag (someone saved meanwhile)
/// writes nothing and shows both versions.
#[utoipa::path(
    post,
    path = "/cases/{id}/edit",
    tag = "ui",
    params(("id" = String, Path, description = "Case id (slug)")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The case form's fields, etag, csrf, action"),
    responses(
        (status = 200, description = "Preview (nothing saved)", content_type = "text/html"),
        (status = 303, description = "Saved: to the case page"),
        (status = 403, description = "Missing or wrong form token: nothing saved, input kept", content_type = "text/html"),
        (status = 409, description = "Someone saved first: nothing overwritten, input kept, both versions shown", content_type = "text/html"),
        (status = 422, description = "Problems by field: input kept", content_type = "text/html")
    )
)]
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let mut f = match read_form(&state, &viewer, request).await {
        Ok(f) => f,
        Err(e) => return e.into_html(&state, &viewer),
    };
    // The id is the path's; the form shows it read-only.
    f.filing.id = id.clone();
    f.settle_years();
    let base = merge::base_of(&f, &id);
    // The heading names the case as saved (the base), not as retyped.
    let title = match &base {
        Some(b) => b.title.clone(),
        None if f.filing.title.trim().is_empty() => id.clone(),
        None => f.filing.title.clone(),
    };
    if viewer.member.is_none() && !viewer.writing {
        return WebError::WritingOff.into_html(&state, &viewer);
    }
    let me = match viewer.check_csrf(&f.csrf) {
        Ok(me) => me.clone(),
        Err(_) => {
            let page = form_page(
                &state,
                &viewer,
                f,
                edit_args(&id, &title, &[], Some(csrf_banner())),
            );
            return with_status(StatusCode::FORBIDDEN, &page);
        }
    };
    if let Some(key) = f.action.strip_prefix("take:").map(str::to_owned) {
        return take_theirs(&state, &viewer, &id, &title, f, base.as_ref(), &key);
    }
    if f.action != "save" {
        let mut args = edit_args(&id, &title, &[], None);
        args.theirs = open_conflicts(&f, base.as_ref());
        return preview(&state, &viewer, f, args);
    }
    save_edit(&state, &viewer, id, title, f, base, me.name).await
}

/// After a conflict the base is the other member's version: the boxes
/// under each field still in conflict show it.
fn open_conflicts(f: &CaseForm, base: Option<&Case>) -> Theirs {
    match base {
        Some(b) if !f.conflicts.is_empty() => Theirs::of(&merge::still_conflicting(f, b), b),
        _ => Theirs::default(),
    }
}

/// 「相手の版を取り込む」 without script: field `key` takes the other
/// version, nothing is saved yet, and the form comes back focused there.
fn take_theirs(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    title: &str,
    mut f: CaseForm,
    base: Option<&Case>,
    key: &str,
) -> Response {
    if !MERGE_FIELDS.contains(&key) {
        return WebError::BadBody(format!("「{key}」という項目はありません"))
            .into_html(state, viewer);
    }
    let taken = base.and_then(|b| CaseForm::from_case(b).field(key));
    if let Some(v) = taken {
        f.set_field(key, v);
    }
    let theirs = open_conflicts(&f, base);
    f.conflicts = match base {
        Some(b) => merge::still_conflicting(&f, b)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let banner = Banner {
        kind: "ok",
        text: format!(
            "「{}」を相手の版にしました。まだ保存していません。{}",
            label(key),
            if theirs.is_empty() {
                "内容を確かめて「保存」を押してください。"
            } else {
                "残りの項目も確かめてから「保存」を押してください。"
            }
        ),
    };
    let mut args = edit_args(id, title, &[], Some(banner));
    args.theirs = theirs;
    let mut page = form_page(state, viewer, f, args);
    page.focus = Some(format!("f-{key}"));
    render(&page)
}

/// Saves an edit; if someone saved meanwhile, merges field by field with
/// their version (over the base the member started from) and saves the
/// merge when no field was changed by both, or shows the form with each
/// conflict (409) when some was. A save racing yet another one merges
/// again, a few times at most.
async fn save_edit(
    state: &AppState,
    viewer: &Viewer,
    id: String,
    title: String,
    mut f: CaseForm,
    mut base: Option<Case>,
    me: crate::members::MemberName,
) -> Response {
    let mut taken: Vec<&'static str> = Vec::new();
    for _ in 0..4 {
        let etag = f.etag.clone();
        match update_case(state, id.clone(), Some(etag), f.draft(), me.clone()).await {
            Ok(w) => {
                let to = if taken.is_empty() {
                    format!("/cases/{}?saved=1", w.case.id)
                } else {
                    format!("/cases/{}?saved=merged", w.case.id)
                };
                return Redirect::to(&to).into_response();
            }
            Err(WebError::Invalid(problems)) => {
                let page = form_page(state, viewer, f, edit_args(&id, &title, &problems, None));
                return with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            Err(WebError::Stale { .. }) => {
                let current = match read_current_async(state, id.clone()).await {
                    Ok(c) => c,
                    Err(e) => return e.into_html(state, viewer),
                };
                let m = merge::merge(base.as_ref(), &current.case, &f);
                f = m.form;
                f.etag = current.etag;
                f.base = merge::serialise_base(&current.case);
                taken.extend(m.taken);
                if m.conflicts.is_empty() {
                    base = Some(current.case);
                    continue;
                }
                f.conflicts = m.conflicts.iter().map(|c| (*c).to_owned()).collect();
                let theirs = Theirs::of(&m.conflicts, &current.case);
                let banner = conflict_banner(&m.conflicts, &taken, &theirs.who);
                let mut args = edit_args(&id, &title, &[], Some(banner));
                args.theirs = theirs;
                let page = form_page(state, viewer, f, args);
                return with_status(StatusCode::CONFLICT, &page);
            }
            Err(WebError::NotFound(message)) => {
                let banner = Banner {
                    kind: "error",
                    text: format!(
                        "保存していません: {message}（編集中に削除された可能性があります）。あなたの入力はこのページに残っています。ごみ箱から元に戻すか、「事例を追加」から新しく登録してください。"
                    ),
                };
                let page = form_page(state, viewer, f, edit_args(&id, &title, &[], Some(banner)));
                return with_status(StatusCode::NOT_FOUND, &page);
            }
            Err(e) => return e.into_html(state, viewer),
        }
    }
    // Others kept saving in between every try: hand the merged form back.
    let banner = Banner {
        kind: "error",
        text: "保存していません: ほかの人の保存が続けて重なりました。あなたの入力はこのページに残っています。もう一度「保存」を押してください。".into(),
    };
    let page = form_page(state, viewer, f, edit_args(&id, &title, &[], Some(banner)));
    with_status(StatusCode::CONFLICT, &page)
}

/// Why a merge was not saved: which fields both changed (their version
/// is shown under each), which ones only they changed (already taken),
/// and what to do next.
fn conflict_banner(conflicts: &[&str], taken: &[&str], who: &str) -> Banner {
    let both: Vec<&str> = conflicts.iter().map(|c| label(c)).collect();
    let kept = if taken.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = taken.iter().map(|c| label(c)).collect();
        format!(
            "相手だけが変えた項目（{}）は相手の内容にしました。",
            names.join("、")
        )
    };
    Banner {
        kind: "error",
        text: format!(
            "保存していません: あなたが編集している間に、別の版が保存されました（{who}）。あなたと相手の両方が変えた項目（{}）の下に相手の内容を表示しました。{kept}項目ごとに「相手の版を取り込む」か、あなたの入力のままにして、もう一度「保存」を押してください。",
            both.join("、")
        ),
    }
}

#[derive(Template)]
#[template(path = "case_delete.html")]
pub struct DeletePage {
    pub base: Base,
    pub id: String,
    pub title: String,
    pub place: String,
    pub levels: Vec<LevelBadge>,
    pub etag: String,
    pub error: Option<String>,
}

fn delete_page_for(
    state: &AppState,
    viewer: &Viewer,
    current: &Current,
    error: Option<String>,
) -> DeletePage {
    let view = case_view(&current.case);
    DeletePage {
        base: Base::new(state, "delete", viewer),
        id: current.case.id.clone(),
        title: current.case.title.clone(),
        place: place(&current.case.municipality, &current.case.prefecture),
        levels: view.levels,
        etag: current.etag.clone(),
        error,
    }
}

/// Asks whether to delete a case.
#[utoipa::path(
    get,
    path = "/cases/{id}/delete",
    tag = "ui",
    params(("id" = String, Path, description = "Case id (slug)")),
    responses(
        (status = 200, description = "Confirmation page (HTML, members)", content_type = "text/html"),
        (status = 303, description = "Not logged in: to /login"),
        (status = 404, description = "No case with this id", content_type = "text/html")
    )
)]
pub async fn delete_page(
    State(state): State<AppState>,
    MemberViewer(viewer): MemberViewer,
    Path(id): Path<String>,
) -> Response {
    match read_current_async(&state, id).await {
        Ok(current) => render(&delete_page_for(&state, &viewer, &current, None)),
        Err(e) => unreadable(&state, &viewer, e),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub base: Base,
    pub heading: String,
    pub message: String,
}

/// Deletes a case (moves its file to `cases/.trash/`), if unchanged since
/// the confirmation page.
#[utoipa::path(
    post,
    path = "/cases/{id}/delete",
    tag = "ui",
    params(("id" = String, Path, description = "Case id (slug)")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "etag, csrf"),
    responses(
        (status = 200, description = "Deleted", content_type = "text/html"),
        (status = 403, description = "Missing or wrong form token: nothing deleted", content_type = "text/html"),
        (status = 409, description = "Changed since the confirmation page: nothing deleted", content_type = "text/html")
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let f = match read_form(&state, &viewer, request).await {
        Ok(f) => f,
        Err(e) => return e.into_html(&state, &viewer),
    };
    if let Err(e) = viewer.check_csrf(&f.csrf) {
        return e.into_html(&state, &viewer);
    }
    let etag = (!f.etag.is_empty()).then(|| f.etag.clone());
    match delete_case(&state, id.clone(), etag).await {
        Ok(d) => {
            tracing::info!(id = %d.id, trash = %d.trash_path.display(), "case deleted");
            super::trash::after_delete(&state, &viewer, d).await
        }
        Err(WebError::Stale { .. }) => match read_current_async(&state, id).await {
            Ok(current) => {
                let page = delete_page_for(
                    &state,
                    &viewer,
                    &current,
                    Some("削除していません: 確認画面を開いた後に、この事例は更新されました。内容を確かめてから、もう一度削除してください。".into()),
                );
                (StatusCode::CONFLICT, render(&page)).into_response()
            }
            Err(e) => e.into_html(&state, &viewer),
        },
        Err(e) => e.into_html(&state, &viewer),
    }
}
