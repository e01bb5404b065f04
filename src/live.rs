//! The index of a running server: one thread owns every index write, and a
//! file watcher keeps the index in step with edits made outside (an editor,
//! `git pull`).
//!
//! Application wiring, not index code: it drives the case writes of
//! [`crate::case::edit`] and the index of [`crate::index`], which know
//! nothing of each other, and owns no file format of its own.
//!
//! * Members' writes go file first ([`crate::case::edit`]), then here: the
//!   writer thread applies their [`FileChange`]s — several waiting writes share
//!   one commit — and reloads the reader, so a saved case is searchable when
//!   [`LiveIndex::create`] returns.
//! * The watcher (debounced, [`DEBOUNCE`]) hands changed paths to the same
//!   thread, which re-syncs only those files. An invalid file is logged and
//!   listed in [`LiveIndex::invalid_files`] (for an admin page); the version
//!   the index already holds stays searchable until the file is fixed.
//! * At start the index converges to `cases/` with a full
//!   [`CaseIndex::sync_with`] on the writer thread, committing as it goes,
//!   while searches are answered from the index that is there
//!   ([`LiveIndex::spawn`]); [`LiveIndex::status`] says whether that is
//!   done, and how far it got. A crash between a file write and the index
//!   commit loses nothing, because the file is the source of truth.
//!
//! Methods block (the file write fsyncs, the commit waits for the writer
//! thread); an async server calls them from `spawn_blocking`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::case::edit::{self, Deleted, EditError, Stamp, Written};
use crate::case::{Case, Diagnostic, FileChange, Severity, store};
use crate::index::{CaseIndex, IndexError, SyncReport};
use crate::progress::{self, Progress, Snapshot};
use notify_debouncer_full::notify::event::EventKind;
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// Quiet time after the last file event before re-syncing: one editor save
/// (often write + rename + chmod) becomes one re-sync, well within the 2 s
/// the issue allows.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Whether a file event can change what a case file holds. Opens and
/// closes without writing are not edits: the index reads every file it
/// re-syncs, and counting those reads would make each re-sync start the
/// next one, forever.
fn is_edit(kind: &EventKind) -> bool {
    use notify_debouncer_full::notify::event::{AccessKind, AccessMode};
    match kind {
        // A write finished: the one access that is an edit.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Fault injection for end-to-end tests: when this environment variable is
/// `1`, the process aborts right after a member's file write and before the
/// index commit — what `kill -9` at the worst moment does. Start-up must
/// then make the case searchable (the live-index tests do exactly this).
pub const CRASH_AFTER_WRITE_ENV: &str = "KAIZEN_WA_TEST_CRASH_AFTER_WRITE";

fn crash_point() {
    if std::env::var_os(CRASH_AFTER_WRITE_ENV).is_some_and(|v| v == "1") {
        eprintln!(
            "{CRASH_AFTER_WRITE_ENV}=1: aborting between the file write and the index commit"
        );
        std::process::abort();
    }
}

/// Fault injection for end-to-end tests: while the file this environment
/// variable names exists, the start-up sync waits before it reads
/// `cases/`. A test can then see a server answer from the index as it was,
/// `/readyz` say 503, and both change once it removes the file.
pub const SYNC_GATE_ENV: &str = "KAIZEN_WA_TEST_SYNC_GATE";

fn sync_gate() {
    let Some(gate) = std::env::var_os(SYNC_GATE_ENV) else {
        return;
    };
    let gate = PathBuf::from(gate);
    if gate.exists() {
        tracing::warn!(
            "{SYNC_GATE_ENV}: the start-up sync waits until {} is removed",
            gate.display()
        );
    }
    while gate.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{path}: 事例フォルダが見つかりません: {source}")]
    CasesDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the index writer thread has stopped")]
    Stopped,
    #[error("converging the index with the case folder: {0}")]
    Startup(String),
}

/// Whether the index has converged with `cases/` since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Serving the index as it was; reading the case folder.
    Syncing,
    /// A full sync has finished: the index holds the case folder.
    Ready,
}

/// [`State`] and how far the sync got (files read of all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    pub state: State,
    pub progress: Snapshot,
}

/// A case file that does not validate, as last seen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvalidFile {
    /// Relative to `cases/`.
    pub rel: String,
    /// Its errors (and warnings), with file lines.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether an earlier valid version is still searchable.
    pub indexed: bool,
}

/// Where the writer thread reports one write's commit.
type Reply = mpsc::Sender<Result<(), IndexError>>;

