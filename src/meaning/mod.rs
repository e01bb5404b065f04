//! Cases related by meaning: one vector per case from a multilingual
//! embedding model shipped in the binary (multilingual-e5-small, 4-bit; the
//! `kaizen-wa-embed` crate), and the cases nearest a query or a case.
//!
//! A practitioner describes a problem in their own words (職員のやる気が
//! 続かない) and the case writers used others (意欲の低下, 形骸化): word
//! search finds nothing, the vectors of the two texts are near. Searches
//! show such cases *after* their matches, labelled, never counted
//! (`index::search::related` admits them); 似た事例 ranks by them.
//!
//! Owns when vectors are computed (once per case content, by
//! [`Meaning::catch_up`]: in the background of a server, before a one-shot
//! command answers), where they are kept ([`store`], beside the index), and
//! the query vectors' cache. Must not decide what a search shows or counts:
//! that is the index's; here cases are only ranked.

mod store;

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use kaizen_wa_embed::{DIM, MODEL_ID, Model};
use lru::LruCache;
use rayon::prelude::*;

use crate::case::Case;
use crate::index::{CaseIndex, IndexError, Nearest};
use crate::progress::{Progress, Snapshot};
use crate::query::Atom;
pub use store::{StoreError, Vectors};

/// The vectors file in the index folder.
pub const FILE: &str = "meaning.vectors";

/// Environment variable that turns the feature off (`1`): no vectors are
/// computed and searches show no related cases; 似た事例 ranks by shared
/// words. For a large benchmark corpus, where computing the vectors would
/// take hours on a small machine.
pub const OFF_ENV: &str = "KAIZEN_WA_NO_MEANING";

/// How many cases a query or case is compared against and handed to the
/// index to admit (filters, excluded words, not matches), nearest first.
const CANDIDATES: usize = 200;

/// Characters of a case embedded: the title and the narrative, cut here.
/// A case is a few thousand characters; the cut bounds what one hostile
/// or enormous file can cost (the model reads 512 tokens, about 700
/// characters of Japanese, per window; the time grows with the windows).
const MAX_CHARS: usize = 8_000;

/// Query vectors kept: the same query asked again (paging, a shared link)
/// costs no embedding.
const QUERY_CACHE: usize = 512;

/// How often a long catch-up makes its vectors searchable and saves them.
const PUBLISH_EVERY: Duration = Duration::from_secs(5);

/// What the vectors are doing, for `/healthz` and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Turned off ([`OFF_ENV`], `--no-meaning`).
    #[default]
    Off,
    /// Computing the vectors of new or changed cases.
    Embedding,
    /// Every case of the index has its vector.
    Ready,
}

/// [`State`], how far the running catch-up got, and how many cases have a
/// vector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    pub state: State,
    /// Cases embedded by the running (or last) catch-up, of those it had
    /// to embed.
    pub progress: Snapshot,
    /// Cases with a vector now.
    pub cases: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MeaningError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("the embedded model cannot be read: {0}")]
    Model(String),
    #[error("saving the vectors to {path}: {source}")]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The vectors of one index's cases. Share it (`Arc`); every method takes
/// `&self`.
pub struct Meaning {
    /// `None`: turned off.
    path: Option<PathBuf>,
    /// Whether the saved file has been read (by the first catch-up).
    loaded: AtomicBool,
    vectors: RwLock<Arc<Vectors>>,
    /// Bumped whenever the vectors change: cached search answers (their
    /// related cases) are kept per value.
    version: AtomicU64,
    progress: Arc<Progress>,
    embedding: AtomicBool,
    /// One catch-up at a time.
    working: Mutex<()>,
    queries: Mutex<LruCache<String, Arc<[f32]>>>,
}

impl Meaning {
    /// The vectors of the index in `index_dir`. The file saved there is
    /// read by the first [`catch_up`](Self::catch_up), not here: a server
    /// starts without reading it (at 100,000 cases, 150 MB).
    pub fn open(index_dir: &Path) -> Meaning {
        Meaning::new(Some(index_dir.join(FILE)))
    }

