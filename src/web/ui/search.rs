//! The search page (`/`): the form, the 絞り込み facets, the results with
//! their snippets, the pager, and the browse view when nothing is typed.
//! Builds views from [`run_search`]'s results; must not search itself or
//! format anything the template can lay out.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::api::run_search;
use super::super::auth::Viewer;
use super::super::error::WebError;
use super::super::params::SearchParams;
use super::super::params::Validated;
use super::{Base, HtmlError, LevelBadge, ListingView, badges, href, place, render, shortened};
use crate::case::{Level, Section};
use crate::index::{FacetCount, Hit, SectionSnippet, Sort};
use crate::wareki;
use crate::web::AppState;

pub struct SnippetView {
    pub heading: &'static str,
    pub html: String,
}

pub struct HitView {
    pub href: String,
    pub title_html: String,
    /// 「鳥取市 · 鳥取県」, the prefecture once for its own cases.
    pub place: String,
    pub period: String,
    /// 「更新 2026年11月24日」 when sorted by update date.
    pub updated: Option<String>,
    pub levels: Vec<LevelBadge>,
    pub snippets: Vec<SnippetView>,
    /// The words of the query this case lacks (「含まれない: 量子」);
    /// empty when it contains every word.
    pub missing: Vec<String>,
}

/// A case related by meaning, shown after the matches (「内容が近い事例」).
pub struct RelatedView {
    pub case: ListingView,
    /// The start of its summary.
    pub summary: String,
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

/// The page links around the current page, with 前へ / 次へ.
pub struct Pager {
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub base: Base,
    pub q: String,
    pub title: String,
    /// Cases containing every word.
    pub total: usize,
    /// Cases containing only some of the words, listed after the others
    /// under their own heading (one list paged through, these last).
    pub partial_total: usize,
    pub first: usize,
    pub last: usize,
    /// This page's cases containing every word.
    pub hits: Vec<HitView>,
    /// This page's cases containing only some of the words.
    pub partial: Vec<HitView>,
    pub facets: Vec<FacetGroup>,
    pub chips: Vec<Chip>,
    pub clear_href: String,
    pub sorts: Vec<Choice>,
    pub sections: Vec<Choice>,
    pub hidden: Vec<Hidden>,
    pub pager: Pager,
    pub did_you_mean: Option<Chip>,
    pub has_filters: bool,
    pub browsing: bool,
    /// Searches to start from on the front page (links).
    pub examples: Vec<Chip>,
    /// The same search as CSV (「CSVでダウンロード」).
    pub csv_href: String,
    pub csv_max: usize,
    /// How compounds typed without spaces were read, one line each
    /// (「首長交代 → 首長 ＋ 交代 としても検索しました」).
    pub also_read: Vec<String>,
    /// 「同義語も検索: …」 (`search_synonyms.html`): each word that also
    /// searched its synonyms.
    pub synonyms: Vec<SynonymView>,
    /// Cases related by meaning that do not contain the words, after the
    /// matches under their own heading, never counted.
    pub related: Vec<RelatedView>,
}

/// A query word and the synonyms it also searched, ready to show.
pub struct SynonymView {
    pub word: String,
    /// 打ち切り・撤廃 (the first few, then how many more).
    pub list: String,
}

/// Most synonyms named per word: a Sudachi group can hold twenty.
const SYNONYMS_SHOWN: usize = 6;

fn synonym_views(synonyms: &[crate::index::WordSynonyms]) -> Vec<SynonymView> {
    synonyms
        .iter()
        .map(|s| {
            let mut list = s
                .synonyms
                .iter()
                .take(SYNONYMS_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join("・");
            if s.synonyms.len() > SYNONYMS_SHOWN {
                list.push_str(&format!(" ほか {} 語", s.synonyms.len() - SYNONYMS_SHOWN));
            }
            SynonymView {
                word: s.word.clone(),
                list,
            }
        })
        .collect()
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

/// Searches offered on the front page: each finds bundled cases (a test
/// checks), in the ways people type (a word, a situation, kana).
const EXAMPLES: [&str; 4] = ["職員提案", "首長交代", "窓口", "かいぜん"];

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
    let facets = results
        .facets
        .as_ref()
        .map(|f| facet_groups(&p, &v, f))
        .unwrap_or_default();
    let synonyms = synonym_views(&results.synonyms);
    let pager = pager(&p, &v, results.total + results.partial_total);
    let (hits, partial) = split_hits(results.hits, v.request.sort);
    let first = v.request.offset + 1;
    let last = v.request.offset + hits.len() + partial.len();
    let did_you_mean = did_you_mean.map(|text| Chip {
        href: href(&p.edited(|e| e.q = Some(text.clone()))),
        label: text,
    });
    let also_read = also_read_lines(&results.also_read);
    let related = related_views(results.related);
    let browsing = q.trim().is_empty();
    Ok(SearchPage {
        base: Base::new(state, "search", viewer),
        title: page_title(&q, browsing),
        q,
        total: results.total,
        partial_total: results.partial_total,
        first,
        last,
        hits,
        partial,
        facets,
        chips: chips(&p, &v),
        clear_href: clear_href(&p),
        sorts: sort_choices(v.request.sort),
        sections: section_choices(v.request.section),
        hidden: hidden_fields(&p),
        pager,
        did_you_mean,
        has_filters: p.has_filters(),
        browsing,
        examples: example_chips(),
        csv_href: csv_href(&p),
        csv_max: super::super::api::CSV_MAX_ROWS,
        synonyms,
        also_read,
        related,
    })
}

/// Characters of a related case's summary shown.
const RELATED_SUMMARY_CHARS: usize = 90;

fn related_views(related: Vec<crate::index::Related>) -> Vec<RelatedView> {
    related
        .into_iter()
        .map(|r| RelatedView {
            // On one line: a summary may hold line breaks.
            summary: shortened(
                &r.summary.split_whitespace().collect::<Vec<_>>().join(" "),
                RELATED_SUMMARY_CHARS,
            ),
            case: r.case.into(),
        })
        .collect()
}

/// The hits that hold every word, then those that hold only some: the
/// page lists the second apart, under their own count, so the first count
/// stays honest. Under 更新の新しい順 each hit shows when it was updated, the
/// order's reason.
fn split_hits(hits: Vec<Hit>, sort: Sort) -> (Vec<HitView>, Vec<HitView>) {
    let (hits, partial): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(Hit::matches_every_word);
    let show_updated = sort == Sort::Newest;
    (
        hit_views(hits, show_updated),
        hit_views(partial, show_updated),
    )
}

/// The page's heading: what was searched for, or, with no words (only
/// filters, or nothing yet), that the page is for browsing.
fn page_title(q: &str, browsing: bool) -> String {
    if browsing {
        "事例を探す".to_owned()
    } else {
        format!("「{q}」の検索結果")
    }
}

/// A search for each of [`EXAMPLES`], shown on the empty page so a first
/// visitor sees what the box accepts.
fn example_chips() -> Vec<Chip> {
    EXAMPLES
        .iter()
        .map(|x| Chip {
            label: (*x).to_owned(),
            href: href(&SearchParams {
                q: Some((*x).to_owned()),
                ..Default::default()
            }),
        })
        .collect()
}

/// "Clear the filters": the same words and order, every filter and the
/// page dropped.
fn clear_href(p: &SearchParams) -> String {
    href(&SearchParams {
        q: p.q.clone(),
        sort: p.sort.clone(),
        ..Default::default()
    })
}

/// The CSV download of this search: every matching case (up to the API's
/// cap), so no page or page size.
fn csv_href(p: &SearchParams) -> String {
    format!(
        "/api/search.csv?{}",
        p.edited(|e| {
            e.page = None;
            e.per_page = None;
        })
        .to_query()
    )
}

/// The page's line for each compound also searched as its parts.
fn also_read_lines(read: &[crate::index::AlsoRead]) -> Vec<String> {
    read.iter()
        .map(|a| {
            format!(
                "{} → {} としても検索しました",
                a.typed,
                a.parts.join(" ＋ ")
            )
        })
        .collect()
}

/// Every facet group with at least one value: level, prefecture, kind and
/// start decade, each value a link that adds or removes it.
fn facet_groups(p: &SearchParams, v: &Validated, facets: &crate::index::Facets) -> Vec<FacetGroup> {
    let simple = |id, title, counts: &[FacetCount], field: ListField| FacetGroup {
        id,
        title,
        values: counts
            .iter()
            .map(|c| {
                let (href, active) = toggle(p, field, &c.value);
                FacetLink {
                    label: c.value.clone(),
                    count: c.count,
                    href,
                    active,
                }
            })
            .collect(),
    };
    let mut groups = vec![
        level_group(p, v, &facets.level),
        simple("prefecture", "都道府県", &facets.prefecture, prefectures_of),
        simple("kind", "自治体の種類", &facets.kind, kinds_of),
        decade_group(p, &facets.decade),
    ];
    groups.retain(|g| !g.values.is_empty());
    groups
}

fn level_group(p: &SearchParams, v: &Validated, counts: &[FacetCount]) -> FacetGroup {
    let values = counts
        .iter()
        .map(|c| {
            // The parameter may be given as name or slug.
            let active = v.request.levels.iter().any(|l| l.name() == c.value);
            let href = if active {
                href_without_level(p, &c.value)
            } else {
                let slug = Level::parse(&c.value).map_or(c.value.as_str(), |l| l.slug());
                toggle(p, levels_of, slug).0
            };
            FacetLink {
                label: c.value.clone(),
                count: c.count,
                href,
                active,
            }
        })
        .collect();
    FacetGroup {
        id: "level",
        title: "改善レベル",
        values,
    }
}

fn decade_group(p: &SearchParams, counts: &[FacetCount]) -> FacetGroup {
    let values = counts
        .iter()
        .filter_map(|c| {
            let start: i32 = c.value.parse().ok()?;
            let (from, to) = (start.to_string(), (start + 9).to_string());
            let active = p.year_from.as_deref() == Some(&from) && p.year_to.as_deref() == Some(&to);
            let edited = p.edited(|e| {
                let (f, t) = if active {
                    (None, None)
                } else {
                    (Some(from.clone()), Some(to.clone()))
                };
                e.year_from = f;
                e.year_to = t;
            });
            Some(FacetLink {
                label: format!("{start}年代"),
                count: c.count,
                href: href(&edited),
                active,
            })
        })
        .collect();
    FacetGroup {
        id: "decade",
        title: "開始年代",
        values,
    }
}

/// The filters in force, each a link that removes it.
fn chips(p: &SearchParams, v: &Validated) -> Vec<Chip> {
    let mut chips: Vec<Chip> = v
        .request
        .levels
        .iter()
        .map(|l| Chip {
            label: format!("改善レベル: {}", l.name()),
            href: href_without_level(p, l.name()),
        })
        .collect();
    for (label, field) in [
        ("都道府県", prefectures_of as ListField),
        ("種類", kinds_of as ListField),
    ] {
        for value in field(&mut p.clone()).clone() {
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
        chips.push(Chip {
            label: format!(
                "期間: {}〜{}",
                p.year_from.as_deref().unwrap_or(""),
                p.year_to.as_deref().unwrap_or("")
            ),
            href: href(&p.edited(|e| {
                e.year_from = None;
                e.year_to = None;
            })),
        });
    }
    if let Some(s) = v.request.section {
        chips.push(Chip {
            label: format!("探す範囲: {}", s.heading()),
            href: href(&p.edited(|e| e.section = None)),
        });
    }
    chips
}

fn sort_choices(current: Sort) -> Vec<Choice> {
    [
        (Sort::Relevance, "relevance", "関連度順"),
        (Sort::Newest, "newest", "更新の新しい順"),
        (Sort::Period, "period", "開始年の新しい順"),
    ]
    .into_iter()
    .map(|(s, value, label)| Choice {
        value,
        label,
        selected: current == s,
    })
    .collect()
}

fn section_choices(current: Option<Section>) -> Vec<Choice> {
    Section::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.key(),
            label: s.heading(),
            selected: current == Some(s),
        })
        .collect()
}

/// The filters in force as hidden fields of the search form, so that a
/// new query keeps them.
fn hidden_fields(p: &SearchParams) -> Vec<Hidden> {
    let lists = [
        ("level", &p.level),
        ("prefecture", &p.prefecture),
        ("kind", &p.kind),
    ];
    let mut hidden: Vec<Hidden> = lists
        .into_iter()
        .flat_map(|(name, values)| {
            values.iter().map(move |value| Hidden {
                name,
                value: value.clone(),
            })
        })
        .collect();
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
    hidden
}

fn pager(p: &SearchParams, v: &Validated, total: usize) -> Pager {
    let pages_total = total
        .div_ceil(v.per_page)
        .clamp(1, super::super::params::MAX_DEPTH / v.per_page);
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
    Pager {
        pages,
        prev: (v.page > 1).then(|| page_href(v.page - 1)),
        next: (v.page < pages_total).then(|| page_href(v.page + 1)),
    }
}

/// Snippets shown per result.
const SNIPPETS: usize = 2;

fn hit_views(hits: Vec<Hit>, show_updated: bool) -> Vec<HitView> {
    hits.into_iter()
        .map(|h| HitView {
            href: format!("/cases/{}", h.id),
            title_html: h.title_html,
            place: place(&h.municipality, &h.prefecture),
            period: h.period.to_string(),
            updated: show_updated
                .then(|| h.updated.as_deref().map(wareki::date_ja))
                .flatten(),
            levels: badges(&h.levels),
            snippets: distinct_snippets(h.snippets),
            missing: h.missing_words,
        })
        .collect()
}

/// Up to [`SNIPPETS`] snippets, leaving out one whose sentences a snippet
/// already shown carries (a summary that repeats a line of 取組内容 would
/// otherwise appear twice on one card).
fn distinct_snippets(snippets: Vec<SectionSnippet>) -> Vec<SnippetView> {
    let mut shown: Vec<SnippetView> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for s in snippets {
        if shown.len() == SNIPPETS {
            break;
        }
        let text = plain_text(&s.html);
        let repeats = sentences(&text).any(|x| seen.iter().any(|t| t.contains(x)));
        if repeats {
            continue;
        }
        seen.push(text);
        shown.push(SnippetView {
            heading: s.heading,
            html: s.html,
        });
    }
    shown
}

/// A snippet's text without its `<mark>` tags (entities stay: both sides
/// of a comparison keep them).
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The sentences of a snippet long enough to count as a repeat (cut at
/// 。！？ and the ellipses that mark a cut snippet).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['。', '！', '？', '…', '\n'])
        .map(str::trim)
        .filter(|x| x.chars().count() >= 8)
}

/// The link that removes a level, however it was spelled in the URL.
fn href_without_level(p: &SearchParams, name: &str) -> String {
    href(&p.edited(|e| {
        e.level
            .retain(|l| Level::parse(l).is_none_or(|lv| lv.name() != name))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_synonym_list_is_cut_and_says_how_many_more() {
        let words = |n: usize| (1..=n).map(|i| format!("語{i}")).collect::<Vec<_>>();
        let views = synonym_views(&[
            crate::index::WordSynonyms {
                word: "打ち切り".into(),
                synonyms: vec!["活動停止".into(), "撤廃".into()],
            },
            crate::index::WordSynonyms {
                word: "経緯".into(),
                synonyms: words(9),
            },
        ]);
        assert_eq!(views[0].list, "活動停止・撤廃");
        assert_eq!(views[1].list, "語1・語2・語3・語4・語5・語6 ほか 3 語");
    }

    fn snippet(heading: &'static str, html: &str) -> SectionSnippet {
        SectionSnippet {
            section: "summary",
            heading,
            html: html.to_owned(),
            snippet: crate::highlight::Snippet {
                text: String::new(),
                marks: Vec::new(),
                cut_start: false,
                cut_end: false,
            },
        }
    }

    #[test]
    fn a_card_never_shows_one_sentence_twice() {
        let shown = distinct_snippets(vec![
            snippet(
                "概要",
                "職員の<mark>提案</mark>を毎月審査した。窓口が速くなった。",
            ),
            snippet("取組内容", "…職員の<mark>提案</mark>を毎月審査した。"),
            snippet("成功・成果", "年間<mark>提案</mark>件数が三倍になった。"),
            snippet("教訓", "四つめは出さない。提案の数より質が大事だった。"),
        ]);
        let headings: Vec<&str> = shown.iter().map(|s| s.heading).collect();
        assert_eq!(headings, ["概要", "成功・成果"]);
    }

    #[test]
    fn tags_are_stripped_for_the_comparison_only() {
        assert_eq!(plain_text("a<mark>b</mark>&amp;c"), "ab&amp;c");
        let shown = distinct_snippets(vec![snippet("概要", "<mark>x</mark>")]);
        assert_eq!(shown[0].html, "<mark>x</mark>");
    }
}
