//! Honest counts end to end (issue 16): a query of several words counts
//! the cases containing every word, lists the others apart, each naming
//! what it lacks — in the API, the page, the CSV, `search --json` and the
//! insights; and search-as-you-type counts in the insights only the query
//! a typing burst settled on.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;

use crate::common::{App, Fixture, Reply, stderr};

/// One app for the module; each test searches words of its own, so the
/// insights they read do not mix.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::setup().no_members_file().synced().open())
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()
}

async fn get(uri: &str) -> Reply {
    app().get(uri, None).await
}

/// A search as the page's as-you-type script sends it: `live` is the
/// `X-Kaizen-Live` value (`1` for a keystroke, `settled`).
async fn live(method: Method, q: &str, value: &str) -> Reply {
    app()
        .send(
            Request::builder()
                .method(method)
                .uri(format!("/?{}", enc(q)))
                .header("x-kaizen-live", value)
                .body(Body::empty())
                .unwrap(),
        )
        .await
}

/// How often the insights counted `q` among all searches, and among those
/// that found nothing.
async fn counted(q: &str) -> (Option<u64>, Option<u64>) {
    let j = get("/api/insights").await.json();
    let find = |list: &str| {
        j[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["query"] == q)
            .map(|e| e["count"].as_u64().unwrap())
    };
    (find("frequent"), find("zero_hits"))
}

