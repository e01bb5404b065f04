//! Collecting a search's hits: one pass over the relaxed matches that
//! counts the cases matching every word and the others apart, ranks them
//! (the cases matching more words first, then by relevance or a date) and
//! counts the facets not filtered on over the cases matching every word;
//! then the best hits re-ranked by proximity, and the facets filtered on
//! counted without their own filter (drill-down).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocSet, Searcher, SegmentReader};

use super::build::{Built, Filter, Proximity, combine};
use super::relaxed::{Matched, Relaxed, RelaxedWeight};
use super::request::{SearchRequest, Sort};
use crate::case::Level;
use crate::index::facets::{Counted, FACETS, FacetCounter, Facets};
use crate::index::{CaseIndex, IndexError};

/// How many of the best hits the proximity of a multi-word query re-ranks
/// (at least; more for a deeper page). Scoring proximity on every match (a
/// sloppy phrase per pair of words per field, position by position) was a
/// third of a sentence query's time; a case it lifts comes from near the
/// top anyway, as it already matches the most words.
const RESCORE_DEPTH: usize = 100;

/// A hit of the page: how many words it matches, its BM25 score (0 when
/// sorted by a date) and where it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ranked {
    pub matched: Matched,
    pub score: f32,
    /// The date it is sorted by (the update time on ties of relevance).
    date: i64,
    pub addr: DocAddress,
}

impl Ranked {
    /// Best first: more words matched, then the score, then the later
    /// date, then index order.
    fn rank(&self, other: &Ranked) -> Ordering {
        other
            .matched
            .words
            .cmp(&self.matched.words)
            .then(other.score.total_cmp(&self.score))
            .then(other.date.cmp(&self.date))
            .then(self.addr.cmp(&other.addr))
    }
}

/// A [`Ranked`] ordered so that the *worst* hit is the greatest: the top
/// of a max-heap is the hit to drop.
struct Worst(Ranked);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Worst {}

impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.rank(&other.0)
    }
}

/// What the collecting pass found.
pub(super) struct Collected {
    /// Cases matching every positive word.
    pub total: usize,
    /// Cases matching only some of the words (a relaxed match).
    pub partial_total: usize,
    /// The page, best first: the cases matching every word, then the
    /// others.
    pub page: Vec<Ranked>,
    /// The facets not filtered on, counted over the cases matching every
    /// word.
    pub counted: Counted,
}

/// The facets counted in the same pass as the hits: those not filtered on
/// (a filtered one is counted apart, without its own filter), and none
/// when the request asks for no facets.
fn shared_facets(req: &SearchRequest, filters: &[Filter]) -> Vec<&'static str> {
    if req.facets {
        FACETS
            .into_iter()
            .filter(|n| !filters.iter().any(|(f, _)| f == n))
            .collect()
    } else {
        Vec::new()
    }
}

/// How many of the best hits the pass keeps: the page and every hit before
/// it, and at least [`RESCORE_DEPTH`] when proximity re-ranks them.
fn depth(req: &SearchRequest, limit: usize, rescore: bool) -> usize {
    if rescore {
        (req.offset + limit).max(RESCORE_DEPTH)
    } else {
        req.offset + limit
    }
}

/// The built query's words under the request's filters: the filters are
/// required of every match, whether it holds all the words or only some.
fn relaxed_under(built: &Built, filters: &[Filter]) -> Relaxed {
    Relaxed {
        words: built.relaxed.words.iter().map(|q| q.box_clone()).collect(),
        min: built.relaxed.min,
        ..admitting(built, filters)
    }
}

/// The request's filters and exclusions alone, without its words: whether
/// a case is one the request could show at all.
pub(super) fn admitting(built: &Built, filters: &[Filter]) -> Relaxed {
    Relaxed {
        words: Vec::new(),
        min: 0,
        must: filter_queries(filters, None),
        must_not: built
            .relaxed
            .must_not
            .iter()
            .map(|q| q.box_clone())
            .collect(),
    }
}

/// What the pass has found so far: the counts, and the best hits in a heap
/// held to `depth`, so a query matching every case keeps no more than a
/// page's worth.
struct Tally {
    sort: Sort,
    /// How many words the query has (a hit matches some or all of them).
    of: usize,
    depth: usize,
    best: BinaryHeap<Worst>,
    total: usize,
    partial_total: usize,
}

impl Tally {
    fn new(sort: Sort, of: usize, depth: usize) -> Tally {
        Tally {
            sort,
            of,
            depth,
            best: BinaryHeap::with_capacity(depth + 1),
            total: 0,
            partial_total: 0,
        }
    }

