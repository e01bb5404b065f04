//! The completion list's side of the index: the tokenizer of the
//! `suggest_words` field and reading the list back from the term
//! dictionaries of `suggest` and `suggest_words`.
//!
//! Owns how the list is kept in and read from tantivy; what a word is and
//! how it matches belong to [`crate::suggest`], and the analysis of a text
//! to [`crate::analysis`].

use std::collections::HashMap;

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token, Tokenizer};
use tantivy::{DocSet, SegmentReader, TERMINATED};

use super::schema::SUGGEST_WORDS_TOKENIZER;
use super::{CaseIndex, IndexError};
use crate::suggest::{self, Suggester};

/// Turns a text into the terms of its content nouns. tantivy reaches the
/// `suggest_words` field after a case's text fields, on the same thread,
/// so the nouns come from the analysis that indexed the text
/// ([`crate::analysis::nouns_of`]); a text met alone is analysed here.
#[derive(Clone)]
struct NounTokenizer;

impl Tokenizer for NounTokenizer {
    /// tantivy's stream over tokens made beforehand; positions do not
    /// matter (the field keeps documents only).
    type TokenStream<'a> = PreTokenizedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreTokenizedStream {
        let tokens = suggest::noun_terms(crate::analysis::nouns_of(text))
            .enumerate()
            .map(|(position, text)| Token {
                text,
                position,
                ..Token::default()
            })
            .collect();
        PreTokenizedStream::from(PreTokenizedString {
            text: String::new(),
            tokens,
        })
    }
}

/// Registers the `suggest_words` tokenizer, wherever an index is opened.
pub(super) fn register(manager: &tantivy::tokenizer::TokenizerManager) {
    manager.register(SUGGEST_WORDS_TOKENIZER, NounTokenizer);
}

impl CaseIndex {
    /// The completion list as the index holds it: the terms of `suggest`
    /// and `suggest_words`, each with the number of live cases holding it.
    /// No case is read or analysed, so this costs the size of the
    /// vocabulary, not of the collection's text.
    pub fn suggester(&self) -> Result<Suggester, IndexError> {
        let searcher = self.reader.searcher();
        let mut counts: HashMap<String, u32> = HashMap::new();
        for segment in searcher.segment_readers() {
            for field in [self.fields.suggest, self.fields.suggest_words] {
                self.count_live_terms(segment, field, &mut counts)?;
            }
        }
        Ok(Suggester::from_terms(
            counts.iter().map(|(t, n)| (t.as_str(), *n)),
        ))
    }

    /// Adds each term of `field` in `segment` with its number of live
    /// documents to `counts` (terms of deleted documents only are left out).
    fn count_live_terms(
        &self,
        segment: &SegmentReader,
        field: Field,
        counts: &mut HashMap<String, u32>,
    ) -> Result<(), IndexError> {
        let io_err = |source| IndexError::Io {
            path: self.dir.clone(),
            source,
        };
        let inverted = segment.inverted_index(field).map_err(self.tantivy_err())?;
        let alive = segment.alive_bitset();
        let mut stream = inverted.terms().stream().map_err(io_err)?;
        while stream.advance() {
            let info = stream.value();
            let n = match alive {
                None => info.doc_freq,
                // Deleted cases still count in `doc_freq` until a merge:
                // count the live ones.
                Some(alive) => {
                    let mut postings = inverted
                        .read_postings_from_terminfo(info, IndexRecordOption::Basic)
                        .map_err(io_err)?;
                    let mut n = 0;
                    while postings.doc() != TERMINATED {
                        n += u32::from(alive.is_alive(postings.doc()));
                        postings.advance();
                    }
                    n
                }
            };
            if n > 0 {
                *counts
                    .entry(String::from_utf8_lossy(stream.key()).into_owned())
                    .or_default() += n;
            }
        }
        Ok(())
    }
}
