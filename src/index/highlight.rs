//! Highlighting and snippets, in characters, for every kind of match.
//!
//! tantivy's snippet generator highlights only the terms of one field; our
//! matches come from three analyzers (a bigram substring, a reading match
//! whose highlight must cover the kanji word). So we re-analyse the stored
//! text of a hit with the same chain, find the query's term sequences in
//! each analysis, and map them back to original character offsets
//! (JAPANESE-SEARCH.md #8: never bytes).
//!
//! Segmentation is the expensive part of a search (about half a
//! millisecond per section of a hit), so only the sentences that can hold
//! a match are analysed: every morphological or n-gram pattern has a
//! *needle*, a folded string that any match of it contains, and a plain
//! string search over the folded text finds the sentences worth
//! segmenting. Some needles need no segmenting at all: the n-gram pattern
//! of a word is the word itself, so its needle's hits are its matches; and
//! a noun's morphological matches are among them. Patterns without a
//! needle (a kana query's reading, which the kanji text does not spell;
//! numbers, which the text may write in kanji) need the whole text
//! analysed.

use serde::Serialize;

use std::cell::RefCell;
use std::collections::HashMap;

use super::query::{Atom, UserQuery};
use crate::analysis::{
    Analysis, AnalyzerKind, Normalized, Term, fold_char, is_fold_target, is_normalized,
    is_numeral_char, kanji_digits, normalize, query_terms,
};

/// The term sequences of a query, per analyzer.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<(AnalyzerKind, Vec<String>)>,
    /// Per pattern, a folded string every match of it contains; `None`
    /// when there is none (readings, numbers).
    needles: Vec<Option<String>>,
    /// Per pattern, what its needle's hits are (kept for the tests: the
    /// search has them).
    #[cfg(test)]
    hits: Vec<Hits>,
    /// Needles' numbers spelled in kanji: more places to check (kept for
    /// the tests: the search has them).
    #[cfg(test)]
    spellings: Vec<String>,
    /// The needles to look for, and their numbers spelled in kanji.
    search: NeedleSearch,
    /// Spellings (folded) of the words a kana query matched by reading in
    /// the texts analysed so far (かいぜん: 改善): the next hits of the same
    /// search look for them before analysing a whole text.
    learned: RefCell<Vec<String>>,
    /// The analyzers of `patterns`: only these analyse a text.
    kinds: Vec<AnalyzerKind>,
    /// Per pattern: a kanji noun, whose needle's hits are its matches
    /// when the text holds the needle as often as the index holds the term.
    countable: Vec<bool>,
}

/// Spellings learned per search, at most: a kana word has few homophones
/// in one result page.
const MAX_LEARNED: usize = 16;

/// The needles to look for (not covered by others).
#[derive(Debug, Clone, Default)]
struct NeedleSearch {
    finder: Finder,
    /// Per needle: whether its hits are matches.
    exact: Vec<bool>,
    /// Per needle: the pattern it stands for (by index), whose terms the
    /// index may have counted (see [`Matcher::snippet_counted`]).
    pattern: Vec<usize>,
    /// Whether every needle is written in kanji that folding leaves alone
    /// and no other character folds into: then a normalised text holds
    /// them exactly where its folded form does, and is searched as it is.
    plain: bool,
}

/// How the needles are looked for: every occurrence of every needle,
/// overlapping ones included.
#[derive(Debug, Clone)]
enum Finder {
    /// One automaton, for many needles.
    Automaton(aho_corasick::AhoCorasick),
    /// Each needle on its own: building an automaton (per search) costs
    /// more than a few substring searches over a page of short texts.
    Each(Vec<String>),
}

impl Default for Finder {
    fn default() -> Self {
        Finder::Each(Vec::new())
    }
}

/// Up to this many needles are looked for one by one.
const MAX_NEEDLES_EACH: usize = 4;
/// A kanji that folding leaves alone and that no variant folds into (高
/// is one that 髙 folds into).
fn is_plain_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}') && fold_char(c) == c && !is_fold_target(c)
}

impl NeedleSearch {
    /// Per pattern its needle and what its hits are; `spellings`: per
    /// pattern, more needles to check (numbers in kanji).
    fn new(needles: &[Option<String>], hits: &[Hits], spellings: &[Vec<String>]) -> NeedleSearch {
        let mut words: Vec<&str> = Vec::new();
        let mut exact: Vec<bool> = Vec::new();
        let mut pattern: Vec<usize> = Vec::new();
        for (p, (n, h)) in needles.iter().zip(hits).enumerate() {
            if let (Some(n), false) = (n, *h == Hits::Covered) {
                words.push(n);
                exact.push(*h == Hits::Matches);
                pattern.push(p);
            }
        }
        for (p, more) in spellings.iter().enumerate() {
            for w in more {
                words.push(w);
                exact.push(false);
                pattern.push(p);
            }
        }
        let plain = words.iter().all(|w| w.chars().all(is_plain_kanji));
        // Built per search and run over a page of short texts: a
        // contiguous NFA builds in a fraction of a DFA's time (the
        // automatic choice for a few needles) and searches a few kilobytes
        // about as fast.
        let automaton = (words.len() > MAX_NEEDLES_EACH)
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .build(&words)
                    .ok()
            })
            .flatten();
        let finder = match automaton {
            Some(a) => Finder::Automaton(a),
            None => Finder::Each(words.into_iter().map(str::to_owned).collect()),
        };
        NeedleSearch {
            finder,
            exact,
            pattern,
            plain,
        }
    }

    /// Calls `f(needle, start, end)` for every occurrence of every needle
    /// (by its index) in `text`, overlapping ones included, in no
    /// particular order.
    fn each_hit(&self, text: &str, mut f: impl FnMut(usize, usize, usize)) {
        match &self.finder {
            Finder::Automaton(a) => {
                for m in a.find_overlapping_iter(text) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Finder::Each(words) => {
                for (i, w) in words.iter().enumerate() {
                    let mut from = 0;
                    while let Some(k) = text.get(from..).and_then(|t| t.find(w.as_str())) {
                        let start = from + k;
                        f(i, start, start + w.len());
                        // The next occurrence may overlap this one.
                        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
                    }
                }
            }
        }
    }
}

/// What the hits of a pattern's needle are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hits {
    /// Places to check by analysis.
    Candidates,
    /// Exactly the pattern's matches: an n-gram pattern that is one run of
    /// bigrams, spelled by its needle, without kanji numerals (which the
    /// text's bigrams may have turned into digits).
    Matches,
    /// Nothing to look for: the pattern's matches are among another
    /// pattern's exact hits (a noun and its own n-gram pattern).
    Covered,
}

fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}')
}

fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}')
}

/// Folds a string as [`fold_text`] folds a text: every char, and no
/// long-vowel mark after a katakana letter.
fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_katakana = false;
    for c in s.chars() {
        let f = fold_char(c);
        if f == 'ー' && after_katakana {
            continue;
        }
        after_katakana = is_katakana(f);
        out.push(f);
    }
    out
}

/// A string that every match of a pattern contains, in the folded text.
///
/// * n-gram: the chain of overlapping bigrams it starts with (the
///   substring it stands for), when the query spells that chain;
///   otherwise its first bigram;
/// * morphological: its first term up to the okurigana (進める is
///   written 進めた; 取り組む, 取組んだ), an all-kana term without its
///   last char (やる, やらされ), or a whole term that ends in neither
///   (やらされ感: a noun, never inflected; cutting at its first hiragana
///   would leave nothing to look for, and the whole text analysed);
/// * readings: none (the text spells the word in kanji).
///
/// A needle with digits also stands for where the number may be spelled
/// in kanji ([`numeral_spellings`]): the text may write 三十 where the term
/// says 30.
fn needle(kind: AnalyzerKind, pattern: &[String], folded_atom: &str) -> Option<String> {
    let first = pattern.first()?;
    let raw: String = match kind {
        AnalyzerKind::Reading | AnalyzerKind::ReadingWord => return None,
        AnalyzerKind::Ngram => {
            let mut chain = first.clone();
            for pair in pattern.windows(2) {
                let mut next = pair[1].chars();
                let overlaps = pair[0].chars().count() == 2
                    && next.next().is_some()
                    && pair[0].chars().last() == pair[1].chars().next();
                if !overlaps {
                    break;
                }
                chain.extend(next);
            }
            if folded_atom.contains(&fold_str(&chain)) {
                chain
            } else {
                first.clone()
            }
        }
        AnalyzerKind::Morph => {
            let all_kana = first
                .chars()
                .all(|c| is_hiragana(c) || is_katakana(c) || c == 'ー');
            if all_kana {
                let n = first.chars().count();
                first.chars().take(n.saturating_sub(1).max(1)).collect()
            } else if first.chars().last().is_some_and(|c| !is_hiragana(c)) {
                // Not the base form of an inflected word (those end in
                // kana): a noun, written as it is (やらされ感).
                first.clone()
            } else {
                first.chars().take_while(|c| !is_hiragana(*c)).collect()
            }
        }
    };
    let folded = fold_str(&raw);
    (!folded.is_empty()).then_some(folded)
}

/// Where else a needle with digits can stand: its digit runs written digit
/// by digit in kanji (第3次 → 第三次, 2015 → 二〇一五), and, for each run,
/// the largest kanji unit of the number (30 → 十, 12000 → 万): any other
/// spelling of the number (三十, 3万, 一万二千) has that unit. Empty when
/// the needle has no digits.
fn numeral_spellings(needle: &str) -> Vec<String> {
    let mut positional = String::new();
    let mut units = Vec::new();
    let mut rest = needle;
    while let Some(c) = rest.chars().next() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            positional.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let run = &rest[..digits];
        positional.push_str(kanji_digits(run).as_deref().unwrap_or(run));
        let value: u64 = run.trim_start_matches('0').parse().unwrap_or(0);
        let unit = [
            (100_000_000, "億"),
            (10_000, "万"),
            (1000, "千"),
            (100, "百"),
            (10, "十"),
        ]
        .into_iter()
        .find(|(size, _)| value >= *size);
        if let Some((_, u)) = unit {
            units.push(u.to_owned());
        }
        rest = &rest[digits..];
    }
    if positional == needle {
        return Vec::new();
    }
    let mut out = vec![positional];
    for u in units {
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// Whether an n-gram pattern is one run of bigrams that `needle` spells
/// whole (or one character), with no kanji numeral: then every place the
/// needle is written is a match of the pattern, and nothing else is.
fn spells(pattern: &[String], needle: &str) -> bool {
    let one_run = pattern.len() == 1
        || (pattern.iter().all(|t| t.chars().count() == 2)
            && pattern
                .windows(2)
                .all(|w| w[0].chars().nth(1) == w[1].chars().next()));
    let mut whole = pattern[0].clone();
    for t in &pattern[1..] {
        whole.extend(t.chars().skip(1));
    }
    one_run && fold_str(&whole) == needle && !needle.chars().any(is_numeral_char)
}

/// Whether every match of a morphological term is the term as written:
/// no base form of an inflected word (進める for 進めた: okurigana in
/// hiragana; やる for やった: all kana, ending like a verb or adjective),
/// no number.
fn written_as_is(term: &str) -> bool {
    let all_kana = term
        .chars()
        .all(|c| is_hiragana(c) || is_katakana(c) || c == 'ー');
    let inflectable_ending = term
        .chars()
        .last()
        .is_some_and(|c| "ウクグスツヌブムルイ".contains(c));
    let okurigana = term.chars().any(is_hiragana);
    let number = term.chars().any(is_numeral_char);
    !(okurigana || number || (all_kana && inflectable_ending))
}

/// Needle hits of a text: byte ranges, sorted and merged.
#[derive(Debug, Default)]
struct NeedleHits {
    /// Matches, as they are.
    matches: Vec<(usize, usize)>,
    /// Places to check by analysis.
    candidates: Vec<(usize, usize)>,
}

/// A text as the analyzers see its characters (NFKC, lowercase, folded),
/// with a way back to original byte offsets.
struct FoldedText {
    text: String,
    /// Long-vowel marks dropped after katakana, as (folded offset, bytes
    /// dropped up to there): folding changes no other character's length,
    /// so these alone lead back to the normalised text.
    drops: Vec<(u32, u32)>,
    /// The normalised text's map back to the original, when NFKC or
    /// lowercasing changed something (most stored texts are left as they
    /// are).
    normalized: Option<Normalized>,
}

impl FoldedText {
    /// The original byte range of folded bytes `start..end`. A long-vowel
    /// mark dropped after the last character belongs to it, as in the
    /// analyzers' terms (a highlight covers it).
    fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let shift = |at: usize| {
            let k = self.drops.partition_point(|(p, _)| *p as usize <= at);
            k.checked_sub(1).map_or(0, |k| self.drops[k].1 as usize)
        };
        let (start, end) = (start + shift(start), end + shift(end));
        match &self.normalized {
            None => (start, end),
            Some(n) => n.original_range(start, end),
        }
    }
}

