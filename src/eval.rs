//! Relevance evaluation: a judged query set → nDCG@10, recall@10 and MRR,
//! overall and per kind of query (`kaizen-wa eval`, `tests/it/relevance.rs`).
//!
//! Owns the judged-query file format and the metrics; searches through
//! [`CaseIndex::search_with`] like any other caller, over a throw-away
//! index built from copies of the case folders (never `index/`).
//!
//! File format (`tests/relevance/queries.tsv`), tab-separated, `#` comments:
//!
//! ```text
//! kind    query    judgments              section   note
//! kana    かいぜん  id-a:2 id-b:1          -         …
//! ```
//!
//! `judgments` are `id:grade` (2 highly relevant, 1 relevant) separated by
//! spaces; `-` for a no-result query. `section` is a section key or `-`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::analysis::AnalyzerKind;
use crate::case::Section;
use crate::file_error::FileError;
use crate::index::{CaseIndex, IndexError, Nearest, SearchOptions, SearchRequest};

/// Cut-off of every metric.
pub const K: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] crate::case::store::StoreError),
}

/// One judged query.
#[derive(Debug, Clone)]
pub struct Judged {
    pub line: usize,
    pub kind: String,
    pub query: String,
    pub section: Option<Section>,
    /// Case id → grade (1 or 2). Empty: nothing should be found.
    pub judgments: BTreeMap<String, u8>,
}

impl Judged {
    /// The judgments as `id:grade`, for reports.
    pub fn wanted(&self) -> Vec<String> {
        self.judgments
            .iter()
            .map(|(id, g)| format!("{id}:{g}"))
            .collect()
    }
}

/// Parses a judged-query file; `path` labels errors.
pub fn parse_queries(path: &Path, text: &str) -> Result<Vec<Judged>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| -> EvalError {
            FileError::Syntax {
                path: path.to_owned(),
                line: i + 1,
                message,
            }
            .into()
        };
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            return Err(err(format!(
                "expected kind<TAB>query<TAB>judgments, got {} column(s)",
                cols.len()
            )));
        }
        let mut judgments = BTreeMap::new();
        if cols[2].trim() != "-" {
            for j in cols[2].split_whitespace() {
                let (id, grade) = j
                    .split_once(':')
                    .ok_or_else(|| err(format!("judgment {j:?}: expected id:grade")))?;
                let grade: u8 = grade
                    .parse()
                    .ok()
                    .filter(|g| (1..=2).contains(g))
                    .ok_or_else(|| err(format!("judgment {j:?}: grade must be 1 or 2")))?;
                judgments.insert(id.to_owned(), grade);
            }
        }
        let section = match cols.get(3).map(|s| s.trim()) {
            None | Some("-") | Some("") => None,
            Some(s) => {
                Some(Section::parse(s).ok_or_else(|| err(format!("unknown section {s:?}")))?)
            }
        };
        out.push(Judged {
            line: i + 1,
            kind: cols[0].trim().to_owned(),
            query: cols[1].trim().to_owned(),
            section,
            judgments,
        });
    }
    Ok(out)
}

/// Metrics of one query, or averages over several.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    pub queries: usize,
}

impl Metrics {
    fn mean(items: &[Metrics]) -> Metrics {
        let n = items.len().max(1) as f64;
        Metrics {
            ndcg: items.iter().map(|m| m.ndcg).sum::<f64>() / n,
            recall: items.iter().map(|m| m.recall).sum::<f64>() / n,
            mrr: items.iter().map(|m| m.mrr).sum::<f64>() / n,
            queries: items.len(),
        }
    }
}

