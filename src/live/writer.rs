//! The writer thread: the one place the running server writes the index.
//! It takes commands (members' writes, watcher paths, re-syncs, the
//! start-up sync, a merge), merges whatever is waiting into one round with
//! one commit, and keeps the list of case files that do not validate.
//!
//! Owns the order of a round and the invalid-file list; it must not write
//! case files (members' writes reach it already on disk) nor watch them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::InvalidFile;
use super::faults::sync_gate;
use super::watcher::changed_rels;
use crate::case::{Diagnostic, FileChange, Severity, store};
use crate::index::{CaseIndex, IndexError, SyncReport};
use crate::progress::{self, Progress};

/// Where the writer thread reports one write's commit.
pub(super) type Reply = mpsc::Sender<Result<(), IndexError>>;

/// What the handle and the watcher ask of the writer thread.
pub(super) enum Command {
    Apply(Vec<FileChange>, Reply),
    /// Absolute paths a watcher saw change.
    Changed(Vec<PathBuf>),
    /// Re-sync everything; the sender, if any, gets the report.
    Resync(Option<mpsc::Sender<Result<SyncReport, IndexError>>>),
    /// The start-up sync: a full one, after which the index is ready.
    Startup,
    /// Merge the index into one segment (after the start-up sync).
    Optimize,
    Shutdown,
}

/// Called on the writer thread after a round that committed.
pub(super) type Listener = Box<dyn Fn() + Send + Sync>;

/// What the handle and the writer thread share.
pub(super) struct Shared {
    pub(super) index: Arc<CaseIndex>,
    /// Canonical path of the cases folder (watcher paths are under it).
    pub(super) cases: PathBuf,
    pub(super) invalid: Mutex<BTreeMap<String, InvalidFile>>,
    pub(super) listeners: Mutex<Vec<Listener>>,
    /// Re-syncs of outside edits since start (of some files, or of all).
    pub(super) resyncs: AtomicU64,
    /// Files read by the running (or last) full sync.
    pub(super) progress: Arc<Progress>,
    /// Set by the first full sync that succeeds.
    pub(super) ready: AtomicBool,
    /// The start-up sync's outcome, once known (errors as text: they are
    /// for logs and callers that wait).
    pub(super) startup: Mutex<Option<Result<SyncReport, String>>>,
    pub(super) startup_done: Condvar,
}

/// What one round asks of the writer thread: every command that was
/// waiting when it woke, merged, so that they share one commit.
#[derive(Default)]
struct Round {
    applies: Vec<(Vec<FileChange>, Reply)>,
    /// Paths the watcher saw change, for a partial re-sync.
    changed: Vec<PathBuf>,
    /// Callers waiting for the report of a full re-sync.
    resyncs: Vec<mpsc::Sender<Result<SyncReport, IndexError>>>,
    /// Whether this round re-syncs the whole folder.
    full: bool,
    startup: bool,
    optimize: bool,
    stop: bool,
}

impl Round {
    /// `first` and everything already queued behind it.
    fn gather(first: Command, rx: &Receiver<Command>) -> Round {
        let mut round = Round::default();
        round.add(first);
        while let Ok(c) = rx.try_recv() {
            round.add(c);
        }
        round
    }

    fn add(&mut self, command: Command) {
        match command {
            Command::Apply(ops, reply) => self.applies.push((ops, reply)),
            Command::Changed(paths) => self.changed.extend(paths),
            Command::Resync(reply) => {
                self.full = true;
                self.resyncs.extend(reply);
            }
            Command::Startup => {
                self.full = true;
                self.startup = true;
            }
            Command::Optimize => self.optimize = true,
            Command::Shutdown => self.stop = true,
        }
    }
}

/// The writer thread's life: round after round, in a fixed order — the
/// start-up sync, members' writes, outside edits (a full re-sync when
/// asked for or when the watcher's paths need one), the commit listeners,
/// then the merge — until told to stop.
pub(super) fn writer_loop(shared: &Shared, rx: &Receiver<Command>) {
    while let Ok(first) = rx.recv() {
        let mut round = Round::gather(first, rx);
        let generation = shared.generation();
        // The start-up sync first: writes queued meanwhile are applied
        // after it, each checked against its file.
        if round.startup {
            shared.startup_sync();
            // A re-sync asked for meanwhile still gets its own answer.
            round.full = !round.resyncs.is_empty();
        }
        shared.apply_all(std::mem::take(&mut round.applies));
        if !round.full && !round.changed.is_empty() {
            round.full = !shared.sync_changed(&round.changed);
        }
        if round.full {
            shared.full_resync(round.resyncs);
        }
        if shared.generation() != generation {
            shared.notify_listeners();
        }
        // After the listeners: merging changes no case, only how the
        // index is laid out, so there is nothing for them to rebuild.
        if round.optimize && !round.stop {
            shared.optimize();
        }
        if round.stop {
            break;
        }
    }
}