/// Folds `text`; `normalized`: whether [`is_normalized`] holds for it
/// (the caller may have asked already).
fn fold_text(text: &str, normalized: bool) -> FoldedText {
    let normalized = (!normalized).then(|| normalize(text));
    let source = normalized.as_ref().map_or(text, |n| n.text.as_str());
    let mut out = String::with_capacity(source.len());
    let mut drops: Vec<(u32, u32)> = Vec::new();
    let mut dropped = 0;
    let mut after_katakana = false;
    for c in source.chars() {
        let f = fold_char(c);
        debug_assert_eq!(f.len_utf8(), c.len_utf8(), "{c} folds to {f}");
        if f == 'ー' && after_katakana {
            // The mark belongs to the letter before it.
            dropped += c.len_utf8() as u32;
            match drops.last_mut() {
                Some(last) if last.0 as usize == out.len() => last.1 = dropped,
                _ => drops.push((out.len() as u32, dropped)),
            }
            continue;
        }
        after_katakana = is_katakana(f);
        out.push(f);
    }
    FoldedText {
        text: out,
        drops,
        normalized,
    }
}

/// Ends a sentence: segmentation never joins words across it, and
/// neither bigrams nor reading runs span it.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '\n')
}

/// The byte range of the sentence of `text` around byte `at`.
fn sentence_at(text: &str, at: usize) -> (usize, usize) {
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| ends_sentence(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| ends_sentence(*c))
        .map_or(text.len(), |(i, c)| at + i + c.len_utf8());
    (start, end)
}

/// The sentences of `text` holding `hits` (sorted byte ranges), sorted
/// and merged.
fn sentences(text: &str, hits: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(at, _) in hits {
        if out.last().is_some_and(|&(s, e)| s <= at && at < e) {
            continue;
        }
        out.push(sentence_at(text, at));
    }
    merge(out)
}

/// Whether a word is written in kana only, so its reading is what the user
/// means (かいぜん → 改善). A kanji word's reading would match homophones.
pub fn is_kana_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}'))
}

impl Matcher {
    /// The matcher of what was typed (a kana word also by its reading).
    pub fn new(query: &UserQuery) -> Matcher {
        Matcher::from_atoms(query.positive_atoms().map(|atom| {
            let text = atom.text();
            let reading = if is_kana_word(text) && text.chars().count() > 1 {
                crate::analysis::kana_bigrams(text)
            } else {
                Vec::new()
            };
            (
                atom,
                query_terms(AnalyzerKind::Morph, text),
                query_terms(AnalyzerKind::Ngram, text),
                reading,
            )
        }))
    }

    /// From atoms already analysed (atom, morph terms, n-gram terms,
    /// reading bigrams): the search has just analysed every query word to
    /// build its query, and searched readings only for kana words typed
    /// (not for kana synonyms).
    pub(crate) fn from_atoms<'a>(
        atoms: impl IntoIterator<Item = (&'a Atom, Vec<String>, Vec<String>, Vec<String>)>,
    ) -> Matcher {
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        let mut hits = Vec::new();
        for (atom, morph, ngram, reading) in atoms {
            let text = atom.text();
            let folded_atom = fold_str(&normalize(text).text);
            let mut push = |kind, pattern: Vec<String>| {
                let n = needle(kind, &pattern, &folded_atom);
                hits.push(match &n {
                    Some(n) if kind == AnalyzerKind::Ngram && spells(&pattern, n) => Hits::Matches,
                    _ => Hits::Candidates,
                });
                needles.push(n);
                patterns.push((kind, pattern));
            };
            match atom {
                Atom::Word(_) => {
                    for t in morph {
                        push(AnalyzerKind::Morph, vec![t]);
                    }
                }
                Atom::Phrase(_) if !morph.is_empty() => push(AnalyzerKind::Morph, morph),
                Atom::Phrase(_) => {}
            }
            if !ngram.is_empty() {
                push(AnalyzerKind::Ngram, ngram);
            }
            if !reading.is_empty() {
                push(AnalyzerKind::Reading, reading);
            }
        }
        // A noun's matches are places its surface is written: among the
        // hits of an n-gram pattern spelled like it.
        let exact: Vec<String> = needles
            .iter()
            .zip(&hits)
            .filter(|(_, h)| **h == Hits::Matches)
            .filter_map(|(n, _)| n.clone())
            .collect();
        for ((kind, pattern), h) in patterns.iter().zip(hits.iter_mut()) {
            if let (AnalyzerKind::Morph, [term]) = (kind, pattern.as_slice())
                && written_as_is(term)
                && exact.contains(&fold_str(term))
            {
                *h = Hits::Covered;
            }
        }
        // A kanji noun's matches are among its needle's hits; the index
        // knows how many there are in a text.
        let countable: Vec<bool> = patterns
            .iter()
            .zip(&hits)
            .zip(&needles)
            .map(
                |(((kind, pattern), h), n)| match (kind, pattern.as_slice()) {
                    (AnalyzerKind::Morph, [term]) => {
                        *h == Hits::Candidates
                            && written_as_is(term)
                            && term.chars().all(is_plain_kanji)
                            && n.as_deref() == Some(term.as_str())
                    }
                    _ => false,
                },
            )
            .collect();
        let spellings: Vec<Vec<String>> = needles
            .iter()
            .map(|n| n.as_deref().map(numeral_spellings).unwrap_or_default())
            .collect();
        let mut kinds: Vec<AnalyzerKind> = patterns.iter().map(|(k, _)| *k).collect();
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        Matcher {
            kinds,
            search: NeedleSearch::new(&needles, &hits, &spellings),
            #[cfg(test)]
            spellings: spellings.into_iter().flatten().collect(),
            countable,
            patterns,
            needles,
            #[cfg(test)]
            hits,
            learned: RefCell::default(),
        }
    }

    /// Whether the only patterns without a needle are readings: then the
    /// spellings learned from earlier hits can stand in for them.
    fn only_readings_unlocated(&self) -> bool {
        self.patterns
            .iter()
            .zip(&self.needles)
            .all(|((kind, _), n)| n.is_some() || *kind == AnalyzerKind::Reading)
    }

