//! Whole-collection views of the index: counts by level, prefecture, kind
//! and year for the overview page and `/api/stats`, the newest cases for
//! the Atom feed, and every case (for tools and tests).
//!
//! Read-only. Counts and the feed's order come from the facet tables and
//! the fast-field columns (a few array reads per case), never from the
//! stored cases: reading and decoding every stored case took 0.14–0.35 s
//! per request at 10,000 cases. A read-only replica with only `index/`
//! answers them all.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::AllQuery;
use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument};

use super::facets::FacetCounter;
use super::schema::ONGOING;
use super::{CaseIndex, IndexError};
use crate::case::{Case, Level};

/// Counts over the whole collection.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub total: u64,
    /// Per improvement level, in the association's order; a case with
    /// several levels counts once under each.
    pub by_level: Vec<(String, u64)>,
    /// Per prefecture, most cases first.
    pub by_prefecture: Vec<(String, u64)>,
    /// Per kind of municipality, most cases first.
    pub by_kind: Vec<(String, u64)>,
    /// Campaigns started per year, oldest first.
    pub by_start_year: Vec<(i32, u64)>,
    /// Campaigns running per year (start..=end, ongoing ones up to the
    /// latest year any case mentions), oldest first.
    pub active_by_year: Vec<(i32, u64)>,
}

impl CaseIndex {
    /// Every case in the index, in id order.
    pub fn all_cases(&self) -> Result<Vec<Case>, IndexError> {
        let searcher = self.reader.searcher();
        let docs = searcher
            .search(&AllQuery, &DocSetCollector)
            .map_err(self.tantivy_err())?;
        let mut out = Vec::with_capacity(docs.len());
        for addr in docs {
            let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
            if let Some(case) = self.fields.stored_case(&doc) {
                out.push(case);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Counts by level, prefecture, kind and year: the same as
    /// [`stats_of`] over every case, from the facet tables and the year
    /// columns.
    pub fn stats(&self) -> Result<Stats, IndexError> {
        let searcher = self.reader.searcher();
        let counter =
            FacetCounter::new(self.facet_tables.clone(), &["level", "prefecture", "kind"]);
        let counted = searcher
            .search(&AllQuery, &counter)
            .map_err(self.tantivy_err())?;
        let facet = |name: &str| -> Vec<(String, u64)> {
            counted
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, counts)| counts.iter().map(|c| (c.value.clone(), c.count)).collect())
                .unwrap_or_default()
        };
        let levels = facet("level");
        let by_level = Level::ALL
            .into_iter()
            .map(|l| {
                let n = levels
                    .iter()
                    .find(|(name, _)| name == l.name())
                    .map_or(0, |(_, n)| *n);
                (l.name().to_owned(), n)
            })
            .collect();

        // (start, end or ONGOING) of every live case, and the latest year
        // any case mentions (ongoing campaigns count as running up to it).
        let mut periods: Vec<(i32, i64)> = Vec::with_capacity(searcher.num_docs() as usize);
        let mut latest = 0i32;
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            let column = |name| fast.i64(name).map_err(self.tantivy_err());
            let (start, end, updated) = (
                column("start_year")?,
                column("end_year")?,
                column("updated")?,
            );
            for doc in segment.doc_ids_alive() {
                let Some(s) = start.first(doc) else { continue };
                let s = s as i32;
                let e = end.first(doc).unwrap_or(ONGOING);
                latest = latest.max(if e == ONGOING { s } else { (e as i32).max(s) });
                // `updated` is YYYYMMDD; 0 when unknown.
                if let Some(u) = updated.first(doc).filter(|u| *u > 0) {
                    latest = latest.max((u / 10_000) as i32);
                }
                periods.push((s, e));
            }
        }
        let mut started: BTreeMap<i32, u64> = BTreeMap::new();
        // Campaigns running per year, as a difference array over
        // [first start, latest]: +1 at the start, −1 after the end.
        let first = periods.iter().map(|p| p.0).min().unwrap_or(0);
        let span = (latest.max(first) - first + 2) as usize;
        let mut delta = vec![0i64; span];
        for &(s, e) in &periods {
            *started.entry(s).or_default() += 1;
            let end = if e == ONGOING { latest } else { e as i32 }.max(s);
            delta[(s - first) as usize] += 1;
            delta[(end - first + 1) as usize] -= 1;
        }
        let mut active_by_year = Vec::new();
        let mut running = 0i64;
        for (i, d) in delta.iter().enumerate().take(span - 1) {
            running += d;
            if running > 0 {
                active_by_year.push((first + i as i32, running as u64));
            }
        }
        Ok(Stats {
            total: searcher.num_docs(),
            by_level,
            by_prefecture: facet("prefecture"),
            by_kind: facet("kind"),
            by_start_year: started.into_iter().collect(),
            active_by_year,
        })
    }

