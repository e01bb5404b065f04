//! The server-rendered Japanese UI: search, case, 統計 and insights pages,
//! and the HTML error states. Handlers build small view structs; the
//! askama templates in `templates/` only lay them out (escaping is on by
//! default; only our own `<mark>` snippet HTML is marked `safe`).
//!
//! Every page works without JavaScript: the search is a plain GET form and
//! every facet, chip, sort and page is a link. `static/app.js` only makes
//! it faster (search-as-you-type, in-place updates).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::api::{not_found as case_not_found, run_search};
use super::auth::Viewer;
use super::error::{WebError, bare_html};
use super::params::SearchParams;
use super::{AppState, assets};
use crate::case::{Case, Level, Section};
use crate::index::Sort;

/// Renders a template, or a bare 500 page if the template fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            bare_html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ページを表示できませんでした。",
            )
        }
    }
}

/// What every page needs: asset URLs, which nav item is current, and who
/// is looking (the header's login link or name and logout button).
pub struct Base {
    pub css: String,
    pub js: String,
    pub icon: String,
    pub nav: &'static str,
    pub cases: u64,
    /// The logged-in member's name.
    pub member: Option<String>,
    /// The session's CSRF token (the logout form).
    pub csrf: String,
    /// Writing is on (at least one member configured).
    pub writing: bool,
    /// While a new index is built in the background: what to tell people
    /// (「索引を作成中です（1,234 / 10,000 件）…」).
    pub building: Option<String>,
}

impl Base {
    pub fn new(state: &AppState, nav: &'static str, viewer: &Viewer) -> Base {
        Base {
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("icon.svg"),
            nav,
            cases: state.index.num_cases(),
            member: viewer.member.as_ref().map(|m| m.name.to_string()),
            csrf: viewer
                .member
                .as_ref()
                .map(|m| m.csrf.clone())
                .unwrap_or_default(),
            writing: viewer.writing,
            building: building(state),
        }
    }
}

/// The notice shown while a new index (a fresh clone, a new index
/// version) is built; `None` once it is, and while an existing index
/// merely converges (it already answers with every case it had).
fn building(state: &AppState) -> Option<String> {
    let status = state.live.status();
    if !state.index.created || status.state == crate::live::State::Ready {
        return None;
    }
    let p = status.progress;
    let count = if p.total > 0 {
        format!(
            "（{} / {} 件）",
            crate::progress::grouped(p.done),
            crate::progress::grouped(p.total)
        )
    } else {
        String::new()
    };
    Some(format!(
        "索引を作成中です{count}。作成済みの事例から検索できます。"
    ))
}

// ---------------------------------------------------------------- search

pub struct LevelBadge {
    pub name: &'static str,
    pub slug: &'static str,
}

fn badges(levels: &[Level]) -> Vec<LevelBadge> {
    levels
        .iter()
        .map(|l| LevelBadge {
            name: l.name(),
            slug: l.slug(),
        })
        .collect()
}

pub struct SnippetView {
    pub heading: &'static str,
    pub html: String,
}

pub struct HitView {
    pub href: String,
    pub title_html: String,
    pub municipality: String,
    pub prefecture: String,
    pub period: String,
    pub levels: Vec<LevelBadge>,
    pub snippets: Vec<SnippetView>,
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub id: &'static str,
    pub title: &'static str,
    pub values: Vec<FacetLink>,
}

pub struct Chip {
    pub label: String,
    pub href: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub base: Base,
    pub q: String,
    pub title: String,
    pub total: usize,
    pub took_ms: String,
    pub first: usize,
    pub last: usize,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetGroup>,
    pub chips: Vec<Chip>,
    pub clear_href: String,
    pub sorts: Vec<Choice>,
    pub sections: Vec<Choice>,
    pub hidden: Vec<Hidden>,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub did_you_mean: Option<Chip>,
    pub has_filters: bool,
    pub browsing: bool,
    /// The same search as CSV (「CSVでダウンロード」).
    pub csv_href: String,
    pub csv_max: usize,
}

fn href(p: &SearchParams) -> String {
    let q = p.to_query();
    if q.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{q}")
    }
}

/// The repeatable filters, as accessors for [`toggle`].
fn levels_of(p: &mut SearchParams) -> &mut Vec<String> {
    &mut p.level
}
fn prefectures_of(p: &mut SearchParams) -> &mut Vec<String> {
    &mut p.prefecture
}
fn kinds_of(p: &mut SearchParams) -> &mut Vec<String> {
    &mut p.kind
}

