//! Searching: our own query builder over the analyzers' fields, filters,
//! sorting, drill-down facet counts, and hits with snippets.
//!
//! A query becomes a list of *words* ([`Word`]): what the person typed,
//! a sentence cut into its content words (市民が審査に参加する改善の取り組み
//! → 市民 · 審査 · 参加 · 改善 · 取り組み), each with its synonyms as
//! alternatives. Every word is searched in every analyzer's field
//! (morphological, n-gram, reading) with weights. Several words are not a
//! strict AND: a case must match most of them (like Elasticsearch's
//! `minimum_should_match`), and cases matching more words rank in a higher
//! tier, so those matching every word come first. The words a hit lacks are
//! reported, per hit and for the page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::postings::Postings;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur,
    PhraseQuery, Query, RangeQuery, RegexQuery, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, Order, Searcher, TantivyDocument, Term};

use super::facets::{Counted, FACETS, FacetCounter};
use super::highlight::{Matcher, is_kana_word, snippet};
use super::query::{self, Atom, UserQuery};
use super::schema::{Fields, ONGOING, TextField};
use super::wrappers::{ExcludedQuery, TierQuery};
use super::{CaseIndex, IndexError};
use crate::analysis::{Analysis, AnalyzerKind, analyzer, query_terms, synonyms};
use crate::case::{Case, Kind, Level, Period, Section};

/// Weight of each analyzer's match relative to a morphological one: exact
/// word matches rank first, substring and reading matches still come.
const NGRAM_WEIGHT: f32 = 0.5;
const READING_WEIGHT: f32 = 0.6;
/// Weight of two neighbouring words of a multi-word query appearing close
/// together (within [`PROXIMITY_SLOP`] positions, in order).
const PROXIMITY_WEIGHT: f32 = 0.5;
const PROXIMITY_SLOP: u32 = 8;

/// Score added per matched word of a multi-word query: larger than any
/// BM25 sum, so a case matching more words always ranks higher, and BM25
/// orders the cases within a tier.
const TIER: f32 = 10_000.0;

/// Counts the hits that score at least `min`: with [`TIER`] added per
/// matched word, the cases matching all `n` words of a relaxed query are
/// those scoring at least `n × TIER`. Counted in the pass that ranks,
/// instead of a second search of the strict query.
struct ScoreAtLeast(f32);

struct ScoreAtLeastSegment {
    min: f32,
    count: usize,
}

impl tantivy::collector::Collector for ScoreAtLeast {
    type Fruit = usize;
    type Child = ScoreAtLeastSegment;

    fn for_segment(
        &self,
        _: tantivy::SegmentOrdinal,
        _: &tantivy::SegmentReader,
    ) -> tantivy::Result<ScoreAtLeastSegment> {
        Ok(ScoreAtLeastSegment {
            min: self.0,
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, counts: Vec<usize>) -> tantivy::Result<usize> {
        Ok(counts.into_iter().sum())
    }
}

impl tantivy::collector::SegmentCollector for ScoreAtLeastSegment {
    type Fruit = usize;

    fn collect(&mut self, _: tantivy::DocId, score: tantivy::Score) {
        if score >= self.min {
            self.count += 1;
        }
    }

    fn harvest(self) -> usize {
        self.count
    }
}

/// How many of the best hits the proximity of a multi-word query re-ranks
/// (at least; more for a deeper page). Scoring proximity on every match (a
/// sloppy phrase per pair of words per field, position by position) was a
/// third of a sentence query's time; a case it lifts comes from near the
/// top anyway, as it already matches the most words.
const RESCORE_DEPTH: usize = 100;

/// Characters of context in a snippet.
const SNIPPET_WIDTH: usize = 110;
/// Section snippets per hit.
const MAX_SNIPPETS: usize = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
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
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionSnippet {
    /// Section key (`failures`), or `title`.
    pub section: &'static str,
    /// Its heading (失敗・課題).
    pub heading: &'static str,
    /// HTML-escaped, matches in `<mark>`.
    pub html: String,
    #[serde(skip)]
    pub snippet: super::Snippet,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub level: Vec<FacetCount>,
    pub prefecture: Vec<FacetCount>,
    pub kind: Vec<FacetCount>,
    pub decade: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
    /// The words searched for, after cutting a sentence into its content
    /// words (市民が審査に参加する… → 市民, 審査, 参加, …).
    pub words: Vec<String>,
    /// Words that some hits on this page do not match: the query was
    /// relaxed to cases matching most words. Empty when every hit matches
    /// every word. Show it ("一致しない語: …").
    pub dropped_words: Vec<String>,
    /// Cases matching every word (`total` also counts relaxed matches).
    pub total_all_words: usize,
    #[serde(skip)]
    pub took: Duration,
    /// The index generation searched ([`CaseIndex::generation`]).
    #[serde(skip)]
    pub generation: u64,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn facet_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_facet(field, &Facet::from_path([value])),
        IndexRecordOption::Basic,
    ))
}

/// Terms in sequence: a term, or a phrase of several.
fn sequence(field: Field, terms: &[String]) -> Option<Box<dyn Query>> {
    match terms {
        [] => None,
        [one] => Some(term_query(field, one)),
        many => Some(Box::new(PhraseQuery::new(
            many.iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

fn should(queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.into_iter().next(),
        _ => Some(Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))),
    }
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    if (by - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, by))
    }
}

/// The analysed forms of an atom, computed once and used for every field.
struct AtomTerms {
    atom: Atom,
    morph: Vec<String>,
    ngram: Vec<String>,
    /// Reading bigrams of a typed kana word (a phrase in `_rd`).
    reading: Vec<String>,
    /// A word of one character: the n-gram terms starting with it (the
    /// automaton, built once and shared by every field's query).
    single_char: Option<Arc<tantivy_fst::Regex>>,
    /// The same kana word as one reading, folded (a term in `_rw`).
    reading_word: Option<String>,
    /// Some word of the index reads `reading_word`: the kana word is
    /// searched as that word's reading (one term), not as a substring of
    /// reading runs (a phrase of bigrams, ten times the cost over 10,000
    /// cases). Set by [`CaseIndex::resolve_readings`].
    reading_is_word: bool,
}

