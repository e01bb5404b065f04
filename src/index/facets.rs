//! Facet counts (level, prefecture, kind, decade) under a query.
//!
//! tantivy's `FacetCollector` is general (hierarchical facets, any
//! segment): each search walks every facet dictionary to map ordinals,
//! reads each hit's ordinals through the multi-valued column, and looks
//! every counted ordinal up in the dictionary again to name it. On 10,000
//! cases that cost three times the search it counted for (`search_floor`
//! in `tests/it/cost.rs`: 0.09 ms for the 11-field search and its top ten,
//! 0.36 ms with the four facets).
//!
//! Our facets are flat and few, and a segment never changes once written
//! (deletes only hide documents, which collectors never see). So each
//! segment's facets are read once, when a searcher first sees it, into a
//! [`SegmentFacets`] table: per facet, each document's value numbers and
//! each number's name. A search counts with two array reads per document
//! and facet, and names only the values it counted.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::search::FacetCount;

/// The facet fields, as named in filters.
pub(crate) const FACETS: [&str; 4] = ["level", "prefecture", "kind", "decade"];

/// One facet of one segment: each document's value numbers, and their names.
#[derive(Debug)]
struct Column {
    values: Values,
    /// The name of each value number ("業務改善", "東京都", "1990").
    names: Vec<String>,
}

#[derive(Debug)]
enum Values {
    /// At most one value per document (prefecture, kind, decade): that of
    /// document `d` is `values[d]`, [`NONE`] for none.
    One(Vec<u16>),
    /// Several (levels): those of document `d` are
    /// `values[starts[d]..starts[d + 1]]`.
    Many { starts: Vec<u32>, values: Vec<u16> },
}

/// No value, in [`Values::One`].
const NONE: u16 = u16::MAX;

/// The four facets of one segment, indexed as [`FACETS`].
#[derive(Debug)]
pub(crate) struct SegmentFacets {
    columns: Vec<Column>,
}

impl SegmentFacets {
    fn read(reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::with_capacity(FACETS.len());
        for name in FACETS {
            let facets = reader.facet_reader(name)?;
            let n = facets.num_facets();
            if n >= usize::from(NONE) {
                return Err(tantivy::TantivyError::InvalidArgument(format!(
                    "facet {name} has {n} values in one segment, more than {}",
                    NONE - 1
                )));
            }
            let mut names = Vec::with_capacity(n);
            let mut facet = Facet::root();
            for ord in 0..n as u64 {
                facets.facet_from_ord(ord, &mut facet)?;
                names.push(
                    facet
                        .to_path()
                        .last()
                        .map_or_else(String::new, |s| s.to_string()),
                );
            }
            let docs = reader.max_doc();
            let mut starts = Vec::with_capacity(docs as usize + 1);
            let mut values = Vec::with_capacity(docs as usize);
            starts.push(0);
            let mut of_doc: Vec<u16> = Vec::new();
            let mut many = false;
            for doc in 0..docs {
                of_doc.clear();
                of_doc.extend(facets.facet_ords(doc).map(|o| o as u16));
                // A value counts once per document.
                of_doc.sort_unstable();
                of_doc.dedup();
                many |= of_doc.len() > 1;
                values.extend_from_slice(&of_doc);
                starts.push(values.len() as u32);
            }
            let values = if many {
                Values::Many { starts, values }
            } else {
                Values::One(
                    starts
                        .windows(2)
                        .map(|w| {
                            if w[0] == w[1] {
                                NONE
                            } else {
                                values[w[0] as usize]
                            }
                        })
                        .collect(),
                )
            };
            columns.push(Column { values, names });
        }
        Ok(SegmentFacets { columns })
    }
}

/// The tables of the segments live searchers use, built when a new
/// searcher is published (a tantivy [`Warmer`](tantivy::Warmer)) and
/// dropped with the last searcher that uses their segment.
#[derive(Debug, Default)]
pub(crate) struct FacetTables {
    by_segment: RwLock<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetTables {
    /// The table of a segment: built now if no warming built it (a
    /// searcher from before the tables were registered).
    fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = reader.segment_id();
        if let Some(t) = self
            .by_segment
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(t.clone());
        }
        let table = Arc::new(SegmentFacets::read(reader)?);
        self.by_segment
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, table.clone());
        Ok(table)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_segment.read().unwrap().len()
    }
}