enum Command {
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
type Listener = Box<dyn Fn() + Send + Sync>;

struct Shared {
    index: Arc<CaseIndex>,
    /// Canonical path of the cases folder (watcher paths are under it).
    cases: PathBuf,
    invalid: Mutex<BTreeMap<String, InvalidFile>>,
    listeners: Mutex<Vec<Listener>>,
    /// Re-syncs of outside edits since start (of some files, or of all).
    resyncs: AtomicU64,
    /// Files read by the running (or last) full sync.
    progress: Arc<Progress>,
    /// Set by the first full sync that succeeds.
    ready: AtomicBool,
    /// The start-up sync's outcome, once known (errors as text: they are
    /// for logs and callers that wait).
    startup: Mutex<Option<Result<SyncReport, String>>>,
    startup_done: Condvar,
}

/// The index of a running server. Hold one in the server's state.
pub struct LiveIndex {
    shared: Arc<Shared>,
    tx: Sender<Command>,
    worker: Option<JoinHandle<()>>,
    watcher: Option<Debouncer<RecommendedWatcher, RecommendedCache>>,
}

impl LiveIndex {
    /// [`spawn`](Self::spawn), then waits until the index has converged
    /// to `cases`: for callers that must see every case (tests, tools).
    pub fn start(index: Arc<CaseIndex>, cases: &Path) -> Result<LiveIndex, LiveError> {
        let live = LiveIndex::spawn(index, cases)?;
        live.wait_converged()?;
        Ok(live)
    }

    /// Starts the writer thread, which first converges the index to
    /// `cases` (a full sync, committed as it goes), and the watcher; returns
    /// at once, so a server answers from the index that is there while it
    /// converges. A watcher that cannot start (e.g. the OS limit on
    /// watches) is logged: writes through this handle still reach the
    /// index, outside edits wait for the next start.
    pub fn spawn(index: Arc<CaseIndex>, cases: &Path) -> Result<LiveIndex, LiveError> {
        let cases = cases.canonicalize().map_err(|source| LiveError::CasesDir {
            path: cases.to_owned(),
            source,
        })?;
        let shared = Arc::new(Shared {
            index,
            cases: cases.clone(),
            invalid: Mutex::new(BTreeMap::new()),
            listeners: Mutex::new(Vec::new()),
            resyncs: AtomicU64::new(0),
            progress: Progress::new(),
            ready: AtomicBool::new(false),
            startup: Mutex::new(None),
            startup_done: Condvar::new(),
        });

        let (tx, rx) = mpsc::channel();
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("kaizen-wa-index".into())
            .spawn(move || writer_loop(&worker_shared, &rx))
            .map_err(|e| IndexError::Io {
                path: shared.index.dir().to_owned(),
                source: e,
            })?;

        let _ = tx.send(Command::Startup);
        // A bulk sync leaves a segment per indexing thread; searches are
        // cheaper on one. Merged on the writer thread after the sync, and
        // searches see the merged index when it is ready.
        let _ = tx.send(Command::Optimize);
        let watch_tx = tx.clone();
        let watcher = new_debouncer(DEBOUNCE, None, move |res: DebounceEventResult| match res {
            Ok(events) => {
                let paths: Vec<PathBuf> = events
                    .into_iter()
                    .filter(|e| is_edit(&e.event.kind))
                    .flat_map(|e| e.event.paths)
                    .collect();
                if !paths.is_empty() {
                    let _ = watch_tx.send(Command::Changed(paths));
                }
            }
            Err(errors) => {
                for e in errors {
                    tracing::warn!("file watcher: {e}; re-syncing everything");
                }
                let _ = watch_tx.send(Command::Resync(None));
            }
        })
        .and_then(|mut d| {
            d.watch(&cases, RecursiveMode::Recursive)?;
            Ok(d)
        });
        let watcher = match watcher {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!(
                    "cannot watch {}: {e}; outside edits are picked up at the next start",
                    cases.display()
                );
                None
            }
        };
        Ok(LiveIndex {
            shared,
            tx,
            worker: Some(worker),
            watcher,
        })
    }

