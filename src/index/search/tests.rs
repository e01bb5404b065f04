//! Search tests over the sample and relevance cases.

use std::path::PathBuf;

use tantivy::DocAddress;

use super::hits::term_counts;
use super::*;
use crate::analysis::{Analysis, AnalyzerKind};
use crate::eval::Corpus;

fn corpus() -> Corpus {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Corpus::build(&[root.join("cases"), root.join("tests/relevance/cases")])
        .expect("corpus indexes")
}

pub(super) fn search(idx: &CaseIndex, q: &str) -> SearchResults {
    idx.search(&SearchRequest {
        query: q.into(),
        limit: 20,
        ..SearchRequest::default()
    })
    .unwrap()
}

fn hit<'a>(r: &'a SearchResults, id: &str) -> &'a Hit {
    r.hits.iter().find(|h| h.id == id).unwrap_or_else(|| {
        panic!(
            "{id} not found: {:?}",
            r.hits.iter().map(|h| &h.id).collect::<Vec<_>>()
        )
    })
}

fn all_html(h: &Hit) -> String {
    let mut s = h.title_html.clone();
    for sn in &h.snippets {
        s.push_str(&sn.html);
    }
    s
}

/// Highlighting with the index's term counts marks and cuts exactly
/// what analysing the sentences does, for every judged query (with
/// its section) and some compounds whose parts are nouns to count, on
/// every hit of the first page.
#[test]
fn indexed_counts_highlight_what_analysis_highlights() {
    let c = corpus();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("tests/relevance/queries.tsv");
    let judged =
        crate::eval::parse_queries(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut requests: Vec<SearchRequest> = judged
        .into_iter()
        .map(|j| SearchRequest {
            query: j.query,
            section: j.section,
            limit: 20,
            ..SearchRequest::default()
        })
        .collect();
    for q in [
        "職員提案",
        "改善提案 発表会",
        "業務改善",
        "教職員",
        "首長交代",
    ] {
        requests.push(SearchRequest {
            query: q.into(),
            limit: 20,
            ..SearchRequest::default()
        });
    }
    let opts = SearchOptions::default();
    let shown = |r: &SearchResults| -> Vec<(String, String)> {
        r.hits.iter().map(|h| (h.id.clone(), all_html(h))).collect()
    };
    let mut marked = 0;
    for req in &requests {
        let counted = c.index.run(req, &opts, Counts::Index, None).unwrap();
        let whole = c.index.run(req, &opts, Counts::Analysis, None).unwrap();
        assert_eq!(shown(&counted), shown(&whole), "help: {:?}", req.query);
        marked += counted.hits.len();
    }
    assert!(marked > 200, "{marked} hits compared");
}

/// The counts highlighting trusts are how often the analysis of each
/// text (title, every section) yields each term, by every analyzer,
/// for every case.
#[test]
fn term_counts_are_the_analysis_counts() {
    let c = corpus();
    let idx = &c.index;
    let searcher = idx.reader.searcher();
    let mut checked = 0;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        for doc in segment.doc_ids_alive() {
            let addr = DocAddress::new(ord as u32, doc);
            let stored: tantivy::TantivyDocument = searcher.doc(addr).unwrap();
            let case = idx.fields.stored_case(&stored).unwrap();
            let texts = std::iter::once(("title", case.title.as_str()))
                .chain(case.narrative().map(|(s, t)| (s.key(), t)));
            for (name, text) in texts {
                let counts = term_counts(&searcher, addr, idx.fields.text(name));
                let analysis = Analysis::of(text);
                for kind in AnalyzerKind::ALL {
                    let terms = analysis.get(kind);
                    for t in terms {
                        let n = terms.iter().filter(|u| u.text == t.text).count();
                        let got = counts(kind, &t.text);
                        assert_eq!(got, Some(n as u32), "{name} {kind:?}: {}", t.text);
                        checked += 1;
                    }
                    assert_eq!(counts(kind, "存在しない語彙"), Some(0));
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn every_kind_of_match_is_highlighted() {
    let c = corpus();
    let idx = &c.index;
    // Synonym (one-way rule): 首長 finds and marks 村長.
    let r = search(idx, "首長");
    assert!(all_html(hit(&r, "syn-hinohara-sonchou-teian")).contains("<mark>村長</mark>"));
    // Reading: the kana query marks the kanji word.
    let r = search(idx, "ゆうげんじっこう");
    assert!(
        all_html(hit(&r, "tokorozawa-yugen-jikko-happyokai")).contains("<mark>有言実行</mark>")
    );
    // Numerals: 第3次 marks 第三次.
    let r = search(idx, "第3次");
    assert!(all_html(hit(&r, "syn-takahashi-pdca-taiko")).contains("<mark>第三次</mark>"));
    // Width: ｶﾞｲﾄﾞ marks ガイド.
    let r = search(idx, "ｶﾞｲﾄﾞ");
    assert!(all_html(hit(&r, "syn-izumisano-kuko-madoguchi")).contains("<mark>ガイド</mark>"));
    // Variant: 金ヶ崎 marks 金ケ崎.
    let r = search(idx, "金ヶ崎");
    assert!(all_html(hit(&r, "syn-kanegasaki-dx-suishin")).contains("<mark>金ケ崎</mark>"));
    // Part of a compound.
    let r = search(idx, "空港");
    assert!(
        all_html(hit(&r, "syn-izumisano-kuko-madoguchi")).contains("関西国際<mark>空港</mark>")
    );
}

#[test]
fn words_that_never_meet_are_relaxed_and_reported() {
    let c = corpus();
    let r = search(&c.index, "担当異動 予算廃止");
    // Honest counts: no case holds both words; the relaxed matches are
    // counted apart.
    assert_eq!(r.total, 0);
    assert!(r.partial_total >= 2, "{}", r.partial_total);
    assert_eq!(r.dropped_words, vec!["担当異動", "予算廃止"]);
    assert_eq!(
        hit(&r, "syn-hinohara-sonchou-teian").missing_words,
        vec!["予算廃止"]
    );
    assert_eq!(
        hit(&r, "syn-kanazawa-kyujitai").missing_words,
        vec!["担当異動"]
    );

    // Cases with every word rank first and lack nothing.
    let r = search(&c.index, "DNA 発表会");
    assert!(
        r.total >= 1 && r.partial_total >= 1,
        "{} {}",
        r.total,
        r.partial_total
    );
    assert!(r.hits[0].missing_words.is_empty());
    let first_partial = r
        .hits
        .iter()
        .position(|h| !h.missing_words.is_empty())
        .unwrap();
    assert!(
        r.hits[first_partial..]
            .iter()
            .all(|h| !h.missing_words.is_empty())
    );
    assert_eq!(first_partial, r.total);
}

#[test]
fn counts_and_the_order_of_tiers_hold_whatever_the_sort_and_facets_count_every_word_cases() {
    let c = corpus();
    for q in [
        "DNA 発表会",
        "担当異動 予算廃止",
        "市民が審査に参加する改善の取り組み",
        "改善 職員",
        "首長 交代 -停止",
    ] {
        let req = |sort| SearchRequest {
            query: q.into(),
            sort,
            limit: 40,
            facets: true,
            ..SearchRequest::default()
        };
        let ranked = c.index.search(&req(Sort::Relevance)).unwrap();
        for sort in [Sort::Newest, Sort::Period] {
            let by_date = c.index.search(&req(sort)).unwrap();
            assert_eq!(ranked.total, by_date.total, "{q}");
            assert_eq!(ranked.partial_total, by_date.partial_total, "{q}");
            // Sorted by a date, the cases with every word still come
            // first, then the partial ones.
            let first_partial = by_date
                .hits
                .iter()
                .position(|h| !h.matches_every_word())
                .unwrap_or(by_date.hits.len());
            assert_eq!(first_partial, by_date.total.min(40), "{q} {sort:?}");
            assert!(
                by_date.hits[first_partial..]
                    .iter()
                    .all(|h| !h.matches_every_word()),
                "{q}"
            );
        }
        // Every case has one kind: the kind facet adds up to the cases
        // with every word, not to the relaxed matches.
        let facets = ranked.facets.as_ref().unwrap();
        let kinds: u64 = facets.kind.iter().map(|k| k.count).sum();
        assert_eq!(kinds as usize, ranked.total, "{q}");
    }
}

#[test]
fn a_page_across_the_end_of_the_every_word_cases_holds_both_in_order() {
    let c = corpus();
    let req = |offset, limit| SearchRequest {
        query: "DNA 発表会".into(),
        offset,
        limit,
        ..SearchRequest::default()
    };
    let whole = c.index.search(&req(0, 50)).unwrap();
    assert!(whole.total >= 1 && whole.partial_total >= 2);
    let at = whole.total - 1;
    let page = c.index.search(&req(at, 3)).unwrap();
    let ids: Vec<&str> = page.hits.iter().map(|h| h.id.as_str()).collect();
    let want: Vec<&str> = whole.hits[at..at + 3]
        .iter()
        .map(|h| h.id.as_str())
        .collect();
    assert_eq!(ids, want);
    assert!(page.hits[0].matches_every_word());
    assert!(page.hits[1..].iter().all(|h| !h.matches_every_word()));
    assert_eq!(
        (page.total, page.partial_total),
        (whole.total, whole.partial_total)
    );
}

#[test]
fn pages_of_a_re_ranked_query_follow_each_other() {
    let c = corpus();
    let req = |offset, limit| SearchRequest {
        query: "改善 職員 提案".into(),
        offset,
        limit,
        ..SearchRequest::default()
    };
    let ids = |r: SearchResults| r.hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    let all = ids(c.index.search(&req(0, 10)).unwrap());
    assert!(all.len() >= 6, "{all:?}");
    let mut paged = ids(c.index.search(&req(0, 3)).unwrap());
    paged.extend(ids(c.index.search(&req(3, 3)).unwrap()));
    assert_eq!(paged, all[..6]);
}

#[test]
fn a_sentence_is_searched_by_its_content_words() {
    let c = corpus();
    let r = search(&c.index, "市民が審査に参加する改善の取り組み");
    assert_eq!(r.words, vec!["市民", "審査", "参加", "改善"]);
    // No case has citizens judging; in these two outsiders judge (the
    // relevance suite grades them alike).
    let first = r.hits[0].id.as_str();
    assert!(
        [
            "saitama-ichi-shokuin-ichi-kaizen",
            "zenkoku-kaizen-jissen-jirei-happyokai"
        ]
        .contains(&first),
        "{first}"
    );
    // A word that merely contains an auxiliary stays one word.
    let r = search(&c.index, "やらされ感");
    assert_eq!(r.words, vec!["やらされ感"]);
    // Nothing found is nothing, even for several words.
    assert_eq!(search(&c.index, "宇宙 ロケット").total, 0);
}
