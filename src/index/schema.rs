//! The on-disk contract of `index/`: every field, what it holds and why.
//!
//! | field | type | why |
//! |---|---|---|
//! | `id` | raw string, stored, fast | the case's slug; term for lookups |
//! | `path` | raw string, stored, fast | file under `cases/` (`a/b.md`); term for deleting a changed or removed file |
//! | `hash` | stored, fast | blake3 of the file's bytes: unchanged files are skipped |
//! | `case` | stored | the whole case as JSON: hits and `/api/cases/{id}` render without touching `cases/`, so read-only replicas need only `index/` |
//! | `title`, `place`, `tags`, each section key (`summary` … `lessons`) | `ja_morph` text, positions | precise matches on base forms |
//! | `<field>_ng` | `ja_ngram` text, positions | recall: any substring of ≥ 2 characters, as a phrase of bigrams; one character as the terms starting with it (a run's last character is indexed alone) |
//! | `<field>_rd` | `ja_reading` text, positions | kana queries for kanji words (かいぜん → 改善), as a phrase of reading bigrams: any kana substring of a run of words |
//! | `<field>_rw` | `ja_reading_word` text, frequencies | the same readings, one term per word and compound part: a kana query that is a word's reading is one term (a phrase of bigrams over 10,000 cases took 40 ms) |
//! | `level`, `prefecture`, `kind`, `decade` | facets `/改善レベル名` etc. | filters and drill-down counts |
//! | `municipality` | raw string | exact filter |
//! | `meta` | raw string, indexed only | what a case is filed as, each value whole ([`meta_term`]): a query word naming a level, the kind or a section heading finds the cases filed so |
//! | `start_year` | i64, indexed + fast | period filter, sort |
//! | `end_year` | i64, indexed + fast | period filter; 9999 while the campaign goes on |
//! | `updated` | i64 `YYYYMMDD`, fast | "newest" sort, recency tie-break |
//! | `suggest` | raw string, indexed only | the case's title and places for the completion list ([`crate::suggest::CaseWords::terms`]): the term dictionary is the list, each term's document count its number of cases, so a start reads it instead of analysing every case |
//! | `suggest_words` | `ja_suggest_words` text, documents only | the content nouns of title, tags and sections for the completion list ([`crate::suggest::noun_terms`]), from the segmentation that indexed those texts; the last field, so tantivy reaches it after the text fields, while their analysis is still at hand |
//!
//! `place` is municipality + prefecture, so 所沢 finds 所沢市 and 三重 finds
//! 三重県 by their morphological parts.
//!
//! `meta` is what a case is filed as but its text need not say: its
//! levels (戦略提案・施策改善 also as its two halves), its kind and the
//! headings of the sections it fills (人材育成, 政令指定都市, 失敗・課題).
//! A query word that *is* one of them finds the cases filed so, scored
//! low: below the cases whose text says it. A word that is only part of
//! one (改善 of 業務改善) does not: every case would match.
//!
//! `id`, `path` and `hash` are also fast-field columns: the start-up sync
//! learns what is indexed from three columns instead of every stored
//! document.
//!
//! [`SCHEMA_VERSION`] and [`crate::analysis::ANALYSIS_VERSION`] are written
//! to `index/kaizen-wa.json`; an index with other versions is rebuilt from
//! `cases/` on open.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};

use crate::analysis::{AnalyzerKind, fold_term, normalize};
use crate::case::{Case, Section};

/// Bumped whenever a field is added, removed or changes type.
///
/// 2: `<field>_rw`, whole-word readings.
/// 3: `id`, `path`, `hash` are fast fields.
/// 4: `suggest`, the completion list's words.
/// 5: `suggest_words`, the content nouns apart from `suggest`.
/// 6: `meta`, levels, kind and section headings as words.
/// 7: column dictionaries written without zstd (tantivy built without it:
///    an index written with it could not be read).
pub const SCHEMA_VERSION: u32 = 7;

/// The term of a metadata value in `meta`, and of a query word looked up
/// there: normalised and folded as the text analyzers fold, so ＤＸ, 髙 and
/// カイゼン meet their other spellings.
pub fn meta_term(value: &str) -> String {
    fold_term(&normalize(value).text)
}

/// What a case is filed as, each value a term of `meta` ([`meta_term`]):
/// its levels (戦略提案・施策改善 also as 戦略提案 and 施策改善), its kind,
/// the headings of the sections it fills.
pub fn meta_values(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    for level in &case.levels {
        let name = level.name();
        out.push(meta_term(name));
        if name.contains('・') {
            out.extend(name.split('・').map(meta_term));
        }
    }
    out.push(meta_term(case.kind.name()));
    for s in Section::ALL {
        if !case.sections.get(s).trim().is_empty() {
            out.push(meta_term(s.heading()));
        }
    }
    out
}

/// The tokenizer of `suggest_words` ([`super::completion`]).
pub const SUGGEST_WORDS_TOKENIZER: &str = "ja_suggest_words";

/// `end_year` of a campaign that goes on.
pub const ONGOING: i64 = 9999;

