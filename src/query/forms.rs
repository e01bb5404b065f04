//! The analysed forms of an atom: what the index and the highlighter
//! look for, computed once per search.

use super::parse::Atom;
use crate::analysis::{
    Analysis, AnalyzerKind, Term, is_kana_word, kana_bigrams, kana_bigrams_words, kana_reading,
    query_terms, verb_stem,
};

/// Kana queries shorter than this (in folded kana) match readings only
/// from a word's start: a short string of sounds is found inside or across
/// too many words (ラリカ in きらり☆改善 → キラリカイゼン). Longer ones match
/// anywhere in a reading, across words, particles and symbols
/// (きらりかいぜん in きらり☆改善).
pub const MIN_FREE_KANA: usize = 5;

/// Whether morphological `terms` stand for the whole of `text`: each of
/// its letters lies in one of them (none was dropped as a particle or an
/// ending).
fn covers(terms: &[Term], text: &str) -> bool {
    text.char_indices()
        .all(|(i, c)| !c.is_alphanumeric() || terms.iter().any(|t| t.start <= i && i < t.end))
}

/// An atom with its terms by each analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomForms {
    pub atom: Atom,
    /// Morphological terms (a compound by its parts).
    pub morph: Vec<String>,
    /// Character bigrams.
    pub ngram: Vec<String>,
    /// Reading bigrams of a typed kana word (a phrase of readings; from a
    /// word's start to a word's start when it is short, [`MIN_FREE_KANA`]).
    pub reading: Vec<String>,
    /// The same kana word as one reading, folded (a whole word's reading).
    pub reading_word: Option<String>,
    /// Whether the reading is searched as a word's whole reading (the one
    /// term `reading_word`) instead of as `reading`'s bigrams: set by the
    /// index, which knows whether some word reads so. The highlighter
    /// marks what was searched.
    pub reading_whole: bool,
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
        // A kana word the segmenter reads only in part (うらなり → the verb
        // うる and a dropped ending; ぞなもし → もし and two particles) is
        // not its morphological terms: they would find every case saying
        // うる or もし. It is searched by its characters and its reading.
        let morph = match is_kana_word(text) && !covers(analysis.get(AnalyzerKind::Morph), text) {
            true => Vec::new(),
            false => texts(AnalyzerKind::Morph),
        };
        AtomForms {
            atom: atom.clone(),
            morph,
            ngram,
            reading: match kana {
                false => Vec::new(),
                true if kana_reading(text).chars().count() < MIN_FREE_KANA => {
                    kana_bigrams_words(text)
                }
                true => kana_bigrams(text),
            },
            reading_word: kana.then(|| kana_reading(text)),
            reading_whole: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn forms(word: &str) -> AtomForms {
        let query = parse(word);
        let atom = query.positive_atoms().next().expect("one atom");
        AtomForms::new(atom, true)
    }

    /// A kana word is its morphological terms only when they cover it:
    /// ぞなもし is not the adverb もし, うらなり not the verb うる.
    #[test]
    fn kana_words_read_in_part_have_no_morphological_terms() {
        for word in ["ぞなもし", "うらなり"] {
            let f = forms(word);
            assert!(f.morph.is_empty(), "{word}: {:?}", f.morph);
            assert!(!f.ngram.is_empty() && !f.reading.is_empty(), "{word}");
        }
        assert_eq!(forms("すすめる").morph, vec!["ススメル"]);
        assert_eq!(forms("シャツ").morph, vec!["シヤツ"]);
        assert_eq!(forms("首長").morph, vec!["首長"]);
    }
}
