//! What a person typed, understood: the query language ([`parse`]) and
//! the plan of a search ([`plan`]): its words, a sentence's content words
//! (question endings such as 〜はありますか left out), each word's other
//! shape and synonyms, how many words a case must match, and which words
//! ask about an obstacle ([`is_obstacle`]).
//!
//! Owns the meaning of a query; builds no tantivy types and reads no index
//! (the index builds its queries from a [`Word`] list). Must not depend on
//! `index`, `highlight` or `web`.

mod forms;
mod obstacle;
mod parse;
mod plan;

pub use forms::AtomForms;
pub use obstacle::{is_obstacle, is_obstacle_text};
pub use parse::{Atom, Clause, UserQuery, parse};
pub use plan::{Word, plan, required};
