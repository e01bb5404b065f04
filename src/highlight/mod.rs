//! Highlighting and snippets, in characters, for every kind of match.
//!
//! Owns finding a query's matches in a stored text and cutting the
//! fragment to show. Uses the analysis chain, never tantivy: what the
//! index knows of a text comes in as [`TermCounts`]. Must not read the
//! index or depend on `index` or `web`.
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
//! a match are analysed: every morphological or n-gram [`pattern`] has a
//! *needle*, a folded string that any match of it contains, and one pass
//! of an automaton over the folded text finds the sentences worth
//! segmenting ([`needles`]). Some needles need no segmenting at all: the
//! n-gram pattern of a word is the word itself, so its needle's hits are
//! its matches; and a noun's morphological matches are among them.
//! Patterns without a needle (a kana query's reading, which the kanji text
//! does not spell) are looked for where the kana word is written as
//! typed, then in the other sentences until one is found; the fragment
//! shown then has every match inside it marked
//! ([`Matcher::snippet_counted`]).
//!
//! Needles are folded, and looked for in the folded text; a query whose
//! needles are all plain (no kana, no kanji a variant folds into) in a
//! normalised text as it is, and one whose needles are all plain kanji in
//! any text that no character normalises into a kanji. Folding the texts
//! was ~30 % of a search for a kanji word (山嵐, 温泉, 校長: 4.2–5.0 M →
//! 3.4–4.2 M instructions per API request over 2,000 cases, callgrind),
//! so that path stays; and as most stored texts are not normalised (a
//! full-width ！ or digit is enough), kanji needles skip it in those too
//! (温泉 5.7 → 4.7 M, 宿直 5.9 → 5.2 M, 札幌市 4.6 → 4.1 M per request
//! over 10,000 cases).

mod folded;
mod needles;
mod pattern;
mod snippet;

use std::collections::HashMap;

use crate::analysis::{Analysis, AnalyzerKind, Term, is_normalized};
use crate::query::{AtomForms, UserQuery};
use folded::{FoldedText, Range, merge, outside, sentences, sentences_within};
use needles::{NeedleHits, Needles, absent};
pub use needles::{TermCounts, no_counts};
use pattern::Pattern;
pub use snippet::{Snippet, snippet};

/// The term sequences of a query, per analyzer, with their needles.
#[derive(Debug, Clone)]
pub struct Matcher {
    patterns: Vec<Pattern>,
    needles: Needles,
    /// The analyzers of `patterns`: only these analyse a text.
    kinds: Vec<AnalyzerKind>,
}

impl Matcher {
    /// The matcher of what was typed (a kana word also by its reading).
    pub fn new(query: &UserQuery) -> Matcher {
        let forms: Vec<AtomForms> = query
            .positive_atoms()
            .map(|atom| AtomForms::new(atom, true))
            .collect();
        Matcher::from_forms(&forms)
    }

