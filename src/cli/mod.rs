//! The command line: one binary, one sub-command per task. Errors are
//! `anyhow` here, at the edge; exit codes: 0 ok, 1 problems found in case
//! files, 2 could not run.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::analysis;
use crate::case::{self, Level, Severity, store};
use crate::index::{CaseIndex, IndexError, SearchRequest, SearchResults, Sort, SyncReport};
use crate::printable::printable;
use crate::progress::{self, Progress};
use crate::web::SearchResponse;

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
        Command::Index { rebuild } => index(g, rebuild),
        Command::Check => check(g),
        Command::Search(args) => search(g, args),
        Command::New(args) => new(g, args),
        Command::Tokenize { text, json } => tokenize(&text, json),
        Command::Synth { count, out, source } => synth(count, &out, source),
        Command::Member { action } => member(g, action),
        Command::Import(args) => import(g, args),
        Command::Export(args) => export(g, args),
        Command::Eval(args) => eval(g, args),
        Command::Serve(args) => serve(g, args),
    }
}

/// `kaizen-wa eval`: the judged queries against a throw-away index of
/// `--cases` plus the extra folders.
fn eval(g: &Global, args: EvalArgs) -> Result<ExitCode> {
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
    let report = evaluate(&corpus.index, &queries, &args.mode.options())?;
    if args.verbose {
        for o in &report.outcomes {
            let want = o.judged.wanted();
            let dropped = if o.dropped_words.is_empty() {
                String::new()
            } else {
                format!(" dropped {:?}", o.dropped_words)
            };
            println!(
                "{:.2} {:.2} [{}] {}  → {} (total {}){dropped}\n      want {}",
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
        "{} queries over {} cases ({}), mode {:?}, synonyms: {}",
        report.outcomes.len(),
        corpus.index.num_cases(),
        sources.join(" + "),
        args.mode,
        analysis::synonyms::active().describe()
    );
    print!("{}", report.table());
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms",
        report.latency_percentile(0.5),
        report.latency_percentile(0.99)
    );
    Ok(ExitCode::SUCCESS)
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

fn index(g: &Global, rebuild: bool) -> Result<ExitCode> {
    ensure_cases_dir(g)?;
    let idx = open_index(g, rebuild)?;
    let report = sync_shown(g, &idx)?;
    print_diagnostics(&mut std::io::stderr().lock(), &report.diagnostics);
    let secs = report.elapsed.as_secs_f64();
    eprintln!(
        "indexed: {} added, {} updated, {} removed, {} unchanged, {} invalid — {} cases in {:.2}s ({:.1} cases/s, {:.2} MB/s)",
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.invalid,
        idx.num_cases(),
        secs,
        (report.added + report.updated) as f64 / secs.max(1e-9),
        report.bytes_indexed as f64 / 1e6 / secs.max(1e-9),
    );
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prefixes diagnostics' paths with the cases folder.
fn with_prefix(g: &Global, mut report: SyncReport) -> SyncReport {
    for d in &mut report.diagnostics {
        d.path = g.cases.join(&d.path);
    }
    report
}

fn check(g: &Global) -> Result<ExitCode> {
    ensure_cases_dir(g)?;
    let files = store::list(&g.cases)?;
    let mut loaded = Vec::with_capacity(files.len());
    let mut diags = Vec::new();
    for f in &files {
        match store::load(f) {
            Ok(l) => loaded.push(l),
            Err(e) => diags.push(case::Diagnostic {
                path: f.path.clone(),
                ..e.diagnostic(&f.rel)
            }),
        }
    }
    for l in &loaded {
        diags.extend(l.parsed.diagnostics.iter().cloned().map(|mut d| {
            d.path = g.cases.join(&d.path);
            d
        }));
    }
    diags.extend(store::duplicate_ids(&loaded).into_iter().map(|mut d| {
        d.path = g.cases.join(&d.path);
        d
    }));
    diags.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    let mut out = std::io::stdout().lock();
    print_diagnostics(&mut out, &diags);
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let bad_files: std::collections::BTreeSet<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| &d.path)
        .collect();
    writeln!(
        out,
        "{} files checked: {} ok, {} with errors ({errors} errors, {warnings} warnings)",
        files.len(),
        files.len() - bad_files.len(),
        bad_files.len()
    )?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn search(g: &Global, args: SearchArgs) -> Result<ExitCode> {
    let list = Level::parse_list(&args.levels);
    if let Some((l, nearest)) = list.first_unknown() {
        bail!("--level {l}: not an improvement level (did you mean {nearest}?)");
    }
    let levels = list.levels;
    let section = match &args.section {
        None => None,
        Some(s) => Some(case::Section::parse(s).with_context(|| {
            let names: Vec<_> = case::Section::ALL
                .iter()
                .map(|s| format!("{} ({})", s.heading(), s.key()))
                .collect();
            format!("--section {s}: not a section; one of: {}", names.join(", "))
        })?),
    };
    let idx = open_index(g, false)?;
    // The first search on a fresh clone builds the index.
    if idx.created || idx.num_cases() == 0 {
        ensure_cases_dir(g)?;
        eprintln!("building the index from {} …", g.cases.display());
        let report = sync_shown(g, &idx)?;
        print_diagnostics(&mut std::io::stderr().lock(), &report.diagnostics);
    }
    let req = SearchRequest {
        query: args.query.join(" "),
        levels,
        prefectures: args.prefectures,
        section,
        sort: Sort::Relevance,
        limit: args.limit,
        ..SearchRequest::default()
    };
    let results = idx.search(&req)?;
    if args.json {
        // The API's shape, as its first page of `--limit` hits.
        let json = SearchResponse::new(results, 1, args.limit, None);
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_results(&results);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(results: &SearchResults) {
    let color = std::io::stdout().is_terminal();
    let (open, close) = if color {
        ("\x1b[1;31m", "\x1b[0m")
    } else {
        ("【", "】")
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(
        out,
        "{} 件 ({:.1} ms)",
        results.total,
        results.took.as_secs_f64() * 1000.0
    );
    for s in &results.synonyms {
        let _ = writeln!(
            out,
            "同義語も検索（{}）: {}",
            printable(&s.word),
            printable(&s.synonyms.join("・"))
        );
    }
    for a in &results.also_read {
        let _ = writeln!(
            out,
            "{} → {} としても検索しました",
            printable(&a.typed),
            printable(&a.parts.join(" ＋ "))
        );
    }
    if results.partial_total > 0 {
        let _ = writeln!(
            out,
            "すべての語を含む事例は {} 件。ほかに一部の語だけを含む事例が {} 件あります（一致しない語: {}）",
            results.total,
            results.partial_total,
            printable(&results.dropped_words.join("、"))
        );
    }
    // Everything a case file says goes through `printable`: a title may
    // hold terminal escape codes.
    let p = |s: &str| printable(s).into_owned();
    let mut divided = false;
    for h in &results.hits {
        if !h.matches_every_word() && !divided {
            divided = true;
            let _ = writeln!(
                out,
                "\n── 一部の語だけを含む事例（{} 件） ──",
                results.partial_total
            );
        }
        let levels: Vec<_> = h.levels.iter().map(|l| l.name()).collect();
        let _ = writeln!(
            out,
            "\n{}  [{}]  score {:.2}",
            p(&h.title),
            p(&h.id),
            h.score
        );
        let _ = writeln!(
            out,
            "  {} · {} · {} · {}",
            p(&h.municipality),
            p(&h.prefecture),
            h.period,
            levels.join("・")
        );
        if !h.missing_words.is_empty() {
            let _ = writeln!(out, "  （含まれない: {}）", p(&h.missing_words.join("、")));
        }
        for s in &h.snippets {
            let _ = writeln!(
                out,
                "  {}: {}",
                p(s.heading),
                s.snippet.render(|t| p(t), open, close)
            );
        }
    }
}

fn new(g: &Global, args: NewArgs) -> Result<ExitCode> {
    let text = case::template(&args.id, &args.title, &args.municipality, &args.prefecture);
    let parsed = case::parse(Path::new("new.md"), &text);
    if let Some(d) = parsed.diagnostics.iter().find(|d| d.field == "id") {
        bail!("{}: {}", args.id, d.message);
    }
    let path = g.cases.join(format!("{}.md", args.id));
    store::create_atomic(&path, text.as_bytes())?;
    println!("{}", path.display());
    eprintln!("書き込みました。本文を書いたら `kaizen-wa check` で確かめてください。");
    Ok(ExitCode::SUCCESS)
}

fn tokenize(text: &str, json: bool) -> Result<ExitCode> {
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

fn synth(count: usize, out: &Path, source: Option<PathBuf>) -> Result<ExitCode> {
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
fn member(g: &Global, action: MemberAction) -> Result<ExitCode> {
    use crate::members::Members;
    let mut members = Members::load(&g.members)?;
    match action {
        MemberAction::Add { name } => {
            let secret = members.add(&name)?;
            members.save()?;
            let name = &members.list().last().expect("just added").name;
            println!("会員「{name}」を {} に登録しました。", g.members.display());
            println!(
                "次の合言葉は今だけ表示されます（保存されるのはハッシュだけです）。本人に安全な方法で渡してください:"
            );
            println!("{secret}");
        }
        MemberAction::List => {
            if members.is_empty() {
                eprintln!(
                    "会員はいません（{}）。書き込みは無効です。`kaizen-wa member add 名前` で有効になります。",
                    g.members.display()
                );
            }
            for m in members.list() {
                println!("{}\t{}", m.name, m.created);
            }
        }
        MemberAction::Remove { name } => {
            let removed = members.remove(&name)?;
            members.save()?;
            println!("会員「{}」を削除しました。", removed.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(g: &Global, args: ImportArgs) -> Result<ExitCode> {
    use crate::transfer::{self, Format};
    ensure_cases_dir(g)?;
    let format = args
        .format
        .or_else(|| Format::from_path(&args.file))
        .ok_or(transfer::TransferError::UnknownFormat)?;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let imported = match format {
        Format::Csv => transfer::read_csv(&bytes)?,
        Format::Jsonl => transfer::read_jsonl(&bytes)?,
    };
    let plan = transfer::plan(&imported, &g.cases, args.update)?;
    let errors = report_plan(&args.file, imported.rows.len(), &plan);
    if args.dry_run {
        eprintln!("--dry-run: 何も書き込んでいません。");
        return Ok(if errors > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    if errors > 0 {
        eprintln!(
            "エラーがあるため、1件も書き込みませんでした。直してからもう一度実行してください（--dry-run で確認できます）。"
        );
        return Ok(ExitCode::from(1));
    }
    let written = with_progress("書き込み", |progress| {
        transfer::execute_with(&plan, &g.cases, progress)
    })?;
    for w in &written {
        println!("{}", g.cases.join(&w.rel).display());
    }
    eprintln!("{} 件を書き込みました。", written.len());
    sync_after_import(g);
    Ok(ExitCode::SUCCESS)
}

/// An import's plan as people read it, on stderr: every problem by row,
/// the ids it derives, and a summary line. Returns the number of errors.
fn report_plan(file: &Path, rows: usize, plan: &crate::transfer::Plan) -> usize {
    let mut err = std::io::stderr().lock();
    for p in &plan.problems {
        let _ = writeln!(err, "{}:{p}", file.display());
    }
    for (row, id) in &plan.derived_ids {
        let _ = writeln!(
            err,
            "{}:{row}行目: id がないため「{id}」にします",
            file.display()
        );
    }
    let errors: Vec<_> = plan
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    let rows_with_errors: std::collections::BTreeSet<_> = errors.iter().map(|p| p.row).collect();
    let _ = writeln!(
        err,
        "{rows} 行: 追加 {} 件、更新 {} 件、エラー {} 件（{} 行）",
        plan.creates.len(),
        plan.updates.len(),
        errors.len(),
        rows_with_errors.len()
    );
    errors.len()
}

/// After an import's files are saved, the index. A running server holds
/// the index lock, and its file watcher picks the new files up instead.
fn sync_after_import(g: &Global) {
    match CaseIndex::open(&g.index).and_then(|idx| sync_shown(g, &idx)) {
        Ok(report) => eprintln!(
            "索引を更新しました（追加 {}、更新 {}）。",
            report.added, report.updated
        ),
        Err(IndexError::Locked(_)) => eprintln!(
            "索引は実行中のサーバーが使っています。サーバーがファイルの変更を取り込みます。"
        ),
        Err(e) => eprintln!(
            "警告: 索引を更新できませんでした（`kaizen-wa index` で更新してください）: {e}"
        ),
    }
}

fn export(g: &Global, args: ExportArgs) -> Result<ExitCode> {
    use crate::transfer::{self, Format};
    ensure_cases_dir(g)?;
    let mut cases = Vec::new();
    let mut skipped = 0;
    let files = store::list(&g.cases)?;
    with_progress("読み込み", |progress| {
        progress.start(files.len() as u64);
        for f in &files {
            progress.add(1);
            let problem = match store::load(f) {
                Ok(loaded) => match loaded.parsed.case {
                    Some(c) => {
                        cases.push(c);
                        continue;
                    }
                    None => "誤りがあるため書き出しません（`kaizen-wa check` で確認）".to_owned(),
                },
                Err(e) => e.reason(),
            };
            skipped += 1;
            eprintln!("{}: {problem}", f.path.display());
        }
    });
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let write = |out: &mut dyn Write| match args.format {
        Format::Csv => transfer::export_csv(&cases, out),
        Format::Jsonl => transfer::export_jsonl(&cases, out),
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)?;
            out.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let result =
                write(&mut out).and_then(|()| out.flush().map_err(transfer::TransferError::Write));
            match result {
                // `export … | head`: the reader has seen enough.
                Err(transfer::TransferError::Write(e))
                    if e.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    return Ok(ExitCode::SUCCESS);
                }
                r => r?,
            }
        }
    }
    eprintln!(
        "{} 件を書き出しました{}。",
        cases.len(),
        if skipped > 0 {
            format!("（{skipped} 件は誤りのため除外）")
        } else {
            String::new()
        }
    );
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn serve(g: &Global, args: ServeArgs) -> Result<ExitCode> {
    ensure_cases_dir(g)?;
    // The synonym tables are read on first use: read them now, beside
    // the start-up, so the first search does not wait for them.
    std::thread::spawn(analysis::synonyms::warm_up);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let config = crate::web::Config {
        cases: g.cases.clone(),
        members: Some(g.members.clone()),
        secure_cookies: args.secure_cookies,
        behind_proxy: args.behind_proxy,
        limits: crate::web::limits::Limits {
            header_timeout: std::time::Duration::from_secs(args.header_timeout),
            request_timeout: std::time::Duration::from_secs(args.request_timeout),
            max_connections: args.max_connections.max(1),
            max_connections_per_address: args.max_connections_per_address,
            max_body: args.max_body,
            ..Default::default()
        },
    };
    runtime.block_on(crate::web::serve(args.addr, config, g.index.clone()))?;
    Ok(ExitCode::SUCCESS)
}
