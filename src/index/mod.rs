//! The tantivy index in `index/`: derived from `cases/`, converging to it.
//!
//! Owns everything under `index/` and nothing else; knows nothing of HTTP.
//! One [`CaseIndex`] per process: one `IndexReader` (a fresh searcher per
//! search) and at most one `IndexWriter`, created on first write and kept
//! behind a mutex, so readers never wait for writers.

mod completion;
mod facets;
mod schema;
mod search;
pub mod similar;
pub mod stats;
mod wrappers;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tantivy::columnar::StrColumn;
use tantivy::schema::{Facet, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{ANALYSIS_VERSION, AnalyzerKind};
use crate::case::store::{self, CaseFile, Loaded};
use crate::case::{Case, Diagnostic, FileChange, Severity};
use crate::progress::Progress;
use crate::suggest::CaseWords;
pub use facets::{FacetCount, Facets};
pub use schema::{Fields, ONGOING, SCHEMA_VERSION, TextField};
pub use search::{
    AlsoRead, Hit, SearchOptions, SearchRequest, SearchResults, SectionSnippet, Sort,
};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index {path}: {source}")]
    Tantivy {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the index is busy: another kaizen-wa process is writing to {0}")]
    Locked(PathBuf),
}

/// `index/kaizen-wa.json`: which schema and analysis built this index.
const MANIFEST: &str = "kaizen-wa.json";

#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    schema_version: u32,
    analysis_version: u32,
}

impl Manifest {
    fn current() -> Manifest {
        Manifest {
            schema_version: SCHEMA_VERSION,
            analysis_version: ANALYSIS_VERSION,
        }
    }
}

/// Memory budget for the writer, shared by its threads.
const WRITER_HEAP: usize = 200 * 1024 * 1024;

pub struct CaseIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Facet tables of the segments searchers use, built by the reader as
    /// it publishes a searcher (facets.rs says why).
    facet_tables: Arc<facets::FacetTables>,
    writer: Mutex<Option<IndexWriter>>,
    /// The index was (re)created on open: new, or built by another version.
    pub created: bool,
}

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
/// [`CaseIndex::sync_with`]).
const SYNC_CHUNK: usize = 1_000;

/// A sync commits after this many changed cases, and at its end.
const COMMIT_EVERY: usize = 5_000;

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

/// Decompressed blocks of stored cases kept per segment (16 KiB each,
/// 2–4 cases): every hit of a page reads its case, and tantivy's default of
/// 100 blocks holds under a tenth of 10,000 cases, so the cases people keep
/// finding were decompressed again on every search. 1,024 blocks: 16 MiB.
const DOC_STORE_CACHE_BLOCKS: usize = 1024;

impl CaseIndex {
    /// Opens the index in `dir`, creating it (or rebuilding it empty, when
    /// it was built by another schema or analysis version).
    pub fn open(dir: &Path) -> Result<CaseIndex, IndexError> {
        Self::open_with(dir, false)
    }

