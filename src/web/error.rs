//! The one error type of the web layer and how it turns into a response:
//! JSON `{"error": {"code", "message"}}` under `/api`. The UI turns it
//! into a page itself (`ui::HtmlError`): this module knows nothing of pages
//! or templates, so the web modules' imports never go round in a circle.
//! User mistakes are 4xx with a message that says what to change;
//! internal failures are logged with their cause and answered with a
//! generic 500 that never echoes it.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::case::{EditError, FieldProblem, Severity};
use crate::index::IndexError;
use crate::live::LiveError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A query parameter the server cannot use; names the parameter.
    #[error("{param}: {message}")]
    BadParam {
        param: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// A request body the server cannot read (not JSON, wrong shape).
    #[error("{0}")]
    BadBody(String),
    /// No or unusable credential (HTTP 401 with `WWW-Authenticate:
    /// Bearer`, RFC 6750: a wrong secret is `invalid_token`).
    #[error("{message}")]
    Unauthorized {
        error: Option<&'static str>,
        message: String,
    },
    /// No member is configured: writing is off.
    #[error("writing is off: no member configured")]
    WritingOff,
    /// A form's CSRF token is missing or wrong (or the session ended).
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// Too many failed logins or secrets from this client or for this name.
    #[error("rate limited for {wait:?}")]
    RateLimited { wait: Duration },
    /// The case does not validate: every problem by field.
    #[error("invalid case")]
    Invalid(Vec<FieldProblem>),
    /// The id is taken.
    #[error("{0}")]
    Exists(String),
    /// `If-Match` no longer matches: someone saved in between.
    #[error("{message}")]
    Stale { message: String, current: String },
    /// An update without `If-Match`.
    #[error("If-Match required")]
    PreconditionRequired,
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{0}")]
    Internal(String),
}

impl From<EditError> for WebError {
    fn from(e: EditError) -> WebError {
        match e {
            EditError::Invalid(problems) => WebError::Invalid(problems),
            e @ EditError::Exists(_) => WebError::Exists(e.to_string()),
            e @ EditError::NotFound(_) => WebError::NotFound(e.to_string()),
            ref s @ EditError::Stale { ref current, .. } => WebError::Stale {
                message: s.to_string(),
                current: current.clone(),
            },
            e @ EditError::IdChanged { .. } => WebError::Invalid(vec![FieldProblem {
                field: "id",
                severity: Severity::Error,
                message: e.to_string(),
            }]),
            e @ EditError::Store(_) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<LiveError> for WebError {
    fn from(e: LiveError) -> WebError {
        match e {
            LiveError::Edit(e) => e.into(),
            LiveError::Index(e) => WebError::Index(e),
            e => WebError::Internal(e.to_string()),
        }
    }
}

impl WebError {
    pub fn bad(param: &'static str, message: impl Into<String>) -> WebError {
        WebError::BadParam {
            param,
            message: message.into(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            WebError::BadParam { .. } | WebError::BadBody(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            WebError::WritingOff | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Exists(_) => StatusCode::CONFLICT,
            WebError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            WebError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            WebError::Index(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::BadParam { .. } => "bad_parameter",
            WebError::BadBody(_) => "bad_body",
            WebError::NotFound(_) => "not_found",
            WebError::Unauthorized { .. } => "unauthorized",
            WebError::WritingOff => "writing_off",
            WebError::Csrf => "csrf",
            WebError::RateLimited { .. } => "rate_limited",
            WebError::Invalid(_) => "invalid",
            WebError::Exists(_) => "exists",
            WebError::Stale { .. } => "stale",
            WebError::PreconditionRequired => "if_match_required",
            WebError::Index(_) | WebError::Internal(_) => "internal",
        }
    }

    /// What the user sees: the message for their own mistakes, a generic
    /// one for ours (the cause goes to the log only).
    pub fn public_message(&self) -> String {
        match self {
            WebError::BadParam { param, message } => format!("パラメータ {param}: {message}"),
            WebError::NotFound(m)
            | WebError::BadBody(m)
            | WebError::Exists(m)
            | WebError::Unauthorized { message: m, .. }
            | WebError::Stale { message: m, .. } => m.clone(),
            WebError::WritingOff => "書き込みは無効です（会員が登録されていません）。サーバーの管理者が `kaizen-wa member add 名前` で会員を登録すると、書き込めるようになります".into(),
            WebError::Csrf => "フォームの確認用の値が一致しないため、送信を受け付けませんでした（何も保存していません）。ページを読み込み直してから、もう一度送信してください".into(),
            WebError::RateLimited { wait } => format!(
                "失敗が続いたため、しばらく受け付けません。{} 秒後にもう一度お試しください",
                super::auth::retry_after_secs(*wait)
            ),
            WebError::Invalid(problems) => {
                let errors: Vec<String> = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect();
                format!("入力に問題があります（{}）", errors.join(" / "))
            }
            WebError::PreconditionRequired => "更新には If-Match ヘッダー（GET で受け取った ETag）が必要です".into(),
            WebError::Index(_) | WebError::Internal(_) => {
                "サーバー内部でエラーが起きました。しばらくしてからもう一度お試しください。".into()
            }
        }
    }

    pub fn param(&self) -> Option<&'static str> {
        match self {
            WebError::BadParam { param, .. } => Some(param),
            _ => None,
        }
    }

    pub(super) fn log(&self) {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "internal error");
        }
    }

    /// Headers the status needs: `WWW-Authenticate` with a 401,
    /// `Retry-After` with a 429, the current `ETag` with a 412.
    pub(super) fn add_headers(&self, res: &mut Response) {
        let h = res.headers_mut();
        match self {
            WebError::Unauthorized { error, .. } => {
                let value = match error {
                    Some(e) => format!("Bearer realm=\"kaizen-wa\", error=\"{e}\""),
                    None => "Bearer realm=\"kaizen-wa\"".to_owned(),
                };
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            WebError::RateLimited { wait } => {
                h.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(super::auth::retry_after_secs(*wait)),
                );
            }
            WebError::Stale { current, .. } => {
                if let Ok(v) = HeaderValue::from_str(&format!("\"{current}\"")) {
                    h.insert(header::ETAG, v);
                }
            }
            _ => {}
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `bad_parameter`, `bad_body`, `not_found`, `unauthorized`,
    /// `writing_off`, `csrf`, `rate_limited`, `invalid`, `exists`, `stale`,
    /// `if_match_required` or `internal`.
    pub code: &'static str,
    pub message: String,
    /// The query parameter at fault, for `bad_parameter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<&'static str>,
    /// Every problem by field, for `invalid` (warnings too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<ProblemDto>>,
}

/// One problem with one field of a case.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDto {
    /// `title`, `levels`, `start_year`, a section key (`summary`), …
    pub field: &'static str,
    /// `error` (nothing written) or `warning`.
    pub severity: &'static str,
    pub message: String,
}

impl From<&FieldProblem> for ProblemDto {
    fn from(p: &FieldProblem) -> Self {
        ProblemDto {
            field: p.field,
            severity: match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: p.message.clone(),
        }
    }
}

/// JSON, for the API.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                param: self.param(),
                problems: match &self {
                    WebError::Invalid(p) => Some(p.iter().map(ProblemDto::from).collect()),
                    _ => None,
                },
            },
        };
        let mut res = (self.status_code(), axum::Json(body)).into_response();
        self.add_headers(&mut res);
        res
    }
}

/// A plain HTML fallback when even the error page cannot render.
pub fn bare_html(status: StatusCode, message: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>エラー</title><p>{}</p></html>",
            html_escape::encode_text(message)
        )),
    )
        .into_response()
}