impl AtomTerms {
    /// `typed`: the atom is what the person typed, not a synonym; only
    /// typed kana words search readings (a kana synonym such as カイゼン
    /// for 改善 would only add homophones, at the price of a phrase query
    /// over every reading field).
    fn new(atom: &Atom, typed: bool) -> AtomTerms {
        let text = atom.text();
        // One analysis for both term lists; a compound counts by its parts
        // (as `query_terms` does).
        let analysis = Analysis::of(text);
        let texts = |k| -> Vec<String> {
            analysis
                .get(k)
                .iter()
                .filter(|t| !t.compound)
                .map(|t| t.text.clone())
                .collect()
        };
        let kana = typed && is_kana_word(text) && text.chars().count() > 1;
        let ngram = texts(AnalyzerKind::Ngram);
        let single_char = match ngram.as_slice() {
            [one] if one.chars().count() == 1 => one.chars().next().and_then(|c| {
                tantivy_fst::Regex::new(&format!("{}.?", regex_escape(c)))
                    .ok()
                    .map(Arc::new)
            }),
            _ => None,
        };
        AtomTerms {
            atom: atom.clone(),
            morph: texts(AnalyzerKind::Morph),
            ngram,
            single_char,
            reading: if kana {
                crate::analysis::kana_bigrams(text)
            } else {
                Vec::new()
            },
            reading_word: kana.then(|| crate::analysis::kana_reading(text)),
            reading_is_word: false,
        }
    }

    /// Matches of this atom in one text field, each allowed analyzer
    /// weighted.
    fn in_field(&self, tf: &TextField, kinds: &[AnalyzerKind]) -> Vec<Box<dyn Query>> {
        let mut out = Vec::new();
        let morph = match self.atom {
            _ if !kinds.contains(&AnalyzerKind::Morph) => None,
            // A word: all its terms, in any order, within the field — never
            // an implicit phrase (tantivy#718).
            Atom::Word(_) if self.morph.len() > 1 => Some(Box::new(BooleanQuery::new(
                self.morph
                    .iter()
                    .map(|t| (Occur::Must, term_query(tf.morph, t)))
                    .collect(),
            )) as Box<dyn Query>),
            _ => sequence(tf.morph, &self.morph),
        };
        if let Some(q) = morph {
            out.push(boost(q, tf.boost));
        }
        let ngram: Option<Box<dyn Query>> = match &self.single_char {
            _ if !kinds.contains(&AnalyzerKind::Ngram) => None,
            // One character: every term starting with it (each occurrence
            // starts one), a prefix of the term dictionary.
            Some(re) => Some(Box::new(RegexQuery::from_regex(Arc::clone(re), tf.ngram))),
            // A phrase of bigrams.
            None => sequence(tf.ngram, &self.ngram),
        };
        if let Some(q) = ngram {
            out.push(boost(q, tf.boost * NGRAM_WEIGHT));
        }
        let reading = match &self.reading_word {
            Some(word) if self.reading_is_word && kinds.contains(&AnalyzerKind::ReadingWord) => {
                Some(term_query(tf.reading_word, word))
            }
            _ if kinds.contains(&AnalyzerKind::Reading) => sequence(tf.reading, &self.reading),
            _ => None,
        };
        if let Some(q) = reading {
            out.push(boost(q, tf.boost * READING_WEIGHT));
        }
        out
    }
}

