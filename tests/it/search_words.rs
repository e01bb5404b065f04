//! How the words people type are read: compounds typed without spaces
//! (首長交代 = 首長 ＋ 交代), metadata as words (人材育成 finds the cases filed
//! under it), kana for names written in mixed scripts (きらりかいぜんぐらんぷり).

use std::path::Path;
use std::sync::OnceLock;

use crate::common::{App, Fixture, request, sample_index};
use kaizen_wa::case::{Kind, Level, Section};
use kaizen_wa::index::{CaseIndex, SearchRequest, SearchResults};

fn search(q: &str) -> SearchResults {
    sample_index().search(&request(q, 50)).unwrap()
}

fn hit_ids(r: &SearchResults) -> Vec<String> {
    r.hits.iter().map(|h| h.id.clone()).collect()
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::setup().no_members_file().synced().open())
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()
}

#[test]
fn an_unspaced_compound_finds_every_case_the_spaced_words_find() {
    let spaced = search("首長 交代");
    let all_words: Vec<String> = spaced
        .hits
        .iter()
        .filter(|h| h.missing_words.is_empty())
        .map(|h| h.id.clone())
        .collect();
    // One of them only says 「市長が替わった」 (synonyms of both parts).
    assert!(all_words.len() >= 4, "{all_words:?}");
    let unspaced = hit_ids(&search("首長交代"));
    for id in &all_words {
        assert!(unspaced.contains(id), "首長交代 lacks {id}: {unspaced:?}");
    }
}

#[test]
fn the_compound_as_typed_ranks_above_its_parts_apart() {
    let r = search("首長交代");
    // The only case whose text says 首長交代 comes first, its parts after.
    assert_eq!(r.hits[0].id, "takashima-shutcho-kaizen-seminar");
    assert!(r.hits.len() > 1, "{:?}", hit_ids(&r));
    // The score shown is BM25, without what ranks the compound first.
    assert!(
        r.hits.iter().all(|h| h.score > 0.0 && h.score < 100.0),
        "{:?}",
        r.hits.iter().map(|h| h.score).collect::<Vec<_>>()
    );
    assert_eq!(r.also_read.len(), 1);
    assert_eq!(r.also_read[0].typed, "首長交代");
    assert_eq!(r.also_read[0].parts, vec!["首長", "交代"]);
    // A hit found by the parts highlights them where they are.
    let by_parts = r
        .hits
        .iter()
        .find(|h| h.id == "yokohama-hamariba-shukakusai")
        .expect("found by 市長 + 代わっ");
    assert!(
        by_parts
            .snippets
            .iter()
            .any(|s| s.html.contains("<mark>市長</mark>")),
        "{:?}",
        by_parts.snippets
    );
}

#[test]
fn a_single_compound_is_never_relaxed_to_some_of_its_parts() {
    // Absent places and terms: no case that merely says 市 or 所.
    for q in ["鹿屋市", "大東市", "ブロックチェーン", "原子力発電所"] {
        let r = search(q);
        assert!(r.total == 0 && r.hits.is_empty(), "{q}: {:?}", hit_ids(&r));
    }
    assert!(search("鹿屋市").also_read.is_empty());
    // Words typed apart are still relaxed to some of them.
    let r = search("首長 量子");
    assert_eq!(r.total, 0);
    assert!(r.partial_total > 0);
    assert_eq!(r.dropped_words, vec!["量子"]);
}

#[tokio::test]
async fn the_api_and_the_page_say_how_a_compound_was_read() {
    let j = app()
        .get(&format!("/api/search?{}", enc("首長交代")), None)
        .await
        .json();
    assert_eq!(
        j["also_read"],
        serde_json::json!([{"typed": "首長交代", "parts": ["首長", "交代"]}])
    );
    let j = app()
        .get(&format!("/api/search?{}", enc("首長")), None)
        .await
        .json();
    assert_eq!(j["also_read"], serde_json::json!([]));
    let page = app()
        .get(&format!("/?{}", enc("首長交代")), None)
        .await
        .text();
    assert!(
        page.contains("首長交代 → 首長 ＋ 交代 としても検索しました"),
        "{page}"
    );
}

/// The ids of every bundled case the filters allow (no query words).
fn filed(req: SearchRequest) -> Vec<String> {
    let mut ids = hit_ids(
        &sample_index()
            .search(&SearchRequest { limit: 100, ..req })
            .unwrap(),
    );
    ids.sort();
    ids
}

