//! What people search for, for the association: the most frequent queries
//! and the queries that found nothing (which cases to collect next).
//!
//! Aggregated counts per normalised query text only — no IP, no time, no
//! session — kept in memory and lost on restart. Bounded: once
//! [`MAX_QUERIES`] distinct queries are known, new ones are only counted
//! as "other".

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

/// Distinct queries remembered.
pub const MAX_QUERIES: usize = 10_000;

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    searches: u64,
    zero_hits: u64,
}

#[derive(Debug, Default)]
struct Inner {
    queries: HashMap<String, Count>,
    total: u64,
    zero_hit_total: u64,
    /// Searches for queries not remembered (table full).
    other: u64,
}

#[derive(Debug, Default)]
pub struct Insights {
    inner: Mutex<Inner>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct QueryCount {
    pub query: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InsightsReport {
    /// Searches counted since start-up.
    pub searches: u64,
    /// Of which found nothing.
    pub zero_hit_searches: u64,
    /// Most frequent queries, most first.
    pub frequent: Vec<QueryCount>,
    /// Queries that found nothing, most frequent first.
    pub zero_hits: Vec<QueryCount>,
}

/// Case, width and spacing differences do not make another query.
pub fn normalize_query(q: &str) -> String {
    crate::analysis::nfkc(q)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Insights {
    /// Counts one search for `query` that found `total` cases containing
    /// every word: 0 is a search that found nothing, even when some cases
    /// contain some of the words (those are the content gaps to fill).
    pub fn record(&self, query: &str, total: usize) {
        let q = normalize_query(query);
        if q.is_empty() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.total += 1;
        if total == 0 {
            inner.zero_hit_total += 1;
        }
        let full = inner.queries.len() >= MAX_QUERIES;
        match inner.queries.get_mut(&q) {
            Some(c) => {
                c.searches += 1;
                c.zero_hits += u64::from(total == 0);
            }
            None if full => inner.other += 1,
            None => {
                inner.queries.insert(
                    q,
                    Count {
                        searches: 1,
                        zero_hits: u64::from(total == 0),
                    },
                );
            }
        }
    }

    pub fn report(&self, limit: usize) -> InsightsReport {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let top = |f: fn(&Count) -> u64| {
            let mut v: Vec<QueryCount> = inner
                .queries
                .iter()
                .filter(|(_, c)| f(c) > 0)
                .map(|(q, c)| QueryCount {
                    query: q.clone(),
                    count: f(c),
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)));
            v.truncate(limit);
            v
        };
        InsightsReport {
            searches: inner.total,
            zero_hit_searches: inner.zero_hit_total,
            frequent: top(|c| c.searches),
            zero_hits: top(|c| c.zero_hits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_aggregate_by_normalised_query() {
        let i = Insights::default();
        i.record("改善  運動", 3);
        i.record("改善 運動", 2);
        i.record("ＤＮＡ", 0);
        i.record("dna", 0);
        i.record("   ", 0);
        let r = i.report(10);
        assert_eq!(r.searches, 4);
        assert_eq!(
            r.frequent[0],
            QueryCount {
                query: "dna".into(),
                count: 2
            }
        );
        assert_eq!(
            r.frequent[1],
            QueryCount {
                query: "改善 運動".into(),
                count: 2
            }
        );
        assert_eq!(
            r.zero_hits,
            vec![QueryCount {
                query: "dna".into(),
                count: 2
            }]
        );
    }
}
