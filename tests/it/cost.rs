//! What the hybrid analysis costs (issue 5): indexing time of the hybrid
//! layout (morphological + n-gram + reading fields) against a
//! morphological-only index of the same cases, and search latency.
//!
//! Ignored by default (it takes a while): run with
//! `cargo test --release --test it -- --ignored --nocapture cost::`.
//! `KAIZEN_WA_COST_CORPUS=DIR` measures on a corpus folder (e.g. the
//! synthetic 10k one, `kaizen-wa synth`); otherwise the sample cases are
//! copied `KAIZEN_WA_COST_COPIES` times (default 200) into a temp folder.
//!
//! `query_latency` measures search alone, over the same corpus: the cost
//! test's query mix and every query of the relevance suite
//! (`tests/relevance/queries.tsv`, with its sections), each as the web API
//! asks it (10 hits, facet counts) and bare (no facets); percentiles by wall clock and by the
//! thread's CPU time, and the slowest queries. Wall and CPU figures move by
//! a third between runs on a shared machine: for small differences, count
//! instructions (`valgrind --tool=callgrind
//! --toggle-collect='*CaseIndex>::search_with'` on the test binary).
//! `KAIZEN_WA_COST_INDEX=DIR` keeps the index between runs (it is synced
//! with the corpus, so an index built by another version is rebuilt);
//! `KAIZEN_WA_COST_ROUNDS` (default 6, the first not counted);
//! `KAIZEN_WA_COST_ONLY=text` keeps the queries containing it (profiling);
//! `KAIZEN_WA_COST_SHOW=N` lists the N slowest (default 6);
//! `KAIZEN_WA_COST_OPTIMIZE=1` merges the index into one segment first, as
//! `serve` does after start-up.
//!
//! `search_floor` measures, on the same corpus, what any search of it costs
//! at the least: tantivy alone, stage by stage (one field, every text
//! field, facet counts, reading the page's cases), beside the product.
//!
//! ```text
//! kaizen-wa synth --count 10000 --out /tmp/synth10k
//! KAIZEN_WA_COST_CORPUS=/tmp/synth10k KAIZEN_WA_COST_INDEX=/tmp/idx10k \
//!   cargo test --release --test it -- --ignored --nocapture --exact cost::query_latency
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use kaizen_wa::analysis::{AnalyzerKind, analyzer, register};
use kaizen_wa::case::Case;
use kaizen_wa::case::{Section, store};
use kaizen_wa::eval::parse_queries;
use kaizen_wa::index::{CaseIndex, Fields, SearchOptions, SearchRequest, SyncReport};
use kaizen_wa::web::HitDto;
use rayon::prelude::*;

use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, TantivyDocument};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample cases, each copied `copies` times with a new id.
fn copied_corpus(into: &Path, copies: usize) {
    let cases = store::list(&root().join("cases")).unwrap();
    for f in &cases {
        let text = std::fs::read_to_string(&f.path).unwrap();
        let id = f.rel.trim_end_matches(".md");
        for i in 0..copies {
            let dir = into.join(format!("{:03}", i % 100));
            std::fs::create_dir_all(&dir).unwrap();
            let new_id = format!("{id}-{i}");
            let body = text.replacen(&format!("id = \"{id}\""), &format!("id = \"{new_id}\""), 1);
            std::fs::write(dir.join(format!("{new_id}.md")), body).unwrap();
        }
    }
}

fn load_cases(dir: &Path) -> Vec<Case> {
    store::list(dir)
        .unwrap()
        .par_iter()
        .filter_map(|f| store::load(f).ok().and_then(|l| l.parsed.case))
        .collect()
}

/// What the product indexes of a case, text by text (title, place, tags,
/// each section).
fn texts(layout: &Fields, case: &Case) -> Vec<String> {
    layout
        .texts
        .iter()
        .map(|tf| match (tf.section, tf.name) {
            (Some(section), _) => case.sections.get(section).to_owned(),
            (None, "title") => case.title.clone(),
            (None, "place") => format!("{} {}", case.municipality, case.prefecture),
            (None, "tags") => case.tags.join(" "),
            _ => String::new(),
        })
        .collect()
}

