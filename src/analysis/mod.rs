//! Japanese text analysis: one chain for index time and query time.
//!
//! ```text
//! original ─▶ NFKC + lowercase (offsets kept) ─▶ lindera/IPADIC ─▶ POS filter
//!          ─▶ base form ─▶ fold (kana, ヶ, ー, 異体字) ─▶ terms with original offsets
//! ```
//!
//! Four analyzers share the normalisation ([`AnalyzerKind`]): morphological
//! terms for precision, character bigrams for recall (parts of compounds
//! IPADIC keeps whole), and readings for kana queries — as bigrams (any
//! kana substring of a run of words) and as whole words (a kana query that
//! is a word's reading is then one term, not a phrase). They are registered
//! with tantivy in exactly one place, [`register`]; this module knows
//! nothing else of tantivy. Heavy state (the dictionary) is built once per
//! process.

mod fold;
mod inflection;
mod morph;
mod ngram;
mod normalize;
mod numeral;
pub mod synonyms;
mod tokenizer;

use std::sync::{Arc, OnceLock};

pub use fold::{
    fold_char, fold_place_name, fold_term, is_fold_target, is_hiragana, is_kana, is_kana_word,
    is_katakana,
};
pub use inflection::{other_shape, verb_stem};
pub use morph::{Morph, Segmented};
pub use ngram::{kana_bigrams, kana_bigrams_words, kana_reading};
pub use normalize::{Normalized, is_normalized, may_become_kanji, nfkc, normalize};
pub use numeral::{is_numeral_char, kanji_digits, number_reading, to_arabic};
pub use tokenizer::{nouns_of, register};

/// Bumped whenever analysis output changes: the index stores it and
/// rebuilds itself from `cases/` when it differs.
///
/// 2: user dictionary (domain compounds indexed whole and as parts,
/// municipality names), kanji numerals → Arabic, small kana folded.
/// 3: a run's last character alone in the n-gram field; whole-word
/// readings.
/// 4: readings run across particles and symbols, numbers read aloud, word
/// edges marked in the reading bigrams.
pub const ANALYSIS_VERSION: u32 = 4;

/// The analyzers, by what they index. The discriminants are each one's
/// place in per-analyzer arrays ([`AnalyzerKind::slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalyzerKind {
    /// Base forms of content words (名詞, 動詞, 形容詞 …), folded.
    Morph = 0,
    /// Overlapping character bigrams of the folded text.
    Ngram = 1,
    /// Dictionary readings (katakana, folded) of content words, as
    /// bigrams of each run of words.
    Reading = 2,
    /// The same readings, one term per word (and per part of a compound).
    ReadingWord = 3,
}

impl AnalyzerKind {
    pub const ALL: [AnalyzerKind; 4] = [
        AnalyzerKind::Morph,
        AnalyzerKind::Ngram,
        AnalyzerKind::Reading,
        AnalyzerKind::ReadingWord,
    ];

    /// Whether it indexes readings (of whole words or in pairs): the
    /// analyzers that need the dictionary's readings, and match what the
    /// text does not spell.
    pub fn reads(self) -> bool {
        matches!(self, AnalyzerKind::Reading | AnalyzerKind::ReadingWord)
    }

    /// Its place in an array of one value per analyzer, in [`Self::ALL`]'s
    /// order.
    pub fn slot(self) -> usize {
        self as usize
    }

    /// The tokenizer name registered with tantivy.
    pub fn name(self) -> &'static str {
        match self {
            AnalyzerKind::Morph => "ja_morph",
            AnalyzerKind::Ngram => "ja_ngram",
            AnalyzerKind::Reading => "ja_reading",
            AnalyzerKind::ReadingWord => "ja_reading_word",
        }
    }
}

/// A term with where it came from in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    /// Byte range in the original (un-normalised) text.
    pub start: usize,
    pub end: usize,
    /// Position in the term sequence (for phrases).
    pub position: usize,
    /// Indexed, never a query term: a user-dictionary compound indexed
    /// whole, its parts following at the same and next positions (queries
    /// use the parts, so 業務改善 also finds 業務の改善); or, in the n-gram
    /// field, the last character of a longer run, indexed alone so that
    /// every character starts a term (a one-character query is a prefix).
    pub compound: bool,
}

