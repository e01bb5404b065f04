//! Searching: our own query builder over the analyzers' fields, filters,
//! sorting, drill-down facet counts, and hits with snippets.
//!
//! Owns turning a [`SearchRequest`] into [`SearchResults`] on one
//! searcher; the meaning of the query is [`crate::query`]'s, the snippets
//! [`crate::highlight`]'s. Knows nothing of HTTP.
//!
//! A query becomes a list of *words* ([`Word`]): what the person typed,
//! a sentence cut into its content words (市民が審査に参加する改善の取り組み
//! → 市民 · 審査 · 参加 · 改善 · 取り組み), each with its synonyms as
//! alternatives. Every word is searched in every analyzer's field
//! (morphological, n-gram, reading) with weights. Several words are not a
//! strict AND: a case must match most of them (like Elasticsearch's
//! `minimum_should_match`), and cases matching more words rank in a higher
//! tier, so those matching every word come first. The tier is data carried
//! beside the score ([`relaxed::Matched`]), never packed into it. `total`
//! counts the cases matching every word, `partial_total` the others; the
//! words a hit lacks are reported, per hit and for the page.
//!
//! A word typed as a compound (首長交代) matches as typed, then as its
//! parts anywhere in a case (首長 ＋ 交代, each with its synonyms), never
//! as some of them; the results say how it was read ([`AlsoRead`]). A
//! word that is a level, the kind or a section heading also matches the
//! cases filed so (`meta`), below those whose text says it.
//!
//! After the matches, a search may show cases related by meaning that do
//! not match ([`related`]): ranked outside the index ([`Nearest`]), never
//! counted.
//!
//! By stage: [`request`] (what is asked and answered), [`build`] (the
//! tantivy query and filters), [`relaxed`] (the matches of several words,
//! each with how many it holds), [`collect`] (one
//! pass that counts and ranks, re-ranking, facets), [`explain`] (what each
//! hit of the page matches), [`hits`] (the stored cases, highlighted),
//! [`related`] (the nearest cases the request admits and does not match).

mod build;
mod collect;
mod explain;
mod hits;
mod related;
mod relaxed;
mod request;
#[cfg(test)]
mod synonym_tests;
#[cfg(test)]
mod tests;

use std::time::Instant;

use crate::analysis::synonyms;
use crate::case::Section;
use crate::highlight::Matcher;
use crate::index::{CaseIndex, IndexError};
use crate::query::{self, Word};
use hits::{Counts, Highlighting};
pub use related::{Nearest, Related};
pub use request::{
    AlsoRead, Hit, SearchOptions, SearchRequest, SearchResults, SectionSnippet, Sort, WordSynonyms,
};

