//! Case input from people and programs: the HTML form's fields and the
//! API's JSON body both become a [`Draft`] (every field as typed), and a
//! draft becomes a [`Case`] plus the problems that keep it from being one.
//!
//! Only type-level problems are found here (a year that is no number, a
//! level that is not one of the five); the domain rules are the case
//! module's ([`edit::prepare`], the same the CLI's `check` applies), so a
//! form, the API and the files can never disagree on what is valid.
//!
//! The form keeps what the member typed, exactly: on any problem the page
//! is rendered again from the [`CaseForm`], never from the parsed case.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::WebError;
use crate::case::edit::{self, EditError};
use crate::case::municipalities;
use crate::case::{
    Case, Contact, FieldProblem, Kind, Level, LevelProblem, Period, Section, Sections, Severity,
};
use crate::index::CaseIndex;
use crate::wareki;

/// What a case is filed under, as typed: its id, title, place, kind,
/// levels and years. The form and the draft both carry these fields as
/// the member or the program typed them (strings, not yet checked), and
/// [`CaseForm::draft`] hands them over whole, so they are declared once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filing {
    /// Empty on create: derived from place, title and year ([`derive_id`]).
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    /// A kind's name; empty: inferred from the municipality list.
    pub kind: String,
    /// Level names or slugs, as ticked or sent.
    pub levels: Vec<String>,
    /// 西暦 or 和暦 (平成22, Ｈ２２, 2010).
    pub start_year: String,
    /// Empty while the campaign goes on.
    pub end_year: String,
}

/// A case as typed: strings, not yet checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub filing: Filing,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
    pub sections: Sections,
    /// `##` sections the format does not know, kept as they are.
    pub extra_sections: Vec<(String, String)>,
    /// 問い合わせ先.
    pub contact: Contact,
}

fn problem(field: &'static str, message: String) -> FieldProblem {
    FieldProblem {
        field,
        severity: Severity::Error,
        message,
    }
}

impl Draft {
    /// The case this draft describes, and the type-level problems; a field
    /// with such a problem holds a placeholder in the case.
    pub fn to_case(&self) -> (Case, Vec<FieldProblem>) {
        let mut problems = Vec::new();
        let kind = self.kind(&mut problems);
        let levels = self.levels(&mut problems);
        let period = self.period(&mut problems);
        let case = Case {
            id: self.filing.id.trim().to_owned(),
            title: self.filing.title.clone(),
            municipality: self.filing.municipality.trim().to_owned(),
            prefecture: self.filing.prefecture.trim().to_owned(),
            kind,
            levels,
            period,
            tags: self.tags.clone(),
            contributor: None,
            updated: None,
            sections: self.sections.clone(),
            sources: self.sources.clone(),
            extra_sections: self.extra_sections.clone(),
            contact: self.contact.clone(),
        };
        (case, problems)
    }

    /// The kind chosen, else the one the municipality list gives (市 as the
    /// placeholder when neither does).
    fn kind(&self, problems: &mut Vec<FieldProblem>) -> Kind {
        let prefecture = self.filing.prefecture.trim();
        let municipality = self.filing.municipality.trim();
        if self.filing.kind.trim().is_empty() {
            municipalities::infer_kind(prefecture, municipality).unwrap_or_else(|| {
                if !prefecture.is_empty() && !municipality.is_empty() {
                    problems.push(problem(
                        "kind",
                        "自治体の一覧から種類を決められません。種類を選んでください".into(),
                    ));
                }
                Kind::City
            })
        } else {
            Kind::parse(&self.filing.kind).unwrap_or_else(|| {
                let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
                problems.push(problem(
                    "kind",
                    format!(
                        "「{}」は自治体の種類ではありません（{} のどれか）",
                        self.filing.kind,
                        names.join("・")
                    ),
                ));
                Kind::City
            })
        }
    }

