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
//!
//! `KAIZEN_WA_BENCH_PHASES` picks phases (comma-separated; default all):
//! `dict`, `raw`, `corpus`, `index`, `morph`, `search`. `morph` indexes the same
//! corpus with the foundation's analysis alone (the morphological fields,
//! without the n-gram and reading fields of the hybrid), so the hybrid's
//! cost can be read against it.
//!
//! On a busy machine, compare instruction counts instead of seconds, one
//! phase per run (`raw` segments bocchan.txt 16 times, 5.0 MB):
//! `KAIZEN_WA_BENCH_CASES=500 KAIZEN_WA_BENCH_PHASES=index valgrind --tool=callgrind target/release/deps/pipeline-*`

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use kaizen_wa::case::store;
use kaizen_wa::index::{CaseIndex, SearchRequest};
use kaizen_wa::synthetic;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use rayon::prelude::*;

/// The same allocator as the binary, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // Under callgrind (instruction counts, immune to a busy machine), set
    // KAIZEN_WA_BENCH_SEARCHES=1 to keep the run short.
    let search_rounds: usize = std::env::var("KAIZEN_WA_BENCH_SEARCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let phases = std::env::var("KAIZEN_WA_BENCH_PHASES")
        .unwrap_or_else(|_| "dict,raw,index,morph,search".into());
    let phase = |name: &str| phases.split(',').any(|p| p.trim() == name);
    let data = synthetic::default_source_dir();
    let mut json = serde_json::Map::new();

    if phase("dict") {
        dict_load(&mut json);
    }
    let one = if phase("raw") {
        raw_segmentation(&data, &mut json)
    } else {
        f64::NAN
    };
    if !(phase("index") || phase("morph") || phase("search") || phase("corpus")) {
        write_json(&json);
        return;
    }

    // The synthetic corpus (phase `corpus` alone: its cost, to subtract
    // from instruction counts).
    let tmp = tempfile::tempdir().expect("temp dir");
    let corpus = tmp.path().join("cases");
    let source = synthetic::Source::load(&data).expect("benchmark texts");
    let bytes = synthetic::write_corpus(&source, cases, &corpus).expect("write corpus");
    let mb = bytes as f64 / 1e6;

    if phase("morph") {
        let secs = morph_only_index(&corpus, &tmp.path().join("morph-index"));
        let mb_s = mb / secs;
        println!(
            "morphological-only index of the same cases: {secs:.2} s, {:.0} cases/s, {mb_s:.2} MB/s = {:.0} % of raw segmentation on 2 cores",
            cases as f64 / secs,
            mb_s / (one * 2.0) * 100.0
        );
        json.insert("morph_index_seconds".into(), secs.into());
        json.insert("morph_index_mb_s".into(), mb_s.into());
    }
    if !(phase("index") || phase("search")) {
        write_json(&json);
        return;
    }

    // The product's (hybrid) index: `kaizen-wa index`.
    let index_dir = tmp.path().join("index");
    let rss_before = peak_rss_mb().unwrap_or(0.0);
    let t = Instant::now();
    let idx = CaseIndex::open(&index_dir).expect("open index");
    let report = idx.sync(&corpus).expect("index");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.added, cases, "{:?}", report.diagnostics.first());
    let mb_s = mb / secs;
    let ratio = mb_s / (one * 2.0);
    println!(
        "index {cases} cases ({mb:.3} MB of case files): {secs:.2} s, {:.0} cases/s, {mb_s:.2} MB/s = {:.0} % of raw segmentation on 2 cores; peak RSS {:.0} MB (before indexing {:.0} MB); index size {:.1} MB",
        cases as f64 / secs,
        ratio * 100.0,
        peak_rss_mb().unwrap_or(0.0),
        rss_before,
        idx.size_bytes() as f64 / 1e6,
    );
    if let Some(morph) = json.get("morph_index_seconds").and_then(|v| v.as_f64()) {
        println!(
            "hybrid / morphological-only indexing time: {:.2}",
            secs / morph
        );
    }
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

    if phase("search") {
        search_latency(&idx, search_rounds, &mut json);
    }
    write_json(&json);
}

/// Dictionary load: zero-copy views over the embedded bytes.
fn dict_load(json: &mut serde_json::Map<String, serde_json::Value>) {
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
}

/// Raw lindera segmentation of bocchan.txt on 1 and 2 threads (MB/s);
/// returns the 1-thread figure.
fn raw_segmentation(data: &Path, json: &mut serde_json::Map<String, serde_json::Value>) -> f64 {
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
    one
}

