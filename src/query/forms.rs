//! The analysed forms of an atom: what the index and the highlighter
//! look for, computed once per search.

use super::parse::Atom;
use crate::analysis::{Analysis, AnalyzerKind, is_kana_word, kana_bigrams, kana_reading};

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
        AtomForms {
            atom: atom.clone(),
            morph: texts(AnalyzerKind::Morph),
            ngram: texts(AnalyzerKind::Ngram),
            reading: if kana { kana_bigrams(text) } else { Vec::new() },
            reading_word: kana.then(|| kana_reading(text)),
        }
    }
}
