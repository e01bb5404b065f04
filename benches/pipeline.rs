//! The pipeline's figures, measured with criterion (not asserted: times
//! are noisy): dictionary load, raw lindera segmentation, the hybrid
//! analysis of a text, indexing a synthetic corpus, and searches over it.
//!
//! ```text
//! cargo bench --bench pipeline                      # every group
//! cargo bench --bench pipeline -- search            # one group
//! KAIZEN_WA_BENCH_CASES=10000 cargo bench --bench pipeline -- search
//! ```
//!
//! The corpus is `KAIZEN_WA_BENCH_CASES` synthetic cases (default 1,000;
//! the indexing group rebuilds it on every sample). On a busy machine,
//! compare instruction counts instead of seconds: run one benchmark under
//! callgrind with `--profile-time` (criterion then runs it for that long,
//! without its statistics):
//! `valgrind --tool=callgrind target/release/deps/pipeline-* --bench --profile-time 5 'search/改善'`.
//! The hybrid analysis against a morphological-only index is
//! `tests/cost.rs`'s `hybrid_indexing_cost_and_query_latency`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kaizen_wa::analysis::Analysis;
use kaizen_wa::index::{CaseIndex, SearchRequest};
use kaizen_wa::synthetic;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

/// The same allocator as the binary, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Queries of the search group: a frequent word, a compound, a kana
/// word's reading, several words, an exclusion, a phrase, one character,
/// full-width letters.
const QUERIES: [&str; 10] = [
    "改善",
    "首長交代",
    "かいぜん",
    "職員提案 発表会",
    "やらされ感 -福岡",
    "\"改善発表会\"",
    "行政経営",
    "市",
    "ＤＮＡ",
    "人材育成 研修",
];

fn cases() -> usize {
    std::env::var("KAIZEN_WA_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn bocchan() -> String {
    let data = synthetic::default_source_dir();
    std::fs::read_to_string(data.join("bocchan.txt")).expect("bocchan.txt")
}

/// A synthetic corpus of `count` cases in `dir/cases`; its bytes.
fn corpus(dir: &Path, count: usize) -> (PathBuf, u64) {
    let source = synthetic::Source::load(&synthetic::default_source_dir()).expect("texts");
    let cases = dir.join("cases");
    let bytes = synthetic::write_corpus(&source, count, &cases).expect("write corpus");
    (cases, bytes)
}

fn analysis(c: &mut Criterion) {
    let mut g = c.benchmark_group("analysis");
    g.bench_function("dictionary load", |b| {
        b.iter(|| kaizen_wa_dict::load().expect("dictionary"))
    });
    let text = bocchan();
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    let segmenter = Segmenter::new(Mode::Normal, kaizen_wa_dict::load().unwrap(), None);
    g.bench_function("raw segmentation (bocchan.txt)", |b| {
        b.iter(|| segmenter.segment(Cow::Borrowed(&text)).unwrap().len())
    });
    g.bench_function("hybrid analysis (bocchan.txt)", |b| {
        b.iter(|| Analysis::of(&text))
    });
    g.finish();
}

fn indexing(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let count = cases();
    let (cases, bytes) = corpus(tmp.path(), count);
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function(format!("{count} cases"), |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("index dir"),
            |dir| {
                let idx = CaseIndex::open(dir.path()).expect("open index");
                let report = idx.sync(&cases).expect("index");
                assert_eq!(report.added, count);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().expect("index dir");
    let idx = CaseIndex::open(dir.path()).expect("open index");
    idx.sync(&cases).expect("index");
    g.bench_function(format!("{count} cases, nothing changed"), |b| {
        b.iter(|| idx.sync(&cases).expect("re-sync").unchanged)
    });
    g.finish();
}

fn search(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (cases, _) = corpus(tmp.path(), cases());
    let idx = CaseIndex::open(&tmp.path().join("index")).expect("open index");
    idx.sync(&cases).expect("index");
    let mut g = c.benchmark_group("search");
    for q in QUERIES {
        for facets in [false, true] {
            let req = SearchRequest {
                query: q.into(),
                limit: 10,
                facets,
                ..SearchRequest::default()
            };
            let name = if facets {
                format!("{q} +facets")
            } else {
                q.to_owned()
            };
            g.bench_function(name, |b| b.iter(|| idx.search(&req).unwrap().total));
        }
    }
    g.finish();
}

criterion_group!(benches, analysis, indexing, search);
criterion_main!(benches);
