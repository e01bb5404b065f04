//! The analyzers as tantivy tokenizers. The only place analysis meets
//! tantivy: [`register`] must be called wherever an index is opened, since
//! tantivy persists the schema but not the tokenizers.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{AnalyzerKind, analyze};

#[derive(Clone)]
struct JaTokenizer(AnalyzerKind);

struct Stream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JaTokenizer {
    type TokenStream<'a> = Stream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stream {
        let tokens = analyze(self.0, text)
            .into_iter()
            .map(|t| Token {
                offset_from: t.start,
                offset_to: t.end,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        Stream { tokens, next: 0 }
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
