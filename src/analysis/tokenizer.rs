//! The analyzers as tantivy tokenizers. The only place analysis meets
//! tantivy: [`register`] must be called wherever an index is opened, since
//! tantivy persists the schema but not the tokenizers.

use std::cell::RefCell;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{Analysis, AnalyzerKind, Noun};

/// Texts analysed most recently on this thread, with what of their
/// analysis is not yet handed out. The index gives every text to four
/// fields (`x`, `x_ng`, `x_rd`, `x_rw`), one after the other on the same
/// indexing thread, and most of them once more to the completion words
/// field ([`nouns_of`]) after all the text fields of the case: the cache
/// makes that one segmentation per text, and each field takes its part by
/// move instead of copying it. It holds more texts than a case has (11).
const CACHE_SIZE: usize = 16;

/// One text's analysis: each analyzer's tokens, and its content nouns.
struct Pending {
    tokens: [Option<Vec<Token>>; 4],
    nouns: Option<Vec<Noun>>,
}

thread_local! {
    static RECENT: RefCell<Vec<(String, Pending)>> = const { RefCell::new(Vec::new()) };
}

fn to_tokens(terms: Vec<super::Term>) -> Vec<Token> {
    terms
        .into_iter()
        .map(|t| Token {
            offset_from: t.start,
            offset_to: t.end,
            position: t.position,
            text: t.text,
            position_length: 1,
        })
        .collect()
}

/// Takes one part of the analysis of `text` (`take` empties it), from the
/// cache when this text was just analysed for another field.
fn take_cached<T: Default>(text: &str, take: impl Fn(&mut Pending) -> Option<T>) -> T {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(part) = recent
            .iter_mut()
            .find(|(t, _)| t == text)
            .and_then(|(_, pending)| take(pending))
        {
            return part;
        }
        let (terms, nouns) = Analysis::of(text).into_parts();
        let mut pending = Pending {
            tokens: terms.map(|terms| Some(to_tokens(terms))),
            nouns: Some(nouns),
        };
        let part = take(&mut pending).unwrap_or_default();
        if recent.len() == CACHE_SIZE {
            recent.remove(0);
        }
        recent.push((text.to_owned(), pending));
        part
    })
}

/// The tokens of `text` for `kind`.
fn tokens_of(text: &str, kind: AnalyzerKind) -> Vec<Token> {
    take_cached(text, |p| p.tokens[kind.slot()].take())
}

/// The content nouns of `text` ([`Noun`]): from the segmentation that
/// indexed it when the index asks for them right after its text fields.
pub fn nouns_of(text: &str) -> Vec<Noun> {
    take_cached(text, |p| p.nouns.take())
}

#[derive(Clone)]
struct JaTokenizer(AnalyzerKind);

struct Stream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JaTokenizer {
    type TokenStream<'a> = Stream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stream {
        Stream {
            tokens: tokens_of(text, self.0),
            next: 0,
        }
    }
}

impl TokenStream for Stream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Registers every analyzer under its [`AnalyzerKind::name`].
pub fn register(manager: &tantivy::tokenizer::TokenizerManager) {
    for kind in AnalyzerKind::ALL {
        manager.register(kind.name(), JaTokenizer(kind));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;

    fn texts(tokens: Vec<Token>) -> Vec<String> {
        tokens.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn cached_tokens_equal_direct_analysis_even_when_asked_twice() {
        let text = "首長交代で改善運動が途絶えた";
        for round in 0..2 {
            for kind in AnalyzerKind::ALL {
                let want: Vec<String> = analyze(kind, text).into_iter().map(|t| t.text).collect();
                assert_eq!(
                    texts(tokens_of(text, kind)),
                    want,
                    "round {round}, {kind:?}"
                );
            }
        }
    }
}