/// nDCG@K, recall@K and reciprocal rank of one ranking. A query judged to
/// have no relevant case scores 1 on all three if nothing came back and 0
/// otherwise.
pub fn score(ranked: &[String], judgments: &BTreeMap<String, u8>) -> Metrics {
    let top = &ranked[..ranked.len().min(K)];
    if judgments.is_empty() {
        let v = if ranked.is_empty() { 1.0 } else { 0.0 };
        return Metrics {
            ndcg: v,
            recall: v,
            mrr: v,
            queries: 1,
        };
    }
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let discount = |i: usize| (i as f64 + 2.0).log2();
    // A fold from +0.0, not `sum()`: a float sum starts at -0.0, and a
    // query that found nothing would print as "-0.00".
    let dcg: f64 = top
        .iter()
        .enumerate()
        .map(|(i, id)| judgments.get(id).map_or(0.0, |g| gain(*g) / discount(i)))
        .fold(0.0, |a, b| a + b);
    let mut ideal: Vec<u8> = judgments.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(K)
        .enumerate()
        .map(|(i, g)| gain(*g) / discount(i))
        .sum();
    let found = top.iter().filter(|id| judgments.contains_key(*id)).count();
    let first = top.iter().position(|id| judgments.contains_key(id));
    Metrics {
        ndcg: dcg / idcg,
        recall: found as f64 / judgments.len().min(K) as f64,
        mrr: first.map_or(0.0, |i| 1.0 / (i as f64 + 1.0)),
        queries: 1,
    }
}

/// One query's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub judged: Judged,
    /// The matches, best first (at most K).
    pub ranked: Vec<String>,
    /// The cases related by meaning shown after them (with `--related`).
    pub related: Vec<String>,
    pub total: usize,
    pub dropped_words: Vec<String>,
    pub metrics: Metrics,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub overall: Metrics,
    pub per_kind: BTreeMap<String, Metrics>,
    /// Search latency per query, milliseconds, sorted.
    pub latencies_ms: Vec<f64>,
}

impl Report {
    /// Averages the outcomes overall and per kind. Every query weighs the
    /// same, so a kind's figure is the mean over its own queries only: a
    /// kind with few queries cannot hide behind the others.
    pub fn from_outcomes(outcomes: Vec<Outcome>, mut latencies_ms: Vec<f64>) -> Report {
        latencies_ms.sort_by(f64::total_cmp);
        let mut by_kind: BTreeMap<String, Vec<Metrics>> = BTreeMap::new();
        for o in &outcomes {
            by_kind
                .entry(o.judged.kind.clone())
                .or_default()
                .push(o.metrics);
        }
        Report {
            overall: Report::mean_where(&outcomes, |_| true),
            per_kind: by_kind
                .into_iter()
                .map(|(k, v)| (k, Metrics::mean(&v)))
                .collect(),
            outcomes,
            latencies_ms,
        }
    }

    /// The mean over the queries whose kind `keep` accepts: a floor can
    /// hold for the kinds the engine already serves while newer kinds are
    /// still measured on their own.
    pub fn overall_of(&self, keep: impl Fn(&str) -> bool) -> Metrics {
        Report::mean_where(&self.outcomes, keep)
    }

    fn mean_where(outcomes: &[Outcome], keep: impl Fn(&str) -> bool) -> Metrics {
        let kept: Vec<Metrics> = outcomes
            .iter()
            .filter(|o| keep(&o.judged.kind))
            .map(|o| o.metrics)
            .collect();
        Metrics::mean(&kept)
    }

    /// The latency below which `p` (0..1) of the searches fall.
    pub fn latency_percentile(&self, p: f64) -> f64 {
        let n = self.latencies_ms.len();
        if n == 0 {
            return 0.0;
        }
        self.latencies_ms[((n as f64 * p).ceil() as usize).clamp(1, n) - 1]
    }

    /// A plain-text table: overall, then per kind.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<16} {:>7} {:>9} {:>9} {:>6}",
            "kind", "queries", "nDCG@10", "recall@10", "MRR"
        );
        let row = |s: &mut String, name: &str, m: &Metrics| {
            let _ = writeln!(
                s,
                "{:<16} {:>7} {:>9.3} {:>9.3} {:>6.3}",
                name, m.queries, m.ndcg, m.recall, m.mrr
            );
        };
        for (kind, m) in &self.per_kind {
            row(&mut s, kind, m);
        }
        row(&mut s, "ALL", &self.overall);
        s
    }
}

