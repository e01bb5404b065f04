//! Cases related by meaning end to end (issue 20): after the matches,
//! apart from them and never counted, within the filters; 似た事例 by
//! meaning; the vectors computed once per case content, kept beside the
//! index, reported in `/healthz` and `/metrics`; the same in the command
//! line's `search --json`.

use std::sync::OnceLock;

use axum::http::StatusCode;
use serde_json::Value;

use kaizen_wa::index::CaseIndex;
use kaizen_wa::meaning::{self, Meaning};

use crate::common::{App, copy_cases, kaizen_wa, stderr};

/// One server with the vectors on, computed before the first request.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::setup().no_members_file().synced().meaning().open())
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()
}

async fn search(query: &str) -> Value {
    let r = app().get(&format!("/api/search?{query}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The issue's own example: the words match few cases or none, the
/// related ones come apart, and counts and facets are those without them.
#[tokio::test]
async fn a_paraphrase_gets_related_cases_apart_from_the_matches() {
    let q = enc("職員のやる気が続かない");
    let with = search(&q).await;
    let related = ids(&with["related"]);
    assert!(!related.is_empty(), "{with}");
    assert!(related.len() <= 5);
    let mut matches = ids(&with["hits"]);
    matches.extend(ids(&with["partial"]["hits"]));
    for id in &related {
        assert!(!matches.contains(id), "{id} is a match and related: {with}");
    }
    let sims: Vec<f64> = with["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["similarity"].as_f64().unwrap())
        .collect();
    assert!(
        sims.windows(2).all(|w| w[0] >= w[1]),
        "nearest first: {sims:?}"
    );
    // Counted nowhere: the answer without them counts the same.
    let without = search(&format!("{q}&related=0")).await;
    assert!(ids(&without["related"]).is_empty());
    for field in ["total", "facets"] {
        assert_eq!(with[field], without[field], "{field}");
    }
    assert_eq!(with["partial"]["total"], without["partial"]["total"]);
    // Every match, on any page, is left out: page sizes do not matter.
    let all = search(&format!("{q}&per_page=100&related=20")).await;
    let mut every = ids(&all["hits"]);
    every.extend(ids(&all["partial"]["hits"]));
    for id in ids(&all["related"]) {
        assert!(!every.contains(&id), "{id} matches");
    }
    // The first page only.
    let second = search(&format!("{q}&per_page=1&page=2")).await;
    assert!(ids(&second["related"]).is_empty(), "{second}");
}

#[tokio::test]
async fn related_cases_keep_the_filters_and_the_excluded_words() {
    let q = enc("トップが替わって中断した取り組み");
    let open = search(&format!("{q}&related=20")).await;
    let related = open["related"].as_array().unwrap().clone();
    assert!(!related.is_empty(), "{open}");
    let prefecture = related[0]["prefecture"].as_str().unwrap().to_owned();
    let filtered = search(&format!(
        "{q}&related=20&{}",
        serde_urlencoded::to_string([("prefecture", &prefecture)]).unwrap()
    ))
    .await;
    let kept = filtered["related"].as_array().unwrap();
    assert!(!kept.is_empty());
    for r in kept {
        assert_eq!(r["prefecture"], prefecture.as_str(), "{filtered}");
    }
    // A case holding an excluded word is not suggested either.
    let idx = &app().state.index;
    let first = related[0]["id"].as_str().unwrap();
    let municipality = related[0]["municipality"].as_str().unwrap();
    let excluding = search(&format!(
        "{}&related=20",
        enc(&format!("トップが替わって中断した取り組み -{municipality}"))
    ))
    .await;
    let after = ids(&excluding["related"]);
    assert!(!after.iter().any(|id| id == first), "{excluding}");
    for id in &after {
        let case = idx.get(id).unwrap().unwrap();
        assert_ne!(case.municipality, municipality, "{id}");
    }
}

/// Related cases do not contain the words: a search of one section lists
/// none that holds them in another.
#[tokio::test]
async fn a_section_search_relates_no_case_holding_the_words_elsewhere() {
    let all = search(&format!("{}&related=20", enc("首長"))).await;
    let mut holding = ids(&all["hits"]);
    holding.extend(ids(&all["partial"]["hits"]));
    assert!(holding.len() >= 3, "{all}");
    let scoped = search(&format!(
        "{}&related=20&section=failures&per_page=100",
        enc("首長")
    ))
    .await;
    let related = ids(&scoped["related"]);
    assert!(!related.is_empty(), "{scoped}");
    let matched_in_failures = ids(&scoped["hits"]);
    assert!(matched_in_failures.len() < holding.len(), "{scoped}");
    for id in &related {
        assert!(!holding.contains(id), "{id} holds 首長 somewhere: {scoped}");
    }
}

#[tokio::test]
async fn a_query_without_matches_says_0_then_lists_the_related_cases() {
    let q = "ﾊﾟﾝﾃﾞﾐｯｸのしのぎ方";
    let answer = search(&enc(q)).await;
    assert_eq!(answer["total"], 0, "{answer}");
    assert_eq!(answer["partial"]["total"], 0, "{answer}");
    assert!(!ids(&answer["related"]).is_empty(), "{answer}");
    let page = app().get(&format!("/?{}", enc(q)), None).await.text();
    let zero = page.find(": 0 件").expect("the count comes first");
    let heading = page.find("内容が近い事例").expect("the related heading");
    assert!(zero < heading);
    assert!(
        page.contains("検索したことばを含みません"),
        "the page says why"
    );
    for id in ids(&answer["related"]) {
        assert!(page.contains(&format!("/cases/{id}")), "{id} listed");
    }
    // Hostile or out-of-range counts are the client's error.
    for bad in ["21", "-1", "1e3", "%00", "99999999999999999999999"] {
        let r = app()
            .get(&format!("/api/search?{}&related={bad}", enc(q)), None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "related={bad}");
        assert_eq!(r.json()["error"]["param"], "related", "{}", r.text());
    }
}

#[tokio::test]
async fn similar_cases_are_ranked_by_meaning() {
    let id = "fukuoka-dna-undo";
    let r = app().get(&format!("/api/cases/{id}/similar"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let similar = r.json()["similar"].as_array().unwrap().clone();
    assert_eq!(similar.len(), 5);
    let scores: Vec<f64> = similar
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for s in &similar {
        assert_eq!(s["ranked_by"], "meaning");
        assert_ne!(s["id"], id);
        assert!(s["score"].as_f64().unwrap() <= 1.0);
    }
    // The page shows them with the words they share.
    let page = app().get(&format!("/cases/{id}"), None).await.text();
    assert!(page.contains("似た事例"));
}

#[tokio::test]
async fn health_and_metrics_say_how_far_the_vectors_are() {
    let health = app().get("/healthz", None).await.json();
    assert_eq!(health["meaning"]["state"], "ready", "{health}");
    assert_eq!(health["meaning"]["cases"], app().samples as u64);
    let metrics = app().get("/metrics", None).await.text();
    assert!(
        metrics.contains(&format!("kaizen_wa_meaning_cases {}\n", app().samples)),
        "{metrics}"
    );
    // A server without them says so, and suggests nothing.
    let off = App::setup().no_members_file().synced().open();
    let health = off.get("/healthz", None).await.json();
    assert_eq!(health["meaning"]["state"], "off");
    let r = off
        .get(
            &format!("/api/search?{}", enc("職員のやる気が続かない")),
            None,
        )
        .await;
    assert!(ids(&r.json()["related"]).is_empty());
    let similar = off
        .get("/api/cases/fukuoka-dna-undo/similar", None)
        .await
        .json();
    assert_eq!(similar["similar"][0]["ranked_by"], "words");
}

/// Vectors are computed once per case content and kept beside the index: a
/// second start computes none, an edited case is computed again, a removed
/// one forgotten, and a damaged file is computed afresh, never trusted.
#[test]
fn vectors_are_kept_beside_the_index_once_per_content() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let n = copy_cases(&cases);
    let index = CaseIndex::open(&dir.path().join("index")).unwrap();
    index.sync(&cases).unwrap();
    let m = Meaning::open(index.dir());
    assert_eq!(m.catch_up(&index, 2).unwrap(), n);
    assert_eq!(m.status().cases, n as u64);
    let file = index.dir().join(meaning::FILE);
    assert!(file.is_file());
    assert_eq!(Meaning::open(index.dir()).catch_up(&index, 2).unwrap(), 0);
    // An edit and a removal.
    let mut files: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let edited = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(&files[0], format!("{edited}\n追記。\n")).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    index.sync(&cases).unwrap();
    let m = Meaning::open(index.dir());
    assert_eq!(m.catch_up(&index, 2).unwrap(), 1);
    assert_eq!(m.status().cases, n as u64 - 1);
    // Damaged: computed again.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&file, bytes).unwrap();
    assert_eq!(
        Meaning::open(index.dir()).catch_up(&index, 2).unwrap(),
        n - 1
    );
}

/// `search --json` on a fresh folder builds the index and the vectors,
/// then answers with the API's `related`; `--no-meaning` computes none.
#[test]
fn the_command_line_lists_related_cases_too() {
    let dir = tempfile::tempdir().unwrap();
    copy_cases(&dir.path().join("cases"));
    let run = |extra: &[&str]| {
        let out = kaizen_wa()
            .env_remove(meaning::OFF_ENV)
            .current_dir(dir.path())
            .args(["search", "--json"])
            .args(extra)
            .arg("職員のやる気が続かない")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let off = run(&["--no-meaning"]);
    assert!(ids(&off["related"]).is_empty());
    assert!(!dir.path().join("index").join(meaning::FILE).exists());
    let on = run(&[]);
    assert!(!ids(&on["related"]).is_empty(), "{on}");
    assert_eq!(on["total"], off["total"]);
    assert!(dir.path().join("index").join(meaning::FILE).is_file());
    // Every vector is there now: a search says nothing about them.
    let again = kaizen_wa()
        .env_remove(meaning::OFF_ENV)
        .current_dir(dir.path())
        .args(["search", "職員"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        !stderr(&again).contains("意味ベクトル"),
        "{}",
        stderr(&again)
    );
}