fn regex_escape(c: char) -> String {
    if c.is_ascii_punctuation() {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// Any of the atoms in any of the fields.
fn atoms_query(
    atoms: &[AtomTerms],
    fields: &[&TextField],
    kinds: &[AnalyzerKind],
) -> Option<Box<dyn Query>> {
    should(
        atoms
            .iter()
            .filter_map(|at| {
                should(
                    fields
                        .iter()
                        .flat_map(|tf| at.in_field(tf, kinds))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// One atom in one field by one analyzer, with the field's section.
type LeafQuery = (Option<Section>, Box<dyn Query>);

/// The leaf queries of a word: each atom in each field by each analyzer.
fn leaf_queries(
    atoms: &[AtomTerms],
    fields: &[&TextField],
    kinds: &[AnalyzerKind],
) -> Vec<LeafQuery> {
    atoms
        .iter()
        .flat_map(|at| {
            fields
                .iter()
                .flat_map(move |tf| at.in_field(tf, kinds).into_iter().map(|q| (tf.section, q)))
        })
        .collect()
}

/// A leaf query of a word as a weight, with its scorer on the segment of
/// the hit being checked.
///
/// A weight's scorer, opened per segment and moved forward to the
/// documents asked: documents must be asked in order (by segment, then
/// id), as a scorer only moves forward.
struct Cursor {
    weight: Box<dyn Weight>,
    scorer: Option<(u32, Box<dyn Scorer>)>,
}

impl Cursor {
    fn new(weight: Box<dyn Weight>) -> Cursor {
        Cursor {
            weight,
            scorer: None,
        }
    }

    /// The scorer on the document at `addr`, when it matches.
    fn at(
        &mut self,
        searcher: &Searcher,
        addr: DocAddress,
    ) -> tantivy::Result<Option<&mut Box<dyn Scorer>>> {
        let stale = !matches!(&self.scorer, Some((seg, _)) if *seg == addr.segment_ord);
        if stale {
            let reader = searcher.segment_reader(addr.segment_ord);
            self.scorer = Some((addr.segment_ord, self.weight.scorer(reader, 1.0)?));
        }
        let Some((_, scorer)) = self.scorer.as_mut() else {
            return Ok(None);
        };
        let mut doc = scorer.doc();
        if doc < addr.doc_id {
            doc = scorer.seek(addr.doc_id);
        }
        Ok((doc == addr.doc_id).then_some(scorer))
    }
}

/// Whether a hit matches a word (or a word in a section) is a seek in a
/// few posting lists, leaf by leaf. A scorer of the whole word would be a
/// union, which buffers the next block of every clause (thousands of
/// documents, phrases checked position by position) at every seek.
struct Leaf {
    section: Option<Section>,
    cursor: Cursor,
}

impl Leaf {
    /// Whether the document at `addr` matches (asked in order, see
    /// [`Cursor`]).
    fn matches(&mut self, searcher: &Searcher, addr: DocAddress) -> tantivy::Result<bool> {
        Ok(self.cursor.at(searcher, addr)?.is_some())
    }
}

/// How many times the index holds a term, by analyzer, in one text of one
/// case (`None`: no such text, or the index could not say): the
/// highlighter settles places with it instead of segmenting their
/// sentences ([`Matcher::snippet_counted`]).
fn term_counts<'a>(
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

/// What each hit matches: the sections (among `sections`, when asked) and
/// which positive words it lacks (by index into `words`).
fn explain_hits(
    searcher: &Searcher,
    words: &mut [Vec<Leaf>],
    addrs: &[DocAddress],
    sections: Option<&[Section]>,
) -> tantivy::Result<Vec<(Vec<Section>, Vec<usize>)>> {
    let mut order: Vec<usize> = (0..addrs.len()).collect();
    order.sort_by_key(|&i| (addrs[i].segment_ord, addrs[i].doc_id));
    let mut out = vec![(Vec::new(), Vec::new()); addrs.len()];
    for i in order {
        let addr = addrs[i];
        if words.len() > 1 {
            for (w, leaves) in words.iter_mut().enumerate() {
                let mut found = false;
                for leaf in leaves.iter_mut() {
                    if leaf.matches(searcher, addr)? {
                        found = true;
                        break;
                    }
                }
                if !found {
                    out[i].1.push(w);
                }
            }
        }
        for &s in sections.unwrap_or(&[]) {
            let mut found = false;
            'words: for leaves in words.iter_mut() {
                for leaf in leaves.iter_mut().filter(|l| l.section == Some(s)) {
                    if leaf.matches(searcher, addr)? {
                        found = true;
                        break 'words;
                    }
                }
            }
            if found {
                out[i].0.push(s);
            }
        }
    }
    Ok(out)
}

/// One unit of a query: required (or excluded) as a whole, counted when a
/// multi-word query is relaxed, reported when a hit lacks it.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    /// As the person wrote it (`a OR b` for alternatives).
    pub label: String,
    pub negated: bool,
    /// What typed, then its synonyms: any of them matches.
    pub atoms: Vec<Atom>,
    /// How many of `atoms` were typed (the rest are synonyms).
    pub typed: usize,
}

impl Word {
    fn atom_terms(&self) -> Vec<AtomTerms> {
        self.atoms
            .iter()
            .enumerate()
            .map(|(i, a)| AtomTerms::new(a, i < self.typed))
            .collect()
    }
}

/// The content words of a text written as a sentence: runs of indexed
/// tokens between particles, auxiliaries and light verbs, as written.
/// Only a text with a particle (助詞) is a sentence: やらされ意識 or
/// 改善された stay one word. A kana-only text is never cut (unknown kana
/// strings segment arbitrarily: かいぜん is one word, not か + いぜん).
fn content_words(text: &str) -> Vec<String> {
    if is_kana_word(text) {
        return vec![text.to_owned()];
    }
    let mut out = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut particle = false;
    for t in analyzer().explain(text) {
        match (t.dropped, &mut run) {
            (None, Some((_, end))) => *end = t.byte_end,
            (None, None) => run = Some((t.byte_start, t.byte_end)),
            (Some(reason), _) => {
                particle |= reason == "助詞";
                if let Some((s, e)) = run.take() {
                    out.push(text[s..e].to_owned());
                }
            }
        }
    }
    if let Some((s, e)) = run {
        out.push(text[s..e].to_owned());
    }
    if !particle {
        return vec![text.to_owned()];
    }
    // Words that name what every case is (事例, 自治体, 取り組み) say
    // nothing about which case is meant: a sentence is searched without
    // them, unless nothing else is left.
    let meaningful: Vec<String> = out
        .iter()
        .filter(|w| !COLLECTION_WORDS.contains(&String::as_str(w)))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        out
    } else {
        meaningful
    }
}

/// Words of a sentence that describe the collection itself.
const COLLECTION_WORDS: &[&str] = &[
    "事例",
    "自治体",
    "取り組み",
    "取組",
    "取組み",
    "ケース",
    "例",
    "話",
    "方法",
    "やり方",
];

/// The synonyms of a word: by its text, else by its base forms (止まっ,
/// as a sentence is cut, finds the rule for 止まる).
fn synonyms_of<'a>(word: &str, rules: &'a synonyms::Synonyms) -> &'a [String] {
    let direct = rules.expand(word);
    if !direct.is_empty() {
        return direct;
    }
    let base: String = query_terms(AnalyzerKind::Morph, word).concat();
    if base.is_empty() {
        &[]
    } else {
        rules.expand(&base)
    }
}

/// Adds each atom's synonyms as alternatives (same kind: a phrase's
/// synonym is a phrase).
fn with_synonyms(atoms: Vec<Atom>, rules: &synonyms::Synonyms) -> Vec<Atom> {
    let mut out = atoms.clone();
    for a in &atoms {
        for syn in synonyms_of(a.text(), rules) {
            let alt = match a {
                Atom::Word(_) => Atom::Word(syn.clone()),
                Atom::Phrase(_) => Atom::Phrase(syn.clone()),
            };
            if !out.contains(&alt) {
                out.push(alt);
            }
        }
    }
    out
}

/// The words of a parsed query: a word typed as a sentence becomes its
/// content words; every word gets its synonyms.
pub(crate) fn plan(q: &UserQuery, rules: &synonyms::Synonyms) -> Vec<Word> {
    let mut out = Vec::new();
    for clause in &q.clauses {
        if let (false, [Atom::Word(text)]) = (clause.negated, clause.any_of.as_slice())
            && rules.expand(text).is_empty()
        {
            let parts = content_words(text);
            if parts.len() > 1 {
                for p in parts {
                    out.push(Word {
                        label: p.clone(),
                        negated: false,
                        atoms: with_synonyms(vec![Atom::Word(p)], rules),
                        typed: 1,
                    });
                }
                continue;
            }
        }
        out.push(Word {
            label: clause
                .any_of
                .iter()
                .map(Atom::text)
                .collect::<Vec<_>>()
                .join(" OR "),
            negated: clause.negated,
            atoms: with_synonyms(clause.any_of.clone(), rules),
            typed: clause.any_of.len(),
        });
    }
    out
}

/// How many of `n` words a case must match: at least half, rounded up. Of
/// two words one suffices (首長交代 活動停止 never meet in one case); the
/// tiers still rank cases with both first.
fn required(n: usize) -> usize {
    n.div_ceil(2).max(1)
}

/// Which analyzers a search may use. The default is all of them (hybrid);
/// `kaizen-wa eval --mode` restricts it to show each analyzer's share.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub analyzers: Vec<AnalyzerKind>,
    /// Whether highlighting may settle a noun's places by the index's
    /// term counts ([`Matcher::snippet_counted`]) instead of segmenting
    /// their sentences; off, it analyses them (tests compare the two, the
    /// cost test times them).
    pub indexed_counts: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            analyzers: AnalyzerKind::ALL.to_vec(),
            indexed_counts: true,
        }
    }
}

