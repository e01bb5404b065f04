//! Finding a query's needles in a text, and settling their hits by the
//! index's term counts: which are matches, which are none, which to check
//! by analysis.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::folded::{FoldedText, Range, merge};
use super::pattern::{Hits, Pattern, is_plain_kanji};
use crate::analysis::{
    AnalyzerKind, fold_char, is_fold_target, is_kana, is_normalized, may_become_kanji,
};

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
    /// Which texts hold the needles where their folded form does, at the
    /// same offsets, and are searched as they are.
    plain: Plain,
}

/// Which texts are searched as they are, not folded first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    /// Some needle has a character that folding makes from another.
    No,
    /// Every needle is written in characters that folding makes from no
    /// other ([`is_plain`]): a normalised text.
    Normalized,
    /// Every needle is plain kanji ([`is_plain_kanji`]): a text with no
    /// character that normalising turns into a kanji
    /// ([`may_become_kanji`]), normalised or not (a long-vowel mark,
    /// dropped after katakana only, never falls inside a run of kanji). Most stored texts are not normalised (full-width ！ and
    /// digits), so a kanji word would fold nearly every text otherwise.
    Kanji,
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
        let plain = if words.iter().all(|w| w.chars().all(is_plain_kanji)) {
            Plain::Kanji
        } else if words.iter().all(|w| w.chars().all(is_plain)) {
            Plain::Normalized
        } else {
            Plain::No
        };
        Needles {
            needles,
            automaton,
            plain,
        }
    }

    /// Where the needles occur in `text`: the exact matches, and the
    /// places to check by analysis. By `counts`, a needle's hits are
    /// dropped when the index holds a term of its pattern no time for the
    /// text, and a kanji noun's are matches when the index holds the term
    /// as many times as the text the needle.
    pub fn hits(&self, patterns: &[Pattern], text: &str, counts: &TermCounts) -> NeedleHits {
        // Needles are folded, so they are looked for in the folded text;
        // plain ones in a text as it is where that holds them alike
        // (folding a text costs more than searching it; figures in the
        // module header of `super`).
        let folded = match self.plain {
            Plain::Kanji if !text.chars().any(may_become_kanji) => None,
            plain => {
                let normalized = is_normalized(text);
                let as_is = plain != Plain::No && normalized;
                (!as_is).then(|| FoldedText::new(text, normalized))
            }
        };
        let haystack = folded.as_ref().map_or(text, |f| f.text.as_str());
        let mut out = NeedleHits::default();
        // The hits of needles that are not exact, to settle by the counts.
        let mut found: Vec<(usize, Range)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(haystack) {
            let i = m.pattern().as_usize();
            let range = match &folded {
                Some(f) => f.original(m.start(), m.end()),
                None => (m.start(), m.end()),
            };
            if self.needles[i].exact {
                out.matches.push(range);
            } else {
                found.push((i, range));
            }
        }
        let settled = self.settle(patterns, &found, counts);
        let mut unknown = Vec::new();
        for (i, range) in found {
            match settled[i] {
                Settled::Matches => out.matches.push(range),
                Settled::None => {}
                Settled::Unknown => unknown.push((i, range)),
            }
        }
        out.matches = merge(out.matches);
        // A pattern written as is matches exactly where its needle is: a
        // hit inside an exact match adds nothing to it, checked or not, so
        // its sentence is not analysed for it (赤 and シャツ where 赤シャツ
        // is written; per search over 10,000 cases, 赤シャツ 49.5 → 47.8 M
        // instructions, おれ 14.2 → 13.4 M).
        let inside = |r: Range| out.matches.iter().any(|m| m.0 <= r.0 && r.1 <= m.1);
        out.candidates = merge(
            unknown
                .into_iter()
                .filter(|&(i, r)| !(patterns[self.needles[i].pattern].as_written && inside(r)))
                .map(|(_, r)| r)
                .collect(),
        );
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

/// A character of a needle that a normalised text holds only as itself:
/// folding leaves it alone and makes it from no other character (no
/// kana, which hiragana and small kana fold into, no long-vowel mark,
/// which folding drops after katakana, no kanji a variant folds into).
fn is_plain(c: char) -> bool {
    !is_kana(c) && fold_char(c) == c && !is_fold_target(c)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::highlight::Matcher;
    use crate::query::parse;

    /// Plain needles are found in a normalised text as it is, exactly
    /// where and as often as in its folded form; anything else is folded.
    #[test]
    fn plain_needles_are_found_where_the_folded_text_holds_them() {
        let texts = [
            "山嵐と赤シャツ。山嵐は首長交代の後も改善を続けた。",
            "髙齢の方と高齢者の窓口。ｾﾝﾀｰとセンター、dna と ＤＮＡ。",
            "\u{2FB8}長交代（ｶﾅ）の改善。第三次計画、30年。",
            "山嵐！首長交代の後、３０年（改善）。清。",
            "",
        ];
        let queries = [
            "山嵐",
            "首長交代",
            "改善",
            "高齢",
            "dna",
            "30年",
            "センター",
            "清",
        ];
        let mut plain = Vec::new();
        for q in queries {
            let m = Matcher::new(&parse(q));
            let needles = m.needles();
            plain.push(needles.plain);
            let folded = Needles {
                plain: Plain::No,
                ..needles.clone()
            };
            for t in texts {
                let patterns = m.patterns();
                assert_eq!(
                    needles.hits(patterns, t, &no_counts),
                    folded.hits(patterns, t, &no_counts),
                    "{q} in {t}"
                );
            }
        }
        // 高 is what 髙 folds into; katakana what hiragana fold into.
        use Plain::*;
        assert_eq!(
            plain,
            [Kanji, Kanji, Kanji, No, Normalized, Normalized, No, Kanji]
        );
        for (c, want) in [
            ('山', true),
            ('a', true),
            ('3', true),
            ('高', false),
            ('ア', false),
        ] {
            assert_eq!(is_plain(c), want, "{c}");
        }
        assert!(!is_plain('ー') && !is_plain('か') && !is_plain('髙'));
    }
}
