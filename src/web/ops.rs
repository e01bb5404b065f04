//! The operator's endpoints: liveness (`/healthz`), readiness
//! (`/readyz`) and Prometheus metrics (`/metrics`), each saying how far the
//! index and the cases' vectors are. Reads the state; changes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`: the process serves.
    pub status: &'static str,
    /// `syncing` while the index converges to the case folder (searches
    /// are answered from the index as it was), then `ready`.
    pub state: crate::live::State,
    /// Case files read by the running (or last) sync, of all.
    pub progress: crate::progress::Snapshot,
    /// Cases searchable now.
    pub cases: u64,
    /// The cases' vectors (related and similar cases by meaning): `off`,
    /// `embedding` (with its progress) or `ready`.
    pub meaning: crate::meaning::Status,
}

fn health(state: &AppState) -> Health {
    let status = state.live.status();
    Health {
        status: "ok",
        state: status.state,
        progress: status.progress,
        cases: state.index.num_cases(),
        meaning: state.meaning.status(),
    }
}

/// Liveness: the process serves (from the index as it is, also while it
/// converges to the case folder).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    responses((status = 200, description = "Serving", body = Health))
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(health(&state))
}

/// Readiness, for a load balancer: 200 once the index holds the case
/// folder, 503 while it still converges (a start, a first build).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "ops",
    responses(
        (status = 200, description = "The index holds the case folder", body = Health),
        (status = 503, description = "Still converging", body = Health)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let health = health(&state);
    let code = match health.state {
        crate::live::State::Ready => StatusCode::OK,
        crate::live::State::Syncing => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, [(header::CACHE_CONTROL, "no-store")], Json(health)).into_response()
}

/// Prometheus metrics: requests and latency per route, collection size.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(&super::metrics::Collection {
        cases: state.index.num_cases(),
        index_bytes: state.index.size_bytes(),
        suggestions: state.suggester().len() as u64,
        resyncs: state.live.resyncs(),
        search_queue: state.cpu.waiting(),
        ready: state.live.status().state == crate::live::State::Ready,
        sync: state.live.status().progress,
        meaning: state.meaning.status(),
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
