//! What the hybrid analysis costs (issue 5): indexing time of the hybrid
//! layout (morphological + n-gram + reading fields) against a
//! morphological-only index of the same cases, and search latency.
//!
//! Ignored by default (it takes a while): run with
//! `cargo test --release --test cost -- --ignored --nocapture`.
//! `KAIZEN_WA_COST_CORPUS=DIR` measures on a corpus folder (e.g. the
//! synthetic 10k one, `kaizen-wa synth`); otherwise the sample cases are
//! copied `KAIZEN_WA_COST_COPIES` times (default 200) into a temp folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kaizen_wa::analysis::{Analysis, analyzer};
use kaizen_wa::case::Case;
use kaizen_wa::case::store;
use kaizen_wa::index::{CaseIndex, SearchRequest};
use rayon::prelude::*;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{PreTokenizedString, Token};
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

fn texts(case: &Case) -> Vec<String> {
    let mut out = vec![
        case.title.clone(),
        format!("{} {}", case.municipality, case.prefecture),
        case.tags.join(" "),
    ];
    out.extend(case.narrative().map(|(_, t)| t.to_owned()));
    out
}

fn opts() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

fn tokens(terms: &[kaizen_wa::analysis::Term]) -> PreTokenizedString {
    PreTokenizedString {
        text: String::new(),
        tokens: terms
            .iter()
            .map(|t| Token {
                offset_from: t.start,
                offset_to: t.end,
                position: t.position,
                text: t.text.clone(),
                position_length: 1,
            })
            .collect(),
    }
}

/// Seconds to analyse and index `cases` with `kinds` fields per text (1:
/// morphological only; 3: hybrid), as `CaseIndex::sync` does.
fn index_time(cases: &[Case], hybrid: bool) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Schema::builder();
    let fields: Vec<[Field; 3]> = (0..11)
        .map(|i| {
            [
                b.add_text_field(&format!("t{i}"), opts()),
                b.add_text_field(&format!("t{i}_ng"), opts()),
                b.add_text_field(&format!("t{i}_rd"), opts()),
            ]
        })
        .collect();
    let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
    let writer = index.writer_with_num_threads(2, 200_000_000).unwrap();
    let started = Instant::now();
    cases.par_iter().for_each(|case| {
        let mut doc = TantivyDocument::default();
        for (text, f) in texts(case).iter().zip(&fields) {
            if hybrid {
                let a = Analysis::of(text);
                doc.add_pre_tokenized_text(f[0], tokens(&a.morph));
                doc.add_pre_tokenized_text(f[1], tokens(&a.ngram));
                doc.add_pre_tokenized_text(f[2], tokens(&a.reading));
            } else {
                doc.add_pre_tokenized_text(f[0], tokens(&analyzer().terms(text)));
            }
        }
        writer.add_document(doc).unwrap();
    });
    let mut writer = writer;
    writer.commit().unwrap();
    started.elapsed().as_secs_f64()
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
    let morph = index_time(&cases, false);
    let hybrid = index_time(&cases, true);
    println!(
        "{} cases: morph-only {morph:.2}s, hybrid {hybrid:.2}s, ratio {:.2}",
        cases.len(),
        hybrid / morph
    );

    let index_dir = tempfile::tempdir().unwrap();
    let idx = CaseIndex::open_with(index_dir.path(), true).unwrap();
    let report = idx.sync(&corpus).unwrap();
    println!(
        "CaseIndex::sync: {} cases in {:.2}s",
        idx.num_cases(),
        report.elapsed.as_secs_f64()
    );
    let queries = [
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
    let mut ms = Vec::new();
    let mut slowest: Vec<(f64, &str)> = Vec::new();
    for round in 0..5 {
        for q in queries {
            let started = Instant::now();
            let r = idx
                .search(&SearchRequest {
                    query: q.into(),
                    limit: 10,
                    ..SearchRequest::default()
                })
                .unwrap();
            if round > 0 {
                let t = started.elapsed().as_secs_f64() * 1000.0;
                ms.push(t);
                slowest.push((t, q));
            }
            std::hint::black_box(r);
        }
    }
    ms.sort_by(f64::total_cmp);
    // Which queries make the tail: the slowest of every round.
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.dedup_by_key(|(_, q)| *q);
    for (t, q) in slowest.iter().take(5) {
        println!("  slow: {t:>7.2} ms  {q}");
    }
    let p = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "search latency over {} searches: p50 {:.2} ms, p99 {:.2} ms",
        ms.len(),
        p(0.5),
        p(0.99)
    );
    assert!(
        hybrid / morph <= 2.5,
        "hybrid indexing {hybrid:.2}s is more than 2.5x morph-only {morph:.2}s"
    );
}
