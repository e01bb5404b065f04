//! The command line: one binary, one sub-command per task. Errors are
//! `anyhow` here, at the edge; exit codes: 0 ok, 1 problems found in case
//! files, 2 could not run.
//!
//! This file owns the arguments (every sub-command's flags), the dispatch
//! in [`run`], and the few steps several commands share (opening the index,
//! syncing it with progress shown, printing diagnostics). Each command's
//! body lives in a sibling module by what it works on: `cases` (index,
//! check, new), `search`, `transfer` (import, export), `serve` (the site
//! and its members), `tools` (tokenize, synth, eval). None of them holds
//! logic the server also needs: that belongs in the library modules they
//! call.

mod cases;
mod search;
mod serve;
mod tools;
mod transfer;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::analysis;
use crate::case;
use crate::index::{CaseIndex, IndexError, SyncReport};
use crate::meaning::Meaning;
use crate::progress::{self, Progress};

#[derive(Debug, Parser)]
#[command(
    name = "kaizen-wa",
    version,
    about = "自治体改善運動の事例ナレッジベース / A knowledge base of Japanese municipal improvement campaigns"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Folder of case files (the source of truth).
    #[arg(long, global = true, env = "KAIZEN_WA_CASES", default_value = "cases")]
    pub cases: PathBuf,
    /// Folder of the search index (derived; safe to delete).
    #[arg(long, global = true, env = "KAIZEN_WA_INDEX", default_value = "index")]
    pub index: PathBuf,
    /// Members file (names and password hashes; keep it out of git).
    #[arg(long, global = true, env = "KAIZEN_WA_MEMBERS", default_value = crate::members::DEFAULT_FILE)]
    pub members: PathBuf,
    /// Synonyms file applied when searching (default: dict/synonyms.txt if
    /// it exists, else the built-in copy).
    #[arg(long, global = true, env = "KAIZEN_WA_SYNONYMS")]
    pub synonyms: Option<PathBuf>,
    /// Search without the Sudachi synonym dictionary: only the synonyms
    /// file's own rules (to measure what the dictionary adds).
    #[arg(long, global = true, env = analysis::synonyms::NO_SUDACHI_ENV,
          value_parser = clap::builder::FalseyValueParser::new())]
    pub no_sudachi: bool,
    /// Without cases related by meaning: no vectors computed (`index`,
    /// `serve`), no related cases after the matches, 似た事例 by shared
    /// words. For large benchmark corpora: a vector takes ~0.1–0.5 s of CPU
    /// per case.
    #[arg(long, global = true, env = crate::meaning::OFF_ENV,
          value_parser = clap::builder::FalseyValueParser::new())]
    pub no_meaning: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Update the index from the case files (only what changed).
    Index {
        /// Start over from an empty index.
        #[arg(long)]
        rebuild: bool,
    },
    /// Validate every case file and report every problem.
    Check,
    /// Search the cases.
    Search(SearchArgs),
    /// Write a new case file from the template (never overwrites).
    New(NewArgs),
    /// Show how a text is analysed (tokens, base forms, readings, offsets).
    Tokenize {
        /// The text to analyse.
        text: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a deterministic synthetic corpus of valid cases (benchmarks).
    Synth {
        /// How many cases.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Folder to write into (created; must be empty or absent).
        #[arg(long)]
        out: PathBuf,
        /// Folder of public-domain *.txt prose to draw sentences from.
        #[arg(long)]
        source: Option<PathBuf>,
    },
    /// Manage the members who may write cases.
    Member {
        #[command(subcommand)]
        action: MemberAction,
    },
    /// Import cases from CSV (UTF-8 or Shift_JIS, as Excel saves it) or JSON Lines.
    Import(ImportArgs),
    /// Export every case as CSV (UTF-8 with BOM, for Excel) or JSON Lines.
    Export(ExportArgs),
    /// Measure search quality on judged queries (nDCG@10, recall@10, MRR).
    Eval(EvalArgs),
    /// Serve the web UI and JSON API (indexes the cases first if needed).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KAIZEN_WA_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: std::net::SocketAddr,
    /// Mark the session cookie `Secure` on every request (the site is
    /// reached over https). Without it, cookies are `Secure` when a proxy
    /// sends `X-Forwarded-Proto: https`.
    #[arg(long, env = "KAIZEN_WA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Behind a reverse proxy: rate-limit failed logins by the last
    /// `X-Forwarded-For` address instead of the proxy's.
    #[arg(long, env = "KAIZEN_WA_BEHIND_PROXY")]
    pub behind_proxy: bool,
    /// Seconds a client may take to send a request's head, counted from
    /// when the connection waits for one (also how long an idle
    /// kept-alive connection stays open).
    #[arg(long, env = "KAIZEN_WA_HEADER_TIMEOUT", default_value_t = crate::web::limits::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a request may run before it is answered 408.
    #[arg(long, env = "KAIZEN_WA_REQUEST_TIMEOUT", default_value_t = crate::web::limits::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Open connections at most; more wait in the OS's queue.
    #[arg(long, env = "KAIZEN_WA_MAX_CONNECTIONS", default_value_t = crate::web::limits::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Open connections from one client address at most (0: no cap; not
    /// applied with --behind-proxy).
    #[arg(long, env = "KAIZEN_WA_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = crate::web::limits::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Largest request body of a member's write, in bytes.
    #[arg(long, env = "KAIZEN_WA_MAX_BODY", default_value_t = crate::web::limits::DEFAULT_MAX_BODY)]
    pub max_body: usize,
}

