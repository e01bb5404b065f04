//! Prometheus metrics, hand-rolled: request counts by route, method and
//! status, and a latency histogram per route. A dozen routes need no
//! metrics framework; the text format is simple and stable.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Histogram bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency.
    latency: BTreeMap<String, Histogram>,
}

#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner
            .requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        let slot = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        h.counts[slot] += 1;
        h.sum += seconds;
        h.count += 1;
    }

    /// The Prometheus text exposition, with the collection's figures.
    pub fn render(&self, c: &Collection) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        render_requests(&mut out, &inner.requests);
        render_latency(&mut out, &inner.latency);
        render_collection(&mut out, c);
        out
    }
}

/// The request counter, one series per (route, method, status).
fn render_requests(out: &mut String, requests: &BTreeMap<(String, String, u16), u64>) {
    let _ = writeln!(
        out,
        "# HELP kaizen_wa_http_requests_total HTTP requests by route, method and status."
    );
    let _ = writeln!(out, "# TYPE kaizen_wa_http_requests_total counter");
    for ((route, method, status), n) in requests {
        let _ = writeln!(
            out,
            "kaizen_wa_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
            label(route),
            label(method)
        );
    }
}

/// The latency histogram per route: cumulative buckets, sum and count.
fn render_latency(out: &mut String, latency: &BTreeMap<String, Histogram>) {
    let _ = writeln!(
        out,
        "# HELP kaizen_wa_http_request_duration_seconds Request latency by route."
    );
    let _ = writeln!(
        out,
        "# TYPE kaizen_wa_http_request_duration_seconds histogram"
    );
    for (route, h) in latency {
        let route = label(route);
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += h.counts[i];
            let _ = writeln!(
                out,
                "kaizen_wa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += h.counts[BUCKETS.len()];
        let _ = writeln!(
            out,
            "kaizen_wa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "kaizen_wa_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "kaizen_wa_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            h.count
        );
    }
}

/// The collection's figures, each a gauge or counter of its own.
fn render_collection(out: &mut String, c: &Collection) {
    let figures = [
        ("kaizen_wa_cases", "Cases in the index.", "gauge", c.cases),
        (
            "kaizen_wa_index_size_bytes",
            "Size of the index files.",
            "gauge",
            c.index_bytes,
        ),
        (
            "kaizen_wa_suggestions",
            "Entries in the completion list.",
            "gauge",
            c.suggestions,
        ),
        (
            "kaizen_wa_search_queue_waiting",
            "Searches waiting for a search thread.",
            "gauge",
            c.search_queue,
        ),
        (
            "kaizen_wa_index_resyncs_total",
            "Re-syncs of case files edited outside the server.",
            "counter",
            c.resyncs,
        ),
        (
            "kaizen_wa_index_ready",
            "1 once the index holds the case folder, 0 while it converges.",
            "gauge",
            u64::from(c.ready),
        ),
        (
            "kaizen_wa_sync_files_done",
            "Case files read by the running (or last) full sync.",
            "gauge",
            c.sync.done,
        ),
        (
            "kaizen_wa_sync_files_total",
            "Case files the running (or last) full sync reads.",
            "gauge",
            c.sync.total,
        ),
        (
            "kaizen_wa_meaning_cases",
            "Cases with a vector (related and similar cases by meaning).",
            "gauge",
            c.meaning.cases,
        ),
        (
            "kaizen_wa_meaning_embedded",
            "Cases embedded by the running (or last) catch-up of the vectors.",
            "gauge",
            c.meaning.progress.done,
        ),
        (
            "kaizen_wa_meaning_to_embed",
            "Cases the running (or last) catch-up of the vectors embeds.",
            "gauge",
            c.meaning.progress.total,
        ),
    ];
    for (name, help, kind, value) in figures {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {value}");
    }
}

/// What `/metrics` reports of the collection besides requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Collection {
    pub cases: u64,
    pub index_bytes: u64,
    pub suggestions: u64,
    pub resyncs: u64,
    pub search_queue: u64,
    /// Whether the index has converged to the case folder.
    pub ready: bool,
    /// The full sync's progress.
    pub sync: crate::progress::Snapshot,
    /// The vectors' catch-up.
    pub meaning: crate::meaning::Status,
}

/// Escapes a label value (backslash, quote, newline).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: times every request under its route template
/// (`/api/cases/{id}`, never the raw path, so labels stay few).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    state.metrics.observe(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.observe("/api/search", "GET", 200, 0.0004);
        m.observe("/api/search", "GET", 200, 0.003);
        m.observe("/api/search", "GET", 400, 9.0);
        let text = m.render(&Collection {
            cases: 12,
            index_bytes: 1000,
            suggestions: 5,
            resyncs: 2,
            search_queue: 3,
            ready: false,
            sync: crate::progress::Snapshot {
                done: 40,
                total: 100,
            },
            meaning: crate::meaning::Status {
                state: crate::meaning::State::Embedding,
                progress: crate::progress::Snapshot { done: 3, total: 7 },
                cases: 10,
            },
        });
        assert!(text.contains("kaizen_wa_search_queue_waiting 3\n"));
        assert!(text.contains(
            "kaizen_wa_http_requests_total{route=\"/api/search\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "kaizen_wa_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "kaizen_wa_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "kaizen_wa_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("kaizen_wa_cases 12"));
        assert!(text.contains("# TYPE kaizen_wa_index_resyncs_total counter"));
        assert!(text.contains("kaizen_wa_index_resyncs_total 2"));
        assert!(text.contains("kaizen_wa_index_ready 0\n"));
        assert!(text.contains("kaizen_wa_sync_files_done 40\n"));
        assert!(text.contains("kaizen_wa_sync_files_total 100\n"));
        assert!(text.contains("kaizen_wa_meaning_cases 10\n"));
        assert!(text.contains("kaizen_wa_meaning_embedded 3\n"));
        assert!(text.contains("kaizen_wa_meaning_to_embed 7\n"));
    }
}
