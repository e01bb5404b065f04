//! Completion for the search box: case titles, municipality and prefecture
//! names, and the frequent content words of the collection, each matched by
//! its spelling or by its reading, so かい and カイ both complete 改善.
//!
//! An in-memory list, built from the indexed cases (a few thousand entries
//! even at 10k cases); rebuilt by whoever syncs the index. Matching is a
//! prefix test on folded keys (NFKC, lowercase, hiragana → katakana,
//! long-vowel marks dropped), so it needs no index of its own.

use std::collections::HashMap;

use serde::Serialize;

use crate::analysis::{self, fold_char};
use crate::case::Case;

/// Where a suggestion comes from; also its rank among equals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Municipality,
    Prefecture,
    Term,
    Title,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// What to put in the search box.
    pub text: String,
    pub kind: SuggestionKind,
    /// Cases it occurs in.
    pub cases: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    suggestion: Suggestion,
    /// Folded spelling.
    key: String,
    /// Folded reading (katakana), when the dictionary knows it.
    reading: String,
    /// `key` and `reading` as characters, for edit distances.
    key_chars: Vec<char>,
    reading_chars: Vec<char>,
    /// Which characters `key` and `reading` contain ([`char_mask`]).
    key_mask: u64,
    reading_mask: u64,
}

/// A 64-bit set of the characters of a word (each hashed to a bit). Of two
/// words within `k` edits, each has at most `k` characters the other lacks,
/// so at most `k` bits the other lacks: a test that rules out most of a
/// large completion list before any edit distance (a shared bit can be two
/// characters: the test only ever lets too many through).
fn char_mask(chars: &[char]) -> u64 {
    chars.iter().fold(0, |m, &c| {
        m | 1 << ((c as u32).wrapping_mul(0x9E37_79B1) >> 26)
    })
}

/// Whether two words with these masks may be within `k` edits.
fn masks_allow(a: u64, b: u64, k: usize) -> bool {
    (a & !b).count_ones() as usize <= k && (b & !a).count_ones() as usize <= k
}

/// The edit distance (Levenshtein, in characters) between `a` and `b` if
/// it is at most `max`, else `None`. Only the diagonal band of width
/// `2 × max + 1` can hold such a path, so only it is computed, and a
/// length difference above `max` needs no computing at all: on 10,000
/// cases a did-you-mean compares the query with tens of thousands of
/// words.
fn distance_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    // row[j]: distance between a[..i] and b[..j], for j in the band.
    let mut prev: Vec<usize> = (0..=b.len())
        .map(|j| if j <= max { j } else { FAR })
        .collect();
    let mut row = vec![FAR; b.len() + 1];
    for i in 1..=a.len() {
        let from = i.saturating_sub(max).max(1);
        let to = (i + max).min(b.len());
        row.fill(FAR);
        if i <= max {
            row[0] = i;
        }
        let mut best = row[0];
        for j in from..=to {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let d = (prev[j - 1] + cost).min(prev[j] + 1).min(row[j - 1] + 1);
            row[j] = d;
            best = best.min(d);
        }
        if best > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut row);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// The completion list.
#[derive(Debug, Clone, Default)]
pub struct Suggester {
    entries: Vec<Entry>,
}

/// Content words rarer than this (cases) are not offered as completions:
/// one case's idiosyncratic word is noise in a suggestion list.
const MIN_TERM_CASES: u32 = 2;

/// Folds text for prefix comparison: NFKC, lowercase, hiragana →
/// katakana, variant kanji → common form, no long-vowel marks or spaces.
pub fn fold_key(text: &str) -> String {
    analysis::nfkc(text)
        .to_lowercase()
        .chars()
        .map(fold_char)
        .filter(|c| *c != 'ー' && !c.is_whitespace())
        .collect()
}

/// The reading of a text: each token's dictionary reading (its surface
/// when the dictionary has none), folded.
fn reading_of(text: &str) -> String {
    let tokens = analysis::analyzer().explain(text);
    let mut out = String::new();
    for t in tokens {
        if t.reading.is_empty() || t.reading == "*" {
            out.push_str(&t.surface);
        } else {
            out.push_str(&t.reading);
        }
    }
    fold_key(&out)
}

/// A word worth completing: a noun of two or more characters that is not
/// just digits or symbols.
fn is_content_noun(pos: &str, surface: &str) -> bool {
    pos.starts_with("名詞")
        && !pos.contains("数")
        && !pos.contains("非自立")
        && !pos.contains("代名詞")
        && surface.chars().count() >= 2
        && surface.chars().any(|c| c.is_alphabetic())
}

