//! A page's hits: each stored case with its title and section snippets
//! highlighted, the words it lacks; the words some hit lacks.

use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, Searcher, TantivyDocument, Term};

use super::collect::Ranked;
use super::explain::Explained;
use super::request::{Hit, SectionSnippet};
use crate::analysis::AnalyzerKind;
use crate::case::{Case, Section};
use crate::highlight::{Matcher, Snippet, TermCounts, no_counts, snippet};
use crate::index::schema::TextField;
use crate::index::{CaseIndex, IndexError};

/// Characters of context in a snippet.
const SNIPPET_WIDTH: usize = 110;
/// Section snippets per hit.
const MAX_SNIPPETS: usize = 3;

/// Where the highlighter learns how often a hit's text holds a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counts {
    /// From the index's posting lists (a look-up per term).
    Index,
    /// Nowhere: every place is checked by analysis (the tests compare the
    /// two).
    #[cfg_attr(not(test), allow(dead_code))]
    Analysis,
}

/// How a page's hits are highlighted.
pub(super) struct Highlighting<'a> {
    pub matcher: &'a Matcher,
    pub counts: Counts,
    /// Only this section is searched.
    pub section: Option<Section>,
    /// Sections any hit may match, when the index was not asked which.
    pub sections: &'a [Section],
}

impl CaseIndex {
    /// The hits of a page, in its order, and the words some hit lacks (in
    /// the order of `labels`, the positive words).
    pub(super) fn hits(
        &self,
        searcher: &Searcher,
        page: Vec<Ranked>,
        explained: Vec<Explained>,
        labels: &[String],
        how: &Highlighting,
    ) -> Result<(Vec<Hit>, Vec<String>), IndexError> {
        let mut hits = Vec::with_capacity(page.len());
        let mut dropped = vec![false; labels.len()];
        for (ranked, explained) in page.into_iter().zip(explained) {
            for &w in &explained.missing {
                dropped[w] = true;
            }
            // All the sections allowed when the highlighter finds its
            // matches cheaply; else those the index found a match in.
            let candidates = if how.matcher.locates_by_needles() {
                how.sections
            } else {
                &explained.sections
            };
            let doc: TantivyDocument = searcher.doc(ranked.addr).map_err(self.tantivy_err())?;
            let Some(case) = self.fields.stored_case(&doc) else {
                continue;
            };
            let counts = |name: &str| match how.counts {
                Counts::Index => {
                    Box::new(term_counts(searcher, ranked.addr, self.fields.text(name)))
                        as Box<TermCounts>
                }
                Counts::Analysis => Box::new(no_counts),
            };
            let mut hit = hit(case, how, candidates, &counts);
            hit.score = ranked.score;
            hit.missing_words = explained
                .missing
                .iter()
                .map(|&w| labels[w].clone())
                .collect();
            hits.push(hit);
        }
        let mut words: Vec<String> = Vec::new();
        for (label, _) in labels.iter().zip(dropped).filter(|(_, d)| *d) {
            if !words.contains(label) {
                words.push(label.clone());
            }
        }
        Ok((hits, words))
    }
}

/// A case as a hit: its title and up to [`MAX_SNIPPETS`] sections among
/// `candidates` highlighted (`counts(text name)`: the index's term counts
/// of that text).
fn hit<'a>(
    case: Case,
    how: &Highlighting,
    candidates: &[Section],
    counts: &dyn Fn(&str) -> Box<TermCounts<'a>>,
) -> Hit {
    let matcher = how.matcher;
    let title_html = matcher
        .snippet_counted(&case.title, usize::MAX, &*counts("title"))
        .to_html();
    let mut snippets: Vec<SectionSnippet> = Section::ALL
        .into_iter()
        .filter(|s| how.section.is_none_or(|only| only == *s))
        .filter(|s| candidates.contains(s))
        .filter_map(|s| {
            let text = case.sections.get(s);
            if matcher.is_empty() || text.is_empty() {
                return None;
            }
            let snip = matcher.snippet_counted(text, SNIPPET_WIDTH, &*counts(s.key()));
            snip.has_marks().then(|| SectionSnippet::new(s, snip))
        })
        // The first three matching sections in reading order (概要
        // first): each costs an analysis, and a hit shows three.
        .take(MAX_SNIPPETS)
        .collect();
    snippets.sort_by_key(|s| std::cmp::Reverse(s.snippet.marks.len()));
    if snippets.is_empty() {
        let s = how.section.unwrap_or(Section::Summary);
        let snip = snippet(case.sections.get(s), &[], SNIPPET_WIDTH);
        snippets.push(SectionSnippet::new(s, snip));
    }
    Hit {
        id: case.id,
        title: case.title,
        title_html,
        municipality: case.municipality,
        prefecture: case.prefecture,
        kind: case.kind,
        levels: case.levels,
        period: case.period,
        updated: case.updated,
        // The ranking score is the caller's.
        score: 0.0,
        snippets,
        missing_words: Vec::new(),
    }
}

impl SectionSnippet {
    fn new(s: Section, snippet: Snippet) -> SectionSnippet {
        SectionSnippet {
            section: s.key(),
            heading: s.heading(),
            html: snippet.to_html(),
            snippet,
        }
    }
}

/// How many times the index holds a term, by analyzer, in one text of one
/// case (`None`: no such text, or the index could not say): the
/// highlighter settles places with it instead of segmenting their
/// sentences ([`Matcher::snippet_counted`]).
pub(super) fn term_counts<'a>(
    searcher: &'a Searcher,
    addr: DocAddress,
    text: Option<&'a TextField>,
) -> impl Fn(AnalyzerKind, &str) -> Option<u32> + 'a {
    move |kind, term| {
        let field = text?.field(kind);
        let inverted = searcher
            .segment_reader(addr.segment_ord)
            .inverted_index(field)
            .ok()?;
        let term = Term::from_field_text(field, term);
        let postings = inverted
            .read_postings(&term, IndexRecordOption::WithFreqs)
            .ok()?;
        let Some(mut postings) = postings else {
            return Some(0);
        };
        // A posting list opens at its first document and only moves
        // forward: seeking behind it is not allowed.
        if postings.doc() < addr.doc_id {
            postings.seek(addr.doc_id);
        }
        Some(if postings.doc() == addr.doc_id {
            postings.term_freq()
        } else {
            0
        })
    }
}