type ListField = fn(&mut SearchParams) -> &mut Vec<String>;

/// A facet value's link: toggles it in a repeatable parameter.
fn toggle(p: &SearchParams, field: ListField, value: &str) -> (String, bool) {
    let mut copy = p.clone();
    let active = field(&mut copy).iter().any(|v| v == value);
    let edited = p.edited(|e| {
        let list = field(e);
        if active {
            list.retain(|v| v != value);
        } else {
            list.push(value.to_owned());
        }
    });
    (href(&edited), active)
}

/// Search page: the form, results with facets, or the browse view.
#[utoipa::path(
    get,
    path = "/",
    tag = "ui",
    params(SearchParams),
    responses(
        (status = 200, description = "Search page (HTML)", content_type = "text/html"),
        (status = 400, description = "Error page naming the bad parameter", content_type = "text/html")
    )
)]
pub async fn search_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    match search_view(&state, &viewer, raw.as_deref(), &headers).await {
        Ok(page) => render(&page),
        Err(e) => e.into_html(&state, &viewer),
    }
}

async fn search_view(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Result<SearchPage, WebError> {
    let p = SearchParams::from_query(raw)?;
    let (v, results, did_you_mean) = run_search(state, &p, headers).await?;
    let q = v.request.query.clone();
    let facets = results.facets.clone().unwrap_or_default();

    let mut groups = Vec::new();
    groups.push(FacetGroup {
        id: "level",
        title: "改善レベル",
        values: facets
            .level
            .iter()
            .map(|c| {
                let slug = Level::parse(&c.value).map_or(c.value.as_str(), |l| l.slug());
                let (href, _) = toggle(&p, levels_of, slug);
                // The parameter may be given as name or slug.
                let active = v.request.levels.iter().any(|l| l.name() == c.value);
                let href = if active {
                    href_without_level(&p, &c.value)
                } else {
                    href
                };
                FacetLink {
                    label: c.value.clone(),
                    count: c.count,
                    href,
                    active,
                }
            })
            .collect(),
    });
    let simple = |id: &'static str,
                  title: &'static str,
                  counts: &[crate::index::FacetCount],
                  field: ListField| FacetGroup {
        id,
        title,
        values: counts
            .iter()
            .map(|c| {
                let (href, active) = toggle(&p, field, &c.value);
                FacetLink {
                    label: c.value.clone(),
                    count: c.count,
                    href,
                    active,
                }
            })
            .collect(),
    };
    groups.push(simple(
        "prefecture",
        "都道府県",
        &facets.prefecture,
        prefectures_of,
    ));
    groups.push(simple("kind", "自治体の種類", &facets.kind, kinds_of));
    groups.push(FacetGroup {
        id: "decade",
        title: "開始年代",
        values: facets
            .decade
            .iter()
            .filter_map(|c| {
                let start: i32 = c.value.parse().ok()?;
                let (from, to) = (start.to_string(), (start + 9).to_string());
                let active =
                    p.year_from.as_deref() == Some(&from) && p.year_to.as_deref() == Some(&to);
                let edited = p.edited(|e| {
                    if active {
                        e.year_from = None;
                        e.year_to = None;
                    } else {
                        e.year_from = Some(from.clone());
                        e.year_to = Some(to.clone());
                    }
                });
                Some(FacetLink {
                    label: format!("{start}年代"),
                    count: c.count,
                    href: href(&edited),
                    active,
                })
            })
            .collect(),
    });
    groups.retain(|g| !g.values.is_empty());

    let mut chips = Vec::new();
    for l in &v.request.levels {
        chips.push(Chip {
            label: format!("改善レベル: {}", l.name()),
            href: href_without_level(&p, l.name()),
        });
    }
    for (label, field) in [
        ("都道府県", prefectures_of as ListField),
        ("種類", kinds_of as ListField),
    ] {
        let mut copy = p.clone();
        for value in field(&mut copy).clone() {
            let edited = p.edited(|e| field(e).retain(|v| *v != value));
            chips.push(Chip {
                label: format!("{label}: {value}"),
                href: href(&edited),
            });
        }
    }
    if let Some(m) = &p.municipality {
        chips.push(Chip {
            label: format!("自治体: {m}"),
            href: href(&p.edited(|e| e.municipality = None)),
        });
    }
    if p.year_from.is_some() || p.year_to.is_some() {
        let label = format!(
            "期間: {}〜{}",
            p.year_from.as_deref().unwrap_or(""),
            p.year_to.as_deref().unwrap_or("")
        );
        chips.push(Chip {
            label,
            href: href(&p.edited(|e| {
                e.year_from = None;
                e.year_to = None;
            })),
        });
    }
    if let Some(s) = v.request.section {
        chips.push(Chip {
            label: format!("節: {}", s.heading()),
            href: href(&p.edited(|e| e.section = None)),
        });
    }
    let clear_href = href(&SearchParams {
        q: p.q.clone(),
        sort: p.sort.clone(),
        ..Default::default()
    });

    let sorts = [
        (Sort::Relevance, "relevance", "関連度順"),
        (Sort::Newest, "newest", "更新の新しい順"),
        (Sort::Period, "period", "開始年の新しい順"),
    ]
    .into_iter()
    .map(|(s, value, label)| Choice {
        value,
        label,
        selected: v.request.sort == s,
    })
    .collect();
    let sections = Section::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.key(),
            label: s.heading(),
            selected: v.request.section == Some(s),
        })
        .collect();
    let mut hidden = Vec::new();
    for l in &p.level {
        hidden.push(Hidden {
            name: "level",
            value: l.clone(),
        });
    }
    for x in &p.prefecture {
        hidden.push(Hidden {
            name: "prefecture",
            value: x.clone(),
        });
    }
    for x in &p.kind {
        hidden.push(Hidden {
            name: "kind",
            value: x.clone(),
        });
    }
    for (name, value) in [
        ("municipality", &p.municipality),
        ("year_from", &p.year_from),
        ("year_to", &p.year_to),
        ("per_page", &p.per_page),
    ] {
        if let Some(value) = value {
            hidden.push(Hidden {
                name,
                value: value.clone(),
            });
        }
    }

    let pages_total = results
        .total
        .div_ceil(v.per_page)
        .clamp(1, super::params::MAX_DEPTH / v.per_page);
    let page_href = |n: usize| {
        let mut e = p.clone();
        e.page = (n > 1).then(|| n.to_string());
        href(&e)
    };
    let lo = v.page.saturating_sub(3).max(1);
    let hi = (v.page + 3).min(pages_total);
    let pages = if pages_total > 1 {
        (lo..=hi)
            .map(|n| PageLink {
                number: n,
                href: page_href(n),
                current: n == v.page,
            })
            .collect()
    } else {
        Vec::new()
    };
    let prev = (v.page > 1).then(|| page_href(v.page - 1));
    let next = (v.page < pages_total).then(|| page_href(v.page + 1));

    let hits: Vec<HitView> = results
        .hits
        .into_iter()
        .map(|h| HitView {
            href: format!("/cases/{}", h.id),
            title_html: h.title_html,
            municipality: h.municipality,
            prefecture: h.prefecture,
            period: h.period.to_string(),
            levels: badges(&h.levels),
            snippets: h
                .snippets
                .into_iter()
                .take(2)
                .map(|s| SnippetView {
                    heading: s.heading,
                    html: s.html,
                })
                .collect(),
        })
        .collect();
    let first = v.request.offset + 1;
    let last = v.request.offset + hits.len();
    let did_you_mean = did_you_mean.map(|text| {
        let edited = p.edited(|e| e.q = Some(text.clone()));
        Chip {
            label: text,
            href: href(&edited),
        }
    });
    let browsing = q.trim().is_empty();
    let title = if browsing {
        "事例を探す".to_owned()
    } else {
        format!("「{q}」の検索結果")
    };
    Ok(SearchPage {
        base: Base::new(state, "search", viewer),
        q,
        title,
        total: results.total,
        took_ms: format!("{:.1}", results.took.as_secs_f64() * 1000.0),
        first,
        last,
        hits,
        facets: groups,
        chips,
        clear_href,
        sorts,
        sections,
        hidden,
        pages,
        prev,
        next,
        did_you_mean,
        has_filters: p.has_filters(),
        browsing,
        csv_href: format!(
            "/api/search.csv?{}",
            p.edited(|e| {
                e.page = None;
                e.per_page = None;
            })
            .to_query()
        ),
        csv_max: super::api::CSV_MAX_ROWS,
    })
}

