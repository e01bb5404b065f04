//! The case page (`/cases/{id}`) and the reading layout of a case that the
//! form's preview shares. Lays a [`Case`] out for reading; must not change
//! it or read anything but the index.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::api::not_found as case_not_found;
use super::super::auth::Viewer;
use super::super::error::WebError;
use super::super::feed::base_url;
use super::super::params::SearchParams;
use super::{Base, HtmlError, LevelBadge, ListingView, badges, href, render, shortened};
use crate::case::{Case, today_iso};
use crate::printable::unsafe_char;
use crate::wareki;
use crate::web::AppState;

pub struct SectionView {
    pub key: &'static str,
    pub heading: String,
    pub paragraphs: Vec<String>,
}

/// A source: a web address as a readable link (its site and page, the
/// address itself in `href` and in print), or text as written.
pub struct SourceView {
    pub text: String,
    pub href: Option<String>,
}

pub struct SimilarView {
    pub case: ListingView,
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
    /// 「最終更新 2026年5月1日（令和8年）· 山田」: who last saved it and
    /// when, said once (not again in the facts table).
    pub stamp: Option<String>,
    /// 問い合わせ先, when the case names one.
    pub contact: Option<ContactView>,
}

/// 問い合わせ先 as the case page shows it.
pub struct ContactView {
    pub department: String,
    /// The public page and the words of its link (「公開ページ（host）」:
    /// the site is named, the address itself is not read out).
    pub link: Option<(String, String)>,
}

fn contact_view(contact: &crate::case::Contact) -> Option<ContactView> {
    if contact.is_empty() {
        return None;
    }
    let department = contact.department.trim().to_owned();
    let url = contact.url.trim();
    let link = is_web_link(url).then(|| {
        let host = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        (url.to_owned(), format!("公開ページ（{host}）"))
    });
    Some(ContactView { department, link })
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub base: Base,
    pub view: CaseView,
    pub similar: Vec<SimilarView>,
    /// Just saved: say so.
    pub saved: bool,
    /// Saved after merging another member's changes made meanwhile.
    pub merged: bool,
    /// The page's own address and today's date, for the printout.
    pub address: String,
    pub today: String,
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

/// Longest link text of a source, in characters.
const SOURCE_LABEL_CHARS: usize = 48;

/// A web address as a reader sees it: the site and the page, with
/// percent-encoded Japanese decoded (「jichitai-kaizen.net/2016/02/17/自治体改善
/// リレートーク（南伊勢町）」), without the scheme, `www.` or a trailing
/// slash, and cut with … when long.
fn source_label(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.trim_end_matches('/');
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_or_else(|_| rest.to_owned(), |d| d.into_owned());
    // Decoding must not smuggle in controls, direction overrides or
    // invisible direction marks.
    let text: String = if decoded
        .chars()
        .any(|c| unsafe_char(c) || matches!(c, '\u{200E}' | '\u{200F}'))
    {
        rest.to_owned()
    } else {
        decoded
    };
    shortened(&text, SOURCE_LABEL_CHARS)
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
    headers: HeaderMap,
) -> Response {
    let merged = raw.as_deref() == Some("saved=merged");
    let saved = merged || raw.as_deref() == Some("saved=1");
    let base = base_url(&headers);
    match case_page_view(&state, &viewer, &id, saved, &base).await {
        Ok(mut page) => {
            page.merged = merged;
            render(&page)
        }
        Err(e) => e.into_html(&state, &viewer),
    }
}

async fn case_page_view(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    saved: bool,
    base_url: &str,
) -> Result<CasePage, WebError> {
    let case: Case = state.index.get(id)?.ok_or_else(|| case_not_found(id))?;
    let similar = state.similar(id, 5).await?.unwrap_or_default();
    let similar = similar
        .into_iter()
        .map(|s| SimilarView {
            case: s.case.into(),
            shared: s.shared.join("・"),
        })
        .collect();
    Ok(CasePage {
        base: Base::new(state, "case", viewer),
        view: case_view(&case),
        similar,
        saved,
        merged: false,
        address: format!("{base_url}/cases/{}", case.id),
        today: wareki::date_ja(&today_iso()),
    })
}

/// The reading layout of a case (also for a preview of unsaved input).
pub fn case_view(case: &Case) -> CaseView {
    CaseView {
        id: case.id.clone(),
        title: case.title.clone(),
        levels: badges(&case.levels),
        meta: meta_rows(case),
        sections: section_views(case),
        sources: case.sources.iter().map(|s| source_view(s)).collect(),
        place_href: href(&SearchParams {
            municipality: Some(case.municipality.clone()),
            ..Default::default()
        }),
        stamp: stamp(case),
        contact: contact_view(&case.contact),
    }
}

/// The facts table. Who last saved the case and when are not in it: the
/// stamp under the title says that, once.
fn meta_rows(case: &Case) -> Vec<MetaRow> {
    let period = match case.period.end {
        Some(end) => format!(
            "{}〜{}",
            wareki::year_ja(case.period.start),
            wareki::year_ja(end)
        ),
        None => format!("{}〜（継続中）", wareki::year_ja(case.period.start)),
    };
    let levels: Vec<&str> = case.levels.iter().map(|l| l.name()).collect();
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
            value: levels.join("・"),
        },
        MetaRow {
            label: "期間",
            value: period,
        },
    ];
    if !case.tags.is_empty() {
        meta.push(MetaRow {
            label: "タグ",
            value: case.tags.join("、"),
        });
    }
    meta
}

