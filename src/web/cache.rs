//! A small cache of search results for the API and the search page.
//!
//! Keyed by the validated request (query, filters, sort, page) and valid
//! for one index generation: every reload of the index (a sync, a member's
//! edit) starts a new generation, and the first look-up that sees it
//! empties the cache. The same search asked again (a shared link, paging
//! back, the search-as-you-type request repeated by the final submit) is
//! then answered without searching. Bounded: the least recently used
//! entry goes when it is full (the `lru` crate keeps that order).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::index::{SearchRequest, SearchResults};

/// Entries kept by default: a results page is a few tens of kilobytes.
pub const CAPACITY: usize = 256;

/// Environment variable that sets how many answers are kept (`0`: no
/// cache, e.g. to measure searches themselves).
pub const CAPACITY_ENV: &str = "KAIZEN_WA_SEARCH_CACHE";

/// The capacity [`CAPACITY_ENV`] asks for, else [`CAPACITY`].
pub fn capacity_from_env() -> usize {
    std::env::var(CAPACITY_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(CAPACITY)
}

/// What a search answered.
#[derive(Debug)]
pub struct Cached {
    pub results: SearchResults,
    pub did_you_mean: Option<String>,
}

pub struct SearchCache {
    /// `None`: capacity 0, nothing is kept.
    inner: Option<Mutex<Inner>>,
}

struct Inner {
    generation: u64,
    entries: LruCache<SearchRequest, Arc<Cached>>,
}

impl Inner {
    /// Forgets everything when `generation` is newer than the entries'.
    /// False when it is older: a search that started before a reload must
    /// not store its answer for the new generation.
    fn at(&mut self, generation: u64) -> bool {
        if generation > self.generation {
            self.entries.clear();
            self.generation = generation;
        }
        generation == self.generation
    }
}

impl SearchCache {
    pub fn new(capacity: usize) -> SearchCache {
        SearchCache {
            inner: NonZeroUsize::new(capacity).map(|cap| {
                Mutex::new(Inner {
                    generation: 0,
                    entries: LruCache::new(cap),
                })
            }),
        }
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Inner>> {
        // A panic while holding the lock leaves a consistent map (every
        // change is one call): keep using it.
        self.inner
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The answer to `request` on index `generation`, if kept.
    pub fn get(&self, generation: u64, request: &SearchRequest) -> Option<Arc<Cached>> {
        let mut inner = self.lock()?;
        if !inner.at(generation) {
            return None;
        }
        inner.entries.get(request).cloned()
    }

    /// Keeps the answer to `request`, computed on index `generation`; the
    /// least recently used entry goes when the cache is full.
    pub fn put(&self, generation: u64, request: SearchRequest, answer: Arc<Cached>) {
        let Some(mut inner) = self.lock() else {
            return;
        };
        if inner.at(generation) {
            inner.entries.put(request, answer);
        }
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |inner| inner.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn request(q: &str) -> SearchRequest {
        SearchRequest {
            query: q.into(),
            limit: 10,
            ..SearchRequest::default()
        }
    }

    fn answer(total: usize) -> Arc<Cached> {
        Arc::new(Cached {
            results: SearchResults {
                total,
                partial_total: 0,
                hits: Vec::new(),
                facets: None,
                related: Vec::new(),
                words: Vec::new(),
                also_read: Vec::new(),
                dropped_words: Vec::new(),
                synonyms: Vec::new(),
                took: Duration::ZERO,
                generation: 0,
            },
            did_you_mean: None,
        })
    }

    #[test]
    fn a_request_is_answered_until_the_index_changes() {
        let cache = SearchCache::new(4);
        assert!(cache.get(1, &request("改善")).is_none());
        cache.put(1, request("改善"), answer(3));
        assert_eq!(cache.get(1, &request("改善")).unwrap().results.total, 3);
        // Another page, filter or query is another request.
        let mut page2 = request("改善");
        page2.offset = 10;
        assert!(cache.get(1, &page2).is_none());
        assert!(cache.get(1, &request("首長")).is_none());
        // A reload: nothing of the old generation is answered, nor kept.
        assert!(cache.get(2, &request("改善")).is_none());
        assert!(cache.is_empty());
        // A search that began before the reload does not store its answer.
        cache.put(1, request("改善"), answer(3));
        assert!(cache.is_empty());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache = SearchCache::new(0);
        cache.put(1, request("a"), answer(1));
        assert!(cache.get(1, &request("a")).is_none());
    }

    #[test]
    fn the_least_recently_used_entry_goes_when_full() {
        let cache = SearchCache::new(2);
        cache.put(1, request("a"), answer(1));
        cache.put(1, request("b"), answer(2));
        assert!(cache.get(1, &request("a")).is_some());
        cache.put(1, request("c"), answer(3));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(1, &request("b")).is_none());
        assert!(cache.get(1, &request("a")).is_some());
        assert!(cache.get(1, &request("c")).is_some());
    }
}
