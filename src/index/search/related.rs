//! Cases related by meaning, shown after a search's matches: of the cases
//! nearest the query (ranked outside the index, by [`crate::meaning`],
//! through [`Nearest`]), those the request's filters admit, holding none
//! of its excluded words, and not among its matches.
//!
//! They are suggestions, never matches: nothing here touches `total`,
//! `partial_total` or the facets, which the collecting pass has counted
//! before. Owns the admission only; how near a case is, is the ranker's.

use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use super::build::{Built, Filter};
use super::collect::admitting;
use super::relaxed::{Relaxed, RelaxedWeight};
use crate::case::Listing;
use crate::index::{CaseIndex, IndexError};

/// Cases ranked by meaning, best first, each with its similarity (the
/// cosine of the two vectors). Implemented by [`crate::meaning`]; the index
/// only asks.
pub trait Nearest: Send + Sync {
    /// The cases nearest a query as typed; empty when none are known (no
    /// vectors yet, or the feature is off).
    fn to_query(&self, query: &str) -> Vec<(String, f32)>;
    /// The cases nearest the case `id`, without it; empty when its vector
    /// is not known.
    fn to_case(&self, id: &str) -> Vec<(String, f32)>;
}

/// A case related by meaning to a search, which does not match it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Related {
    #[serde(flatten)]
    pub case: Listing,
    /// Cosine similarity of the query's and the case's vectors. Values sit
    /// in a narrow band (about 0.8 to 0.9): an order, not a threshold.
    pub similarity: f32,
    /// The case's summary, for a reader to judge it.
    pub summary: String,
}

/// What a candidate is asked, weighed once per search: whether the
/// request could show it (filters, exclusions), whether it matches.
struct Asked {
    admits: RelaxedWeight,
    matches: RelaxedWeight,
    has_words: bool,
}

/// Candidates looked at per round: the nearest few are usually admitted,
/// so most searches read one round.
const ROUND: usize = 32;

impl CaseIndex {
    /// Up to `n` of the `ranked` cases (best first) the request admits and
    /// does not match.
    pub(super) fn related(
        &self,
        searcher: &Searcher,
        built: &Built,
        filters: &[Filter],
        ranked: &[(String, f32)],
        n: usize,
    ) -> Result<Vec<Related>, IndexError> {
        let err = self.tantivy_err();
        let asked = Asked {
            admits: admitting(built, filters).weight(searcher).map_err(&err)?,
            matches: Relaxed {
                words: built.relaxed.words.iter().map(|q| q.box_clone()).collect(),
                min: built.relaxed.min,
                must: Vec::new(),
                must_not: Vec::new(),
            }
            .weight(searcher)
            .map_err(&err)?,
            // A query of filters alone, or of excluded words only, matches
            // nothing here.
            has_words: !built.relaxed.words.is_empty(),
        };
        let mut out = Vec::with_capacity(n);
        for round in ranked.chunks(ROUND) {
            if out.len() >= n {
                break;
            }
            for (addr, similarity) in self.admitted(searcher, &asked, round)? {
                if out.len() == n {
                    break;
                }
                let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
                let Some(mut case) = self.fields.stored_case(&doc) else {
                    continue;
                };
                let summary = std::mem::take(&mut case.sections.summary);
                out.push(Related {
                    case: Listing::from(case),
                    similarity,
                    summary,
                });
            }
        }
        Ok(out)
    }

    /// The candidates of one round the request admits and does not match,
    /// in their order.
    fn admitted(
        &self,
        searcher: &Searcher,
        asked: &Asked,
        candidates: &[(String, f32)],
    ) -> Result<Vec<(DocAddress, f32)>, IndexError> {
        let err = self.tantivy_err();
        let mut kept: Vec<(usize, DocAddress)> = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let ids = reader.inverted_index(self.fields.id).map_err(&err)?;
            let mut docs: Vec<(DocId, usize)> = Vec::new();
            for (rank, (id, _)) in candidates.iter().enumerate() {
                let term = Term::from_field_text(self.fields.id, id);
                let postings = ids.read_postings(&term, IndexRecordOption::Basic);
                let Some(mut postings) = postings.map_err(|e| err(e.into()))? else {
                    continue;
                };
                let mut doc = postings.doc();
                while doc != TERMINATED && reader.is_deleted(doc) {
                    doc = postings.advance();
                }
                if doc != TERMINATED {
                    docs.push((doc, rank));
                }
            }
            if docs.is_empty() {
                continue;
            }
            // The scorers move forward only: ask in document order.
            docs.sort_unstable();
            let mut admits = asked.admits.scorer(reader).map_err(&err)?;
            let mut matches = asked.matches.scorer(reader).map_err(&err)?;
            for (doc, rank) in docs {
                if admits.is_match(doc) && !(asked.has_words && matches.is_match(doc)) {
                    kept.push((rank, DocAddress::new(ord as u32, doc)));
                }
            }
        }
        kept.sort_unstable_by_key(|(rank, _)| *rank);
        Ok(kept
            .into_iter()
            .map(|(rank, addr)| (addr, candidates[rank].1))
            .collect())
    }
}
