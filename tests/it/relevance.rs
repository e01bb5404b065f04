//! The relevance floor: the judged queries in `tests/relevance/queries.tsv`
//! over the sample cases and the synthetic ones in `tests/relevance/cases/`.
//! Every kind of query has its floor in [`KIND_FLOORS`]; the kinds the
//! engine already served before issue 16 must together keep recall@10 ≥
//! 0.98 and nDCG@10 ≥ 0.90, and no-result queries must find nothing.
//! The paraphrase kind (words the relevant cases never use) is judged as
//! the search page lists it: the matches, then the cases related by
//! meaning; listing those must lower no kind.
//! A failure lists the queries that fell short, with what came back.

use std::path::{Path, PathBuf};

use kaizen_wa::eval::{Corpus, Judged, Mode, Report, evaluate, parse_queries};
use kaizen_wa::meaning::Meaning;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn queries() -> Vec<Judged> {
    let path = root().join("tests/relevance/queries.tsv");
    let text = std::fs::read_to_string(&path).expect("queries.tsv is readable");
    let queries =
        parse_queries(Path::new("tests/relevance/queries.tsv"), &text).expect("queries.tsv parses");
    assert!(
        queries.len() >= 190,
        "the suite needs at least 190 queries, has {}",
        queries.len()
    );
    queries
}

fn corpus() -> Corpus {
    Corpus::build(&[root().join("cases"), root().join("tests/relevance/cases")])
        .expect("corpus indexes")
}

fn run(mode: Mode) -> Report {
    evaluate(&corpus().index, &queries(), &mode.options(), None).expect("every query runs")
}