    /// Matches of a kana query's reading (and the other patterns) in a text:
    /// the sentences holding a needle or a spelling learned from earlier
    /// hits are analysed; only a text where none of them matches is
    /// analysed whole (and teaches its spellings). A homophone the search
    /// has not met yet can go unmarked in a text that has a known one.
    fn ranges_by_learned(&self, text: &str) -> Vec<(usize, usize)> {
        let mut hits = self.needle_hits(text, &no_counts);
        let folded = fold_text(text, is_normalized(text));
        for word in self.learned.borrow().iter() {
            for (i, _) in folded.text.match_indices(word.as_str()) {
                hits.candidates.push(folded.original(i, i + word.len()));
            }
        }
        hits.candidates = merge(hits.candidates);
        let found = self.matches(text, &hits);
        if found.is_empty() {
            self.analysed_ranges(text, 0)
        } else {
            found
        }
    }

    /// Whether every pattern can be located by its needle (no pattern
    /// needs the whole text analysed).
    pub fn locates_by_needles(&self) -> bool {
        self.needles.iter().all(Option::is_some)
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Byte ranges of `text` that match, sorted and merged: the sentences
    /// holding a needle are analysed (the whole text when a pattern has
    /// none); a sequence matches by positions, so a compound's parts
    /// (indexed at the compound's positions) match too.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        if !self.locates_by_needles() {
            if self.only_readings_unlocated() {
                return self.ranges_by_learned(text);
            }
            return self.analysed_ranges(text, 0);
        }
        self.matches(text, &self.needle_hits(text, &no_counts))
    }

    /// The matches among needle hits: the exact ones, and the candidates
    /// that analysis confirms.
    fn matches(&self, text: &str, hits: &NeedleHits) -> Vec<(usize, usize)> {
        let mut out = self.verify(text, &hits.candidates);
        out.extend(hits.matches.iter().copied());
        merge(out)
    }

    /// The best fragment of `text` (about `width` characters, see
    /// [`snippet`]) with the matches marked.
    ///
    /// A long text is cut around its densest hits, and only the sentences
    /// of that fragment with hits to check are analysed. When every hit
    /// counted for the fragment is a match, it is the fragment [`snippet`]
    /// picks from all the matches (a fragment elsewhere has at most as many
    /// matches as hits). Otherwise (an inflected word's stem, a needle
    /// inside another word) the hits that analysis turned down are dropped,
    /// its matches kept, and the densest fragment picked again, until one
    /// holds only matches (or, when nothing is left to check in a fragment
    /// whose counts still differ, every remaining hit is checked): the
    /// sentences far from any good fragment are never analysed.
    pub fn snippet(&self, text: &str, width: usize) -> Snippet {
        self.snippet_counted(text, width, &no_counts)
    }

    /// [`snippet`](Self::snippet) of a text whose terms the index has
    /// counted: `counts(kind, term)` is how many times the analyzer `kind`
    /// indexed `term` for the text (`None`: not known).
    ///
    /// A pattern one of whose terms the index holds no time has no match
    /// in the text: its needle's hits are dropped unchecked, and a pattern
    /// without a needle (a kana word's reading) needs no analysis of the
    /// whole text. A kanji noun's every match is a place its needle is
    /// written, so when the text holds the needle as many times as the
    /// index holds the term, every place is a match. Only the other places
    /// (a needle inside a longer word, 職員 in 教職員; an inflected verb)
    /// have their sentences analysed. Asking the index costs a term
    /// lookup; analysing a sentence costs a segmentation.
    pub fn snippet_counted(&self, text: &str, width: usize, counts: &TermCounts) -> Snippet {
        let text = text.trim();
        if self.patterns.is_empty() {
            return snippet(text, &[], width);
        }
        let located =
            (0..self.patterns.len()).all(|p| self.needles[p].is_some() || self.absent(p, counts));
        if !located {
            return snippet(text, &self.ranges(text), width);
        }
        let NeedleHits {
            matches: mut known,
            candidates: mut unchecked,
        } = self.needle_hits(text, counts);
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let byte = |c: usize| chars.get(c).map_or(text.len(), |(b, _)| *b);
        loop {
            let mut hits = unchecked.clone();
            hits.extend(known.iter().copied());
            let marks = char_marks(&chars, text.len(), &merge(hits));
            let Some(anchor) = densest(&marks, n, width) else {
                break;
            };
            let start = window_start(&chars, anchor, width);
            let end = (start + width).min(n);
            // The fragment, and the window its hits were counted in.
            let (from, to) = (byte(start.min(anchor)), byte(end.max(anchor + width)));
            let within = |&(s, _): &(usize, usize)| s >= from && s < to;
            let (check, rest): (Vec<_>, Vec<_>) = unchecked.iter().copied().partition(within);
            // Every match of the sentences analysed is known now, and no
            // hit in them needs checking again.
            let analysed = sentences(text, &check);
            known.extend(self.analyse_sentences(text, &analysed));
            known = merge(known);
            unchecked = rest
                .into_iter()
                .filter(|&(at, _)| !analysed.iter().any(|&(s, e)| s <= at && at < e))
                .collect();
            let found: Vec<(usize, usize)> = known.iter().copied().filter(within).collect();
            let found_marks = char_marks(&chars, text.len(), &found);
            let counted = |m: &[(usize, usize)]| -> Vec<usize> {
                m.iter()
                    .map(|&(s, _)| s)
                    .filter(|s| (anchor..anchor + width).contains(s))
                    .collect()
            };
            if counted(&marks) == counted(&found_marks) {
                return cut(text, &chars, found_marks, start, width);
            }
            if check.is_empty() {
                // Nothing left to check here, yet the counts differ (a hit
                // from outside merged into a match inside).
                break;
            }
        }
        // No fragment to trust: every remaining hit is checked, and the
        // fragment picked from all the matches.
        known.extend(self.verify(text, &unchecked));
        snippet(text, &merge(known), width)
    }

    /// Where the needles occur in `text`: the exact matches, and the
    /// places to check by analysis (byte ranges, sorted and merged). By
    /// `counts`, a needle's hits are dropped when the index holds a term of
    /// its pattern no time for the text, and a kanji noun's are matches
    /// when the index holds the term as many times as the text the needle.
    fn needle_hits(&self, text: &str, counts: &TermCounts) -> NeedleHits {
        // Plain needles are where they are written in a text with no
        // character that normalising turns into a kanji (and a long-vowel
        // mark dropped after katakana never falls inside a kanji needle's
        // match); other needles are looked for in the folded text.
        let folded = (!(self.search.plain && no_kanji_source(text)))
            .then(|| fold_text(text, is_normalized(text)));
        let mut out = NeedleHits::default();
        // The hits of needles that are not exact, to settle by the counts.
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let mut push = |i: usize, range: (usize, usize)| {
            if self.search.exact[i] {
                out.matches.push(range);
            } else {
                found.push((i, range.0, range.1));
            }
        };
        match &folded {
            None => self
                .search
                .each_hit(text, |i, start, end| push(i, (start, end))),
            Some(f) => self
                .search
                .each_hit(&f.text, |i, start, end| push(i, f.original(start, end))),
        }
        let settled = self.settle(&found, counts);
        for (i, start, end) in found {
            match settled[i] {
                Some(true) => out.matches.push((start, end)),
                Some(false) => {}
                None => out.candidates.push((start, end)),
            }
        }
        out.matches = merge(out.matches);
        out.candidates = merge(out.candidates);
        out
    }

    /// Per needle, what its hits `found` (of needles that are not exact)
    /// are: all matches (`Some(true)`), none (`Some(false)`), or to check
    /// (`None`).
    fn settle(&self, found: &[(usize, usize, usize)], counts: &TermCounts) -> Vec<Option<bool>> {
        let search = &self.search;
        if found.is_empty() {
            return Vec::new();
        }
        let mut written = vec![0u32; search.exact.len()];
        for &(i, _, _) in found {
            written[i] += 1;
        }
        // Per pattern, whether the index holds one of its terms no time
        // (asked once for a needle and its spellings).
        let mut absent: Vec<Option<bool>> = vec![None; self.patterns.len()];
        (0..search.exact.len())
            .map(|i| {
                if written[i] == 0 {
                    return None;
                }
                let p = search.pattern[i];
                if self.countable[p] {
                    return match counts(AnalyzerKind::Morph, &self.patterns[p].1[0])? {
                        0 => Some(false),
                        n if n == written[i] => Some(true),
                        _ => None,
                    };
                }
                let gone = *absent[p].get_or_insert_with(|| self.absent(p, counts));
                gone.then_some(false)
            })
            .collect()
    }

    /// Whether the index holds one of pattern `p`'s terms no time for the
    /// text: then the pattern has no match there. Not asked of a
    /// one-character n-gram pattern, which matches the bigrams starting
    /// with it rather than a term of its own.
    fn absent(&self, p: usize, counts: &TermCounts) -> bool {
        let (kind, terms) = &self.patterns[p];
        let one_char = *kind == AnalyzerKind::Ngram
            && matches!(terms.as_slice(), [t] if t.chars().count() == 1);
        !one_char && terms.iter().any(|t| counts(*kind, t) == Some(0))
    }

    /// The matches in the sentences holding `hits`, analysed sentence by
    /// sentence.
    fn verify(&self, text: &str, hits: &[(usize, usize)]) -> Vec<(usize, usize)> {
        self.analyse_sentences(text, &sentences(text, hits))
    }

    /// The matches in `sentences` (byte ranges of `text`), each analysed.
    fn analyse_sentences(&self, text: &str, sentences: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for &(s, e) in sentences {
            out.extend(self.analysed_ranges(&text[s..e], s));
        }
        merge(out)
    }

    /// Matches in `text` (a sentence starting at byte `offset` of the
    /// whole, or the whole), analysed once, as byte ranges of the whole.
    fn analysed_ranges(&self, text: &str, offset: usize) -> Vec<(usize, usize)> {
        let analysis = Analysis::of_kinds(text, &self.kinds);
        let mut out = Vec::new();
        // A one-character n-gram pattern matches wherever the character is
        // written (the search takes every n-gram term starting with it).
        let chars: Vec<&str> = self
            .patterns
            .iter()
            .filter(|(k, p)| *k == AnalyzerKind::Ngram && p.len() == 1)
            .map(|(_, p)| p[0].as_str())
            .filter(|p| p.chars().count() == 1)
            .collect();
        if !chars.is_empty() {
            let folded = fold_text(text, is_normalized(text));
            for c in chars {
                for (i, _) in folded.text.match_indices(c) {
                    let (s, e) = folded.original(i, i + c.len());
                    out.push((offset + s, offset + e));
                }
            }
        }
        for kind in AnalyzerKind::ALL {
            if !self.patterns.iter().any(|(k, _)| *k == kind) {
                continue;
            }
            let terms = analysis.get(kind);
            let mut at: HashMap<(usize, &str), &Term> = HashMap::with_capacity(terms.len());
            for t in terms {
                at.entry((t.position, t.text.as_str())).or_insert(t);
            }
            for (_, pat) in self.patterns.iter().filter(|(k, _)| *k == kind) {
                let Some((first, rest)) = pat.split_first() else {
                    continue;
                };
                for t in terms.iter().filter(|t| &t.text == first) {
                    let mut end = t.end;
                    let found = rest.iter().enumerate().all(|(k, p)| {
                        at.get(&(t.position + k + 1, p.as_str()))
                            .map(|n| end = end.max(n.end))
                            .is_some()
                    });
                    if found {
                        out.push((offset + t.start, offset + end));
                        if kind == AnalyzerKind::Reading {
                            self.learn(&text[t.start..end]);
                        }
                    }
                }
            }
        }
        merge(out)
    }
}