    /// The levels ticked, each once.
    fn levels(&self, problems: &mut Vec<FieldProblem>) -> Vec<Level> {
        let list = Level::parse_list(&self.filing.levels);
        for p in &list.problems {
            if let LevelProblem::Unknown { given, nearest } = p {
                problems.push(problem(
                    "levels",
                    format!("「{given}」は改善レベルではありません（もしかして「{nearest}」？）"),
                ));
            }
        }
        list.levels
    }

    /// Start and end year, in 西暦 or 和暦 (start 0 when unreadable).
    fn period(&self, problems: &mut Vec<FieldProblem>) -> Period {
        let start = if self.filing.start_year.trim().is_empty() {
            problems.push(problem(
                "start_year",
                "開始年を入力してください（例: 2005、平成17）".into(),
            ));
            0
        } else {
            wareki::parse_year(&self.filing.start_year).unwrap_or_else(|e| {
                problems.push(problem("start_year", format!("開始年: {e}")));
                0
            })
        };
        let end = if self.filing.end_year.trim().is_empty() {
            None
        } else {
            match wareki::parse_year(&self.filing.end_year) {
                Ok(y) => Some(y),
                Err(e) => {
                    problems.push(problem(
                        "end_year",
                        format!("終了年: {e}（続いている取組なら空のままにします）"),
                    ));
                    None
                }
            }
        };
        Period { start, end }
    }

    /// The case, or every problem (type-level and domain rules together;
    /// a field with a type problem is not judged again by the rules).
    /// `Ok` carries the warnings.
    pub fn check(&self) -> Result<(Case, Vec<FieldProblem>), Vec<FieldProblem>> {
        let (case, mut problems) = self.to_case();
        let typed: HashSet<&'static str> = problems.iter().map(|p| p.field).collect();
        let rules = match edit::prepare(&case) {
            Ok((_, _, warnings)) => warnings,
            Err(EditError::Invalid(p)) => p,
            Err(e) => vec![problem("case", e.to_string())],
        };
        problems.extend(rules.into_iter().filter(|p| !typed.contains(p.field)));
        if problems.iter().any(|p| p.severity == Severity::Error) {
            Err(problems)
        } else {
            Ok((case, problems))
        }
    }
}

/// An id for a new case without one, unused in the index: the import's
/// readable rule (`saitama-kaizen-teian-2009`, see [`crate::case::slug`]).
pub fn derive_id(case: &Case, index: &CaseIndex, taken: &mut HashSet<String>) -> String {
    loop {
        let id = crate::transfer::derive_id(case, taken);
        if !index.has_id(&id).unwrap_or(false) {
            return id;
        }
    }
}

// ------------------------------------------------------------------ JSON

/// The body of `POST /api/cases` and `PUT /api/cases/{id}`: the shape
/// `GET /api/cases/{id}` returns. `contributor` and `updated` are
/// read-only (set from the member and the date) and ignored, like any
/// unknown field. `id` may be left out on create (derived from the place,
/// the title's words and the start year) and on update (the path's).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct CaseInput {
    /// Lowercase letters, digits and `-`, at most 80; left out on create:
    /// derived from the place, the title's words and the start year.
    #[schema(max_length = 80, pattern = "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
    pub id: Option<String>,
    #[schema(required = true, min_length = 1)]
    pub title: String,
    #[schema(required = true, min_length = 1)]
    pub municipality: String,
    /// 都道府県, or 全国 for a nationwide campaign.
    #[schema(required = true, min_length = 1)]
    pub prefecture: String,
    /// Left out: inferred from the municipality list.
    pub kind: Option<String>,
    /// 業務改善, 人材育成, 事業改善, 職場改善, 戦略提案・施策改善.
    #[schema(required = true, min_items = 1)]
    pub levels: Vec<String>,
    #[schema(required = true)]
    pub period: PeriodInput,
    pub tags: Vec<String>,
    /// Section key → text; `summary`, `actors` and `activities` must not
    /// be empty (also `failures`, `results`, `lessons`, …: see the case
    /// format).
    #[schema(required = true, value_type = Object, additional_properties = true)]
    pub sections: BTreeMap<String, String>,
    /// At least one; one URL or citation each, on one line.
    #[schema(required = true, min_items = 1)]
    pub sources: Vec<String>,
    /// Sections with headings of the member's own, in order: each a
    /// `[heading, text]` pair (an array of exactly two strings).
    #[schema(schema_with = extra_sections_schema)]
    pub extra_sections: Vec<(String, String)>,
    /// 問い合わせ先 (optional): the department in charge and a public page.
    pub contact: ContactInput,
}

