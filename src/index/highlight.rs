//! Highlighting and snippets, in characters, for every kind of match.
//!
//! tantivy's snippet generator highlights only the terms of one field; our
//! matches come from three analyzers (a bigram substring, a reading match
//! whose highlight must cover the kanji word). So we re-analyse the stored
//! text of a hit with the same chain, find the query's term sequences in
//! each analysis, and map them back to original character offsets
//! (JAPANESE-SEARCH.md #8: never bytes).

use serde::Serialize;

use std::collections::HashMap;

use super::query::{Atom, UserQuery};
use crate::analysis::{Analysis, AnalyzerKind, Term, query_terms};

/// The term sequences of a query, per analyzer.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<(AnalyzerKind, Vec<String>)>,
}

/// Whether a word is written in kana only, so its reading is what the user
/// means (かいぜん → 改善). A kanji word's reading would match homophones.
pub fn is_kana_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}'))
}

impl Matcher {
    pub fn new(query: &UserQuery) -> Matcher {
        Matcher::from_atoms(query.positive_atoms().map(|atom| {
            let text = atom.text();
            (
                atom,
                query_terms(AnalyzerKind::Morph, text),
                query_terms(AnalyzerKind::Ngram, text),
            )
        }))
    }

    /// From atoms already analysed (atom, morph terms, n-gram terms): the
    /// search has just analysed every query word to build its query.
    pub(crate) fn from_atoms<'a>(
        atoms: impl IntoIterator<Item = (&'a Atom, Vec<String>, Vec<String>)>,
    ) -> Matcher {
        let mut patterns = Vec::new();
        for (atom, morph, ngram) in atoms {
            let text = atom.text();
            match atom {
                Atom::Word(_) => {
                    patterns.extend(morph.into_iter().map(|t| (AnalyzerKind::Morph, vec![t])))
                }
                Atom::Phrase(_) if !morph.is_empty() => patterns.push((AnalyzerKind::Morph, morph)),
                Atom::Phrase(_) => {}
            }
            if !ngram.is_empty() {
                patterns.push((AnalyzerKind::Ngram, ngram));
            }
            if is_kana_word(text) && text.chars().count() > 1 {
                let reading = crate::analysis::kana_bigrams(text);
                if !reading.is_empty() {
                    patterns.push((AnalyzerKind::Reading, reading));
                }
            }
        }
        Matcher { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Byte ranges of `text` that match, sorted and merged. The text is
    /// analysed once; a sequence matches by positions, so a compound's
    /// parts (indexed at the compound's positions) match too.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let analysis = Analysis::of(text);
        let mut out = Vec::new();
        for kind in AnalyzerKind::ALL {
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
                        out.push((t.start, end));
                    }
                }
            }
        }
        merge(out)
    }
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

/// The best fragment of about `width` characters: the window with the most
/// matches, started at a sentence boundary when one is near.
pub fn snippet(text: &str, ranges: &[(usize, usize)], width: usize) -> Snippet {
    let text = text.trim();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let to_char = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    let marks: Vec<(usize, usize)> = ranges
        .iter()
        .filter(|(s, e)| *e <= text.len() && s < e)
        .map(|&(s, e)| (to_char(s), to_char(e)))
        .collect();

    let mut start = 0;
    if n > width && !marks.is_empty() {
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
        let anchor = best.1;
        // Back up to the start of the sentence, but keep the match in view.
        let lead = width / 4;
        let floor = anchor.saturating_sub(lead);
        start = (floor..anchor)
            .rev()
            .find(|&i| i > 0 && matches!(chars[i - 1].1, '。' | '\n' | '！' | '？'))
            .unwrap_or(floor);
        start = start.min(n.saturating_sub(width));
    }
    let end = (start + width).min(n);
    let fragment: String = chars[start..end].iter().map(|(_, c)| c).collect();
    let marks = marks
        .into_iter()
        .filter(|&(s, e)| s >= start && e <= end)
        .map(|(s, e)| (s - start, e - start))
        .collect();
    Snippet {
        text: fragment.replace('\n', " "),
        marks,
        cut_start: start > 0,
        cut_end: end < n,
    }
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