/// The link that removes a level, however it was spelled in the URL.
fn href_without_level(p: &SearchParams, name: &str) -> String {
    href(&p.edited(|e| {
        e.level
            .retain(|l| Level::parse(l).is_none_or(|lv| lv.name() != name))
    }))
}

// ------------------------------------------------------------------ case

pub struct SectionView {
    pub key: &'static str,
    pub heading: String,
    pub paragraphs: Vec<String>,
}

pub struct SourceView {
    pub text: String,
    pub href: Option<String>,
}

pub struct SimilarView {
    pub href: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    pub period: String,
    pub levels: Vec<LevelBadge>,
    pub shared: String,
}

pub struct MetaRow {
    pub label: &'static str,
    pub value: String,
}

/// A case laid out for reading: the case page and the form's preview
/// (`templates/case_body.html`).
pub struct CaseView {
    pub id: String,
    pub title: String,
    pub levels: Vec<LevelBadge>,
    pub meta: Vec<MetaRow>,
    pub sections: Vec<SectionView>,
    pub sources: Vec<SourceView>,
    pub place_href: String,
    /// 「最終更新 2026-05-01（山田）」: who last saved it and when.
    pub stamp: Option<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub base: Base,
    pub view: CaseView,
    pub similar: Vec<SimilarView>,
    /// Just saved: say so.
    pub saved: bool,
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_web_link(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace)
}