impl Shared {
    pub(super) fn new(index: Arc<CaseIndex>, cases: PathBuf) -> Shared {
        Shared {
            index,
            cases,
            invalid: Mutex::new(BTreeMap::new()),
            listeners: Mutex::new(Vec::new()),
            resyncs: AtomicU64::new(0),
            progress: Progress::new(),
            ready: AtomicBool::new(false),
            startup: Mutex::new(None),
            startup_done: Condvar::new(),
        }
    }

    /// Changes whenever the reader was reloaded after a commit.
    fn generation(&self) -> u64 {
        self.index.generation()
    }

    /// Re-syncs the case files among the watcher's `paths`; false when only
    /// a full sync will do.
    fn sync_changed(&self, paths: &[PathBuf]) -> bool {
        match changed_rels(&self.cases, paths) {
            Some(rels) if rels.is_empty() => {}
            Some(rels) => {
                self.resyncs.fetch_add(1, Ordering::Relaxed);
                self.sync_files(&rels);
            }
            None => return false,
        }
        true
    }

    /// Re-syncs the whole folder and answers each caller that asked for
    /// it; if the sync failed, each caller gets the outcome of one more
    /// plain sync (its error says why).
    fn full_resync(&self, resyncs: Vec<mpsc::Sender<Result<SyncReport, IndexError>>>) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.index.sync_with(&self.cases, &self.progress);
        match &result {
            Ok(report) => {
                self.record_full(report);
                self.ready.store(true, Ordering::Release);
                tracing::info!(
                    added = report.added,
                    updated = report.updated,
                    removed = report.removed,
                    invalid = report.invalid,
                    "re-synced {} in {:?}",
                    self.cases.display(),
                    started.elapsed()
                );
            }
            Err(e) => tracing::error!("re-sync failed: {e}"),
        }
        for reply in resyncs {
            let _ = reply.send(match &result {
                Ok(r) => Ok(r.clone()),
                Err(_) => self.index.sync(&self.cases),
            });
        }
    }

    /// Tells the views derived from the whole collection that it changed.
    fn notify_listeners(&self) {
        for listener in self
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            listener();
        }
    }

    /// Merges the index into one segment, if it has more.
    fn optimize(&self) {
        let started = Instant::now();
        match self.index.optimize() {
            Ok(true) => tracing::info!(
                "merged the index into one segment in {:?}",
                started.elapsed()
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!("merging the index: {e}"),
        }
    }

    /// The first full sync: progress in the log every few seconds, the
    /// outcome kept for [`LiveIndex::wait_converged`].
    fn startup_sync(&self) {
        sync_gate();
        let started = Instant::now();
        let shown = progress::Shown::plain(
            "索引と事例フォルダの同期",
            Arc::clone(&self.progress),
            progress::PLAIN_EVERY,
            Box::new(|line| tracing::info!("{line}")),
        );
        let result = self.index.sync_with(&self.cases, &self.progress);
        let outcome = match result {
            Ok(report) => {
                shown.finish();
                self.record_full(&report);
                self.ready.store(true, Ordering::Release);
                // Warnings do not keep a file out, but an author wants to
                // see them (errors were logged by `record_full`).
                for d in report
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                {
                    tracing::warn!("{}", with_dir(&self.cases, d));
                }
                tracing::info!(
                    added = report.added,
                    updated = report.updated,
                    removed = report.removed,
                    unchanged = report.unchanged,
                    invalid = report.invalid,
                    cases = self.index.num_cases(),
                    "index converged to {} in {:?}",
                    self.cases.display(),
                    started.elapsed()
                );
                Ok(report)
            }
            Err(e) => {
                drop(shown);
                tracing::error!(
                    "converging the index with {} failed: {e}; serving the index as it was",
                    self.cases.display()
                );
                Err(e.to_string())
            }
        };
        *self.startup.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        self.startup_done.notify_all();
    }

    /// One commit for every waiting write; if it fails, each write is
    /// retried alone so that each caller learns its own outcome.
    ///
    /// An op is applied only if the file is still what it describes: two
    /// updates of one case are serialised at the file write, but their ops
    /// may reach this thread in either order. A superseded op is replaced
    /// by a re-sync of the file as it is on disk, so the index never ends
    /// on an older version than the file.
    fn apply_all(&self, applies: Vec<(Vec<FileChange>, Reply)>) {
        if applies.is_empty() {
            return;
        }
        let (fresh, stale): (Vec<FileChange>, Vec<FileChange>) = applies
            .iter()
            .flat_map(|(ops, _)| ops.iter().cloned())
            .partition(|op| self.on_disk(op));
        match self.index.apply(&fresh) {
            Ok(()) => {
                self.forget_invalid(&fresh);
                self.resync_stale(&stale);
                for (_, reply) in applies {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::warn!("batched index commit failed ({e}); applying writes one by one");
                for (ops, reply) in applies {
                    let (fresh, stale): (Vec<FileChange>, Vec<FileChange>) =
                        ops.into_iter().partition(|op| self.on_disk(op));
                    let r = self.index.apply(&fresh);
                    if r.is_ok() {
                        self.forget_invalid(&fresh);
                        self.resync_stale(&stale);
                    }
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// Whether the file is (still) what the op says.
    fn on_disk(&self, op: &FileChange) -> bool {
        match op {
            FileChange::Saved { rel, hash, .. } => {
                store::read_case(&self.cases, &self.cases.join(rel))
                    .is_ok_and(|bytes| store::hash_bytes(&bytes) == *hash)
            }
            FileChange::Removed { rel } => !self.cases.join(rel).exists(),
        }
    }

    fn resync_stale(&self, stale: &[FileChange]) {
        if stale.is_empty() {
            return;
        }
        let mut rels: Vec<String> = stale
            .iter()
            .map(|op| {
                let (FileChange::Saved { rel, .. } | FileChange::Removed { rel }) = op;
                rel.clone()
            })
            .collect();
        rels.sort();
        rels.dedup();
        self.sync_files(&rels);
    }

    /// A member's save replaces whatever invalid version a file had.
    fn forget_invalid(&self, ops: &[FileChange]) {
        let mut invalid = self.invalid.lock().unwrap_or_else(|e| e.into_inner());
        for op in ops {
            let (FileChange::Saved { rel, .. } | FileChange::Removed { rel }) = op;
            invalid.remove(rel);
        }
    }

    fn sync_files(&self, rels: &[String]) {
        let started = Instant::now();
        match self.index.sync_files(&self.cases, rels) {
            Ok(report) => {
                self.record(rels, &report);
                if report.changed() {
                    tracing::info!(
                        added = report.added,
                        updated = report.updated,
                        removed = report.removed,
                        "outside edit re-indexed in {:?}: {}",
                        started.elapsed(),
                        rels.join(", ")
                    );
                }
            }
            Err(e) => tracing::error!("re-indexing {} failed: {e}", rels.join(", ")),
        }
    }

    /// Updates the invalid list for the files a partial sync looked at.
    fn record(&self, rels: &[String], report: &SyncReport) {
        let mut invalid = self.invalid.lock().unwrap_or_else(|e| e.into_inner());
        for rel in rels {
            invalid.remove(rel);
        }
        self.collect_invalid(&mut invalid, report);
    }

    fn record_full(&self, report: &SyncReport) {
        let mut invalid = self.invalid.lock().unwrap_or_else(|e| e.into_inner());
        invalid.clear();
        self.collect_invalid(&mut invalid, report);
    }

    fn collect_invalid(&self, invalid: &mut BTreeMap<String, InvalidFile>, report: &SyncReport) {
        let mut by_file: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for d in &report.diagnostics {
            by_file
                .entry(d.path.to_string_lossy().replace('\\', "/"))
                .or_default()
                .push(d.clone());
        }
        for (rel, diagnostics) in by_file {
            if !diagnostics.iter().any(|d| d.severity == Severity::Error) {
                continue;
            }
            for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
                tracing::warn!(
                    "invalid case file (not re-indexed): {}",
                    with_dir(&self.cases, d)
                );
            }
            let indexed = self.index.has_path(&rel).unwrap_or(false);
            invalid.insert(
                rel.clone(),
                InvalidFile {
                    rel,
                    diagnostics,
                    indexed,
                },
            );
        }
    }
}

fn with_dir(cases: &Path, d: &Diagnostic) -> String {
    let mut d = d.clone();
    d.path = cases.join(&d.path);
    d.to_string()
}