fn section_views(case: &Case) -> Vec<SectionView> {
    let narrative = case.narrative().map(|(s, text)| SectionView {
        key: s.key(),
        heading: s.heading().to_owned(),
        paragraphs: paragraphs(text),
    });
    let extra = case
        .extra_sections
        .iter()
        .map(|(heading, text)| SectionView {
            key: "extra",
            heading: heading.clone(),
            paragraphs: paragraphs(text),
        });
    narrative.chain(extra).collect()
}

fn source_view(s: &str) -> SourceView {
    if is_web_link(s) {
        SourceView {
            text: source_label(s),
            href: Some(s.to_owned()),
        }
    } else {
        SourceView {
            text: s.to_owned(),
            href: None,
        }
    }
}

/// 「最終更新 2026年11月24日（令和8年） · 山田」.
fn stamp(case: &Case) -> Option<String> {
    let when = case.updated.as_deref().map(wareki::date_with_era_ja);
    match (when, &case.contributor) {
        (Some(u), Some(c)) => Some(format!("最終更新 {u} · {c}")),
        (Some(u), None) => Some(format!("最終更新 {u}")),
        (None, Some(c)) => Some(format!("提供 {c}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_address_reads_as_its_site_and_page() {
        assert_eq!(
            source_label("http://data-max.co.jp/2010/08/30/dna3.html"),
            "data-max.co.jp/2010/08/30/dna3.html"
        );
        assert_eq!(source_label("https://www.example.jp/"), "example.jp");
        assert_eq!(
            source_label("http://example.jp/%e8%87%aa%e6%b2%bb%e4%bd%93"),
            "example.jp/自治体"
        );
        // Not UTF-8, or decoding to a control or direction mark: as written.
        assert_eq!(source_label("http://example.jp/%ff"), "example.jp/%ff");
        assert_eq!(
            source_label("http://example.jp/a%0Ab%E2%80%AEc"),
            "example.jp/a%0Ab%E2%80%AEc"
        );
        let long = format!("https://example.jp/{}", "あ".repeat(100));
        let label = source_label(&long);
        assert_eq!(label.chars().count(), SOURCE_LABEL_CHARS);
        assert!(label.ends_with('…'));
    }

    #[test]
    fn the_update_stamp_is_said_once_in_japanese_dates() {
        let text = include_str!("../../../cases/fukuoka-dna-undo.md");
        let mut case = crate::case::parse(std::path::Path::new("a.md"), text)
            .case
            .expect("parses");
        case.municipality = "鳥取県".into();
        case.prefecture = "鳥取県".into();
        case.period.start = 2010;
        case.period.end = Some(2019);
        case.contributor = Some("山田".into());
        case.updated = Some("2026-11-24".into());
        let view = case_view(&case);
        assert_eq!(
            view.stamp.as_deref(),
            Some("最終更新 2026年11月24日（令和8年） · 山田")
        );
        assert!(view.meta.iter().all(|m| !m.value.contains("山田")));
        assert!(view.meta.iter().all(|m| !m.value.contains("2026")));
        let period = view.meta.iter().find(|m| m.label == "期間").unwrap();
        assert_eq!(period.value, "2010年（平成22年）〜2019年（令和元年）");
    }
}