/// One case: every section, metadata, sources, similar cases; edit and
/// delete links for a logged-in member.
#[utoipa::path(
    get,
    path = "/cases/{id}",
    tag = "ui",
    params(("id" = String, Path, description = "Case id (slug)")),
    responses(
        (status = 200, description = "Case page (HTML)", content_type = "text/html"),
        (status = 404, description = "Not-found page", content_type = "text/html")
    )
)]
pub async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let saved = raw.as_deref() == Some("saved=1");
    match case_page_view(&state, &viewer, &id, saved).await {
        Ok(page) => render(&page),
        Err(e) => e.into_html(&state, &viewer),
    }
}

async fn case_page_view(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    saved: bool,
) -> Result<CasePage, WebError> {
    let case: Case = state.index.get(id)?.ok_or_else(|| case_not_found(id))?;
    let similar = state.similar(id, 5).await?.unwrap_or_default();
    let similar = similar
        .into_iter()
        .map(|s| SimilarView {
            href: format!("/cases/{}", s.id),
            title: s.title,
            municipality: s.municipality,
            prefecture: s.prefecture,
            period: s.period.to_string(),
            levels: badges(&s.levels),
            shared: s.shared.join("・"),
        })
        .collect();
    Ok(CasePage {
        base: Base::new(state, "case", viewer),
        view: case_view(&case),
        similar,
        saved,
    })
}

/// The reading layout of a case (also for a preview of unsaved input).
pub fn case_view(case: &Case) -> CaseView {
    let mut meta = vec![
        MetaRow {
            label: "自治体",
            value: case.municipality.clone(),
        },
        MetaRow {
            label: "都道府県",
            value: case.prefecture.clone(),
        },
        MetaRow {
            label: "種類",
            value: case.kind.name().to_owned(),
        },
        MetaRow {
            label: "改善レベル",
            value: case
                .levels
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join("・"),
        },
        MetaRow {
            label: "期間",
            value: match case.period.end {
                Some(end) => format!("{}年〜{}年", case.period.start, end),
                None => format!("{}年〜（継続中）", case.period.start),
            },
        },
    ];
    if !case.tags.is_empty() {
        meta.push(MetaRow {
            label: "タグ",
            value: case.tags.join("、"),
        });
    }
    if let Some(c) = &case.contributor {
        meta.push(MetaRow {
            label: "提供",
            value: c.clone(),
        });
    }
    if let Some(u) = &case.updated {
        meta.push(MetaRow {
            label: "更新日",
            value: u.clone(),
        });
    }
    let mut sections: Vec<SectionView> = case
        .narrative()
        .map(|(s, text)| SectionView {
            key: s.key(),
            heading: s.heading().to_owned(),
            paragraphs: paragraphs(text),
        })
        .collect();
    for (heading, text) in &case.extra_sections {
        sections.push(SectionView {
            key: "extra",
            heading: heading.clone(),
            paragraphs: paragraphs(text),
        });
    }
    let sources = case
        .sources
        .iter()
        .map(|s| SourceView {
            text: s.clone(),
            href: is_web_link(s).then(|| s.clone()),
        })
        .collect();
    let place_href = href(&SearchParams {
        municipality: Some(case.municipality.clone()),
        ..Default::default()
    });
    let stamp = match (&case.updated, &case.contributor) {
        (Some(u), Some(c)) => Some(format!("最終更新 {u}（{c}）")),
        (Some(u), None) => Some(format!("最終更新 {u}")),
        (None, Some(c)) => Some(format!("提供 {c}")),
        (None, None) => None,
    };
    CaseView {
        id: case.id.clone(),
        title: case.title.clone(),
        levels: badges(&case.levels),
        meta,
        sections,
        sources,
        place_href,
        stamp,
    }
}

