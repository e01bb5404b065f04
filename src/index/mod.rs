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
mod sync;
mod wrappers;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use rayon::prelude::*;
use tantivy::indexer::{DefaultMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::schema::{Facet, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{ANALYSIS_VERSION, AnalyzerKind};
use crate::case::store;
use crate::case::{Case, FileChange};
use crate::suggest::CaseWords;
pub use facets::{FacetCount, Facets};
pub use schema::{Fields, ONGOING, SCHEMA_VERSION, TextField};
pub use search::{
    AlsoRead, Hit, Nearest, Related, SearchOptions, SearchRequest, SearchResults, SectionSnippet,
    Sort, WordSynonyms,
};
pub use sync::SyncReport;

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

    /// Whether the writer merges segments as its commits leave them
    /// (tantivy's policy, for the few cases an edit or a pull changes), or
    /// leaves them to one [`optimize`](Self::optimize) (a sync writing
    /// many cases, see `sync`).
    pub(crate) fn merge_as_written(&self, on: bool) -> Result<(), IndexError> {
        let guard = self.writer()?;
        let writer = guard.as_ref().expect("writer was just created");
        let policy: Box<dyn MergePolicy> = match on {
            true => Box::new(DefaultMergePolicy::default()),
            false => Box::new(NoMergePolicy),
        };
        writer.set_merge_policy(policy);
        Ok(())
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