/// A content noun of a text as written (NFKC), with its dictionary
/// reading ("" when unknown): the completion list's words. A noun of two
/// or more characters that is not a number, a pronoun or a dependent
/// noun and has a letter. Worked out by the segmentation that indexes the
/// text, so the completion list costs no second one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noun {
    pub surface: String,
    pub reading: String,
}

/// Every detail of a morphological token, for `kaizen-wa tokenize`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub surface: String,
    pub term: Option<String>,
    pub base_form: String,
    pub reading: String,
    pub part_of_speech: String,
    pub byte_start: usize,
    pub byte_end: usize,
    pub char_start: usize,
    pub char_end: usize,
    /// Why the token is not indexed, if it is not.
    pub dropped: Option<&'static str>,
}

/// The shared analyzer: the dictionary and segmenter, built once.
pub fn analyzer() -> &'static Arc<Morph> {
    static MORPH: OnceLock<Arc<Morph>> = OnceLock::new();
    MORPH.get_or_init(|| Arc::new(Morph::new().expect("the embedded dictionary is valid")))
}

/// Terms of `text` for one analyzer, as indexed.
pub fn analyze(kind: AnalyzerKind, text: &str) -> Vec<Term> {
    Analysis::of(text).take(kind)
}

/// Terms of a query word for one analyzer: as indexed, except that a
/// compound counts by its parts (業務改善 = 業務 + 改善), so the query also
/// finds the parts written apart.
pub fn query_terms(kind: AnalyzerKind, text: &str) -> Vec<String> {
    analyze(kind, text)
        .into_iter()
        .filter(|t| !t.compound)
        .map(|t| t.text)
        .collect()
}

/// Every analyzer's terms of one text, with a single segmentation.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// By [`AnalyzerKind::slot`].
    terms: [Vec<Term>; 4],
    /// The content nouns, when readings were asked for.
    nouns: Vec<Noun>,
}

impl Analysis {
    pub fn of(text: &str) -> Analysis {
        Analysis::of_kinds(text, &AnalyzerKind::ALL)
    }

    /// The terms of only the analyzers in `kinds` (the others empty): one
    /// segmentation still, but no readings or bigrams nobody asked for.
    pub fn of_kinds(text: &str, kinds: &[AnalyzerKind]) -> Analysis {
        let readings = kinds.iter().any(|k| k.reads());
        let s = analyzer().analyze_with(text, readings);
        let ngram = if kinds.contains(&AnalyzerKind::Ngram) {
            ngram::bigrams(&s.normalized, &s.numerals)
        } else {
            Vec::new()
        };
        let morph = if kinds.contains(&AnalyzerKind::Morph) {
            s.morph
        } else {
            Vec::new()
        };
        Analysis {
            terms: [morph, ngram, s.reading, s.reading_words],
            nouns: s.nouns,
        }
    }

    pub fn take(mut self, kind: AnalyzerKind) -> Vec<Term> {
        std::mem::take(&mut self.terms[kind.slot()])
    }

    pub fn get(&self, kind: AnalyzerKind) -> &[Term] {
        &self.terms[kind.slot()]
    }