/// The words a hit lacks.
fn missing(hit: &Value) -> Vec<&str> {
    hit["missing_words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_word_no_case_holds_leaves_zero_found_and_the_partial_matches_apart() {
    let r = get(&format!("/api/search?{}&per_page=50", enc("改善 量子"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["total"], 0, "{j}");
    assert_eq!(j["hits"], Value::Array(Vec::new()));
    let partial = &j["partial"];
    let n = partial["total"].as_u64().unwrap();
    assert!(n >= 5, "{j}");
    let hits = partial["hits"].as_array().unwrap();
    assert_eq!(hits.len() as u64, n);
    for h in hits {
        assert_eq!(missing(h), vec!["量子"], "{h}");
    }
    // Facets count the cases containing every word: none.
    for facet in ["level", "prefecture", "kind", "decade"] {
        let sum: u64 = j["facets"][facet]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, 0, "{facet}: {j}");
    }
    // The insights count such a search as one that found nothing (a
    // query of its own: other tests of the module search 改善 量子).
    let j = get(&format!("/api/search?{}", enc("職員 量子")))
        .await
        .json();
    assert_eq!(j["total"], 0);
    assert!(j["partial"]["total"].as_u64().unwrap() > 0);
    assert_eq!(counted("職員 量子").await, (Some(1), Some(1)));
}

#[tokio::test]
async fn cases_with_both_words_come_first_and_counts_add_up_across_pages() {
    let q = "首長 交代";
    let whole = get(&format!("/api/search?{}&per_page=50", enc(q)))
        .await
        .json();
    let total = whole["total"].as_u64().unwrap() as usize;
    let partial = whole["partial"]["total"].as_u64().unwrap() as usize;
    assert!(total >= 2 && partial >= 1, "{whole}");
    for h in whole["hits"].as_array().unwrap() {
        assert!(missing(h).is_empty(), "{h}");
    }
    let kinds: u64 = whole["facets"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(kinds as usize, total, "facets count every-word cases");
    // Paging one hit at a time walks the every-word cases, then the
    // partial ones, in the order of the whole list.
    let mut walked = Vec::new();
    for page in 1..=total + partial {
        let j = get(&format!("/api/search?{}&per_page=1&page={page}", enc(q)))
            .await
            .json();
        assert_eq!(j["total"].as_u64().unwrap() as usize, total);
        let (hits, part) = (
            j["hits"].as_array().unwrap(),
            j["partial"]["hits"].as_array().unwrap(),
        );
        assert_eq!(hits.len() + part.len(), 1, "page {page}: {j}");
        assert_eq!(hits.len(), usize::from(page <= total), "page {page}");
        walked.push(hits.iter().chain(part).next().unwrap()["id"].clone());
    }
    let want: Vec<Value> = whole["hits"]
        .as_array()
        .unwrap()
        .iter()
        .chain(whole["partial"]["hits"].as_array().unwrap())
        .map(|h| h["id"].clone())
        .collect();
    assert_eq!(walked, want);
}

#[tokio::test]
async fn the_page_shows_zero_then_a_labelled_section_of_partial_cases() {
    let page = get(&format!("/?{}", enc("改善 量子"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let n = get(&format!("/api/search?{}", enc("改善 量子")))
        .await
        .json()["partial"]["total"]
        .as_u64()
        .unwrap();
    assert!(html.contains("「改善 量子」: 0 件"), "{html}");
    let heading = format!(
        r#"<h2 id="partial-heading" class="partial-heading">一部の語だけを含む事例（{n} 件）</h2>"#
    );
    assert!(html.contains(&heading), "{html}");
    assert!(html.contains(r#"aria-labelledby="partial-heading""#));
    assert!(
        html.contains(r#"含まれない: <span class="missing-word">量子</span>"#),
        "{html}"
    );
    // No case is listed as containing every word.
    let before = &html[..html.find("partial-heading").unwrap()];
    assert!(!before.contains(r#"class="hit"#), "{before}");

    // Both kinds: every-word cases first, then the divider.
    let html = get(&format!("/?{}", enc("首長 交代"))).await.text();
    let first_hit = html.find(r#"<li class="hit">"#).expect("every-word cases");
    let divider = html.find("一部の語だけを含む事例（").expect("a divider");
    let first_partial = html.find(r#"<li class="hit hit-partial">"#).unwrap();
    assert!(first_hit < divider && divider < first_partial);
    assert!(html.contains("含まれない: <span class=\"missing-word\">交代</span>"));
}

#[tokio::test]
async fn the_csv_holds_and_counts_the_cases_with_every_word() {
    let r = get(&format!("/api/search.csv?{}", enc("改善 量子"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header(header::HeaderName::from_static("x-total-count")),
        "0"
    );
    let partial: u64 = r
        .header(header::HeaderName::from_static("x-kaizen-partial-count"))
        .parse()
        .unwrap();
    assert!(partial >= 5);
    // The header row only.
    assert_eq!(r.text().trim_end().lines().count(), 1, "{}", r.text());

    let q = "首長 交代";
    let j = get(&format!("/api/search?{}", enc(q))).await.json();
    let r = get(&format!("/api/search.csv?{}", enc(q))).await;
    assert_eq!(
        r.header(header::HeaderName::from_static("x-total-count")),
        j["total"].to_string()
    );
    assert_eq!(
        r.header(header::HeaderName::from_static("x-kaizen-partial-count")),
        j["partial"]["total"].to_string()
    );
    for h in j["hits"].as_array().unwrap() {
        assert!(r.text().contains(h["id"].as_str().unwrap()), "{h}");
    }
    for h in j["partial"]["hits"].as_array().unwrap() {
        assert!(!r.text().contains(h["id"].as_str().unwrap()), "{h}");
    }
}

#[tokio::test]
async fn a_burst_of_as_you_type_searches_counts_once_when_it_settles() {
    for q in ["発", "発表", "発表会", "発表会 市"] {
        assert_eq!(live(Method::GET, q, "1").await.status, StatusCode::OK);
    }
    for q in ["発", "発表", "発表会", "発表会 市"] {
        assert_eq!(counted(q).await, (None, None), "{q}: a keystroke");
    }
    // The page tells the server the query the burst settled on, once, by
    // a HEAD request (nothing to download).
    let settled = live(Method::HEAD, "発表会 市", "settled").await;
    assert_eq!(settled.status, StatusCode::OK);
    assert!(settled.body.is_empty());
    assert_eq!(counted("発表会 市").await, (Some(1), None));
    for q in ["発", "発表", "発表会"] {
        assert_eq!(counted(q).await, (None, None), "{q}");
    }
    // A settled query that found nothing is counted as such.
    live(Method::GET, "ぴよぴよ研究所", "1").await;
    live(Method::HEAD, "ぴよぴよ研究所", "settled").await;
    assert_eq!(counted("ぴよぴよ研究所").await, (Some(1), Some(1)));
    // Any other value is a keystroke.
    live(Method::GET, "発表会 職員", "yes").await;
    assert_eq!(counted("発表会 職員").await, (None, None));
}

#[test]
fn search_json_has_the_api_shape() {
    let f = Fixture::with_samples();
    let out = f.run(&["search", "--json", "--limit", "50", "改善", "量子"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 0, "{v}");
    assert_eq!(v["hits"], Value::Array(Vec::new()));
    let hits = v["partial"]["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert_eq!(v["partial"]["total"].as_u64().unwrap(), hits.len() as u64);
    for h in hits {
        assert_eq!(missing(h), vec!["量子"]);
    }
    // The plain text says the same.
    let out = f.run(&["search", "改善", "量子"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("0 件"), "{text}");
    assert!(text.contains("一部の語だけを含む事例（"), "{text}");
    assert!(text.contains("（含まれない: 量子）"), "{text}");
}
