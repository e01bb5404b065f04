//! Whole-collection views of the index: every case, and counts by level,
//! prefecture, kind and year for the overview page, the Atom feed and
//! `/api/stats`. Read-only; built from the stored case JSON, so a read-only
//! replica with only `index/` can answer.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::TantivyDocument;
use tantivy::collector::DocSetCollector;
use tantivy::query::AllQuery;

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

    /// Counts by level, prefecture, kind and year.
    pub fn stats(&self) -> Result<Stats, IndexError> {
        Ok(stats_of(&self.all_cases()?))
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