    /// Every analyzer's terms, by [`AnalyzerKind::slot`], and the content
    /// nouns.
    pub fn into_parts(self) -> ([Vec<Term>; 4], Vec<Noun>) {
        (self.terms, self.nouns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morphological_terms_alone_equal_the_full_analysis() {
        for text in [
            "業務改善運動を第三次まで続けた。",
            "かいぜん・カイゼン・ＤＮＡ運動（三重県）",
            "職員提案制度で30年、改善発表会を開いてきた所沢市",
        ] {
            assert_eq!(analyzer().terms(text), analyzer().analyze(text).morph);
        }
    }

    fn terms(kind: AnalyzerKind, text: &str) -> Vec<String> {
        analyze(kind, text).into_iter().map(|t| t.text).collect()
    }

    /// Table test: (input, expected morphological terms). A failure prints
    /// the token diff, so an analysis change shows as what it changed.
    #[test]
    fn morph_table() {
        let table: &[(&str, &[&str])] = &[
            (
                "改善運動を進めてきた",
                &["改善運動", "改善", "運動", "進める"],
            ),
            ("ダメなものはだめ", &["ダメ", "ダメ"]),
            ("ＤＮＡ運動", &["dna", "運動"]),
            ("首長の交代により途絶えた", &["首長", "交代", "途絶える"]),
            ("金ヶ崎町", &["金ケ崎", "町"]),
            // User dictionary: a compound whole, then its parts.
            ("業務改善の取組", &["業務改善", "業務", "改善", "取組"]),
            ("ボトムアップ型", &["ボトムアツプ", "型"]),
            ("南伊勢町", &["南伊勢", "町"]),
            // Kanji numerals as Arabic, at index and query time alike.
            ("第三次計画", &["第", "3", "次", "計画"]),
            ("第3次計画", &["第", "3", "次", "計画"]),
            ("三十年", &["30", "年"]),
            ("三重県", &["三重", "県"]),
            ("マネージャー", &["マネジヤ"]),
        ];
        for (input, want) in table {
            let got = terms(AnalyzerKind::Morph, input);
            assert_eq!(
                &got,
                want,
                "\nhelp: analyzing {input:?}\n  got:  {got:?}\n  want: {want:?}\n  details: {:#?}",
                analyzer().explain(input)
            );
        }
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＤＮＡ運動と改善";
        // Each term is its original slice normalised (no base form or
        // folding changes these words).
        for t in analyze(AnalyzerKind::Morph, text) {
            let slice = &text[t.start..t.end];
            assert_eq!(nfkc(slice).to_lowercase(), t.text, "{slice}");
        }
        let t = &analyze(AnalyzerKind::Morph, text)[0];
        assert_eq!(&text[t.start..t.end], "ＤＮＡ");
    }

    #[test]
    fn readings_are_folded_katakana() {
        // Each bigram, and the one at a word's start marked too.
        assert_eq!(
            terms(AnalyzerKind::Reading, "改善"),
            vec!["^カイ", "カイ", "イゼ", "ゼン"]
        );
        assert_eq!(kana_bigrams("かいぜん"), vec!["カイ", "イゼ", "ゼン"]);
        assert_eq!(
            kana_bigrams_words("かいぜん"),
            vec!["^カイ", "イゼ", "ゼン"]
        );
    }

    /// The reading of a text in its words' order.
    fn plain_reading(text: &str) -> String {
        let bigrams: Vec<String> = terms(AnalyzerKind::Reading, text)
            .into_iter()
            .filter(|t| !t.starts_with('^'))
            .collect();
        let mut out: String = bigrams.iter().filter_map(|b| b.chars().next()).collect();
        out.extend(bigrams.last().and_then(|b| b.chars().nth(1)));
        out
    }

    /// A reading runs on across particles and symbols inside a name, reads
    /// numbers aloud, and stops at whitespace and a sentence's punctuation.
    #[test]
    fn readings_run_across_words_symbols_and_numbers() {
        for (text, reading) in [
            ("業務改善の達人", "ギヨウムカイゼンノタツジン"),
            ("きらり☆改善グランプリ", "キラリカイゼングランプリ"),
            ("ひとり1提案運動", "ヒトリイチテイアンウンドウ"),
            ("第3回", "ダイサンカイ"),
            ("第三回", "ダイサンカイ"),
            ("一人一改善", "ヒトリイチカイゼン"),
            ("2人で", "フタリデ"),
            ("3人", "サンニン"),
        ] {
            assert_eq!(plain_reading(text), reading, "{text}");
        }
        let broken: Vec<String> = terms(AnalyzerKind::Reading, "改善。運動")
            .into_iter()
            .filter(|t| t.contains("ンウ"))
            .collect();
        assert_eq!(broken, Vec::<String>::new());
        // Word starts: 第|3|回, a compound's parts (ギヨウム|カイゼン), not a
        // particle (の).
        let t = terms(AnalyzerKind::Reading, "第3回");
        for marked in ["^ダイ", "^サン", "^カイ"] {
            assert!(t.contains(&marked.to_owned()), "{marked}: {t:?}");
        }
        assert!(!t.contains(&"^イサ".to_owned()), "{t:?}");
        let t = terms(AnalyzerKind::Reading, "業務改善の達人");
        for (marked, is) in [("^カイ", true), ("^タツ", true), ("^ノタ", false)] {
            assert_eq!(t.contains(&marked.to_owned()), is, "{marked}: {t:?}");
        }
        // Digits are also read as a whole word's reading.
        assert_eq!(terms(AnalyzerKind::ReadingWord, "1"), vec!["イチ"]);
    }

    /// Each content word's reading whole, and each part's of a compound:
    /// かいぜん finds 業務改善 by its part 改善.
    #[test]
    fn reading_words_are_whole_words_and_compound_parts() {
        assert_eq!(
            terms(AnalyzerKind::ReadingWord, "首長交代で業務改善が止まった"),
            vec![
                "シユチヨウコウタイ",
                "シユチヨウ",
                "コウタイ",
                "ギヨウムカイゼン",
                "ギヨウム",
                "カイゼン",
                // The reading of what is written (止まっ), as the bigrams.
                "トマツ"
            ]
        );
        let t = &analyze(AnalyzerKind::ReadingWord, "業務改善")[2];
        assert_eq!(&"業務改善"[t.start..t.end], "改善");
        assert_eq!(
            terms(AnalyzerKind::ReadingWord, "マネージャー"),
            vec![kana_reading("まねじゃー")]
        );
    }

    #[test]
    fn user_dictionary_holds_domain_words_and_municipalities() {
        let n = analyzer().user_words;
        eprintln!("user dictionary: {n} words");
        assert!(n > 300, "only {n} user words");
        // Names IPADIC cuts, now one token with a reading.
        for (text, name, reading) in [
            ("南伊勢町", "南伊勢", "ミナミイセ"),
            ("金ヶ崎町", "金ヶ崎", "カネガサキ"),
        ] {
            let t = &analyzer().explain(text)[0];
            assert_eq!(
                (t.surface.as_str(), t.reading.as_str()),
                (name, reading),
                "help: {text}"
            );
        }
    }

    #[test]
    fn compound_parts_follow_the_whole() {
        let t = analyze(AnalyzerKind::Morph, "業務改善運動");
        let pos: Vec<_> = t
            .iter()
            .map(|t| (t.text.as_str(), t.position, t.compound))
            .collect();
        assert_eq!(
            pos,
            vec![
                ("業務改善", 0, true),
                ("業務", 0, false),
                ("改善", 1, false),
                ("運動", 2, false)
            ]
        );
        assert_eq!(
            query_terms(AnalyzerKind::Morph, "業務改善"),
            vec!["業務", "改善"]
        );
    }

    #[test]
    fn numerals_meet_in_every_analyzer() {
        for kind in [AnalyzerKind::Morph, AnalyzerKind::Ngram] {
            assert_eq!(
                terms(kind, "第三次"),
                terms(kind, "第3次"),
                "help: {kind:?}"
            );
            assert_eq!(terms(kind, "三十年"), terms(kind, "30年"), "help: {kind:?}");
        }
        let t = analyze(AnalyzerKind::Morph, "第三十次");
        assert_eq!(&"第三十次"[t[1].start..t[1].end], "三十");
    }

    #[test]
    fn bigrams_cover_compound_parts() {
        let got = terms(AnalyzerKind::Ngram, "関西国際空港");
        assert!(got.contains(&"空港".to_owned()), "{got:?}");
    }
}
