//! kaizen-wa: a searchable knowledge base of Japanese municipal improvement
//! campaigns (自治体改善運動).
//!
//! ```text
//! cases/**/*.md ─▶ case (parse, validate) ─▶ analysis (ja) ─▶ index (tantivy) ─▶ index/
//! ```
//!
//! * [`case`]: the case file format and the collection on disk (the only
//!   writer of `cases/`).
//! * [`analysis`]: Japanese analysis (NFKC, lindera + IPADIC, folding).
//! * [`query`]: what a person typed, understood: the query language,
//!   content words, synonyms (no tantivy).
//! * [`index`]: the tantivy index (the only writer of `index/`), query
//!   building and search.
//! * [`highlight`]: matches in a hit's text and its snippets (no tantivy).
//! * [`suggest`]: the completion list and "did you mean" (words of the
//!   collection, by spelling and reading).
//! * [`live`]: a running server's index: members' writes, the file
//!   watcher, the background convergence with `cases/`.
//! * [`progress`]: counting and showing long work.
//! * [`members`]: who may write (the members file, argon2 hashes).
//! * [`atomic`]: crash-safe file writes; [`token`]: random tokens;
//!   [`printable`]: untrusted text escaped for terminals and logs.
//! * [`transfer`]: CSV / JSON Lines import and export.
//! * [`eval`]: relevance evaluation (judged queries → nDCG@10, recall@10, MRR).
//! * [`cli`]: the command line.
//! * [`synthetic`]: the deterministic benchmark corpus.
//! * [`wareki`]: dates and years in 年月日 and the era calendar (和暦).
//! * [`web`]: the HTTP server (JSON API and the Japanese web UI).

pub mod analysis;
pub mod atomic;
pub mod case;
pub mod cli;
pub mod eval;
pub mod file_error;
pub mod highlight;
pub mod index;
pub mod live;
pub mod meaning;
pub mod members;
pub mod printable;
pub mod progress;
pub mod query;
pub mod suggest;
pub mod synthetic;
pub mod token;
pub mod transfer;
pub mod wareki;
pub mod web;