    /// Like [`open`](Self::open), but always starts from an empty index.
    pub fn open_with(dir: &Path, rebuild: bool) -> Result<CaseIndex, IndexError> {
        let io = |source| IndexError::Io {
            path: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        let fields = Fields::new();
        let manifest_path = dir.join(MANIFEST);
        let current = fs::read(&manifest_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
            .is_some_and(|m| m == Manifest::current());
        let has_index = dir.join("meta.json").exists();
        let tantivy_err = |source| IndexError::Tantivy {
            path: dir.to_owned(),
            source,
        };
        let (index, created) = if has_index && current && !rebuild {
            (Index::open_in_dir(dir).map_err(tantivy_err)?, false)
        } else {
            clear_index_dir(dir).map_err(io)?;
            let index = Index::create_in_dir(dir, fields.schema.clone()).map_err(tantivy_err)?;
            let manifest = serde_json::to_vec_pretty(&Manifest::current()).expect("serializable");
            store::write_atomic(&manifest_path, &manifest)?;
            (index, true)
        };
        crate::analysis::register(index.tokenizers());
        completion::register(index.tokenizers());
        let facet_tables = Arc::new(facets::FacetTables::default());
        let warmer: Weak<dyn tantivy::Warmer> = Arc::downgrade(&facet_tables) as _;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .warmers(vec![warmer])
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()
            .map_err(tantivy_err)?;
        Ok(CaseIndex {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            facet_tables,
            writer: Mutex::new(None),
            created,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    fn tantivy_err(&self) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
        |source| match source {
            tantivy::TantivyError::LockFailure(..) => IndexError::Locked(self.dir.clone()),
            source => IndexError::Tantivy {
                path: self.dir.clone(),
                source,
            },
        }
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>, IndexError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let threads = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8);
            let writer = self
                .index
                .writer_with_num_threads(threads, WRITER_HEAP)
                .map_err(self.tantivy_err())?;
            *guard = Some(writer);
        }
        Ok(guard)
    }

    /// Drops the writer (if any), releasing the index's write lock: a
    /// server that stops lets the next process (a restart, the CLI) write
    /// at once, even while searches still hold this index.
    pub fn release_writer(&self) {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(writer);
    }

    /// The generation of the index searches see now: a new one after every
    /// reload (commit), so answers can be cached until it changes.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// Number of cases in the index.
    pub fn num_cases(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Size of the index files in bytes.
    pub fn size_bytes(&self) -> u64 {
        fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

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
        let mut report = SyncReport::default();
        let mut claims = Claims::new(indexed, exists);
        // Paths deleted by this sync (each counted once).
        let mut deleted: HashSet<String> = HashSet::new();
        let mut pending = 0usize;
        if !gone.is_empty() {
            let guard = self.writer()?;
            let writer = guard.as_ref().expect("writer was just created");
            for rel in gone {
                writer.delete_term(Term::from_field_text(self.fields.path, rel));
                deleted.insert(rel.clone());
                pending += 1;
            }
        }
        for chunk in files.chunks(SYNC_CHUNK) {
            // Read and hash in parallel; parse only what changed.
            let loaded: Vec<(&CaseFile, Result<Option<Loaded>, store::StoreError>)> = chunk
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
                .collect();
            let mut to_index: Vec<Loaded> = Vec::new();
            let mut to_delete: Vec<String> = Vec::new();
            for (file, result) in loaded {
                let l = match result {
                    Ok(None) => {
                        report.unchanged += 1;
                        continue;
                    }
                    Ok(Some(l)) => l,
                    // Gone between listing and reading (or a watcher's
                    // path of a removed file).
                    Err(e) if e.is_not_found() => {
                        if indexed.contains_key(&file.rel) && deleted.insert(file.rel.clone()) {
                            to_delete.push(file.rel.clone());
                        }
                        continue;
                    }
                    Err(e) => {
                        report.invalid += 1;
                        report.diagnostics.push(e.diagnostic(&file.rel));
                        continue;
                    }
                };
                report
                    .diagnostics
                    .extend(l.parsed.diagnostics.iter().cloned());
                let Some(case) = &l.parsed.case else {
                    report.invalid += 1;
                    continue;
                };
                let previous = indexed.get(&l.file.rel).map(|i| i.id.as_str());
                match claims.claim(&case.id, &l.file.rel, previous) {
                    Claim::Free => {}
                    Claim::Taken(other) => {
                        report.invalid += 1;
                        report.diagnostics.push(Diagnostic::duplicate_id(
                            PathBuf::from(&l.file.rel),
                            1,
                            &case.id,
                            &other,
                        ));
                        continue;
                    }
                    // A rename: the entry of the file that is gone goes.
                    Claim::Moved(other) => {
                        if deleted.insert(other.clone()) {
                            to_delete.push(other);
                        }
                    }
                }
                if indexed.contains_key(&l.file.rel) {
                    report.updated += 1;
                } else {
                    report.added += 1;
                }
                to_index.push(l);
            }
            pending += to_delete.len() + to_index.len();
            if !to_delete.is_empty() || !to_index.is_empty() {
                let guard = self.writer()?;
                let writer = guard.as_ref().expect("writer was just created");
                for rel in &to_delete {
                    writer.delete_term(Term::from_field_text(self.fields.path, rel));
                }
                for l in &to_index {
                    if indexed.contains_key(&l.file.rel) {
                        writer.delete_term(Term::from_field_text(self.fields.path, &l.file.rel));
                    }
                }
                // Analysis is the expensive part: spread it over every core.
                // `add_document` takes `&self` and queues to tantivy's threads.
                let results: Vec<Result<u64, tantivy::TantivyError>> = to_index
                    .par_iter()
                    .map(|l| {
                        let case = l.parsed.case.as_ref().expect("only valid cases are queued");
                        let doc = self.document(case, &l.file.rel, &l.hash);
                        writer.add_document(doc).map(|_| text_len(case))
                    })
                    .collect();
                for r in results {
                    report.bytes_indexed += r.map_err(self.tantivy_err())?;
                }
            }
            progress.add(chunk.len() as u64);
            if pending >= COMMIT_EVERY {
                self.commit()?;
                pending = 0;
            }
        }
        if pending > 0 {
            self.commit()?;
        }
        report.removed = deleted.len();
        report
            .diagnostics
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        Ok(report)
    }

    /// Applies the index side of members' edits, in order, in one commit:
    /// an upsert deletes whatever the file's path held and adds the case
    /// (tantivy's update = delete by term + add), a delete drops the path.
    /// The reader is reloaded before this returns, so the edits are
    /// searchable as soon as it does.
    pub fn apply(&self, ops: &[FileChange]) -> Result<(), IndexError> {
        if ops.is_empty() {
            return Ok(());
        }
        // Analyse outside the writer lock: it is the slow part.
        let docs: Vec<Option<TantivyDocument>> = ops
            .par_iter()
            .map(|op| match op {
                FileChange::Saved { rel, hash, case } => Some(self.document(case, rel, hash)),
                FileChange::Removed { .. } => None,
            })
            .collect();
        let guard = self.writer()?;
        let writer = guard.as_ref().expect("writer was just created");
        for (op, doc) in ops.iter().zip(docs) {
            let rel = match op {
                FileChange::Saved { rel, .. } | FileChange::Removed { rel } => rel,
            };
            writer.delete_term(Term::from_field_text(self.fields.path, rel));
            if let Some(doc) = doc {
                writer.add_document(doc).map_err(self.tantivy_err())?;
            }
        }
        drop(guard);
        self.commit()
    }

    /// Whether the index holds a case for the file at `rel`.
    pub fn has_path(&self, rel: &str) -> Result<bool, IndexError> {
        self.has_term(self.fields.path, rel)
    }

    fn has_term(&self, field: tantivy::schema::Field, value: &str) -> Result<bool, IndexError> {
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(field, value),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let n = self
            .reader
            .searcher()
            .search(&query, &tantivy::collector::Count)
            .map_err(self.tantivy_err())?;
        Ok(n > 0)
    }

    /// The case with this id as the index holds it, with the content hash
    /// of the file it was read from (the ETag a reader sends back). Case
    /// and hash come from one stored document, so they always belong
    /// together.
    pub fn get_with_hash(&self, id: &str) -> Result<Option<(Case, String)>, IndexError> {
        let Some(doc) = self.first_doc(self.fields.id, id)? else {
            return Ok(None);
        };
        let text = |f| doc.get_first(f).and_then(|v| v.as_str()).map(str::to_owned);
        let case = text(self.fields.case).and_then(|s| serde_json::from_str::<Case>(&s).ok());
        Ok(case.zip(text(self.fields.hash)))
    }

    /// The first document whose raw-string `field` is `value`.
    fn first_doc(
        &self,
        field: tantivy::schema::Field,
        value: &str,
    ) -> Result<Option<TantivyDocument>, IndexError> {
        let searcher = self.reader.searcher();
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(field, value),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher
            .search(
                &query,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )
            .map_err(self.tantivy_err())?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        searcher.doc(*addr).map(Some).map_err(self.tantivy_err())
    }

    /// Merges every segment into one, waits for it, and reloads.
    ///
    /// A search pays per segment for every term it looks up and every
    /// scorer it opens (a query is hundreds of them: words × synonyms ×
    /// fields × analyzers), and a bulk sync leaves one segment per
    /// indexing thread; one segment makes every later search cheaper.
    /// Returns whether there was anything to merge.
    pub fn optimize(&self) -> Result<bool, IndexError> {
        let ids = self
            .index
            .searchable_segment_ids()
            .map_err(self.tantivy_err())?;
        if ids.len() < 2 {
            return Ok(false);
        }
        let mut guard = self.writer()?;
        let writer = guard.as_mut().expect("writer was just created");
        writer.merge(&ids).wait().map_err(self.tantivy_err())?;
        drop(guard);
        self.reader.reload().map_err(self.tantivy_err())?;
        Ok(true)
    }

    fn commit(&self) -> Result<(), IndexError> {
        let mut guard = self.writer()?;
        let writer = guard.as_mut().expect("writer was just created");
        writer.commit().map_err(self.tantivy_err())?;
        drop(guard);
        self.reader.reload().map_err(self.tantivy_err())
    }

    /// The tantivy document of a case.
    fn document(&self, case: &Case, path: &str, hash: &str) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &case.id);
        doc.add_text(f.path, path);
        doc.add_text(f.hash, hash);
        doc.add_text(
            f.case,
            serde_json::to_string(case).expect("a case serializes"),
        );
        doc.add_text(f.municipality, &case.municipality);
        for level in &case.levels {
            doc.add_facet(f.level, Facet::from_path([level.name()]));
        }
        doc.add_facet(f.prefecture, Facet::from_path([case.prefecture.as_str()]));
        doc.add_facet(f.kind, Facet::from_path([case.kind.name()]));
        let decade = case.period.start.div_euclid(10) * 10;
        doc.add_facet(f.decade, Facet::from_path([format!("{decade}")]));
        doc.add_i64(f.start_year, i64::from(case.period.start));
        doc.add_i64(f.end_year, case.period.end.map_or(ONGOING, i64::from));
        doc.add_i64(f.updated, updated_key(case.updated.as_deref()));
        for term in CaseWords::places(case).terms() {
            doc.add_text(f.suggest, term);
        }
        for value in schema::meta_values(case) {
            doc.add_text(f.meta, value);
        }

        for tf in &f.texts {
            let text = text_of(case, tf);
            if text.trim().is_empty() {
                continue;
            }
            // Tokenized by tantivy's indexing threads with our analyzers;
            // their per-thread cache segments the text once for all three.
            // (Pre-tokenized strings would skip that, but tantivy 0.27
            // round-trips them through JSON: slower than a segmentation.)
            for kind in AnalyzerKind::ALL {
                doc.add_text(tf.field(kind), &text);
            }
            // Its content nouns complete, from the same analysis; place
            // names complete whole (`suggest`), not by their parts.
            if tf.name != "place" {
                doc.add_text(f.suggest_words, &text);
            }
        }
        doc
    }

    /// Whether a case with this id is indexed: a term count, no stored
    /// document read (a create checks this for every new id).
    pub fn has_id(&self, id: &str) -> Result<bool, IndexError> {
        self.has_term(self.fields.id, id)
    }

    /// The case with this id, from the index.
    pub fn get(&self, id: &str) -> Result<Option<Case>, IndexError> {
        Ok(self
            .first_doc(self.fields.id, id)?
            .and_then(|doc| self.fields.stored_case(&doc)))
    }
}

/// The text a [`TextField`] indexes for a case.
fn text_of(case: &Case, tf: &TextField) -> String {
    match (tf.section, tf.name) {
        (Some(section), _) => case.sections.get(section).to_owned(),
        (None, "title") => case.title.clone(),
        (None, "place") => format!("{} {}", case.municipality, case.prefecture),
        (None, "tags") => case.tags.join(" "),
        _ => String::new(),
    }
}

fn text_len(case: &Case) -> u64 {
    let sections: usize = case.narrative().map(|(_, t)| t.len()).sum();
    (case.title.len() + sections) as u64
}

/// `2025-04-01` → 20250401 (0 when unknown), for sorting.
fn updated_key(updated: Option<&str>) -> i64 {
    updated
        .map(|u| u.replace('-', ""))
        .and_then(|u| u.parse().ok())
        .unwrap_or(0)
}

/// Removes an index's files, keeping what people put there (README).
fn clear_index_dir(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("README") || name == ".gitkeep" {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
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
