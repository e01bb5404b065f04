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
//! * [`PreferQuery`]: what either of two queries matches, scored by the
//!   first where it matches, else by the second: a compound as typed, else
//!   its parts apart. A `Should` of both would add the parts' score to the
//!   cases holding the compound (which hold its parts too), reordering them
//!   by how often they say each part alone.

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

/// Matches what `first` or `then` matches; scores `first`'s score where
/// it matches, else `then`'s.
pub(crate) struct PreferQuery {
    first: Box<dyn Query>,
    then: Box<dyn Query>,
}

impl PreferQuery {
    pub(crate) fn new(first: Box<dyn Query>, then: Box<dyn Query>) -> PreferQuery {
        PreferQuery { first, then }
    }
}

impl Clone for PreferQuery {
    fn clone(&self) -> Self {
        PreferQuery {
            first: self.first.box_clone(),
            then: self.then.box_clone(),
        }
    }
}

impl fmt::Debug for PreferQuery {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Prefer({:?}, else {:?})", self.first, self.then)
    }
}

impl Query for PreferQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PreferWeight {
            first: self.first.weight(enable_scoring)?,
            then: self.then.weight(enable_scoring)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.first.query_terms(visitor);
        self.then.query_terms(visitor);
    }
}

struct PreferWeight {
    first: Box<dyn Weight>,
    then: Box<dyn Weight>,
}

impl Weight for PreferWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Preferred {
            first: self.first.scorer(reader, boost)?,
            then: self.then.scorer(reader, boost)?,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.first
            .explain(reader, doc)
            .or_else(|_| self.then.explain(reader, doc))
    }
}

/// The union of two scorers, scored by the first one on the document.
struct Preferred {
    first: Box<dyn Scorer>,
    then: Box<dyn Scorer>,
}

impl DocSet for Preferred {
    fn advance(&mut self) -> DocId {
        let doc = self.doc();
        if self.first.doc() == doc {
            self.first.advance();
        }
        if self.then.doc() == doc {
            self.then.advance();
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        // Each scorer only moves forward.
        if self.first.doc() < target {
            self.first.seek(target);
        }
        if self.then.doc() < target {
            self.then.seek(target);
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.first.doc().min(self.then.doc())
    }

    fn size_hint(&self) -> u32 {
        self.first.size_hint().max(self.then.size_hint())
    }

    fn cost(&self) -> u64 {
        self.first.cost() + self.then.cost()
    }
}

impl Scorer for Preferred {
    fn score(&mut self) -> Score {
        if self.first.doc() == self.doc() {
            self.first.score()
        } else {
            self.then.score()
        }
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

    /// Either query's matches; the first one's score wherever it matches
    /// (never the sum), the second's elsewhere; inside a conjunction too.
    #[test]
    fn prefers_the_first_query_score_where_it_matches() {
        use tantivy::collector::TopDocs;
        use tantivy::query::TermQuery;
        use tantivy::schema::IndexRecordOption;

        let mut b = Schema::builder();
        let f = b.add_text_field("f", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for text in ["x", "a b", "b", "a x", "c"] {
            let mut d = TantivyDocument::default();
            d.add_text(f, text);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, v),
                IndexRecordOption::WithFreqs,
            ))
        };
        let top = TopDocs::with_limit(10).order_by_score();
        let prefer = PreferQuery::new(term("a"), term("b"));
        let mut hits = searcher.search(&prefer, &top).unwrap();
        hits.sort_by_key(|(_, a)| a.doc_id);
        let docs: Vec<u32> = hits.iter().map(|(_, a)| a.doc_id).collect();
        assert_eq!(docs, vec![1, 2, 3]);
        let score_of = |hits: &[(f32, tantivy::DocAddress)], doc: u32| {
            hits.iter().find(|(_, a)| a.doc_id == doc).unwrap().0
        };
        // "a b" scores a's score alone, not a + b; "b" scores b's.
        let a_alone = searcher.search(&*term("a"), &top).unwrap();
        let b_alone = searcher.search(&*term("b"), &top).unwrap();
        assert!((score_of(&hits, 1) - score_of(&a_alone, 1)).abs() < 1e-4);
        assert!((score_of(&hits, 2) - score_of(&b_alone, 2)).abs() < 1e-4);
        let both = BooleanQuery::new(vec![
            (Occur::Must, Box::new(prefer.clone()) as Box<dyn Query>),
            (Occur::Must, term("x")),
        ]);
        let hits = searcher.search(&both, &top).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].1.doc_id, 3);
        assert_eq!(searcher.search(&prefer, &Count).unwrap(), 3);
    }
}