    /// Turned off: no vectors, nothing related.
    pub fn off() -> Meaning {
        Meaning::new(None)
    }

    /// [`open`](Self::open), or [`off`](Self::off) when `off`.
    pub fn open_unless(index_dir: &Path, off: bool) -> Meaning {
        match off {
            true => Meaning::off(),
            false => Meaning::open(index_dir),
        }
    }

    fn new(path: Option<PathBuf>) -> Meaning {
        let on = path.is_some();
        Meaning {
            path,
            loaded: AtomicBool::new(false),
            vectors: RwLock::new(Arc::new(Vectors::new(DIM))),
            version: AtomicU64::new(0),
            progress: Progress::new(),
            // Until the first catch-up has run, the vectors may lag the
            // index.
            embedding: AtomicBool::new(on),
            working: Mutex::new(()),
            queries: Mutex::new(LruCache::new(
                NonZeroUsize::new(QUERY_CACHE).expect("non-zero"),
            )),
        }
    }

    pub fn is_on(&self) -> bool {
        self.path.is_some()
    }

    /// Changes whenever the vectors do (see the field).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    pub fn status(&self) -> Status {
        let state = match (self.is_on(), self.embedding.load(Ordering::Acquire)) {
            (false, _) => State::Off,
            (true, true) => State::Embedding,
            (true, false) => State::Ready,
        };
        Status {
            state,
            progress: self.progress.snapshot(),
            cases: self.snapshot().len() as u64,
        }
    }

    fn snapshot(&self) -> Arc<Vectors> {
        Arc::clone(&self.vectors.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Computes the vector of every case of `index` that has none for its
    /// current content, drops those of removed cases, and saves. Vectors
    /// become searchable as they come (every few seconds). `threads`: how
    /// many cases are embedded at once (a server in the background: one,
    /// leaving the other cores to searches). Returns how many were
    /// embedded.
    pub fn catch_up(&self, index: &CaseIndex, threads: usize) -> Result<usize, MeaningError> {
        let Some(path) = &self.path else {
            return Ok(0);
        };
        let _one = self.working.lock().unwrap_or_else(|e| e.into_inner());
        self.embedding.store(true, Ordering::Release);
        let _done = Flag(&self.embedding);
        let versions = index.versions()?;
        let current = match self.loaded.swap(true, Ordering::AcqRel) {
            true => self.snapshot(),
            false => {
                let saved = Arc::new(Vectors::load(path, MODEL_ID, DIM));
                self.show(Arc::clone(&saved));
                saved
            }
        };
        let todo: Vec<&(String, String)> = versions
            .iter()
            .filter(|(id, hash)| !current.is_current(id, hash))
            .collect();
        let live: HashSet<&str> = versions.iter().map(|(id, _)| id.as_str()).collect();
        let removed = current.ids().any(|id| !live.contains(id));
        if todo.is_empty() && !removed {
            return Ok(0);
        }
        self.progress.start(todo.len() as u64);
        let mut working = (*current).clone();
        working.retain(|id| live.contains(id));
        let model = if todo.is_empty() {
            None
        } else {
            Some(Model::embedded().map_err(|e| MeaningError::Model(e.to_string()))?)
        };
        let mut published = Instant::now();
        let batch = threads.max(1);
        for chunk in todo.chunks(batch) {
            let model = model.expect("loaded when there is work");
            let done: Vec<_> = if batch > 1 {
                chunk
                    .par_iter()
                    .map(|c| embed_case(index, model, c))
                    .collect()
            } else {
                chunk.iter().map(|c| embed_case(index, model, c)).collect()
            };
            for one in done {
                // A case removed meanwhile has nothing to embed.
                if let Some(e) = one? {
                    working.insert(e.id, e.hash, &e.vector);
                }
                self.progress.add(1);
            }
            if published.elapsed() >= PUBLISH_EVERY {
                self.publish(path, working.clone())?;
                published = Instant::now();
            }
        }
        self.publish(path, working)?;
        Ok(todo.len())
    }

    /// Makes `vectors` the ones searched.
    fn show(&self, vectors: Arc<Vectors>) {
        *self.vectors.write().unwrap_or_else(|e| e.into_inner()) = vectors;
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Makes `vectors` the ones searched, and saves them.
    fn publish(&self, path: &Path, vectors: Vectors) -> Result<(), MeaningError> {
        let bytes = vectors.encode(MODEL_ID);
        self.show(Arc::new(vectors));
        crate::atomic::write(
            path,
            &bytes,
            crate::atomic::Mode::Replace,
            crate::atomic::Access::Default,
        )
        .map_err(|source| MeaningError::Save {
            path: path.to_owned(),
            source,
        })
    }

    /// The query's vector, from the cache or computed; `None` when the
    /// model cannot be read (logged once).
    fn query_vector(&self, query: &str) -> Option<Arc<[f32]>> {
        let mut cache = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(query) {
            return Some(Arc::clone(v));
        }
        drop(cache);
        let model = loaded_model()?;
        let v: Arc<[f32]> = model.query(query).as_ref().into();
        let mut cache = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        cache.put(query.to_owned(), Arc::clone(&v));
        Some(v)
    }
}

impl Nearest for Meaning {
    fn to_query(&self, query: &str) -> Vec<(String, f32)> {
        let text = asked_for(query);
        let vectors = self.snapshot();
        if vectors.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let Some(q) = self.query_vector(&text) else {
            return Vec::new();
        };
        vectors.nearest(&q, CANDIDATES, |_| false)
    }

    fn to_case(&self, id: &str) -> Vec<(String, f32)> {
        let vectors = self.snapshot();
        let Some(v) = vectors.get(id) else {
            return Vec::new();
        };
        vectors.nearest(v, CANDIDATES, |other| other == id)
    }
}

/// A case's vector, under the content hash it was computed from.
struct Embedded<'a> {
    id: &'a str,
    hash: &'a str,
    vector: [f32; DIM],
}

/// The vector of the indexed case `id` (as of the content `hash`);
/// `None` if it was removed meanwhile.
fn embed_case<'a>(
    index: &CaseIndex,
    model: &Model,
    (id, hash): &'a (String, String),
) -> Result<Option<Embedded<'a>>, MeaningError> {
    let case = index.get(id)?;
    Ok(case.map(|c| Embedded {
        id,
        hash,
        vector: model.passage(&case_text(&c)),
    }))
}

