//! Collecting a search's hits: one pass that counts, ranks (by relevance
//! or a date), counts the cases matching every word and the facets not
//! filtered on; then the best hits re-ranked by proximity, and the facets
//! filtered on counted without their own filter (drill-down).

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Order, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::build::{Built, Filter, TIER, combine, shown_score};
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

/// A hit of the page: its BM25 score (without tiers; 0 when sorted by a
/// date) and where it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ranked {
    pub score: f32,
    pub addr: DocAddress,
}

/// What the collecting pass found.
pub(super) struct Collected {
    pub total: usize,
    /// Cases matching every positive word.
    pub total_all_words: usize,
    /// The page, best first.
    pub page: Vec<Ranked>,
    /// The facets not filtered on, counted with the hits.
    pub counted: Counted,
}

/// Counts the hits that score at least `min`: with [`TIER`] added per
/// matched word, the cases matching all `n` words of a relaxed query are
/// those scoring at least `n × TIER`. Counted in the pass that ranks,
/// instead of a second search of the strict query.
struct ScoreAtLeast(f32);

struct ScoreAtLeastSegment {
    min: f32,
    count: usize,
}

impl Collector for ScoreAtLeast {
    type Fruit = usize;
    type Child = ScoreAtLeastSegment;

    fn for_segment(&self, _: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(ScoreAtLeastSegment {
            min: self.0,
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, counts: Vec<usize>) -> tantivy::Result<usize> {
        Ok(counts.into_iter().sum())
    }
}

impl SegmentCollector for ScoreAtLeastSegment {
    type Fruit = usize;

    fn collect(&mut self, _: DocId, score: Score) {
        if score >= self.min {
            self.count += 1;
        }
    }

    fn harvest(self) -> usize {
        self.count
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
        let query = combine(built.query.box_clone(), filter_queries(filters, None));
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
        let (total, page, counted, all_words) = if req.sort == Sort::Relevance {
            self.by_relevance(searcher, req, built, &*query, counter)?
        } else {
            let field = if req.sort == Sort::Newest {
                "updated"
            } else {
                "start_year"
            };
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_fast_field::<i64>(field, Order::Desc);
            let (count, docs, counted) = searcher
                .search(&*query, &(Count, top, counter))
                .map_err(&err)?;
            let page = docs
                .into_iter()
                .map(|(_, addr)| Ranked { score: 0.0, addr })
                .collect();
            (count, page, counted, None)
        };
        let total_all_words = match (&built.strict, all_words) {
            (Some(_), Some(all)) => all,
            (Some(strict), None) => {
                let q = combine(strict.box_clone(), filter_queries(filters, None));
                searcher.search(&*q, &Count).map_err(&err)?
            }
            (None, _) => total,
        };
        Ok(Collected {
            total,
            total_all_words,
            page,
            counted,
        })
    }

    /// Ranks by score (the more recently updated first on ties) in one
    /// pass that also counts the cases matching every word; with a
    /// proximity to add, the best [`RESCORE_DEPTH`] (or down to this page)
    /// are ranked, re-ranked, then the page is cut.
    fn by_relevance(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        built: &Built,
        query: &dyn Query,
        counter: FacetCounter,
    ) -> Result<(usize, Vec<Ranked>, Counted, Option<usize>), IndexError> {
        let err = self.tantivy_err();
        let limit = req.limit.max(1);
        let rescore = built.rescores(req.sort);
        let top = if rescore {
            TopDocs::with_limit((req.offset + limit).max(RESCORE_DEPTH))
        } else {
            TopDocs::with_limit(limit).and_offset(req.offset)
        };
        let collector = top.tweak_score(move |reader: &SegmentReader| {
            let updated = reader
                .fast_fields()
                .i64("updated")
                .ok()
                .map(|c| c.first_or_default_col(0));
            move |doc, score| (score, updated.as_ref().map_or(0, |c| c.get_val(doc)))
        });
        // Cases matching every word of a relaxed query: they score at least
        // a tier per word (a half tier below, for rounding).
        let all_words = ScoreAtLeast((built.positives.len() as f32 - 0.5) * TIER);
        let (count, docs, counted, all) = searcher
            .search(query, &(Count, collector, counter, all_words))
            .map_err(&err)?;
        let mut ranked = docs;
        if rescore {
            ranked = rescore_by(searcher, &built.proximity, ranked).map_err(&err)?;
            ranked = ranked.into_iter().skip(req.offset).take(limit).collect();
        }
        let page = ranked
            .into_iter()
            .map(|((score, _), addr)| Ranked {
                score: shown_score(score),
                addr,
            })
            .collect();
        Ok((count, page, counted, Some(all)))
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

/// Adds each query's score (where it matches) to the ranked hits
/// `((score, updated), address)`, and ranks them again, best first, the
/// more recently updated first on ties, as the collector does.
fn rescore_by(
    searcher: &Searcher,
    queries: &[Box<dyn Query>],
    ranked: Vec<((f32, i64), DocAddress)>,
) -> tantivy::Result<Vec<((f32, i64), DocAddress)>> {
    let enable = EnableScoring::enabled_from_searcher(searcher);
    let mut cursors: Vec<Cursor> = queries
        .iter()
        .map(|q| Ok(Cursor::new(q.weight(enable)?)))
        .collect::<tantivy::Result<_>>()?;
    let mut scored = ranked;
    // Cursors only move forward: documents in index order.
    let mut order: Vec<usize> = (0..scored.len()).collect();
    order.sort_by_key(|&i| (scored[i].1.segment_ord, scored[i].1.doc_id));
    for i in order {
        let addr = scored[i].1;
        let mut extra = 0.0;
        for cursor in &mut cursors {
            if let Some(scorer) = cursor.at(searcher, addr)? {
                extra += scorer.score();
            }
        }
        scored[i].0.0 += extra;
    }
    scored.sort_by(|(a, _), (b, _)| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(scored)
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
