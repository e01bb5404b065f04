//! The developers' commands: `tokenize` (how a text is analysed), `synth`
//! (a benchmark corpus) and `eval` (search quality on judged queries).
//! They print what `analysis`, `synthetic` and `eval` compute; they must
//! not be needed by members or the server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{EvalArgs, Global, ensure_cases_dir};
use crate::analysis;

/// `kaizen-wa eval`: the judged queries against a throw-away index of
/// `--cases` plus the extra folders.
pub(super) fn eval(g: &Global, args: EvalArgs) -> Result<ExitCode> {
    use crate::eval::{Corpus, evaluate, parse_queries};
    ensure_cases_dir(g)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let queries = parse_queries(&args.file, &text)?;
    let mut dirs = vec![g.cases.clone()];
    if args.extra_cases.is_empty() {
        let beside = args.file.parent().unwrap_or(Path::new(".")).join("cases");
        if beside.is_dir() {
            dirs.push(beside);
        }
    } else {
        dirs.extend(args.extra_cases);
    }
    let corpus = Corpus::build(&dirs)?;
    let meaning = match args.related {
        true => Some(super::meaning_shown(g, &corpus.index)?),
        false => None,
    };
    let nearest = meaning.as_ref().map(|m| m as &dyn crate::index::Nearest);
    let report = evaluate(&corpus.index, &queries, &args.mode.options(), nearest)?;
    if args.verbose {
        for o in &report.outcomes {
            let want = o.judged.wanted();
            let dropped = if o.dropped_words.is_empty() {
                String::new()
            } else {
                format!(" dropped {:?}", o.dropped_words)
            };
            let related = if o.related.is_empty() {
                String::new()
            } else {
                format!(" + related {}", o.related.join(" "))
            };
            println!(
                "{:.2} {:.2} [{}] {}  → {} (total {}){related}{dropped}\n      want {}",
                o.metrics.ndcg,
                o.metrics.recall,
                o.judged.kind,
                o.judged.query,
                o.ranked.join(" "),
                o.total,
                want.join(" ")
            );
        }
    }
    let sources: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    println!(
        "{} queries over {} cases ({}), mode {:?}, synonyms: {}, {}",
        report.outcomes.len(),
        corpus.index.num_cases(),
        sources.join(" + "),
        args.mode,
        analysis::synonyms::active().describe(),
        match args.related {
            true => "matches then related cases",
            false => "matches only",
        }
    );
    print!("{}", report.table());
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms",
        report.latency_percentile(0.5),
        report.latency_percentile(0.99)
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn tokenize(text: &str, json: bool) -> Result<ExitCode> {
    let tokens = analysis::analyzer().explain(text);
    if json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("surface\tterm\tbase\treading\tpos\tbytes\tchars");
    for t in &tokens {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}..{}\t{}..{}",
            t.surface,
            t.term
                .as_deref()
                .unwrap_or_else(|| t.dropped.unwrap_or("-")),
            t.base_form,
            t.reading,
            t.part_of_speech,
            t.byte_start,
            t.byte_end,
            t.char_start,
            t.char_end
        );
    }
    let ngrams = analysis::query_terms(analysis::AnalyzerKind::Ngram, text);
    println!("bigrams: {}", ngrams.join(" "));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn synth(count: usize, out: &Path, source: Option<PathBuf>) -> Result<ExitCode> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!("{} is not empty: choose a new folder", out.display());
    }
    let dir = source.unwrap_or_else(crate::synthetic::default_source_dir);
    let source = crate::synthetic::Source::load(&dir)
        .with_context(|| format!("reading benchmark texts in {}", dir.display()))?;
    let bytes = crate::synthetic::write_corpus(&source, count, out)?;
    eprintln!(
        "{count} cases, {:.1} MB, in {}",
        bytes as f64 / 1e6,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
