//! Completion for the search box: case titles, municipality and prefecture
//! names, and the frequent content words of the collection, each matched by
//! its spelling or by its reading, so かい and カイ both complete 改善.
//!
//! An in-memory list, built from the indexed cases (a few thousand entries
//! even at 10k cases); rebuilt by whoever syncs the index. Matching is a
//! prefix test on folded keys (NFKC, lowercase, hiragana → katakana,
//! long-vowel marks dropped), so it needs no index of its own.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

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
    /// The entries a did-you-mean may offer (not titles), sorted by the
    /// length of their spelling, and by the length of their reading. A
    /// query is compared only with the words of about its length, not the
    /// whole list (on 10,000 cases the list is mostly titles and long
    /// words).
    by_key_len: Vec<ByLen>,
    by_reading_len: Vec<ByLen>,
}

/// An entry of a by-length list, with its character masks at hand: the
/// masks rule out most words of the right length, and reading them here
/// rather than from the entry spares a cache miss per word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ByLen {
    /// Length in characters (of the spelling or of the reading).
    len: u32,
    /// Index in `entries`.
    entry: u32,
    key_mask: u64,
    reading_mask: u64,
}

/// The words of `list` (sorted by length) of a length in `lens` whose
/// masks allow `k` edits from a word with `mask`.
fn near(
    list: &[ByLen],
    lens: std::ops::RangeInclusive<u32>,
    mask: u64,
    k: usize,
) -> impl Iterator<Item = &ByLen> {
    let from = list.partition_point(|b| b.len < *lens.start());
    let to = list.partition_point(|b| b.len <= *lens.end());
    list[from..to]
        .iter()
        .filter(move |b| masks_allow(b.key_mask, mask, k) || masks_allow(b.reading_mask, mask, k))
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
fn is_content_noun(pos: &str, sub: &str, surface: &str) -> bool {
    pos.starts_with("名詞")
        && !sub.contains("数")
        && !sub.contains("非自立")
        && !sub.contains("代名詞")
        && surface.chars().count() >= 2
        && surface.chars().any(|c| c.is_alphabetic())
}

/// What one case gives the completion list: its title and places, and its
/// content words, each once, with its reading (folded). Worked out once
/// per version of a case ([`SuggestCache`]).
#[derive(Debug, Clone, Default)]
pub struct CaseWords {
    words: Vec<(SuggestionKind, String, String)>,
}

impl CaseWords {
    pub fn of(case: &Case) -> CaseWords {
        let mut seen: HashMap<(SuggestionKind, String), String> = HashMap::new();
        for (kind, text) in [
            (SuggestionKind::Title, &case.title),
            (SuggestionKind::Municipality, &case.municipality),
            (SuggestionKind::Prefecture, &case.prefecture),
        ] {
            if !text.is_empty() {
                seen.insert((kind, text.clone()), reading_of(text));
            }
        }
        let texts = std::iter::once(case.title.as_str())
            .chain(case.narrative().map(|(_, t)| t))
            .chain(case.tags.iter().map(String::as_str));
        let morph = analysis::analyzer();
        for text in texts {
            morph.words(text, |surface, pos, sub, reading| {
                if !is_content_noun(pos, sub, surface) {
                    return;
                }
                let surface = analysis::nfkc(surface);
                if !surface.is_empty() {
                    seen.entry((SuggestionKind::Term, surface))
                        .or_insert_with_key(|(_, s)| {
                            if reading.is_empty() {
                                fold_key(s)
                            } else {
                                fold_key(reading)
                            }
                        });
                }
            });
        }
        let mut words: Vec<(SuggestionKind, String, String)> = seen
            .into_iter()
            .map(|((kind, text), reading)| (kind, text, reading))
            .collect();
        words.sort_unstable();
        CaseWords { words }
    }
}

/// Each case's [`CaseWords`] by id and content hash: a rebuild after an
/// edit analyses only the cases that changed (analysing all 10,000 cases
/// again took seconds).
#[derive(Debug, Default)]
pub struct SuggestCache {
    by_id: HashMap<String, (String, Arc<CaseWords>)>,
}

impl SuggestCache {
    /// The list for the cases of `versions` (id, content hash of its
    /// file); `load` reads a case whose words are not known for that hash
    /// (after an edit, only the edited cases are read and analysed). A case
    /// `load` cannot give is left out until the next rebuild.
    pub fn rebuild(
        &mut self,
        versions: &[(String, String)],
        load: impl Fn(&str) -> Option<Case> + Sync,
    ) -> Suggester {
        let stale: Vec<&(String, String)> = versions
            .iter()
            .filter(|(id, hash)| self.by_id.get(id).is_none_or(|(h, _)| h != hash))
            .collect();
        let fresh: Vec<(String, String, Arc<CaseWords>)> = stale
            .par_iter()
            .filter_map(|(id, hash)| {
                let words = CaseWords::of(&load(id)?);
                Some((id.clone(), hash.clone(), Arc::new(words)))
            })
            .collect();
        for (id, hash, words) in fresh {
            self.by_id.insert(id, (hash, words));
        }
        let ids: HashSet<&str> = versions.iter().map(|(id, _)| id.as_str()).collect();
        self.by_id.retain(|id, _| ids.contains(id.as_str()));
        let mut ordered: Vec<(&String, &Arc<CaseWords>)> =
            self.by_id.iter().map(|(id, (_, w))| (id, w)).collect();
        ordered.sort_by(|a, b| a.0.cmp(b.0));
        Suggester::from_words(ordered.into_iter().map(|(_, w)| &**w))
    }
}

impl Suggester {
    /// Builds the list from every case.
    pub fn build(cases: &[Case]) -> Suggester {
        let words: Vec<CaseWords> = cases.par_iter().map(CaseWords::of).collect();
        Suggester::from_words(&words)
    }

    /// The list from what each case gives; a word's reading is the one of
    /// the first case that has it.
    pub fn from_words<'a>(cases: impl IntoIterator<Item = &'a CaseWords>) -> Suggester {
        let mut counts: HashMap<(SuggestionKind, &str), (u32, &str)> = HashMap::new();
        for case in cases {
            for (kind, text, reading) in &case.words {
                counts
                    .entry((*kind, text.as_str()))
                    .or_insert((0, reading.as_str()))
                    .0 += 1;
            }
        }
        let mut entries: Vec<Entry> = counts
            .into_iter()
            .filter(|((kind, text), (n, _))| {
                !text.is_empty() && (*kind != SuggestionKind::Term || *n >= MIN_TERM_CASES)
            })
            .map(|((kind, text), (n, reading))| {
                let key = fold_key(text);
                let key_chars: Vec<char> = key.chars().collect();
                let reading_chars: Vec<char> = reading.chars().collect();
                Entry {
                    key_mask: char_mask(&key_chars),
                    reading_mask: char_mask(&reading_chars),
                    key_chars,
                    reading_chars,
                    key,
                    reading: reading.to_owned(),
                    suggestion: Suggestion {
                        text: text.to_owned(),
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
        let by_len = |chars: fn(&Entry) -> &[char]| {
            let mut out: Vec<ByLen> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.suggestion.kind != SuggestionKind::Title)
                .filter(|(_, e)| !chars(e).is_empty())
                .map(|(i, e)| ByLen {
                    len: chars(e).len() as u32,
                    entry: i as u32,
                    key_mask: e.key_mask,
                    reading_mask: e.reading_mask,
                })
                .collect();
            out.sort_unstable();
            out
        };
        let by_key_len = by_len(|e| &e.key_chars);
        let by_reading_len = by_len(|e| &e.reading_chars);
        Suggester {
            entries,
            by_key_len,
            by_reading_len,
        }
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
        // The words whose spelling or reading is within `max` characters
        // of the query's length and whose masks allow `max` edits. A word
        // in both lists is compared twice, to the same effect.
        let (lo, hi) = (len.saturating_sub(max) as u32, (len + max) as u32);
        let mask = char_mask(&chars);
        let within = |list| near(list, lo..=hi, mask, max);
        let candidates = within(&self.by_key_len).chain(within(&self.by_reading_len));
        closest(
            candidates.map(|b| (b.entry, &self.entries[b.entry as usize])),
            &chars,
            max,
        )
    }
}

/// Of `entries` (with their indices in the list), the one whose spelling
/// or reading is fewest edits (at most `max`) from `query`; among equals
/// the one in most cases, then the first in the list (by key).
fn closest<'a>(
    entries: impl Iterator<Item = (u32, &'a Entry)>,
    query: &[char],
    max: usize,
) -> Option<String> {
    let mask = char_mask(query);
    entries
        .filter_map(|(i, e)| {
            // The masks first; the distance tells lengths too far apart
            // before computing anything.
            let spelled = masks_allow(e.key_mask, mask, max)
                .then(|| distance_within(&e.key_chars, query, max))
                .flatten();
            let read = (!e.reading.is_empty() && masks_allow(e.reading_mask, mask, max))
                .then(|| distance_within(&e.reading_chars, query, max))
                .flatten();
            let d = match (spelled, read) {
                (Some(a), Some(b)) => a.min(b),
                (Some(d), None) | (None, Some(d)) => d,
                (None, None) => return None,
            };
            Some((d, i, e))
        })
        .min_by(|(da, ia, a), (db, ib, b)| {
            da.cmp(db)
                .then(b.suggestion.cases.cmp(&a.suggestion.cases))
                .then(ia.cmp(ib))
        })
        .map(|(_, _, e)| e.suggestion.text.clone())
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::eval::Corpus;

    fn view(s: &Suggester) -> Vec<(String, SuggestionKind, u32, String, String)> {
        s.entries
            .iter()
            .map(|e| {
                (
                    e.suggestion.text.clone(),
                    e.suggestion.kind,
                    e.suggestion.cases,
                    e.key.clone(),
                    e.reading.clone(),
                )
            })
            .collect()
    }

    fn fresh(cases: &[(Case, String)]) -> Suggester {
        let cases: Vec<Case> = cases.iter().map(|(c, _)| c.clone()).collect();
        Suggester::build(&cases)
    }

    /// A rebuild of `cases` (case, hash), reading them from memory.
    fn rebuild(cache: &mut SuggestCache, cases: &[(Case, String)]) -> Suggester {
        let versions: Vec<(String, String)> = cases
            .iter()
            .map(|(c, h)| (c.id.clone(), h.clone()))
            .collect();
        let by_id: HashMap<&str, &Case> = cases.iter().map(|(c, _)| (c.id.as_str(), c)).collect();
        cache.rebuild(&versions, |id| by_id.get(id).map(|c| (*c).clone()))
    }

    #[test]
    fn a_rebuild_after_edits_equals_a_build_from_scratch() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let corpus = Corpus::build(&[root.join("cases")]).expect("corpus indexes");
        let hashes: HashMap<String, String> =
            corpus.index.versions().unwrap().into_iter().collect();
        let mut cases: Vec<(Case, String)> = corpus
            .index
            .all_cases()
            .unwrap()
            .into_iter()
            .map(|c| {
                let hash = hashes[&c.id].clone();
                (c, hash)
            })
            .collect();
        let mut cache = SuggestCache::default();
        let first = rebuild(&mut cache, &cases);
        assert_eq!(view(&first), view(&fresh(&cases)));
        // As the server rebuilds it: versions from the index's columns,
        // cases read from the index.
        let from_index = SuggestCache::default().rebuild(&corpus.index.versions().unwrap(), |id| {
            corpus.index.get(id).ok().flatten()
        });
        assert_eq!(view(&from_index), view(&first));
        assert!(first.len() > 50, "{}", first.len());
        // Completes by reading.
        assert!(
            first
                .suggest("かいぜん", 10)
                .iter()
                .any(|s| s.text.contains("改善")),
            "{:?}",
            first.suggest("かいぜん", 10)
        );

        // One case edited (new hash), one removed.
        cases[0].0.title = "窓口ワンストップ化の試行".into();
        cases[0].1 = "edited".into();
        cases.pop();
        let again = rebuild(&mut cache, &cases);
        assert_eq!(view(&again), view(&fresh(&cases)));
        assert!(
            again
                .suggest("まどぐち", 10)
                .iter()
                .any(|s| s.text == "窓口ワンストップ化の試行"),
            "{:?}",
            again.suggest("まどぐち", 10)
        );
        // An edit the cache did not hear of (same hash) is not re-read:
        // the hash is what tells a changed case.
        cases[0].0.title = "別の題".into();
        let stale = rebuild(&mut cache, &cases);
        assert!(stale.suggest("別の題", 5).is_empty());
    }

    /// Looking only at the words of about the query's length offers what
    /// comparing the query with every word (but titles) offers.
    #[test]
    fn did_you_mean_by_length_equals_a_scan_of_every_word() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let corpus = Corpus::build(&[root.join("cases")]).expect("corpus indexes");
        let s = Suggester::build(&corpus.index.all_cases().unwrap());
        let scan = |query: &str| {
            let key = fold_key(query);
            let chars: Vec<char> = key.chars().collect();
            let known = s.entries.iter().any(|e| e.key == key);
            if chars.len() < 2 || known {
                return None;
            }
            let words = (0..)
                .zip(&s.entries)
                .filter(|(_, e)| e.suggestion.kind != SuggestionKind::Title);
            closest(words, &chars, (chars.len() / 3).max(1))
        };
        // Each word of the list misspelled: a character changed, dropped,
        // doubled; and its reading in hiragana with one changed.
        let mut queries: Vec<String> = vec!["かいぜｎ".into(), "しょくいんていあ".into()];
        for e in s
            .entries
            .iter()
            .filter(|e| e.suggestion.kind != SuggestionKind::Title)
        {
            let c: Vec<char> = e.suggestion.text.chars().collect();
            let n = c.len();
            queries.push(c[..n - 1].iter().chain(['の'].iter()).collect());
            queries.push(c[1..].iter().collect());
            queries.push(c.iter().chain(c.last()).collect());
            let r: String = e.reading.chars().skip(1).collect();
            queries.push(format!("あ{r}"));
        }
        let mut offered = 0;
        for q in &queries {
            let got = s.did_you_mean(q);
            assert_eq!(got, scan(q), "{q}");
            offered += usize::from(got.is_some());
        }
        assert!(
            offered > queries.len() / 4,
            "{offered} of {}",
            queries.len()
        );
    }
}