/// 問い合わせ先 of a case; either may be left out or empty.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContactInput {
    /// 担当部署 (one line, at most 200 characters).
    pub department: String,
    /// A public page (`https://…`).
    pub url: String,
}

/// `[[heading, text], …]`: utoipa has no schema for a 2-tuple.
fn extra_sections_schema() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let pair = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some("[heading, text]"));
    ArrayBuilder::new().items(pair).build()
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PeriodInput {
    /// The year the campaign started (1945 to next year).
    #[schema(required = true, minimum = 1945)]
    pub start: Option<i32>,
    /// `null` or left out while the campaign goes on.
    pub end: Option<i32>,
}

impl CaseInput {
    /// Parses a JSON body; a body that is no such object is a 400 naming
    /// what is wrong.
    pub fn parse(body: &[u8]) -> Result<CaseInput, WebError> {
        serde_json::from_slice(body).map_err(|e| {
            WebError::BadBody(format!(
                "JSON として読めません（{e}）。GET /api/cases/{{id}} と同じ形のオブジェクトを送ってください"
            ))
        })
    }

    pub fn into_draft(self) -> Result<Draft, WebError> {
        let mut sections = Sections::default();
        for (key, text) in self.sections {
            let section = Section::parse(&key).ok_or_else(|| {
                let keys: Vec<_> = Section::ALL.iter().map(|s| s.key()).collect();
                WebError::BadBody(format!(
                    "sections の「{key}」は節の名前ではありません（{} のどれか）",
                    keys.join(", ")
                ))
            })?;
            *sections.get_mut(section) = text;
        }
        Ok(Draft {
            filing: Filing {
                id: self.id.unwrap_or_default(),
                title: self.title,
                municipality: self.municipality,
                prefecture: self.prefecture,
                kind: self.kind.unwrap_or_default(),
                levels: self.levels,
                start_year: self.period.start.map(|y| y.to_string()).unwrap_or_default(),
                end_year: self.period.end.map(|y| y.to_string()).unwrap_or_default(),
            },
            tags: self.tags,
            sources: self.sources,
            sections,
            extra_sections: self.extra_sections,
            contact: Contact {
                department: self.contact.department,
                url: self.contact.url,
            },
        })
    }
}

// ------------------------------------------------------------------ form

/// The case form's body as the browser sends it, decoded by
/// `serde_html_form` (repeated keys into the `Vec` fields).
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawForm {
    id: String,
    title: String,
    municipality: String,
    prefecture: String,
    kind: String,
    levels: Vec<String>,
    start_year: String,
    end_year: String,
    tags: String,
    sources: String,
    summary: String,
    actors: String,
    motivations: String,
    background: String,
    activities: String,
    successes: String,
    failures: String,
    lessons: String,
    extra_heading: Vec<String>,
    extra_text: Vec<String>,
    contact_department: String,
    contact_url: String,
    etag: String,
    base: String,
    conflict: Vec<String>,
    csrf: String,
    action: String,
}

/// The case form's fields exactly as sent (and shown again).
#[derive(Debug, Clone, Default)]
pub struct CaseForm {
    pub filing: Filing,
    /// Separated by 、 , ; / or line breaks.
    pub tags: String,
    /// One per line.
    pub sources: String,
    /// Section texts in [`Section::ALL`] order.
    pub sections: Vec<String>,
    pub extra: Vec<(String, String)>,
    /// 問い合わせ先: 担当部署.
    pub contact_department: String,
    /// 問い合わせ先: a public page.
    pub contact_url: String,
    /// The ETag the edit started from (hidden field).
    pub etag: String,
    /// The case the edit started from, as JSON (hidden field): the common
    /// ancestor of a three-way merge when someone saved meanwhile. Carried
    /// by the form itself so the merge needs no history store (no git).
    pub base: String,
    /// Fields left in conflict by the last merge (hidden fields), so that
    /// taking the other version of one keeps the others in view.
    pub conflicts: Vec<String>,
    pub csrf: String,
    /// Which button: `preview` or `save`.
    pub action: String,
}