/// A built query with what its hits need explained.
struct Built {
    query: Box<dyn Query>,
    /// Each positive word's label and query (without tiers).
    positives: Vec<(String, Box<dyn Query>)>,
    /// Each positive word's leaf queries (by section), to find what a hit
    /// lacks and which sections it matches.
    leaves: Vec<Vec<LeafQuery>>,
    /// All positive words required (for `total_all_words`).
    strict: Option<Box<dyn Query>>,
    /// Neighbouring words close together: a score added to the best
    /// [`RESCORE_DEPTH`] hits only ([`CaseIndex::rescore`]).
    proximity: Vec<Box<dyn Query>>,
}

impl CaseIndex {
    /// The fields a request searches: one section's, or all.
    fn search_fields(&self, section: Option<Section>) -> Vec<&TextField> {
        self.fields
            .texts
            .iter()
            .filter(|tf| section.is_none() || tf.section == section)
            .collect()
    }

    /// Marks the kana words that some indexed word reads whole (their
    /// reading is then one term): a look-up in each field's term
    /// dictionary.
    fn resolve_readings(
        &self,
        searcher: &Searcher,
        terms: &mut [Vec<AtomTerms>],
    ) -> tantivy::Result<()> {
        for at in terms.iter_mut().flatten() {
            let Some(word) = &at.reading_word else {
                continue;
            };
            for tf in &self.fields.texts {
                if searcher.doc_freq(&Term::from_field_text(tf.reading_word, word))? > 0 {
                    at.reading_is_word = true;
                    break;
                }
            }
        }
        Ok(())
    }

