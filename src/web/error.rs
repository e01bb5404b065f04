//! The one error type of the web layer and how it turns into a response:
//! JSON `{"error": {"code", "message"}}` under `/api`, an HTML page for the
//! UI. User mistakes are 4xx with a message that says what to change;
//! internal failures are logged with their cause and answered with a
//! generic 500 that never echoes it.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::index::IndexError;

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
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{0}")]
    Internal(String),
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
            WebError::BadParam { .. } => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Index(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::BadParam { .. } => "bad_parameter",
            WebError::NotFound(_) => "not_found",
            WebError::Index(_) | WebError::Internal(_) => "internal",
        }
    }

    /// What the user sees: the message for their own mistakes, a generic
    /// one for ours (the cause goes to the log only).
    pub fn public_message(&self) -> String {
        match self {
            WebError::BadParam { param, message } => format!("パラメータ {param}: {message}"),
            WebError::NotFound(m) => m.clone(),
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

    fn log(&self) {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "internal error");
        }
    }

    /// As an HTML page (the UI's error state).
    pub fn into_html(self, state: &super::AppState) -> Response {
        self.log();
        let status = self.status_code();
        let page = super::ui::ErrorPage::new(state, &self);
        (status, super::ui::render(&page)).into_response()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `bad_parameter`, `not_found` or `internal`.
    pub code: &'static str,
    pub message: String,
    /// The query parameter at fault, for `bad_parameter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<&'static str>,
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
            },
        };
        (self.status_code(), axum::Json(body)).into_response()
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
