//! Case files: Markdown with TOML front matter, parsed from `&str`.
//!
//! ```text
//! +++
//! id = "fukuoka-dna-undo"
//! title = "…"
//! levels = ["業務改善", "職場改善"]
//! start_year = 2000
//! +++
//!
//! ## 概要
//! …
//! ```
//!
//! TOML rather than YAML: `serde_yaml` is deprecated, TOML has no implicit
//! typing surprises (`no` → false, `2000-2007` → a string or a number
//! depending on the parser), and its parser reports byte spans that we turn
//! into file line numbers.
//!
//! Parsing is pure (no I/O) and never stops at the first problem: every
//! problem in the file becomes a [`Diagnostic`] with its file line, so that
//! `check` can list them all in one run.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::model::{Case, Kind, Level, LevelProblem, Period, SOURCES_HEADING, Section, Sections};
use super::municipalities;
use super::validate::{self, Severity};

/// A problem found in a case file, located by line (1-based) and field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: Option<usize>,
    /// Front-matter key, section heading, or `file`/`front matter`.
    pub field: String,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    /// An id already used by the file `other`.
    pub fn duplicate_id(path: PathBuf, line: usize, id: &str, other: &str) -> Diagnostic {
        Diagnostic {
            path,
            line,
            column: None,
            field: "id".into(),
            severity: Severity::Error,
            message: format!("id「{id}」は {other} でも使われています。別の id にしてください"),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `cases/fukuoka/dna.md:7: levels: 「業務改革」は…`, the shape editors
    /// and terminals turn into a link.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What a file says (a field, a quoted value) may hold terminal
        // escape codes: `check` prints this, the server logs it.
        let p = crate::printable::printable;
        write!(f, "{}:{}", p(&self.path.display().to_string()), self.line)?;
        if let Some(col) = self.column {
            write!(f, ":{col}")?;
        }
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "警告: ",
        };
        write!(f, ": {level}{}: {}", p(&self.field), p(&self.message))
    }
}

/// What parsing one file gave: the case if it has no error, and every
/// problem found (warnings included).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub case: Option<Case>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

const FRONT_KEYS: [&str; 13] = [
    "id",
    "title",
    "municipality",
    "prefecture",
    "kind",
    "levels",
    "start_year",
    "end_year",
    "tags",
    "contact_department",
    "contact_url",
    "contributor",
    "updated",
];

/// Parses and validates one case file's text. `path` is only used in
/// diagnostics.
pub fn parse(path: &Path, text: &str) -> Parsed {
    let mut p = FileParser {
        path,
        diags: Vec::new(),
    };
    let case = p.parse(text);
    let mut diagnostics = p.diags;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    let case = if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        None
    } else {
        case
    };
    Parsed { case, diagnostics }
}

/// Parses bytes, reporting invalid UTF-8 with its line and column.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Parsed {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(path, text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            Parsed {
                case: None,
                diagnostics: vec![Diagnostic {
                    path: path.to_owned(),
                    line,
                    column: Some(col),
                    field: "file".into(),
                    severity: Severity::Error,
                    message: "UTF-8 ではない文字があります（Shift_JIS などで保存されていませんか？ UTF-8 で保存し直してください）".into(),
                }],
            }
        }
    }
}

struct FileParser<'a> {
    path: &'a Path,
    diags: Vec<Diagnostic>,
}

/// The front matter's lines, to find the line of a key or a value.
struct Front<'t> {
    /// File line number of the first front-matter line.
    first_line: usize,
    lines: Vec<&'t str>,
}

