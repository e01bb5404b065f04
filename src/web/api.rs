//! JSON API handlers. Response shapes are our own DTOs (not the index's
//! types) so the API stays stable while search internals change, and so
//! every shape is described in the OpenAPI document. [`HitDto`] is the one
//! serialised shape of a hit: the CLI's `search --json` prints it too.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::cache::Cached;
use super::error::{ErrorBody, WebError};
use super::insights::InsightsReport;
use super::params::{MAX_QUERY_CHARS, SearchParams, Validated};
use crate::index::{FacetCount, Facets, Hit, SearchOptions, SearchResults, WordSynonyms};
use crate::suggest::Suggestion;

/// Header the UI's search-as-you-type sets: such partial queries are not
/// counted in the insights (only searches people commit to are), but for
/// the value [`SETTLED`].
pub const LIVE_HEADER: &str = "x-kaizen-live";

/// The [`LIVE_HEADER`] value of the query a typing burst settled on: the
/// page sends it once, when the typing has paused long enough or a result
/// is opened, so the insights count what was looked for, not each key.
pub const SETTLED: &str = "settled";

/// Whether a request is a keystroke of search-as-you-type, not counted in
/// the insights.
fn is_keystroke(headers: &HeaderMap) -> bool {
    headers
        .get(LIVE_HEADER)
        .is_some_and(|v| v.as_bytes() != SETTLED.as_bytes())
}

#[derive(Serialize, ToSchema)]
pub struct PeriodDto {
    pub start: i32,
    /// `null` while the campaign goes on.
    pub end: Option<i32>,
    /// `2000–2007`, or `2000–` while it goes on.
    pub label: String,
}