impl Suggester {
    /// Builds the list from every case.
    pub fn build(cases: &[Case]) -> Suggester {
        let mut counts: HashMap<(SuggestionKind, String), u32> = HashMap::new();
        let mut readings: HashMap<String, String> = HashMap::new();
        for case in cases {
            let mut seen: std::collections::HashSet<(SuggestionKind, String)> = Default::default();
            seen.insert((SuggestionKind::Title, case.title.clone()));
            seen.insert((SuggestionKind::Municipality, case.municipality.clone()));
            seen.insert((SuggestionKind::Prefecture, case.prefecture.clone()));
            let texts = std::iter::once(case.title.as_str())
                .chain(case.narrative().map(|(_, t)| t))
                .chain(case.tags.iter().map(String::as_str));
            for text in texts {
                for t in analysis::analyzer().explain(text) {
                    if t.dropped.is_some() || !is_content_noun(&t.part_of_speech, &t.surface) {
                        continue;
                    }
                    let surface = analysis::nfkc(&t.surface);
                    if !t.reading.is_empty() && t.reading != "*" {
                        readings
                            .entry(surface.clone())
                            .or_insert_with(|| fold_key(&t.reading));
                    }
                    seen.insert((SuggestionKind::Term, surface));
                }
            }
            for k in seen {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut entries: Vec<Entry> = counts
            .into_iter()
            .filter(|((kind, text), n)| {
                !text.is_empty() && (*kind != SuggestionKind::Term || *n >= MIN_TERM_CASES)
            })
            .map(|((kind, text), n)| {
                let reading = match kind {
                    SuggestionKind::Term => readings
                        .get(&text)
                        .cloned()
                        .unwrap_or_else(|| fold_key(&text)),
                    _ => reading_of(&text),
                };
                let key = fold_key(&text);
                let key_chars: Vec<char> = key.chars().collect();
                let reading_chars: Vec<char> = reading.chars().collect();
                Entry {
                    key_mask: char_mask(&key_chars),
                    reading_mask: char_mask(&reading_chars),
                    key_chars,
                    reading_chars,
                    key,
                    reading,
                    suggestion: Suggestion {
                        text,
                        kind,
                        cases: n,
                    },
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(a.suggestion.kind.cmp(&b.suggestion.kind))
        });
        Suggester { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Up to `limit` completions of `prefix`: places first, then the most
    /// frequent words, then titles; spelling matches before reading ones.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Suggestion> {
        let key = fold_key(prefix);
        if key.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(u8, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| {
                if e.key.starts_with(&key) {
                    Some((0, e))
                } else if e.reading.starts_with(&key) {
                    Some((1, e))
                } else if e.suggestion.kind == SuggestionKind::Title && e.key.contains(&key) {
                    // Titles also complete from a word inside them.
                    Some((2, e))
                } else {
                    None
                }
            })
            .collect();
        found.sort_by(|(ma, a), (mb, b)| {
            ma.cmp(mb)
                .then(a.suggestion.kind.cmp(&b.suggestion.kind))
                .then(b.suggestion.cases.cmp(&a.suggestion.cases))
                .then(a.key.len().cmp(&b.key.len()))
                .then(a.key.cmp(&b.key))
        });
        let mut out: Vec<Suggestion> = Vec::with_capacity(limit);
        for (_, e) in found {
            if out.len() >= limit {
                break;
            }
            if !out.iter().any(|s| s.text == e.suggestion.text) {
                out.push(e.suggestion.clone());
            }
        }
        out
    }

    /// A word of the collection close to `query`, for "did you mean" on a
    /// search that found nothing: same reading (different spelling), or
    /// spelling or reading within a small edit distance. `None` when
    /// nothing is close or the query is already a known word.
    pub fn did_you_mean(&self, query: &str) -> Option<String> {
        let key = fold_key(query);
        let len = key.chars().count();
        // Entries are sorted by key: a known word is a binary search away.
        let known = self
            .entries
            .binary_search_by(|e| e.key.as_str().cmp(key.as_str()))
            .is_ok();
        if len < 2 || known {
            return None;
        }
        let max = (len / 3).max(1);
        let chars: Vec<char> = key.chars().collect();
        let mask = char_mask(&chars);
        self.entries
            .iter()
            .filter(|e| e.suggestion.kind != SuggestionKind::Title)
            .filter_map(|e| {
                // Lengths first: most words are too long or too short.
                let spelled = (e.key_chars.len().abs_diff(len) <= max
                    && masks_allow(e.key_mask, mask, max))
                .then(|| distance_within(&e.key_chars, &chars, max))
                .flatten();
                let read = (!e.reading.is_empty()
                    && e.reading_chars.len().abs_diff(len) <= max
                    && masks_allow(e.reading_mask, mask, max))
                .then(|| distance_within(&e.reading_chars, &chars, max))
                .flatten();
                let d = match (spelled, read) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(d), None) | (None, Some(d)) => d,
                    (None, None) => return None,
                };
                Some((d, e))
            })
            .min_by(|(da, a), (db, b)| {
                da.cmp(db)
                    .then(b.suggestion.cases.cmp(&a.suggestion.cases))
                    .then(a.key.cmp(&b.key))
            })
            .map(|(_, e)| e.suggestion.text.clone())
    }
}

#[cfg(test)]
mod distance_tests {
    use super::{char_mask, distance_within, masks_allow};

    /// The banded distance agrees with the full one whenever it answers,
    /// and answers exactly when the full one is within the bound.
    #[test]
    fn banded_distance_is_levenshtein_within_the_bound() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "改善",
            "改革",
            "改善運動",
            "運動改善",
            "カイゼン",
            "カイセン",
            "ゼンカイ",
            "首長交代",
            "首長",
            "kitten",
            "sitting",
            "行政経営",
            "行政計画",
        ];
        for a in words {
            for b in words {
                let full = strsim::levenshtein(a, b);
                let ac: Vec<char> = a.chars().collect();
                let bc: Vec<char> = b.chars().collect();
                for max in 0..4 {
                    let got = distance_within(&ac, &bc, max);
                    let want = (full <= max).then_some(full);
                    assert_eq!(got, want, "help: {a:?} vs {b:?}, max {max}");
                    // The mask test never rules out a word within reach.
                    if full <= max {
                        assert!(
                            masks_allow(char_mask(&ac), char_mask(&bc), max),
                            "help: masks of {a:?} and {b:?}, max {max}"
                        );
                    }
                }
            }
        }
    }
}