#[derive(Debug, Subcommand)]
pub enum MemberAction {
    /// Add a member and print their new secret (once, on the last line).
    Add {
        /// The member's name (recorded as contributor of their edits).
        name: String,
    },
    /// List members (names and dates; secrets are never stored).
    List,
    /// Remove a member: their secret stops working.
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import (.csv or .jsonl).
    pub file: PathBuf,
    /// Report every problem and what would be written, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace existing cases with the same id (never done without this).
    #[arg(long)]
    pub update: bool,
    /// File format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub format: Option<crate::transfer::Format>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// csv (UTF-8 with BOM, Japanese headers) or jsonl (one case per line).
    #[arg(long, value_enum)]
    pub format: crate::transfer::Format,
    /// Write here instead of to standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Judged queries (tests/relevance/queries.tsv).
    pub file: PathBuf,
    /// Which analyzers the query builder may use.
    #[arg(long, value_enum, default_value = "hybrid")]
    pub mode: crate::eval::Mode,
    /// More case folders to search besides --cases (default: the `cases`
    /// folder next to FILE, if any).
    #[arg(long = "extra-cases")]
    pub extra_cases: Vec<PathBuf>,
    /// Print every query with its ranking.
    #[arg(long)]
    pub verbose: bool,
    /// Rank as the search page shows: each query's matches, then the cases
    /// related by meaning (the vectors are computed first).
    #[arg(long)]
    pub related: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words are ANDed; "phrase", -exclude, a OR b.
    pub query: Vec<String>,
    /// Only cases of this improvement level (repeatable: any of them).
    #[arg(long = "level")]
    pub levels: Vec<String>,
    /// Only cases in this prefecture (repeatable).
    #[arg(long = "prefecture")]
    pub prefectures: Vec<String>,
    /// Search only one narrative section (e.g. 失敗・課題 or failures).
    #[arg(long)]
    pub section: Option<String>,
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Cases related by meaning to show after the matches (0: none). The
    /// vectors of new or changed cases are computed first.
    #[arg(long, default_value_t = 5)]
    pub related: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// URL-safe id (lowercase letters, digits, hyphens), e.g. fukuoka-dna-undo.
    pub id: String,
    /// 事例名.
    #[arg(long, default_value = "（事例名）")]
    pub title: String,
    /// 自治体名.
    #[arg(long, default_value = "")]
    pub municipality: String,
    /// 都道府県 (or 全国).
    #[arg(long, default_value = "")]
    pub prefecture: String,
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    if g.synonyms.is_some() || g.no_sudachi {
        let rules = match &g.synonyms {
            Some(path) => analysis::synonyms::Synonyms::from_file(path)?,
            None => analysis::synonyms::Synonyms::default_source()?,
        };
        analysis::synonyms::install(if g.no_sudachi {
            rules.without_sudachi()
        } else {
            rules
        });
    }
    match cli.command {
        Command::Index { rebuild } => cases::index(g, rebuild),
        Command::Check => cases::check(g),
        Command::Search(args) => search::search(g, args),
        Command::New(args) => cases::new(g, args),
        Command::Tokenize { text, json } => tools::tokenize(&text, json),
        Command::Synth { count, out, source } => tools::synth(count, &out, source),
        Command::Member { action } => serve::member(g, action),
        Command::Import(args) => transfer::import(g, args),
        Command::Export(args) => transfer::export(g, args),
        Command::Eval(args) => tools::eval(g, args),
        Command::Serve(args) => serve::serve(g, args),
    }
}

