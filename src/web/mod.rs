//! The web server: JSON API under `/api`, the server-rendered Japanese UI,
//! and the operator endpoints (`/healthz`, `/metrics`, `/feed.xml`).
//!
//! Owns HTTP only: every answer comes from [`CaseIndex`] (search, cases,
//! similar, stats) or from in-memory views built from it at start-up
//! (completion list). Every route is registered through `utoipa-axum`, so
//! the OpenAPI document at `/api/openapi.json` is generated from the very
//! handlers that serve the requests.

mod api;
mod assets;
pub mod cache;
mod error;
mod feed;
mod insights;
mod metrics;
pub mod params;
mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::suggest::Suggester;
use crate::index::{CaseIndex, IndexError};

pub use error::WebError;
pub use insights::Insights;
pub use metrics::Metrics;

/// How the server was started.
#[derive(Debug, Clone)]
pub struct Config {
    /// The case folder the index was synced from (shown to operators).
    pub cases: PathBuf,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<CaseIndex>,
    pub config: Arc<Config>,
    /// Rebuilt whenever the index is synced.
    suggester: Arc<RwLock<Arc<Suggester>>>,
    pub metrics: Arc<Metrics>,
    pub insights: Arc<Insights>,
    /// Search answers of the current index generation.
    pub search_cache: Arc<cache::SearchCache>,
}

impl AppState {
    /// State over an opened (and synced) index.
    pub fn new(index: Arc<CaseIndex>, config: Config) -> Result<AppState, IndexError> {
        let suggester = Suggester::build(&index.all_cases()?);
        Ok(AppState {
            index,
            config: Arc::new(config),
            suggester: Arc::new(RwLock::new(Arc::new(suggester))),
            metrics: Arc::new(Metrics::default()),
            insights: Arc::new(Insights::default()),
            search_cache: Arc::new(cache::SearchCache::new(cache::capacity_from_env())),
        })
    }

    pub fn suggester(&self) -> Arc<Suggester> {
        self.suggester
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-syncs the index with the case folder and rebuilds the
    /// completion list.
    pub fn resync(&self) -> Result<crate::index::SyncReport, IndexError> {
        let report = self.index.sync(&self.config.cases)?;
        let suggester = Suggester::build(&self.index.all_cases()?);
        *self.suggester.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(suggester);
        Ok(report)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kaizen-wa",
        description = "自治体改善運動の事例ナレッジベースの検索 API / Search API of the knowledge base of Japanese municipal improvement campaigns"
    ),
    tags(
        (name = "api", description = "JSON API"),
        (name = "ui", description = "HTML pages (Japanese)"),
        (name = "ops", description = "Operators: health, metrics, feed")
    )
)]
struct ApiDoc;

/// Every route, with its OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::search))
        .routes(routes!(api::case))
        .routes(routes!(api::similar))
        .routes(routes!(api::suggest))
        .routes(routes!(api::stats))
        .routes(routes!(api::insights))
        .routes(routes!(api::openapi_json))
        .routes(routes!(api::healthz))
        .routes(routes!(api::metrics))
        .routes(routes!(feed::feed))
        .routes(routes!(ui::search_page))
        .routes(routes!(ui::case_page))
        .routes(routes!(ui::stats_page))
        .routes(routes!(ui::insights_page))
        .routes(routes!(assets::asset))
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Content-Security-Policy: our own origin only, no inline script or
/// style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .fallback(ui::not_found)
        // A bug in a handler answers 500 (logged) instead of dropping the
        // connection; counted in the metrics like any other answer.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(WebError::Internal(
                    "a handler panicked".into(),
                ))
            },
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// Opens the index, syncs it with `cases` (a fresh clone builds it here),
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(addr: SocketAddr, cases: PathBuf, index_dir: PathBuf) -> anyhow::Result<()> {
    use anyhow::Context;
    let (state, report) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let index = CaseIndex::open(&index_dir)
            .with_context(|| format!("opening the index in {}", index_dir.display()))?;
        let report = index
            .sync(&cases)
            .with_context(|| format!("indexing {}", cases.display()))?;
        let state = AppState::new(Arc::new(index), Config { cases })?;
        Ok((state, report))
    })
    .await??;
    for d in &report.diagnostics {
        tracing::warn!(path = %d.path.display(), line = d.line, "{}", d.message);
    }
    tracing::info!(
        added = report.added,
        updated = report.updated,
        removed = report.removed,
        unchanged = report.unchanged,
        invalid = report.invalid,
        cases = state.index.num_cases(),
        "index synced"
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!("serving on http://{local}/");
    eprintln!("kaizen-wa: http://{local}/ で公開中（Ctrl-C で終了）");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
    // Bound the wait for slow clients.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        tracing::warn!("requests still open after 10 s; exiting");
        std::process::exit(0);
    });
}
