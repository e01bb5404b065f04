//! Following the case folder: which files changed since the index last
//! looked (by content hash, from fast fields), and the one pass that reads,
//! parses and (re)indexes them, for a full sync and for the few files a
//! watcher saw change.
//!
//! Owns the rule that tells a duplicate id from a renamed file; it must not
//! write case files (the files are the source of truth, the index follows).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tantivy::Term;
use tantivy::columnar::StrColumn;

use super::{CaseIndex, IndexError};
use crate::case::store::{self, CaseFile, Loaded};
use crate::case::{Case, Diagnostic, Severity};
use crate::progress::Progress;

/// What a sync did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files with errors: not (re)indexed. A previously indexed version of
    /// such a file stays searchable until the file is fixed.
    pub invalid: usize,
    /// Every problem found, warnings included, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// Bytes of case files analysed.
    pub bytes_indexed: u64,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl SyncReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn changed(&self) -> bool {
        self.added + self.updated + self.removed > 0
    }
}

/// What the index holds for a file.
#[derive(Debug, Clone)]
struct Indexed {
    hash: String,
    id: String,
}

/// Case files a sync reads and parses at a time (see
/// [`CaseIndex::sync_with`]); a few in unit tests, so that the bundled
/// cases make a sync of several commits.
const SYNC_CHUNK: usize = if cfg!(test) { 4 } else { 1_000 };

/// A sync commits after this many changed cases, and at its end.
const COMMIT_EVERY: usize = if cfg!(test) { 5 } else { 5_000 };

/// A sync that writes more than [`COMMIT_EVERY`] cases (a first build, a
/// rebuild, a large pull): while it lives, the segments its commits leave
/// are not merged as they come, and [`finish`](Bulk::finish) merges them
/// once into one. Merged as they came, each case was written again at
/// every level of tantivy's merges, and the sync still left a dozen
/// segments for `serve` to merge at start. Dropped, it lets the writer
/// merge as before (after an error too).
struct Bulk<'a>(&'a CaseIndex);

impl<'a> Bulk<'a> {
    fn start(index: &'a CaseIndex) -> Result<Bulk<'a>, IndexError> {
        index.merge_as_written(false)?;
        Ok(Bulk(index))
    }

    /// Merges the segments into one; the writer then merges as before.
    fn finish(self) -> Result<(), IndexError> {
        self.0.optimize().map(|_| ())
    }
}

/// Ends the bulk: the writer merges as its commits come again.
impl Drop for Bulk<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.merge_as_written(true) {
            tracing::warn!("restoring the merge policy: {e}");
        }
    }
}

/// Which file holds each id while a sync runs: the one rule by which
/// [`CaseIndex::sync`] and [`CaseIndex::sync_files`] tell a duplicate id
/// from a renamed file.
struct Claims<'a> {
    /// id → path, starting from what the index holds.
    by_id: HashMap<String, String>,
    exists: &'a dyn Fn(&str) -> bool,
}

/// Whether a file may hold an id.
#[derive(Debug, PartialEq, Eq)]
enum Claim {
    /// Nobody else has it.
    Free,
    /// It was the id of this other file, which is no longer on disk (the
    /// case was renamed or moved): that file's entry must go.
    Moved(String),
    /// This other file on disk has it: a duplicate, not indexed.
    Taken(String),
}

impl<'a> Claims<'a> {
    fn new(indexed: &HashMap<String, Indexed>, exists: &'a dyn Fn(&str) -> bool) -> Claims<'a> {
        Claims {
            by_id: indexed
                .iter()
                .map(|(path, i)| (i.id.clone(), path.clone()))
                .collect(),
            exists,
        }
    }

    /// Whether the file at `rel` (which held id `previous` in the index)
    /// may hold `id` now; if so, it does from here on.
    fn claim(&mut self, id: &str, rel: &str, previous: Option<&str>) -> Claim {
        let claim = match self.by_id.get(id) {
            Some(other) if other != rel && (self.exists)(other) => {
                return Claim::Taken(other.clone());
            }
            Some(other) if other != rel => Claim::Moved(other.clone()),
            _ => Claim::Free,
        };
        // A changed file that had another id frees it.
        if let Some(previous) = previous.filter(|p| *p != id)
            && self.by_id.get(previous).is_some_and(|p| p == rel)
        {
            self.by_id.remove(previous);
        }
        self.by_id.insert(id.to_owned(), rel.to_owned());
        claim
    }
}

/// A file of a chunk as read: `None` when its hash is the indexed one
/// (nothing to parse), else the file parsed; or why it could not be read.
type Read<'f> = (&'f CaseFile, Result<Option<Loaded>, store::StoreError>);