    /// Goes through one segment's matches: counts each, counts the facets
    /// of those matching every word, and keeps it if it ranks among the
    /// best. Returns the segment's facet counts.
    fn segment(
        &mut self,
        weight: &RelaxedWeight,
        counter: &FacetCounter,
        ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Counted> {
        let mut scorer = weight.scorer(reader)?;
        let mut facets = counter.for_segment(ord, reader)?;
        // A date sort ranks by its own field; relevance breaks its ties by
        // the update time.
        let date_field = match self.sort {
            Sort::Relevance | Sort::Newest => "updated",
            Sort::Period => "start_year",
        };
        let dates = reader
            .fast_fields()
            .i64(date_field)
            .ok()
            .map(|c| c.first_or_default_col(0));
        let alive = reader.alive_bitset();
        while let Some(doc) = scorer.next_match() {
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            let matched = Matched {
                words: scorer.matched(),
                of: self.of,
            };
            if matched.all() {
                self.total += 1;
                facets.collect(doc, 0.0);
            } else {
                self.partial_total += 1;
            }
            let score = match self.sort {
                Sort::Relevance => scorer.score(),
                Sort::Newest | Sort::Period => 0.0,
            };
            if !self.may_keep(matched, score) {
                continue;
            }
            self.keep(Ranked {
                matched,
                score,
                date: dates.as_ref().map_or(0, |c| c.get_val(doc)),
                addr: DocAddress::new(ord, doc),
            });
        }
        Ok(facets.harvest())
    }

    /// Whether a hit matching `matched` words with `score` can rank among
    /// those kept: the heap has room, or it ranks at least as the worst
    /// kept before the date breaks the tie. Asked before the date is read,
    /// which most hits of a common word never need (per search over 10,000
    /// cases: 山嵐, 8,753 hits, 8.2 → 7.0 M instructions; 温泉 4.9 →
    /// 4.6 M).
    fn may_keep(&self, matched: Matched, score: f32) -> bool {
        match self.best.peek() {
            Some(Worst(worst)) if self.best.len() >= self.depth => matched
                .words
                .cmp(&worst.matched.words)
                .then(score.total_cmp(&worst.score))
                .is_ge(),
            _ => true,
        }
    }

    /// Keeps `hit` if the heap has room or it ranks above the worst kept,
    /// which it then replaces.
    fn keep(&mut self, hit: Ranked) {
        if self.best.len() < self.depth {
            self.best.push(Worst(hit));
        } else if self
            .best
            .peek()
            .is_some_and(|w| hit.rank(&w.0) == Ordering::Less)
        {
            self.best.pop();
            self.best.push(Worst(hit));
        }
    }
}

impl CaseIndex {
    /// Counts, ranks and cuts the page of a search.
    pub(super) fn collect(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        built: &Built,
        filters: &[Filter],
    ) -> Result<Collected, IndexError> {
        let err = self.tantivy_err();
        // Facets not filtered on count under this very query: collected in
        // the same pass as the hits.
        let counter = FacetCounter::new(self.facet_tables.clone(), &shared_facets(req, filters));
        let limit = req.limit.max(1);
        let rescore = built.rescores(req.sort);
        let relaxed = relaxed_under(built, filters);
        let weight = relaxed.weight(searcher).map_err(&err)?;
        let mut tally = Tally::new(req.sort, relaxed.words.len(), depth(req, limit, rescore));
        let mut counted = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let segment = tally.segment(&weight, &counter, ord as u32, reader);
            counted.push(segment.map_err(&err)?);
        }
        let counted = counter.merge_fruits(counted).map_err(&err)?;
        let Tally {
            best,
            total,
            partial_total,
            ..
        } = tally;
        let mut ranked: Vec<Ranked> = best.into_iter().map(|w| w.0).collect();
        ranked.sort_by(Ranked::rank);
        if rescore {
            rescore_by(searcher, &built.proximity, &mut ranked).map_err(&err)?;
        }
        let page = ranked.into_iter().skip(req.offset).take(limit).collect();
        Ok(Collected {
            total,
            partial_total,
            page,
            counted,
        })
    }

    /// Counts per facet value under the text query and every *other*
    /// filter, so that choosing a value shows what the others would give.
    /// `found`: the facets not filtered on, counted with the hits.
    pub(super) fn facets(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filters: &[Filter],
        mut found: Counted,
    ) -> Result<Facets, IndexError> {
        // A filtered facet leaves its own filter out (drill-down): its own
        // pass.
        for (name, _) in filters {
            if !FACETS.contains(name) {
                continue;
            }
            let query = combine(text.box_clone(), filter_queries(filters, Some(name)));
            let counter = FacetCounter::new(self.facet_tables.clone(), &[name]);
            let counted = searcher
                .search(&*query, &counter)
                .map_err(self.tantivy_err())?;
            found.extend(counted);
        }
        let mut take = |name: &str| {
            found
                .iter_mut()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| std::mem::take(c))
                .unwrap_or_default()
        };
        let mut level = take("level");
        level.sort_by_key(|c| Level::parse(&c.value).map_or(9, |l| l as usize));
        let mut decade = take("decade");
        decade.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(Facets {
            level,
            prefecture: take("prefecture"),
            kind: take("kind"),
            decade,
        })
    }
}

