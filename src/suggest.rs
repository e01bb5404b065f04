//! Completion for the search box: case titles, municipality and prefecture
//! names, and the frequent content words of the collection, each matched by
//! its spelling or by its reading, so かい and カイ both complete 改善; and
//! "did you mean" for a search that found nothing.
//!
//! Owns the words and how they match; knows nothing of tantivy. What each
//! case gives is worked out once, when the case is indexed, and kept in the
//! index as terms: its title and places ([`CaseWords::terms`]) and the
//! content nouns of its texts ([`noun_terms`], from the segmentation that
//! indexes those texts, so no second one). The index's term dictionary
//! then holds the whole list with each word's number of cases, maintained
//! incrementally by every commit and versioned with the schema, so a
//! server start reads the list instead of analysing every case again.
//! Matching is a prefix test on folded keys (NFKC, lowercase, hiragana →
//! katakana, long-vowel marks dropped), so it needs no index of its own.

use std::collections::HashMap;

use rayon::prelude::*;

use serde::Serialize;

use crate::analysis::{self, Noun, fold_char};
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
    /// Lengths of `key` and `reading` in characters.
    key_len: u32,
    reading_len: u32,
    /// Which characters `key` and `reading` contain ([`char_mask`]).
    key_mask: u64,
    reading_mask: u64,
}

/// A 64-bit set of the characters of a word (each hashed to a bit). Of two
/// words within `k` edits, each has at most `k` characters the other lacks,
/// so at most `k` bits the other lacks: a test that rules out most of a
/// large completion list before any edit distance (a shared bit can be two
/// characters: the test only ever lets too many through).
fn char_mask(word: &str) -> u64 {
    word.chars().fold(0, |m, c| {
        m | 1 << ((c as u32).wrapping_mul(0x9E37_79B1) >> 26)
    })
}

/// Whether two words with these masks may be within `k` edits.
fn masks_allow(a: u64, b: u64, k: usize) -> bool {
    (a & !b).count_ones() as usize <= k && (b & !a).count_ones() as usize <= k
}

/// The edit distance (Levenshtein, in characters) between `a` and `b` if
/// it is at most `max`, else `None`. A length difference above `max` needs
/// no computing; the masks ([`masks_allow`]) have already ruled out most
/// words, so the few left are compared in full.
fn distance_within(a: &str, a_len: usize, b: &str, b_len: usize, max: usize) -> Option<usize> {
    if a_len.abs_diff(b_len) > max {
        return None;
    }
    let d = strsim::levenshtein(a, b);
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

/// What one case gives the completion list: its title and places, and the
/// content nouns of its title, tags and sections, each once, with its
/// reading (folded; of several, the smallest, as in the index).
#[derive(Debug, Clone, Default)]
pub struct CaseWords {
    words: Vec<(SuggestionKind, String, String)>,
}

/// The folded reading of a noun: its surface when the dictionary has none.
fn noun_reading(noun: &Noun) -> String {
    if noun.reading.is_empty() {
        fold_key(&noun.surface)
    } else {
        fold_key(&noun.reading)
    }
}

impl CaseWords {
    /// The title and places of a case: what the index keeps as whole
    /// terms ([`CaseWords::terms`]).
    pub fn places(case: &Case) -> CaseWords {
        let mut words: Vec<(SuggestionKind, String, String)> = [
            (SuggestionKind::Title, &case.title),
            (SuggestionKind::Municipality, &case.municipality),
            (SuggestionKind::Prefecture, &case.prefecture),
        ]
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(kind, text)| (kind, text.clone(), reading_of(text)))
        .collect();
        words.sort_unstable();
        words.dedup();
        CaseWords { words }
    }

    /// Everything a case gives, analysing its texts here: the list the
    /// index keeps, worked out from the cases themselves.
    pub fn of(case: &Case) -> CaseWords {
        let mut words = CaseWords::places(case).words;
        let tags = case.tags.join(" ");
        let texts = std::iter::once(case.title.as_str())
            .chain(std::iter::once(tags.as_str()))
            .chain(case.narrative().map(|(_, t)| t));
        let mut nouns: HashMap<String, String> = HashMap::new();
        for text in texts {
            for noun in analysis::analyzer().analyze(text).nouns {
                let reading = noun_reading(&noun);
                nouns
                    .entry(noun.surface)
                    .and_modify(|r| {
                        if reading < *r {
                            r.clone_from(&reading);
                        }
                    })
                    .or_insert(reading);
            }
        }
        words.extend(
            nouns
                .into_iter()
                .map(|(surface, reading)| (SuggestionKind::Term, surface, reading)),
        );
        words.sort_unstable();
        CaseWords { words }
    }
}

/// Separates spelling and reading in a term (neither contains it: both
/// are NFKC text of case files, which hold no control characters).
const TERM_SEP: char = '\u{1f}';

impl SuggestionKind {
    /// One letter per kind, first in a term.
    fn code(self) -> char {
        match self {
            SuggestionKind::Municipality => 'm',
            SuggestionKind::Prefecture => 'p',
            SuggestionKind::Term => 'w',
            SuggestionKind::Title => 't',
        }
    }