impl CaseForm {
    /// An `application/x-www-form-urlencoded` body: repeated keys
    /// (`levels`, `extra_heading`/`extra_text`, `conflict`) in order,
    /// unknown keys ignored.
    pub fn parse(body: &[u8]) -> Result<CaseForm, WebError> {
        let raw: RawForm = serde_html_form::from_bytes(body)
            .map_err(|_| WebError::BadBody("フォームの内容を読み取れません".into()))?;
        // Browsers send CRLF line breaks in textareas.
        let lf = |v: String| {
            if v.contains('\r') {
                v.replace("\r\n", "\n")
            } else {
                v
            }
        };
        let sections = [
            raw.summary,
            raw.actors,
            raw.motivations,
            raw.background,
            raw.activities,
            raw.successes,
            raw.failures,
            raw.lessons,
        ];
        Ok(CaseForm {
            filing: Filing {
                id: lf(raw.id),
                title: lf(raw.title),
                municipality: lf(raw.municipality),
                prefecture: lf(raw.prefecture),
                kind: lf(raw.kind),
                levels: raw.levels.into_iter().map(lf).collect(),
                start_year: lf(raw.start_year),
                end_year: lf(raw.end_year),
            },
            tags: lf(raw.tags),
            sources: lf(raw.sources),
            sections: sections.into_iter().map(lf).collect(),
            extra: raw
                .extra_heading
                .into_iter()
                .map(lf)
                .zip(raw.extra_text.into_iter().map(lf))
                .collect(),
            contact_department: lf(raw.contact_department),
            contact_url: lf(raw.contact_url),
            etag: raw.etag,
            base: raw.base,
            conflicts: raw.conflict,
            csrf: raw.csrf,
            action: raw.action,
        })
    }

    /// Writes years typed in the era calendar or in full-width digits
    /// (平成22, Ｈ２２, 令和5年度) as the Western year they mean, so the
    /// member sees what will be saved; a text that is no year stays as
    /// typed, for its message.
    pub fn settle_years(&mut self) {
        for y in [&mut self.filing.start_year, &mut self.filing.end_year] {
            if let Ok(year) = wareki::parse_year(y) {
                let western = year.to_string();
                if y.trim() != western {
                    *y = western;
                }
            }
        }
    }

    /// A year field's value with its era, when it is a year: 「2010年（平成22年）」.
    pub fn year_shown(&self, field: &str) -> Option<String> {
        let v = match field {
            "start_year" => &self.filing.start_year,
            _ => &self.filing.end_year,
        };
        wareki::parse_year(v).ok().map(wareki::year_ja)
    }

    pub fn from_case(case: &Case) -> CaseForm {
        CaseForm {
            filing: Filing {
                id: case.id.clone(),
                title: case.title.clone(),
                municipality: case.municipality.clone(),
                prefecture: case.prefecture.clone(),
                kind: case.kind.name().to_owned(),
                levels: case.levels.iter().map(|l| l.slug().to_owned()).collect(),
                start_year: case.period.start.to_string(),
                end_year: case.period.end.map(|y| y.to_string()).unwrap_or_default(),
            },
            tags: case.tags.join("、"),
            sources: case.sources.join("\n"),
            sections: Section::ALL
                .iter()
                .map(|s| case.sections.get(*s).to_owned())
                .collect(),
            extra: case.extra_sections.clone(),
            contact_department: case.contact.department.clone(),
            contact_url: case.contact.url.clone(),
            ..CaseForm::default()
        }
    }

