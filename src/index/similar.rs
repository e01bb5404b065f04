//! "似た事例": the cases most like a given one, from its narrative.
//!
//! Ranked by meaning when the case has a vector ([`Nearest`], from
//! [`crate::meaning`]): two cases telling the same story in other words
//! are alike. Otherwise (the vectors still being computed, or turned off)
//! by shared words: the case's own words ranked by tf-idf (how often it
//! uses a word, against how many cases use it) give its most distinctive
//! terms; an OR query of those terms over the narrative fields, weighted
//! by their tf-idf and excluding the case itself, ranks the others by BM25.
//!
//! Either way each similar case shows the distinctive words it shares, so
//! a reader sees why it is there.
//!
//! The words shown as shared are surface forms, as both cases write them
//! (サービス, not the folded index term サビス): a reader checks them
//! against the texts.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, TantivyDocument, Term};

use super::{CaseIndex, IndexError, Nearest};
use crate::analysis::{AnalyzerKind, analyze};
use crate::case::{Case, Listing};

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
fn narrative_text(case: &Case) -> String {
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

/// What ranked the similar cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RankedBy {
    /// The cosine of the cases' vectors.
    Meaning,
    /// BM25 of the source case's distinctive words.
    Words,
}

#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    #[serde(flatten)]
    pub case: Listing,
    /// The cosine similarity ([`RankedBy::Meaning`]) or the BM25 score
    /// ([`RankedBy::Words`]).
    pub score: f32,
    pub ranked_by: RankedBy,
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
    /// Up to `limit` cases most like the case `id`, by shared words;
    /// `None` if there is no such case.
    pub fn similar(&self, id: &str, limit: usize) -> Result<Option<Vec<Similar>>, IndexError> {
        self.similar_by(id, limit, None)
    }

    /// [`similar`](Self::similar), ranked by meaning where `nearest` knows
    /// the case.
    pub fn similar_near(
        &self,
        id: &str,
        limit: usize,
        nearest: &dyn Nearest,
    ) -> Result<Option<Vec<Similar>>, IndexError> {
        self.similar_by(id, limit, Some(nearest))
    }

    fn similar_by(
        &self,
        id: &str,
        limit: usize,
        nearest: Option<&dyn Nearest>,
    ) -> Result<Option<Vec<Similar>>, IndexError> {
        let Some(case) = self.get(id)? else {
            return Ok(None);
        };
        let searcher = self.reader.searcher();
        let narrative = self.narrative_morph_fields();
        let (tf, ours) = meaningful_terms(&case);
        let scored = self.distinctive_terms(&searcher, &narrative, tf)?;
        let by_meaning = nearest.map(|n| n.to_case(id)).unwrap_or_default();
        let (ranked_by, top): (RankedBy, Vec<(f32, Case)>) = if by_meaning.is_empty() {
            if scored.is_empty() {
                return Ok(Some(Vec::new()));
            }
            let query = self.like_query(&narrative, &scored, &case.id);
            let top = searcher
                .search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())
                .map_err(self.tantivy_err())?;
            let mut cases = Vec::with_capacity(top.len());
            for (score, addr) in top {
                let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
                cases.extend(self.fields.stored_case(&doc).map(|c| (score, c)));
            }
            (RankedBy::Words, cases)
        } else {
            let mut cases = Vec::with_capacity(limit);
            for (other, similarity) in by_meaning {
                if cases.len() == limit {
                    break;
                }
                // A vector may outlive its case for a moment (removed,
                // not yet caught up): only indexed cases are shown.
                cases.extend(self.get(&other)?.map(|c| (similarity, c)));
            }
            (RankedBy::Meaning, cases)
        };
        let our_text = narrative_text(&case);
        let mut out = Vec::with_capacity(top.len());
        for (score, other) in top {
            let shared = shared_words(&scored, (&ours, &our_text), &other);
            out.push(Similar {
                case: Listing::from(other),
                score,
                ranked_by,
                shared,
            });
        }
        Ok(Some(out))
    }

    /// The morph field of each narrative section: similarity is about what
    /// a case did and learnt, not its title or place, and the morph terms
    /// are words (n-grams would match on fragments).
    fn narrative_morph_fields(&self) -> Vec<Field> {
        self.fields
            .texts
            .iter()
            .filter(|t| t.section.is_some())
            .map(|t| t.morph)
            .collect()
    }

    /// The case's terms weighted by tf-idf, best first, at most [`TERMS`]:
    /// the words that set it apart. A term no other case uses is left out,
    /// as it can find nothing.
    fn distinctive_terms(
        &self,
        searcher: &Searcher,
        narrative: &[Field],
        tf: HashMap<String, u32>,
    ) -> Result<Vec<(String, f32)>, IndexError> {
        let n_docs = searcher.num_docs().max(1) as f32;
        let mut scored: Vec<(String, f32)> = Vec::with_capacity(tf.len());
        for (term, n) in tf {
            // Cases using the word in any narrative section (the largest
            // per-field count is a close lower bound, and cheap).
            let mut df = 0u64;
            for &f in narrative {
                df = df.max(
                    searcher
                        .doc_freq(&Term::from_field_text(f, &term))
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
        Ok(scored)
    }

    /// Any of the weighted terms in any narrative section, so BM25 ranks
    /// the cases sharing the most distinctive words first; never the case
    /// `id` itself.
    fn like_query(&self, narrative: &[Field], scored: &[(String, f32)], id: &str) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in scored {
            for &f in narrative {
                let q =
                    TermQuery::new(Term::from_field_text(f, term), IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), *weight)),
                ));
            }
        }
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_text(self.fields.id, id),
                IndexRecordOption::Basic,
            )),
        ));
        BooleanQuery::new(clauses)
    }
}

/// How often the case uses each [`meaningful`] term of its narrative, and
/// how it writes each: the counts weigh the terms, the forms are what a
/// reader is shown.
fn meaningful_terms(case: &Case) -> (HashMap<String, u32>, Surfaces) {
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
    (tf, ours)
}

/// The distinctive terms `other` shares with ours, at most [`SHOWN`], as
/// both texts write them (see [`common_surface`]); in the order of their
/// weight, so the most telling come first.
fn shared_words(
    scored: &[(String, f32)],
    (ours, our_text): (&Surfaces, &str),
    other: &Case,
) -> Vec<String> {
    let mut theirs = Surfaces::default();
    for (_, text) in other.narrative() {
        for t in analyze(AnalyzerKind::Morph, text) {
            theirs.add(&t.text, text.get(t.start..t.end));
        }
    }
    let their_text = narrative_text(other);
    let mut shared: Vec<String> = Vec::new();
    for (term, _) in scored {
        if shared.len() == SHOWN {
            break;
        }
        if !theirs.0.contains_key(term) {
            continue;
        }
        let Some(word) = common_surface(term, (ours, our_text), (&theirs, &their_text)) else {
            continue;
        };
        if !shared.contains(&word) {
            shared.push(word);
        }
    }
    shared
}
