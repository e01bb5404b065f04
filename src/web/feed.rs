//! `/feed.xml`: an Atom feed of new and updated cases (新着事例), newest
//! `updated` first, so members can follow the collection in a feed reader.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError};
use crate::case::Case;

/// Entries in the feed.
const ENTRIES: usize = 50;

/// Escapes text and attribute values for XML.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD` → RFC 3339 at midnight UTC (Atom needs a date-time).
fn atom_date(d: &str) -> String {
    format!("{d}T00:00:00Z")
}

/// The feed for `cases`, links under `base` (`http://host`).
pub fn render(cases: &[Case], base: &str) -> String {
    let mut cases: Vec<&Case> = cases.iter().collect();
    // Dated cases first, newest first; undated ones by id at the end.
    cases.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    cases.truncate(ENTRIES);
    let newest = cases
        .iter()
        .filter_map(|c| c.updated.as_deref())
        .max()
        .unwrap_or("1970-01-01");
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ja\">\n");
    out.push_str("  <title>kaizen-wa 新着事例</title>\n");
    out.push_str(
        "  <subtitle>自治体改善運動の事例ナレッジベース：追加・更新された事例</subtitle>\n",
    );
    out.push_str(&format!("  <id>{}/feed.xml</id>\n", xml(base)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{}/feed.xml\"/>\n",
        xml(base)
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>\n",
        xml(base)
    ));
    out.push_str(&format!("  <updated>{}</updated>\n", atom_date(newest)));
    out.push_str("  <author><name>kaizen-wa</name></author>\n");
    for c in cases {
        let url = format!("{base}/cases/{}", c.id);
        let updated = atom_date(c.updated.as_deref().unwrap_or("1970-01-01"));
        let levels: Vec<&str> = c.levels.iter().map(|l| l.name()).collect();
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", xml(&c.title)));
        out.push_str(&format!("    <id>{}</id>\n", xml(&url)));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&url)
        ));
        out.push_str(&format!("    <updated>{updated}</updated>\n"));
        if let Some(who) = &c.contributor {
            out.push_str(&format!("    <author><name>{}</name></author>\n", xml(who)));
        }
        for l in &levels {
            out.push_str(&format!("    <category term=\"{}\"/>\n", xml(l)));
        }
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml(&format!(
                "{} · {} · {} · {}\n{}",
                c.municipality,
                c.prefecture,
                c.period,
                levels.join("・"),
                c.sections.summary
            ))
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
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
    let body = render(&cases, &base_url(&headers));
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}