impl Matcher {
    /// Remembers the spelling of a reading match.
    fn learn(&self, surface: &str) {
        let folded = fold_str(&normalize(surface).text);
        let mut learned = self.learned.borrow_mut();
        if !folded.is_empty() && learned.len() < MAX_LEARNED && !learned.contains(&folded) {
            learned.push(folded);
        }
    }
}

/// Whether no character of `text` is one that NFKC turns into a kanji
/// (or into text with one): radicals, ideographic numerals, enclosed and
/// squared ideographs (㈱, ㍿), compatibility ideographs. NFKC and folding
/// change no kanji a plain needle holds, so in such a text the needle is
/// found where it is written, normalised or not (a full-width （ or Ａ
/// changes nothing here). The blocks are whole, a few more than needed.
fn no_kanji_source(text: &str) -> bool {
    !text.chars().any(|c| {
        matches!(
            c,
            '\u{2E80}'..='\u{2FDF}'
                | '\u{3038}'..='\u{303A}'
                | '\u{3190}'..='\u{319F}'
                | '\u{3200}'..='\u{33FF}'
                | '\u{F900}'..='\u{FAFF}'
                | '\u{1F200}'..='\u{1F2FF}'
                | '\u{2F800}'..='\u{2FA1F}'
        )
    })
}