/// A text field analysed by one of our analyzers, indexed as the schema
/// indexes it (whole-word readings without positions).
fn text_field(b: &mut tantivy::schema::SchemaBuilder, name: String, kind: AnalyzerKind) -> Field {
    let record = match kind {
        AnalyzerKind::ReadingWord => IndexRecordOption::WithFreqs,
        _ => IndexRecordOption::WithFreqsAndPositions,
    };
    b.add_text_field(
        &name,
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(kind.name())
                .set_index_option(record),
        ),
    )
}

/// Seconds (wall, then CPU of every thread) to analyse and index `cases`
/// the way `CaseIndex::sync` does — each text given to its fields, our
/// analyzers registered as tantivy tokenizers (one segmentation per text,
/// shared by its fields) — with one field per text (morphological only)
/// or four (hybrid: morphological, n-gram, reading bigrams, whole-word
/// readings). Merges are waited for: they are indexing work too.
fn index_time(cases: &[Case], hybrid: bool) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Schema::builder();
    let kinds: &[AnalyzerKind] = if hybrid {
        &AnalyzerKind::ALL
    } else {
        &[AnalyzerKind::Morph]
    };
    let layout = Fields::new();
    let fields: Vec<Vec<Field>> = (0..layout.texts.len())
        .map(|i| {
            kinds
                .iter()
                .map(|k| text_field(&mut b, format!("t{i}_{}", k.name()), *k))
                .collect()
        })
        .collect();
    let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
    register(index.tokenizers());
    let writer = index.writer_with_num_threads(2, 200_000_000).unwrap();
    let started = Instant::now();
    let cpu = process_cpu_s();
    cases.par_iter().for_each(|case| {
        let mut doc = TantivyDocument::default();
        for (text, fs) in texts(&layout, case).iter().zip(&fields) {
            if text.trim().is_empty() {
                continue;
            }
            for f in fs {
                doc.add_text(*f, text);
            }
        }
        writer.add_document(doc).unwrap();
    });
    let mut writer = writer;
    writer.commit().unwrap();
    writer.wait_merging_threads().unwrap();
    (started.elapsed().as_secs_f64(), process_cpu_s() - cpu)
}

/// CPU seconds used by this process, all threads: indexing runs on rayon's
/// and tantivy's threads, and a machine shared with builds inflates wall
/// time far more than CPU time.
fn process_cpu_s() -> f64 {
    // SAFETY: an all-zero rusage is valid; getrusage only writes to it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid and writable for the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

#[test]
#[ignore = "slow: a cost measurement, run on demand"]
fn hybrid_indexing_cost_and_query_latency() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = match std::env::var_os("KAIZEN_WA_COST_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let copies = std::env::var("KAIZEN_WA_COST_COPIES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(200);
            copied_corpus(tmp.path(), copies);
            tmp.path().to_owned()
        }
    };
    let cases = load_cases(&corpus);
    analyzer(); // dictionary load is not indexing
    let (morph, morph_cpu) = index_time(&cases, false);
    let (hybrid, hybrid_cpu) = index_time(&cases, true);
    println!(
        "{} cases: morph-only {morph:.2}s, hybrid {hybrid:.2}s, ratio {:.2} (wall); CPU {morph_cpu:.2}s vs {hybrid_cpu:.2}s, ratio {:.2}",
        cases.len(),
        hybrid / morph,
        hybrid_cpu / morph_cpu
    );

    let index_dir = tempfile::tempdir().unwrap();
    let idx = CaseIndex::open_with(index_dir.path(), true).unwrap();
    let report = idx.sync(&corpus).unwrap();
    println!(
        "CaseIndex::sync: {} cases in {:.2}s",
        idx.num_cases(),
        report.elapsed.as_secs_f64()
    );
    let requests: Vec<SearchRequest> = COST_MIX.iter().map(|q| request(q, None, false)).collect();
    latency("cost mix, no facets", &idx, &requests, 5);
    assert!(
        hybrid / morph <= 2.5,
        "hybrid indexing {hybrid:.2}s is more than 2.5x morph-only {morph:.2}s"
    );
}