/// Indexes `corpus` as `kaizen-wa index` does (parse, same stored and
/// facet fields, analysis in tantivy's indexing threads, one commit) but
/// with the foundation's analysis only: one morphological field per text.
/// Returns the seconds taken.
fn morph_only_index(corpus: &Path, dir: &Path) -> f64 {
    use tantivy::schema::{
        FAST, FacetOptions, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
        TextOptions,
    };
    use tantivy::{Index, TantivyDocument, schema::Facet};

    std::fs::create_dir_all(dir).expect("morph index dir");
    let t = Instant::now();
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let path = b.add_text_field("path", STRING | STORED);
    let hash = b.add_text_field("hash", STORED);
    let stored = b.add_text_field("case", STORED);
    let level = b.add_facet_field("level", FacetOptions::default());
    let prefecture = b.add_facet_field("prefecture", FacetOptions::default());
    let start_year = b.add_i64_field("start_year", INDEXED | FAST);
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("morph_only")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // The product's texts (title, place, tags, each section), one
    // morphological field each.
    let layout = kaizen_wa::index::Fields::new();
    let texts: Vec<_> = layout
        .texts
        .iter()
        .map(|tf| b.add_text_field(tf.name, opts.clone()))
        .collect();
    let index = Index::create_in_dir(dir, b.build()).expect("morph index");
    index.tokenizers().register("morph_only", MorphOnly);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(2, 200 << 20)
        .expect("writer");
    let files = store::list(corpus).expect("corpus");
    let docs: Vec<TantivyDocument> = files
        .par_iter()
        .map(|f| {
            let bytes = std::fs::read(&f.path).expect("case file");
            let loaded = store::load_bytes(f.clone(), &bytes);
            let mut doc = TantivyDocument::default();
            doc.add_text(hash, &loaded.hash);
            let case = loaded.parsed.case.expect("valid case");
            doc.add_text(id, &case.id);
            doc.add_text(path, &f.rel);
            doc.add_text(stored, serde_json::to_string(&case).unwrap());
            for l in &case.levels {
                doc.add_facet(level, Facet::from_path([l.name()]));
            }
            doc.add_facet(prefecture, Facet::from_path([case.prefecture.as_str()]));
            doc.add_i64(start_year, i64::from(case.period.start));
            for (field, tf) in texts.iter().zip(&layout.texts) {
                let value = match (tf.section, tf.name) {
                    (Some(section), _) => case.sections.get(section).to_owned(),
                    (None, "title") => case.title.clone(),
                    (None, "place") => format!("{} {}", case.municipality, case.prefecture),
                    (None, "tags") => case.tags.join(" "),
                    _ => String::new(),
                };
                if !value.trim().is_empty() {
                    doc.add_text(*field, value);
                }
            }
            doc
        })
        .collect();
    for doc in docs {
        writer.add_document(doc).expect("add");
    }
    writer.commit().expect("commit");
    t.elapsed().as_secs_f64()
}

/// The product's morphological analyzer alone: the product's tokenizer
/// works out every analyzer's terms of a text at once (its fields ask for
/// all of them), readings included, which a morphological-only index
/// would not.
#[derive(Clone)]
struct MorphOnly;

struct MorphTokens {
    tokens: Vec<tantivy::tokenizer::Token>,
    next: usize,
}

impl tantivy::tokenizer::Tokenizer for MorphOnly {
    type TokenStream<'a> = MorphTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MorphTokens {
        let tokens = kaizen_wa::analysis::analyzer()
            .terms(text)
            .into_iter()
            .map(|t| tantivy::tokenizer::Token {
                offset_from: t.start,
                offset_to: t.end,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        MorphTokens { tokens, next: 0 }
    }
}

impl tantivy::tokenizer::TokenStream for MorphTokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Search latency percentiles over the hybrid index.
fn search_latency(
    idx: &CaseIndex,
    search_rounds: usize,
    json: &mut serde_json::Map<String, serde_json::Value>,
) {
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
        for _ in 0..search_rounds.min(5) {
            idx.search(&req).unwrap();
        }
        let mut times: Vec<Duration> = (0..search_rounds)
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
}

fn write_json(json: &serde_json::Map<String, serde_json::Value>) {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(
        out.join("pipeline.json"),
        serde_json::to_string_pretty(json).unwrap(),
    );
}
