//! Members' writes: the JSON API (`POST /api/cases`, `PUT` and `DELETE
//! /api/cases/{id}`, authorised by `Authorization: Bearer <secret>`) and
//! the create / update / delete steps the web forms share with it.
//!
//! Every write goes through the [`crate::live::LiveIndex`]: the file is
//! written atomically first, then the index commits, and the call returns
//! once the case is searchable. Those calls block (fsync, commit), so they
//! run on the blocking pool.

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::ClientAddress;
use super::error::{ErrorBody, ProblemDto, WebError};
use super::forms::{CaseInput, Draft, derive_id};
use super::limits::read_body;
use crate::case::Case;
use crate::case::edit::{Deleted, EditError, Written};
use crate::live::LiveError;
use crate::members::MemberName;

/// Tries at a derived id before giving up. Creates racing for one base id
/// (`fukuoka-dna-undo-2000`) each move on to `-2`, `-3`, … past every id
/// taken meanwhile, so the n-th of n parallel creates may need n tries; a
/// burst of a thousand is far beyond any member's form or script.
const DERIVE_TRIES: usize = 1000;

/// Runs file work (a write, a trash listing, a re-sync) on the blocking
/// pool: it fsyncs and commits, which must not hold an async thread. The
/// one place a web handler leaves the async threads for such work.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WebError::Internal(format!("file task failed: {e}")))?
}

/// Creates the case a draft describes, as `member`; an empty id is
/// derived from place and start year.
pub async fn create_case(
    state: &AppState,
    mut draft: Draft,
    member: MemberName,
) -> Result<Written, WebError> {
    let state = state.clone();
    blocking(move || {
        let derived = draft.filing.id.trim().is_empty();
        let mut taken = HashSet::new();
        for _ in 0..DERIVE_TRIES {
            if derived {
                let (case, _) = draft.to_case();
                draft.filing.id = derive_id(&case, &state.index, &mut taken);
            }
            let (case, _) = draft.check().map_err(WebError::Invalid)?;
            match state.live.create(&case, member.as_str()) {
                Err(LiveError::Edit(EditError::Exists(_))) if derived => continue,
                r => return r.map_err(WebError::from),
            }
        }
        Err(WebError::Exists(format!(
            "ID を自動で決められませんでした（{DERIVE_TRIES} 回試しても空きがありません）。ID を指定してください"
        )))
    })
    .await
}

/// Replaces case `id` if its file still has the content hash `etag`
/// (`None`: whatever is there now, HTTP `If-Match: *`).
pub async fn update_case(
    state: &AppState,
    id: String,
    etag: Option<String>,
    mut draft: Draft,
    member: MemberName,
) -> Result<Written, WebError> {
    let state = state.clone();
    blocking(move || {
        if draft.filing.id.trim().is_empty() {
            draft.filing.id = id.clone();
        }
        let (case, _) = draft.check().map_err(WebError::Invalid)?;
        // `*` overwrites whatever is there: no read-then-compare that a
        // concurrent write could make stale.
        match etag {
            Some(etag) => state.live.update(&id, &etag, &case, member.as_str()),
            None => state.live.overwrite(&id, &case, member.as_str()),
        }
        .map_err(WebError::from)
    })
    .await
}

/// Moves case `id` to `cases/.trash/` (if its file still has `etag`, when
/// given) and removes it from the index.
pub async fn delete_case(
    state: &AppState,
    id: String,
    etag: Option<String>,
) -> Result<Deleted, WebError> {
    let state = state.clone();
    blocking(move || {
        state
            .live
            .delete(&id, etag.as_deref())
            .map_err(WebError::from)
    })
    .await
}

/// The answer to a create or update.
#[derive(Serialize, ToSchema)]
pub struct WrittenResponse {
    pub id: String,
    /// Content hash of the new file: `If-Match` for the next update.
    pub etag: String,
    /// The case page.
    pub url: String,
    /// The case as saved (with `contributor` and `updated` set).
    #[schema(value_type = Object)]
    pub case: Case,
    /// Problems that did not stop the write (e.g. a municipality spelling).
    pub warnings: Vec<ProblemDto>,
}

fn written_response(status: StatusCode, w: &Written) -> Response {
    let body = WrittenResponse {
        id: w.case.id.clone(),
        etag: w.etag.clone(),
        url: format!("/cases/{}", w.case.id),
        case: w.case.clone(),
        warnings: w.warnings.iter().map(ProblemDto::from).collect::<Vec<_>>(),
    };
    let mut res = (status, axum::Json(body)).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", w.etag)) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("/api/cases/{}", w.case.id))
    {
        h.insert(header::LOCATION, v);
    }
    res
}

