//! Searching: our own query builder over the analyzers' fields, filters,
//! sorting, drill-down facet counts, and hits with snippets.

use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::highlight::{Matcher, is_kana_word, snippet};
use super::query::{self, Atom, UserQuery};
use super::schema::{Fields, ONGOING, TextField};
use super::{CaseIndex, IndexError};
use crate::analysis::{AnalyzerKind, analyze};
use crate::case::{Case, Kind, Level, Period, Section};

/// Weight of each analyzer's match relative to a morphological one: exact
/// word matches rank first, substring and reading matches still come.
const NGRAM_WEIGHT: f32 = 0.5;
const READING_WEIGHT: f32 = 0.6;

/// Characters of context in a snippet.
const SNIPPET_WIDTH: usize = 110;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// BM25 with field weights; the more recently updated case first on ties.
    #[default]
    Relevance,
    /// Most recently updated first.
    Newest,
    /// Most recent start year first.
    Period,
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Any of these levels (OR).
    pub levels: Vec<Level>,
    /// Any of these prefectures (OR).
    pub prefectures: Vec<String>,
    pub municipality: Option<String>,
    pub kinds: Vec<Kind>,
    /// Campaigns active at some point in `year_from..=year_to`.
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    /// Search only this narrative section.
    pub section: Option<Section>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Compute facet counts (one extra search per facet).
    pub facets: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionSnippet {
    /// Section key (`failures`), or `title`.
    pub section: &'static str,
    /// Its heading (失敗・課題).
    pub heading: &'static str,
    /// HTML-escaped, matches in `<mark>`.
    pub html: String,
    #[serde(skip)]
    pub snippet: super::Snippet,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    /// Title HTML-escaped with matches in `<mark>`.
    pub title_html: String,
    pub municipality: String,
    pub prefecture: String,
    pub kind: Kind,
    pub levels: Vec<Level>,
    pub period: Period,
    pub updated: Option<String>,
    pub score: f32,
    /// Sections that matched, best first; the summary if none did.
    pub snippets: Vec<SectionSnippet>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub level: Vec<FacetCount>,
    pub prefecture: Vec<FacetCount>,
    pub kind: Vec<FacetCount>,
    pub decade: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
    #[serde(skip)]
    pub took: Duration,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn facet_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_facet(field, &Facet::from_path([value])),
        IndexRecordOption::Basic,
    ))
}

/// Terms in sequence: a term, or a phrase of several.
fn sequence(field: Field, terms: &[String]) -> Option<Box<dyn Query>> {
    match terms {
        [] => None,
        [one] => Some(term_query(field, one)),
        many => Some(Box::new(PhraseQuery::new(
            many.iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

fn should(queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.into_iter().next(),
        _ => Some(Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))),
    }
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    if (by - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, by))
    }
}

/// The analysed forms of an atom, computed once and used for every field.
struct AtomTerms {
    atom: Atom,
    morph: Vec<String>,
    ngram: Vec<String>,
    reading: Vec<String>,
    single_char: Option<char>,
}

impl AtomTerms {
    fn new(atom: &Atom) -> AtomTerms {
        let text = atom.text();
        let texts = |k| {
            analyze(k, text)
                .into_iter()
                .map(|t| t.text)
                .collect::<Vec<_>>()
        };
        let ngram = texts(AnalyzerKind::Ngram);
        let single_char = match ngram.as_slice() {
            [one] if one.chars().count() == 1 => one.chars().next(),
            _ => None,
        };
        AtomTerms {
            atom: atom.clone(),
            morph: texts(AnalyzerKind::Morph),
            reading: if is_kana_word(text) && text.chars().count() > 1 {
                crate::analysis::kana_bigrams(text)
            } else {
                Vec::new()
            },
            ngram,
            single_char,
        }
    }

    /// Matches of this atom in one text field, each analyzer weighted.
    fn in_field(&self, tf: &TextField) -> Vec<Box<dyn Query>> {
        let mut out = Vec::new();
        let morph = match self.atom {
            // A word: all its terms, in any order, within the field — never
            // an implicit phrase (tantivy#718).
            Atom::Word(_) if self.morph.len() > 1 => Some(Box::new(BooleanQuery::new(
                self.morph
                    .iter()
                    .map(|t| (Occur::Must, term_query(tf.morph, t)))
                    .collect(),
            )) as Box<dyn Query>),
            _ => sequence(tf.morph, &self.morph),
        };
        if let Some(q) = morph {
            out.push(boost(q, tf.boost));
        }
        let ngram = match self.single_char {
            // One character: any bigram containing it, or the lone char.
            Some(c) => {
                let escaped = regex_escape(c);
                RegexQuery::from_pattern(&format!(".?{escaped}.?"), tf.ngram)
                    .ok()
                    .map(|q| Box::new(q) as Box<dyn Query>)
            }
            None => sequence(tf.ngram, &self.ngram),
        };
        if let Some(q) = ngram {
            out.push(boost(q, tf.boost * NGRAM_WEIGHT));
        }
        if let Some(q) = sequence(tf.reading, &self.reading) {
            out.push(boost(q, tf.boost * READING_WEIGHT));
        }
        out
    }
}