/// The filters' queries, but the one on facet `except`.
fn filter_queries(filters: &[Filter], except: Option<&str>) -> Vec<Box<dyn Query>> {
    filters
        .iter()
        .filter(|(n, _)| Some(*n) != except)
        .map(|(_, q)| q.box_clone())
        .collect()
}

/// Adds each proximity's score (where it counts) to the ranked hits, and
/// ranks them again (the words matched still first).
fn rescore_by(
    searcher: &Searcher,
    proximity: &[Proximity],
    ranked: &mut [Ranked],
) -> tantivy::Result<()> {
    let enable = EnableScoring::enabled_from_searcher(searcher);
    let cursors = |queries: &[Box<dyn Query>]| -> tantivy::Result<Vec<Cursor>> {
        queries
            .iter()
            .map(|q| Ok(Cursor::new(q.weight(enable)?)))
            .collect()
    };
    let mut groups = proximity
        .iter()
        .map(|p| Ok((cursors(&p.near)?, cursors(&p.unless)?)))
        .collect::<tantivy::Result<Vec<_>>>()?;
    // Cursors only move forward: documents in index order.
    let mut order: Vec<usize> = (0..ranked.len()).collect();
    order.sort_by_key(|&i| ranked[i].addr);
    for i in order {
        let addr = ranked[i].addr;
        let mut extra = 0.0;
        'group: for (near, unless) in &mut groups {
            for cursor in unless.iter_mut() {
                if cursor.at(searcher, addr)?.is_some() {
                    continue 'group;
                }
            }
            for cursor in near.iter_mut() {
                if let Some(scorer) = cursor.at(searcher, addr)? {
                    extra += scorer.score();
                }
            }
        }
        ranked[i].score += extra;
    }
    ranked.sort_by(Ranked::rank);
    Ok(())
}

/// A query as a weight, with its scorer on the segment of the hit being
/// checked.
///
/// A weight's scorer, opened per segment and moved forward to the
/// documents asked: documents must be asked in order (by segment, then
/// id), as a scorer only moves forward.
pub(super) struct Cursor {
    weight: Box<dyn Weight>,
    scorer: Option<(u32, Box<dyn Scorer>)>,
}

impl Cursor {
    pub fn new(weight: Box<dyn Weight>) -> Cursor {
        Cursor {
            weight,
            scorer: None,
        }
    }

    /// The scorer on the document at `addr`, when it matches.
    pub fn at(
        &mut self,
        searcher: &Searcher,
        addr: DocAddress,
    ) -> tantivy::Result<Option<&mut Box<dyn Scorer>>> {
        let stale = !matches!(&self.scorer, Some((seg, _)) if *seg == addr.segment_ord);
        if stale {
            let reader = searcher.segment_reader(addr.segment_ord);
            self.scorer = Some((addr.segment_ord, self.weight.scorer(reader, 1.0)?));
        }
        let Some((_, scorer)) = self.scorer.as_mut() else {
            return Ok(None);
        };
        let mut doc = scorer.doc();
        if doc < addr.doc_id {
            doc = scorer.seek(addr.doc_id);
        }
        Ok((doc == addr.doc_id).then_some(scorer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(words: usize, score: f32, date: i64, doc: u32) -> Ranked {
        Ranked {
            matched: Matched { words, of: 2 },
            score,
            date,
            addr: DocAddress::new(0, doc),
        }
    }

    /// The best hits kept, best first, as `segment` offers them.
    fn kept(depth: usize, hits: &[Ranked]) -> Vec<u32> {
        let mut t = Tally::new(Sort::Relevance, 2, depth);
        for h in hits {
            if t.may_keep(h.matched, h.score) {
                t.keep(*h);
            }
        }
        let mut best: Vec<Ranked> = t.best.into_iter().map(|w| w.0).collect();
        best.sort_by(Ranked::rank);
        best.iter().map(|h| h.addr.doc_id).collect()
    }

    #[test]
    fn keeps_the_best_by_words_then_score_then_date() {
        let hits = [
            hit(1, 9.0, 0, 0),
            hit(2, 1.0, 0, 1),
            // More words beat a higher score.
            hit(2, 1.0, 5, 2),
            hit(2, 0.5, 9, 3),
            hit(1, 9.9, 9, 4),
            // A tie of words and score: the later date, read only then.
            hit(2, 1.0, 7, 5),
        ];
        assert_eq!(kept(2, &hits), [5, 2]);
        assert_eq!(kept(9, &hits), [5, 2, 1, 3, 4, 0]);
    }
}
