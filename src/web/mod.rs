//! The web server: JSON API under `/api`, the server-rendered Japanese UI,
//! the members' forms and write API, and the operator endpoints
//! (`/healthz`, `/metrics`, `/feed.xml`, `/admin`).
//!
//! Owns HTTP only: reads come from [`CaseIndex`] (search, cases, similar,
//! stats) or from the completion list built from it; writes go through the
//! [`crate::live::LiveIndex`] (file first, then the index), which also
//! follows edits made outside. `auth` decides who may write, `forms` turns
//! what people and programs send into cases, `writes` and `editor` are the
//! API and the HTML side of writing; `limits` holds every client to the
//! server's timeouts, connection caps and body sizes. Every route is
//! registered through `utoipa-axum`, so the OpenAPI document at
//! `/api/openapi.json` is generated from the very handlers that serve the
//! requests.

mod account;
mod admin;
mod api;
mod assets;
pub mod auth;
mod bounded;
pub mod cache;
mod cpu;
mod editor;
mod error;
mod feed;
mod form_messages;
mod forms;
mod insights;
pub mod limits;
mod map;
mod merge;
mod metrics;
mod ops;
pub mod params;
mod session;
mod state;
mod trash;
mod ui;
mod writes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::CaseIndex;

pub use api::{HitDto, SearchResponse, WordSynonymsDto};
pub use error::WebError;
pub use insights::Insights;
pub use metrics::Metrics;
pub use state::{AppState, Config, StartError};

/// Declares the `bearer` security scheme the write routes use.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A member's secret, as printed by `kaizen-wa member add NAME`",
                    ))
                    .build(),
            ),
        );
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
    ),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// Every route, with its OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::search))
        .routes(routes!(api::search_csv))
        .routes(routes!(api::case, writes::update, writes::delete))
        .routes(routes!(writes::create))
        .routes(routes!(api::similar))
        .routes(routes!(api::suggest))
        .routes(routes!(api::stats))
        .routes(routes!(api::insights))
        .routes(routes!(api::openapi_json))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(feed::feed))
        .routes(routes!(ui::search::search_page))
        .routes(routes!(ui::case::case_page))
        .routes(routes!(ui::stats::stats_page))
        .routes(routes!(ui::stats::insights_page))
        .routes(routes!(ui::recent::recent_page))
        .routes(routes!(account::login_page, account::login))
        .routes(routes!(account::logout))
        .routes(routes!(editor::new_page, editor::create))
        .routes(routes!(editor::edit_page, editor::update))
        .routes(routes!(editor::delete_page, editor::delete))
        .routes(routes!(trash::trash_page))
        .routes(routes!(trash::restore))
        .routes(routes!(admin::admin_page))
        .routes(routes!(admin::resync))
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
        // A request that runs too long gets 408 (the handler is dropped;
        // a write already handed to the blocking pool still completes).
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.config.limits.request_timeout,
        ))
        // Bodies read by extractors (login, logout, re-sync): small.
        // Members' writes read theirs through `limits::read_body` after
        // authenticating, under their own limit.
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.anonymous_body,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn(auth::private_when_logged_in))
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

/// Opens the index as it is, starts converging it to the case folder and
/// watching it in the background (a fresh clone builds it there), reads
/// the members file, and serves until Ctrl-C or SIGTERM. Searches are
/// answered from the first request; `/readyz` tells when the index holds
/// the case folder.
pub async fn serve(addr: SocketAddr, config: Config, index_dir: PathBuf) -> anyhow::Result<()> {
    use anyhow::Context;
    let state = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let index = CaseIndex::open(&index_dir)
            .with_context(|| format!("opening the index in {}", index_dir.display()))?;
        let cases = config.cases.clone();
        AppState::start(Arc::new(index), config)
            .with_context(|| format!("starting on {}", cases.display()))
    })
    .await??;
    tracing::info!(
        cases = state.index.num_cases(),
        watching = state.live.watching(),
        "serving the index as it is while it converges to the case folder"
    );
    let roster = state.auth.roster();
    if roster.writing() {
        tracing::info!(
            members = roster.members.as_ref().map_or(0, |m| m.len()),
            "writing is on"
        );
    } else {
        tracing::warn!(
            "writing is off: no member in {} (add one with `kaizen-wa member add NAME`)",
            state
                .auth
                .members_path()
                .map_or_else(|| "-".into(), |p| p.display().to_string())
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!("serving on http://{local}/");
    eprintln!("kaizen-wa: http://{local}/ で公開中（Ctrl-C で終了）");
    let limits = state.config.limits.clone();
    let per_address = !state.config.behind_proxy;
    limits::serve_connections(
        listener,
        router(state),
        &limits,
        per_address,
        shutdown_signal(),
    )
    .await;
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
    // The connection loop waits a bounded time for open requests; this is
    // the last resort should anything after it (the index writer's last
    // commit) hang.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(20)).await;
        tracing::warn!("still not stopped 20 s after the signal; exiting");
        std::process::exit(0);
    });
}