    /// The `n` most recently updated cases, newest first (equal dates by
    /// id): the order is settled on the `updated` and `id` columns, and
    /// only the `n` cases shown are read.
    pub fn newest(&self, n: usize) -> Result<Vec<Case>, IndexError> {
        let searcher = self.reader.searcher();
        // Each segment's own first `n`: within a segment, id order is the
        // order of the id column's term numbers, so no id is spelled out
        // until the few candidates are merged.
        let mut keyed: Vec<(i64, String, DocAddress)> = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let fast = segment.fast_fields();
            let updated = fast.i64("updated").map_err(self.tantivy_err())?;
            let Some(ids) = fast.str("id").map_err(self.tantivy_err())? else {
                continue;
            };
            let mut dated: Vec<(std::cmp::Reverse<i64>, u64, u32)> = segment
                .doc_ids_alive()
                .map(|doc| {
                    let u = updated.first(doc).unwrap_or(0);
                    let id = ids.term_ords(doc).next().unwrap_or(u64::MAX);
                    (std::cmp::Reverse(u), id, doc)
                })
                .collect();
            if dated.len() > n {
                dated.select_nth_unstable(n);
                dated.truncate(n);
            }
            for (std::cmp::Reverse(u), id_ord, doc) in dated {
                let mut id = String::new();
                if id_ord != u64::MAX {
                    ids.ord_to_str(id_ord, &mut id)
                        .map_err(|source| IndexError::Io {
                            path: self.dir.clone(),
                            source,
                        })?;
                }
                keyed.push((u, id, DocAddress::new(ord as u32, doc)));
            }
        }
        keyed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        keyed.truncate(n);
        let mut out = Vec::with_capacity(keyed.len());
        for (_, _, addr) in keyed {
            let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
            out.extend(
                doc.get_first(self.fields.case)
                    .and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str::<Case>(s).ok()),
            );
        }
        Ok(out)
    }
}

/// Counts over `cases` (separate from the index so it is testable alone).
pub fn stats_of(cases: &[Case]) -> Stats {
    let mut level: BTreeMap<Level, u64> = Level::ALL.into_iter().map(|l| (l, 0)).collect();
    let mut prefecture: BTreeMap<&str, u64> = BTreeMap::new();
    let mut kind: BTreeMap<&str, u64> = BTreeMap::new();
    let mut started: BTreeMap<i32, u64> = BTreeMap::new();
    let latest = cases
        .iter()
        .map(|c| c.period.end.unwrap_or(c.period.start).max(c.period.start))
        .chain(cases.iter().filter_map(|c| {
            c.updated
                .as_deref()
                .and_then(|u| u.get(..4))
                .and_then(|y| y.parse().ok())
        }))
        .max()
        .unwrap_or(0);
    let mut active: BTreeMap<i32, u64> = BTreeMap::new();
    for c in cases {
        for l in &c.levels {
            *level.entry(*l).or_default() += 1;
        }
        *prefecture.entry(&c.prefecture).or_default() += 1;
        *kind.entry(c.kind.name()).or_default() += 1;
        *started.entry(c.period.start).or_default() += 1;
        let end = c.period.end.unwrap_or(latest).max(c.period.start);
        for y in c.period.start..=end {
            *active.entry(y).or_default() += 1;
        }
    }
    let by_count = |m: BTreeMap<&str, u64>| {
        let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    Stats {
        total: cases.len() as u64,
        by_level: level
            .into_iter()
            .map(|(l, n)| (l.name().to_owned(), n))
            .collect(),
        by_prefecture: by_count(prefecture),
        by_kind: by_count(kind),
        by_start_year: started.into_iter().collect(),
        active_by_year: active.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts and the feed's order from the columns and facet tables
    /// are those of the stored cases, also with a case deleted (hidden,
    /// not yet merged away) and some updated today.
    #[test]
    fn columns_give_what_the_stored_cases_give() {
        let (dir, cases) = crate::case::edit::tests_support::bundled_cases_copy();
        let index = CaseIndex::open(&dir.path().join("index")).unwrap();
        let check = |index: &CaseIndex| {
            let all = index.all_cases().unwrap();
            assert!(all.len() > 5);
            assert_eq!(index.stats().unwrap(), stats_of(&all));
            let mut newest = all.clone();
            newest.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
            for n in [0, 1, 3, all.len(), all.len() + 5] {
                let want: Vec<&str> = newest.iter().take(n).map(|c| c.id.as_str()).collect();
                let got = index.newest(n).unwrap();
                let got: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
                assert_eq!(got, want, "n = {n}");
            }
        };
        index.sync(&cases).unwrap();
        check(&index);
        std::fs::remove_file(cases.join("fukuoka-dna-undo.md")).unwrap();
        index.sync(&cases).unwrap();
        check(&index);
    }
}
