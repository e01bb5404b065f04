//! The end-to-end tests, in one binary: every module below links the
//! library (and its ~48 MB dictionary) once, and fixtures that take time to
//! build (an index over the bundled cases, the app around it) are built
//! once per run in [`common`] and shared.
//!
//! Run one module with `cargo test --test it web_api::`. The browser tests
//! need Chromium (see [`browser`]); the cost measurements are ignored by
//! default (see [`cost`]).

/// The product's allocator, so that what the cost measurements time is what
/// the server runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod browser;
mod browser_forms;
mod cli;
mod common;
mod cost;
mod embedding;
mod honest;
mod hostile;
mod import_export;
mod live_index;
mod member_forms;
mod members_cli;
mod readme;
mod related;
mod relevance;
mod search;
mod search_words;
mod similar;
mod startup;
mod synonyms;
mod web_api;
mod web_write;
