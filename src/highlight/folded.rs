//! Texts as the analyzers see their characters (NFKC, lowercase, folded),
//! with a way back to original offsets; sentences and byte ranges.

use crate::analysis::{Normalized, fold_char, is_katakana, normalize};

/// A byte range of a text.
pub(super) type Range = (usize, usize);

/// Folds a string as [`fold_text`] folds a text: every char, and no
/// long-vowel mark after a katakana letter.
pub(super) fn fold_str(s: &str) -> String {
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

/// A text as the analyzers see its characters, with a way back to
/// original byte offsets.
pub(super) struct FoldedText {
    pub text: String,
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
    /// Folds `text`; `normalized`: whether `is_normalized` holds for it
    /// (the caller may have asked already).
    pub fn new(text: &str, normalized: bool) -> FoldedText {
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

    /// The original byte range of folded bytes `start..end`. A long-vowel
    /// mark dropped after the last character belongs to it, as in the
    /// analyzers' terms (a highlight covers it).
    pub fn original(&self, start: usize, end: usize) -> Range {
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

/// Ends a sentence: segmentation never joins words across it, and
/// neither bigrams nor reading runs span it.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '\n')
}

/// The byte range of the sentence of `text` around byte `at`.
fn sentence_at(text: &str, at: usize) -> Range {
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
pub(super) fn sentences(text: &str, hits: &[Range]) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for &(at, _) in hits {
        if out.last().is_some_and(|&(s, e)| s <= at && at < e) {
            continue;
        }
        out.push(sentence_at(text, at));
    }
    merge(out)
}

/// The parts of a text of `len` bytes outside `ranges` (sorted, merged):
/// between sentences, they are runs of whole sentences.
pub(super) fn outside(len: usize, ranges: &[Range]) -> Vec<Range> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    let mut at = 0;
    for &(s, e) in ranges {
        if at < s {
            out.push((at, s));
        }
        at = at.max(e);
    }
    if at < len {
        out.push((at, len));
    }
    out
}

/// The sentences of `text` within `range` (a run of whole sentences), in
/// order.
pub(super) fn sentences_within(text: &str, (start, end): Range) -> impl Iterator<Item = Range> {
    text[start..end]
        .split_inclusive(ends_sentence)
        .scan(start, |at, s| {
            let sentence = (*at, *at + s.len());
            *at = sentence.1;
            Some(sentence)
        })
}

/// Ranges sorted, overlapping and touching ones joined.
pub(super) fn merge(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut merged: Vec<Range> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}