impl Front<'_> {
    /// File line of `key = …`, or of the opening `+++` if absent.
    fn key_line(&self, key: &str) -> usize {
        self.lines
            .iter()
            .position(|l| {
                let l = l.trim_start();
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(self.first_line - 1, |i| self.first_line + i)
    }

    /// File line and column of the quoted `needle` at or after `key`'s line.
    fn value_pos(&self, key: &str, needle: &str) -> (usize, Option<usize>) {
        let start = self.key_line(key);
        let from = start.saturating_sub(self.first_line);
        let quoted = format!("\"{needle}\"");
        for (i, l) in self.lines.iter().enumerate().skip(from) {
            if let Some(byte) = l.find(&quoted) {
                return (self.first_line + i, Some(l[..byte].chars().count() + 1));
            }
        }
        (start, None)
    }

    /// File line of a byte offset into the front matter text.
    fn line_of_offset(&self, offset: usize) -> (usize, usize) {
        let mut seen = 0;
        for (i, l) in self.lines.iter().enumerate() {
            let len = l.len() + 1;
            if offset < seen + len {
                let col = l[..(offset - seen).min(l.len())].chars().count() + 1;
                return (self.first_line + i, col);
            }
            seen += len;
        }
        (self.first_line + self.lines.len().saturating_sub(1), 1)
    }
}

impl FileParser<'_> {
    fn push(
        &mut self,
        line: usize,
        column: Option<usize>,
        field: &str,
        severity: Severity,
        message: String,
    ) {
        self.diags.push(Diagnostic {
            path: self.path.to_owned(),
            line,
            column,
            field: field.to_owned(),
            severity,
            message,
        });
    }

    fn error(&mut self, line: usize, field: &str, message: impl Into<String>) {
        self.push(line, None, field, Severity::Error, message.into());
    }

    fn parse(&mut self, text: &str) -> Option<Case> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // `lines()` drops "\n" and "\r\n": CRLF files read like LF ones.
        let lines: Vec<&str> = text.lines().collect();
        let (front, close) = self.split_front(&lines)?;
        let meta = self.front_matter(&front);
        let body = self.body(&lines[close + 1..], close + 2);
        let (meta, (sections, sources, extra_sections, section_lines)) = (meta?, body);

        let case = Case {
            id: meta.id,
            title: meta.title,
            municipality: meta.municipality,
            prefecture: meta.prefecture,
            kind: meta.kind,
            levels: meta.levels,
            period: meta.period,
            tags: meta.tags,
            contributor: meta.contributor,
            updated: meta.updated,
            sections,
            sources,
            extra_sections,
            contact: meta.contact,
        };
        for problem in validate::validate(&case) {
            let (line, column) = locate(problem.field, &case, &front, &section_lines, close + 1);
            let field = Section::parse(problem.field).map_or(problem.field, |s| s.heading());
            self.push(line, column, field, problem.severity, problem.message);
        }
        Some(case)
    }

    /// The front matter between the `+++` lines (the first non-blank line
    /// must be one), and the index of the closing line.
    fn split_front<'t>(&mut self, lines: &[&'t str]) -> Option<(Front<'t>, usize)> {
        let Some(open) = lines.iter().position(|l| !l.trim().is_empty()) else {
            self.error(1, "file", "ファイルが空です");
            return None;
        };
        if lines[open].trim_end() != "+++" {
            self.error(
                open + 1,
                "front matter",
                "ファイルの先頭は「+++」で始まるメタデータ（TOML）にしてください",
            );
            return None;
        }
        let Some(close_rel) = lines[open + 1..].iter().position(|l| l.trim_end() == "+++") else {
            self.error(
                open + 1,
                "front matter",
                "メタデータを閉じる「+++」の行がありません",
            );
            return None;
        };
        let close = open + 1 + close_rel;
        let front = Front {
            first_line: open + 2,
            lines: lines[open + 1..close].to_vec(),
        };
        Some((front, close))
    }

    fn front_matter(&mut self, front: &Front) -> Option<Meta> {
        let table = self.table(front)?;
        let mut ok = true;
        let mut string = |this: &mut Self, key: &str, required: bool| -> Option<String> {
            match table.get(key) {
                Some(toml::Value::String(s)) => Some(s.trim().to_owned()),
                Some(other) => {
                    this.error(
                        front.key_line(key),
                        key,
                        format!(
                            "文字列を \"…\" で書いてください（{} が書かれています）",
                            other.type_str()
                        ),
                    );
                    ok = false;
                    None
                }
                None if required => {
                    this.error(front.key_line(key), key, "必須項目がありません");
                    ok = false;
                    None
                }
                None => None,
            }
        };
        let id = string(self, "id", true);
        let title = string(self, "title", true);
        let municipality = string(self, "municipality", true);
        let prefecture = string(self, "prefecture", true);
        let kind_text = string(self, "kind", false);
        let contributor = string(self, "contributor", false).filter(|s| !s.is_empty());
        let contact = crate::case::Contact {
            department: string(self, "contact_department", false).unwrap_or_default(),
            url: string(self, "contact_url", false).unwrap_or_default(),
        };

        let kind = self.kind(
            front,
            kind_text.as_deref(),
            prefecture.as_deref(),
            municipality.as_deref(),
        );

        let levels = self.levels(front, table.get("levels"));
        let period = self.period(front, &table);
        let tags = self.tags(front, table.get("tags"));
        let updated = self.updated(front, table.get("updated"));

        if !ok {
            return None;
        }
        Some(Meta {
            id: id?,
            title: title?,
            municipality: municipality?,
            prefecture: prefecture?,
            kind: kind?,
            levels: levels?,
            period: period?,
            tags: tags?,
            contributor,
            updated: updated?,
            contact,
        })
    }

    /// The front matter as a TOML table; a syntax error is reported at its
    /// line, an unknown key as a warning at its own.
    fn table(&mut self, front: &Front) -> Option<toml::Table> {
        let src = front.lines.join("\n");
        let table: toml::Table = match toml::from_str(&src) {
            Ok(t) => t,
            Err(e) => {
                let (line, col) = e
                    .span()
                    .map_or((front.first_line, 1), |s| front.line_of_offset(s.start));
                self.push(
                    line,
                    Some(col),
                    "front matter",
                    Severity::Error,
                    format!("TOML として読めません: {}", e.message().trim()),
                );
                return None;
            }
        };
        for key in table.keys() {
            if !FRONT_KEYS.contains(&key.as_str()) {
                let line = front.key_line(key);
                self.push(
                    line,
                    None,
                    key,
                    Severity::Warning,
                    format!(
                        "不明な項目です（使える項目: {}）。この値は使われません",
                        FRONT_KEYS.join(", ")
                    ),
                );
            }
        }
        Some(table)
    }

    /// `kind` as written, else inferred from the list of municipalities.
    fn kind(
        &mut self,
        front: &Front,
        kind_text: Option<&str>,
        prefecture: Option<&str>,
        municipality: Option<&str>,
    ) -> Option<Kind> {
        match (kind_text, prefecture, municipality) {
            (Some(k), _, _) => match Kind::parse(k) {
                Some(kind) => Some(kind),
                None => {
                    let (line, col) = front.value_pos("kind", k);
                    let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
                    self.push(
                        line,
                        col,
                        "kind",
                        Severity::Error,
                        format!(
                            "「{k}」は自治体の種別ではありません（{} のいずれか）",
                            names.join(" / ")
                        ),
                    );
                    None
                }
            },
            (None, Some(p), Some(m)) => match municipalities::infer_kind(p, m) {
                Some(kind) => Some(kind),
                // An unknown prefecture is what validation reports; the
                // list cannot tell the kind then, and that is moot.
                None if !municipalities::is_prefecture(p) => Some(Kind::City),
                None => {
                    self.error(
                        front.key_line("kind"),
                        "kind",
                        "自治体の種別を一覧から決められません。kind = \"市\" のように書いてください",
                    );
                    None
                }
            },
            _ => None,
        }
    }

    /// `tags`: an array of strings (none is no tags).
    fn tags(&mut self, front: &Front, value: Option<&toml::Value>) -> Option<Vec<String>> {
        let tags = match value {
            None => return Some(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(|s| s.trim().to_owned()))
                .collect(),
            Some(_) => None,
        };
        if tags.is_none() {
            self.error(
                front.key_line("tags"),
                "tags",
                "タグは文字列の配列で書いてください（例: tags = [\"発表会\"]）",
            );
        }
        tags
    }

    /// `updated`: a TOML date or a string (checked by validation).
    fn updated(&mut self, front: &Front, value: Option<&toml::Value>) -> Option<Option<String>> {
        match value {
            None => Some(None),
            Some(toml::Value::String(s)) => Some(Some(s.trim().to_owned())),
            Some(toml::Value::Datetime(d)) if d.date.is_some() && d.time.is_none() => {
                Some(Some(d.to_string()))
            }
            Some(_) => {
                self.error(
                    front.key_line("updated"),
                    "updated",
                    "日付を YYYY-MM-DD で書いてください（例: updated = 2025-04-01）",
                );
                None
            }
        }
    }

    fn levels(&mut self, front: &Front, value: Option<&toml::Value>) -> Option<Vec<Level>> {
        let line = front.key_line("levels");
        let Some(value) = value else {
            self.error(
                line,
                "levels",
                "必須項目がありません（例: levels = [\"業務改善\"]）",
            );
            return None;
        };
        let Some(items) = value.as_array() else {
            self.error(
                line,
                "levels",
                "改善レベルは配列で書いてください（例: levels = [\"業務改善\", \"職場改善\"]）",
            );
            return None;
        };
        let mut ok = true;
        let mut names = Vec::new();
        for item in items {
            match item.as_str() {
                Some(s) => names.push(s),
                None => {
                    self.error(line, "levels", "改善レベルは文字列で書いてください");
                    ok = false;
                }
            }
        }
        // Diagnostics are sorted by position afterwards, so reading the
        // strings first reports the same list in the same order.
        let list = Level::parse_list(names);
        for p in list.problems {
            let (severity, given, message) = match p {
                LevelProblem::Repeated { given } => {
                    let message = format!("「{given}」が2回書かれています");
                    (Severity::Warning, given, message)
                }
                LevelProblem::Unknown { given, nearest } => {
                    ok = false;
                    let message = format!(
                        "「{given}」は改善レベルではありません（{nearest} のことですか？）"
                    );
                    (Severity::Error, given, message)
                }
            };
            let (l, c) = front.value_pos("levels", &given);
            self.push(l, c, "levels", severity, message);
        }
        ok.then_some(list.levels)
    }

    fn period(&mut self, front: &Front, table: &toml::Table) -> Option<Period> {
        let year = |this: &mut Self, key: &str| -> Result<Option<i32>, ()> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::Integer(y)) => i32::try_from(*y).map(Some).map_err(|_| {
                    this.error(
                        front.key_line(key),
                        key,
                        format!("{y} は年として大きすぎます"),
                    );
                }),
                Some(other) => {
                    this.error(
                        front.key_line(key),
                        key,
                        format!("西暦の年を数字で書いてください（例: {key} = 2004、{} が書かれています）", other.type_str()),
                    );
                    Err(())
                }
            }
        };
        let start = year(self, "start_year");
        let end = year(self, "end_year");
        match (start, end) {
            (Ok(Some(start)), Ok(end)) => Some(Period { start, end }),
            (Ok(None), _) => {
                self.error(
                    front.key_line("start_year"),
                    "start_year",
                    "必須項目がありません（取組を始めた西暦年、例: start_year = 2004）",
                );
                None
            }
            _ => None,
        }
    }

    /// Splits the body into `##` sections. Returns the sections, the
    /// sources, unknown sections, and each heading's file line (`None` for
    /// 出典).
    #[allow(clippy::type_complexity)]
    fn body(
        &mut self,
        lines: &[&str],
        first_line: usize,
    ) -> (
        Sections,
        Vec<String>,
        Vec<(String, String)>,
        Vec<(Option<Section>, usize)>,
    ) {
        let mut sections = Sections::default();
        let mut sources = Vec::new();
        let mut extra = Vec::new();
        let mut heading_lines: Vec<(Option<Section>, usize)> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();

        // (heading, its file line, body lines)
        let mut blocks: Vec<(String, usize, Vec<&str>)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let file_line = first_line + i;
            if let Some(h) = heading(line) {
                blocks.push((h, file_line, Vec::new()));
            } else if let Some((_, _, body)) = blocks.last_mut() {
                body.push(line);
            } else if !line.trim().is_empty() {
                self.error(
                    file_line,
                    "本文",
                    "見出しの前に本文があります。「## 概要」などの見出しの下に書いてください",
                );
            }
        }

        for (head, line, body) in blocks {
            let text = body.join("\n").trim().to_owned();
            if !seen.insert(head.clone()) {
                self.error(
                    line,
                    &head,
                    format!("「## {head}」が2回あります。1つにまとめてください"),
                );
                continue;
            }
            if head == SOURCES_HEADING {
                heading_lines.push((None, line));
                sources = body
                    .iter()
                    .map(|l| list_item(l.trim()))
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
            } else if let Some(section) = Section::parse(&head).filter(|s| s.heading() == head) {
                heading_lines.push((Some(section), line));
                *sections.get_mut(section) = text;
            } else {
                let known: Vec<_> = Section::ALL.iter().map(|s| s.heading()).collect();
                self.push(
                    line,
                    None,
                    &head,
                    Severity::Warning,
                    format!(
                        "不明な見出しです（検索されません）。使える見出し: {}、{SOURCES_HEADING}",
                        known.join("、")
                    ),
                );
                extra.push((head, text));
            }
        }
        for section in Section::ALL {
            if section.required() && !heading_lines.iter().any(|(s, _)| *s == Some(section)) {
                // Reported by validation as an empty section; give it the
                // line after the last heading so the author sees where.
                heading_lines.push((Some(section), first_line + lines.len().saturating_sub(1)));
            }
        }
        (sections, sources, extra, heading_lines)
    }
}