/// Runs every judged query against `index`: its matches, then, with
/// `nearest`, the cases related by meaning, as the search page lists them.
/// A query judged to find nothing is scored on its matches alone: related
/// cases are labelled suggestions, not answers.
pub fn evaluate(
    index: &CaseIndex,
    queries: &[Judged],
    opts: &SearchOptions,
    nearest: Option<&dyn Nearest>,
) -> Result<Report, EvalError> {
    let mut outcomes = Vec::with_capacity(queries.len());
    let mut latencies = Vec::with_capacity(queries.len());
    for q in queries {
        let req = SearchRequest {
            query: q.query.clone(),
            section: q.section,
            limit: K,
            related: if nearest.is_some() { K } else { 0 },
            ..SearchRequest::default()
        };
        let started = std::time::Instant::now();
        let results = match nearest {
            Some(nearest) => index.search_related(&req, opts, nearest)?,
            None => index.search_with(&req, opts)?,
        };
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let ranked: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
        let related: Vec<String> = results.related.iter().map(|r| r.case.id.clone()).collect();
        let listed: Vec<String> = match q.judgments.is_empty() {
            true => ranked.clone(),
            false => ranked.iter().chain(&related).cloned().collect(),
        };
        outcomes.push(Outcome {
            metrics: score(&listed, &q.judgments),
            judged: q.clone(),
            ranked,
            related,
            total: results.total,
            dropped_words: results.dropped_words,
        });
    }
    Ok(Report::from_outcomes(outcomes, latencies))
}

/// The analyzers of an evaluation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Every analyzer with its weight (what `search` does).
    Hybrid,
    /// Morphological terms only.
    Morph,
    /// Character bigrams only.
    Ngram,
}

impl Mode {
    pub fn options(self) -> SearchOptions {
        SearchOptions {
            analyzers: match self {
                Mode::Hybrid => AnalyzerKind::ALL.to_vec(),
                Mode::Morph => vec![AnalyzerKind::Morph],
                Mode::Ngram => vec![AnalyzerKind::Ngram],
            },
        }
    }
}