impl CaseIndex {
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        self.search_with(req, &SearchOptions::default())
    }

    /// [`search`](Self::search) with some analyzers left out (evaluation).
    pub fn search_with(
        &self,
        req: &SearchRequest,
        opts: &SearchOptions,
    ) -> Result<SearchResults, IndexError> {
        self.run(req, opts, Counts::Index, None)
    }

    /// [`search_with`](Self::search_with), and on the first page up to
    /// `req.related` cases related by meaning from `nearest` that do not
    /// match.
    pub fn search_related(
        &self,
        req: &SearchRequest,
        opts: &SearchOptions,
        nearest: &dyn Nearest,
    ) -> Result<SearchResults, IndexError> {
        self.run(req, opts, Counts::Index, Some(nearest))
    }

    /// A search, its hits highlighted with term counts from `counts`.
    fn run(
        &self,
        req: &SearchRequest,
        opts: &SearchOptions,
        counts: Counts,
        nearest: Option<&dyn Nearest>,
    ) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let words = query::plan(&query::parse(&req.query), synonyms::active());
        let searcher = self.reader.searcher();
        let err = self.tantivy_err();
        // Every query word (and synonym) analysed once, for the query, the
        // section pre-filter and the highlighter alike.
        let mut terms = build::analyse(&words);
        self.resolve_readings(&searcher, &mut terms).map_err(&err)?;
        // A compound typed without spaces is also searched as its parts,
        // each as a word.
        let mut parts = Vec::with_capacity(words.len());
        for part_words in query::compound_parts(&words, synonyms::active()) {
            let mut part_terms = build::analyse(&part_words);
            build::as_words(&mut part_terms);
            self.resolve_readings(&searcher, &mut part_terms)
                .map_err(&err)?;
            parts.push(build::CompoundParts {
                words: part_words,
                terms: part_terms,
            });
        }
        build::as_typed(&mut terms, &parts);
        let built = self.text_query(&words, &terms, &parts, req.section, &opts.analyzers);
        let filters = self.filters(req);
        let collected = self.collect(&searcher, req, &built, &filters)?;
        let related = match nearest {
            Some(nearest) if req.related > 0 && req.offset == 0 && !words.is_empty() => {
                // Related cases do not hold the words anywhere: a search of
                // one section shows none that holds them in another.
                let anywhere = req
                    .section
                    .map(|_| self.text_query(&words, &terms, &parts, None, &opts.analyzers));
                let ranked = nearest.to_query(&req.query);
                let unmatched_by = anywhere.as_ref().unwrap_or(&built);
                self.related(&searcher, unmatched_by, &filters, &ranked, req.related)?
            }
            _ => Vec::new(),
        };
        // Highlight what was searched: the words and their synonyms.
        let matcher = Matcher::from_forms(
            words
                .iter()
                .zip(&terms)
                .filter(|(w, _)| !w.negated)
                .flat_map(|(_, atoms)| atoms.iter().map(|a| &a.forms))
                .chain(
                    parts
                        .iter()
                        .flat_map(|p| p.terms.iter().flatten().map(|a| &a.forms)),
                ),
        );
        // Which sections each hit matches, so only those are highlighted
        // (a section without a match would be analysed for nothing) —
        // asked of the index only when the highlighter cannot find the
        // matches cheaply by itself; and which words each hit lacks.
        let sections: Vec<Section> = Section::ALL
            .into_iter()
            .filter(|s| req.section.is_none_or(|only| only == *s))
            .collect();
        let ask_sections = (!matcher.locates_by_needles()).then_some(&sections[..]);
        let explained = self.explain(&searcher, &built, &collected.page, ask_sections)?;
        let labels: Vec<String> = built.positives.iter().map(|(l, _)| l.clone()).collect();
        let how = Highlighting {
            matcher: &matcher,
            counts,
            section: req.section,
            sections: &sections,
        };
        let (hits, dropped_words) =
            self.hits(&searcher, collected.page, explained, &labels, &how)?;
        let facets = match req.facets {
            true => Some(self.facets(&searcher, &*built.strict, &filters, collected.counted)?),
            false => None,
        };
        Ok(SearchResults {
            total: collected.total,
            partial_total: collected.partial_total,
            hits,
            facets,
            related,
            words: positive_labels(&words),
            also_read: also_read(&words, &parts),
            dropped_words,
            synonyms: word_synonyms(&words),
            took: started.elapsed(),
            generation: searcher.generation().generation_id(),
        })
    }
}

/// The compounds also searched as their parts, as the page says it.
fn also_read(words: &[Word], parts: &[build::CompoundParts]) -> Vec<AlsoRead> {
    words
        .iter()
        .zip(parts)
        .filter(|(_, p)| !p.words.is_empty())
        .map(|(w, p)| AlsoRead {
            typed: w.label.clone(),
            parts: p.words.iter().map(|w| w.label.clone()).collect(),
        })
        .collect()
}

/// The words searched for, as the person wrote them.
fn positive_labels(words: &[Word]) -> Vec<String> {
    words
        .iter()
        .filter(|w| !w.negated)
        .map(|w| w.label.clone())
        .collect()
}

/// The synonyms searched with each positive word, for the page to say so.
fn word_synonyms(words: &[Word]) -> Vec<WordSynonyms> {
    words
        .iter()
        .filter(|w| !w.negated)
        .map(|w| WordSynonyms {
            word: w.label.clone(),
            synonyms: w.synonyms().map(str::to_owned).collect(),
        })
        .filter(|s| !s.synonyms.is_empty())
        .collect()
}
