//! Search parameters: parsed once from the query string (repeated keys
//! allowed), validated with a message naming the parameter at fault, and
//! turned into a [`SearchRequest`]. The JSON API and the HTML page share
//! this, so both accept exactly the same URLs.

use crate::case::{Kind, Level, Section};
use crate::index::{SearchRequest, Sort};

use super::error::WebError;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 512;
pub const MAX_PER_PAGE: usize = 100;
pub const DEFAULT_PER_PAGE: usize = 10;
/// Deepest result reachable by paging: `page × per_page` may not exceed it.
/// Deep pages cost a top-k of that size per request and nobody reads them.
pub const MAX_DEPTH: usize = 10_000;

/// Related cases shown after the matches unless asked otherwise, and the
/// most that may be asked for.
pub const DEFAULT_RELATED: usize = 5;
pub const MAX_RELATED: usize = 20;

/// The search parameters as given (documented in the OpenAPI document).
#[derive(Debug, Clone, Default, PartialEq, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Query: words are ANDed; "phrase" or 「phrase」, -exclude, a OR b.
    /// At most 512 characters. Empty: every case.
    #[param(max_length = 512)]
    pub q: Option<String>,
    /// Improvement level (業務改善, 人材育成, 事業改善, 職場改善,
    /// 戦略提案・施策改善, or its slug); repeatable: any of them.
    #[param(required = false)]
    pub level: Vec<String>,
    /// 都道府県 (or 全国); repeatable.
    #[param(required = false)]
    pub prefecture: Vec<String>,
    /// 自治体名, exact.
    pub municipality: Option<String>,
    /// Kind of municipality (市, 町, 政令指定都市 …); repeatable.
    #[param(required = false)]
    pub kind: Vec<String>,
    /// Campaigns active in or after this year.
    #[param(value_type = Option<i32>, minimum = 1000, maximum = 9998)]
    pub year_from: Option<String>,
    /// Campaigns active in or before this year.
    #[param(value_type = Option<i32>, minimum = 1000, maximum = 9998)]
    pub year_to: Option<String>,
    /// Search only one narrative section: key (`failures`) or heading (失敗・課題).
    pub section: Option<String>,
    /// `relevance` (default), `newest` (last updated) or `period` (latest start).
    pub sort: Option<String>,
    /// 1-based page number (`page × per_page` at most 10000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    pub page: Option<String>,
    /// Hits per page, 1–100 (default 10).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
    /// Cases related by meaning to show after the matches (first page
    /// only), 0–20 (default 5; 0: none).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 20)]
    pub related: Option<String>,
}

/// The query string as sent: every key may repeat (serde_html_form reads
/// repeated keys into lists; unknown keys are ignored).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RawParams {
    q: Vec<String>,
    level: Vec<String>,
    prefecture: Vec<String>,
    municipality: Vec<String>,
    kind: Vec<String>,
    year_from: Vec<String>,
    year_to: Vec<String>,
    section: Vec<String>,
    sort: Vec<String>,
    page: Vec<String>,
    per_page: Vec<String>,
    related: Vec<String>,
}

/// Validated parameters.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    pub request: SearchRequest,
    pub page: usize,
    pub per_page: usize,
}

impl SearchParams {
    /// From a raw query string; unknown keys are ignored, empty values
    /// count as absent (what an HTML form sends for an empty field).
    pub fn from_query(raw: Option<&str>) -> Result<SearchParams, WebError> {
        let r: RawParams = serde_html_form::from_str(raw.unwrap_or(""))
            .map_err(|_| WebError::bad("query", "クエリ文字列を読み取れません"))?;
        let all = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        // A key given twice (a hand-edited URL): the last value counts.
        let last = |v: Vec<String>| all(v).pop();
        Ok(SearchParams {
            q: last(r.q),
            level: all(r.level),
            prefecture: all(r.prefecture),
            municipality: last(r.municipality),
            kind: all(r.kind),
            year_from: last(r.year_from),
            year_to: last(r.year_to),
            section: last(r.section),
            sort: last(r.sort),
            page: last(r.page),
            per_page: last(r.per_page),
            related: last(r.related),
        })
    }

