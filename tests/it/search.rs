//! End to end through the library: the bundled sample cases, indexed in a
//! temp dir, answer real practitioners' queries.

use std::fs;

use crate::common::{Fixture, ids, request, sample_index, search_ids};
use kaizen_wa::case::{Level, Section};
use kaizen_wa::index::{CaseIndex, SearchRequest};

#[test]
fn kanji_compound_finds_the_case_that_uses_it() {
    let idx = sample_index();
    // 事務事業評価 appears only in the 三重県 さわやか運動 case.
    assert_eq!(ids(idx, "事務事業評価"), vec!["mie-sawayaka-undo"]);
}

#[test]
fn a_word_inside_one_section_is_found_and_highlighted_there() {
    let idx = sample_index();
    let res = idx.search(&request("エレベーター", 10)).unwrap();
    assert_eq!(res.total, 1);
    let hit = &res.hits[0];
    assert_eq!(hit.id, "fukuoka-dna-undo");
    assert_eq!(hit.snippets[0].section, "successes");
    assert!(
        hit.snippets[0].html.contains("<mark>エレベーター</mark>"),
        "{}",
        hit.snippets[0].html
    );
}

#[test]
fn section_scope_limits_matches_to_that_section() {
    let idx = sample_index();
    let everywhere = ids(idx, "市長");
    let in_failures = search_ids(
        idx,
        &SearchRequest {
            query: "市長".into(),
            section: Some(Section::Failures),
            limit: 50,
            ..SearchRequest::default()
        },
    );
    assert!(
        in_failures.len() < everywhere.len(),
        "{in_failures:?} vs {everywhere:?}"
    );
    assert!(in_failures.contains(&"fukuoka-dna-undo".to_owned()));
    assert!(in_failures.contains(&"takashima-shutcho-kaizen-seminar".to_owned()));
}

#[test]
fn level_and_prefecture_filters_narrow_results() {
    let idx = sample_index();
    let req = |levels: Vec<Level>, prefectures: Vec<&str>| SearchRequest {
        query: "改善".into(),
        levels,
        prefectures: prefectures.into_iter().map(str::to_owned).collect(),
        limit: 50,
        ..SearchRequest::default()
    };
    let mie = search_ids(idx, &req(vec![], vec!["三重県"]));
    assert!(!mie.is_empty());
    for id in &mie {
        assert!(
            id.starts_with("mie-") || id.starts_with("minamiise-"),
            "{id}"
        );
    }
    let strategy = search_ids(idx, &req(vec![Level::Senryaku], vec![]));
    assert!(strategy.contains(&"mie-gyosei-keiei-taikei".to_owned()));
    assert!(!strategy.contains(&"fukuoka-dna-undo".to_owned()));
}

#[test]
fn cases_with_every_spaced_word_come_first_and_the_rest_say_what_they_miss() {
    let idx = sample_index();
    let dna = ids(idx, "DNA");
    let happyokai = ids(idx, "発表会");
    let res = idx.search(&request("DNA 発表会", 50)).unwrap();
    let all = res.total;
    assert!(all > 0 && all < happyokai.len(), "{all}");
    // Honest counts: `total` is exactly the cases holding both words (each
    // word searched alone, then intersected); the rest counted apart.
    let both = dna.iter().filter(|id| happyokai.contains(id)).count();
    assert_eq!(all, both);
    assert_eq!(res.total + res.partial_total, res.hits.len());
    // AND first: the leading hits contain both words …
    for hit in &res.hits[..all] {
        assert!(
            dna.contains(&hit.id) && happyokai.contains(&hit.id),
            "{}",
            hit.id
        );
        assert!(hit.missing_words.is_empty(), "{}", hit.id);
    }
    // … then cases with most of them, each saying which word it lacks.
    for hit in &res.hits[all..] {
        assert_eq!(hit.missing_words, vec!["DNA"], "{}", hit.id);
    }
    assert_eq!(res.dropped_words, vec!["DNA"]);
}

#[test]
fn a_minus_word_excludes_cases() {
    let idx = sample_index();
    let all = ids(idx, "発表会");
    let without = ids(idx, "発表会 -福岡");
    assert!(all.contains(&"fukuoka-dna-undo".to_owned()));
    assert!(!without.contains(&"fukuoka-dna-undo".to_owned()));
    assert!(!without.is_empty());
}

#[test]
fn or_and_phrase_queries() {
    let idx = sample_index();
    let either = ids(idx, "おもてなし OR さわやか");
    assert!(either.contains(&"nakano-omotenashi-undo".to_owned()));
    assert!(either.contains(&"mie-sawayaka-undo".to_owned()));
    // Adjacent, in order: the phrase finds the 横浜 case's own wording only.
    let phrase = ids(idx, "\"ハマリバ収穫祭\"");
    assert_eq!(phrase, vec!["yokohama-hamariba-shukakusai"]);
}

#[test]
fn an_unspaced_japanese_word_is_not_an_exact_phrase() {
    let idx = sample_index();
    // 研究会支援 never occurs as such; its parts occur in the K-NET case.
    // tantivy's QueryParser would make it a phrase and find nothing.
    assert!(ids(idx, "研究会支援").contains(&"kaizen-summit-network".to_owned()));
}