/// `If-Match` as an expected content hash: `Some(None)` for `*`.
fn if_match(headers: &HeaderMap) -> Result<Option<Option<String>>, WebError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| WebError::BadBody("If-Match を読み取れません".into()))?
        .trim();
    if v == "*" {
        return Ok(Some(None));
    }
    Ok(Some(Some(crate::case::edit::strip_etag(v).to_owned())))
}

/// Adds a case. The body has the shape `GET /api/cases/{id}` returns
/// (`id` may be left out: it is derived from place and start year;
/// `contributor` and `updated` are set from the member and today). The
/// file is written before the index; the case is searchable when the
/// answer arrives.
#[utoipa::path(
    post,
    path = "/api/cases",
    tag = "api",
    request_body(content = CaseInput, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` is its URL, `ETag` its content hash", body = WrittenResponse),
        (status = 400, description = "The body is not such a JSON object", body = ErrorBody),
        (status = 401, description = "No or wrong secret (`WWW-Authenticate: Bearer`); nothing written", body = ErrorBody),
        (status = 403, description = "Writing is off: no member configured", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 413, description = "The body is over the size limit (checked after the secret); nothing written", body = ErrorBody),
        (status = 422, description = "The case does not validate: `error.problems` by field; nothing written", body = ErrorBody),
        (status = 429, description = "Too many wrong secrets from this client: `Retry-After`", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    // Who first, then the body: an anonymous client cannot make the
    // server hold a write's body.
    let member = state.auth.bearer(&headers, &address).await?;
    let body = read_body(&headers, body, state.config.limits.max_body).await?;
    let draft = CaseInput::parse(&body)?.into_draft()?;
    let w = create_case(&state, draft, member).await?;
    Ok(written_response(StatusCode::CREATED, &w))
}

/// Replaces a case (the whole record, as in `POST`). Needs `If-Match`
/// with the ETag the case was read with: if someone saved in between, 412
/// and nothing is overwritten (`If-Match: *` overwrites whatever is
/// there).
#[utoipa::path(
    put,
    path = "/api/cases/{id}",
    tag = "api",
    params(
        ("id" = String, Path, description = "Case id (slug)"),
        ("If-Match" = String, Header, description = "The ETag from GET /api/cases/{id}, or *")
    ),
    request_body(content = CaseInput, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced; `ETag` is the new content hash", body = WrittenResponse),
        (status = 400, description = "The body is not such a JSON object", body = ErrorBody),
        (status = 401, description = "No or wrong secret; nothing written", body = ErrorBody),
        (status = 403, description = "Writing is off", body = ErrorBody),
        (status = 404, description = "No case with this id", body = ErrorBody),
        (status = 412, description = "The case changed since it was read (`ETag` is the current one); nothing written", body = ErrorBody),
        (status = 413, description = "The body is over the size limit (checked after the secret); nothing written", body = ErrorBody),
        (status = 422, description = "The case does not validate (or the body's id differs); nothing written", body = ErrorBody),
        (status = 428, description = "If-Match missing", body = ErrorBody),
        (status = 429, description = "Too many wrong secrets from this client", body = ErrorBody)
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let member = state.auth.bearer(&headers, &address).await?;
    let etag = if_match(&headers)?.ok_or(WebError::PreconditionRequired)?;
    let body = read_body(&headers, body, state.config.limits.max_body).await?;
    let draft = CaseInput::parse(&body)?.into_draft()?;
    let w = update_case(&state, id, etag, draft, member).await?;
    Ok(written_response(StatusCode::OK, &w))
}

/// Deletes a case: its file moves to `cases/.trash/` (restorable) and it
/// leaves the index. With `If-Match`, only if the case is unchanged.
#[utoipa::path(
    delete,
    path = "/api/cases/{id}",
    tag = "api",
    params(
        ("id" = String, Path, description = "Case id (slug)"),
        ("If-Match" = Option<String>, Header, description = "Optional: delete only if the case still has this ETag")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted (moved to cases/.trash/)"),
        (status = 401, description = "No or wrong secret; nothing deleted", body = ErrorBody),
        (status = 403, description = "Writing is off", body = ErrorBody),
        (status = 404, description = "No case with this id", body = ErrorBody),
        (status = 412, description = "The case changed since it was read; nothing deleted", body = ErrorBody),
        (status = 429, description = "Too many wrong secrets from this client", body = ErrorBody)
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, WebError> {
    state.auth.bearer(&headers, &address).await?;
    let etag = if_match(&headers)?.flatten();
    delete_case(&state, id, etag).await?;
    Ok(StatusCode::NO_CONTENT)
}
