//! "似た事例": the cases most like a given one, from its narrative.
//!
//! The case's own words ranked by tf-idf (how often it uses a word, against
//! how many cases use it) give its most distinctive terms; an OR query of
//! those terms over the narrative fields, weighted by their tf-idf and
//! excluding the case itself, ranks the others by BM25. No vectors or extra
//! index: the morph fields already hold what is needed.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::{CaseIndex, IndexError};
use crate::analysis::{AnalyzerKind, analyze};
use crate::case::{Level, Period};

/// Distinctive terms taken from a case.
const TERMS: usize = 16;

#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    pub levels: Vec<Level>,
    pub period: Period,
    pub score: f32,
    /// The distinctive words of the source case this one shares.
    pub shared: Vec<String>,
}

/// Whether a morph term is worth comparing on: a word of two or more
/// characters that is not a number, and not a verb or adjective (their
/// base forms end in hiragana: 行う, 続ける, 多い), which every narrative
/// shares.
fn meaningful(term: &str) -> bool {
    term.chars().count() >= 2
        && !term
            .chars()
            .all(|c| c.is_ascii_digit() || !c.is_alphanumeric())
        && !term
            .chars()
            .last()
            .is_some_and(|c| ('\u{3041}'..='\u{3096}').contains(&c))
}

impl CaseIndex {
    /// Up to `limit` cases most like the case `id`; `None` if there is no
    /// such case.
    pub fn similar(&self, id: &str, limit: usize) -> Result<Option<Vec<Similar>>, IndexError> {
        let Some(case) = self.get(id)? else {
            return Ok(None);
        };
        let searcher = self.reader.searcher();
        let narrative: Vec<_> = self
            .fields
            .texts
            .iter()
            .filter(|t| t.section.is_some())
            .collect();
        let n_docs = searcher.num_docs().max(1) as f32;

        let mut tf: HashMap<String, u32> = HashMap::new();
        for (_, text) in case.narrative() {
            for t in analyze(AnalyzerKind::Morph, text) {
                if meaningful(&t.text) {
                    *tf.entry(t.text).or_default() += 1;
                }
            }
        }
        let mut scored: Vec<(String, f32)> = Vec::with_capacity(tf.len());
        for (term, n) in tf {
            // Cases using the word in any narrative section (the largest
            // per-field count is a close lower bound, and cheap).
            let mut df = 0u64;
            for f in &narrative {
                df = df.max(
                    searcher
                        .doc_freq(&Term::from_field_text(f.morph, &term))
                        .map_err(self.tantivy_err())?,
                );
            }
            // Only in this case: says nothing about the others.
            if df <= 1 {
                continue;
            }
            let idf = (n_docs / df as f32).ln() + 1.0;
            scored.push((term, (1.0 + (n as f32).ln()) * idf));
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(TERMS);
        if scored.is_empty() {
            return Ok(Some(Vec::new()));
        }

        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in &scored {
            for f in &narrative {
                let q = TermQuery::new(
                    Term::from_field_text(f.morph, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), *weight)),
                ));
            }
        }
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_text(self.fields.id, &case.id),
                IndexRecordOption::Basic,
            )),
        ));
        let query = BooleanQuery::new(clauses);
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(self.tantivy_err())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
            let Some(other) = self.fields.stored_case(&doc) else {
                continue;
            };
            let theirs: std::collections::HashSet<String> = other
                .narrative()
                .flat_map(|(_, t)| analyze(AnalyzerKind::Morph, t))
                .map(|t| t.text)
                .collect();
            let shared = scored
                .iter()
                .filter(|(t, _)| theirs.contains(t))
                .map(|(t, _)| t.clone())
                .take(6)
                .collect();
            out.push(Similar {
                id: other.id,
                title: other.title,
                municipality: other.municipality,
                prefecture: other.prefecture,
                levels: other.levels,
                period: other.period,
                score,
                shared,
            });
        }
        Ok(Some(out))
    }
}