/// A searchable text, indexed by each analyzer.
#[derive(Debug, Clone, Copy)]
pub struct TextField {
    pub name: &'static str,
    pub morph: Field,
    pub ngram: Field,
    pub reading: Field,
    pub reading_word: Field,
    /// What the narrative section is, for section-scoped search and
    /// snippet labels; `None` for title, place, tags.
    pub section: Option<Section>,
    /// Relative weight in ranking: title > 概要 > place, tags > sections.
    pub boost: f32,
}

impl TextField {
    pub fn field(&self, kind: AnalyzerKind) -> Field {
        match kind {
            AnalyzerKind::Morph => self.morph,
            AnalyzerKind::Ngram => self.ngram,
            AnalyzerKind::Reading => self.reading,
            AnalyzerKind::ReadingWord => self.reading_word,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Fields {
    pub schema: Schema,
    pub id: Field,
    pub path: Field,
    pub hash: Field,
    pub case: Field,
    pub municipality: Field,
    pub level: Field,
    pub prefecture: Field,
    pub kind: Field,
    pub decade: Field,
    pub start_year: Field,
    pub end_year: Field,
    pub updated: Field,
    pub suggest: Field,
    pub suggest_words: Field,
    /// What a case is filed as ([`meta_values`]).
    pub meta: Field,
    /// Title, place, tags, then the sections in file order.
    pub texts: Vec<TextField>,
}

fn text_options(kind: AnalyzerKind) -> TextOptions {
    // Whole-word readings are only ever single terms: no positions.
    let record = match kind {
        AnalyzerKind::ReadingWord => IndexRecordOption::WithFreqs,
        _ => IndexRecordOption::WithFreqsAndPositions,
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(kind.name())
            .set_index_option(record),
    )
}

impl Fields {
    /// The case a document stores (`None` when the document holds none
    /// this version can read: the index is then rebuilt on the next sync).
    /// The one place stored cases are decoded.
    pub fn stored_case(&self, doc: &TantivyDocument) -> Option<Case> {
        doc.get_first(self.case)
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str(s).ok())
    }

    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED | FAST);
        let path = b.add_text_field("path", STRING | STORED | FAST);
        let hash = b.add_text_field("hash", STORED | FAST);
        let case = b.add_text_field("case", STORED);
        let municipality = b.add_text_field("municipality", STRING);
        let level = b.add_facet_field("level", FacetOptions::default());
        let prefecture = b.add_facet_field("prefecture", FacetOptions::default());
        let kind = b.add_facet_field("kind", FacetOptions::default());
        let decade = b.add_facet_field("decade", FacetOptions::default());
        let start_year = b.add_i64_field("start_year", INDEXED | FAST);
        let end_year = b.add_i64_field("end_year", INDEXED | FAST);
        let updated = b.add_i64_field("updated", FAST);
        let suggest = b.add_text_field("suggest", STRING);
        let meta = b.add_text_field("meta", STRING);

        let mut texts = Vec::new();
        let mut add = |b: &mut tantivy::schema::SchemaBuilder,
                       name: &'static str,
                       section: Option<Section>,
                       boost: f32| {
            let morph = b.add_text_field(name, text_options(AnalyzerKind::Morph));
            let ngram = b.add_text_field(&format!("{name}_ng"), text_options(AnalyzerKind::Ngram));
            let reading =
                b.add_text_field(&format!("{name}_rd"), text_options(AnalyzerKind::Reading));
            let reading_word = b.add_text_field(
                &format!("{name}_rw"),
                text_options(AnalyzerKind::ReadingWord),
            );
            texts.push(TextField {
                name,
                morph,
                ngram,
                reading,
                reading_word,
                section,
                boost,
            });
        };
        add(&mut b, "title", None, 3.0);
        add(&mut b, "place", None, 2.0);
        add(&mut b, "tags", None, 1.5);
        for s in Section::ALL {
            let boost = if s == Section::Summary { 2.0 } else { 1.0 };
            add(&mut b, s.key(), Some(s), boost);
        }
        let suggest_words = b.add_text_field(
            "suggest_words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(SUGGEST_WORDS_TOKENIZER)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        );
        Fields {
            schema: b.build(),
            id,
            path,
            hash,
            case,
            municipality,
            level,
            prefecture,
            kind,
            decade,
            start_year,
            end_year,
            updated,
            suggest,
            suggest_words,
            meta,
            texts,
        }
    }

    pub fn text(&self, name: &str) -> Option<&TextField> {
        self.texts.iter().find(|t| t.name == name)
    }
}

impl Default for Fields {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query word meets a metadata value in any width or variant
    /// spelling, and only whole.
    #[test]
    fn meta_terms_fold_like_the_texts() {
        assert_eq!(meta_term("人材育成"), "人材育成");
        assert_eq!(meta_term("ＤＸ推進"), meta_term("dx推進"));
        assert_eq!(meta_term("失敗・課題"), meta_term("失敗･課題"));
        assert_ne!(meta_term("改善"), meta_term("業務改善"));
    }
}
