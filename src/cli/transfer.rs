//! `kaizen-wa import` and `export`: the plan of an import reported row by
//! row before anything is written, the index updated after, and every case
//! written out for a spreadsheet. Reading and writing the formats is
//! `crate::transfer`'s; this must not parse CSV or JSON Lines itself.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{ExportArgs, Global, ImportArgs, ensure_cases_dir, sync_shown, with_progress};
use crate::case::{Severity, store};
use crate::index::{CaseIndex, IndexError};

pub(super) fn import(g: &Global, args: ImportArgs) -> Result<ExitCode> {
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

pub(super) fn export(g: &Global, args: ExportArgs) -> Result<ExitCode> {
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
