//! What a search asks and answers: the request (hashable, so the web
//! layer can cache by it), the options, the results and their hits.

use std::time::Duration;

use crate::analysis::AnalyzerKind;
use crate::case::{Kind, Level, Period, Section};
use crate::highlight::Snippet;
use crate::index::facets::Facets;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// BM25 with field weights; the more recently updated case first on ties.
    #[default]
    Relevance,
    /// Most recently updated first.
    Newest,
    /// Most recent start year first.
    Period,
}

/// A search; equal requests get equal results on one index generation
/// (hashable, so that the web layer can cache results by request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchRequest {
    pub query: String,
    /// Any of these levels (OR).
    pub levels: Vec<Level>,
    /// Any of these prefectures (OR).
    pub prefectures: Vec<String>,
    pub municipality: Option<String>,
    pub kinds: Vec<Kind>,
    /// Campaigns active at some point in `year_from..=year_to`.
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    /// Search only this narrative section.
    pub section: Option<Section>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Compute facet counts (one extra search per facet).
    pub facets: bool,
    /// How many cases related by meaning to show after the matches, on the
    /// first page (0: none).
    pub related: usize,
}

#[derive(Debug, Clone)]
pub struct SectionSnippet {
    /// Section key (`failures`), or `title`.
    pub section: &'static str,
    /// Its heading (失敗・課題).
    pub heading: &'static str,
    /// HTML-escaped, matches in `<mark>`.
    pub html: String,
    pub snippet: Snippet,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    pub title: String,
    /// Title HTML-escaped with matches in `<mark>`.
    pub title_html: String,
    pub municipality: String,
    pub prefecture: String,
    pub kind: Kind,
    pub levels: Vec<Level>,
    pub period: Period,
    pub updated: Option<String>,
    pub score: f32,
    /// Up to three matching sections (the first in reading order), most
    /// marks first; the summary if none matched.
    pub snippets: Vec<SectionSnippet>,
    /// Words of the query this case does not match (a relaxed match of a
    /// multi-word query or sentence); empty when it matches every word.
    pub missing_words: Vec<String>,
}

/// The answer to a search.
///
/// Honest counts: `total` is the number of cases matching every word of
/// the query; a query of several words is also answered by cases matching
/// only some of them (most of them), counted apart in `partial_total`.
/// Paging runs through one list, `offset` and `limit` over it: first every
/// case matching every word, then the partial ones (those matching more
/// words first). So a page may end the first part and start the second;
/// each hit says in `missing_words` what it lacks (empty: it matches every
/// word).
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Cases matching every word.
    pub total: usize,
    /// Cases matching only some of the words (a relaxed match of several
    /// words); 0 for a single word.
    pub partial_total: usize,
    /// This page of the one list: the cases matching every word first.
    pub hits: Vec<Hit>,
    /// Counted over the cases matching every word.
    pub facets: Option<Facets>,
    /// Cases related by meaning that do not match, nearest first: shown
    /// after the matches, labelled, counted nowhere (first page only).
    pub related: Vec<super::Related>,
    /// The words searched for, after cutting a sentence into its content
    /// words (市民が審査に参加する… → 市民, 審査, 参加, …).
    pub words: Vec<String>,
    /// Compounds typed without spaces that were also searched as their
    /// parts (首長交代 → 首長 ＋ 交代), so the page can say how it read them.
    pub also_read: Vec<AlsoRead>,
    /// Words that some hits on this page do not match: the query was
    /// relaxed to cases matching most words. Empty when every hit matches
    /// every word. Show it ("一致しない語: …").
    pub dropped_words: Vec<String>,
    /// Each searched word that also searched its synonyms, with them (the
    /// UI's 「同義語も検索: 打ち切り・撤廃」); words without any are left out.
    pub synonyms: Vec<WordSynonyms>,
    pub took: Duration,
    /// The index generation searched ([`CaseIndex::generation`]).
    pub generation: u64,
}

impl Hit {
    /// Whether the case matches every word of the query (not a partial
    /// match).
    pub fn matches_every_word(&self) -> bool {
        self.missing_words.is_empty()
    }
}

/// A query word and the synonyms searched with it (they rank below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordSynonyms {
    pub word: String,
    pub synonyms: Vec<String>,
}

/// A word typed as a compound, also searched as its parts anywhere in a
/// case (below the cases holding the compound itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlsoRead {
    /// As typed (首長交代).
    pub typed: String,
    /// Its parts, as written (首長, 交代).
    pub parts: Vec<String>,
}

/// Which analyzers a search may use. The default is all of them (hybrid);
/// `kaizen-wa eval --mode` restricts it to show each analyzer's share.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub analyzers: Vec<AnalyzerKind>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            analyzers: AnalyzerKind::ALL.to_vec(),
        }
    }
}