fn shortfalls(report: &Report) -> String {
    report
        .outcomes
        .iter()
        .filter(|o| o.metrics.recall < 1.0 || o.metrics.ndcg < 0.8)
        .map(|o| {
            let want = o.judged.wanted();
            format!(
                "  line {} [{}] {:?}: nDCG {:.2} recall {:.2}\n    got  {}\n    want {}",
                o.judged.line,
                o.judged.kind,
                o.judged.query,
                o.metrics.ndcg,
                o.metrics.recall,
                o.ranked.join(" "),
                want.join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The no-result queries match no case (related cases, if listed, are
/// suggestions, not matches).
fn no_result_queries_match_nothing(report: &Report) {
    for o in report
        .outcomes
        .iter()
        .filter(|o| o.judged.kind == "no-result")
    {
        assert!(
            o.ranked.is_empty(),
            "no-result query {:?} found {:?}",
            o.judged.query,
            o.ranked
        );
    }
}

/// The floor of one kind of query (hybrid search).
struct KindFloor {
    kind: &'static str,
    /// Least mean nDCG@10; `None` where the kind never had one.
    ndcg: Option<f64>,
    /// Least mean recall@10.
    recall: f64,
    /// Whether the kind counts towards the overall floor
    /// ([`OVERALL_RECALL`], [`OVERALL_NDCG`]).
    in_overall: bool,
    /// Judged with the related cases listed after the matches (the words
    /// alone cannot find these).
    by_meaning: bool,
}

const fn established(kind: &'static str) -> KindFloor {
    KindFloor {
        kind,
        ndcg: None,
        recall: 0.90,
        in_overall: true,
        by_meaning: false,
    }
}

/// Issue 16's kinds start at what the engine reached when they were
/// judged (2026-12-05, before the engine work), so they can only
/// go up; the goal is nDCG@10 ≥ 0.90 for each. Once a kind gets
/// there, raise its floor and count it in the overall floor.
const fn measured(kind: &'static str, ndcg: f64, recall: f64) -> KindFloor {
    KindFloor {
        kind,
        ndcg: Some(ndcg),
        recall,
        in_overall: false,
        by_meaning: false,
    }
}

/// Issue 20's kind: queries whose words the relevant cases never use,
/// judged on the matches followed by the related cases.
const fn by_meaning(kind: &'static str, ndcg: f64, recall: f64) -> KindFloor {
    KindFloor {
        kind,
        ndcg: Some(ndcg),
        recall,
        in_overall: false,
        by_meaning: true,
    }
}

/// Every kind in `queries.tsv` must be listed here: a new kind gets a
/// floor when its queries are added, not never.
const KIND_FLOORS: &[KindFloor] = &[
    established("compound"),
    established("kana"),
    established("multi-word"),
    established("no-result"),
    established("numeral"),
    established("section-scoped"),
    established("sentence"),
    established("synonym"),
    established("variant"),
    established("width"),
    established("kana-name"),
    // Issue 16's kinds, at what the engine reaches with compounds split,
    // metadata as words, the Sudachi dictionary, the domain's obstacle
    // synonyms, obstacle weighting and question endings (when judged:
    // unspaced 0.653/0.583, metadata 0.405/0.354, kana-name 0.357/0.357,
    // obstacle 0.197/0.130, question 0.514/0.543, synonym-general
    // 0.296/0.283). Below 0.90 what remains needs meaning, not words
    // (窓口改善 for cases that never say 改善, 名前を親しみやすく).
    measured("unspaced", 0.84, 0.83),
    measured("metadata", 0.90, 0.90),
    measured("obstacle", 0.88, 0.88),
    measured("question", 0.67, 0.74),
    measured("synonym-general", 0.91, 0.93),
    // Issue 20's kind, at what the matches followed by the related cases
    // reach (2026-12-06: 0.467/0.701 over 60 queries; the reference
    // package's vectors alone rank them at 0.467 too). The goal is
    // 0.80; the words alone find next to none of these.
    by_meaning("paraphrase", 0.46, 0.69),
];

/// Least recall@10 and nDCG@10 over the queries of the kinds counted in
/// the overall floor.
const OVERALL_RECALL: f64 = 0.98;
const OVERALL_NDCG: f64 = 0.90;

/// Issue 16's kinds need this many queries each to say anything.
const NEW_KIND_QUERIES: usize = 9;

#[test]
fn hybrid_search_holds_the_relevance_floor() {
    let report = run(Mode::Hybrid);
    let help = format!(
        "\n{}\nhelp: queries below target:\n{}",
        report.table(),
        shortfalls(&report)
    );
    let floor_of = |kind: &str| KIND_FLOORS.iter().find(|f| f.kind == kind);
    let overall = report.overall_of(|kind| floor_of(kind).is_some_and(|f| f.in_overall));
    assert!(
        overall.recall >= OVERALL_RECALL,
        "recall@10 {:.3} < {OVERALL_RECALL} over the established kinds{help}",
        overall.recall
    );
    assert!(
        overall.ndcg >= OVERALL_NDCG,
        "nDCG@10 {:.3} < {OVERALL_NDCG} over the established kinds{help}",
        overall.ndcg
    );
    for (kind, m) in &report.per_kind {
        let floor =
            floor_of(kind).unwrap_or_else(|| panic!("kind {kind:?} has no entry in KIND_FLOORS"));
        if floor.by_meaning {
            continue;
        }
        assert!(
            m.recall >= floor.recall,
            "kind {kind}: recall@10 {:.3} < {}{help}",
            m.recall,
            floor.recall
        );
        if let Some(ndcg) = floor.ndcg {
            assert!(
                m.ndcg >= ndcg,
                "kind {kind}: nDCG@10 {:.3} < {ndcg}{help}",
                m.ndcg
            );
        }
        if !floor.in_overall {
            assert!(
                m.queries >= NEW_KIND_QUERIES,
                "kind {kind}: {} queries < {NEW_KIND_QUERIES}",
                m.queries
            );
        }
    }
    for floor in KIND_FLOORS {
        assert!(
            report.per_kind.contains_key(floor.kind),
            "KIND_FLOORS lists {:?}, which has no query",
            floor.kind
        );
    }
    no_result_queries_match_nothing(&report);
}

/// The hybrid must beat each analyzer alone: otherwise a field is dead
/// weight in the index.
#[test]
fn hybrid_beats_each_analyzer_alone() {
    let hybrid = run(Mode::Hybrid).overall;
    for mode in [Mode::Morph, Mode::Ngram] {
        let alone = run(mode).overall;
        assert!(
            hybrid.ndcg > alone.ndcg && hybrid.recall >= alone.recall,
            "{mode:?} alone {alone:?} vs hybrid {hybrid:?}"
        );
    }
}

/// The search page's list, matches then related cases: the paraphrase
/// kind reaches its floor, and no kind scores lower than on its matches
/// alone (related cases only come after them). The no-result queries
/// still match nothing (related cases are suggestions, not matches).
#[test]
fn related_cases_answer_paraphrases_and_lower_no_kind() {
    let queries = queries();
    let corpus = corpus();
    let meaning = Meaning::open(corpus.index.dir());
    let embedded = meaning
        .catch_up(&corpus.index, 2)
        .expect("vectors computed");
    assert_eq!(embedded as u64, corpus.index.num_cases());
    let opts = Mode::Hybrid.options();
    let words = evaluate(&corpus.index, &queries, &opts, None).expect("every query runs");
    let listed =
        evaluate(&corpus.index, &queries, &opts, Some(&meaning)).expect("every query runs");
    let help = format!(
        "\nmatches only:\n{}\nmatches then related:\n{}\nhelp: queries below target:\n{}",
        words.table(),
        listed.table(),
        shortfalls(&listed)
    );
    for floor in KIND_FLOORS.iter().filter(|f| f.by_meaning) {
        let m = &listed.per_kind[floor.kind];
        assert!(
            m.queries >= 20,
            "kind {}: {} queries < 20",
            floor.kind,
            m.queries
        );
        let ndcg = floor.ndcg.expect("a meaning kind has an nDCG floor");
        assert!(
            m.ndcg >= ndcg && m.recall >= floor.recall,
            "kind {}: nDCG@10 {:.3} < {ndcg}{help}",
            floor.kind,
            m.ndcg
        );
    }
    for (kind, before) in &words.per_kind {
        let after = &listed.per_kind[kind];
        assert!(
            after.ndcg >= before.ndcg - 1e-9 && after.recall >= before.recall - 1e-9,
            "kind {kind}: {before:?} with matches only, {after:?} with related cases{help}"
        );
    }
    no_result_queries_match_nothing(&listed);
}