    /// Blocks until the start-up sync is done; its report, or why it
    /// failed (the index then still serves what it held).
    pub fn wait_converged(&self) -> Result<SyncReport, LiveError> {
        let mut startup = self
            .shared
            .startup
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &*startup {
                return outcome.clone().map_err(LiveError::Startup);
            }
            if self.worker.as_ref().is_none_or(|w| w.is_finished()) {
                return Err(LiveError::Stopped);
            }
            startup = self
                .shared
                .startup_done
                .wait_timeout(startup, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Whether the index has converged, and how far the sync got.
    pub fn status(&self) -> Status {
        Status {
            state: if self.shared.ready.load(Ordering::Acquire) {
                State::Ready
            } else {
                State::Syncing
            },
            progress: self.shared.progress.snapshot(),
        }
    }

    pub fn index(&self) -> &Arc<CaseIndex> {
        &self.shared.index
    }

    /// The cases folder (canonical).
    pub fn cases_dir(&self) -> &Path {
        &self.shared.cases
    }

    /// What the start-up sync did, once it is done.
    pub fn startup_report(&self) -> Option<SyncReport> {
        self.shared
            .startup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .cloned()
    }

    /// Re-syncs since start: rounds that read case files again because the
    /// watcher saw them change (or was told to re-sync everything). An idle
    /// folder adds none.
    pub fn resyncs(&self) -> u64 {
        self.shared.resyncs.load(Ordering::Relaxed)
    }

    /// Whether outside edits are being watched.
    pub fn watching(&self) -> bool {
        self.watcher.is_some()
    }

    /// Case files that do not validate right now, by path.
    pub fn invalid_files(&self) -> Vec<InvalidFile> {
        self.shared
            .invalid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Calls `f` (on the writer thread; keep it short) after every round of
    /// writes or outside edits that committed to the index: views derived
    /// from the whole collection (the completion list) rebuild from there.
    pub fn on_commit(&self, f: impl Fn() + Send + Sync + 'static) {
        self.shared
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
    }

    /// The case with this id as the index holds it, with the content hash
    /// of the file it was read from: the ETag a reader sends back in
    /// `If-Match`.
    pub fn current(&self, id: &str) -> Result<Option<(Case, String)>, IndexError> {
        self.shared.index.get_with_hash(id)
    }

    /// Writes a new case file, then indexes it; searchable on return
    /// (once the index has converged; see [`index_after_write`]).
    ///
    /// [`index_after_write`]: Self::index_after_write
    pub fn create(&self, case: &Case, contributor: &str) -> Result<Written, LiveError> {
        // A converged index knows every id: no need to read every file.
        // While it converges it may not know them all yet.
        let index = &self.shared.index;
        let known = |id: &str| index.has_id(id).unwrap_or(false);
        let check = if self.shared.ready.load(Ordering::Acquire) {
            edit::IdCheck::Known(&known)
        } else {
            edit::IdCheck::Scan
        };
        let written = edit::create_checked(&self.shared.cases, case, Stamp { contributor }, check)?;
        self.index_after_write(written.change.clone());
        Ok(written)
    }

    /// Replaces case `id` if its file still hashes to `etag` (else
    /// [`EditError::Stale`], nothing written), then re-indexes it.
    pub fn update(
        &self,
        id: &str,
        etag: &str,
        case: &Case,
        contributor: &str,
    ) -> Result<Written, LiveError> {
        let written = edit::update(&self.shared.cases, id, etag, case, Stamp { contributor })?;
        self.index_after_write(written.change.clone());
        Ok(written)
    }

    /// Moves case `id` to `cases/.trash/` and removes it from the index.
    pub fn delete(&self, id: &str, etag: Option<&str>) -> Result<Deleted, LiveError> {
        let deleted = edit::delete(&self.shared.cases, id, etag)?;
        self.index_after_write(deleted.change.clone());
        Ok(deleted)
    }

    /// Moves a deleted case back from `cases/.trash/<trash_name>` (unless its
    /// id is in use again), then indexes it.
    pub fn restore(&self, trash_name: &str) -> Result<Written, LiveError> {
        // As for a create: while the index converges it may not know every id.
        let index = &self.shared.index;
        let known = |id: &str| index.has_id(id).unwrap_or(false);
        let check = if self.shared.ready.load(Ordering::Acquire) {
            edit::IdCheck::Known(&known)
        } else {
            edit::IdCheck::Scan
        };
        let written = edit::restore_checked(&self.shared.cases, trash_name, check)?;
        self.index_after_write(written.change.clone());
        Ok(written)
    }

    /// Applies index operations for files already written (e.g. by an
    /// import) and waits for the commit.
    pub fn apply(&self, ops: Vec<FileChange>) -> Result<(), LiveError> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Apply(ops, reply))
            .map_err(|_| LiveError::Stopped)?;
        rx.recv().map_err(|_| LiveError::Stopped)??;
        Ok(())
    }

    /// A full re-sync now (what start-up does), e.g. from an admin page.
    pub fn resync(&self) -> Result<SyncReport, LiveError> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Resync(Some(reply)))
            .map_err(|_| LiveError::Stopped)?;
        Ok(rx.recv().map_err(|_| LiveError::Stopped)??)
    }

    /// The file is on disk: that is the member's save. If the index cannot
    /// take it now, log it and queue a full re-sync rather than report a
    /// failed save — the index converges to the file, at the latest at the
    /// next start. While the start-up sync runs (minutes for a first
    /// build of a large collection) the change is queued behind it and not
    /// waited for.
    fn index_after_write(&self, op: FileChange) {
        crash_point();
        if !self.shared.ready.load(Ordering::Acquire) {
            let (reply, _) = mpsc::channel();
            let _ = self.tx.send(Command::Apply(vec![op], reply));
            return;
        }
        if let Err(e) = self.apply(vec![op]) {
            tracing::error!("saved file not indexed yet ({e}); re-syncing");
            let _ = self.tx.send(Command::Resync(None));
        }
    }

    /// Stops the watcher and the writer thread (after the writes already
    /// queued). Dropping the handle does the same.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.watcher.take();
        let _ = self.tx.send(Command::Shutdown);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        // Nothing writes any more: let the next process take the lock.
        self.shared.index.release_writer();
    }
}

