//! "似た事例": the cases most like a given one, from its narrative.
//!
//! The case's own words ranked by tf-idf (how often it uses a word, against
//! how many cases use it) give its most distinctive terms; an OR query of
//! those terms over the narrative fields, weighted by their tf-idf and
//! excluding the case itself, ranks the others by BM25. No vectors or extra
//! index: the morph fields already hold what is needed.
//!
//! The words shown as shared are surface forms, as both cases write them
//! (サービス, not the folded index term サビス): a reader checks them
//! against the texts.

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
/// Shared words shown per similar case.
const SHOWN: usize = 6;

/// How a case writes each of its index terms: the surface forms of the
/// tokens that gave the term, most frequent first when asked.
#[derive(Debug, Default)]
struct Surfaces(HashMap<String, Vec<(String, u32)>>);

impl Surfaces {
    fn add(&mut self, term: &str, surface: Option<&str>) {
        let Some(surface) = surface.map(str::trim).filter(|s| !s.is_empty()) else {
            return;
        };
        let forms = self.0.entry(term.to_owned()).or_default();
        match forms.iter_mut().find(|(f, _)| f == surface) {
            Some((_, n)) => *n += 1,
            None => forms.push((surface.to_owned(), 1)),
        }
    }

    /// The forms of `term`, most frequent first (then shortest, then in
    /// text order).
    fn of(&self, term: &str) -> Vec<&str> {
        let mut forms: Vec<&(String, u32)> = self.0.get(term).into_iter().flatten().collect();
        forms.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.0.chars().count().cmp(&b.0.chars().count()))
        });
        forms.into_iter().map(|(f, _)| f.as_str()).collect()
    }
}

/// A case's narrative as one text, to check that a word occurs in it.
fn narrative_text(case: &crate::case::Case) -> String {
    case.narrative()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The word both cases write for a shared `term`: one of our forms that
/// their text holds, else one of theirs that ours holds (the same word
/// spelt another way, サービス and ｻｰﾋﾞｽ, has none).
fn common_surface(
    term: &str,
    (ours, our_text): (&Surfaces, &str),
    (theirs, their_text): (&Surfaces, &str),
) -> Option<String> {
    // Where both write the word alike, the first of our forms is in
    // their text.
    ours.of(term)
        .into_iter()
        .find(|f| their_text.contains(f))
        .or_else(|| theirs.of(term).into_iter().find(|f| our_text.contains(f)))
        .map(str::to_owned)
}

#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    pub levels: Vec<Level>,
    pub period: Period,
    pub score: f32,
    /// The distinctive words of the source case this one shares, as
    /// written in both texts (each occurs in both cases' narratives).
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
        let mut ours = Surfaces::default();
        for (_, text) in case.narrative() {
            for t in analyze(AnalyzerKind::Morph, text) {
                if meaningful(&t.text) {
                    ours.add(&t.text, text.get(t.start..t.end));
                    *tf.entry(t.text).or_default() += 1;
                }
            }
        }
        let our_text = narrative_text(&case);
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
            let mut theirs = Surfaces::default();
            for (_, text) in other.narrative() {
                for t in analyze(AnalyzerKind::Morph, text) {
                    theirs.add(&t.text, text.get(t.start..t.end));
                }
            }
            let their_text = narrative_text(&other);
            let mut shared: Vec<String> = Vec::new();
            for (term, _) in &scored {
                if shared.len() == SHOWN {
                    break;
                }
                if !theirs.0.contains_key(term) {
                    continue;
                }
                let Some(word) = common_surface(term, (&ours, &our_text), (&theirs, &their_text))
                else {
                    continue;
                };
                if !shared.contains(&word) {
                    shared.push(word);
                }
            }
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
