//! The analyzers as tantivy tokenizers. The only place analysis meets
//! tantivy: [`register`] must be called wherever an index is opened, since
//! tantivy persists the schema but not the tokenizers.

use std::cell::RefCell;
use std::rc::Rc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{Analysis, AnalyzerKind};

/// Texts analysed most recently on this thread. The index gives every text
/// to three fields (`x`, `x_ng`, `x_rd`), one after the other on the same
/// indexing thread: the cache makes that one segmentation, not two.
const CACHE_SIZE: usize = 4;

thread_local! {
    static RECENT: RefCell<Vec<(String, Rc<Analysis>)>> = const { RefCell::new(Vec::new()) };
}

fn analysis_of(text: &str) -> Rc<Analysis> {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some((_, a)) = recent.iter().find(|(t, _)| t == text) {
            return Rc::clone(a);
        }
        let a = Rc::new(Analysis::of(text));
        if recent.len() == CACHE_SIZE {
            recent.remove(0);
        }
        recent.push((text.to_owned(), Rc::clone(&a)));
        a
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
        let tokens = analysis_of(text)
            .get(self.0)
            .iter()
            .map(|t| Token {
                offset_from: t.start,
                offset_to: t.end,
                position: t.position,
                text: t.text.clone(),
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