/// How many times the index holds a term for a text, by the analyzer
/// that made it (`None`: not known).
pub type TermCounts<'a> = dyn Fn(AnalyzerKind, &str) -> Option<u32> + 'a;

/// Counts of nothing: every candidate is checked by analysis.
fn no_counts(_: AnalyzerKind, _: &str) -> Option<u32> {
    None
}

fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// A fragment of a text with highlighted character ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// Character ranges within `text`.
    pub marks: Vec<(usize, usize)>,
    /// The fragment starts after the beginning / ends before the end.
    pub cut_start: bool,
    pub cut_end: bool,
}

impl Snippet {
    /// HTML-escaped, matches in `<mark>`, cuts shown as `…`.
    pub fn to_html(&self) -> String {
        self.render(
            |s| html_escape::encode_text(s).into_owned(),
            "<mark>",
            "</mark>",
        )
    }

    /// Plain text with matches between the given markers.
    pub fn render(&self, escape: impl Fn(&str) -> String, open: &str, close: &str) -> String {
        let chars: Vec<char> = self.text.chars().collect();
        let mut out = String::new();
        if self.cut_start {
            out.push('…');
        }
        let mut at = 0;
        for &(s, e) in &self.marks {
            out.push_str(&escape(&chars[at..s].iter().collect::<String>()));
            out.push_str(open);
            out.push_str(&escape(&chars[s..e].iter().collect::<String>()));
            out.push_str(close);
            at = e;
        }
        out.push_str(&escape(&chars[at..].iter().collect::<String>()));
        if self.cut_end {
            out.push('…');
        }
        out
    }

    pub fn has_marks(&self) -> bool {
        !self.marks.is_empty()
    }
}

/// Byte ranges of `text` as character ranges (`chars`: its char indices).
fn char_marks(
    chars: &[(usize, char)],
    len: usize,
    ranges: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let to_char = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    ranges
        .iter()
        .filter(|(s, e)| *e <= len && s < e)
        .map(|&(s, e)| (to_char(s), to_char(e)))
        .collect()
}

/// Where the window of `width` characters with the most marks begins (the
/// first such mark), when the text is longer than `width` and has marks.
fn densest(marks: &[(usize, usize)], n: usize, width: usize) -> Option<usize> {
    if n <= width || marks.is_empty() {
        return None;
    }
    let mut best = (0, usize::MAX);
    for (i, &(s, _)) in marks.iter().enumerate() {
        let count = marks[i..]
            .iter()
            .take_while(|(ms, _)| *ms < s + width)
            .count();
        if count > best.0 || (count == best.0 && s < best.1) {
            best = (count, s);
        }
    }
    Some(best.1)
}

/// The first character of a fragment showing the mark at `anchor`: the
/// start of its sentence when near, a little before it otherwise.
fn window_start(chars: &[(usize, char)], anchor: usize, width: usize) -> usize {
    let lead = width / 4;
    let floor = anchor.saturating_sub(lead);
    let start = (floor..anchor)
        .rev()
        .find(|&i| i > 0 && matches!(chars[i - 1].1, '。' | '\n' | '！' | '？'))
        .unwrap_or(floor);
    start.min(chars.len().saturating_sub(width))
}

/// The fragment of `width` characters from `start`, with the marks inside.
fn cut(
    text: &str,
    chars: &[(usize, char)],
    marks: Vec<(usize, usize)>,
    start: usize,
    width: usize,
) -> Snippet {
    let n = chars.len();
    let end = (start + width).min(n);
    let from = chars.get(start).map_or(text.len(), |(b, _)| *b);
    let to = chars.get(end).map_or(text.len(), |(b, _)| *b);
    let marks = marks
        .into_iter()
        .filter(|&(s, e)| s >= start && e <= end)
        .map(|(s, e)| (s - start, e - start))
        .collect();
    Snippet {
        text: text[from..to].replace('\n', " "),
        marks,
        cut_start: start > 0,
        cut_end: end < n,
    }
}