    fn of_code(c: char) -> Option<SuggestionKind> {
        Some(match c {
            'm' => SuggestionKind::Municipality,
            'p' => SuggestionKind::Prefecture,
            'w' => SuggestionKind::Term,
            't' => SuggestionKind::Title,
            _ => return None,
        })
    }
}

/// First in a term that gives a content noun's reading, not its cases:
/// one noun can be read two ways in one case, and the case must still
/// count once.
const READING_CODE: char = 'y';

fn encode(code: char, text: &str, reading: Option<&str>) -> String {
    let reading = reading.unwrap_or_default();
    let mut term = String::with_capacity(2 + text.len() + reading.len());
    term.push(code);
    term.push_str(text);
    if !reading.is_empty() {
        term.push(TERM_SEP);
        term.push_str(reading);
    }
    term
}

impl CaseWords {
    /// Each word as one index term (kind, spelling, reading): a term's
    /// document frequency is then the number of cases the word occurs in.
    pub fn terms(&self) -> impl Iterator<Item = String> + '_ {
        self.words
            .iter()
            .map(|(kind, text, reading)| encode(kind.code(), text, Some(reading)))
    }
}

/// The index terms of the content nouns of one text: per noun, one term
/// whose document frequency is the number of cases it occurs in, and one
/// giving its reading.
pub fn noun_terms(nouns: Vec<Noun>) -> impl Iterator<Item = String> {
    nouns.into_iter().flat_map(|noun| {
        let reading = noun_reading(&noun);
        [
            encode(SuggestionKind::Term.code(), &noun.surface, None),
            encode(READING_CODE, &noun.surface, Some(&reading)),
        ]
    })
}

/// A term of [`CaseWords::terms`] or [`noun_terms`] back as (kind,
/// spelling, reading, whether its cases count); `None` for anything else.
fn decode(term: &str) -> Option<(SuggestionKind, &str, Option<&str>, bool)> {
    let mut chars = term.chars();
    let code = chars.next()?;
    let rest = chars.as_str();
    if code == READING_CODE {
        let (text, reading) = rest.split_once(TERM_SEP)?;
        return Some((SuggestionKind::Term, text, Some(reading), false));
    }
    let kind = SuggestionKind::of_code(code)?;
    Some(match rest.split_once(TERM_SEP) {
        Some((text, reading)) => (kind, text, Some(reading), true),
        None => (kind, rest, None, true),
    })
}

/// Per (kind, spelling): cases, and the reading kept for it.
type Counts<'a> = HashMap<(SuggestionKind, &'a str), (u32, Option<&'a str>)>;

/// Adds `n` cases of a word; of several readings of one spelling the
/// smallest is kept, so the list does not depend on the order it is read.
fn count<'a>(
    counts: &mut Counts<'a>,
    kind: SuggestionKind,
    text: &'a str,
    reading: Option<&'a str>,
    n: u32,
) {
    let entry = counts.entry((kind, text)).or_insert((0, reading));
    entry.0 += n;
    entry.1 = match (entry.1, reading) {
        (Some(kept), Some(new)) => Some(kept.min(new)),
        (kept, new) => kept.or(new),
    };
}

impl Suggester {
    /// Builds the list from every case.
    pub fn build(cases: &[Case]) -> Suggester {
        let words: Vec<CaseWords> = cases.par_iter().map(CaseWords::of).collect();
        Suggester::from_words(&words)
    }