    /// Checks every parameter, in the order of the form, and stops at the
    /// first one at fault: its name and a message saying what it takes.
    pub fn validate(&self) -> Result<Validated, WebError> {
        let query = self.q.clone().unwrap_or_default();
        let chars = query.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(WebError::bad(
                "q",
                format!(
                    "検索語が長すぎます（{chars} 文字）。{MAX_QUERY_CHARS} 文字以内にしてください"
                ),
            ));
        }
        let levels = levels(&self.level)?;
        let kinds = kinds(&self.kind)?;
        let (year_from, year_to) = years(&self.year_from, &self.year_to)?;
        let section = section(self.section.as_deref())?;
        let sort = sort(self.sort.as_deref())?;
        let (page, per_page) = paging(&self.page, &self.per_page)?;
        let related = related(self.related.as_deref())?;
        Ok(Validated {
            request: SearchRequest {
                query,
                levels,
                prefectures: dedup(&self.prefecture),
                municipality: self.municipality.clone(),
                kinds,
                year_from,
                year_to,
                section,
                sort,
                offset: (page - 1) * per_page,
                limit: per_page,
                facets: true,
                related,
            },
            page,
            per_page,
        })
    }

    /// Back to a query string (for links: facets, chips, pages), with
    /// `edit` applied to a copy.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("municipality", &self.municipality),
            ("year_from", &self.year_from),
            ("year_to", &self.year_to),
            ("section", &self.section),
            ("sort", &self.sort),
            ("per_page", &self.per_page),
            ("related", &self.related),
            ("page", &self.page),
        ] {
            if let Some(v) = v {
                pairs.push((k, v.as_str()));
            }
        }
        for v in &self.level {
            pairs.push(("level", v));
        }
        for v in &self.prefecture {
            pairs.push(("prefecture", v));
        }
        for v in &self.kind {
            pairs.push(("kind", v));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    /// A copy for a link: always back to page 1 unless `keep_page`.
    pub fn edited(&self, edit: impl FnOnce(&mut SearchParams)) -> SearchParams {
        let mut p = self.clone();
        p.page = None;
        edit(&mut p);
        p
    }

    /// Whether any filter (anything but q, sort, paging) is set.
    pub fn has_filters(&self) -> bool {
        !self.level.is_empty()
            || !self.prefecture.is_empty()
            || !self.kind.is_empty()
            || self.municipality.is_some()
            || self.year_from.is_some()
            || self.year_to.is_some()
            || self.section.is_some()
    }
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        let s = crate::analysis::nfkc(s);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `level` values → levels, each once; a name that is not a level is
/// answered with the nearest one.
fn levels(given: &[String]) -> Result<Vec<Level>, WebError> {
    let list = Level::parse_list(given);
    match list.first_unknown() {
        Some((l, nearest)) => Err(WebError::bad(
            "level",
            format!("「{l}」は改善レベルではありません（もしかして「{nearest}」？）"),
        )),
        None => Ok(list.levels),
    }
}

/// `kind` values → kinds of municipality, each once.
fn kinds(given: &[String]) -> Result<Vec<Kind>, WebError> {
    let mut kinds = Vec::new();
    for k in given {
        match Kind::parse(k) {
            Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
            Some(_) => {}
            None => {
                let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
                return Err(WebError::bad(
                    "kind",
                    format!(
                        "「{k}」は自治体の種類ではありません。{} のどれかです",
                        names.join("・")
                    ),
                ));
            }
        }
    }
    Ok(kinds)
}

/// `year_from` and `year_to` (full-width digits too), in order.
fn years(
    from: &Option<String>,
    to: &Option<String>,
) -> Result<(Option<i32>, Option<i32>), WebError> {
    let year = |param: &'static str, v: &Option<String>| -> Result<Option<i32>, WebError> {
        match v {
            None => Ok(None),
            Some(s) => match crate::analysis::nfkc(s).parse::<i32>() {
                Ok(y) if (1000..=9998).contains(&y) => Ok(Some(y)),
                _ => Err(WebError::bad(
                    param,
                    format!("「{s}」は西暦の年（例: 2005）ではありません"),
                )),
            },
        }
    };
    let year_from = year("year_from", from)?;
    let year_to = year("year_to", to)?;
    if let (Some(f), Some(t)) = (year_from, year_to)
        && f > t
    {
        return Err(WebError::bad(
            "year_to",
            format!("終わりの年 {t} が始まりの年 {f} より前です"),
        ));
    }
    Ok((year_from, year_to))
}