/// The cost test's query mix: words, kana, width and numeral variants,
/// several words, a sentence, nothing found.
const COST_MIX: [&str; 20] = [
    "改善",
    "首長交代",
    "かいぜん",
    "ＤＮＡ",
    "空港",
    "第3次",
    "職員提案",
    "首長",
    "業務改善 発表会",
    "首長交代 活動停止",
    "市民が審査に参加する改善の取り組み",
    "やらされ感",
    "ステップアップ",
    "所沢",
    "マネジャー",
    "三十年",
    "カイゼン",
    "行政経営",
    "PDCA",
    "宇宙開発",
];

fn request(query: &str, section: Option<Section>, facets: bool) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        section,
        limit: 10,
        facets,
        ..SearchRequest::default()
    }
}

/// Nanoseconds of CPU time this thread has used, so that latency can be
/// read apart from the time other processes took the cores.
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

fn percentiles(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "{label}: {} searches, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms",
        ms.len(),
        p(0.5),
        p(0.9),
        p(0.99),
        ms[ms.len() - 1],
        ms.iter().sum::<f64>() / ms.len() as f64
    );
}

/// [`latency_with`] the product's default search options.
fn latency(label: &str, idx: &CaseIndex, requests: &[SearchRequest], rounds: usize) {
    latency_with(label, idx, requests, &SearchOptions::default(), rounds);
}

/// Runs every request `rounds` times with `opts` (the first round warms up
/// and is not counted); prints p50, p99 and the queries that make the
/// tail, by wall clock and by this thread's CPU time (which a busy machine
/// inflates less).
fn latency_with(
    label: &str,
    idx: &CaseIndex,
    requests: &[SearchRequest],
    opts: &SearchOptions,
    rounds: usize,
) {
    if requests.is_empty() {
        return;
    }
    let mut ms = Vec::new();
    let mut cpu_ms = Vec::new();
    let mut slowest: Vec<(f64, String)> = Vec::new();
    for round in 0..rounds {
        for req in requests {
            let cpu = thread_cpu_ns();
            let started = Instant::now();
            let r = idx.search_with(req, opts).unwrap();
            if round > 0 {
                let t = started.elapsed().as_secs_f64() * 1000.0;
                if let (Some(a), Some(b)) = (cpu, thread_cpu_ns()) {
                    cpu_ms.push(b.saturating_sub(a) as f64 / 1e6);
                }
                ms.push(t);
                let name = match req.section {
                    Some(s) => format!("{} [{}]", req.query, s.key()),
                    None => req.query.clone(),
                };
                slowest.push((t, name));
            }
            std::hint::black_box(r);
        }
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut seen = std::collections::HashSet::new();
    slowest.retain(|(_, q)| seen.insert(q.clone()));
    percentiles(&format!("{label} (wall)"), ms);
    if !cpu_ms.is_empty() {
        percentiles(&format!("{label} (cpu) "), cpu_ms);
    }
    let show = env_count("KAIZEN_WA_COST_SHOW", 6);
    for (t, q) in slowest.iter().take(show) {
        println!("  slow: {t:>7.2} ms  {q}");
    }
}

/// The corpus and index folders of a latency measurement: those named by
/// `KAIZEN_WA_COST_CORPUS` and `KAIZEN_WA_COST_INDEX`, else the sample cases
/// copied into `tmp` and an index beside them.
fn corpus_and_index(tmp: &Path) -> (PathBuf, PathBuf) {
    let corpus = match std::env::var_os("KAIZEN_WA_COST_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            copied_corpus(tmp, 200);
            tmp.to_owned()
        }
    };
    let index_dir = match std::env::var_os("KAIZEN_WA_COST_INDEX") {
        Some(dir) => PathBuf::from(dir),
        None => tmp.join(".index"),
    };
    (corpus, index_dir)
}