    /// The list from what each case gives.
    pub fn from_words<'a>(cases: impl IntoIterator<Item = &'a CaseWords>) -> Suggester {
        let mut counts = Counts::new();
        for case in cases {
            for (kind, text, reading) in &case.words {
                count(&mut counts, *kind, text, Some(reading), 1);
            }
        }
        Suggester::from_counts(counts)
    }

    /// The list from the index's terms ([`CaseWords::terms`]) with the
    /// number of cases holding each; terms that are not ours are skipped.
    pub fn from_terms<'a>(terms: impl IntoIterator<Item = (&'a str, u32)>) -> Suggester {
        let mut counts = Counts::new();
        for (term, n) in terms {
            if let Some((kind, text, reading, counted)) = decode(term) {
                count(
                    &mut counts,
                    kind,
                    text,
                    reading,
                    if counted { n } else { 0 },
                );
            }
        }
        Suggester::from_counts(counts)
    }

    fn from_counts(counts: Counts<'_>) -> Suggester {
        let mut entries: Vec<Entry> = counts
            .into_iter()
            .filter(|((kind, text), (n, _))| {
                !text.is_empty() && (*kind != SuggestionKind::Term || *n >= MIN_TERM_CASES)
            })
            .map(|((kind, text), (n, reading))| {
                let reading = reading.unwrap_or_default();
                let key = fold_key(text);
                Entry {
                    key_mask: char_mask(&key),
                    reading_mask: char_mask(reading),
                    key_len: key.chars().count() as u32,
                    reading_len: reading.chars().count() as u32,
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
        let by_len = |len: fn(&Entry) -> u32| {
            let mut out: Vec<ByLen> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.suggestion.kind != SuggestionKind::Title)
                .filter(|(_, e)| len(e) > 0)
                .map(|(i, e)| ByLen {
                    len: len(e),
                    entry: i as u32,
                    key_mask: e.key_mask,
                    reading_mask: e.reading_mask,
                })
                .collect();
            out.sort_unstable();
            out
        };
        let by_key_len = by_len(|e| e.key_len);
        let by_reading_len = by_len(|e| e.reading_len);
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
        // The words whose spelling or reading is within `max` characters
        // of the query's length and whose masks allow `max` edits. A word
        // in both lists is compared twice, to the same effect.
        let (lo, hi) = (len.saturating_sub(max) as u32, (len + max) as u32);
        let mask = char_mask(&key);
        let within = |list| near(list, lo..=hi, mask, max);
        let candidates = within(&self.by_key_len).chain(within(&self.by_reading_len));
        closest(
            candidates.map(|b| (b.entry, &self.entries[b.entry as usize])),
            &key,
            max,
        )
    }
}

/// Of `entries` (with their indices in the list), the one whose spelling
/// or reading is fewest edits (at most `max`) from `query`; among equals
/// the one in most cases, then the first in the list (by key).
fn closest<'a>(
    entries: impl Iterator<Item = (u32, &'a Entry)>,
    query: &str,
    max: usize,
) -> Option<String> {
    let mask = char_mask(query);
    let len = query.chars().count();
    entries
        .filter_map(|(i, e)| {
            // The masks first; the distance tells lengths too far apart
            // before computing anything.
            let spelled = masks_allow(e.key_mask, mask, max)
                .then(|| distance_within(&e.key, e.key_len as usize, query, len, max))
                .flatten();
            let read = (!e.reading.is_empty() && masks_allow(e.reading_mask, mask, max))
                .then(|| distance_within(&e.reading, e.reading_len as usize, query, len, max))
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

    /// The bounded distance agrees with the full one whenever it answers,
    /// and answers exactly when the full one is within the bound.
    #[test]
    fn bounded_distance_is_levenshtein_within_the_bound() {
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
                let (al, bl) = (a.chars().count(), b.chars().count());
                for max in 0..4 {
                    let got = distance_within(a, al, b, bl, max);
                    let want = (full <= max).then_some(full);
                    assert_eq!(got, want, "help: {a:?} vs {b:?}, max {max}");
                    // The mask test never rules out a word within reach.
                    if full <= max {
                        assert!(
                            masks_allow(char_mask(a), char_mask(b), max),
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

    /// The list kept in the index (its terms, counted over live cases)
    /// is the list built from the cases themselves, also after a case is
    /// edited and another removed (their old versions are deleted but not
    /// yet merged away).
    #[test]
    fn the_list_kept_in_the_index_is_the_list_of_its_cases() {
        let (dir, cases) = crate::case::edit::tests_support::bundled_cases_copy();
        let index = crate::index::CaseIndex::open(&dir.path().join("index")).unwrap();
        index.sync(&cases).unwrap();
        let kept = index.suggester().unwrap();
        let built = Suggester::build(&index.all_cases().unwrap());
        assert_eq!(view(&kept), view(&built));
        assert!(kept.len() > 50, "{}", kept.len());
        // Completes by reading.
        assert!(
            kept.suggest("かいぜん", 10)
                .iter()
                .any(|s| s.text.contains("改善")),
            "{:?}",
            kept.suggest("かいぜん", 10)
        );

        // One case's title edited, another case removed.
        let edited = cases.join("mie-sawayaka-undo.md");
        let text = std::fs::read_to_string(&edited).unwrap();
        let title_line = text.lines().find(|l| l.starts_with("title")).unwrap();
        std::fs::write(
            &edited,
            text.replace(title_line, "title = \"窓口ワンストップ化の試行\""),
        )
        .unwrap();
        let removed = index
            .all_cases()
            .unwrap()
            .into_iter()
            .find(|c| c.id == "fukuoka-dna-undo")
            .unwrap();
        std::fs::remove_file(cases.join("fukuoka-dna-undo.md")).unwrap();
        let report = index.sync(&cases).unwrap();
        assert_eq!((report.updated, report.removed), (1, 1), "{report:?}");
        let kept = index.suggester().unwrap();
        assert_eq!(
            view(&kept),
            view(&Suggester::build(&index.all_cases().unwrap()))
        );
        assert!(
            kept.suggest("まどぐち", 10)
                .iter()
                .any(|s| s.text == "窓口ワンストップ化の試行"),
            "{:?}",
            kept.suggest("まどぐち", 10)
        );
        assert!(
            kept.suggest(&removed.title, 10)
                .iter()
                .all(|s| s.text != removed.title)
        );
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
            let len = key.chars().count();
            let known = s.entries.iter().any(|e| e.key == key);
            if len < 2 || known {
                return None;
            }
            let words = (0..)
                .zip(&s.entries)
                .filter(|(_, e)| e.suggestion.kind != SuggestionKind::Title);
            closest(words, &key, (len / 3).max(1))
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
