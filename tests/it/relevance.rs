//! The relevance floor: the judged queries in `tests/relevance/queries.tsv`
//! over the sample cases and the synthetic ones in `tests/relevance/cases/`
//! must keep recall@10 ≥ 0.98 and nDCG@10 ≥ 0.90 overall, recall ≥ 0.90
//! for every kind of query, and no-result queries must find nothing.
//! A failure lists the queries that fell short, with what came back.

use std::path::{Path, PathBuf};

use kaizen_wa::eval::{Corpus, Mode, Report, evaluate, parse_queries};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(mode: Mode) -> Report {
    let path = root().join("tests/relevance/queries.tsv");
    let text = std::fs::read_to_string(&path).expect("queries.tsv is readable");
    let queries =
        parse_queries(Path::new("tests/relevance/queries.tsv"), &text).expect("queries.tsv parses");
    assert!(
        queries.len() >= 80,
        "the suite needs at least 80 queries, has {}",
        queries.len()
    );
    let corpus = Corpus::build(&[root().join("cases"), root().join("tests/relevance/cases")])
        .expect("corpus indexes");
    evaluate(&corpus.index, &queries, &mode.options()).expect("every query runs")
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

#[test]
fn hybrid_search_holds_the_relevance_floor() {
    let report = run(Mode::Hybrid);
    let help = format!(
        "\n{}\nhelp: queries below target:\n{}",
        report.table(),
        shortfalls(&report)
    );
    assert!(
        report.overall.recall >= 0.98,
        "recall@10 {:.3} < 0.98{help}",
        report.overall.recall
    );
    assert!(
        report.overall.ndcg >= 0.90,
        "nDCG@10 {:.3} < 0.90{help}",
        report.overall.ndcg
    );
    for (kind, m) in &report.per_kind {
        assert!(
            m.recall >= 0.90,
            "kind {kind}: recall@10 {:.3} < 0.90{help}",
            m.recall
        );
    }
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