struct Meta {
    id: String,
    title: String,
    municipality: String,
    prefecture: String,
    kind: Kind,
    levels: Vec<Level>,
    period: Period,
    tags: Vec<String>,
    contributor: Option<String>,
    updated: Option<String>,
    contact: crate::case::Contact,
}

/// `## 見出し` → `見出し` (NFKC, so a full-width space after ## works).
fn heading(line: &str) -> Option<String> {
    let rest = line.strip_prefix("##")?;
    if rest.starts_with('#') {
        return None;
    }
    let h = crate::analysis::nfkc(rest.trim());
    let h = h.trim().trim_end_matches('#').trim();
    (!h.is_empty()).then(|| h.replace(['･', '·'], "・"))
}

/// `- item`, `* item`, `1. item` → `item`.
fn list_item(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return rest.trim();
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && let Some(rest) = line[digits..].strip_prefix(". ")
    {
        return rest.trim();
    }
    line
}

/// Where a rule's problem with `field` shows in the file: a section at its
/// heading, sources at theirs, a front-matter value at the value (its key
/// when empty); the line after the front matter when there is nothing to
/// point at.
fn locate(
    field: &str,
    case: &Case,
    front: &Front,
    section_lines: &[(Option<Section>, usize)],
    after_front: usize,
) -> (usize, Option<usize>) {
    let heading_line = |wanted: Option<Section>| {
        section_lines
            .iter()
            .find(|(s, _)| *s == wanted)
            .map_or(after_front, |(_, l)| *l)
    };
    match Section::parse(field) {
        Some(section) => (heading_line(Some(section)), None),
        None if field == "sources" => (heading_line(None), None),
        None => {
            let value = match field {
                "municipality" => case.municipality.as_str(),
                "prefecture" => case.prefecture.as_str(),
                "id" => case.id.as_str(),
                _ => "",
            };
            if value.is_empty() {
                (front.key_line(field), None)
            } else {
                front.value_pos(field, value)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const GOOD: &str = "+++
id = \"test-case\"
title = \"テスト市の改善運動\"
municipality = \"福岡市\"
prefecture = \"福岡県\"
levels = [\"業務改善\", \"職場改善\"]
start_year = 2000
end_year = 2007
tags = [\"発表会\"]
updated = 2025-04-01
+++

## 概要
職員の改善運動。

## 担い手
市長と職員。

## 取組内容
発表会を開いた。

## 失敗・課題

## 出典
- https://example.jp/a
- 書籍『自治体経営を変える改善運動』
";

    fn diags(text: &str) -> Vec<String> {
        parse(Path::new("cases/x.md"), text)
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_complete_file_parses_with_inferred_kind() {
        let parsed = parse(Path::new("x.md"), GOOD);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let case = parsed.case.unwrap();
        assert_eq!(case.kind, Kind::DesignatedCity);
        assert_eq!(case.levels, vec![Level::Gyomu, Level::Shokuba]);
        assert_eq!(
            case.period,
            Period {
                start: 2000,
                end: Some(2007)
            }
        );
        assert_eq!(case.sections.summary, "職員の改善運動。");
        assert_eq!(case.sections.failures, "");
        assert_eq!(case.sources.len(), 2);
        assert_eq!(case.updated.as_deref(), Some("2025-04-01"));
    }

    #[test]
    fn bom_and_crlf_are_tolerated() {
        let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        let parsed = parse(Path::new("x.md"), &crlf);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.case.unwrap().sections.actors, "市長と職員。");
    }

    #[test]
    fn check_reports_line_and_column_of_unknown_level_with_suggestion() {
        let text = GOOD.replace("\"職場改善\"", "\"業務改革\"");
        let d = diags(&text);
        assert_eq!(
            d,
            vec![
                "cases/x.md:6:19: levels: 「業務改革」は改善レベルではありません（業務改善 のことですか？）"
            ]
        );
    }

    #[test]
    fn check_reports_every_problem_in_one_pass() {
        let text = GOOD
            .replace("start_year = 2000", "start_year = 3000")
            .replace("prefecture = \"福岡県\"", "prefecture = \"福岡\"")
            .replace("市長と職員。", "");
        let d = diags(&text);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d[0].starts_with("cases/x.md:5:14: prefecture: 「福岡」は都道府県名ではありません（福岡県 のことですか？）"), "{d:#?}");
        assert!(
            d[1].starts_with("cases/x.md:7: start_year: 開始年 3000"),
            "{d:#?}"
        );
        assert!(
            d[2].starts_with("cases/x.md:16: 担い手: 担い手を入力してください"),
            "{d:#?}"
        );
    }

    #[test]
    fn a_contact_is_read_and_a_bad_one_is_reported_at_its_line() {
        let text = GOOD.replace(
            "start_year = 2000",
            "start_year = 2000\ncontact_department = \"総務部 行政改革課\"\ncontact_url = \"https://www.city.example.lg.jp/\"",
        );
        let parsed = parse(Path::new("x.md"), &text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let case = parsed.case.unwrap();
        assert_eq!(case.contact.department, "総務部 行政改革課");
        assert_eq!(case.contact.url, "https://www.city.example.lg.jp/");
        let bad = text.replace("https://www.city.example.lg.jp/", "ftp://x");
        let d = diags(&bad);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("cases/x.md:9: contact_url: "), "{d:?}");
        let wrong_type = text.replace("\"総務部 行政改革課\"", "3");
        assert!(diags(&wrong_type)[0].starts_with("cases/x.md:8: contact_department: 文字列"));
    }

    #[test]
    fn missing_required_key_names_the_field() {
        let text = GOOD.replace("title = \"テスト市の改善運動\"\n", "");
        assert_eq!(
            diags(&text),
            vec!["cases/x.md:1: title: 必須項目がありません"]
        );
    }

    #[test]
    fn toml_syntax_error_points_into_the_file() {
        let text = GOOD.replace("start_year = 2000", "start_year = ");
        let d = diags(&text);
        assert_eq!(d.len(), 1);
        assert!(d[0].starts_with("cases/x.md:7:"), "{d:?}");
    }

    #[test]
    fn end_before_start_is_reported_on_end_year() {
        let text = GOOD.replace("end_year = 2007", "end_year = 1999");
        assert_eq!(
            diags(&text),
            vec!["cases/x.md:8: end_year: 終了年 1999 が開始年 2000 より前です"]
        );
    }

    #[test]
    fn unknown_section_is_a_warning_and_kept() {
        let text = GOOD.replace("## 失敗・課題\n", "## 感想\nよかった。\n\n## 失敗・課題\n");
        let parsed = parse(Path::new("x.md"), &text);
        assert!(!parsed.has_errors());
        assert_eq!(parsed.diagnostics.len(), 1);
        assert!(
            parsed.diagnostics[0]
                .to_string()
                .contains("警告: 感想: 不明な見出しです")
        );
        let case = parsed.case.unwrap();
        assert_eq!(
            case.extra_sections,
            vec![("感想".to_owned(), "よかった。".to_owned())]
        );
    }

    #[test]
    fn invalid_utf8_reports_line_and_column() {
        let mut bytes = GOOD.as_bytes().to_vec();
        bytes.extend_from_slice(b"\n\x82\xa0");
        let parsed = parse_bytes(Path::new("x.md"), &bytes);
        assert!(parsed.has_errors());
        assert_eq!(parsed.diagnostics[0].line, GOOD.lines().count() + 2);
        assert!(parsed.diagnostics[0].message.contains("UTF-8"));
    }

    #[test]
    fn nationwide_records_need_the_nationwide_kind() {
        let text = GOOD.replace(
            "prefecture = \"福岡県\"",
            "prefecture = \"全国\"\nkind = \"市\"",
        );
        let d = diags(&text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("kind"), "{d:?}");
        let ok = text.replace("kind = \"市\"", "kind = \"全国・広域\"");
        assert!(diags(&ok).is_empty());
    }

    #[test]
    fn missing_front_matter_is_explained() {
        assert_eq!(
            diags("## 概要\nx\n"),
            vec![
                "cases/x.md:1: front matter: ファイルの先頭は「+++」で始まるメタデータ（TOML）にしてください"
            ]
        );
    }
}