impl Drop for LiveIndex {
    fn drop(&mut self) {
        self.stop();
    }
}

fn writer_loop(shared: &Shared, rx: &Receiver<Command>) {
    while let Ok(first) = rx.recv() {
        // Everything already waiting shares this round (and one commit).
        let mut batch = vec![first];
        while let Ok(c) = rx.try_recv() {
            batch.push(c);
        }
        let mut applies = Vec::new();
        let mut changed = Vec::new();
        let mut resyncs = Vec::new();
        let mut full = false;
        let mut startup = false;
        let mut optimize = false;
        let mut stop = false;
        let generation = shared.generation();
        for c in batch {
            match c {
                Command::Apply(ops, reply) => applies.push((ops, reply)),
                Command::Changed(paths) => changed.extend(paths),
                Command::Resync(reply) => {
                    full = true;
                    resyncs.extend(reply);
                }
                Command::Startup => {
                    full = true;
                    startup = true;
                }
                Command::Optimize => optimize = true,
                Command::Shutdown => stop = true,
            }
        }
        // The start-up sync first: writes queued meanwhile are applied
        // after it, each checked against its file.
        if startup {
            shared.startup_sync();
            // A re-sync asked for meanwhile still gets its own answer.
            full = !resyncs.is_empty();
        }
        shared.apply_all(applies);
        if !full && !changed.is_empty() {
            match shared.changed_rels(&changed) {
                Some(rels) if rels.is_empty() => {}
                Some(rels) => {
                    shared.resyncs.fetch_add(1, Ordering::Relaxed);
                    shared.sync_files(&rels);
                }
                None => full = true,
            }
        }
        if full {
            shared.resyncs.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result = shared.index.sync_with(&shared.cases, &shared.progress);
            match &result {
                Ok(report) => {
                    shared.record_full(report);
                    shared.ready.store(true, Ordering::Release);
                    tracing::info!(
                        added = report.added,
                        updated = report.updated,
                        removed = report.removed,
                        invalid = report.invalid,
                        "re-synced {} in {:?}",
                        shared.cases.display(),
                        started.elapsed()
                    );
                }
                Err(e) => tracing::error!("re-sync failed: {e}"),
            }
            for reply in resyncs {
                let _ = reply.send(match &result {
                    Ok(r) => Ok(r.clone()),
                    Err(_) => shared.index.sync(&shared.cases),
                });
            }
        }
        if shared.generation() != generation {
            for listener in shared
                .listeners
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
            {
                listener();
            }
        }
        // After the listeners: merging changes no case, only how the
        // index is laid out, so there is nothing for them to rebuild.
        if optimize && !stop {
            let started = Instant::now();
            match shared.index.optimize() {
                Ok(true) => tracing::info!(
                    "merged the index into one segment in {:?}",
                    started.elapsed()
                ),
                Ok(false) => {}
                Err(e) => tracing::warn!("merging the index: {e}"),
            }
        }
        if stop {
            break;
        }
    }
}

impl Shared {
    /// Changes whenever the reader was reloaded after a commit.
    fn generation(&self) -> u64 {
        self.index.generation()
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
            FileChange::Saved { rel, hash, .. } => std::fs::read(self.cases.join(rel))
                .is_ok_and(|bytes| store::hash_bytes(&bytes) == *hash),
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

    /// Watcher paths → case files (relative) to re-sync; `None` when only a
    /// full sync will do (a folder appeared, moved or vanished).
    fn changed_rels(&self, paths: &[PathBuf]) -> Option<Vec<String>> {
        let mut rels = Vec::new();
        for path in paths {
            let Ok(rel_path) = path.strip_prefix(&self.cases) else {
                continue;
            };
            if rel_path.as_os_str().is_empty() {
                return None;
            }
            // `.trash/`, `_drafts/`, temp files of atomic writes.
            let hidden = rel_path.components().any(|c| {
                let s = c.as_os_str().to_string_lossy();
                s.starts_with('.') || s.starts_with('_')
            });
            if hidden {
                continue;
            }
            if path.is_dir() {
                return None;
            }
            if store::is_case_file(path) {
                rels.push(store::rel_path(&self.cases, path));
            } else if !path.exists() && path.extension().is_none() {
                // Probably a folder that was removed or renamed away.
                return None;
            }
        }
        rels.sort();
        rels.dedup();
        Some(rels)
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