/// The number in the environment variable `var`, else `default`.
fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `KAIZEN_WA_COST_ROUNDS`, else `default`.
fn rounds(default: usize) -> usize {
    env_count("KAIZEN_WA_COST_ROUNDS", default)
}

/// The measured index (see [`corpus_and_index`]), synced with its corpus;
/// the index and what the sync did.
fn synced_index(tmp: &Path) -> (CaseIndex, SyncReport) {
    let (corpus, index_dir) = corpus_and_index(tmp);
    let idx = CaseIndex::open(&index_dir).unwrap();
    let report = idx.sync(&corpus).unwrap();
    (idx, report)
}

#[test]
#[ignore = "slow: a latency measurement, run on demand"]
fn query_latency() {
    let tmp = tempfile::tempdir().unwrap();
    let (idx, report) = synced_index(tmp.path());
    if std::env::var_os("KAIZEN_WA_COST_OPTIMIZE").is_some() {
        let t = Instant::now();
        let merged = idx.optimize().unwrap();
        println!("optimize: merged={merged} in {:?}", t.elapsed());
    }
    println!(
        "{} cases ({} indexed now in {:.2}s)",
        idx.num_cases(),
        report.added + report.updated,
        report.elapsed.as_secs_f64()
    );
    let path = root().join("tests/relevance/queries.tsv");
    let judged = parse_queries(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let rounds = rounds(6);
    // Profiling one query: `KAIZEN_WA_COST_ONLY=かいぜん` keeps the queries
    // containing it.
    let only = std::env::var("KAIZEN_WA_COST_ONLY").ok();
    let keep = |q: &str| only.as_deref().is_none_or(|o| q.contains(o));
    let judged: Vec<_> = judged.into_iter().filter(|j| keep(&j.query)).collect();
    let cost_mix: Vec<&str> = COST_MIX.into_iter().filter(|q| keep(q)).collect();
    for facets in [false, true] {
        let with = if facets { "facets" } else { "no facets" };
        let mix: Vec<SearchRequest> = cost_mix.iter().map(|q| request(q, None, facets)).collect();
        latency(&format!("cost mix, {with}"), &idx, &mix, rounds);
        let suite: Vec<SearchRequest> = judged
            .iter()
            .map(|j| request(&j.query, j.section, facets))
            .collect();
        latency(&format!("relevance queries, {with}"), &idx, &suite, rounds);
    }
}

/// Words of the floor measurement: frequent and rare ones, as the
/// morphological analyzer indexes them.
const FLOOR_WORDS: [&str; 6] = ["改善", "職員", "提案", "首長", "表彰", "漫画"];

/// What a search costs at the least on this index, stage by stage, with
/// tantivy alone (no analysis, no highlighting): one word in one field;
/// in every text's morphological field; with the four facet counts; with
/// the page's cases read from the store. Then the product's search of the
/// same words, and turning its answer into JSON. These say how much of a
/// search's time any design of it must spend (`query_latency` measures
/// the product itself).
///
/// ```text
/// KAIZEN_WA_COST_CORPUS=/tmp/synth10k KAIZEN_WA_COST_INDEX=/tmp/idx10k \
///   cargo test --release --test it -- --ignored --nocapture --exact cost::search_floor
/// ```
#[test]
#[ignore = "slow: a latency measurement, run on demand"]
fn search_floor() {
    use tantivy::collector::{Count, FacetCollector, MultiCollector, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
    use tantivy::schema::{Facet, Value};
    use tantivy::{Order, Term};

    let tmp = tempfile::tempdir().unwrap();
    let (idx, _) = synced_index(tmp.path());
    let fields = idx.fields();
    let index = Index::open_in_dir(idx.dir()).unwrap();
    let searcher = index.reader().unwrap().searcher();
    println!("{} cases", searcher.num_docs());
    let rounds = rounds(200);
    let summary = fields.text("summary").unwrap().morph;
    let one = |w: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(summary, w),
            IndexRecordOption::WithFreqs,
        ))
    };
    let every = |w: &str| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            fields
                .texts
                .iter()
                .map(|t| {
                    let q: Box<dyn Query> = Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(t.morph, w),
                            IndexRecordOption::WithFreqs,
                        )),
                        t.boost,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        ))
    };
    let top = || {
        TopDocs::with_limit(10).tweak_score(|reader: &tantivy::SegmentReader| {
            let updated = reader
                .fast_fields()
                .i64("updated")
                .ok()
                .map(|c| c.first_or_default_col(0));
            move |doc, score| (score, updated.as_ref().map_or(0, |c| c.get_val(doc)))
        })
    };
    let facets = || {
        let mut multi = MultiCollector::new();
        for name in ["level", "prefecture", "kind", "decade"] {
            let mut c = FacetCollector::for_field(name);
            c.add_facet(Facet::root());
            multi.add_collector(c);
        }
        multi
    };
    for w in FLOOR_WORDS {
        let n = searcher
            .doc_freq(&Term::from_field_text(summary, w))
            .unwrap();
        println!("  {w}: in the 概要 of {n} cases");
    }
    let time = |label: &str, f: &dyn Fn(&str)| {
        let mut ms = Vec::new();
        for round in 0..rounds {
            for w in FLOOR_WORDS {
                let started = Instant::now();
                f(w);
                if round > 0 {
                    ms.push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        percentiles(label, ms);
    };
    time("one field, count + top 10", &|w| {
        std::hint::black_box(searcher.search(&*one(w), &(Count, top())).unwrap());
    });
    time("11 fields, count + top 10", &|w| {
        std::hint::black_box(searcher.search(&*every(w), &(Count, top())).unwrap());
    });
    time("11 fields, count + top 10 + facets", &|w| {
        std::hint::black_box(
            searcher
                .search(&*every(w), &(Count, top(), facets()))
                .unwrap(),
        );
    });
    time("11 fields, + facets + 10 cases read", &|w| {
        let (_, docs, _) = searcher
            .search(&*every(w), &(Count, top(), facets()))
            .unwrap();
        for (_, addr) in docs {
            let doc: TantivyDocument = searcher.doc(addr).unwrap();
            let json = doc.get_first(fields.case).and_then(|v| v.as_str()).unwrap();
            std::hint::black_box(serde_json::from_str::<Case>(json).unwrap());
        }
    });
    time("newest first, count + top 10 by date", &|w| {
        let by_date = TopDocs::with_limit(10).order_by_fast_field::<i64>("updated", Order::Desc);
        std::hint::black_box(searcher.search(&*every(w), &(Count, by_date)).unwrap());
    });
    let requests: Vec<SearchRequest> = FLOOR_WORDS.iter().map(|w| request(w, None, true)).collect();
    latency(
        "the product's search, same words",
        &idx,
        &requests,
        rounds.min(50),
    );
    let answers: Vec<_> = requests.iter().map(|r| idx.search(r).unwrap()).collect();
    let mut ms = Vec::new();
    let mut bytes = 0;
    for round in 0..rounds {
        for a in &answers {
            let started = Instant::now();
            let hits: Vec<HitDto> = a.hits.iter().cloned().map(HitDto::from).collect();
            let json = serde_json::to_vec(&hits).unwrap();
            if round > 0 {
                ms.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            bytes = bytes.max(json.len());
        }
    }
    percentiles(&format!("its hits as JSON (≤ {bytes} bytes)"), ms);
}
