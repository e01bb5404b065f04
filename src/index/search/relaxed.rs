//! Matching several words relaxed: the cases that match at least some of
//! them, each with its BM25 score *and*, beside it, how many of the words
//! it matches ([`Matched`]).
//!
//! Owns walking the words' posting lists in step, per segment, under the
//! filters and exclusions. Must not rank, count or page (that is
//! [`super::collect`]'s), nor know what a word is.
//!
//! tantivy's collectors see one number per document, so a tier of "words
//! matched" would have to be packed into the score (a large constant per
//! word, unpacked again by remainder). That loses precision on the BM25
//! part and hides the tier from everything but the ranking. Here the tier
//! is data: the scorer knows which words sit on each document it stops at.

use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// How many of a query's words a case matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Matched {
    pub words: usize,
    /// Of how many.
    pub of: usize,
}

impl Matched {
    /// Matches every word: an answer to the query as typed, not a relaxed
    /// one.
    pub fn all(self) -> bool {
        self.words >= self.of
    }
}

/// At least `min` of `words`, all of `must`, none of `must_not`.
pub(super) struct Relaxed {
    pub words: Vec<Box<dyn Query>>,
    pub min: usize,
    /// Filters: a case must match each (they score nothing).
    pub must: Vec<Box<dyn Query>>,
    /// Exclusions: a case must match none.
    pub must_not: Vec<Box<dyn Query>>,
}

/// A [`Relaxed`] ready for segments: its words' weights scoring, the
/// others not.
pub(super) struct RelaxedWeight {
    words: Vec<Box<dyn Weight>>,
    min: usize,
    must: Vec<Box<dyn Weight>>,
    must_not: Vec<Box<dyn Weight>>,
}

impl Relaxed {
    pub fn weight(&self, searcher: &Searcher) -> tantivy::Result<RelaxedWeight> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let plain = EnableScoring::disabled_from_searcher(searcher);
        let weights = |qs: &[Box<dyn Query>], e: EnableScoring| {
            qs.iter()
                .map(|q| q.weight(e))
                .collect::<tantivy::Result<Vec<_>>>()
        };
        Ok(RelaxedWeight {
            words: weights(&self.words, scoring)?,
            min: self.min.max(1),
            must: weights(&self.must, plain)?,
            must_not: weights(&self.must_not, plain)?,
        })
    }
}

impl RelaxedWeight {
    pub fn scorer(&self, reader: &SegmentReader) -> tantivy::Result<RelaxedScorer> {
        let scorers = |ws: &[Box<dyn Weight>]| {
            ws.iter()
                .map(|w| w.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<_>>>()
        };
        Ok(RelaxedScorer {
            words: scorers(&self.words)?,
            min: self.min,
            must: scorers(&self.must)?,
            must_not: scorers(&self.must_not)?,
            doc: None,
            matched: 0,
        })
    }
}

/// The matches of a [`Relaxed`] in one segment, in document order
/// (deleted documents included: the caller checks).
pub(super) struct RelaxedScorer {
    words: Vec<Box<dyn Scorer>>,
    min: usize,
    must: Vec<Box<dyn Scorer>>,
    must_not: Vec<Box<dyn Scorer>>,
    /// The current match (`TERMINATED` at the end); `None` before the first.
    doc: Option<DocId>,
    matched: usize,
}

/// Whether `s` holds `doc` (never moving it backwards).
fn holds(s: &mut Box<dyn Scorer>, doc: DocId) -> bool {
    let mut at = s.doc();
    if at < doc {
        at = s.seek(doc);
    }
    at == doc
}

impl RelaxedScorer {
    /// Moves every word standing on `doc` to its next document.
    fn step_past(&mut self, doc: DocId) {
        for s in &mut self.words {
            if s.doc() == doc {
                s.advance();
            }
        }
    }

    /// Moves to the next match: its document, or `None` at the end.
    pub fn next_match(&mut self) -> Option<DocId> {
        if let Some(doc) = self.doc {
            self.step_past(doc);
        }
        loop {
            // The first document any word stands on, and how many stand
            // there.
            let (mut doc, mut matched) = (TERMINATED, 0);
            for at in self.words.iter().map(|s| s.doc()) {
                if at < doc {
                    (doc, matched) = (at, 1);
                } else if at == doc {
                    matched += 1;
                }
            }
            if doc == TERMINATED {
                self.doc = Some(TERMINATED);
                return None;
            }
            if matched >= self.min
                && self.must.iter_mut().all(|s| holds(s, doc))
                && !self.must_not.iter_mut().any(|s| holds(s, doc))
            {
                self.doc = Some(doc);
                self.matched = matched;
                return Some(doc);
            }
            self.step_past(doc);
        }
    }

    /// Whether `doc` is a match, for a scorer asked about a few documents
    /// rather than walked through all of them (the related cases of a
    /// search): ask in increasing document order, and do not mix with
    /// [`next_match`](Self::next_match). Without words, only the filters
    /// and exclusions are asked.
    pub fn is_match(&mut self, doc: DocId) -> bool {
        let mut matched = 0;
        for s in &mut self.words {
            if holds(s, doc) {
                matched += 1;
            }
        }
        (self.words.is_empty() || matched >= self.min)
            && self.must.iter_mut().all(|s| holds(s, doc))
            && !self.must_not.iter_mut().any(|s| holds(s, doc))
    }

    /// How many words the current match matches.
    pub fn matched(&self) -> usize {
        self.matched
    }