/// `section`, by key or heading; a wrong one is answered with the list.
fn section(given: Option<&str>) -> Result<Option<Section>, WebError> {
    let Some(s) = given else {
        return Ok(None);
    };
    let section = Section::parse(s).ok_or_else(|| {
        let names: Vec<_> = Section::ALL
            .iter()
            .map(|s| format!("{}（{}）", s.heading(), s.key()))
            .collect();
        WebError::bad(
            "section",
            format!(
                "探す範囲「{s}」はありません。{} のどれかを選んでください",
                names.join("、")
            ),
        )
    })?;
    Ok(Some(section))
}

fn sort(given: Option<&str>) -> Result<Sort, WebError> {
    match given {
        None | Some("relevance") => Ok(Sort::Relevance),
        Some("newest") => Ok(Sort::Newest),
        Some("period") => Ok(Sort::Period),
        Some(s) => Err(WebError::bad(
            "sort",
            format!("「{s}」は並べ方ではありません。relevance・newest・period のどれかです"),
        )),
    }
}

/// Related cases asked for: 0 to [`MAX_RELATED`], [`DEFAULT_RELATED`] if
/// not given.
fn related(v: Option<&str>) -> Result<usize, WebError> {
    match v {
        None => Ok(DEFAULT_RELATED),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n <= MAX_RELATED => Ok(n),
            _ => Err(WebError::bad(
                "related",
                format!("「{s}」は 0 から {MAX_RELATED} までの整数ではありません"),
            )),
        },
    }
}

/// `page` and `per_page`, within [`MAX_PER_PAGE`] and [`MAX_DEPTH`].
fn paging(page: &Option<String>, per_page: &Option<String>) -> Result<(usize, usize), WebError> {
    let number =
        |param: &'static str, v: &Option<String>, default: usize| -> Result<usize, WebError> {
            match v {
                None => Ok(default),
                Some(s) => match s.parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(WebError::bad(
                        param,
                        format!("「{s}」は 1 以上の整数ではありません"),
                    )),
                },
            }
        };
    let page = number("page", page, 1)?;
    let per_page = number("per_page", per_page, DEFAULT_PER_PAGE)?;
    if per_page > MAX_PER_PAGE {
        return Err(WebError::bad(
            "per_page",
            format!("1 ページの件数は {MAX_PER_PAGE} 件までです（{per_page} が指定されました）"),
        ));
    }
    if page.saturating_mul(per_page) > MAX_DEPTH {
        return Err(WebError::bad(
            "page",
            format!("{MAX_DEPTH} 件より先のページは表示できません。条件を絞り込んでください"),
        ));
    }
    Ok((page, per_page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Validated, WebError> {
        SearchParams::from_query(Some(q))?.validate()
    }

    #[test]
    fn repeated_levels_and_empty_values() {
        let v = parse("q=%E6%94%B9%E5%96%84&level=jinzai&level=%E6%A5%AD%E5%8B%99%E6%94%B9%E5%96%84&prefecture=").unwrap();
        assert_eq!(v.request.query, "改善");
        assert_eq!(v.request.levels, vec![Level::Jinzai, Level::Gyomu]);
        assert!(v.request.prefectures.is_empty());
        // Unknown keys are ignored; a value given twice: the last one, as
        // before the parser was a crate; whitespace-only is absent.
        let v = parse("utm_source=x&q=a&q=%E6%94%B9&per_page=+").unwrap();
        assert_eq!(v.request.query, "改");
        assert_eq!(v.per_page, DEFAULT_PER_PAGE);
    }

    #[test]
    fn errors_name_the_parameter() {
        for (q, param) in [
            ("level=foo", "level"),
            ("per_page=101", "per_page"),
            ("page=0", "page"),
            ("page=200&per_page=100", "page"),
            ("sort=best", "sort"),
            ("section=%E5%A4%B1%E6%95%97", "section"),
            ("year_from=2010&year_to=2000", "year_to"),
            ("year_from=abc", "year_from"),
            ("kind=%E5%B7%9E", "kind"),
            ("related=21", "related"),
            ("related=-1", "related"),
            ("related=%00", "related"),
        ] {
            let err = parse(q).unwrap_err();
            assert_eq!(err.param(), Some(param), "{q}");
        }
        let long = "あ".repeat(MAX_QUERY_CHARS + 1);
        let err = SearchParams {
            q: Some(long),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.param(), Some("q"));
    }

    #[test]
    fn query_string_round_trips() {
        let p =
            SearchParams::from_query(Some("q=a+b&level=jinzai&level=gyomu&sort=newest")).unwrap();
        assert_eq!(SearchParams::from_query(Some(&p.to_query())).unwrap(), p);
    }
}
