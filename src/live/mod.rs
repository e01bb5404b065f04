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
//!
//! This file is the handle a server holds; the writer thread, the watcher
//! and the test fault switches each have their own file.

mod faults;
mod watcher;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::case::edit::{self, Deleted, EditError, Stamp, Written};
use crate::case::{Case, Diagnostic, FileChange};
use crate::index::{CaseIndex, IndexError, SyncReport};
use crate::progress::Snapshot;

use faults::crash_point;
pub use faults::{CRASH_AFTER_WRITE_ENV, SYNC_GATE_ENV};
pub use watcher::DEBOUNCE;
use watcher::{Seen, Watcher};
use writer::{Command, Shared, writer_loop};

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

/// The index of a running server. Hold one in the server's state.
pub struct LiveIndex {
    shared: Arc<Shared>,
    tx: Sender<Command>,
    worker: Option<JoinHandle<()>>,
    watcher: Option<Watcher>,
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
        let shared = Arc::new(Shared::new(index, cases.clone()));
        // Before anything writes: temp files of writes a crash cut short.
        crate::atomic::remove_orphans(&cases);

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
        let to_writer = tx.clone();
        let watcher = watcher::watch(&cases, move |seen| {
            let _ = to_writer.send(match seen {
                Seen::Paths(paths) => Command::Changed(paths),
                Seen::LostTrack => Command::Resync(None),
            });
        });
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
        // Files that do not validate are not in the index, but their id
        // is still theirs.
        let invalid: Vec<String> = self
            .shared
            .invalid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        let cases = &self.shared.cases;
        let known =
            |id: &str| index.has_id(id).unwrap_or(false) || edit::id_held_by(cases, &invalid, id);
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

    /// Replaces case `id` whatever its file holds now (`If-Match: *`),
    /// then re-indexes it.
    pub fn overwrite(
        &self,
        id: &str,
        case: &Case,
        contributor: &str,
    ) -> Result<Written, LiveError> {
        let written = edit::overwrite(&self.shared.cases, id, case, Stamp { contributor })?;
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