/// The best fragment of about `width` characters: the window with the most
/// matches, started at a sentence boundary when one is near.
pub fn snippet(text: &str, ranges: &[(usize, usize)], width: usize) -> Snippet {
    let text = text.trim();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let marks = char_marks(&chars, text.len(), ranges);
    let start =
        densest(&marks, chars.len(), width).map_or(0, |anchor| window_start(&chars, anchor, width));
    cut(text, &chars, marks, start, width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::query::parse;

    fn html(query: &str, text: &str) -> String {
        let m = Matcher::new(&parse(query));
        snippet(text, &m.ranges(text), 200).to_html()
    }

    #[test]
    fn morphological_match_is_marked_in_characters() {
        assert_eq!(
            html("改善", "職員の改善運動"),
            "職員の<mark>改善</mark>運動"
        );
    }

    #[test]
    fn substring_of_compound_is_marked() {
        assert_eq!(
            html("空港", "関西国際空港の運営"),
            "関西国際<mark>空港</mark>の運営"
        );
    }

    #[test]
    fn width_variants_mark_the_original_characters() {
        assert_eq!(html("dna", "ＤＮＡ運動"), "<mark>ＤＮＡ</mark>運動");
    }

    #[test]
    fn kana_query_marks_the_kanji_word() {
        assert_eq!(html("かいぜん", "業務の改善"), "業務の<mark>改善</mark>");
    }

    #[test]
    fn numeral_variants_mark_each_other() {
        assert_eq!(html("第3次", "第三次計画"), "<mark>第三次</mark>計画");
        assert_eq!(html("三十年", "30年の歩み"), "<mark>30年</mark>の歩み");
    }

    #[test]
    fn compound_query_marks_parts_written_apart() {
        assert_eq!(
            html("業務改善", "業務の改善"),
            "<mark>業務</mark>の<mark>改善</mark>"
        );
        assert_eq!(html("改善", "業務改善運動"), "業務<mark>改善</mark>運動");
    }

    #[test]
    fn html_in_text_is_escaped() {
        assert_eq!(
            html("改善", "<b>改善</b>"),
            "&lt;b&gt;<mark>改善</mark>&lt;/b&gt;"
        );
    }

    /// Every text of the sample and relevance cases.
    fn case_texts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["cases", "tests/relevance/cases"] {
            for f in crate::case::store::list(&root.join(dir)).unwrap() {
                let loaded = crate::case::store::load(&f).unwrap();
                let case = loaded.parsed.case.unwrap();
                out.push(case.title.clone());
                out.extend(case.narrative().map(|(_, t)| t.to_owned()));
            }
        }
        out
    }

    /// How many times the index holds each term of `text`, by analyzer
    /// (its tokenizers' terms are the analysis's).
    fn indexed_counts(text: &str) -> impl Fn(AnalyzerKind, &str) -> Option<u32> {
        let analysis = Analysis::of(text);
        move |kind, term| Some(analysis.get(kind).iter().filter(|t| t.text == term).count() as u32)
    }

    /// A kanji noun's needle hits are settled by the index's count when
    /// it can: all matches when the counts agree, none when the index
    /// holds the term no time; otherwise the sentences are analysed.
    #[test]
    fn counted_needles_are_settled_by_the_index() {
        let m = Matcher::new(&parse("職員提案"));
        // 職員 and 提案 are the morphological patterns left to check (the
        // n-gram needle 職員提案 covers neither alone).
        assert_eq!(m.countable, vec![true, true, false]);
        let text = "教職員が提案した。職員の提案。";
        let analysed = m.snippet(text, 100).to_html();
        assert_eq!(
            analysed,
            m.snippet_counted(text, 100, &indexed_counts(text))
                .to_html()
        );
        // Counts the index would give are trusted: here, that both 職員
        // are words (analysis says 教職員 is one).
        let trusted = m.snippet_counted(text, 100, &|_, _| Some(2));
        assert_eq!(
            trusted.to_html(),
            "教<mark>職員</mark>が<mark>提案</mark>した。<mark>職員</mark>の<mark>提案</mark>。"
        );
        let none = m.snippet_counted(text, 100, &|_, t| Some(if t == "職員" { 0 } else { 2 }));
        assert_eq!(
            none.to_html(),
            "教職員が<mark>提案</mark>した。職員の<mark>提案</mark>。"
        );
        // A count that disagrees with the text leaves the places to
        // analysis.
        let other = m.snippet_counted(text, 100, &|_, _| Some(5));
        assert_eq!(other.to_html(), analysed);
    }

    /// Finding sentences by needles, then analysing only those, marks
    /// exactly what analysing the whole text marks, and cuts the same
    /// snippets: for every judged query of the relevance suite (and a few
    /// inflected and kana words) over every sample text.
    #[test]
    fn needles_mark_what_whole_analysis_marks() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let tsv = std::fs::read_to_string(root.join("tests/relevance/queries.tsv")).unwrap();
        let mut queries: Vec<String> = tsv
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
            .collect();
        queries.extend(
            [
                "進める",
                "広めた",
                "取り組む",
                "やらされ",
                "ダメ",
                "マネージャー",
                "\"改善 運動\"",
                "三",
                "5",
            ]
            .map(String::from),
        );
        let texts = case_texts();
        let mut located = 0;
        for q in &queries {
            // With the index's counts, a kana word's reading that the text
            // lacks is never looked for: the same snippet as without.
            for t in &texts {
                let counts = indexed_counts(t);
                for width in [40, 110] {
                    assert_eq!(
                        Matcher::new(&parse(q)).snippet_counted(t, width, &counts),
                        Matcher::new(&parse(q)).snippet(t, width),
                        "help: counted, query {q:?}, width {width}, text {t:?}"
                    );
                }
            }
            let m = Matcher::new(&parse(q));
            if !m.locates_by_needles() {
                continue;
            }
            located += 1;
            for t in &texts {
                let whole = m.analysed_ranges(t, 0);
                assert_eq!(
                    m.ranges(t),
                    whole,
                    "help: query {q:?}, needles {:?}, text {t:?}",
                    m.needles
                );
                let trimmed = t.trim();
                let whole = m.analysed_ranges(trimmed, 0);
                let counts = indexed_counts(t);
                for width in [40, 110] {
                    let want = snippet(trimmed, &whole, width);
                    assert_eq!(
                        m.snippet(t, width),
                        want,
                        "help: query {q:?}, width {width}, text {t:?}"
                    );
                    assert_eq!(
                        m.snippet_counted(t, width, &counts),
                        want,
                        "help: counted, query {q:?}, width {width}, text {t:?}"
                    );
                }
            }
        }
        assert!(
            located * 2 > queries.len(),
            "{located} of {}",
            queries.len()
        );
    }

    #[test]
    fn needles_of_each_kind() {
        let needles = |q: &str| Matcher::new(&parse(q)).needles;
        // Morphological term, then the n-gram chain.
        assert_eq!(
            needles("首長交代"),
            vec![
                Some("首長".into()),
                Some("交代".into()),
                Some("首長交代".into())
            ]
        );
        // Okurigana is cut from an inflected word; kana are folded.
        assert_eq!(needles("進める")[0], Some("進".into()));
        assert_eq!(needles("だめ")[0], Some("ダ".into()));
        assert_eq!(needles("ｶﾞｲﾄﾞ")[1], Some("ガイド".into()));
        // A noun that starts in hiragana is its own needle (folded): no
        // kanji stem to cut, and it is not inflected (it does not end in
        // kana).
        assert_eq!(needles("やらされ感")[0], Some("ヤラサレ感".into()));
        assert!(Matcher::new(&parse("やらされ感")).locates_by_needles());
        // A number is also looked for in kanji.
        let m = Matcher::new(&parse("第3次"));
        assert!(m.locates_by_needles());
        assert!(
            m.spellings.contains(&"第三次".to_owned()),
            "{:?}",
            m.spellings
        );
        assert_eq!(numeral_spellings("30年"), vec!["三〇年", "十"]);
        assert_eq!(numeral_spellings("10000"), vec!["一〇〇〇〇", "万"]);
        assert!(numeral_spellings("改善").is_empty());
        assert_eq!(
            html("三十年", "30年と三十年"),
            "<mark>30年</mark>と<mark>三十年</mark>"
        );
        // A kana word's reading is in no spelling.
        assert!(!Matcher::new(&parse("かいぜん")).locates_by_needles());
    }

    /// A dropped long-vowel mark belongs to the letter before it, whether
    /// the text needs normalising (full-width letters) or not.
    #[test]
    fn long_vowel_marks_stay_inside_the_mark() {
        for text in [
            "新任マネージャーの研修",
            "ＡＢＣマネージャーの研修",
            "マネージャー。マネジャー、ﾏﾈｰｼﾞｬｰ",
        ] {
            for q in ["マネージャー", "マネジャー", "研修"] {
                let m = Matcher::new(&parse(q));
                let whole = m.analysed_ranges(text, 0);
                assert!(!whole.is_empty() || q == "研修", "{q} in {text}");
                let fast = m.needle_hits(text, &no_counts);
                assert_eq!(m.matches(text, &fast), whole, "help: {q} in {text}");
            }
        }
        assert_eq!(
            html("マネジャー", "新任マネージャーの研修"),
            "新任<mark>マネージャー</mark>の研修"
        );
    }

    /// A kana query's reading match teaches its spelling: the next texts
    /// of the same search are looked through for it first.
    #[test]
    fn kana_queries_learn_the_spellings_they_match() {
        let m = Matcher::new(&parse("かいぜん"));
        let first = "業務の改善を進めた。";
        assert_eq!(m.ranges(first), m.analysed_ranges(first, 0));
        assert_eq!(*m.learned.borrow(), vec!["改善".to_owned()]);
        let next = "長い前置きの文がある。職場の改善が続いた。別の話。";
        let (s, e) = m.ranges(next)[0];
        assert_eq!(&next[s..e], "改善");
        assert_eq!(m.ranges(next), m.analysed_ranges(next, 0));
    }

    /// A noun is found by its spelling alone; an inflected word, a word
    /// with a number, or a word whose parts stand alone is checked by
    /// analysis.
    #[test]
    fn what_needs_no_segmentation() {
        let hits = |q: &str| Matcher::new(&parse(q)).hits;
        assert_eq!(hits("首長"), vec![Hits::Covered, Hits::Matches]);
        // A kana word typed is also looked for by reading (カイゼン marks
        // 改善), which only analysis finds.
        assert_eq!(
            hits("ステップアップ"),
            vec![Hits::Covered, Hits::Matches, Hits::Candidates]
        );
        assert!(!Matcher::new(&parse("ステップアップ")).locates_by_needles());
        assert_eq!(hits("県"), vec![Hits::Covered, Hits::Matches]);
        assert_eq!(hits("進める"), vec![Hits::Candidates, Hits::Matches]);
        assert_eq!(hits("ツール")[0], Hits::Candidates);
        assert_eq!(
            hits("業務改善"),
            vec![Hits::Candidates, Hits::Candidates, Hits::Matches]
        );
        assert_eq!(hits("三重")[1], Hits::Candidates);
        // A phrase of two runs: its bigrams are not one spelling.
        assert_eq!(hits("\"改善 活動\"")[1], Hits::Candidates);
    }

    /// A few needles are looked for one by one, and find what the
    /// automaton finds: every occurrence, overlapping ones included.
    #[test]
    fn needles_one_by_one_find_what_the_automaton_finds() {
        let words = ["改善", "善運", "アア", "ア", "改"];
        let texts = ["改善運動の改善。", "アアアとアア", "", "改"];
        let hits = |finder: Finder, text: &str| {
            let search = NeedleSearch {
                finder,
                exact: vec![true, false, true, false, true],
                pattern: vec![0; 5],
                plain: false,
            };
            let mut out = Vec::new();
            search.each_hit(text, |i, s, e| out.push((i, s, e)));
            out.sort_unstable();
            out
        };
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(words)
            .unwrap();
        for text in texts {
            let each = hits(Finder::Each(words.map(String::from).to_vec()), text);
            assert_eq!(
                each,
                hits(Finder::Automaton(automaton.clone()), text),
                "{text}"
            );
        }
        // アア twice in アアア (overlapping), and the lone ア three times.
        let each = hits(Finder::Each(words.map(String::from).to_vec()), "アアア");
        assert_eq!(each.len(), 5, "{each:?}");
    }

    /// Needles in plain kanji are looked for in a normalised text as it is
    /// written: the same places as in its folded form. A needle that a
    /// variant folds into (高: 髙), a text that NFKC changes, or kana are
    /// searched in the folded text.
    #[test]
    fn plain_needles_are_found_where_folding_finds_them() {
        let texts = [
            "首長交代で改善が止まった。カイゼン運動の首長。",
            "ポスターーと改善、ﾃｽﾄの改善（全角ＡＢＣ）。",
            "髙齢の方と高齢者の窓口を改善した。",
            "\u{2FB8}長交代（ｶﾅ）の改善。",
            "職員提案制度。提案は三十件、30件。",
            "",
        ];
        for q in ["改善", "首長交代", "職員提案", "高齢", "三十件", "カイゼン"] {
            let matcher = Matcher::new(&parse(q));
            let mut folded = matcher.clone();
            folded.search.plain = false;
            for text in texts {
                let (a, b) = (
                    matcher.needle_hits(text, &no_counts),
                    folded.needle_hits(text, &no_counts),
                );
                assert_eq!(a.matches, b.matches, "{q} in {text}");
                assert_eq!(a.candidates, b.candidates, "{q} in {text}");
            }
        }
        let plain = |q: &str| Matcher::new(&parse(q)).search.plain;
        assert!(plain("首長交代") && plain("職員提案"));
        assert!(!plain("高齢") && !plain("カイゼン") && !plain("ICT"));
    }

    /// Every character that normalising and folding turn into text with
    /// a plain kanji (one a plain needle may hold) other than itself is
    /// one [`no_kanji_source`] looks for. (Variants that fold into a kanji,
    /// 冨 into 富, make that kanji not plain.)
    #[test]
    fn every_kanji_source_is_known() {
        let mut sources = 0;
        for c in (0..=0x3FFFF).filter_map(char::from_u32) {
            let s = c.to_string();
            let folded = fold_str(&normalize(&s).text);
            if folded != s && folded.chars().any(is_plain_kanji) {
                assert!(
                    !no_kanji_source(&s),
                    "U+{:04X} {c} becomes {folded}",
                    c as u32
                );
                sources += 1;
            }
        }
        assert!(sources > 1000, "{sources}");
        assert!(no_kanji_source(
            "ポスターーと改善、ﾃｽﾄの改善（全角ＡＢＣ）。"
        ));
        assert!(!no_kanji_source("\u{2FB8}長交代"));
    }

    #[test]
    fn long_text_is_cut_around_the_densest_matches() {
        let text = format!(
            "{}。首長交代で途絶えた。{}",
            "あ".repeat(300),
            "い".repeat(300)
        );
        let m = Matcher::new(&parse("首長"));
        let s = snippet(&text, &m.ranges(&text), 60);
        assert!(s.cut_start && s.cut_end);
        assert!(
            s.to_html().starts_with("…首長") || s.to_html().contains("<mark>首長</mark>"),
            "{}",
            s.to_html()
        );
        assert_eq!(s.text.chars().count(), 60);
    }
}