/// Reads and hashes a chunk of files in parallel, parsing only those that
/// changed: most files of a sync are unchanged, and hashing is far cheaper
/// than parsing.
fn read_changed<'f>(chunk: &'f [CaseFile], indexed: &HashMap<String, Indexed>) -> Vec<Read<'f>> {
    chunk
        .par_iter()
        .map(|file| {
            let result = file.read().map(|bytes| {
                let hash = store::hash_bytes(&bytes);
                if indexed.get(&file.rel).is_some_and(|i| i.hash == hash) {
                    None
                } else {
                    Some(store::load_bytes(file.clone(), &bytes))
                }
            });
            (file, result)
        })
        .collect()
}

/// One sync's running state, carried from chunk to chunk of
/// [`CaseIndex::converge`].
struct Pass<'a> {
    indexed: &'a HashMap<String, Indexed>,
    claims: Claims<'a>,
    /// Paths deleted by this sync (each counted once).
    deleted: HashSet<String>,
    report: SyncReport,
}

/// What one chunk changes in the index.
#[derive(Default)]
struct ChunkChanges {
    to_delete: Vec<String>,
    to_index: Vec<Loaded>,
}

impl Pass<'_> {
    /// Sorts a chunk's files into what the index must drop and what it
    /// must (re)index, counting the rest in the report.
    fn triage(&mut self, loaded: Vec<Read<'_>>) -> ChunkChanges {
        let mut changes = ChunkChanges::default();
        for (file, result) in loaded {
            match result {
                Ok(None) => self.report.unchanged += 1,
                Ok(Some(l)) => self.admit(l, &mut changes),
                // Gone between listing and reading (or a watcher's
                // path of a removed file).
                Err(e) if e.is_not_found() => {
                    if self.indexed.contains_key(&file.rel) && self.deleted.insert(file.rel.clone())
                    {
                        changes.to_delete.push(file.rel.clone());
                    }
                }
                Err(e) => {
                    self.report.invalid += 1;
                    self.report.diagnostics.push(e.diagnostic(&file.rel));
                }
            }
        }
        changes
    }

    /// A changed file, parsed: indexed if it is a valid case whose id is
    /// not another file's; a rename also drops the old path.
    fn admit(&mut self, l: Loaded, changes: &mut ChunkChanges) {
        let report = &mut self.report;
        report
            .diagnostics
            .extend(l.parsed.diagnostics.iter().cloned());
        let Some(case) = &l.parsed.case else {
            report.invalid += 1;
            return;
        };
        let previous = self.indexed.get(&l.file.rel).map(|i| i.id.as_str());
        match self.claims.claim(&case.id, &l.file.rel, previous) {
            Claim::Free => {}
            Claim::Taken(other) => {
                report.invalid += 1;
                report.diagnostics.push(Diagnostic::duplicate_id(
                    PathBuf::from(&l.file.rel),
                    1,
                    &case.id,
                    &other,
                ));
                return;
            }
            // A rename: the entry of the file that is gone goes.
            Claim::Moved(other) => {
                if self.deleted.insert(other.clone()) {
                    changes.to_delete.push(other);
                }
            }
        }
        if self.indexed.contains_key(&l.file.rel) {
            report.updated += 1;
        } else {
            report.added += 1;
        }
        changes.to_index.push(l);
    }
}