// ----------------------------------------------------------------- stats

pub struct Bar {
    pub label: String,
    pub count: u64,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub text_x: u32,
    pub text_y: u32,
    pub href: String,
}

pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub description: String,
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub bars: Vec<Bar>,
    /// Vertical bars (years) rather than horizontal rows.
    pub columns: bool,
    pub axis_labels: Vec<Bar>,
}

const ROW: u32 = 28;
const CHART_W: u32 = 640;

/// Horizontal bars: one row per label.
fn hbar_chart(id: &'static str, title: &'static str, rows: &[(String, u64, String)]) -> Chart {
    let label_width = 170;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let span = CHART_W - label_width - 50;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (label, count, href))| {
            let width = ((*count as f64 / max as f64) * span as f64)
                .round()
                .max(2.0) as u32;
            let y = i as u32 * ROW + 4;
            Bar {
                label: label.clone(),
                count: *count,
                x: label_width,
                y,
                width,
                height: ROW - 8,
                text_x: label_width + width + 6,
                text_y: y + ROW / 2 + 1,
                href: href.clone(),
            }
        })
        .collect();
    let total: u64 = rows.iter().map(|r| r.1).sum();
    Chart {
        id,
        title,
        description: format!("{title}の件数（合計 {total}）。"),
        width: CHART_W,
        height: rows.len().max(1) as u32 * ROW + 8,
        label_width,
        bars,
        columns: false,
        axis_labels: Vec::new(),
    }
}

/// Vertical bars per year, every fifth year labelled.
fn year_chart(id: &'static str, title: &'static str, years: &[(i32, u64)]) -> Chart {
    let height = 220u32;
    let base = height - 30;
    let (Some(first), Some(last)) = (years.first().map(|y| y.0), years.last().map(|y| y.0)) else {
        return Chart {
            id,
            title,
            description: "データがありません。".into(),
            width: CHART_W,
            height: 40,
            label_width: 0,
            bars: Vec::new(),
            columns: true,
            axis_labels: Vec::new(),
        };
    };
    let n = (last - first + 1).max(1) as u32;
    let step = ((CHART_W - 40) / n).max(4);
    let max = years.iter().map(|y| y.1).max().unwrap_or(1).max(1);
    let mut bars = Vec::new();
    let mut axis_labels = Vec::new();
    for (i, year) in (first..=last).enumerate() {
        let count = years.iter().find(|y| y.0 == year).map_or(0, |y| y.1);
        let h = ((count as f64 / max as f64) * (base - 20) as f64).round() as u32;
        let x = 20 + i as u32 * step;
        if count > 0 {
            bars.push(Bar {
                label: format!("{year}年"),
                count,
                x,
                y: base - h,
                width: step.saturating_sub(2).max(2),
                height: h.max(1),
                text_x: x + step / 2,
                text_y: base - h - 4,
                href: format!("/?year_from={year}&year_to={year}"),
            });
        }
        if year % 5 == 0 || year == first || year == last {
            axis_labels.push(Bar {
                label: year.to_string(),
                count: 0,
                x,
                y: 0,
                width: 0,
                height: 0,
                text_x: x + step / 2,
                text_y: base + 18,
                href: String::new(),
            });
        }
    }
    // Keep the first and last labels from colliding with a neighbour.
    axis_labels.dedup_by(|b, a| b.text_x.abs_diff(a.text_x) < 34);
    Chart {
        id,
        title,
        description: format!("{first}年から{last}年まで、年ごとの件数（最大 {max} 件）。"),
        width: CHART_W,
        height,
        label_width: 0,
        bars,
        columns: true,
        axis_labels,
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub base: Base,
    pub total: u64,
    pub map: super::map::PrefectureMap,
    pub charts: Vec<Chart>,
}

/// Overview (統計): cases by level, prefecture, kind and year as SVG charts.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "ui",
    responses((status = 200, description = "Overview page with SVG charts (HTML)", content_type = "text/html"))
)]
pub async fn stats_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let s = match state.index.stats() {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_html(&state, &viewer),
    };
    let link = |k: &str, v: &str| {
        format!(
            "/?{}",
            serde_urlencoded::to_string([(k, v)]).unwrap_or_default()
        )
    };
    let levels: Vec<_> = s
        .by_level
        .iter()
        .map(|(l, n)| {
            (
                l.clone(),
                *n,
                link("level", Level::parse(l).map_or(l.as_str(), |x| x.slug())),
            )
        })
        .collect();
    let prefs: Vec<_> = s
        .by_prefecture
        .iter()
        .map(|(l, n)| (l.clone(), *n, link("prefecture", l)))
        .collect();
    let kinds: Vec<_> = s
        .by_kind
        .iter()
        .map(|(l, n)| (l.clone(), *n, link("kind", l)))
        .collect();
    let charts = vec![
        hbar_chart("levels", "改善レベル別", &levels),
        hbar_chart("prefectures", "都道府県別", &prefs),
        hbar_chart("kinds", "自治体の種類別", &kinds),
        year_chart(
            "started",
            "開始年別（その年に始まった運動）",
            &s.by_start_year,
        ),
        year_chart("active", "年別の実施中の運動", &s.active_by_year),
    ];
    let map = super::map::prefecture_map(&s.by_prefecture, |p| link("prefecture", p));
    render(&StatsPage {
        base: Base::new(&state, "stats", &viewer),
        total: s.total,
        map,
        charts,
    })
}