    /// From atoms already analysed: the search has just analysed every
    /// query word to build its query, and searched readings only for kana
    /// words typed (not for kana synonyms).
    pub fn from_forms<'a>(atoms: impl IntoIterator<Item = &'a AtomForms>) -> Matcher {
        let patterns = pattern::patterns(atoms);
        let mut kinds: Vec<AnalyzerKind> = patterns.iter().map(|p| p.kind).collect();
        kinds.sort_by_key(|k| k.slot());
        kinds.dedup();
        Matcher {
            needles: Needles::new(&patterns),
            patterns,
            kinds,
        }
    }

    /// Whether every pattern can be located by its needle (no pattern
    /// needs the whole text analysed).
    pub fn locates_by_needles(&self) -> bool {
        self.patterns.iter().all(|p| p.needle.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Byte ranges of `text` that match, sorted and merged: the sentences
    /// holding a needle are analysed (the whole text when a pattern has
    /// none); a sequence matches by positions, so a compound's parts
    /// (indexed at the compound's positions) match too.
    pub fn ranges(&self, text: &str) -> Vec<Range> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        if !self.locates_by_needles() {
            return self.analysed_ranges(text, 0);
        }
        let hits = self.needles.hits(&self.patterns, text, &no_counts);
        self.matches(text, &hits)
    }

    /// The matches among needle hits: the exact ones, and the candidates
    /// that analysis confirms.
    fn matches(&self, text: &str, hits: &NeedleHits) -> Vec<Range> {
        let mut out = self.verify(text, &hits.candidates);
        out.extend(hits.matches.iter().copied());
        merge(out)
    }

    /// The best fragment of `text` (about `width` characters, see
    /// [`snippet`]) with the matches marked. [`snippet_counted`] without
    /// the index's counts.
    ///
    /// [`snippet_counted`]: Self::snippet_counted
    pub fn snippet(&self, text: &str, width: usize) -> Snippet {
        self.snippet_counted(text, width, &no_counts)
    }

    /// The best fragment of a text whose terms the index has counted:
    /// `counts(kind, term)` is how many times the analyzer `kind` indexed
    /// `term` for the text (`None`: not known).
    ///
    /// A pattern one of whose terms the index holds no time has no match
    /// in the text: its needle's hits are dropped unchecked, and a pattern
    /// without a needle (a kana word's reading) needs no analysis of the
    /// whole text. A kanji noun's every match is a place its needle is
    /// written, so when the text holds the needle as many times as the
    /// index holds the term, every place is a match. Only the other places
    /// (a needle inside a longer word, 職員 in 教職員; an inflected verb)
    /// have their sentences analysed.
    ///
    /// A kana word's reading has no needle, but the places the word is
    /// written as typed are where most texts hold its matches: their
    /// sentences are analysed with the others to check. When they hold no
    /// match of it and the index holds the reading (the text writes the
    /// word otherwise, 改善 for かいぜん), the other sentences are analysed
    /// in text order until one does, or until the index's count of one of
    /// its terms is met (then there is no other). The fragment is picked
    /// from the matches found, and the sentences inside it not analysed
    /// yet are analysed too: every match inside the fragment is marked; one
    /// outside it may go unfound, which no reader sees. Looking for every
    /// match first analysed the whole of most texts for a short word
    /// (シャツ: the index counts its reading's terms in 社員 and やって too;
    /// 28 → 14 M instructions per search over 10,000 cases, callgrind).
    /// What one text shows depends on that text alone.
    pub fn snippet_counted(&self, text: &str, width: usize, counts: &TermCounts) -> Snippet {
        let text = snippet::Chars::new(text);
        if self.patterns.is_empty() {
            return text.snippet(&[], width);
        }
        let located = self
            .patterns
            .iter()
            .all(|p| p.needle.is_some() || p.spelled.is_some() || absent(p, counts));
        if !located {
            return text.snippet(&self.ranges(text.text), width);
        }
        let hits = self.needles.hits(&self.patterns, text.text, counts);
        let checked = sentences(text.text, &hits.candidates);
        let mut found = self.analyse_sentences(text.text, &checked);
        let wanted = self.readings_wanted(counts);
        let mut rest = outside(text.text.len(), &checked)
            .into_iter()
            .flat_map(|r| sentences_within(text.text, r));
        // Only readings can match outside the places checked: every other
        // pattern's places were matches or checked already.
        let reading: Vec<AnalyzerKind> = self.kinds.iter().copied().filter(|k| k.reads()).collect();
        while !found.settled(&wanted) {
            let Some((s, e)) = rest.next() else { break };
            self.analyse(&text.text[s..e], s, &reading, &mut found);
        }
        let all = |found: &Analysed| merge([&found.ranges[..], &hits.matches].concat());
        let window = text.window(&all(&found), width);
        if !found.meets(&wanted) {
            let (start, end) = text.bytes(window);
            for (s, e) in rest.filter(|&(s, e)| s < end && e > start) {
                self.analyse(&text.text[s..e], s, &reading, &mut found);
            }
        }
        text.cut(&all(&found), window)
    }

    /// Per pattern located by its kana word as typed, how many times the
    /// index holds each of its terms for the text (`None`: not known);
    /// empty for the others, and for one whose terms the text lacks.
    fn readings_wanted(&self, counts: &TermCounts) -> Vec<Vec<Option<u32>>> {
        self.patterns
            .iter()
            .map(|p| match p.needle {
                None if !absent(p, counts) => p.terms.iter().map(|t| counts(p.kind, t)).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The matches in the sentences holding `hits`, analysed sentence by
    /// sentence.
    fn verify(&self, text: &str, hits: &[Range]) -> Vec<Range> {
        merge(self.analyse_sentences(text, &sentences(text, hits)).ranges)
    }

    /// What `sentences` (byte ranges of `text`) hold, each analysed.
    fn analyse_sentences(&self, text: &str, sentences: &[Range]) -> Analysed {
        let mut found = Analysed::new(&self.patterns);
        for &(s, e) in sentences {
            self.analyse(&text[s..e], s, &self.kinds, &mut found);
        }
        found
    }

    /// Matches in `text` (a sentence starting at byte `offset` of the
    /// whole, or the whole), analysed once, as byte ranges of the whole.
    fn analysed_ranges(&self, text: &str, offset: usize) -> Vec<Range> {
        let mut found = Analysed::new(&self.patterns);
        self.analyse(text, offset, &self.kinds, &mut found);
        merge(found.ranges)
    }

    /// Adds to `found` what `text` (a piece of the whole starting at byte
    /// `offset`) holds for the patterns of the analyzers `kinds`,
    /// analysed once.
    fn analyse(&self, text: &str, offset: usize, kinds: &[AnalyzerKind], found: &mut Analysed) {
        let analysis = Analysis::of_kinds(text, kinds);
        let chars: Vec<&str> = match kinds.contains(&AnalyzerKind::Ngram) {
            true => self.patterns.iter().filter_map(Pattern::one_char).collect(),
            false => Vec::new(),
        };
        if !chars.is_empty() {
            let folded = FoldedText::new(text, is_normalized(text));
            for c in chars {
                for (i, _) in folded.text.match_indices(c) {
                    let (s, e) = folded.original(i, i + c.len());
                    found.ranges.push((offset + s, offset + e));
                }
            }
        }
        for &kind in kinds {
            let terms = analysis.get(kind);
            let mut at: HashMap<(usize, &str), &Term> = HashMap::with_capacity(terms.len());
            for t in terms {
                at.entry((t.position, t.text.as_str())).or_insert(t);
            }
            for (p, pattern) in self.patterns.iter().enumerate() {
                if pattern.kind != kind {
                    continue;
                }
                for (k, met) in found.met[p].iter_mut().enumerate() {
                    *met += terms.iter().filter(|t| t.text == pattern.terms[k]).count() as u32;
                }
                let Some((first, rest)) = pattern.terms.split_first() else {
                    continue;
                };
                for t in terms.iter().filter(|t| &t.text == first) {
                    let mut end = t.end;
                    let whole = rest.iter().enumerate().all(|(k, p)| {
                        at.get(&(t.position + k + 1, p.as_str()))
                            .map(|n| end = end.max(n.end))
                            .is_some()
                    });
                    if whole {
                        found.ranges.push((offset + t.start, offset + end));
                        found.matches[p] += 1;
                    }
                }
            }
        }
    }
}

/// What analysing some pieces of a text found.
struct Analysed {
    /// The matches, as byte ranges of the whole text (unsorted).
    ranges: Vec<Range>,
    /// Per pattern, how many matches of it were found.
    matches: Vec<u32>,
    /// Per pattern, how many times the analysis met each of its terms:
    /// only for the patterns located by their kana word as typed
    /// ([`Pattern::spelled`]); empty for the others.
    met: Vec<Vec<u32>>,
}

impl Analysed {
    /// Whether every pattern with `wanted` counts (by
    /// [`Matcher::readings_wanted`]) met one of its terms as often as the
    /// index holds it: then no other sentence holds a match of it.
    fn meets(&self, wanted: &[Vec<Option<u32>>]) -> bool {
        wanted
            .iter()
            .zip(&self.met)
            .all(|(want, met)| want.is_empty() || want.iter().zip(met).any(|(w, &m)| *w == Some(m)))
    }

    /// Whether every pattern with `wanted` counts has a match found, or
    /// has none left to find ([`Self::meets`]).
    fn settled(&self, wanted: &[Vec<Option<u32>>]) -> bool {
        self.meets(wanted)
            || wanted
                .iter()
                .zip(&self.matches)
                .all(|(want, &n)| want.is_empty() || n > 0)
    }

    fn new(patterns: &[Pattern]) -> Analysed {
        let met = patterns
            .iter()
            .map(|p| match p.spelled {
                Some(_) => vec![0; p.terms.len()],
                None => Vec::new(),
            })
            .collect();
        Analysed {
            ranges: Vec::new(),
            matches: vec![0; patterns.len()],
            met,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pattern::{Hits, numeral_spellings};
    use super::*;
    use crate::query::parse;

    impl Matcher {
        pub(super) fn needles(&self) -> &Needles {
            &self.needles
        }

        pub(super) fn patterns(&self) -> &[Pattern] {
            &self.patterns
        }

        fn needle_list(&self) -> Vec<Option<String>> {
            self.patterns.iter().map(|p| p.needle.clone()).collect()
        }

        fn needle_hits(&self, text: &str) -> NeedleHits {
            self.needles.hits(&self.patterns, text, &no_counts)
        }
    }

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
        let countable: Vec<bool> = m.patterns.iter().map(|p| p.countable).collect();
        assert_eq!(countable, vec![true, true, false]);
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
        // Each text's counts, analysed once for every query.
        let counted: Vec<_> = texts.iter().map(|t| (t, indexed_counts(t))).collect();
        let mut located = 0;
        for q in &queries {
            let m = Matcher::new(&parse(q));
            // With the index's counts, a kana word's reading that the text
            // lacks is never looked for: the same snippet as without.
            for (t, counts) in &counted {
                for width in [40, 110] {
                    assert_eq!(
                        m.snippet_counted(t, width, counts),
                        m.snippet(t, width),
                        "help: counted, query {q:?}, width {width}, text {t:?}"
                    );
                }
            }
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
                    m.needle_list()
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
        let needles = |q: &str| Matcher::new(&parse(q)).needle_list();
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
        let spellings: Vec<&String> = m.patterns.iter().flat_map(|p| &p.spellings).collect();
        assert!(spellings.contains(&&"第三次".to_owned()), "{spellings:?}");
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
                let fast = m.needle_hits(text);
                assert_eq!(m.matches(text, &fast), whole, "help: {q} in {text}");
            }
        }
        assert_eq!(
            html("マネジャー", "新任マネージャーの研修"),
            "新任<mark>マネージャー</mark>の研修"
        );
    }

    /// A kana query's reading matches are found by analysing the text:
    /// what one text shows never depends on the texts highlighted before
    /// it (the same matcher, texts in either order).
    #[test]
    fn kana_queries_mark_every_homophone_whatever_came_before() {
        let first = "業務の改善を進めた。";
        let next = "長い前置きの文がある。職場の改善が続いた。開善寺の話。";
        let m = Matcher::new(&parse("かいぜん"));
        let before = (m.ranges(first), m.ranges(next));
        let m = Matcher::new(&parse("かいぜん"));
        let after = (m.ranges(next), m.ranges(first));
        assert_eq!(before, (after.1.clone(), after.0.clone()));
        let (s, e) = before.1[0];
        assert_eq!(&next[s..e], "改善");
        assert_eq!(before.1, m.analysed_ranges(next, 0));
    }

    /// The marks of `snippet` are those of the whole text analysed, in
    /// some window of `width` characters of `text`.
    fn is_window_of_whole(m: &Matcher, text: &str, width: usize, snippet: &Snippet) -> bool {
        let chars = snippet::Chars::new(text);
        let whole = m.analysed_ranges(chars.text, 0);
        let n = chars.text.chars().count();
        (0..=n).any(|s| chars.cut(&whole, (s, s.saturating_add(width).min(n))) == *snippet)
    }

    /// A kana query's reading is looked for where the word is written as
    /// typed, then in text order until it has a match: every text with a
    /// match shows one, and the marks of the fragment shown are those of
    /// the whole text analysed, for every sample text.
    #[test]
    fn kana_readings_located_by_their_spelling_mark_what_whole_analysis_marks() {
        let texts = case_texts();
        let mut written = 0;
        for q in [
            "かいぜん",
            "カイゼン",
            "マドンナ",
            "ばった",
            "おれ",
            "ていあん",
            "しょくいん",
        ] {
            let m = Matcher::new(&parse(q));
            assert!(m.patterns.iter().any(|p| p.spelled.is_some()), "{q}");
            for t in &texts {
                let trimmed = t.trim();
                let whole = m.analysed_ranges(trimmed, 0);
                let folded = FoldedText::new(trimmed, is_normalized(trimmed));
                let spelled = m.patterns.iter().filter_map(|p| p.spelled.as_deref());
                if spelled.clone().any(|w| folded.text.contains(w)) {
                    written += 1;
                }
                for width in [40, 110] {
                    let counted = m.snippet_counted(t, width, &indexed_counts(t));
                    assert_eq!(counted.has_marks(), !whole.is_empty(), "{q} in {t:?}");
                    assert!(
                        is_window_of_whole(&m, t, width, &counted),
                        "help: query {q:?}, width {width}, text {t:?}: {counted:?}"
                    );
                }
            }
        }
        assert!(written > 10, "{written} texts write a kana query as typed");
    }

    /// Where the text writes the kana word as typed, the fragment is
    /// found there and every match inside it is marked; a text that never
    /// writes it so shows its first match by reading; the index's count
    /// of the reading, when 0, spares all analysis.
    #[test]
    fn kana_words_are_shown_where_found_first() {
        let m = Matcher::new(&parse("かいぜん"));
        let counts = |n: u32| move |kind, _: &str| (kind == AnalyzerKind::Reading).then_some(n);
        let short = "業務の改善を進めた。カイゼンが続いた。職場の改善も。";
        let all = "業務の<mark>改善</mark>を進めた。<mark>カイゼン</mark>が続いた。職場の<mark>改善</mark>も。";
        assert_eq!(m.snippet_counted(short, 100, &counts(3)).to_html(), all);
        assert_eq!(m.snippet(short, 100).to_html(), all);
        // No such reading in the text: nothing is analysed; the place
        // written in kana is the n-gram pattern's match.
        assert_eq!(
            m.snippet_counted(short, 100, &counts(0)).to_html(),
            "業務の改善を進めた。カイゼンが続いた。職場の改善も。"
                .replace("カイゼン", "<mark>カイゼン</mark>")
        );
        let filler = "長い話が続く。".repeat(20);
        // Written as typed, far from the start: shown there. Never written
        // so: the first match by reading.
        for (text, shows) in [
            (
                format!("業務の改善を進めた。{filler}カイゼンが続いた。{filler}"),
                "。<mark>カイゼン</mark>が続いた。",
            ),
            (
                format!("{filler}業務の改善を進めた。{filler}職場の改善も。"),
                "…業務の<mark>改善</mark>を進めた。",
            ),
        ] {
            let shown = m.snippet_counted(&text, 20, &counts(2));
            assert!(shown.to_html().contains(shows), "{shown:?}");
            assert!(is_window_of_whole(&m, &text, 20, &shown));
        }
    }

    /// A kana word searched as a word's whole reading is marked by it, so
    /// that its count in the index settles it: not by reading bigrams,
    /// which the index counts in every word starting シャ and every やっ.
    #[test]
    fn a_reading_searched_whole_is_marked_whole() {
        let query = parse("しゃつ");
        let mut forms = AtomForms::new(query.positive_atoms().next().unwrap(), true);
        let bigrams = Matcher::from_forms([&forms]);
        forms.reading_whole = true;
        let whole = Matcher::from_forms([&forms]);
        let kind = |m: &Matcher| m.patterns.last().map(|p| (p.kind, p.terms.clone()));
        assert_eq!(kind(&bigrams).unwrap().0, AnalyzerKind::Reading);
        assert_eq!(
            kind(&whole),
            Some((AnalyzerKind::ReadingWord, vec!["シヤツ".to_owned()]))
        );
        let text = "白い襯衣（しゃつ）を着た。社長がやって来た。";
        assert_eq!(
            whole.snippet(text, 100).to_html(),
            "白い襯衣（<mark>しゃつ</mark>）を着た。社長がやって来た。"
        );
    }

    /// A noun is found by its spelling alone; an inflected word, a word
    /// with a number, or a word whose parts stand alone is checked by
    /// analysis.
    #[test]
    fn what_needs_no_segmentation() {
        let hits = |q: &str| -> Vec<Hits> {
            Matcher::new(&parse(q))
                .patterns
                .iter()
                .map(|p| p.hits)
                .collect()
        };
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

    /// The automaton finds every occurrence of every needle, overlapping
    /// ones included: アア twice in アアア, the lone ア three times.
    #[test]
    fn needles_are_found_overlapping() {
        let pattern = |needle: &str, hits| Pattern {
            kind: AnalyzerKind::Ngram,
            terms: vec![needle.to_owned()],
            needle: Some(needle.to_owned()),
            hits,
            spellings: Vec::new(),
            countable: false,
            as_written: false,
            spelled: None,
        };
        let patterns = [
            pattern("アア", Hits::Matches),
            pattern("ア", Hits::Candidates),
        ];
        let needles = Needles::new(&patterns);
        let found = needles.hits(&patterns, "アアア", &no_counts);
        // Merged: one match over the whole run, one candidate run.
        assert_eq!(found.matches, vec![(0, 9)]);
        assert_eq!(found.candidates, vec![(0, 9)]);
        let found = needles.hits(&patterns, "アとアア、ア", &no_counts);
        assert_eq!(found.matches, vec![(6, 12)]);
        assert_eq!(found.candidates, vec![(0, 3), (6, 12), (15, 18)]);
        // A pattern written as is has nothing to check inside an exact
        // match: ア's hits in アア are no candidates then.
        let written = Pattern {
            kind: AnalyzerKind::Morph,
            as_written: true,
            ..pattern("ア", Hits::Candidates)
        };
        let patterns = [pattern("アア", Hits::Matches), written];
        let found = Needles::new(&patterns).hits(&patterns, "アとアア、ア", &no_counts);
        assert_eq!(found.matches, vec![(6, 12)]);
        assert_eq!(found.candidates, vec![(0, 3), (15, 18)]);
    }

    /// Needles are found in the folded text: a kanji written as a
    /// radical or compatibility ideograph (⾸ for 首), a variant (髙),
    /// half-width kana or full-width letters are found where analysis
    /// finds the word.
    #[test]
    fn needles_find_what_analysis_finds_in_any_spelling() {
        let texts = [
            "首長交代で改善が止まった。カイゼン運動の首長。",
            "ポスターーと改善、ﾃｽﾄの改善（全角ＡＢＣ）。",
            "髙齢の方と高齢者の窓口を改善した。",
            "\u{2FB8}長交代（ｶﾅ）の改善。",
            "職員提案制度。提案は三十件、30件。",
            "赤シャツとポロシャツの赤。改善を進めた。進め方。",
            "",
        ];
        for q in [
            "改善",
            "首長交代",
            "職員提案",
            "高齢",
            "三十件",
            "カイゼン",
            "赤シャツ",
            "進める",
        ] {
            let m = Matcher::new(&parse(q));
            if !m.locates_by_needles() {
                continue;
            }
            for text in texts {
                assert_eq!(m.ranges(text), m.analysed_ranges(text, 0), "{q} in {text}");
            }
        }
        let m = Matcher::new(&parse("首長交代"));
        let text = "\u{2FB8}長交代（ｶﾅ）の改善。";
        assert_eq!(m.ranges(text), vec![(0, 12)]);
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
        // The window starts a quarter of its width before the match (no
        // sentence starts closer), and shows it.
        assert_eq!(
            s.to_html(),
            format!(
                "…{}。<mark>首長</mark>交代で途絶えた。{}…",
                "あ".repeat(14),
                "い".repeat(35)
            )
        );
        assert_eq!(s.text.chars().count(), 60);
    }
}