#[test]
fn a_level_or_kind_named_in_the_query_finds_the_cases_filed_so() {
    let jinzai = filed(SearchRequest {
        levels: vec![Level::Jinzai],
        ..SearchRequest::default()
    });
    assert!(jinzai.len() >= 5, "{jinzai:?}");
    let r = search("人材育成");
    let found = hit_ids(&r);
    for id in &jinzai {
        assert!(found.contains(id), "人材育成 lacks {id}: {found:?}");
    }
    // The case whose text says 人材育成 (filed under other levels) first.
    assert_eq!(found[0], "tottori-kaizen-katsudo");
    // As a word among others: the cases filed so match it.
    let two = search("人材育成 発表会");
    for h in two.hits.iter().filter(|h| jinzai.contains(&h.id)) {
        assert!(
            !h.missing_words.contains(&"人材育成".to_owned()),
            "{}",
            h.id
        );
    }
    let cities = filed(SearchRequest {
        kinds: vec![Kind::DesignatedCity],
        ..SearchRequest::default()
    });
    let mut found = hit_ids(&search("政令指定都市"));
    found.sort();
    assert_eq!(found, cities);
}

#[test]
fn metadata_ranks_below_the_text_and_adds_no_false_matches() {
    // A section heading: every case filling 失敗・課題 carries it …
    let idx = sample_index();
    let mut failures: Vec<String> = filed(SearchRequest::default())
        .into_iter()
        .filter(|id| {
            let case = idx.get(id).unwrap().unwrap();
            !case.sections.get(Section::Failures).trim().is_empty()
        })
        .collect();
    failures.sort();
    let mut found = hit_ids(&search("失敗・課題"));
    found.sort();
    assert!(failures.len() >= 5, "{failures:?}");
    assert_eq!(found, failures);
    // … but a word that is only part of a value is not a value (every
    // case would match 改善 of 業務改善): 政令指定 is in no text. (指定都市
    // would do too, were it not a synonym of 政令指定都市 in the Sudachi
    // dictionary: it finds the designated cities, as it should.)
    assert_eq!(search("政令指定").total, 0);
    let senryaku = filed(SearchRequest {
        levels: vec![Level::Senryaku],
        ..SearchRequest::default()
    });
    // The two halves of 戦略提案・施策改善 are level names of their own.
    let mut found = hit_ids(&search("施策改善"));
    found.sort();
    assert!(senryaku.iter().all(|id| found.contains(id)), "{found:?}");
    // … and absent words still find nothing.
    for q in ["宇宙開発", "ロケット", "北海道"] {
        assert_eq!(search(q).total, 0, "{q}");
    }
}

/// The bundled cases and the relevance suite's case of a name written in
/// mixed scripts (「きらり☆改善グランプリ」と「ひとり1提案運動」).
fn with_kirari() -> &'static CaseIndex {
    static INDEX: OnceLock<(Fixture, CaseIndex)> = OnceLock::new();
    let (_, index) = INDEX.get_or_init(|| {
        let f = Fixture::with_samples();
        let name = "syn-kirari-grandprix.md";
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance/cases");
        std::fs::copy(src.join(name), f.cases().join(name)).unwrap();
        let index = f.index();
        (f, index)
    });
    index
}

#[test]
fn kana_finds_a_name_written_with_symbols_digits_and_particles() {
    let idx = with_kirari();
    for (q, written) in [
        ("きらりかいぜんぐらんぷり", "きらり☆改善グランプリ"),
        ("キラリカイゼングランプリ", "きらり☆改善グランプリ"),
        ("ひとりいちていあんうんどう", "ひとり1提案運動"),
        ("ぎょうむかいぜんのたつじん", "業務改善の達人"),
        ("だいさんかい", "第3回"),
    ] {
        let r = idx.search(&request(q, 10)).unwrap();
        assert_eq!(hit_ids(&r), vec!["syn-kirari-grandprix"], "{q}");
        // The written form is what is marked.
        let hit = &r.hits[0];
        let marked = format!("<mark>{written}</mark>");
        assert!(
            hit.title_html.contains(&marked)
                || hit.snippets.iter().any(|s| s.html.contains(&marked)),
            "{q}: {} {:?}",
            hit.title_html,
            hit.snippets.iter().map(|s| &s.html).collect::<Vec<_>>()
        );
    }
    // Plain names as before.
    for (q, id) in [
        ("かいぜんさいたまっち", "saitama-ichi-shokuin-ichi-kaizen"),
        (
            "ゆうげんじっこうはっぴょうかい",
            "tokorozawa-yugen-jikko-happyokai",
        ),
    ] {
        let r = idx.search(&request(q, 10)).unwrap();
        assert_eq!(hit_ids(&r), vec![id], "{q}");
    }
}

#[test]
fn a_short_kana_query_matches_only_from_a_word_start() {
    let idx = with_kirari();
    // ラリカ runs across きらり☆改善, but starts inside a word; イサン
    // inside 第3回 (ダイサンカイ).
    for q in ["らりか", "いさん"] {
        let r = idx.search(&request(q, 10)).unwrap();
        assert!(
            !hit_ids(&r).contains(&"syn-kirari-grandprix".to_owned()),
            "{q}: {:?}",
            hit_ids(&r)
        );
    }
    // From a word's start it does: 3回 (さんかい).
    let r = idx.search(&request("さんかい", 10)).unwrap();
    assert!(hit_ids(&r).contains(&"syn-kirari-grandprix".to_owned()));
}
