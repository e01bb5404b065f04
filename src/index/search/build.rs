//! Building the tantivy query of a search: each word's atoms in every
//! text field by every allowed analyzer, the relaxed AND of several words
//! ([`Relaxed`], which counts the words each case matches), the strict
//! AND, exclusions, proximity, and the filters.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, InvertedIndexRangeQuery,
    Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::relaxed::Relaxed;
use super::request::{SearchRequest, Sort};
use crate::analysis::{AnalyzerKind, query_terms};
use crate::case::Section;
use crate::index::CaseIndex;
use crate::index::schema::{Fields, ONGOING, TextField, meta_term};
use crate::index::wrappers::{ExcludedQuery, PreferQuery};
use crate::query::{Atom, AtomForms, Word, is_obstacle, required};

/// Weight of each analyzer's match relative to a morphological one: exact
/// word matches rank first, substring and reading matches still come.
const NGRAM_WEIGHT: f32 = 0.5;
const READING_WEIGHT: f32 = 0.6;
/// Weight of two neighbouring words of a multi-word query appearing close
/// together (within [`PROXIMITY_SLOP`] positions, in order).
const PROXIMITY_WEIGHT: f32 = 0.5;
const PROXIMITY_SLOP: u32 = 8;
/// Weight of a synonym's match relative to the word as typed: a case
/// that says 削減 ranks above one that only says 縮減 for 削減. Not much
/// below 1: a synonym still says what was meant (カイゼン for 改善), and
/// among cases matching as many words BM25 decides.
pub(super) const SYNONYM_WEIGHT: f32 = 0.8;
/// Weight of an obstacle word's match (形骸化, 反発 …, see
/// [`crate::query::is_obstacle`]) in the sections that tell what went
/// wrong: the cases whose 失敗・課題 or 背景・経緯 say it come first,
/// above those that name it in passing (a summary weighs 2, a title 3).
const OBSTACLE_SECTION_WEIGHT: f32 = 4.0;

/// Weight of a compound's parts found apart, relative to the compound as
/// typed (which scores alone where it matches, [`PreferQuery`]): the cases
/// holding the compound, or filed as it ([`META_SCORE`]), come first, then
/// those holding its parts apart. (0.3 let parts said often outrank the
/// cases filed as 人材育成: the suite's metadata nDCG@10 0.884 → 0.910.)
const PARTS_WEIGHT: f32 = 0.05;

/// What a case scores for being filed as the word (a level, its kind, a
/// section heading: `meta`) when its text need not say it: about one
/// plain mention in a section, so the cases whose text says it rank first.
const META_SCORE: f32 = 1.0;

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// A word analysed into several terms scores as one word, not as the sum
/// of its terms (what tantivy gives a phrase or an AND): else a word
/// weighs by how many terms it is cut into, and a five-character synonym
/// (余計な仕事, four character pairs) outranked the two-character word
/// typed (反発) in the one case that says it. Averaged, the suite's
/// nDCG@10: obstacle 0.846 → 0.884, question 0.674 → 0.679, unspaced
/// 0.850 → 0.853, synonym 0.984 → 0.982, synonym-general 0.915 → 0.913,
/// all kinds 0.954 → 0.956.
fn as_one_word(q: Box<dyn Query>, terms: usize) -> Box<dyn Query> {
    boost(q, 1.0 / terms as f32)
}