impl CaseIndex {
    /// path → (hash, id) of every indexed case, read from the fast-field
    /// columns: a re-sync with nothing changed reads no stored documents
    /// (reading them all took 0.5–0.7 s on 10,000 cases).
    fn indexed(&self) -> Result<HashMap<String, Indexed>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
        let io_err = |source| IndexError::Io {
            path: self.dir.clone(),
            source,
        };
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            // A column with every term in ordinal order, streamed once.
            let column = |name: &str| -> Result<Option<(StrColumn, Vec<String>)>, IndexError> {
                let Some(col) = fast.str(name).map_err(self.tantivy_err())? else {
                    return Ok(None);
                };
                let mut terms = Vec::with_capacity(col.num_terms());
                let mut stream = col.dictionary().stream().map_err(io_err)?;
                while stream.advance() {
                    terms.push(String::from_utf8_lossy(stream.key()).into_owned());
                }
                Ok(Some((col, terms)))
            };
            let (Some(paths), Some(hashes), Some(ids)) =
                (column("path")?, column("hash")?, column("id")?)
            else {
                continue;
            };
            let value = |(col, terms): &(StrColumn, Vec<String>), doc| {
                col.term_ords(doc)
                    .next()
                    .and_then(|o| terms.get(o as usize))
                    .cloned()
                    .unwrap_or_default()
            };
            for doc in segment.doc_ids_alive() {
                out.insert(
                    value(&paths, doc),
                    Indexed {
                        hash: value(&hashes, doc),
                        id: value(&ids, doc),
                    },
                );
            }
        }
        Ok(out)
    }

    /// (id, content hash) of every indexed case, from the fast-field
    /// columns: what changed since an earlier look, without reading a
    /// stored case.
    pub fn versions(&self) -> Result<Vec<(String, String)>, IndexError> {
        Ok(self
            .indexed()?
            .into_values()
            .map(|Indexed { hash, id }| (id, hash))
            .collect())
    }

    /// Brings the index in line with the case files under `cases`: new and
    /// changed files (by content hash) are indexed, removed ones deleted,
    /// invalid ones reported and skipped.
    pub fn sync(&self, cases: &Path) -> Result<SyncReport, IndexError> {
        self.sync_with(cases, &Progress::default())
    }

    /// [`sync`](Self::sync), counting files into `progress` as they are
    /// read. Files are read and parsed [`SYNC_CHUNK`] at a time and the
    /// work is committed every [`COMMIT_EVERY`] changed cases: a first
    /// build is searchable as it goes, and its memory is one chunk plus
    /// the writer's budget, whatever the size of the collection.
    pub fn sync_with(&self, cases: &Path, progress: &Progress) -> Result<SyncReport, IndexError> {
        let started = Instant::now();
        let files = store::list(cases)?;
        progress.start(files.len() as u64);
        let indexed = self.indexed()?;
        let on_disk: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        let gone: Vec<String> = indexed
            .keys()
            .filter(|p| !on_disk.contains(String::as_str(p)))
            .cloned()
            .collect();
        let exists = |rel: &str| on_disk.contains(rel);
        let mut report = self.converge(&files, &gone, &indexed, &exists, progress)?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Like [`sync`](Self::sync), for a few files only (relative paths
    /// under `cases`): what a file watcher saw change. A file that is gone
    /// is removed from the index; a changed valid one re-indexed; an
    /// invalid one reported and its indexed version kept. No commit when
    /// nothing changed (our own writes come back as unchanged).
    pub fn sync_files(&self, cases: &Path, rels: &[String]) -> Result<SyncReport, IndexError> {
        let started = Instant::now();
        let indexed = self.indexed()?;
        let files: Vec<CaseFile> = rels
            .iter()
            .map(|rel| CaseFile {
                rel: rel.clone(),
                path: cases.join(rel),
            })
            .collect();
        let exists = |rel: &str| cases.join(rel).exists();
        let mut report = self.converge(&files, &[], &indexed, &exists, &Progress::default())?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// The one way the index follows files, for [`sync`](Self::sync) and
    /// [`sync_files`](Self::sync_files): `gone` paths are deleted, each
    /// of `files` is read (a missing one deleted too), skipped when its
    /// hash is the indexed one, else parsed and, if valid and its id is
    /// not another file's ([`Claims`]), indexed.
    fn converge(
        &self,
        files: &[CaseFile],
        gone: &[String],
        indexed: &HashMap<String, Indexed>,
        exists: &dyn Fn(&str) -> bool,
        progress: &Progress,
    ) -> Result<SyncReport, IndexError> {
        let mut pass = Pass {
            indexed,
            claims: Claims::new(indexed, exists),
            deleted: HashSet::new(),
            report: SyncReport::default(),
        };
        let mut pending = 0usize;
        if !gone.is_empty() {
            let guard = self.writer()?;
            let writer = guard.as_ref().expect("writer was just created");
            for rel in gone {
                writer.delete_term(Term::from_field_text(self.fields.path, rel));
                pass.deleted.insert(rel.clone());
                pending += 1;
            }
        }
        let mut bulk = None;
        for chunk in files.chunks(SYNC_CHUNK) {
            let changes = pass.triage(read_changed(chunk, indexed));
            pending += changes.to_delete.len() + changes.to_index.len();
            pass.report.bytes_indexed += self.write_changes(&changes, indexed)?;
            progress.add(chunk.len() as u64);
            if pending >= COMMIT_EVERY {
                if bulk.is_none() {
                    bulk = Some(Bulk::start(self)?);
                }
                self.commit()?;
                pending = 0;
            }
        }
        if pending > 0 {
            self.commit()?;
        }
        if let Some(bulk) = bulk {
            bulk.finish()?;
        }
        let mut report = pass.report;
        report.removed = pass.deleted.len();
        report
            .diagnostics
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        Ok(report)
    }

    /// Writes one chunk's changes (not committed): deletes first, then the
    /// cases, each replacing what its path held. Returns the bytes of case
    /// text analysed.
    fn write_changes(
        &self,
        changes: &ChunkChanges,
        indexed: &HashMap<String, Indexed>,
    ) -> Result<u64, IndexError> {
        if changes.to_delete.is_empty() && changes.to_index.is_empty() {
            return Ok(0);
        }
        let guard = self.writer()?;
        let writer = guard.as_ref().expect("writer was just created");
        for rel in &changes.to_delete {
            writer.delete_term(Term::from_field_text(self.fields.path, rel));
        }
        for l in &changes.to_index {
            if indexed.contains_key(&l.file.rel) {
                writer.delete_term(Term::from_field_text(self.fields.path, &l.file.rel));
            }
        }
        // Analysis is the expensive part: spread it over every core.
        // `add_document` takes `&self` and queues to tantivy's threads.
        let results: Vec<Result<u64, tantivy::TantivyError>> = changes
            .to_index
            .par_iter()
            .map(|l| {
                let case = l.parsed.case.as_ref().expect("only valid cases are queued");
                let doc = self.document(case, &l.file.rel, &l.hash);
                writer.add_document(doc).map(|_| text_len(case))
            })
            .collect();
        let mut bytes = 0;
        for r in results {
            bytes += r.map_err(self.tantivy_err())?;
        }
        Ok(bytes)
    }
}

fn text_len(case: &Case) -> u64 {
    let sections: usize = case.narrative().map(|(_, t)| t.len()).sum();
    (case.title.len() + sections) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed(entries: &[(&str, &str)]) -> HashMap<String, Indexed> {
        entries
            .iter()
            .map(|(path, id)| {
                (
                    (*path).to_owned(),
                    Indexed {
                        hash: String::new(),
                        id: (*id).to_owned(),
                    },
                )
            })
            .collect()
    }

    /// A sync of more cases than a commit holds leaves one segment, and
    /// the writer merging as it did; a sync of a few merges nothing.
    #[test]
    fn a_bulk_sync_leaves_one_segment_and_merging_as_before() {
        let (dir, cases) = crate::case::edit::tests_support::bundled_cases_copy();
        let index = CaseIndex::open(&dir.path().join("index")).unwrap();
        let segments = |index: &CaseIndex| index.index.searchable_segment_ids().unwrap().len();
        let report = index.sync(&cases).unwrap();
        assert!(report.added > 2 * COMMIT_EVERY, "{report:?}");
        assert_eq!(segments(&index), 1);
        let policy = |index: &CaseIndex| {
            let guard = index.writer().unwrap();
            format!("{:?}", guard.as_ref().unwrap().get_merge_policy())
        };
        assert!(
            policy(&index).starts_with("LogMergePolicy"),
            "{}",
            policy(&index)
        );
        // One changed file: one commit, nothing merged.
        let file = cases.join("fukuoka-dna-undo.md");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("## 概要\n", "## 概要\n追記。\n")).unwrap();
        assert_eq!(index.sync(&cases).unwrap().updated, 1);
        assert!(segments(&index) > 1);
    }

    /// The one rule of both syncs: an id held by another file on disk is a
    /// duplicate; held by a file that is gone, a rename; a changed file
    /// that takes a new id frees its old one.
    #[test]
    fn claims_tell_duplicates_from_renames() {
        let on_disk = ["a.md", "b.md", "c.md"];
        let exists = |rel: &str| on_disk.contains(&rel);
        let held = indexed(&[("a.md", "x"), ("gone.md", "y"), ("b.md", "z")]);
        let mut claims = Claims::new(&held, &exists);
        assert_eq!(claims.claim("x", "a.md", Some("x")), Claim::Free);
        assert_eq!(claims.claim("x", "c.md", None), Claim::Taken("a.md".into()));
        assert_eq!(
            claims.claim("y", "c.md", None),
            Claim::Moved("gone.md".into())
        );
        // c.md now holds y: another new file cannot take it.
        assert_eq!(claims.claim("y", "d.md", None), Claim::Taken("c.md".into()));
        // b.md changes its id from z to w: z is free for a new file.
        assert_eq!(claims.claim("w", "b.md", Some("z")), Claim::Free);
        assert_eq!(claims.claim("z", "c.md", Some("y")), Claim::Free);
        assert_eq!(claims.claim("y", "d.md", None), Claim::Free);
    }
}
