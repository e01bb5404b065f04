//! A query's patterns: per analyzer, a term sequence to find in a text,
//! with the needle that locates it cheaply (the module header of
//! [`super`] says why) and what that needle's hits are.

use super::folded::fold_str;
use crate::analysis::{
    AnalyzerKind, fold_char, is_fold_target, is_hiragana, is_katakana, is_numeral_char,
    kanji_digits, normalize,
};
use crate::query::{Atom, AtomForms};

/// One term sequence of a query, by one analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    pub kind: AnalyzerKind,
    pub terms: Vec<String>,
    /// A folded string every match of the pattern contains; `None` when
    /// there is none (readings; the text spells the word in kanji).
    pub needle: Option<String>,
    /// What the needle's hits are.
    pub hits: Hits,
    /// Its number spelled in kanji: more places to check (the text may
    /// write 三十 where the term says 30).
    pub spellings: Vec<String>,
    /// A kanji noun: its needle's hits are its matches when the text holds
    /// the needle as often as the index holds the term.
    pub countable: bool,
    /// Morphological terms written as they are indexed ([`written_as_is`]):
    /// a match spans exactly a hit of the needle, never more (an inflected
    /// word's token runs past it: 進める for 進め).
    pub as_written: bool,
    /// A reading's kana word as typed, folded: where the text writes it,
    /// a match is likely. Not a needle: the text may write the word in
    /// kanji (改善 for かいぜん). Its places locate every match only when
    /// analysing them meets one of the pattern's terms as often as the
    /// index holds it for the text.
    pub spelled: Option<String>,
}

/// What the hits of a pattern's needle are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hits {
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

impl Pattern {
    fn new(kind: AnalyzerKind, terms: Vec<String>, folded_atom: &str) -> Pattern {
        let needle = needle(kind, &terms, folded_atom);
        let hits = match &needle {
            Some(n) if kind == AnalyzerKind::Ngram && spells(&terms, n) => Hits::Matches,
            _ => Hits::Candidates,
        };
        let spellings = needle.as_deref().map(numeral_spellings).unwrap_or_default();
        let spelled = (kind.reads() && !folded_atom.is_empty()).then(|| folded_atom.to_owned());
        let as_written = kind == AnalyzerKind::Morph && terms.iter().all(|t| written_as_is(t));
        Pattern {
            kind,
            terms,
            needle,
            hits,
            spellings,
            countable: false,
            as_written,
            spelled,
        }
    }

    /// The single term of a one-term morphological pattern.
    fn morph_term(&self) -> Option<&str> {
        match (self.kind, self.terms.as_slice()) {
            (AnalyzerKind::Morph, [term]) => Some(term),
            _ => None,
        }
    }

    /// A one-character n-gram pattern: it matches wherever the character
    /// is written (the search takes every n-gram term starting with it).
    pub fn one_char(&self) -> Option<&str> {
        match (self.kind, self.terms.as_slice()) {
            (AnalyzerKind::Ngram, [t]) if t.chars().count() == 1 => Some(t),
            _ => None,
        }
    }
}

/// The patterns of analysed atoms, each with its needle.
pub(super) fn patterns<'a>(atoms: impl IntoIterator<Item = &'a AtomForms>) -> Vec<Pattern> {
    let mut out = Vec::new();
    for forms in atoms {
        let folded_atom = fold_str(&normalize(forms.atom.text()).text);
        match forms.atom {
            Atom::Word(_) => out.extend(
                forms
                    .morph
                    .iter()
                    .map(|t| Pattern::new(AnalyzerKind::Morph, vec![t.clone()], &folded_atom)),
            ),
            Atom::Phrase(_) if !forms.morph.is_empty() => out.push(Pattern::new(
                AnalyzerKind::Morph,
                forms.morph.clone(),
                &folded_atom,
            )),
            Atom::Phrase(_) => {}
        }
        // The reading as it was searched: a word's whole reading, or a
        // run of reading bigrams.
        let reading = match &forms.reading_word {
            Some(word) if forms.reading_whole => (AnalyzerKind::ReadingWord, vec![word.clone()]),
            _ => (AnalyzerKind::Reading, forms.reading.clone()),
        };
        for (kind, terms) in [(AnalyzerKind::Ngram, forms.ngram.clone()), reading] {
            if !terms.is_empty() {
                out.push(Pattern::new(kind, terms, &folded_atom));
            }
        }
    }
    // A noun's matches are places its surface is written: among the hits
    // of an n-gram pattern spelled like it.
    let exact: Vec<String> = out
        .iter()
        .filter(|p| p.hits == Hits::Matches)
        .filter_map(|p| p.needle.clone())
        .collect();
    for p in &mut out {
        let covered = p.as_written && p.morph_term().is_some_and(|t| exact.contains(&fold_str(t)));
        if covered {
            p.hits = Hits::Covered;
        }
        // A kanji noun's matches are among its needle's hits; the index
        // knows how many there are in a text.
        p.countable = p.hits == Hits::Candidates
            && p.as_written
            && p.morph_term()
                .is_some_and(|t| t.chars().all(is_plain_kanji) && p.needle.as_deref() == Some(t));
    }
    out
}

/// A kanji that folding leaves alone and that no variant folds into (高
/// is one that 髙 folds into).
pub(super) fn is_plain_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}') && fold_char(c) == c && !is_fold_target(c)
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
            if first.chars().all(is_kana_letter) {
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
pub(super) fn numeral_spellings(needle: &str) -> Vec<String> {
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

/// A kana letter or the long-vowel mark (no middle dot, no iteration
/// mark of katakana).
fn is_kana_letter(c: char) -> bool {
    is_hiragana(c) || is_katakana(c) || c == 'ー'
}

/// Whether every match of a morphological term is the term as written:
/// no base form of an inflected word (進める for 進めた: okurigana in
/// hiragana; やる for やった: all kana, ending like a verb or adjective),
/// no number.
fn written_as_is(term: &str) -> bool {
    let all_kana = term.chars().all(is_kana_letter);
    let inflectable_ending = term
        .chars()
        .last()
        .is_some_and(|c| "ウクグスツヌブムルイ".contains(c));
    let okurigana = term.chars().any(is_hiragana);
    let number = term.chars().any(is_numeral_char);
    !(okurigana || number || (all_kana && inflectable_ending))
}