impl From<crate::case::Period> for PeriodDto {
    fn from(p: crate::case::Period) -> Self {
        PeriodDto {
            start: p.start,
            end: p.end,
            label: p.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SnippetDto {
    /// Section key (`failures`).
    pub section: &'static str,
    /// Its heading (失敗・課題).
    pub heading: &'static str,
    /// HTML-escaped text, matches in `<mark>`.
    pub html: String,
    /// The fragment as plain text.
    pub text: String,
    /// Matches in `text`, as `[start, end)` character offsets.
    pub highlights: Vec<[usize; 2]>,
}

#[derive(Serialize, ToSchema)]
pub struct HitDto {
    pub id: String,
    pub title: String,
    /// Title HTML-escaped, matches in `<mark>`.
    pub title_html: String,
    pub municipality: String,
    pub prefecture: String,
    pub kind: String,
    pub levels: Vec<String>,
    pub period: PeriodDto,
    pub updated: Option<String>,
    pub score: f32,
    /// Matching sections, best first (the summary when none matched).
    pub snippets: Vec<SnippetDto>,
    /// Words of the query this case does not contain (a partial match of
    /// several words: 「含まれない: 量子」); empty when it contains every
    /// word.
    pub missing_words: Vec<String>,
}

impl From<Hit> for HitDto {
    fn from(h: Hit) -> Self {
        HitDto {
            id: h.id,
            title: h.title,
            title_html: h.title_html,
            municipality: h.municipality,
            prefecture: h.prefecture,
            kind: h.kind.name().to_owned(),
            levels: h.levels.iter().map(|l| l.name().to_owned()).collect(),
            period: h.period.into(),
            updated: h.updated,
            score: h.score,
            snippets: h
                .snippets
                .into_iter()
                .map(|s| SnippetDto {
                    section: s.section,
                    heading: s.heading,
                    html: s.html,
                    highlights: s.snippet.marks.iter().map(|&(a, b)| [a, b]).collect(),
                    text: s.snippet.text,
                })
                .collect(),
            missing_words: h.missing_words,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FacetCountDto {
    pub value: String,
    pub count: u64,
}

/// Counts per value under the query and every other filter (drill-down).
#[derive(Serialize, ToSchema, Default)]
pub struct FacetsDto {
    pub level: Vec<FacetCountDto>,
    pub prefecture: Vec<FacetCountDto>,
    pub kind: Vec<FacetCountDto>,
    /// Decade of the start year (`2000` = 2000–2009).
    pub decade: Vec<FacetCountDto>,
}

impl From<Facets> for FacetsDto {
    fn from(f: Facets) -> Self {
        let conv = |v: Vec<FacetCount>| {
            v.into_iter()
                .map(|c| FacetCountDto {
                    value: c.value,
                    count: c.count,
                })
                .collect()
        };
        FacetsDto {
            level: conv(f.level),
            prefecture: conv(f.prefecture),
            kind: conv(f.kind),
            decade: conv(f.decade),
        }
    }
}

/// A query word and the synonyms searched with it (they rank below it).
#[derive(Serialize, ToSchema)]
pub struct WordSynonymsDto {
    pub word: String,
    pub synonyms: Vec<String>,
}

impl From<WordSynonyms> for WordSynonymsDto {
    fn from(s: WordSynonyms) -> Self {
        WordSynonymsDto {
            word: s.word,
            synonyms: s.synonyms,
        }
    }
}

/// A search's answer. Counts are honest: `total` is the number of cases
/// containing every word of the query, and `hits` are only such cases.
/// Cases containing only some of the words (a query of several words or a
/// sentence is answered by those too) are apart in `partial`, each naming
/// the words it lacks.
///
/// Paging (`page`, `per_page`) runs through one list: every case
/// containing every word first, then the partial ones. A page holds up to
/// `per_page` hits in all, `hits` then `partial.hits`; the page where the
/// first part ends starts the second, and later pages hold partial hits
/// only.
#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    /// Cases containing every word of the query.
    pub total: usize,
    pub took_ms: f64,
    pub page: usize,
    pub per_page: usize,
    /// This page's cases containing every word, best first.
    pub hits: Vec<HitDto>,
    /// The cases containing only some of the words.
    pub partial: PartialDto,
    /// Counted over the cases containing every word.
    pub facets: FacetsDto,
    /// A close known word when nothing was found.
    pub did_you_mean: Option<String>,
    /// Each query word that also searched its synonyms, with them
    /// (「同義語も検索: 打ち切り・撤廃」); words without any are left out.
    pub synonyms: Vec<WordSynonymsDto>,
    /// Words typed as a compound that were also searched as their parts
    /// anywhere in a case, below the cases holding the compound.
    pub also_read: Vec<AlsoReadDto>,
    /// Cases related by meaning that do **not** match the query, nearest
    /// first: suggestions after the matches, counted in neither `total`,
    /// `partial` nor `facets`; within the filters. On the first page only
    /// (`related`: how many; 0 for none); empty while the vectors are not
    /// computed yet, or when the server runs without them.
    pub related: Vec<RelatedDto>,
}

/// A case in a list of related or similar cases.
#[derive(Serialize, ToSchema)]
pub struct ListingDto {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    pub levels: Vec<String>,
    pub period: PeriodDto,
}

impl From<crate::case::Listing> for ListingDto {
    fn from(c: crate::case::Listing) -> Self {
        ListingDto {
            id: c.id,
            title: c.title,
            municipality: c.municipality,
            prefecture: c.prefecture,
            levels: c.levels.iter().map(|l| l.name().to_owned()).collect(),
            period: c.period.into(),
        }
    }
}

/// A case related by meaning, which does not contain the query's words.
#[derive(Serialize, ToSchema)]
pub struct RelatedDto {
    #[serde(flatten)]
    pub case: ListingDto,
    /// Cosine similarity of the query's and the case's vectors. The values
    /// sit in a narrow band (about 0.8–0.9): an order, not a measure of
    /// relevance.
    pub similarity: f32,
    /// The case's summary.
    pub summary: String,
}

impl From<crate::index::Related> for RelatedDto {
    fn from(r: crate::index::Related) -> Self {
        RelatedDto {
            case: r.case.into(),
            similarity: r.similarity,
            summary: r.summary,
        }
    }
}

/// A compound typed without spaces, also searched as its parts.
#[derive(Serialize, ToSchema)]
pub struct AlsoReadDto {
    /// As typed (`首長交代`).
    pub typed: String,
    /// Its parts as written (`["首長", "交代"]`).
    pub parts: Vec<String>,
}

/// The cases containing only some of the query's words.
#[derive(Serialize, ToSchema, Default)]
pub struct PartialDto {
    /// How many cases contain some but not all of the words.
    pub total: usize,
    /// This page's share of them, best first (those lacking fewer words
    /// first); each names what it lacks in `missing_words`.
    pub hits: Vec<HitDto>,
}

impl SearchResponse {
    /// The one JSON shape of search results, for the API and the command
    /// line's `search --json` alike.
    pub fn new(
        results: SearchResults,
        page: usize,
        per_page: usize,
        did_you_mean: Option<String>,
    ) -> SearchResponse {
        let (hits, partial): (Vec<Hit>, Vec<Hit>) =
            results.hits.into_iter().partition(Hit::matches_every_word);
        let also_read = results
            .also_read
            .into_iter()
            .map(|a| AlsoReadDto {
                typed: a.typed,
                parts: a.parts,
            })
            .collect();
        SearchResponse {
            total: results.total,
            took_ms: results.took.as_secs_f64() * 1000.0,
            page,
            per_page,
            hits: hits.into_iter().map(HitDto::from).collect(),
            partial: PartialDto {
                total: results.partial_total,
                hits: partial.into_iter().map(HitDto::from).collect(),
            },
            facets: results.facets.map(FacetsDto::from).unwrap_or_default(),
            did_you_mean,
            synonyms: results
                .synonyms
                .into_iter()
                .map(WordSynonymsDto::from)
                .collect(),
            also_read,
            related: results.related.into_iter().map(RelatedDto::from).collect(),
        }
    }
}

/// Validates and runs a search; counts it in the insights unless it is a
/// live (as-you-type) one. Shared by the API and the HTML page. An answer
/// not in the cache is computed in the CPU queue ([`super::cpu`]).
pub(super) async fn run_search(
    state: &AppState,
    params: &SearchParams,
    headers: &HeaderMap,
) -> Result<(Validated, SearchResults, Option<String>), WebError> {
    let v = params.validate()?;
    let started = std::time::Instant::now();
    let generation = cache_generation(state.index.generation(), state.meaning.version());
    let (results, did_you_mean) = match state.search_cache.get(generation, &v.request) {
        Some(cached) => {
            let mut results = cached.results.clone();
            results.took = started.elapsed();
            (results, cached.did_you_mean.clone())
        }
        None => {
            let s = state.clone();
            let request = v.request.clone();
            state
                .cpu
                .run(move || {
                    let vectors = s.meaning.version();
                    let results =
                        s.index
                            .search_related(&request, &SearchOptions::default(), &*s.meaning)?;
                    let did_you_mean = if results.total == 0 && !request.query.trim().is_empty() {
                        did_you_mean(&s, &request.query)
                    } else {
                        None
                    };
                    s.search_cache.put(
                        cache_generation(results.generation, vectors),
                        request,
                        Arc::new(Cached {
                            results: results.clone(),
                            did_you_mean: did_you_mean.clone(),
                        }),
                    );
                    Ok((results, did_you_mean))
                })
                .await?
        }
    };
    if !is_keystroke(headers) && v.page == 1 {
        state.insights.record(&v.request.query, results.total);
    }
    Ok((v, results, did_you_mean))
}

/// What a cached answer is valid for: the index generation and the
/// vectors' version (an answer's related cases change with them). Both
/// only grow, so their sum grows whenever either changes, which is what
/// the cache needs of a generation.
fn cache_generation(index: u64, vectors: u64) -> u64 {
    index + vectors
}

/// A corrected query: the whole query, or one word of it, replaced by a
/// close known word.
fn did_you_mean(state: &AppState, query: &str) -> Option<String> {
    let s = state.suggester();
    if let Some(w) = s.did_you_mean(query) {
        return Some(w);
    }
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.len() < 2 {
        return None;
    }
    for (i, w) in words.iter().enumerate() {
        if let Some(fixed) = s.did_you_mean(w) {
            let mut out: Vec<&str> = words.clone();
            out[i] = &fixed;
            return Some(out.join(" "));
        }
    }
    None
}

/// Full-text search over the cases, with filters, sorting, paging and
/// drill-down facet counts.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "api",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits and facet counts", body = SearchResponse),
        (status = 400, description = "A parameter is invalid; `error.param` names it", body = ErrorBody)
    )
)]
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<SearchResponse>, WebError> {
    let params = SearchParams::from_query(raw.as_deref())?;
    let (v, results, did_you_mean) = run_search(&state, &params, &headers).await?;
    Ok(Json(SearchResponse::new(
        results,
        v.page,
        v.per_page,
        did_you_mean,
    )))
}

/// Most rows a CSV download holds: a search result, not a backup (the
/// whole collection is `kaizen-wa export`).
pub const CSV_MAX_ROWS: usize = 1000;

/// The hits of a search as CSV, best first: the same parameters as
/// `/api/search` (`page` and `per_page` are ignored), at most
/// [`CSV_MAX_ROWS`] rows. Only the cases containing every word, as
/// counted by `total`: a file handed on has no place to say what a row
/// lacks; the partial ones are counted in a header. UTF-8 with BOM so that Excel opens it; cells
/// that a spreadsheet would run as a formula are neutralised.
#[utoipa::path(
    get,
    path = "/api/search.csv",
    tag = "api",
    params(SearchParams),
    responses(
        (status = 200, description = "CSV (UTF-8 with BOM, Japanese headers) of the cases containing every word of the query; `X-Total-Count` is their number, `X-Kaizen-Partial-Count` the number of cases containing only some of the words (not in the file), `X-Kaizen-Truncated: true` when more than 1000", content_type = "text/csv"),
        (status = 400, description = "A parameter is invalid; `error.param` names it", body = ErrorBody)
    )
)]
pub async fn search_csv(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params = SearchParams::from_query(raw.as_deref())?;
    let mut request = params.validate()?.request;
    request.offset = 0;
    request.limit = CSV_MAX_ROWS;
    request.facets = false;
    let (bytes, total, partial) = state
        .on_index(move |index| {
            let results = index.search(&request)?;
            let mut cases = Vec::with_capacity(results.hits.len());
            for h in results.hits.iter().filter(|h| h.matches_every_word()) {
                cases.extend(index.get(&h.id)?);
            }
            let mut out = Vec::new();
            crate::transfer::export_csv(&cases, &mut out)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok((out, results.total, results.partial_total))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kaizen-wa-search.csv\"".to_owned(),
            ),
            (
                header::HeaderName::from_static("x-total-count"),
                total.to_string(),
            ),
            (
                header::HeaderName::from_static("x-kaizen-partial-count"),
                partial.to_string(),
            ),
            (
                header::HeaderName::from_static("x-kaizen-truncated"),
                (total > CSV_MAX_ROWS).to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The full case record, as in its file, with its `ETag` (the content
/// hash of the file): send it back in `If-Match` to update the case.
#[utoipa::path(
    get,
    path = "/api/cases/{id}",
    tag = "api",
    params(("id" = String, Path, description = "Case id (slug)")),
    responses(
        (status = 200, description = "The case: front matter fields, `sections` by key, `sources`", body = Object,
            headers(("ETag" = String, description = "Content hash of the case file, for If-Match"))),
        (status = 404, description = "No case with this id", body = ErrorBody)
    )
)]
pub async fn case(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    match state.live.current(&id)? {
        Some((case, etag)) => {
            Ok(([(header::ETAG, format!("\"{etag}\""))], Json(case)).into_response())
        }
        None => Err(not_found(&id)),
    }
}

pub(super) fn not_found(id: &str) -> WebError {
    WebError::NotFound(format!(
        "事例「{id}」は見つかりません。検索から探してください"
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// How many, 1–20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<usize>,
}

fn limit(l: Option<usize>, default: usize, max: usize) -> Result<usize, WebError> {
    match l {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(WebError::bad(
            "limit",
            format!("{n} は範囲外です。1〜{max} にしてください"),
        )),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimilarDto {
    #[serde(flatten)]
    pub case: ListingDto,
    /// The cosine similarity of the two cases' vectors (`ranked_by`
    /// `meaning`), or the BM25 score of the shared words (`words`: the
    /// vectors are not computed yet, or the server runs without them).
    pub score: f32,
    /// `meaning` or `words`.
    pub ranked_by: crate::index::similar::RankedBy,
    /// Distinctive words of the source case that this one shares.
    pub shared: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimilarResponse {
    pub id: String,
    pub similar: Vec<SimilarDto>,
}

/// Cases most like this one, from the distinctive words of its narrative.
#[utoipa::path(
    get,
    path = "/api/cases/{id}/similar",
    tag = "api",
    params(("id" = String, Path, description = "Case id (slug)"), LimitParams),
    responses(
        (status = 200, description = "Most similar first", body = SimilarResponse),
        (status = 400, description = "Bad limit", body = ErrorBody),
        (status = 404, description = "No case with this id", body = ErrorBody)
    )
)]
pub async fn similar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<LimitParams>,
) -> Result<Json<SimilarResponse>, WebError> {
    let n = limit(p.limit, 5, 20)?;
    let similar = state.similar(&id, n).await?.ok_or_else(|| not_found(&id))?;
    Ok(Json(SimilarResponse {
        id,
        similar: similar
            .into_iter()
            .map(|s| SimilarDto {
                case: s.case.into(),
                score: s.score,
                ranked_by: s.ranked_by,
                shared: s.shared,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far (kanji, kana or romaji letters).
    pub q: Option<String>,
    /// How many, 1–20 (default 8).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionDto {
    pub text: String,
    /// `municipality`, `prefecture`, `term` or `title`.
    pub kind: String,
    /// Cases it occurs in.
    pub cases: u32,
}

impl From<Suggestion> for SuggestionDto {
    fn from(s: Suggestion) -> Self {
        SuggestionDto {
            text: s.text,
            kind: serde_json::to_value(s.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            cases: s.cases,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SuggestResponse {
    pub q: String,
    pub suggestions: Vec<SuggestionDto>,
}

/// Completions of a prefix: municipality and prefecture names, frequent
/// words and case titles, by spelling or reading (かい → 改善).
#[utoipa::path(
    get,
    path = "/api/suggest",
    tag = "api",
    params(SuggestParams),
    responses(
        (status = 200, description = "Completions, best first", body = SuggestResponse),
        (status = 400, description = "q too long or bad limit", body = ErrorBody)
    )
)]
pub async fn suggest(
    State(state): State<AppState>,
    Query(p): Query<SuggestParams>,
) -> Result<Json<SuggestResponse>, WebError> {
    let q = p.q.unwrap_or_default();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(WebError::bad(
            "q",
            format!("{MAX_QUERY_CHARS} 文字以内にしてください"),
        ));
    }
    let n = limit(p.limit, 8, 20)?;
    let suggestions = state
        .suggester()
        .suggest(&q, n)
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(SuggestResponse { q, suggestions }))
}

#[derive(Serialize, ToSchema)]
pub struct LabelCount {
    pub label: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct YearCount {
    pub year: i32,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    pub total: u64,
    /// A case with several levels counts under each.
    pub by_level: Vec<LabelCount>,
    pub by_prefecture: Vec<LabelCount>,
    pub by_kind: Vec<LabelCount>,
    /// Campaigns started per year.
    pub by_start_year: Vec<YearCount>,
    /// Campaigns running per year.
    pub active_by_year: Vec<YearCount>,
}

/// Counts over the whole collection.
#[utoipa::path(
    get,
    path = "/api/stats",
    tag = "api",
    responses((status = 200, description = "Counts by level, prefecture, kind and year", body = StatsResponse))
)]
pub async fn stats(State(state): State<AppState>) -> Result<Json<StatsResponse>, WebError> {
    let s = state.index.stats()?;
    let labels = |v: Vec<(String, u64)>| {
        v.into_iter()
            .map(|(label, count)| LabelCount { label, count })
            .collect()
    };
    let years = |v: Vec<(i32, u64)>| {
        v.into_iter()
            .map(|(year, count)| YearCount { year, count })
            .collect()
    };
    Ok(Json(StatsResponse {
        total: s.total,
        by_level: labels(s.by_level),
        by_prefecture: labels(s.by_prefecture),
        by_kind: labels(s.by_kind),
        by_start_year: years(s.by_start_year),
        active_by_year: years(s.active_by_year),
    }))
}

/// Most frequent queries and queries that found nothing since start-up
/// (aggregated counts only).
#[utoipa::path(
    get,
    path = "/api/insights",
    tag = "api",
    responses((status = 200, description = "Query counts", body = InsightsReport))
)]
pub async fn insights(State(state): State<AppState>) -> Json<InsightsReport> {
    Json(state.insights.report(50))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "api",
    responses((status = 200, description = "OpenAPI 3 document", body = Object))
)]
pub async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(|| {
        super::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into())
    });
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}
