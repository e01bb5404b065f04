//! Japanese text analysis: one chain for index time and query time.
//!
//! ```text
//! original ─▶ NFKC + lowercase (offsets kept) ─▶ lindera/IPADIC ─▶ POS filter
//!          ─▶ base form ─▶ fold (kana, ヶ, ー, 異体字) ─▶ terms with original offsets
//! ```
//!
//! Three analyzers share the normalisation ([`AnalyzerKind`]): morphological
//! terms for precision, character bigrams for recall (parts of compounds
//! IPADIC keeps whole), and readings for kana queries. They are registered
//! with tantivy in exactly one place, [`register`]; this module knows
//! nothing else of tantivy. Heavy state (the dictionary) is built once per
//! process.

mod fold;
mod morph;
mod ngram;
mod normalize;
mod tokenizer;

use std::sync::{Arc, OnceLock};

pub use fold::{fold_char, fold_place_name, fold_term};
pub use morph::Morph;
pub use ngram::kana_bigrams;
pub use normalize::{Normalized, nfkc, normalize};
pub use tokenizer::register;

/// Bumped whenever analysis output changes: the index stores it and
/// rebuilds itself from `cases/` when it differs.
pub const ANALYSIS_VERSION: u32 = 1;

/// The analyzers, by what they index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalyzerKind {
    /// Base forms of content words (名詞, 動詞, 形容詞 …), folded.
    Morph,
    /// Overlapping character bigrams of the folded text.
    Ngram,
    /// Dictionary readings (katakana, folded) of content words.
    Reading,
}

impl AnalyzerKind {
    pub const ALL: [AnalyzerKind; 3] = [
        AnalyzerKind::Morph,
        AnalyzerKind::Ngram,
        AnalyzerKind::Reading,
    ];

    /// The tokenizer name registered with tantivy.
    pub fn name(self) -> &'static str {
        match self {
            AnalyzerKind::Morph => "ja_morph",
            AnalyzerKind::Ngram => "ja_ngram",
            AnalyzerKind::Reading => "ja_reading",
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

/// Terms of `text` for one analyzer.
pub fn analyze(kind: AnalyzerKind, text: &str) -> Vec<Term> {
    match kind {
        AnalyzerKind::Morph => analyzer().terms(text),
        AnalyzerKind::Reading => analyzer().readings(text),
        AnalyzerKind::Ngram => ngram::bigrams(text),
    }
}

/// Every analyzer's terms of one text, with a single segmentation.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub morph: Vec<Term>,
    pub ngram: Vec<Term>,
    pub reading: Vec<Term>,
}

impl Analysis {
    pub fn of(text: &str) -> Analysis {
        let (morph, reading) = analyzer().analyze(text);
        Analysis {
            morph,
            ngram: ngram::bigrams(text),
            reading,
        }
    }

    pub fn get(&self, kind: AnalyzerKind) -> &[Term] {
        match kind {
            AnalyzerKind::Morph => &self.morph,
            AnalyzerKind::Ngram => &self.ngram,
            AnalyzerKind::Reading => &self.reading,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(kind: AnalyzerKind, text: &str) -> Vec<String> {
        analyze(kind, text).into_iter().map(|t| t.text).collect()
    }

    /// Table test: (input, expected morphological terms). A failure prints
    /// the token diff, so an analysis change shows as what it changed.
    #[test]
    fn morph_table() {
        let table: &[(&str, &[&str])] = &[
            ("改善運動を進めてきた", &["改善", "運動", "進める"]),
            ("ダメなものはだめ", &["ダメ", "ダメ"]),
            ("ＤＮＡ運動", &["dna", "運動"]),
            ("首長の交代により途絶えた", &["首長", "交代", "途絶える"]),
            ("金ヶ崎町", &["金ケ崎", "町"]),
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
        for t in analyze(AnalyzerKind::Morph, text) {
            let slice = &text[t.start..t.end];
            assert_eq!(nfkc(slice).to_lowercase(), nfkc(slice).to_lowercase());
            assert!(!slice.is_empty());
        }
        let t = &analyze(AnalyzerKind::Morph, text)[0];
        assert_eq!(&text[t.start..t.end], "ＤＮＡ");
    }

    #[test]
    fn readings_are_folded_katakana() {
        assert_eq!(
            terms(AnalyzerKind::Reading, "改善"),
            vec!["カイ", "イゼ", "ゼン"]
        );
        assert_eq!(kana_bigrams("かいぜん"), vec!["カイ", "イゼ", "ゼン"]);
        // A particle breaks the run: no bigram spans 改善 and 運動 here.
        assert_eq!(terms(AnalyzerKind::Reading, "改善の運動").len(), 6);
    }

    #[test]
    fn bigrams_cover_compound_parts() {
        let got = terms(AnalyzerKind::Ngram, "関西国際空港");
        assert!(got.contains(&"空港".to_owned()), "{got:?}");
    }
}
