//! Query wrappers that tantivy lacks. They know nothing of words or
//! fields.
//!
//! * [`ExcludedQuery`]: an excluded clause (`-"改善運動"`). tantivy's
//!   exclusion asks its clause with `seek_danger`, which a phrase scorer
//!   answers with a debug assertion when it has already moved past the
//!   document asked about — as a phrase with no match in a segment has,
//!   from the start (tantivy 0.27, `PhraseScorer::seek_danger`). The
//!   wrapper answers with a plain `seek`, which is only ever called
//!   forward.

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// Delegates everything to `inner` but `seek_danger`, which keeps
/// `DocSet`'s own (`doc()`, then `seek` only when behind the target).
struct Plain {
    inner: Box<dyn Scorer>,
}

impl DocSet for Plain {
    fn advance(&mut self) -> DocId {
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for Plain {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

/// Matches what `inner` matches, for use as a `MustNot` clause.
pub(crate) struct ExcludedQuery {
    inner: Box<dyn Query>,
}

impl ExcludedQuery {
    pub(crate) fn new(inner: Box<dyn Query>) -> ExcludedQuery {
        ExcludedQuery { inner }
    }
}

impl Clone for ExcludedQuery {
    fn clone(&self) -> Self {
        ExcludedQuery {
            inner: self.inner.box_clone(),
        }
    }
}

impl fmt::Debug for ExcludedQuery {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Excluded({:?})", self.inner)
    }
}

impl Query for ExcludedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // An excluded clause never scores.
        let disabled = match enable_scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => enable_scoring,
        };
        Ok(Box::new(ExcludedWeight {
            inner: self.inner.weight(disabled)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct ExcludedWeight {
    inner: Box<dyn Weight>,
}

impl Weight for ExcludedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Plain {
            inner: self.inner.scorer(reader, boost)?,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::Count;
    use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    /// Excluding a phrase that no document of a segment holds: everything
    /// else stays, and no debug assertion fires (tests run in debug).
    #[test]
    fn excluding_a_phrase_without_matches_keeps_everything() {
        let mut b = Schema::builder();
        let f = b.add_text_field("f", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for text in ["kaizen undo", "undo kaizen", "other words"] {
            let mut d = TantivyDocument::default();
            d.add_text(f, text);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let phrase = |a: &str, b: &str| -> Box<dyn Query> {
            Box::new(PhraseQuery::new(vec![
                Term::from_field_text(f, a),
                Term::from_field_text(f, b),
            ]))
        };
        let all_but = |q: Box<dyn Query>| {
            BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, Box::new(ExcludedQuery::new(q))),
            ])
        };
        let count = |q: &dyn Query| searcher.search(q, &Count).unwrap();
        assert_eq!(count(&all_but(phrase("no", "such"))), 3);
        assert_eq!(count(&all_but(phrase("kaizen", "undo"))), 2);
        assert_eq!(count(&all_but(phrase("undo", "kaizen"))), 2);
    }
}
