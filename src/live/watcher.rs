//! The file watcher: turns the OS's file events under `cases/` into what
//! was seen ([`Seen`], which the wiring in `live` hands the writer thread),
//! and watcher paths into the case files to re-sync.
//!
//! Owns the debounce and the choice of which events and paths matter; it
//! must not touch the index itself (only the writer thread writes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_debouncer_full::notify::event::EventKind;
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::case::store;

/// Quiet time after the last file event before re-syncing: one editor save
/// (often write + rename + chmod) becomes one re-sync, well within the 2 s
/// the issue allows.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// A running watcher; dropping it stops watching.
pub(super) type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

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

/// What one debounced round of file events says.
#[derive(Debug)]
pub(super) enum Seen {
    /// These paths were edited, created or removed.
    Paths(Vec<PathBuf>),
    /// The watcher lost track (its queue overflowed …): only a full
    /// re-sync will do.
    LostTrack,
}

/// Watches `cases` (recursively), telling `on` the paths of each debounced
/// round of edits, or that it lost track. `None`, logged, when the OS will
/// not watch (e.g. its limit on watches): outside edits then wait for the
/// next start.
pub(super) fn watch(cases: &Path, on: impl Fn(Seen) + Send + 'static) -> Option<Watcher> {
    let watcher = new_debouncer(DEBOUNCE, None, move |res: DebounceEventResult| match res {
        Ok(events) => {
            let paths: Vec<PathBuf> = events
                .into_iter()
                .filter(|e| is_edit(&e.event.kind))
                .flat_map(|e| e.event.paths)
                .collect();
            if !paths.is_empty() {
                on(Seen::Paths(paths));
            }
        }
        Err(errors) => {
            for e in errors {
                tracing::warn!("file watcher: {e}; re-syncing everything");
            }
            on(Seen::LostTrack);
        }
    })
    .and_then(|mut d| {
        d.watch(cases, RecursiveMode::Recursive)?;
        Ok(d)
    });
    match watcher {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(
                "cannot watch {}: {e}; outside edits are picked up at the next start",
                cases.display()
            );
            None
        }
    }
}

/// Watcher paths → case files (relative) to re-sync; `None` when only a
/// full sync will do (a folder appeared, moved or vanished).
pub(super) fn changed_rels(cases: &Path, paths: &[PathBuf]) -> Option<Vec<String>> {
    let mut rels = Vec::new();
    for path in paths {
        let Ok(rel_path) = path.strip_prefix(cases) else {
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
            rels.push(store::rel_path(cases, path));
        } else if !path.exists() && path.extension().is_none() {
            // Probably a folder that was removed or renamed away.
            return None;
        }
    }
    rels.sort();
    rels.dedup();
    Some(rels)
}