    pub fn draft(&self) -> Draft {
        let mut sections = Sections::default();
        for (s, text) in Section::ALL.iter().zip(&self.sections) {
            *sections.get_mut(*s) = text.clone();
        }
        Draft {
            filing: self.filing.clone(),
            tags: crate::transfer::split_list(&self.tags),
            sources: self
                .sources
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.trim_start_matches("- ").trim().to_owned())
                .collect(),
            sections,
            extra_sections: self.extra.clone(),
            contact: Contact {
                department: self.contact_department.clone(),
                url: self.contact_url.clone(),
            },
        }
    }

    pub fn section(&self, s: Section) -> &str {
        Section::ALL
            .iter()
            .position(|x| *x == s)
            .and_then(|i| self.sections.get(i))
            .map_or("", String::as_str)
    }

    pub fn has_level(&self, l: Level) -> bool {
        self.filing
            .levels
            .iter()
            .any(|v| Level::parse(v).is_some_and(|x| x == l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::form_messages::Messages;

    fn body(pairs: &[(&str, &str)]) -> Vec<u8> {
        serde_urlencoded::to_string(pairs).unwrap().into_bytes()
    }

    fn valid_pairs() -> Vec<(&'static str, &'static str)> {
        vec![
            ("id", "fukuoka-dna-restart"),
            ("title", "ＤＮＡ運動の再起動"),
            ("municipality", "福岡市"),
            ("prefecture", "福岡県"),
            ("kind", ""),
            ("levels", "gyomu"),
            ("levels", "人材育成"),
            ("start_year", "２００１年"),
            ("end_year", ""),
            ("tags", "発表会、職員提案"),
            ("sources", "https://example.jp/a\r\n- 書籍『改善』\r\n"),
            ("summary", "概要です。\r\n二行目。"),
            ("actors", "職員有志"),
            ("activities", "発表会を開いた。"),
            ("csrf", "t"),
            ("action", "save"),
        ]
    }

    #[test]
    fn a_form_becomes_a_case_with_inferred_kind_and_typed_years() {
        let f = CaseForm::parse(&body(&valid_pairs())).unwrap();
        assert_eq!(f.action, "save");
        assert_eq!(f.section(Section::Summary), "概要です。\n二行目。");
        let (case, warnings) = f.draft().check().unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(case.kind, Kind::DesignatedCity);
        assert_eq!(case.levels, vec![Level::Gyomu, Level::Jinzai]);
        assert_eq!(
            case.period,
            Period {
                start: 2001,
                end: None
            }
        );
        assert_eq!(case.tags, vec!["発表会", "職員提案"]);
        assert_eq!(case.sources, vec!["https://example.jp/a", "書籍『改善』"]);
    }

    #[test]
    fn type_problems_and_rule_problems_come_together_one_per_field() {
        let mut pairs = valid_pairs();
        pairs.retain(|(k, _)| *k != "levels" && *k != "start_year" && *k != "actors");
        pairs.push(("start_year", "昔"));
        pairs.push(("levels", "業務改革"));
        let f = CaseForm::parse(&body(&pairs)).unwrap();
        let problems = f.draft().check().unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields.iter().filter(|f| **f == "start_year").count(),
            1,
            "{problems:?}"
        );
        assert!(
            fields.contains(&"levels") && fields.contains(&"actors"),
            "{fields:?}"
        );
        let m = Messages::new(&problems);
        assert!(m.error("start_year").unwrap().contains("昔"));
        assert!(m.error("levels").unwrap().contains("業務改善"));
        assert!(m.error("title").is_none());
    }

    #[test]
    fn the_raw_form_lists_sections_in_file_order() {
        let keys: Vec<_> = Section::ALL.iter().map(|s| s.key()).collect();
        let pairs: Vec<(&str, String)> = keys.iter().map(|k| (*k, format!("{k} text"))).collect();
        let f = CaseForm::parse(serde_urlencoded::to_string(&pairs).unwrap().as_bytes()).unwrap();
        for s in Section::ALL {
            assert_eq!(f.section(s), format!("{} text", s.key()));
        }
        let texts: Vec<_> = keys.iter().map(|k| format!("{k} text")).collect();
        assert_eq!(f.sections, texts);
    }

    #[test]
    fn repeated_keys_keep_every_value_in_order_and_hostile_bodies_are_refused() {
        let f = CaseForm::parse(&body(&[
            ("levels", "gyomu"),
            ("extra_heading", "メモ"),
            ("levels", "jinzai"),
            ("extra_text", "一\r\n二"),
            ("conflict", "title"),
            ("conflict", "summary"),
            ("unknown", "x"),
        ]))
        .unwrap();
        assert_eq!(f.filing.levels, vec!["gyomu", "jinzai"]);
        assert_eq!(f.extra, vec![("メモ".to_owned(), "一\n二".to_owned())]);
        assert_eq!(f.conflicts, vec!["title", "summary"]);
        // Control characters arrive as typed (the rules judge them).
        let f = CaseForm::parse(b"title=%00%1B&summary=a%0Db").unwrap();
        assert_eq!(f.filing.title, "\u{0}\u{1b}");
        // Bytes that are no UTF-8 are replaced, never a failure.
        assert_eq!(
            CaseForm::parse(b"title=%FF").unwrap().filing.title,
            "\u{fffd}"
        );
        // One value sent twice (a tampered form) is a 400, not a guess.
        assert!(matches!(
            CaseForm::parse(b"title=a&title=b"),
            Err(WebError::BadBody(_))
        ));
    }

    #[test]
    fn era_years_are_read_and_settled_to_the_western_year() {
        for (typed, year) in [
            ("平成22", 2010),
            ("H22", 2010),
            ("令和5年度", 2023),
            ("２００１年", 2001),
        ] {
            let mut f = CaseForm::parse(&body(&valid_pairs())).unwrap();
            f.filing.start_year = typed.into();
            let (case, _) = f.draft().check().unwrap();
            assert_eq!(case.period.start, year, "{typed}");
            f.settle_years();
            assert_eq!(f.filing.start_year, year.to_string());
        }
        let mut f = CaseForm::parse(&body(&valid_pairs())).unwrap();
        f.filing.start_year = "平成35".into();
        f.filing.end_year = "昔".into();
        f.settle_years();
        assert_eq!(
            (f.filing.start_year.as_str(), f.filing.end_year.as_str()),
            ("平成35", "昔")
        );
        let problems = f.draft().check().unwrap_err();
        let m = Messages::new(&problems);
        assert!(
            m.error("start_year").unwrap().contains("平成は31年まで"),
            "{problems:?}"
        );
        assert!(m.error("end_year").unwrap().contains("昔"));
        f.filing.start_year = "2010".into();
        assert_eq!(f.year_shown("start_year").unwrap(), "2010年（平成22年）");
    }

    #[test]
    fn a_case_round_trips_through_the_form() {
        let f = CaseForm::parse(&body(&valid_pairs())).unwrap();
        let (case, _) = f.draft().check().unwrap();
        let again = CaseForm::from_case(&case).draft().to_case();
        assert_eq!(again.0, case);
        assert!(again.1.is_empty());
    }

    #[test]
    fn json_input_ignores_read_only_fields_and_rejects_unknown_sections() {
        let body = r#"{"id":"x-1","title":"t","municipality":"福岡市","prefecture":"福岡県",
            "levels":["業務改善"],"period":{"start":2001,"end":null},
            "sections":{"summary":"s","actors":"a","activities":"b"},"sources":["u"],
            "contributor":"someone else","updated":"1999-01-01"}"#;
        let d = CaseInput::parse(body.as_bytes())
            .unwrap()
            .into_draft()
            .unwrap();
        let (case, _) = d.check().unwrap();
        assert_eq!(case.contributor, None);
        assert_eq!(case.updated, None);
        assert_eq!(case.sections.actors, "a");
        let bad = r#"{"sections":{"失敗":"x"}}"#;
        assert!(matches!(
            CaseInput::parse(bad.as_bytes()).unwrap().into_draft(),
            Err(WebError::BadBody(_))
        ));
        assert!(matches!(
            CaseInput::parse(b"[1,2]"),
            Err(WebError::BadBody(_))
        ));
    }
}
