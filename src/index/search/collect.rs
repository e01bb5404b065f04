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
use tantivy::{DocAddress, DocSet, Searcher};

use super::build::{Built, Filter, combine};
use super::relaxed::{Matched, Relaxed};
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
        let shared: Vec<&'static str> = if req.facets {
            FACETS
                .into_iter()
                .filter(|n| !filters.iter().any(|(f, _)| f == n))
                .collect()
        } else {
            Vec::new()
        };
        let counter = FacetCounter::new(self.facet_tables.clone(), &shared);
        let limit = req.limit.max(1);
        let rescore = built.rescores(req.sort);
        let depth = if rescore {
            (req.offset + limit).max(RESCORE_DEPTH)
        } else {
            req.offset + limit
        };
        let relaxed = Relaxed {
            words: built.relaxed.words.iter().map(|q| q.box_clone()).collect(),
            min: built.relaxed.min,
            must: filter_queries(filters, None),
            must_not: built
                .relaxed
                .must_not
                .iter()
                .map(|q| q.box_clone())
                .collect(),
        };
        let date_field = match req.sort {
            Sort::Relevance | Sort::Newest => "updated",
            Sort::Period => "start_year",
        };
        let of = relaxed.words.len();
        let weight = relaxed.weight(searcher).map_err(&err)?;
        let mut best: BinaryHeap<Worst> = BinaryHeap::with_capacity(depth + 1);
        let (mut total, mut partial_total) = (0, 0);
        let mut counted = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            let mut scorer = weight.scorer(reader).map_err(&err)?;
            let mut facets = counter.for_segment(ord, reader).map_err(&err)?;
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
                    of,
                };
                if matched.all() {
                    total += 1;
                    facets.collect(doc, 0.0);
                } else {
                    partial_total += 1;
                }
                let score = match req.sort {
                    Sort::Relevance => scorer.score(),
                    Sort::Newest | Sort::Period => 0.0,
                };
                let hit = Ranked {
                    matched,
                    score,
                    date: dates.as_ref().map_or(0, |c| c.get_val(doc)),
                    addr: DocAddress::new(ord, doc),
                };
                if best.len() < depth {
                    best.push(Worst(hit));
                } else if best
                    .peek()
                    .is_some_and(|w| hit.rank(&w.0) == Ordering::Less)
                {
                    best.pop();
                    best.push(Worst(hit));
                }
            }
            counted.push(facets.harvest());
        }
        let counted = counter.merge_fruits(counted).map_err(&err)?;
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

/// Adds each query's score (where it matches) to the ranked hits, and
/// ranks them again (the words matched still first).
fn rescore_by(
    searcher: &Searcher,
    queries: &[Box<dyn Query>],
    ranked: &mut [Ranked],
) -> tantivy::Result<()> {
    let enable = EnableScoring::enabled_from_searcher(searcher);
    let mut cursors: Vec<Cursor> = queries
        .iter()
        .map(|q| Ok(Cursor::new(q.weight(enable)?)))
        .collect::<tantivy::Result<_>>()?;
    // Cursors only move forward: documents in index order.
    let mut order: Vec<usize> = (0..ranked.len()).collect();
    order.sort_by_key(|&i| ranked[i].addr);
    for i in order {
        let addr = ranked[i].addr;
        let mut extra = 0.0;
        for cursor in &mut cursors {
            if let Some(scorer) = cursor.at(searcher, addr)? {
                extra += scorer.score();
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