// -------------------------------------------------------------- insights

pub struct QueryRow {
    pub query: String,
    pub count: u64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "insights.html")]
pub struct InsightsPage {
    pub base: Base,
    pub searches: u64,
    pub zero_hit_searches: u64,
    pub frequent: Vec<QueryRow>,
    pub zero_hits: Vec<QueryRow>,
}

fn query_rows(list: Vec<super::insights::QueryCount>) -> Vec<QueryRow> {
    list.into_iter()
        .map(|c| QueryRow {
            href: href(&SearchParams {
                q: Some(c.query.clone()),
                ..Default::default()
            }),
            query: c.query,
            count: c.count,
        })
        .collect()
}

/// Most frequent and zero-hit queries, for the association.
#[utoipa::path(
    get,
    path = "/insights",
    tag = "ui",
    responses((status = 200, description = "Query insights page (HTML)", content_type = "text/html"))
)]
pub async fn insights_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let r = state.insights.report(30);
    render(&InsightsPage {
        base: Base::new(&state, "insights", &viewer),
        searches: r.searches,
        zero_hit_searches: r.zero_hit_searches,
        frequent: query_rows(r.frequent),
        zero_hits: query_rows(r.zero_hits),
    })
}

// ----------------------------------------------------------------- errors

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub base: Base,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
    pub hint: &'static str,
}

impl ErrorPage {
    pub fn new(state: &AppState, viewer: &Viewer, e: &WebError) -> ErrorPage {
        let status = e.status_code();
        let (heading, hint) = match e {
            WebError::BadParam { .. } => (
                "検索条件を読み取れませんでした",
                "条件を見直すか、トップページから検索し直してください。",
            ),
            WebError::NotFound(_) => (
                "ページが見つかりません",
                "URL が古いか、事例が移動・削除された可能性があります。検索から探してください。",
            ),
            WebError::Csrf => (
                "送信を受け付けませんでした",
                "ログインの有効期限が切れたか、別の画面から送信された可能性があります。入力した内容は保存されていません。ブラウザの「戻る」で入力をコピーしてから、ページを読み込み直してください。",
            ),
            WebError::WritingOff => (
                "書き込みは無効です",
                "会員が登録されていないため、この環境では事例の追加・編集はできません。検索と閲覧はそのまま使えます。",
            ),
            WebError::RateLimited { .. } => (
                "しばらくお待ちください",
                "失敗が続いたため、一時的に受け付けを止めています。",
            ),
            WebError::BadBody(_) | WebError::Invalid(_) => (
                "送信内容を読み取れませんでした",
                "フォームを読み込み直してから、もう一度お試しください。",
            ),
            _ => (
                "エラーが起きました",
                "時間をおいて再読み込みしてください。続く場合は管理者にお知らせください。",
            ),
        };
        ErrorPage {
            base: Base::new(state, "error", viewer),
            status: status.as_u16(),
            heading,
            message: e.public_message(),
            hint,
        }
    }
}

/// Unknown paths: JSON under `/api`, the HTML page elsewhere.
pub async fn not_found(State(state): State<AppState>, viewer: Viewer, uri: Uri) -> Response {
    let e = WebError::NotFound(format!("{} はありません", uri.path()));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        e.into_html(&state, &viewer)
    }
}