/// The model, loaded on first use; `None` (logged once) if it cannot be.
fn loaded_model() -> Option<&'static Model> {
    static LOGGED: OnceLock<()> = OnceLock::new();
    match Model::embedded() {
        Ok(m) => Some(m),
        Err(e) => {
            LOGGED.get_or_init(|| tracing::error!("the embedded model cannot be read: {e}"));
            None
        }
    }
}

/// What a case is embedded as: its title and narrative, as a reader
/// would read them, cut at [`MAX_CHARS`].
pub fn case_text(case: &Case) -> String {
    let mut text = case.title.clone();
    for (_, section) in case.narrative() {
        text.push('\n');
        text.push_str(section);
    }
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// What the query asks for, as the query language reads it: its words
/// and phrases without the excluded ones (`-予算`), whose cases are not
/// wanted.
fn asked_for(query: &str) -> String {
    crate::query::parse(query)
        .positive_atoms()
        .map(Atom::text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Clears the flag when dropped (a catch-up that fails still ends).
struct Flag<'a>(&'a AtomicBool);

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_words_are_not_embedded() {
        assert_eq!(asked_for("職員 -予算 やる気"), "職員 やる気");
        assert_eq!(asked_for("  －予算  "), "");
        assert_eq!(asked_for("首長交代"), "首長交代");
    }

    #[test]
    fn off_means_no_vectors_and_nothing_near() {
        let m = Meaning::off();
        assert!(!m.is_on());
        assert_eq!(m.status().state, State::Off);
        assert!(m.to_query("職員").is_empty());
        assert!(m.to_case("x").is_empty());
    }
}
