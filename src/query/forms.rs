//! The analysed forms of an atom: what the index and the highlighter
//! look for, computed once per search.

use super::parse::Atom;
use crate::analysis::{
    Analysis, AnalyzerKind, is_kana_word, kana_bigrams, kana_reading, query_terms, verb_stem,
};

/// An atom with its terms by each analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomForms {
    pub atom: Atom,
    /// Morphological terms (a compound by its parts).
    pub morph: Vec<String>,
    /// Character bigrams.
    pub ngram: Vec<String>,
    /// Reading bigrams of a typed kana word (a phrase of readings).
    pub reading: Vec<String>,
    /// The same kana word as one reading, folded (a whole word's reading).
    pub reading_word: Option<String>,
}

impl AtomForms {
    /// `typed`: the atom is what the person typed, not a synonym; only
    /// typed kana words search readings (a kana synonym such as カイゼン
    /// for 改善 would only add homophones, at the price of a phrase query
    /// over every reading field).
    pub fn new(atom: &Atom, typed: bool) -> AtomForms {
        let text = atom.text();
        // One analysis for both term lists; a compound counts by its parts
        // (as `query_terms` does).
        let analysis = Analysis::of(text);
        let texts = |k| -> Vec<String> {
            analysis
                .get(k)
                .iter()
                .filter(|t| !t.compound)
                .map(|t| t.text.clone())
                .collect()
        };
        let kana = typed && is_kana_word(text) && text.chars().count() > 1;
        // A verb's bigrams stop before its ending, so that every
        // inflection matches (打ち切る: 打チ チ切, found in 打ち切られた).
        let ngram = match (atom, verb_stem(text)) {
            (Atom::Word(_), Some(stem)) => query_terms(AnalyzerKind::Ngram, stem),
            _ => texts(AnalyzerKind::Ngram),
        };
        AtomForms {
            atom: atom.clone(),
            morph: texts(AnalyzerKind::Morph),
            ngram,
            reading: if kana { kana_bigrams(text) } else { Vec::new() },
            reading_word: kana.then(|| kana_reading(text)),
        }
    }
}
