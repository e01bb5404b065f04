//! The analyzers as tantivy tokenizers. The only place analysis meets
//! tantivy: [`register`] must be called wherever an index is opened, since
//! tantivy persists the schema but not the tokenizers.

use std::cell::RefCell;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{Analysis, AnalyzerKind};

/// Texts analysed most recently on this thread, with each analyzer's
/// tokens not yet handed out. The index gives every text to four fields
/// (`x`, `x_ng`, `x_rd`, `x_rw`), one after the other on the same indexing thread:
/// the cache makes that one segmentation, and each field takes its tokens
/// by move instead of copying every term.
const CACHE_SIZE: usize = 4;

type Pending = [Option<Vec<Token>>; 4];

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

/// The tokens of `text` for `kind`, from the cache when this text was just
/// analysed for another field.
fn tokens_of(text: &str, kind: AnalyzerKind) -> Vec<Token> {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(tokens) = recent
            .iter_mut()
            .find(|(t, _)| t == text)
            .and_then(|(_, pending)| pending[kind.slot()].take())
        {
            return tokens;
        }
        let mut pending: Pending = Analysis::of(text)
            .into_terms()
            .map(|terms| Some(to_tokens(terms)));
        let tokens = pending[kind.slot()].take().unwrap_or_default();
        if recent.len() == CACHE_SIZE {
            recent.remove(0);
        }
        recent.push((text.to_owned(), pending));
        tokens
    })
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