impl tantivy::Warmer for FacetTables {
    /// Never fails: a table that can't be built now is tried again by the
    /// first search that needs it, which reports the error; failing here
    /// would keep every search on the old searcher.
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for reader in searcher.segment_readers() {
            if let Err(e) = self.of(reader) {
                tracing::warn!("facet table of segment {}: {e}", reader.segment_id());
            }
        }
        Ok(())
    }

    fn garbage_collect(&self, live: &[&tantivy::SearcherGeneration]) {
        let used: HashSet<SegmentId> = live
            .iter()
            .flat_map(|g| g.segments().keys().copied())
            .collect();
        self.by_segment
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| used.contains(id));
    }
}

/// Counts the values of some facets over the documents a query matches.
pub(crate) struct FacetCounter {
    tables: Arc<FacetTables>,
    /// Indices into [`FACETS`].
    wanted: Vec<usize>,
}

impl FacetCounter {
    /// Counts the facets named (of [`FACETS`]; other names are ignored).
    pub(crate) fn new(tables: Arc<FacetTables>, names: &[&str]) -> FacetCounter {
        let wanted = names
            .iter()
            .filter_map(|n| FACETS.iter().position(|f| f == n))
            .collect();
        FacetCounter { tables, wanted }
    }
}

/// Per wanted facet: its name and its counts, most first.
pub(crate) type Counted = Vec<(&'static str, Vec<FacetCount>)>;

impl Collector for FacetCounter {
    type Fruit = Counted;
    type Child = SegmentCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let table = self.tables.of(reader)?;
        let counts = self
            .wanted
            .iter()
            .map(|&f| vec![0; table.columns[f].names.len()])
            .collect();
        Ok(SegmentCounter {
            table,
            wanted: self.wanted.clone(),
            counts,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    /// Adds up the segments' counts of each value, then orders them (the
    /// segments leave that to this one place).
    fn merge_fruits(&self, segments: Vec<Counted>) -> tantivy::Result<Counted> {
        let mut merged: Counted = self
            .wanted
            .iter()
            .map(|&f| (FACETS[f], Vec::new()))
            .collect();
        for segment in segments {
            for ((_, into), (_, counts)) in merged.iter_mut().zip(segment) {
                into.extend(counts);
            }
        }
        for (_, counts) in &mut merged {
            counts.sort_by(|a, b| a.value.cmp(&b.value));
            counts.dedup_by(|later, kept| {
                let same = later.value == kept.value;
                if same {
                    kept.count += later.count;
                }
                same
            });
            most_first(counts);
        }
        Ok(merged)
    }
}

/// Most counted first; equal counts by value.
fn most_first(counts: &mut [FacetCount]) {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

pub(crate) struct SegmentCounter {
    table: Arc<SegmentFacets>,
    wanted: Vec<usize>,
    /// Per wanted facet, per value number.
    counts: Vec<Vec<u64>>,
}

impl SegmentCollector for SegmentCounter {
    type Fruit = Counted;

    fn collect(&mut self, doc: DocId, _: Score) {
        let doc = doc as usize;
        for (&f, counts) in self.wanted.iter().zip(&mut self.counts) {
            match &self.table.columns[f].values {
                Values::One(values) => {
                    if let Some(c) = counts.get_mut(usize::from(values[doc])) {
                        *c += 1;
                    }
                }
                Values::Many { starts, values } => {
                    let (from, to) = (starts[doc] as usize, starts[doc + 1] as usize);
                    for &v in &values[from..to] {
                        counts[usize::from(v)] += 1;
                    }
                }
            }
        }
    }

    /// Per wanted facet, the values counted, unordered.
    fn harvest(self) -> Counted {
        self.wanted
            .iter()
            .zip(self.counts)
            .map(|(&f, counts)| {
                let names = &self.table.columns[f].names;
                let counted = counts
                    .into_iter()
                    .enumerate()
                    .filter(|(_, c)| *c > 0)
                    .map(|(v, count)| FacetCount {
                        value: names[v].clone(),
                        count,
                    })
                    .collect();
                (FACETS[f], counted)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::{FacetOptions, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, IndexWriter, TantivyDocument, Term};

    use super::*;

    const LEVELS: [&str; 5] = [
        "業務改善",
        "人材育成",
        "事業改善",
        "職場改善",
        "戦略提案・施策改善",
    ];
    const PREFECTURES: [&str; 4] = ["北海道", "東京都", "京都府", "沖縄県"];

    /// Documents over three segments, some deleted; levels repeated in a
    /// document and absent from others; a word to search by.
    fn index() -> (Index, Schema) {
        let mut b = Schema::builder();
        let word = b.add_text_field("word", STRING);
        let facets: Vec<_> = FACETS
            .iter()
            .map(|n| b.add_facet_field(n, FacetOptions::default()))
            .collect();
        let schema = b.build();
        let index = Index::create_in_ram(schema.clone());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..90usize {
            let mut doc = TantivyDocument::default();
            doc.add_text(word, if n % 3 == 0 { "改善" } else { "研修" });
            for l in 0..n % 3 {
                doc.add_facet(facets[0], Facet::from_path([LEVELS[(n + l) % 5]]));
            }
            if n % 7 == 0 {
                // The same level twice counts once.
                doc.add_facet(facets[0], Facet::from_path([LEVELS[n % 5]]));
            }
            doc.add_facet(facets[1], Facet::from_path([PREFECTURES[n % 4]]));
            if n % 5 != 0 {
                doc.add_facet(facets[2], Facet::from_path([["市", "町", "村"][n % 3]]));
            }
            doc.add_facet(
                facets[3],
                Facet::from_path([format!("{}", 1980 + 10 * (n % 4))]),
            );
            writer.add_document(doc).unwrap();
            if n % 30 == 29 {
                writer.commit().unwrap();
            }
        }
        writer.delete_term(Term::from_facet(facets[1], &Facet::from_path(["京都府"])));
        writer.commit().unwrap();
        (index, schema)
    }

    #[test]
    fn counts_are_those_of_tantivys_facet_collector() {
        let (index, schema) = index();
        let tables = Arc::new(FacetTables::default());
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let word = schema.get_field("word").unwrap();
        let queries: Vec<Box<dyn Query>> = vec![
            Box::new(AllQuery),
            Box::new(TermQuery::new(
                Term::from_field_text(word, "改善"),
                IndexRecordOption::Basic,
            )),
        ];
        for query in &queries {
            let ours = searcher
                .search(&**query, &FacetCounter::new(tables.clone(), &FACETS))
                .unwrap();
            assert_eq!(ours.len(), FACETS.len());
            for (name, counts) in ours {
                let mut collector = FacetCollector::for_field(name);
                collector.add_facet(Facet::root());
                let theirs = searcher.search(&**query, &collector).unwrap();
                let mut expected: Vec<FacetCount> = theirs
                    .get(Facet::root())
                    .map(|(f, count)| FacetCount {
                        value: f.to_path().last().unwrap().to_string(),
                        count,
                    })
                    .collect();
                most_first(&mut expected);
                assert!(!expected.is_empty(), "{name}");
                assert_eq!(counts, expected, "{name} under {query:?}");
            }
        }
        // Deleted documents are not counted.
        let all = searcher
            .search(
                &AllQuery,
                &FacetCounter::new(tables.clone(), &["prefecture"]),
            )
            .unwrap();
        assert!(all[0].1.iter().all(|c| c.value != "京都府"), "{all:?}");
    }

    #[test]
    fn tables_are_built_by_warming_and_dropped_with_their_segments() {
        let (index, _) = index();
        let tables = Arc::new(FacetTables::default());
        let warmer: std::sync::Weak<dyn tantivy::Warmer> = Arc::downgrade(&tables) as _;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .warmers(vec![warmer])
            .try_into()
            .unwrap();
        assert_eq!(tables.len(), 3, "one table per segment, before any search");
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let ids = index.searchable_segment_ids().unwrap();
        writer.merge(&ids).wait().unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        assert_eq!(tables.len(), 4, "the merged segment's table is built");
        tantivy::Warmer::garbage_collect(&*tables, &[searcher.generation()]);
        assert_eq!(tables.len(), 1, "the old segments' tables are dropped");
    }
}