/// Terms in sequence: a term, or a phrase of several.
fn sequence(field: Field, terms: &[String]) -> Option<Box<dyn Query>> {
    match terms {
        [] => None,
        [one] => Some(term_query(field, one)),
        many => Some(as_one_word(
            Box::new(PhraseQuery::new(
                many.iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect(),
            )),
            many.len(),
        )),
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

/// The analysed forms of an atom with what the index adds: computed once
/// and used for every field.
pub(super) struct AtomTerms {
    pub forms: AtomForms,
    /// A word of one character: it matches the n-gram terms starting
    /// with it ([`starting_with`]).
    single_char: Option<char>,
    /// 1 for what was typed, [`SYNONYM_WEIGHT`] for a synonym.
    weight: f32,
    /// The atom's word asks about an obstacle: its matches in the
    /// failures and background sections weigh more.
    obstacle: bool,
    /// A compound typed without spaces: its terms match as typed, in
    /// order and adjacent, and its parts anywhere are searched apart
    /// ([`all_parts`]). Set by [`as_typed`].
    contiguous: bool,
}

impl AtomTerms {
    fn new(atom: &Atom, typed: bool, obstacle: bool) -> AtomTerms {
        let forms = AtomForms::new(atom, typed);
        let single_char = match forms.ngram.as_slice() {
            [one] if one.chars().count() == 1 => one.chars().next(),
            _ => None,
        };
        AtomTerms {
            forms,
            single_char,
            weight: if typed { 1.0 } else { SYNONYM_WEIGHT },
            obstacle,
            contiguous: false,
        }
    }

    /// Matches of this atom in one text field, each allowed analyzer
    /// weighted.
    fn in_field(&self, tf: &TextField, kinds: &[AnalyzerKind]) -> Vec<Box<dyn Query>> {
        let f = &self.forms;
        let mut out = Vec::new();
        let morph = match f.atom {
            _ if !kinds.contains(&AnalyzerKind::Morph) => None,
            // A compound as typed: its parts in a row.
            Atom::Word(_) if self.contiguous => sequence(tf.morph, &f.morph),
            // A word: all its terms, in any order, within the field — never
            // an implicit phrase (tantivy#718).
            Atom::Word(_) if f.morph.len() > 1 => Some(as_one_word(
                Box::new(BooleanQuery::new(
                    f.morph
                        .iter()
                        .map(|t| (Occur::Must, term_query(tf.morph, t)))
                        .collect(),
                )),
                f.morph.len(),
            )),
            _ => sequence(tf.morph, &f.morph),
        };
        if let Some(q) = morph {
            out.push(boost(q, tf.boost));
        }
        let ngram: Option<Box<dyn Query>> = match &self.single_char {
            _ if !kinds.contains(&AnalyzerKind::Ngram) => None,
            // One character: every term starting with it (each occurrence
            // starts one).
            Some(c) => Some(starting_with(tf.ngram, *c)),
            // A phrase of bigrams.
            None => sequence(tf.ngram, &f.ngram),
        };
        if let Some(q) = ngram {
            out.push(boost(q, tf.boost * NGRAM_WEIGHT));
        }
        let reading = match &f.reading_word {
            Some(word) if f.reading_whole && kinds.contains(&AnalyzerKind::ReadingWord) => {
                Some(term_query(tf.reading_word, word))
            }
            _ if kinds.contains(&AnalyzerKind::Reading) => sequence(tf.reading, &f.reading),
            _ => None,
        };
        if let Some(q) = reading {
            out.push(boost(q, tf.boost * READING_WEIGHT));
        }
        let telling = matches!(tf.section, Some(Section::Failures | Section::Background));
        let weight = match self.obstacle && telling {
            true => self.weight * OBSTACLE_SECTION_WEIGHT,
            false => self.weight,
        };
        out.into_iter().map(|q| boost(q, weight)).collect()
    }
}

/// The terms of `field` that start with `c`: the range of the term
/// dictionary from `c` up to the next character (terms sort by their UTF-8
/// bytes, which sort as the characters do). Over n-gram terms, of one or
/// two characters, the same terms as the expression `c.?`, every match
/// scoring the same; but that expression's automaton was a fifth of a
/// one-character search to build (清: 9.3 → 6.9 M instructions per
/// search over 10,000 cases).
fn starting_with(field: Field, c: char) -> Box<dyn Query> {
    let next = (u32::from(c) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
    let upper = match next {
        Some(n) => Bound::Excluded(Term::from_field_text(field, &n.to_string())),
        None => Bound::Unbounded,
    };
    Box::new(InvertedIndexRangeQuery::new(
        Bound::Included(Term::from_field_text(field, &c.to_string())),
        upper,
    ))
}

/// A compound's parts of two characters or more are looked for as words
/// (by their words and readings), not as characters inside other words:
/// the シャツ of 赤シャツ is not in ポロシャツ, one word. A part of one
/// character still is (the 赤 of 赤いシャツ is inside the word 赤い).
/// Searched by their character pairs too, the parts cost a fifth more
/// (赤シャツ over 10,000 cases: 57.4 → 48.7 M instructions without them)
/// and the suite's question kind ranked lower (0.679 → 0.681 without;
/// every other kind unchanged).
pub(super) fn as_words(parts: &mut [Vec<AtomTerms>]) {
    for at in parts.iter_mut().flatten() {
        if at.single_char.is_none() {
            at.forms.ngram.clear();
        }
    }
}

/// The compounds typed without spaces (`parts[i]` not empty) match as
/// typed: their parts anywhere are a query of their own.
pub(super) fn as_typed(terms: &mut [Vec<AtomTerms>], parts: &[CompoundParts]) {
    for (atoms, p) in terms.iter_mut().zip(parts) {
        if !p.words.is_empty() {
            for at in atoms {
                at.contiguous = true;
            }
        }
    }
}

/// Every word's atoms, analysed once for the query, the explanation of
/// hits and the highlighter alike; without the synonyms that hold what was
/// typed ([`holds`]).
pub(super) fn analyse(words: &[Word]) -> Vec<Vec<AtomTerms>> {
    words
        .iter()
        .map(|w| {
            let obstacle = is_obstacle(w);
            let mut atoms: Vec<AtomTerms> = Vec::with_capacity(w.atoms.len());
            // The typed atoms come first, all kept: each synonym meets
            // them there.
            for (a, typed) in w.atoms_typed() {
                let at = AtomTerms::new(a, typed, obstacle);
                let held = || {
                    atoms[..w.typed]
                        .iter()
                        .any(|t| holds(&at.forms.ngram, &t.forms.ngram))
                };
                if typed || !held() {
                    atoms.push(at);
                }
            }
            atoms
        })
        .collect()
}

/// Whether the character pairs `outer` hold `inner`'s in a row: a synonym
/// so (学校長 for 校長) finds no case that the word typed does not find
/// inside it. Searched too, it only ranked the cases saying the longer
/// word above those saying the word typed, at the cost of a phrase in
/// every field (校長: 13.2 → 6.8 M instructions per search over 10,000
/// cases).
fn holds(outer: &[String], inner: &[String]) -> bool {
    !inner.is_empty() && outer.len() > inner.len() && outer.windows(inner.len()).any(|w| w == inner)
}

/// Any of the atoms in any of the fields. Their scores add up: a case
/// that tells an obstacle several ways (中断, 休止) is more about it than
/// one that says one of them (measured: taking only the best atom ranks
/// the judged obstacle queries lower).
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
pub(super) type LeafQuery = (Option<Section>, Box<dyn Query>);

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

/// A built query with what its hits need explained.
pub(super) struct Built {
    /// The words relaxed (a case matches most of them; how many is
    /// counted beside its score), without the request's filters.
    pub relaxed: Relaxed,
    /// Every positive word required, none of the excluded ones: the cases
    /// answering the query as typed (facet counts count these).
    pub strict: Box<dyn Query>,
    /// Each positive word's label and query.
    pub positives: Vec<(String, Box<dyn Query>)>,
    /// Each positive word's leaf queries (by section), to find what a hit
    /// lacks and which sections it matches.
    pub leaves: Vec<Vec<LeafQuery>>,
    /// Neighbouring words close together: a score added to the best hits
    /// only (see `collect`).
    pub proximity: Vec<Proximity>,
    /// The leaf queries of the parts of compounds typed without spaces:
    /// where a case matched by the parts matches (which sections to
    /// highlight), never whether it holds the word (a part alone does not).
    pub part_leaves: Vec<LeafQuery>,
}

/// A score for words close together: the sum of the `near` queries that
/// match a hit, unless one of `unless` does.
pub(super) struct Proximity {
    pub near: Vec<Box<dyn Query>>,
    /// The leaf queries of a compound as typed, when `near` are its parts:
    /// its cases are as close as can be, and rank by it already. (Leaves,
    /// each asked about one hit at a time: the union of them scored every
    /// case it matched to answer for the best hundred, a quarter of the
    /// instructions of 赤シャツ over 10,000 cases.)
    pub unless: Vec<Box<dyn Query>>,
}

/// The parts of a word typed as a compound ([`crate::query::compound_parts`]),
/// each analysed; empty for any other word.
#[derive(Default)]
pub(super) struct CompoundParts {
    pub words: Vec<Word>,
    pub terms: Vec<Vec<AtomTerms>>,
}

impl Built {
    /// Whether the best hits are ranked again with the proximity.
    pub fn rescores(&self, sort: Sort) -> bool {
        sort == Sort::Relevance && !self.proximity.is_empty()
    }
}

/// A filter of a search, by the facet it filters on.
pub(super) type Filter = (&'static str, Box<dyn Query>);

impl CaseIndex {
    /// The fields a request searches: one section's, or all.
    fn search_fields(&self, section: Option<Section>) -> Vec<&TextField> {
        self.fields
            .texts
            .iter()
            .filter(|tf| section.is_none() || tf.section == section)
            .collect()
    }

    /// The cases filed as any of the atoms (a level, a kind, a section
    /// heading, each whole), at a low constant score.
    fn meta_query(&self, atoms: &[AtomTerms]) -> Option<Box<dyn Query>> {
        should(
            atoms
                .iter()
                .map(|at| {
                    let term =
                        Term::from_field_text(self.fields.meta, &meta_term(at.forms.atom.text()));
                    let q = TermQuery::new(term, IndexRecordOption::Basic);
                    Box::new(ConstScoreQuery::new(Box::new(q), META_SCORE)) as Box<dyn Query>
                })
                .collect(),
        )
    }

    /// A word in the text fields, or in what a case is filed as (`meta`:
    /// not in a section-scoped search, nor in one analyzer's evaluation).
    fn word_query(
        &self,
        atoms: &[AtomTerms],
        fields: &[&TextField],
        kinds: &[AnalyzerKind],
        meta: bool,
    ) -> Option<Box<dyn Query>> {
        let text = atoms_query(atoms, fields, kinds);
        match meta.then(|| self.meta_query(atoms)).flatten() {
            Some(m) => should(text.into_iter().chain([m]).collect()),
            None => text,
        }
    }

    /// Marks the kana words that some indexed word reads whole: such a
    /// word is searched as that word's reading (one term), not as a
    /// substring of reading runs (a phrase of bigrams, ten times the cost
    /// over 10,000 cases). A look-up in each field's term dictionary.
    pub(super) fn resolve_readings(
        &self,
        searcher: &Searcher,
        terms: &mut [Vec<AtomTerms>],
    ) -> tantivy::Result<()> {
        for at in terms.iter_mut().flatten() {
            let Some(word) = &at.forms.reading_word else {
                continue;
            };
            for tf in &self.fields.texts {
                if searcher.doc_freq(&Term::from_field_text(tf.reading_word, word))? > 0 {
                    at.forms.reading_whole = true;
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

    /// The text query of `words` (`terms[i]`: the analysed atoms of
    /// `words[i]`).
    pub(super) fn text_query(
        &self,
        words: &[Word],
        terms: &[Vec<AtomTerms>],
        parts: &[CompoundParts],
        section: Option<Section>,
        kinds: &[AnalyzerKind],
    ) -> Built {
        let mut query = TextQuery::new(self, section, kinds);
        let no_parts = CompoundParts::default();
        for (i, (w, atoms)) in words.iter().zip(terms).enumerate() {
            query.add(w, atoms, parts.get(i).unwrap_or(&no_parts));
        }
        query.build(words)
    }

    /// Filters, each by its facet name, so facet counts can leave their
    /// own out.
    pub(super) fn filters(&self, req: &SearchRequest) -> Vec<Filter> {
        let f: &Fields = &self.fields;
        let mut out: Vec<Filter> = Vec::new();
        let facets = [
            (
                "level",
                f.level,
                req.levels.iter().map(|l| l.name()).collect(),
            ),
            (
                "prefecture",
                f.prefecture,
                req.prefectures.iter().map(String::as_str).collect(),
            ),
            (
                "kind",
                f.kind,
                req.kinds.iter().map(|k| k.name()).collect::<Vec<&str>>(),
            ),
        ];
        for (name, field, values) in facets {
            if !values.is_empty() {
                out.push((name, any_of(field, &values)));
            }
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
            out.push(("decade", self.active_in(req.year_from, req.year_to)));
        }
        out
    }

    /// Campaigns active at some point in the years: started by the end,
    /// and not ended before the start.
    fn active_in(&self, from: Option<i32>, to: Option<i32>) -> Box<dyn Query> {
        let to = to.map_or(ONGOING, i64::from);
        let from = from.map_or(i64::MIN, i64::from);
        let started = RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(self.fields.start_year, to)),
        );
        let not_ended = RangeQuery::new(
            Bound::Included(Term::from_field_i64(self.fields.end_year, from)),
            Bound::Unbounded,
        );
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(started) as Box<dyn Query>),
            (Occur::Must, Box::new(not_ended)),
        ]))
    }
}

/// A text query gathered word by word: what every word is searched in,
/// and the pieces of [`Built`] so far.
struct TextQuery<'a> {
    index: &'a CaseIndex,
    fields: Vec<&'a TextField>,
    kinds: &'a [AnalyzerKind],
    /// Whether a word is also looked up in what a case is filed as (not in
    /// a section-scoped search, nor in one analyzer's evaluation).
    meta: bool,
    /// The excluded words.
    excluded: Vec<Box<dyn Query>>,
    positives: Vec<(String, Box<dyn Query>)>,
    leaves: Vec<Vec<LeafQuery>>,
    part_leaves: Vec<LeafQuery>,
    /// How close the parts of each compound typed without spaces are.
    part_proximity: Vec<Proximity>,
    /// Whether a required word has no searchable form (only punctuation):
    /// nothing can match it.
    impossible: bool,
}

impl<'a> TextQuery<'a> {
    fn new(index: &'a CaseIndex, section: Option<Section>, kinds: &'a [AnalyzerKind]) -> Self {
        TextQuery {
            index,
            fields: index.search_fields(section),
            kinds,
            meta: section.is_none() && kinds.contains(&AnalyzerKind::Morph),
            excluded: Vec::new(),
            positives: Vec::new(),
            leaves: Vec::new(),
            part_leaves: Vec::new(),
            part_proximity: Vec::new(),
            impossible: false,
        }
    }

    fn word_query(&self, atoms: &[AtomTerms]) -> Option<Box<dyn Query>> {
        self.index
            .word_query(atoms, &self.fields, self.kinds, self.meta)
    }

    /// Adds one word (`atoms`: its analysed atoms; `parts`: its compound's,
    /// if typed as one).
    fn add(&mut self, w: &Word, atoms: &[AtomTerms], parts: &CompoundParts) {
        match (self.word_query(atoms), w.negated) {
            (Some(q), true) => self.excluded.push(Box::new(ExcludedQuery::new(q))),
            (Some(q), false) => self.add_positive(w, atoms, q, parts),
            (None, true) => {}
            (None, false) => self.impossible = true,
        }
    }

    /// A required word: its query, and its leaves, which tell what a hit
    /// lacks and where it matches.
    fn add_positive(
        &mut self,
        w: &Word,
        atoms: &[AtomTerms],
        q: Box<dyn Query>,
        parts: &CompoundParts,
    ) {
        let mut word_leaves = leaf_queries(atoms, &self.fields, self.kinds);
        if let Some(m) = self.meta.then(|| self.index.meta_query(atoms)).flatten() {
            word_leaves.push((None, m));
        }
        let q = match all_parts(&parts.terms, |p: &[AtomTerms]| self.word_query(p)) {
            Some(relaxed) => {
                let exact = word_leaves.iter().map(|(_, q)| q.box_clone()).collect();
                word_leaves.push((None, relaxed.box_clone()));
                self.with_parts(q, exact, relaxed, parts)
            }
            None => q,
        };
        self.positives.push((w.label.clone(), q));
        self.leaves.push(word_leaves);
    }

    /// A compound typed without spaces: as typed (`q`, whose leaf queries
    /// are `exact`) first, then its parts anywhere in the case (`relaxed`).
    fn with_parts(
        &mut self,
        q: Box<dyn Query>,
        exact: Vec<Box<dyn Query>>,
        relaxed: Box<dyn Query>,
        parts: &CompoundParts,
    ) -> Box<dyn Query> {
        for p in &parts.terms {
            self.part_leaves
                .extend(leaf_queries(p, &self.fields, self.kinds));
        }
        // The parts apart rank by how close they are; the compound as
        // typed is as close as can be.
        if self.kinds.contains(&AnalyzerKind::Morph) {
            let refs: Vec<&Word> = parts.words.iter().collect();
            let near = self.index.proximity(&refs, &self.fields);
            if !near.is_empty() {
                self.part_proximity.push(Proximity {
                    near,
                    unless: exact,
                });
            }
        }
        Box::new(PreferQuery::new(q, boost(relaxed, PARTS_WEIGHT)))
    }

    /// The query of the words added (`words`: all of them, whose positive
    /// ones rank by how close they are).
    fn build(self, words: &[Word]) -> Built {
        let TextQuery {
            index,
            fields,
            kinds,
            excluded,
            mut positives,
            mut leaves,
            mut part_leaves,
            part_proximity,
            impossible,
            ..
        } = self;
        // The words a case is matched against: nothing can match an
        // impossible word; with no positive word (only exclusions, or
        // nothing typed), every case matches the one word "anything".
        let matching: Vec<Box<dyn Query>> = match positives.len() {
            _ if impossible => vec![Box::new(EmptyQuery)],
            0 => vec![Box::new(AllQuery)],
            _ => positives.iter().map(|(_, q)| q.box_clone()).collect(),
        };
        let mut proximity = part_proximity;
        if positives.len() > 1 && !impossible && kinds.contains(&AnalyzerKind::Morph) {
            let positive_words: Vec<&Word> = words.iter().filter(|w| !w.negated).collect();
            let near = index.proximity(&positive_words, &fields);
            if !near.is_empty() {
                proximity.push(Proximity {
                    near,
                    unless: Vec::new(),
                });
            }
        }
        let strict = Box::new(BooleanQuery::new(
            matching
                .iter()
                .map(|q| (Occur::Must, q.box_clone()))
                .chain(excluded.iter().map(|q| (Occur::MustNot, q.box_clone())))
                .collect(),
        ));
        let relaxed = Relaxed {
            min: required(matching.len()),
            words: matching,
            must: Vec::new(),
            must_not: excluded,
        };
        if impossible {
            positives.clear();
            leaves.clear();
            part_leaves.clear();
        }
        Built {
            relaxed,
            strict,
            positives,
            leaves,
            proximity,
            part_leaves,
        }
    }
}

/// Every part of a compound, each anywhere in the case (`None` when the
/// word has no parts, or some part has no searchable form).
fn all_parts(
    parts: &[Vec<AtomTerms>],
    part_query: impl Fn(&[AtomTerms]) -> Option<Box<dyn Query>>,
) -> Option<Box<dyn Query>> {
    if parts.len() < 2 {
        return None;
    }
    let musts = parts
        .iter()
        .map(|p| part_query(p).map(|q| (Occur::Must, q)))
        .collect::<Option<Vec<_>>>()?;
    Some(Box::new(BooleanQuery::new(musts)))
}

/// Any of the facet `values` (OR).
fn any_of(field: Field, values: &[&str]) -> Box<dyn Query> {
    let queries = values
        .iter()
        .map(|v| {
            Box::new(TermQuery::new(
                Term::from_facet(field, &Facet::from_path([*v])),
                IndexRecordOption::Basic,
            )) as Box<dyn Query>
        })
        .collect();
    should(queries).unwrap_or_else(|| Box::new(EmptyQuery))
}

/// The text query under the filters (which score nothing).
pub(super) fn combine(text: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
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

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::RegexQuery;
    use tantivy::schema::{STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    use super::{holds, starting_with};

    /// The documents of one-term values, and what a query finds among them.
    #[test]
    fn starting_with_finds_what_the_prefix_expression_finds() {
        let mut b = Schema::builder();
        let f = b.add_text_field("f", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let values = [
            "赤",
            "赤字",
            "赤い",
            "青",
            "赥",
            "\u{8D63}x",
            "a",
            "ab",
            "b",
            "\u{D7FF}",
            "\u{E000}",
            "\u{10FFFF}",
            "\u{10FFFF}a",
            ".",
            ".x",
            "x",
        ];
        for v in values {
            let mut d = TantivyDocument::default();
            d.add_text(f, v);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let found = |q: &dyn tantivy::query::Query| {
            let mut docs: Vec<u32> = searcher
                .search(q, &DocSetCollector)
                .unwrap()
                .into_iter()
                .map(|a| a.doc_id)
                .collect();
            docs.sort();
            docs
        };
        for c in ['赤', 'a', '\u{D7FF}', '\u{10FFFF}', '.'] {
            let escaped = match c {
                '.' => "\\.".to_owned(),
                c => c.to_string(),
            };
            let reference = RegexQuery::from_pattern(&format!("{escaped}.?"), f).unwrap();
            let got = found(&*starting_with(f, c));
            assert_eq!(got, found(&reference), "{c:?}");
            assert!(!got.is_empty(), "{c:?}");
        }
    }

    fn pairs(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_longer_run_of_pairs_holds_a_shorter_one_in_a_row_only() {
        let kocho = pairs(&["校長"]);
        assert!(holds(&pairs(&["学校", "校長"]), &kocho));
        assert!(holds(&pairs(&["校長", "長先", "先生"]), &kocho));
        assert!(!holds(&kocho, &kocho), "a word does not hold itself");
        assert!(!holds(&pairs(&["学校", "長"]), &kocho));
        // In a row: 改善 … 提案 apart is not 改善提案.
        let kaizen_teian = pairs(&["改善", "善提", "提案"]);
        assert!(!holds(
            &pairs(&["改善", "善の", "の提", "提案"]),
            &kaizen_teian
        ));
        assert!(!holds(&kocho, &[]));
    }
}
