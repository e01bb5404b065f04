//! Finding a query's needles in a text, and settling their hits by the
//! index's term counts: which are matches, which are none, which to check
//! by analysis.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::folded::{FoldedText, Range, merge};
use super::pattern::{Hits, Pattern};
use crate::analysis::{AnalyzerKind, is_normalized};

/// How many times the index holds a term for a text, by the analyzer
/// that made it (`None`: not known).
pub type TermCounts<'a> = dyn Fn(AnalyzerKind, &str) -> Option<u32> + 'a;

/// Counts of nothing: every candidate is checked by analysis.
pub fn no_counts(_: AnalyzerKind, _: &str) -> Option<u32> {
    None
}

/// A string to look for, standing for one pattern.
#[derive(Debug, Clone)]
struct Needle {
    /// Index of the pattern in the matcher.
    pattern: usize,
    /// Whether its hits are the pattern's matches.
    exact: bool,
}

/// Every needle of a query, found in one pass.
#[derive(Debug, Clone)]
pub(super) struct Needles {
    needles: Vec<Needle>,
    /// Every occurrence of every needle, overlapping ones included.
    automaton: AhoCorasick,
}

/// Needle hits of a text: byte ranges, sorted and merged.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct NeedleHits {
    /// Matches, as they are.
    pub matches: Vec<Range>,
    /// Places to check by analysis.
    pub candidates: Vec<Range>,
}

/// What the index's counts say of a needle's hits in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// Every hit is a match.
    Matches,
    /// No hit is (the index holds a term of the pattern no time).
    None,
    /// Each hit's sentence is to be analysed.
    Unknown,
}

impl Needles {
    /// The needles of `patterns` not covered by others, then their
    /// numbers spelled in kanji, then the kana words of readings as
    /// typed (places to check, never settled as matches).
    pub fn new(patterns: &[Pattern]) -> Needles {
        let mut words: Vec<&str> = Vec::new();
        let mut needles = Vec::new();
        for (p, pat) in patterns.iter().enumerate() {
            if let (Some(n), false) = (&pat.needle, pat.hits == Hits::Covered) {
                words.push(n);
                needles.push(Needle {
                    pattern: p,
                    exact: pat.hits == Hits::Matches,
                });
            }
        }
        for (p, pat) in patterns.iter().enumerate() {
            for w in pat.spellings.iter().chain(&pat.spelled) {
                words.push(w);
                needles.push(Needle {
                    pattern: p,
                    exact: false,
                });
            }
        }
        // Built per search and run over a page of short texts: a
        // contiguous NFA builds in a fraction of a DFA's time and searches
        // a few kilobytes about as fast.
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&words)
            .expect("needles are short strings, far below the automaton's limits");
        Needles { needles, automaton }
    }

    /// Where the needles occur in `text`: the exact matches, and the
    /// places to check by analysis. By `counts`, a needle's hits are
    /// dropped when the index holds a term of its pattern no time for the
    /// text, and a kanji noun's are matches when the index holds the term
    /// as many times as the text the needle.
    pub fn hits(&self, patterns: &[Pattern], text: &str, counts: &TermCounts) -> NeedleHits {
        // Needles are folded, so they are looked for in the folded text.
        // (Searching a text as it is when every needle is a kanji that
        // folding leaves alone saved 2 % of a search: not worth the
        // check over every character that folds into a kanji.)
        let folded = FoldedText::new(text, is_normalized(text));
        let mut out = NeedleHits::default();
        // The hits of needles that are not exact, to settle by the counts.
        let mut found: Vec<(usize, Range)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(&folded.text) {
            let i = m.pattern().as_usize();
            let range = folded.original(m.start(), m.end());
            if self.needles[i].exact {
                out.matches.push(range);
            } else {
                found.push((i, range));
            }
        }
        let settled = self.settle(patterns, &found, counts);
        for (i, range) in found {
            match settled[i] {
                Settled::Matches => out.matches.push(range),
                Settled::None => {}
                Settled::Unknown => out.candidates.push(range),
            }
        }
        out.matches = merge(out.matches);
        out.candidates = merge(out.candidates);
        out
    }

    /// Per needle, what its hits `found` are.
    fn settle(
        &self,
        patterns: &[Pattern],
        found: &[(usize, Range)],
        counts: &TermCounts,
    ) -> Vec<Settled> {
        let mut written = vec![0u32; self.needles.len()];
        for &(i, _) in found {
            written[i] += 1;
        }
        self.needles
            .iter()
            .zip(written)
            .map(|(needle, written)| {
                let pattern = &patterns[needle.pattern];
                if written == 0 {
                    return Settled::Unknown;
                }
                if pattern.countable {
                    return match counts(AnalyzerKind::Morph, &pattern.terms[0]) {
                        Some(0) => Settled::None,
                        Some(n) if n == written => Settled::Matches,
                        _ => Settled::Unknown,
                    };
                }
                if absent(pattern, counts) {
                    Settled::None
                } else {
                    Settled::Unknown
                }
            })
            .collect()
    }
}

/// Whether the index holds one of a pattern's terms no time for the text:
/// then the pattern has no match there. Not asked of a one-character
/// n-gram pattern, which matches the bigrams starting with it rather than
/// a term of its own.
pub(super) fn absent(pattern: &Pattern, counts: &TermCounts) -> bool {
    pattern.one_char().is_none()
        && pattern
            .terms
            .iter()
            .any(|t| counts(pattern.kind, t) == Some(0))
}