#[test]
fn width_and_kana_variants_find_the_same_case() {
    let idx = sample_index();
    let dna = ids(idx, "DNA");
    assert_eq!(ids(idx, "ＤＮＡ"), dna);
    assert_eq!(ids(idx, "dna"), dna);
    assert!(ids(idx, "かいぜん").contains(&"tottori-kaizen-katsudo".to_owned()));
}

/// Syncs the fixture's cases: (added, updated, removed, unchanged).
fn sync_counts(idx: &CaseIndex, f: &Fixture) -> (usize, usize, usize, usize) {
    let r = idx.sync(&f.cases()).unwrap();
    (r.added, r.updated, r.removed, r.unchanged)
}

#[test]
fn editing_and_removing_files_is_reflected_after_sync() {
    let f = Fixture::with_samples();
    let idx = f.index();
    assert!(ids(&idx, "ぬか床").is_empty());

    let path = f.cases().join("fukuoka-dna-undo.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace(
            "## 教訓\n",
            "## 教訓\nぬか床のように毎日かき混ぜることが大切だ。\n",
        ),
    )
    .unwrap();
    assert_eq!(sync_counts(&idx, &f), (0, 1, 0, 11));
    assert_eq!(ids(&idx, "ぬか床"), vec!["fukuoka-dna-undo"]);

    fs::remove_file(&path).unwrap();
    let report = idx.sync(&f.cases()).unwrap();
    assert_eq!(report.removed, 1);
    assert!(ids(&idx, "ぬか床").is_empty());
    assert!(!ids(&idx, "DNA").contains(&"fukuoka-dna-undo".to_owned()));
    assert_eq!(idx.num_cases(), 11);

    // What the index holds is read from its columns: deleted and replaced
    // documents must not count, so nothing is left to do.
    assert_eq!(sync_counts(&idx, &f), (0, 0, 0, 11));
}

#[test]
fn has_id_knows_indexed_ids_and_forgets_removed_ones() {
    let f = Fixture::with_samples();
    let idx = f.index();
    assert!(idx.has_id("fukuoka-dna-undo").unwrap());
    assert!(!idx.has_id("no-such-case").unwrap());
    fs::remove_file(f.cases().join("fukuoka-dna-undo.md")).unwrap();
    idx.sync(&f.cases()).unwrap();
    assert!(!idx.has_id("fukuoka-dna-undo").unwrap());
}

#[test]
fn an_invalid_edit_keeps_the_last_valid_version_searchable() {
    let f = Fixture::with_samples();
    let idx = f.index();
    let path = f.cases().join("nakano-omotenashi-undo.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("levels = [", "levels = [\"業務改革\", "),
    )
    .unwrap();
    let report = idx.sync(&f.cases()).unwrap();
    assert_eq!(report.invalid, 1);
    assert!(report.has_errors());
    assert!(ids(&idx, "おもてなし").contains(&"nakano-omotenashi-undo".to_owned()));
}

#[test]
fn a_duplicate_id_in_a_new_file_is_rejected_not_indexed() {
    let f = Fixture::with_samples();
    let idx = f.index();
    let text = fs::read_to_string(f.cases().join("fukuoka-dna-undo.md")).unwrap();
    fs::create_dir_all(f.cases().join("copies")).unwrap();
    fs::write(f.cases().join("copies/dna.md"), text).unwrap();
    let report = idx.sync(&f.cases()).unwrap();
    assert_eq!(report.invalid, 1);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.field == "id" && d.message.contains("fukuoka-dna-undo.md"))
    );
    assert_eq!(idx.num_cases(), 12);
}

#[test]
fn deleting_the_index_and_reindexing_gives_the_same_results() {
    let f = Fixture::with_samples();
    let queries = ["改善", "首長", "発表会 -福岡", "カイゼン", "職員提案"];
    let before: Vec<Vec<String>> = {
        let idx = f.index();
        queries.iter().map(|q| ids(&idx, q)).collect()
    };
    fs::remove_dir_all(f.index_dir()).unwrap();
    let idx = f.index();
    let after: Vec<Vec<String>> = queries.iter().map(|q| ids(&idx, q)).collect();
    assert_eq!(before, after);
}

#[test]
fn an_index_from_another_analysis_version_is_rebuilt_on_open() {
    let f = Fixture::with_samples();
    drop(f.index());
    fs::write(
        f.index_dir().join("kaizen-wa.json"),
        r#"{"schema_version":0,"analysis_version":0}"#,
    )
    .unwrap();
    let idx = CaseIndex::open(&f.index_dir()).unwrap();
    assert!(idx.created);
    assert_eq!(idx.num_cases(), 0);
    idx.sync(&f.cases()).unwrap();
    assert_eq!(idx.num_cases(), 12);
}

#[test]
fn facets_count_under_the_other_filters() {
    let idx = sample_index();
    let res = idx
        .search(&SearchRequest {
            query: String::new(),
            levels: vec![Level::Senryaku],
            limit: 50,
            facets: true,
            ..SearchRequest::default()
        })
        .unwrap();
    let facets = res.facets.unwrap();
    // Level counts ignore the level filter (drill-down): all 12 cases count.
    let level_total: u64 = facets.level.iter().map(|c| c.count).sum();
    assert!(level_total >= 12, "{:?}", facets.level);
    // Prefecture counts honour it.
    let pref_total: u64 = facets.prefecture.iter().map(|c| c.count).sum();
    assert_eq!(pref_total as usize, res.total);
}