/// A throw-away index over copies of several case folders, removed when
/// dropped.
pub struct Corpus {
    pub index: CaseIndex,
    /// Declared after `index`: fields drop in order, so the index (and its
    /// file watcher) is closed before its folder is removed.
    _dir: RemoveOnDrop,
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Corpus {
    pub fn build(case_dirs: &[PathBuf]) -> Result<Corpus, EvalError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("kaizen-wa-eval-{}-{nanos}", std::process::id()));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| EvalError::from(FileError::Io { path, source })
        };
        let guard = RemoveOnDrop(dir.clone());
        let cases = dir.join("cases");
        // Every case file the collection would hold, subfolders included
        // (a collection may be sorted by prefecture), as `serve` sees it.
        for (i, src) in case_dirs.iter().enumerate() {
            let into = cases.join(i.to_string());
            for file in crate::case::store::list(src)? {
                let to = into.join(&file.rel);
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(io(parent))?;
                }
                fs::copy(&file.path, &to).map_err(io(&file.path))?;
            }
        }
        let index = CaseIndex::open_with(&dir.join("index"), true)?;
        let report = index.sync(&cases)?;
        if report.has_errors() {
            let first = report
                .diagnostics
                .first()
                .map(|d| d.to_string())
                .unwrap_or_default();
            return Err(FileError::Syntax {
                path: cases,
                line: 0,
                message: format!("invalid case files in the corpus: {first}"),
            }
            .into());
        }
        Ok(Corpus { index, _dir: guard })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The corpus holds every case file of its folders, subfolders
    /// included, and nothing else (as `serve` reads a collection).
    #[test]
    fn corpus_reads_subfolders_as_the_collection_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let samples = crate::case::store::list(&root).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let folder = tmp.path();
        let place = |rel: &str, from: &Path| {
            let to = folder.join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(from, to).unwrap();
        };
        place("top.md", &samples[0].path);
        place("mie/one.md", &samples[1].path);
        place("kanto/saitama/two.md", &samples[2].path);
        place("_drafts/not-yet.md", &samples[3].path);
        fs::write(folder.join("README.md"), "# cases\n").unwrap();
        let corpus = Corpus::build(&[folder.to_owned()]).unwrap();
        assert_eq!(corpus.index.num_cases(), 3);
    }

    fn judged(pairs: &[(&str, u8)]) -> BTreeMap<String, u8> {
        pairs.iter().map(|(id, g)| (id.to_string(), *g)).collect()
    }
    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_ranking_scores_one() {
        let m = score(&ids(&["a", "b", "x"]), &judged(&[("a", 2), ("b", 1)]));
        assert!(
            (m.ndcg - 1.0).abs() < 1e-9 && m.recall == 1.0 && m.mrr == 1.0,
            "{m:?}"
        );
    }

    #[test]
    fn swapped_grades_lose_ndcg_not_recall() {
        let m = score(&ids(&["b", "a"]), &judged(&[("a", 2), ("b", 1)]));
        assert!(m.ndcg < 0.9 && m.recall == 1.0 && m.mrr == 1.0, "{m:?}");
        let m = score(&ids(&["x", "a"]), &judged(&[("a", 2), ("b", 1)]));
        assert_eq!((m.recall, m.mrr), (0.5, 0.5));
    }

    #[test]
    fn no_result_queries_score_on_silence() {
        assert_eq!(score(&[], &judged(&[])).recall, 1.0);
        assert_eq!(score(&ids(&["a"]), &judged(&[])).ndcg, 0.0);
    }

    fn outcome(kind: &str, ranked: &[&str], judgments: &[(&str, u8)]) -> Outcome {
        let judgments = judged(judgments);
        let ranked = ids(ranked);
        Outcome {
            metrics: score(&ranked, &judgments),
            judged: Judged {
                line: 1,
                kind: kind.to_owned(),
                query: "q".to_owned(),
                section: None,
                judgments,
            },
            ranked,
            related: Vec::new(),
            total: 0,
            dropped_words: Vec::new(),
        }
    }

    /// Each kind is averaged over its own queries, the overall figure over
    /// every query, and the table has a row per kind plus ALL.
    #[test]
    fn report_averages_per_kind_and_overall() {
        let report = Report::from_outcomes(
            vec![
                outcome("kana", &["a"], &[("a", 2)]),
                outcome("kana", &["x"], &[("a", 2)]),
                outcome("obstacle", &["x", "a"], &[("a", 2)]),
                outcome("no-result", &[], &[]),
            ],
            vec![3.0, 1.0, 2.0, 4.0],
        );
        let kana = report.per_kind["kana"];
        assert_eq!((kana.queries, kana.recall, kana.mrr), (2, 0.5, 0.5));
        let obstacle = report.per_kind["obstacle"];
        assert_eq!((obstacle.recall, obstacle.mrr), (1.0, 0.5));
        assert!((obstacle.ndcg - 1.0 / 3f64.log2()).abs() < 1e-9);
        assert_eq!(report.per_kind["no-result"].ndcg, 1.0);
        assert_eq!(report.overall.queries, 4);
        assert!((report.overall.recall - 0.75).abs() < 1e-9);
        assert!((report.overall.mrr - 2.5 / 4.0).abs() < 1e-9);
        let old = report.overall_of(|k| k != "obstacle");
        assert_eq!(old.queries, 3);
        assert!((old.mrr - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(report.latency_percentile(0.5), 2.0);
        let table = report.table();
        let rows: Vec<&str> = table
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(rows, ["kind", "kana", "no-result", "obstacle", "ALL"]);
        assert!(
            table.contains("kana                   2     0.500     0.500  0.500"),
            "{table}"
        );
    }

    #[test]
    fn a_query_that_found_nothing_scores_plus_zero() {
        let m = score(&[], &judged(&[("a", 2)]));
        assert_eq!(format!("{:.2}", m.ndcg), "0.00");
    }

    #[test]
    fn file_errors_name_the_line() {
        let e = parse_queries(Path::new("q.tsv"), "kana\tかいぜん\ta:3\n").unwrap_err();
        assert!(e.to_string().starts_with("q.tsv:1:"), "{e}");
        let q = parse_queries(Path::new("q.tsv"), "# c\nno-result\t宇宙\t-\t-\n").unwrap();
        assert!(q[0].judgments.is_empty());
    }
}
