//! `/feed.xml`: an Atom feed of new and updated cases (新着事例), newest
//! `updated` first, so members can follow the collection in a feed reader.
//! The 新着 page (`/recent`) shows the same list, in the same order
//! ([`newest_first`]).
//!
//! The XML is written by the `atom_syndication` crate (escaping and the
//! element structure are its business); this module only decides what goes
//! in and drops the characters XML 1.0 cannot carry at all, which no
//! escaping can represent.

use atom_syndication::{Category, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError};
use crate::case::Case;

/// Entries in the feed (and cases on the 新着 page).
pub const ENTRIES: usize = 50;

/// The `n` most recently updated cases: dated ones newest first, undated
/// ones by id at the end.
pub fn newest_first(mut cases: Vec<Case>, n: usize) -> Vec<Case> {
    cases.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    cases.truncate(n);
    cases
}

/// Text as XML 1.0 can carry it: C0 controls other than tab, newline and
/// carriage return, and the non-characters U+FFFE and U+FFFF are not XML
/// characters (escaped or not), so they are left out. (Surrogates cannot
/// occur in a Rust string.)
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect()
}

/// `YYYY-MM-DD` at midnight UTC (Atom needs a date-time); the Unix epoch
/// for an undated case or a date that does not parse.
fn atom_date(d: Option<&str>) -> FixedDateTime {
    let epoch = || FixedDateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").expect("a valid date");
    d.and_then(crate::wareki::Day::parse_iso)
        .and_then(|d| {
            let text = format!("{:04}-{:02}-{:02}T00:00:00Z", d.year, d.month, d.day);
            FixedDateTime::parse_from_rfc3339(&text).ok()
        })
        .unwrap_or_else(epoch)
}

fn link(href: String, rel: &str, mime: &str) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Default::default()
    }
}

fn entry(c: &Case, base: &str) -> Entry {
    let url = format!("{base}/cases/{}", c.id);
    let levels: Vec<&str> = c.levels.iter().map(|l| l.name()).collect();
    let summary = format!(
        "{} · {} · {} · {}\n{}",
        c.municipality,
        c.prefecture,
        c.period,
        levels.join("・"),
        c.sections.summary
    );
    Entry {
        title: Text::plain(xml_text(&c.title)),
        id: url.clone(),
        updated: atom_date(c.updated.as_deref()),
        authors: c
            .contributor
            .iter()
            .map(|who| Person {
                name: xml_text(who),
                ..Default::default()
            })
            .collect(),
        categories: levels
            .iter()
            .map(|l| Category {
                term: (*l).to_owned(),
                ..Default::default()
            })
            .collect(),
        links: vec![link(url, "alternate", "text/html")],
        summary: Some(Text::plain(xml_text(&summary))),
        ..Default::default()
    }
}

/// The feed for `cases`, links under `base` (`http://host`).
pub fn render(cases: Vec<Case>, base: &str) -> String {
    let cases = newest_first(cases, ENTRIES);
    let newest = cases.iter().filter_map(|c| c.updated.as_deref()).max();
    let feed = Feed {
        title: Text::plain("kaizen-wa 新着事例"),
        subtitle: Some(Text::plain(
            "自治体改善運動の事例ナレッジベース：追加・更新された事例",
        )),
        id: format!("{base}/feed.xml"),
        updated: atom_date(newest),
        authors: vec![Person {
            name: "kaizen-wa".into(),
            ..Default::default()
        }],
        links: vec![
            link(format!("{base}/feed.xml"), "self", "application/atom+xml"),
            link(format!("{base}/recent"), "alternate", "text/html"),
        ],
        lang: Some("ja".into()),
        entries: cases.iter().map(|c| entry(c, base)).collect(),
        ..Default::default()
    };
    feed.to_string()
}

/// The request's own origin, for absolute links (Atom ids must be IRIs).
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Atom feed of newly added and updated cases.
#[utoipa::path(
    get,
    path = "/feed.xml",
    tag = "ops",
    responses((status = 200, description = "Atom 1.0 feed, newest first", body = String, content_type = "application/atom+xml"))
)]
pub async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let cases = state.index.newest(ENTRIES)?;
    let body = render(cases, &base_url(&headers));
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, title: &str, updated: Option<&str>) -> Case {
        let text = include_str!("../../cases/fukuoka-dna-undo.md");
        let mut c = crate::case::parse(std::path::Path::new("x.md"), text)
            .case
            .expect("the test case parses");
        c.id = id.to_owned();
        c.title = title.to_owned();
        c.updated = updated.map(str::to_owned);
        c
    }

    /// Every character of the feed is an XML 1.0 character, and each
    /// markup character in text arrives escaped.
    fn assert_well_formed_text(xml: &str) {
        for c in xml.chars() {
            assert!(
                matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..),
                "{c:?} is not an XML character"
            );
        }
    }

    #[test]
    fn non_characters_and_controls_in_a_title_still_give_well_formed_xml() {
        let hostile = "窓口\u{FFFE}改善\u{FFFF}<運動>&\"'\u{0}\u{1b}\u{7f}]]>";
        let xml = render(vec![case("a", hostile, Some("2026-11-24"))], "http://h");
        assert_well_formed_text(&xml);
        assert!(
            xml.contains("<title>窓口改善&lt;運動&gt;&amp;&quot;&apos;\u{7f}]]&gt;</title>"),
            "{xml}"
        );
        // It reads back as a feed with the title as typed, minus what XML
        // cannot carry.
        let back: Feed = xml.parse().expect("the feed parses as Atom");
        assert_eq!(back.entries.len(), 1);
        assert_eq!(back.entries[0].title.value, "窓口改善<運動>&\"'\u{7f}]]>");
    }

    #[test]
    fn newest_first_then_undated_by_id() {
        let cases = vec![
            case("b", "B", None),
            case("old", "古い", Some("2020-01-02")),
            case("a", "A", None),
            case("new", "新しい", Some("2026-11-24")),
        ];
        let ids: Vec<String> = newest_first(cases.clone(), 10)
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["new", "old", "a", "b"]);
        assert_eq!(newest_first(cases.clone(), 1).len(), 1);
        let xml = render(cases, "http://h");
        let feed: Feed = xml.parse().unwrap();
        assert_eq!(feed.updated.to_rfc3339(), "2026-11-24T00:00:00+00:00");
        assert_eq!(feed.entries[0].id, "http://h/cases/new");
        assert_eq!(
            feed.entries[2].updated.to_rfc3339(),
            "1970-01-01T00:00:00+00:00"
        );
        assert!(
            feed.links
                .iter()
                .any(|l| l.rel == "alternate" && l.href == "http://h/recent")
        );
    }
}