fn open_index(g: &Global, rebuild: bool) -> Result<CaseIndex> {
    CaseIndex::open_with(&g.index, rebuild)
        .with_context(|| format!("opening the index in {}", g.index.display()))
}

fn ensure_cases_dir(g: &Global) -> Result<()> {
    if !g.cases.is_dir() {
        bail!(
            "case folder {} not found (run from the project folder, or pass --cases DIR)",
            g.cases.display()
        );
    }
    Ok(())
}

/// Diagnostics, one a line. `index` writes them to stderr (they accompany
/// its work); `check` to stdout (they are its report: `check > report.txt`).
fn print_diagnostics(out: &mut dyn Write, diags: &[case::Diagnostic]) {
    for d in diags {
        let _ = writeln!(out, "{d}");
    }
}

/// Runs `work` with its progress on stderr under `label` (a bar at a
/// terminal, plain lines otherwise), ended when `work` returns.
fn with_progress<T>(label: &str, work: impl FnOnce(&Progress) -> T) -> T {
    let progress = Progress::new();
    let shown = progress::Shown::stderr(label, Arc::clone(&progress));
    let out = work(&progress);
    shown.finish();
    out
}

/// A sync of the case folder, its progress shown; diagnostics name files
/// as `cases/…` (see [`with_prefix`]).
fn sync_shown(g: &Global, idx: &CaseIndex) -> Result<SyncReport, IndexError> {
    let report = with_progress("索引", |progress| idx.sync_with(&g.cases, progress))?;
    Ok(with_prefix(g, report))
}

/// The index's vectors, brought up to date with its cases on every core,
/// the progress on stderr; turned off by `--no-meaning`.
fn meaning_shown(g: &Global, idx: &CaseIndex) -> Result<Meaning> {
    let meaning = Meaning::open_unless(idx.dir(), g.no_meaning);
    if !meaning.is_on() {
        return Ok(meaning);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = std::time::Instant::now();
    let shown = progress::Shown::stderr("意味ベクトル", Arc::clone(meaning.progress()));
    let embedded = meaning.catch_up(idx, cores)?;
    // Nothing to embed (every case has its vector): no line at all, as a
    // search prints nothing about an index already in line.
    if embedded == 0 {
        drop(shown);
    } else {
        shown.finish();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "vectors: {embedded} cases embedded in {secs:.1}s ({:.2} s per case, {cores} at a time)",
            secs / embedded as f64
        );
    }
    Ok(meaning)
}

/// Prefixes diagnostics' paths with the cases folder.
fn with_prefix(g: &Global, mut report: SyncReport) -> SyncReport {
    for d in &mut report.diagnostics {
        d.path = g.cases.join(&d.path);
    }
    report
}
