//! The foundation's figures, measured (not asserted: times are noisy).
//!
//! ```text
//! cargo bench --bench pipeline                 # 10,000 synthetic cases
//! KAIZEN_WA_BENCH_CASES=2000 cargo bench --bench pipeline
//! ```
//!
//! Reports: dictionary load time; raw lindera segmentation throughput on
//! bocchan.txt (1 and 2 threads); `index` throughput over the synthetic
//! corpus (cases/s, MB/s, ratio to raw segmentation per core, peak RSS) for
//! the hybrid analysis; and search latency percentiles over that index.
//! Results also go to `target/bench/pipeline.json`.

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use kaizen_wa::index::{CaseIndex, SearchRequest};
use kaizen_wa::synthetic;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let cases: usize = std::env::var("KAIZEN_WA_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let data = synthetic::default_source_dir();
    let mut json = serde_json::Map::new();

    // 1. Dictionary load (zero-copy views over embedded bytes).
    let mut loads: Vec<Duration> = (0..30)
        .map(|_| {
            let t = Instant::now();
            let d = kaizen_wa_dict::load().expect("dictionary");
            std::hint::black_box(&d);
            t.elapsed()
        })
        .collect();
    loads.sort();
    println!(
        "dictionary load: p50 {:.3} ms, max {:.3} ms (30 loads)",
        ms(percentile(&loads, 0.5)),
        ms(*loads.last().unwrap())
    );
    json.insert(
        "dict_load_ms_p50".into(),
        ms(percentile(&loads, 0.5)).into(),
    );

    // 2. Raw segmentation throughput on bocchan.txt.
    let bocchan = std::fs::read_to_string(data.join("bocchan.txt")).expect("bocchan.txt");
    let segmenter = Segmenter::new(Mode::Normal, kaizen_wa_dict::load().unwrap(), None);
    let rounds = 8;
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(segmenter.segment(Cow::Borrowed(&bocchan)).unwrap().len());
    }
    let one = (bocchan.len() * rounds) as f64 / 1e6 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..rounds / 2 {
                    std::hint::black_box(segmenter.segment(Cow::Borrowed(&bocchan)).unwrap().len());
                }
            });
        }
    });
    let two = (bocchan.len() * rounds) as f64 / 1e6 / t.elapsed().as_secs_f64();
    println!(
        "raw lindera segmentation (bocchan.txt, {} bytes): {one:.2} MB/s on 1 thread, {two:.2} MB/s on 2 threads",
        bocchan.len()
    );
    json.insert("segment_mb_s_1t".into(), one.into());
    json.insert("segment_mb_s_2t".into(), two.into());

    // 3. Indexing the synthetic corpus.
    let tmp = tempfile::tempdir().expect("temp dir");
    let corpus = tmp.path().join("cases");
    let source = synthetic::Source::load(&data).expect("benchmark texts");
    let bytes = synthetic::write_corpus(&source, cases, &corpus).expect("write corpus");
    let index_dir = tmp.path().join("index");
    let rss_before = peak_rss_mb().unwrap_or(0.0);
    let t = Instant::now();
    let idx = CaseIndex::open(&index_dir).expect("open index");
    let report = idx.sync(&corpus).expect("index");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.added, cases, "{:?}", report.diagnostics.first());
    let mb_s = bytes as f64 / 1e6 / secs;
    let ratio = mb_s / (one * 2.0);
    println!(
        "index {cases} cases ({:.1} MB of case files): {secs:.2} s, {:.0} cases/s, {mb_s:.2} MB/s = {:.0} % of raw segmentation on 2 cores; peak RSS {:.0} MB (before indexing {:.0} MB); index size {:.1} MB",
        bytes as f64 / 1e6,
        cases as f64 / secs,
        ratio * 100.0,
        peak_rss_mb().unwrap_or(0.0),
        rss_before,
        idx.size_bytes() as f64 / 1e6,
    );
    json.insert("index_cases".into(), cases.into());
    json.insert("index_seconds".into(), secs.into());
    json.insert("index_cases_per_s".into(), (cases as f64 / secs).into());
    json.insert("index_mb_s".into(), mb_s.into());
    json.insert("index_ratio_to_raw_2cores".into(), ratio.into());
    json.insert("peak_rss_mb".into(), peak_rss_mb().unwrap_or(0.0).into());

    // A second sync with nothing changed: the incremental path.
    let t = Instant::now();
    let again = idx.sync(&corpus).expect("re-sync");
    println!(
        "re-index with nothing changed: {:.0} ms ({} unchanged)",
        ms(t.elapsed()),
        again.unchanged
    );
    json.insert("resync_ms".into(), ms(t.elapsed()).into());

    // 4. Search latency.
    let queries = [
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
    let mut all = Vec::new();
    for q in queries {
        let req = SearchRequest {
            query: q.into(),
            limit: 10,
            ..SearchRequest::default()
        };
        for _ in 0..5 {
            idx.search(&req).unwrap();
        }
        let mut times: Vec<Duration> = (0..100)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(idx.search(&req).unwrap().total);
                t.elapsed()
            })
            .collect();
        times.sort();
        let total = idx.search(&req).unwrap().total;
        println!(
            "search {q:<16} {total:>6} hits  p50 {:>7.2} ms  p99 {:>7.2} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99))
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "search overall: p50 {:.2} ms, p99 {:.2} ms ({} searches)",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        all.len()
    );
    json.insert("search_p50_ms".into(), ms(percentile(&all, 0.5)).into());
    json.insert("search_p99_ms".into(), ms(percentile(&all, 0.99)).into());

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(
        out.join("pipeline.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    );
}