fn regex_escape(c: char) -> String {
    if c.is_ascii_punctuation() {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

impl CaseIndex {
    /// The fields a request searches: one section's, or all.
    fn search_fields(&self, section: Option<Section>) -> Vec<&TextField> {
        self.fields
            .texts
            .iter()
            .filter(|tf| section.is_none() || tf.section == section)
            .collect()
    }

    fn text_query(&self, q: &UserQuery, section: Option<Section>) -> Box<dyn Query> {
        let fields = self.search_fields(section);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &q.clauses {
            let alternatives: Vec<Box<dyn Query>> = clause
                .any_of
                .iter()
                .map(AtomTerms::new)
                .filter_map(|at| should(fields.iter().flat_map(|tf| at.in_field(tf)).collect()))
                .collect();
            let occur = if clause.negated {
                Occur::MustNot
            } else {
                Occur::Must
            };
            match should(alternatives) {
                Some(q) => clauses.push((occur, q)),
                // A required word with no searchable form (only
                // punctuation): nothing can match it.
                None if !clause.negated => clauses.push((Occur::Must, Box::new(EmptyQuery))),
                None => {}
            }
        }
        if q.is_match_all() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Filters, each as (facet name, query), so facet counts can leave their
    /// own out.
    fn filters(&self, req: &SearchRequest) -> Vec<(&'static str, Box<dyn Query>)> {
        let f: &Fields = &self.fields;
        let mut out: Vec<(&'static str, Box<dyn Query>)> = Vec::new();
        let any = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            should(queries).unwrap_or_else(|| Box::new(EmptyQuery))
        };
        if !req.levels.is_empty() {
            out.push((
                "level",
                any(req
                    .levels
                    .iter()
                    .map(|l| facet_query(f.level, l.name()))
                    .collect()),
            ));
        }
        if !req.prefectures.is_empty() {
            out.push((
                "prefecture",
                any(req
                    .prefectures
                    .iter()
                    .map(|p| facet_query(f.prefecture, p))
                    .collect()),
            ));
        }
        if !req.kinds.is_empty() {
            out.push((
                "kind",
                any(req
                    .kinds
                    .iter()
                    .map(|k| facet_query(f.kind, k.name()))
                    .collect()),
            ));
        }
        if let Some(m) = &req.municipality {
            out.push((
                "municipality",
                Box::new(TermQuery::new(
                    Term::from_field_text(f.municipality, m),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if req.year_from.is_some() || req.year_to.is_some() {
            // Active at some point in the range: started by its end, and
            // not ended before its start.
            let to = req.year_to.map_or(ONGOING, i64::from);
            let from = req.year_from.map_or(i64::MIN, i64::from);
            let started = RangeQuery::new(
                std::ops::Bound::Unbounded,
                std::ops::Bound::Included(Term::from_field_i64(f.start_year, to)),
            );
            let not_ended = RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_i64(f.end_year, from)),
                std::ops::Bound::Unbounded,
            );
            out.push((
                "decade",
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(started) as Box<dyn Query>),
                    (Occur::Must, Box::new(not_ended)),
                ])),
            ));
        }
        out
    }

    fn combine(text: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        if filters.is_empty() {
            return text;
        }
        let mut clauses = vec![(Occur::Must, text)];
        clauses.extend(filters.into_iter().map(|q| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
            )
        }));
        Box::new(BooleanQuery::new(clauses))
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let parsed = query::parse(&req.query);
        let searcher = self.reader.searcher();
        let filters = self.filters(req);
        let text = self.text_query(&parsed, req.section);
        let query = Self::combine(
            text.box_clone(),
            filters.iter().map(|(_, q)| q.box_clone()).collect(),
        );
        let limit = req.limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(req.offset);
        let err = self.tantivy_err();
        let (total, addrs): (usize, Vec<(f32, DocAddress)>) = match req.sort {
            Sort::Relevance => {
                let updated_field = "updated";
                let collector = top.tweak_score(move |reader: &tantivy::SegmentReader| {
                    let updated = reader
                        .fast_fields()
                        .i64(updated_field)
                        .ok()
                        .map(|c| c.first_or_default_col(0));
                    move |doc, score| {
                        let u = updated.as_ref().map_or(0, |c| c.get_val(doc));
                        (score, u)
                    }
                });
                let (count, docs) = searcher
                    .search(&*query, &(Count, collector))
                    .map_err(&err)?;
                (count, docs.into_iter().map(|((s, _), a)| (s, a)).collect())
            }
            Sort::Newest | Sort::Period => {
                let field = if req.sort == Sort::Newest {
                    "updated"
                } else {
                    "start_year"
                };
                let collector = top.order_by_fast_field::<i64>(field, Order::Desc);
                let (count, docs) = searcher
                    .search(&*query, &(Count, collector))
                    .map_err(&err)?;
                (count, docs.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };

        let matcher = Matcher::new(&parsed);
        let mut hits = Vec::with_capacity(addrs.len());
        for (score, addr) in addrs {
            if let Some(hit) = self.hit(&searcher, addr, score, &matcher, req.section)? {
                hits.push(hit);
            }
        }
        let facets = if req.facets {
            Some(self.facets(&searcher, &*text, &filters)?)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
            took: started.elapsed(),
        })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: f32,
        matcher: &Matcher,
        section: Option<Section>,
    ) -> Result<Option<Hit>, IndexError> {
        let doc: TantivyDocument = searcher.doc(addr).map_err(self.tantivy_err())?;
        let Some(case) = doc
            .get_first(self.fields.case)
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str::<Case>(s).ok())
        else {
            return Ok(None);
        };
        let title_ranges = matcher.ranges(&case.title);
        let title_html = snippet(&case.title, &title_ranges, usize::MAX).to_html();
        let mut snippets: Vec<SectionSnippet> = Section::ALL
            .into_iter()
            .filter(|s| section.is_none_or(|only| only == *s))
            .filter_map(|s| {
                let text = case.sections.get(s);
                if matcher.is_empty() || text.is_empty() {
                    return None;
                }
                let ranges = matcher.ranges(text);
                (!ranges.is_empty()).then(|| {
                    let snip = snippet(text, &ranges, SNIPPET_WIDTH);
                    SectionSnippet {
                        section: s.key(),
                        heading: s.heading(),
                        html: snip.to_html(),
                        snippet: snip,
                    }
                })
            })
            .collect();
        snippets.sort_by_key(|s| std::cmp::Reverse(s.snippet.marks.len()));
        snippets.truncate(3);
        if snippets.is_empty() {
            let s = section.unwrap_or(Section::Summary);
            let snip = snippet(case.sections.get(s), &[], SNIPPET_WIDTH);
            snippets.push(SectionSnippet {
                section: s.key(),
                heading: s.heading(),
                html: snip.to_html(),
                snippet: snip,
            });
        }
        Ok(Some(Hit {
            id: case.id,
            title: case.title,
            title_html,
            municipality: case.municipality,
            prefecture: case.prefecture,
            kind: case.kind,
            levels: case.levels,
            period: case.period,
            updated: case.updated,
            score,
            snippets,
        }))
    }

    /// Counts per facet value under the text query and every *other*
    /// filter, so that choosing a value shows what the others would give.
    fn facets(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filters: &[(&'static str, Box<dyn Query>)],
    ) -> Result<Facets, IndexError> {
        let count = |name: &'static str| -> Result<Vec<FacetCount>, IndexError> {
            let others = filters
                .iter()
                .filter(|(n, _)| *n != name)
                .map(|(_, q)| q.box_clone())
                .collect();
            let query = Self::combine(text.box_clone(), others);
            let mut collector = FacetCollector::for_field(name);
            collector.add_facet(Facet::root());
            let counts = searcher
                .search(&*query, &collector)
                .map_err(self.tantivy_err())?;
            let mut out: Vec<FacetCount> = counts
                .get(Facet::root())
                .map(|(facet, count)| FacetCount {
                    value: facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    count,
                })
                .collect();
            out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            Ok(out)
        };
        let mut level = count("level")?;
        level.sort_by_key(|c| Level::parse(&c.value).map_or(9, |l| l as usize));
        let mut decade = count("decade")?;
        decade.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(Facets {
            level,
            prefecture: count("prefecture")?,
            kind: count("kind")?,
            decade,
        })
    }
}