    /// The current match's score: the sum of its words' scores.
    pub fn score(&mut self) -> Score {
        let Some(doc) = self.doc else { return 0.0 };
        self.words
            .iter_mut()
            .filter(|s| s.doc() == doc)
            .map(|s| s.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    /// Documents with these values of one field; a term query per value.
    fn fixture(docs: &[&[&str]]) -> (Index, impl Fn(&str) -> Box<dyn Query>) {
        let mut b = Schema::builder();
        let f = b.add_text_field("f", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for values in docs {
            let mut d = TantivyDocument::default();
            for v in *values {
                d.add_text(f, v);
            }
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let term = move |v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, v),
                IndexRecordOption::WithFreqs,
            ))
        };
        (index, term)
    }

    /// Every match with the number of words it matched and its score.
    fn run(index: &Index, relaxed: &Relaxed) -> Vec<(DocId, usize, Score)> {
        let searcher = index.reader().unwrap().searcher();
        let weight = relaxed.weight(&searcher).unwrap();
        let mut scorer = weight.scorer(searcher.segment_reader(0)).unwrap();
        let mut out = Vec::new();
        while let Some(doc) = scorer.next_match() {
            out.push((doc, scorer.matched(), scorer.score()));
        }
        out
    }

    #[test]
    fn counts_the_words_each_match_holds_beside_its_score() {
        let (index, term) = fixture(&[&["a"], &["b"], &["a", "b"], &["c"], &["a", "b", "c"]]);
        let relaxed = Relaxed {
            words: vec![term("a"), term("b"), term("c")],
            min: 2,
            must: Vec::new(),
            must_not: Vec::new(),
        };
        let got = run(&index, &relaxed);
        let docs: Vec<(DocId, usize)> = got.iter().map(|&(d, m, _)| (d, m)).collect();
        assert_eq!(docs, vec![(2, 2), (4, 3)]);
        // The score is BM25 alone: no bonus per word packed into it.
        for (_, _, score) in got {
            assert!(score > 0.0 && score < 10.0, "{score}");
        }
        // Alone, a word's score is what its own query gives.
        let one = Relaxed {
            words: vec![term("c")],
            min: 1,
            must: Vec::new(),
            must_not: Vec::new(),
        };
        let searcher = index.reader().unwrap().searcher();
        let top = tantivy::collector::TopDocs::with_limit(5).order_by_score();
        let plain = searcher.search(&*term("c"), &top).unwrap();
        let ours = run(&index, &one);
        assert_eq!(plain.len(), ours.len());
        for (score, addr) in plain {
            let (_, m, s) = ours.iter().find(|(d, _, _)| *d == addr.doc_id).unwrap();
            assert_eq!(*m, 1);
            assert!((s - score).abs() < 1e-5, "{s} vs {score}");
        }
    }

    #[test]
    fn filters_and_exclusions_apply_to_every_match() {
        let (index, term) = fixture(&[&["a", "x"], &["a"], &["a", "b", "x"], &["b", "y"]]);
        let relaxed = Relaxed {
            words: vec![term("a"), term("b")],
            min: 1,
            must: vec![term("x")],
            must_not: vec![term("b")],
        };
        let docs: Vec<DocId> = run(&index, &relaxed).iter().map(|m| m.0).collect();
        assert_eq!(docs, vec![0]);
        let no_filter = Relaxed {
            must: Vec::new(),
            must_not: vec![term("y")],
            ..relaxed
        };
        let got: Vec<(DocId, usize)> = run(&index, &no_filter)
            .iter()
            .map(|&(d, m, _)| (d, m))
            .collect();
        assert_eq!(got, vec![(0, 1), (1, 1), (2, 2)]);
    }

    #[test]
    fn asked_about_some_documents_it_agrees_with_the_walk() {
        let (index, term) = fixture(&[&["a", "x"], &["a"], &["a", "b", "x"], &["b", "y"], &["c"]]);
        let relaxed = || Relaxed {
            words: vec![term("a"), term("b")],
            min: 2,
            must: vec![term("x")],
            must_not: vec![term("y")],
        };
        let walked: Vec<DocId> = run(&index, &relaxed()).iter().map(|m| m.0).collect();
        let searcher = index.reader().unwrap().searcher();
        let weight = relaxed().weight(&searcher).unwrap();
        let mut scorer = weight.scorer(searcher.segment_reader(0)).unwrap();
        let asked: Vec<DocId> = (0..5).filter(|&d| scorer.is_match(d)).collect();
        assert_eq!(asked, walked);
        assert_eq!(asked, vec![2]);
        // Without words: the filters and exclusions alone.
        let filters = Relaxed {
            words: Vec::new(),
            min: 0,
            must: Vec::new(),
            must_not: vec![term("y"), term("c")],
        };
        let weight = filters.weight(&searcher).unwrap();
        let mut scorer = weight.scorer(searcher.segment_reader(0)).unwrap();
        let asked: Vec<DocId> = (0..5).filter(|&d| scorer.is_match(d)).collect();
        assert_eq!(asked, vec![0, 1, 2]);
    }

    #[test]
    fn a_word_nothing_matches_leaves_the_others() {
        let (index, term) = fixture(&[&["a"], &["b"]]);
        let relaxed = Relaxed {
            words: vec![term("a"), term("nothing")],
            min: 1,
            must: Vec::new(),
            must_not: Vec::new(),
        };
        assert_eq!(run(&index, &relaxed).len(), 1);
        let all = Matched { words: 2, of: 2 };
        assert!(all.all());
        assert!(!Matched { words: 1, of: 2 }.all());
    }
}