    /// Neighbouring words close together, in order, in one field: a boost
    /// for multi-word queries and sentences (市民 … 審査 near each other
    /// beats the two words far apart).
    fn proximity(&self, words: &[&Word], fields: &[&TextField]) -> Vec<Box<dyn Query>> {
        let terms: Vec<Vec<String>> = words
            .iter()
            .map(|w| query_terms(AnalyzerKind::Morph, w.atoms[0].text()))
            .collect();
        let mut out = Vec::new();
        for pair in terms.windows(2) {
            let phrase: Vec<&String> = pair.iter().flatten().collect();
            if pair[0].is_empty() || pair[1].is_empty() {
                continue;
            }
            for tf in fields {
                let q = PhraseQuery::new_with_offset_and_slop(
                    phrase
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (i, Term::from_field_text(tf.morph, t)))
                        .collect(),
                    PROXIMITY_SLOP,
                );
                out.push(boost(Box::new(q), tf.boost * PROXIMITY_WEIGHT));
            }
        }
        out
    }

    /// `terms[i]`: the analysed atoms of `words[i]`.
    fn text_query(
        &self,
        words: &[Word],
        terms: &[Vec<AtomTerms>],
        section: Option<Section>,
        kinds: &[AnalyzerKind],
    ) -> Built {
        let fields = self.search_fields(section);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positives: Vec<(String, Box<dyn Query>)> = Vec::new();
        let mut leaves = Vec::new();
        let mut impossible = false;
        for (w, atoms) in words.iter().zip(terms) {
            match (atoms_query(atoms, &fields, kinds), w.negated) {
                (Some(q), true) => {
                    clauses.push((Occur::MustNot, Box::new(ExcludedQuery::new(q))));
                }
                (Some(q), false) => {
                    positives.push((w.label.clone(), q));
                    leaves.push(leaf_queries(atoms, &fields, kinds));
                }
                (None, true) => {}
                // A required word with no searchable form (only
                // punctuation): nothing can match it.
                (None, false) => impossible = true,
            }
        }
        let positive_words: Vec<&Word> = words.iter().filter(|w| !w.negated).collect();
        let mut proximity = Vec::new();
        // Every positive word, and still none of the excluded ones.
        let strict = (positives.len() > 1).then(|| {
            Box::new(BooleanQuery::new(
                positives
                    .iter()
                    .map(|(_, q)| (Occur::Must, q.box_clone()))
                    .chain(
                        clauses
                            .iter()
                            .filter(|(o, _)| *o == Occur::MustNot)
                            .map(|(o, q)| (*o, q.box_clone())),
                    )
                    .collect(),
            )) as Box<dyn Query>
        });
        match positives.len() {
            _ if impossible => clauses.push((Occur::Must, Box::new(EmptyQuery))),
            0 => clauses.push((Occur::Must, Box::new(AllQuery))),
            1 => clauses.push((Occur::Must, positives[0].1.box_clone())),
            n => {
                // Each word: its BM25 score plus a tier for matching it.
                let tiered: Vec<(Occur, Box<dyn Query>)> = positives
                    .iter()
                    .map(|(_, q)| {
                        let tier: Box<dyn Query> = Box::new(TierQuery::new(q.box_clone(), TIER));
                        (Occur::Should, tier)
                    })
                    .collect();
                clauses.push((
                    Occur::Must,
                    Box::new(BooleanQuery::with_minimum_required_clauses(
                        tiered,
                        required(n),
                    )),
                ));
                if kinds.contains(&AnalyzerKind::Morph) {
                    proximity = self.proximity(&positive_words, &fields);
                }
            }
        }
        if impossible {
            positives.clear();
            leaves.clear();
        }
        Built {
            query: Box::new(BooleanQuery::new(clauses)),
            positives,
            leaves,
            strict,
            proximity,
        }
    }

    /// Filters, each as (facet name, query), so facet counts can leave their
    /// own out.
    fn filters(&self, req: &SearchRequest) -> Vec<(&'static str, Box<dyn Query>)> {
        let f: &Fields = &self.fields;
        let mut out: Vec<(&'static str, Box<dyn Query>)> = Vec::new();
        let any = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            should(queries).unwrap_or_else(|| Box::new(EmptyQuery))
        };
        if !req.levels.is_empty() {
            out.push((
                "level",
                any(req
                    .levels
                    .iter()
                    .map(|l| facet_query(f.level, l.name()))
                    .collect()),
            ));
        }
        if !req.prefectures.is_empty() {
            out.push((
                "prefecture",
                any(req
                    .prefectures
                    .iter()
                    .map(|p| facet_query(f.prefecture, p))
                    .collect()),
            ));
        }
        if !req.kinds.is_empty() {
            out.push((
                "kind",
                any(req
                    .kinds
                    .iter()
                    .map(|k| facet_query(f.kind, k.name()))
                    .collect()),
            ));
        }
        if let Some(m) = &req.municipality {
            out.push((
                "municipality",
                Box::new(TermQuery::new(
                    Term::from_field_text(f.municipality, m),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if req.year_from.is_some() || req.year_to.is_some() {
            // Active at some point in the range: started by its end, and
            // not ended before its start.
            let to = req.year_to.map_or(ONGOING, i64::from);
            let from = req.year_from.map_or(i64::MIN, i64::from);
            let started = RangeQuery::new(
                std::ops::Bound::Unbounded,
                std::ops::Bound::Included(Term::from_field_i64(f.start_year, to)),
            );
            let not_ended = RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_i64(f.end_year, from)),
                std::ops::Bound::Unbounded,
            );
            out.push((
                "decade",
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(started) as Box<dyn Query>),
                    (Occur::Must, Box::new(not_ended)),
                ])),
            ));
        }
        out
    }

    fn combine(text: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        if filters.is_empty() {
            return text;
        }
        let mut clauses = vec![(Occur::Must, text)];
        clauses.extend(filters.into_iter().map(|q| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
            )
        }));
        Box::new(BooleanQuery::new(clauses))
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        self.search_with(req, &SearchOptions::default())
    }

    /// [`search`](Self::search) with some analyzers left out (evaluation).
    pub fn search_with(
        &self,
        req: &SearchRequest,
        opts: &SearchOptions,
    ) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let parsed = query::parse(&req.query);
        let words = plan(&parsed, synonyms::active());
        let searcher = self.reader.searcher();
        let filters = self.filters(req);
        // Every query word (and synonym) analysed once, for the query, the
        // section pre-filter and the highlighter alike.
        let mut terms: Vec<Vec<AtomTerms>> = words.iter().map(Word::atom_terms).collect();
        self.resolve_readings(&searcher, &mut terms)
            .map_err(self.tantivy_err())?;
        let built = self.text_query(&words, &terms, req.section, &opts.analyzers);
        let text = built.query.box_clone();
        let query = Self::combine(
            text.box_clone(),
            filters.iter().map(|(_, q)| q.box_clone()).collect(),
        );
        let limit = req.limit.max(1);
        // With a proximity to add, the best RESCORE_DEPTH (or down to this
        // page) are ranked, re-ranked, then the page is cut.
        let rescore = req.sort == Sort::Relevance && !built.proximity.is_empty();
        let top = if rescore {
            TopDocs::with_limit((req.offset + limit).max(RESCORE_DEPTH))
        } else {
            TopDocs::with_limit(limit).and_offset(req.offset)
        };
        let err = self.tantivy_err();
        // Facets not filtered on count under this very query: collected in
        // the same pass as the hits.
        let shared: Vec<&'static str> = if req.facets {
            FACETS
                .into_iter()
                .filter(|n| !filters.iter().any(|(f, _)| f == n))
                .collect()
        } else {
            Vec::new()
        };
        let counter = FacetCounter::new(self.facet_tables.clone(), &shared);
        // Cases matching every word of a relaxed query: they score at least
        // a tier per word (a half tier below, for rounding).
        let all_words = ScoreAtLeast((built.positives.len() as f32 - 0.5) * TIER);
        let mut counted_all_words = None;
        let (total, addrs, counted): (usize, Vec<(f32, DocAddress)>, _) = match req.sort {
            Sort::Relevance => {
                let updated_field = "updated";
                let collector = top.tweak_score(move |reader: &tantivy::SegmentReader| {
                    let updated = reader
                        .fast_fields()
                        .i64(updated_field)
                        .ok()
                        .map(|c| c.first_or_default_col(0));
                    move |doc, score| {
                        let u = updated.as_ref().map_or(0, |c| c.get_val(doc));
                        (score, u)
                    }
                });
                let (count, docs, counted, all) = searcher
                    .search(&*query, &(Count, collector, counter, all_words))
                    .map_err(&err)?;
                counted_all_words = Some(all);
                let docs = if rescore {
                    self.rescore(&searcher, &built.proximity, docs)
                        .map_err(&err)?
                        .into_iter()
                        .skip(req.offset)
                        .take(limit)
                        .collect()
                } else {
                    docs.into_iter().map(|((s, _), a)| (s, a)).collect()
                };
                (count, docs, counted)
            }
            Sort::Newest | Sort::Period => {
                let field = if req.sort == Sort::Newest {
                    "updated"
                } else {
                    "start_year"
                };
                let collector = top.order_by_fast_field::<i64>(field, Order::Desc);
                let (count, docs, counted) = searcher
                    .search(&*query, &(Count, collector, counter))
                    .map_err(&err)?;
                (
                    count,
                    docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                    counted,
                )
            }
        };

        let total_all_words = match (&built.strict, counted_all_words) {
            (Some(_), Some(all)) => all,
            (Some(strict), None) => {
                let q = Self::combine(
                    strict.box_clone(),
                    filters.iter().map(|(_, q)| q.box_clone()).collect(),
                );
                searcher.search(&*q, &Count).map_err(&err)?
            }
            (None, _) => total,
        };
        // Highlight what was searched: the words and their synonyms.
        let matcher = Matcher::from_atoms(
            words
                .iter()
                .zip(&terms)
                .filter(|(w, _)| !w.negated)
                .flat_map(|(_, atoms)| atoms)
                .map(|a| (&a.atom, a.morph.clone(), a.ngram.clone(), a.reading.clone())),
        );
        // Which sections each hit matches, so only those are highlighted
        // (a section without a match would be analysed for nothing) — asked
        // of the index only when the highlighter cannot find the matches
        // cheaply by itself; and which words each hit lacks.
        let sections: Vec<Section> = Section::ALL
            .into_iter()
            .filter(|s| req.section.is_none_or(|only| only == *s))
            .collect();
        let prefilter = !matcher.locates_by_needles();
        let explained = if prefilter || built.leaves.len() > 1 {
            let enable = EnableScoring::disabled_from_searcher(&searcher);
            let mut words: Vec<Vec<Leaf>> = Vec::with_capacity(built.leaves.len());
            for leaves in &built.leaves {
                let mut out = Vec::with_capacity(leaves.len());
                for (section, q) in leaves {
                    out.push(Leaf {
                        section: *section,
                        cursor: Cursor::new(q.weight(enable).map_err(&err)?),
                    });
                }
                words.push(out);
            }
            let only: Vec<DocAddress> = addrs.iter().map(|(_, a)| *a).collect();
            explain_hits(
                &searcher,
                &mut words,
                &only,
                prefilter.then_some(&sections[..]),
            )
            .map_err(&err)?
        } else {
            vec![(Vec::new(), Vec::new()); addrs.len()]
        };
        let mut hits = Vec::with_capacity(addrs.len());
        let mut dropped_words: Vec<String> = Vec::new();
        for ((score, addr), (matched, missing)) in addrs.into_iter().zip(explained) {
            let missing: Vec<String> = missing
                .into_iter()
                .map(|w| built.positives[w].0.clone())
                .collect();
            for m in &missing {
                if !dropped_words.contains(m) {
                    dropped_words.push(m.clone());
                }
            }
            let candidates = if prefilter { &matched } else { &sections };
            if let Some(mut hit) = self.hit(
                &searcher,
                addr,
                &matcher,
                opts.indexed_counts,
                req.section,
                candidates,
            )? {
                hit.score = score.rem_euclid(TIER);
                hit.missing_words = missing;
                hits.push(hit);
            }
        }
        // In query order.
        dropped_words.sort_by_key(|d| built.positives.iter().position(|(l, _)| l == d));
        let facets = if req.facets {
            Some(self.facets(&searcher, &*text, &filters, counted)?)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
            words: words
                .iter()
                .filter(|w| !w.negated)
                .map(|w| w.label.clone())
                .collect(),
            dropped_words,
            total_all_words,
            took: started.elapsed(),
            generation: searcher.generation().generation_id(),
        })
    }

    /// Adds each query's score (where it matches) to the ranked hits
    /// `((score, updated), address)`, and ranks them again, best first,
    /// the more recently updated first on ties, as the collector does.
    fn rescore(
        &self,
        searcher: &Searcher,
        queries: &[Box<dyn Query>],
        ranked: Vec<((f32, i64), DocAddress)>,
    ) -> tantivy::Result<Vec<(f32, DocAddress)>> {
        let enable = EnableScoring::enabled_from_searcher(searcher);
        let mut cursors: Vec<Cursor> = queries
            .iter()
            .map(|q| Ok(Cursor::new(q.weight(enable)?)))
            .collect::<tantivy::Result<_>>()?;
        let mut scored = ranked;
        // Cursors only move forward: documents in index order.
        let mut order: Vec<usize> = (0..scored.len()).collect();
        order.sort_by_key(|&i| (scored[i].1.segment_ord, scored[i].1.doc_id));
        for i in order {
            let addr = scored[i].1;
            let mut extra = 0.0;
            for cursor in &mut cursors {
                if let Some(scorer) = cursor.at(searcher, addr)? {
                    extra += scorer.score();
                }
            }
            scored[i].0.0 += extra;
        }
        scored.sort_by(|(a, _), (b, _)| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        Ok(scored.into_iter().map(|((s, _), a)| (s, a)).collect())
    }

    fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        matcher: &Matcher,
        indexed_counts: bool,
        section: Option<Section>,
        matched_sections: &[Section],
    ) -> Result<Option<Hit>, IndexError> {
        let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
        let Some(case) = doc
            .get_first(self.fields.case)
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str::<Case>(s).ok())
        else {
            return Ok(None);
        };
        // The index's term counts for one of this case's texts, by field name.
        let counts_of = |name: &str| {
            let field = self.fields.text(name).filter(|_| indexed_counts);
            term_counts(searcher, addr, field)
        };
        let title_html = matcher
            .snippet_counted(&case.title, usize::MAX, &counts_of("title"))
            .to_html();
        let mut snippets: Vec<SectionSnippet> = Section::ALL
            .into_iter()
            .filter(|s| section.is_none_or(|only| only == *s))
            .filter(|s| matched_sections.contains(s))
            .filter_map(|s| {
                let text = case.sections.get(s);
                if matcher.is_empty() || text.is_empty() {
                    return None;
                }
                let snip = matcher.snippet_counted(text, SNIPPET_WIDTH, &counts_of(s.key()));
                snip.has_marks().then(|| SectionSnippet {
                    section: s.key(),
                    heading: s.heading(),
                    html: snip.to_html(),
                    snippet: snip,
                })
            })
            // The first three matching sections in reading order (概要
            // first): each costs an analysis, and a hit shows three.
            .take(MAX_SNIPPETS)
            .collect();
        snippets.sort_by_key(|s| std::cmp::Reverse(s.snippet.marks.len()));
        if snippets.is_empty() {
            let s = section.unwrap_or(Section::Summary);
            let snip = snippet(case.sections.get(s), &[], SNIPPET_WIDTH);
            snippets.push(SectionSnippet {
                section: s.key(),
                heading: s.heading(),
                html: snip.to_html(),
                snippet: snip,
            });
        }
        Ok(Some(Hit {
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
        }))
    }

    /// Counts per facet value under the text query and every *other*
    /// filter, so that choosing a value shows what the others would give.
    /// `found`: the facets not filtered on, counted with the hits.
    fn facets(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filters: &[(&'static str, Box<dyn Query>)],
        mut found: Counted,
    ) -> Result<Facets, IndexError> {
        let filtered = |name: &str| filters.iter().any(|(n, _)| *n == name);
        // A filtered facet leaves its own filter out (drill-down): its own
        // pass.
        for name in FACETS.into_iter().filter(|n| filtered(n)) {
            let others = filters
                .iter()
                .filter(|(n, _)| *n != name)
                .map(|(_, q)| q.box_clone())
                .collect();
            let query = Self::combine(text.box_clone(), others);
            let counter = FacetCounter::new(self.facet_tables.clone(), &[name]);
            let counted = searcher
                .search(&*query, &counter)
                .map_err(self.tantivy_err())?;
            found.extend(counted);
        }
        let mut take = |name: &str| {
            found
                .iter_mut()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| std::mem::take(c))
                .unwrap_or_default()
        };
        let mut level = take("level");
        level.sort_by_key(|c| Level::parse(&c.value).map_or(9, |l| l as usize));
        let mut decade = take("decade");
        decade.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(Facets {
            level,
            prefecture: take("prefecture"),
            kind: take("kind"),
            decade,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::eval::Corpus;

    fn corpus() -> Corpus {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Corpus::build(&[root.join("cases"), root.join("tests/relevance/cases")])
            .expect("corpus indexes")
    }

    fn search(idx: &CaseIndex, q: &str) -> SearchResults {
        idx.search(&SearchRequest {
            query: q.into(),
            limit: 20,
            ..SearchRequest::default()
        })
        .unwrap()
    }

    fn hit<'a>(r: &'a SearchResults, id: &str) -> &'a Hit {
        r.hits.iter().find(|h| h.id == id).unwrap_or_else(|| {
            panic!(
                "{id} not found: {:?}",
                r.hits.iter().map(|h| &h.id).collect::<Vec<_>>()
            )
        })
    }

    fn all_html(h: &Hit) -> String {
        let mut s = h.title_html.clone();
        for sn in &h.snippets {
            s.push_str(&sn.html);
        }
        s
    }

    /// Highlighting with the index's term counts marks and cuts exactly
    /// what analysing the sentences does, for every judged query (with
    /// its section) and some compounds whose parts are nouns to count, on
    /// every hit of the first page.
    #[test]
    fn indexed_counts_highlight_what_analysis_highlights() {
        let c = corpus();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let path = root.join("tests/relevance/queries.tsv");
        let judged =
            crate::eval::parse_queries(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut requests: Vec<SearchRequest> = judged
            .into_iter()
            .map(|j| SearchRequest {
                query: j.query,
                section: j.section,
                limit: 20,
                ..SearchRequest::default()
            })
            .collect();
        for q in [
            "職員提案",
            "改善提案 発表会",
            "業務改善",
            "教職員",
            "首長交代",
        ] {
            requests.push(SearchRequest {
                query: q.into(),
                limit: 20,
                ..SearchRequest::default()
            });
        }
        let analysed = SearchOptions {
            indexed_counts: false,
            ..SearchOptions::default()
        };
        let shown = |r: &SearchResults| -> Vec<(String, String)> {
            r.hits.iter().map(|h| (h.id.clone(), all_html(h))).collect()
        };
        let mut marked = 0;
        for req in &requests {
            let counted = c.index.search_with(req, &SearchOptions::default()).unwrap();
            let whole = c.index.search_with(req, &analysed).unwrap();
            assert_eq!(shown(&counted), shown(&whole), "help: {:?}", req.query);
            marked += counted.hits.len();
        }
        assert!(marked > 200, "{marked} hits compared");
    }

    /// The counts highlighting trusts are how often the analysis of each
    /// text (title, every section) yields each term, by every analyzer,
    /// for every case.
    #[test]
    fn term_counts_are_the_analysis_counts() {
        let c = corpus();
        let idx = &c.index;
        let searcher = idx.reader.searcher();
        let mut checked = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                let addr = DocAddress::new(ord as u32, doc);
                let stored: TantivyDocument = searcher.doc(addr).unwrap();
                let json = stored.get_first(idx.fields.case).unwrap().as_str().unwrap();
                let case: Case = serde_json::from_str(json).unwrap();
                let texts = std::iter::once(("title", case.title.as_str()))
                    .chain(case.narrative().map(|(s, t)| (s.key(), t)));
                for (name, text) in texts {
                    let counts = term_counts(&searcher, addr, idx.fields.text(name));
                    let analysis = Analysis::of(text);
                    for kind in AnalyzerKind::ALL {
                        let terms = analysis.get(kind);
                        for t in terms {
                            let n = terms.iter().filter(|u| u.text == t.text).count();
                            let got = counts(kind, &t.text);
                            assert_eq!(got, Some(n as u32), "{name} {kind:?}: {}", t.text);
                            checked += 1;
                        }
                        assert_eq!(counts(kind, "存在しない語彙"), Some(0));
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn every_kind_of_match_is_highlighted() {
        let c = corpus();
        let idx = &c.index;
        // Synonym (one-way rule): 首長 finds and marks 村長.
        let r = search(idx, "首長");
        assert!(all_html(hit(&r, "syn-hinohara-sonchou-teian")).contains("<mark>村長</mark>"));
        // Reading: the kana query marks the kanji word.
        let r = search(idx, "ゆうげんじっこう");
        assert!(
            all_html(hit(&r, "tokorozawa-yugen-jikko-happyokai")).contains("<mark>有言実行</mark>")
        );
        // Numerals: 第3次 marks 第三次.
        let r = search(idx, "第3次");
        assert!(all_html(hit(&r, "syn-takahashi-pdca-taiko")).contains("<mark>第三次</mark>"));
        // Width: ｶﾞｲﾄﾞ marks ガイド.
        let r = search(idx, "ｶﾞｲﾄﾞ");
        assert!(all_html(hit(&r, "syn-izumisano-kuko-madoguchi")).contains("<mark>ガイド</mark>"));
        // Variant: 金ヶ崎 marks 金ケ崎.
        let r = search(idx, "金ヶ崎");
        assert!(all_html(hit(&r, "syn-kanegasaki-dx-suishin")).contains("<mark>金ケ崎</mark>"));
        // Part of a compound.
        let r = search(idx, "空港");
        assert!(
            all_html(hit(&r, "syn-izumisano-kuko-madoguchi")).contains("関西国際<mark>空港</mark>")
        );
    }

    #[test]
    fn words_that_never_meet_are_relaxed_and_reported() {
        let c = corpus();
        let r = search(&c.index, "担当異動 予算廃止");
        assert_eq!(r.total_all_words, 0);
        assert_eq!(r.dropped_words, vec!["担当異動", "予算廃止"]);
        assert_eq!(
            hit(&r, "syn-hinohara-sonchou-teian").missing_words,
            vec!["予算廃止"]
        );
        assert_eq!(
            hit(&r, "syn-kanazawa-kyujitai").missing_words,
            vec!["担当異動"]
        );

        // Cases with every word rank first and lack nothing.
        let r = search(&c.index, "DNA 発表会");
        assert!(
            r.total_all_words >= 1 && r.total > r.total_all_words,
            "{} {}",
            r.total,
            r.total_all_words
        );
        assert!(r.hits[0].missing_words.is_empty());
        let first_partial = r
            .hits
            .iter()
            .position(|h| !h.missing_words.is_empty())
            .unwrap();
        assert!(
            r.hits[first_partial..]
                .iter()
                .all(|h| !h.missing_words.is_empty())
        );
        assert_eq!(first_partial, r.total_all_words);
    }

    #[test]
    fn cases_with_every_word_are_counted_alike_in_the_ranking_pass_and_by_the_strict_query() {
        let c = corpus();
        for q in [
            "DNA 発表会",
            "担当異動 予算廃止",
            "市民が審査に参加する改善の取り組み",
            "改善 職員",
            "首長 交代 -停止",
        ] {
            let req = |sort| SearchRequest {
                query: q.into(),
                sort,
                limit: 5,
                facets: true,
                ..SearchRequest::default()
            };
            // Relevance counts by score in its one pass; newest runs the
            // strict query.
            let ranked = c.index.search(&req(Sort::Relevance)).unwrap();
            let newest = c.index.search(&req(Sort::Newest)).unwrap();
            assert_eq!(ranked.total, newest.total, "{q}");
            assert_eq!(ranked.total_all_words, newest.total_all_words, "{q}");
            assert!(ranked.total_all_words <= ranked.total, "{q}");
        }
    }

    #[test]
    fn pages_of_a_re_ranked_query_follow_each_other() {
        let c = corpus();
        let req = |offset, limit| SearchRequest {
            query: "改善 職員 提案".into(),
            offset,
            limit,
            ..SearchRequest::default()
        };
        let ids = |r: SearchResults| r.hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        let all = ids(c.index.search(&req(0, 10)).unwrap());
        assert!(all.len() >= 6, "{all:?}");
        let mut paged = ids(c.index.search(&req(0, 3)).unwrap());
        paged.extend(ids(c.index.search(&req(3, 3)).unwrap()));
        assert_eq!(paged, all[..6]);
    }

    #[test]
    fn a_sentence_is_searched_by_its_content_words() {
        let c = corpus();
        let r = search(&c.index, "市民が審査に参加する改善の取り組み");
        assert_eq!(r.words, vec!["市民", "審査", "参加", "改善"]);
        assert_eq!(r.hits[0].id, "saitama-ichi-shokuin-ichi-kaizen");
        // A word that merely contains an auxiliary stays one word.
        let r = search(&c.index, "やらされ感");
        assert_eq!(r.words, vec!["やらされ感"]);
        // Nothing found is nothing, even for several words.
        assert_eq!(search(&c.index, "宇宙 ロケット").total, 0);
    }
}
