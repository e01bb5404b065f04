//! The commands over the case folder itself: `index` (bring the index up
//! to date with the files), `check` (every problem in every file, as a
//! report) and `new` (a case file from the template). They read and write
//! only through `case` and `index`; they must not parse or validate case
//! files themselves.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{
    Global, NewArgs, ensure_cases_dir, meaning_shown, open_index, print_diagnostics, sync_shown,
};
use crate::case::{self, Severity, store};

pub(super) fn index(g: &Global, rebuild: bool) -> Result<ExitCode> {
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
    meaning_shown(g, &idx)?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(super) fn check(g: &Global) -> Result<ExitCode> {
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

pub(super) fn new(g: &Global, args: NewArgs) -> Result<ExitCode> {
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
