//! Cases as CSV, one case per row, the way Excel in Japan handles it.
//!
//! Reading: UTF-8 (with or without BOM) or Shift_JIS/CP932; headers in
//! Japanese or English, in any order; the period as `2000-2007`, `2004-`,
//! `2004〜` or as separate start/end year columns; lists separated by 、 , ;
//! / or line breaks. Writing: UTF-8 with BOM (so Excel detects it), CRLF
//! rows, Japanese headers, and every cell that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@`, tab, CR first) prefixed with `'`; reading
//! removes that prefix again, so import(export(x)) == x.

use std::io::Write;

use super::{ImportRow, Imported, RowProblem, TransferError, split_list, split_sources};
use crate::analysis::nfkc;
use crate::case::{
    Case, Kind, Level, LevelProblem, Period, Section, Sections, Severity, municipalities,
};

/// A column of the CSV format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Title,
    Municipality,
    Prefecture,
    Kind,
    Levels,
    Period,
    StartYear,
    EndYear,
    Section(Section),
    Sources,
    Tags,
    Updated,
    Contributor,
    Extra,
    ContactDepartment,
    ContactUrl,
}

/// Export order, with the Japanese header written.
const EXPORT_COLUMNS: [(Col, &str); 23] = [
    (Col::Id, "ID"),
    (Col::Title, "事例名"),
    (Col::Municipality, "自治体名"),
    (Col::Prefecture, "都道府県"),
    (Col::Kind, "種別"),
    (Col::Levels, "改善レベル"),
    (Col::StartYear, "開始年"),
    (Col::EndYear, "終了年"),
    (Col::Section(Section::Summary), "概要"),
    (Col::Section(Section::Actors), "担い手"),
    (Col::Section(Section::Motivations), "思い・動機"),
    (Col::Section(Section::Background), "背景・経緯"),
    (Col::Section(Section::Activities), "取組内容"),
    (Col::Section(Section::Successes), "成功・成果"),
    (Col::Section(Section::Failures), "失敗・課題"),
    (Col::Section(Section::Lessons), "教訓"),
    (Col::Sources, "出典"),
    (Col::Tags, "タグ"),
    (Col::ContactDepartment, "担当部署"),
    (Col::ContactUrl, "問い合わせ先URL"),
    (Col::Updated, "更新日"),
    (Col::Contributor, "投稿者"),
    (Col::Extra, "その他の節"),
];

impl Col {
    /// Recognises a header (after NFKC, case- and space-insensitively).
    fn parse(header: &str) -> Option<Col> {
        let h: String = nfkc(header.trim_start_matches('\u{feff}'))
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let h = h.replace(['･', '·'], "・");
        if let Some(s) = Section::parse(&h) {
            return Some(Col::Section(s));
        }
        Some(match h.as_str() {
            "id" => Col::Id,
            "title" | "事例名" | "タイトル" => Col::Title,
            "municipality" | "自治体名" | "自治体" => Col::Municipality,
            "prefecture" | "都道府県" | "都道府県名" => Col::Prefecture,
            "kind" | "種別" | "自治体種別" => Col::Kind,
            "levels" | "level" | "改善レベル" | "レベル" => Col::Levels,
            "period" | "期間" => Col::Period,
            "start_year" | "start" | "開始年" => Col::StartYear,
            "end_year" | "end" | "終了年" => Col::EndYear,
            "sources" | "source" | "出典" => Col::Sources,
            "tags" | "タグ" => Col::Tags,
            "updated" | "更新日" => Col::Updated,
            "contributor" | "投稿者" | "登録者" => Col::Contributor,
            "extra_sections" | "その他の節" | "その他" => Col::Extra,
            "contact_department" | "担当部署" | "問い合わせ先" | "担当課" => {
                Col::ContactDepartment
            }
            "contact_url" | "問い合わせ先url" | "問い合わせurl" => Col::ContactUrl,
            _ => return None,
        })
    }

    /// The validation field a column carries.
    fn field(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Title => "title",
            Col::Municipality => "municipality",
            Col::Prefecture => "prefecture",
            Col::Kind => "kind",
            Col::Levels => "levels",
            Col::Period | Col::StartYear => "start_year",
            Col::EndYear => "end_year",
            Col::Section(s) => s.key(),
            Col::Sources => "sources",
            Col::Tags => "tags",
            Col::Updated => "updated",
            Col::Contributor => "contributor",
            Col::Extra => "extra_sections",
            Col::ContactDepartment => "contact_department",
            Col::ContactUrl => "contact_url",
        }
    }
}

/// Reads CSV bytes (encoding detected) into rows.
pub fn read_csv(bytes: &[u8]) -> Result<Imported, TransferError> {
    let text = super::decode(bytes)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| TransferError::Csv(e.to_string()))?
        .clone();
    let mut imported = Imported::default();
    let cols = read_headers(&headers, &mut imported);
    for (i, record) in reader.records().enumerate() {
        // Spreadsheet row: the header is row 1.
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                imported.rows.push(ImportRow {
                    row,
                    case: None,
                    problems: vec![RowProblem {
                        row,
                        column: "ファイル".into(),
                        severity: Severity::Error,
                        message: format!("CSV として読めません: {e}"),
                    }],
                });
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<(Col, &str, String)> = cols
            .iter()
            .zip(headers.iter())
            .zip(record.iter())
            .filter_map(|((c, h), v)| c.map(|c| (c, h, unneutralise(v))))
            .collect();
        imported.rows.push(row_to_case(row, &cells));
    }
    Ok(imported)
}

/// The header row → the column of each cell (`None`: not read), noting in
/// `imported` which header names each field, and the header's problems as
/// row 1: unknown names, a column twice, a required column missing.
fn read_headers(headers: &::csv::StringRecord, imported: &mut Imported) -> Vec<Option<Col>> {
    // Problems in fields without a column are named by the Japanese header
    // that column would have.
    for (c, label) in EXPORT_COLUMNS {
        imported.columns.insert(c.field(), label.to_owned());
    }
    let mut cols: Vec<Option<Col>> = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let col = Col::parse(h);
        match col {
            Some(c) => {
                let field = c.field();
                // 期間 and 終了年 both locate end-year problems: prefer the
                // column that holds the value.
                if c == Col::Period {
                    imported.columns.insert("end_year", h.to_owned());
                }
                let duplicate = cols.contains(&Some(c));
                if !duplicate {
                    imported.columns.insert(field, h.to_owned());
                }
                if duplicate {
                    imported.problems.push(RowProblem {
                        row: 1,
                        column: h.to_owned(),
                        severity: Severity::Error,
                        message: format!("{}列目と同じ項目の列が2つあります", i + 1),
                    });
                }
            }
            None if h.trim().is_empty() => {}
            None => imported.problems.push(RowProblem {
                row: 1,
                column: h.to_owned(),
                severity: Severity::Warning,
                message: "知らない列名です（この列は読み込みません）".into(),
            }),
        }
        cols.push(col);
    }
    for (required, label) in [(Col::Title, "事例名"), (Col::Prefecture, "都道府県")] {
        if !cols.contains(&Some(required)) {
            imported.problems.push(RowProblem {
                row: 1,
                column: label.into(),
                severity: Severity::Error,
                message: format!("「{label}」の列がありません"),
            });
        }
    }
    cols
}

/// One record → a case (or the problems that prevent one).
fn row_to_case(row: usize, cells: &[(Col, &str, String)]) -> ImportRow {
    let mut record = Record {
        row,
        cells,
        problems: Vec::new(),
    };
    let levels = record.levels();
    let period = record.period();
    let prefecture = record.text(Col::Prefecture);
    let municipality = record.text(Col::Municipality);
    let kind = record.kind(&prefecture, &municipality);

    let text = |col| record.text(col);
    let mut sections = Sections::default();
    for s in Section::ALL {
        *sections.get_mut(s) = text(Col::Section(s));
    }
    let extra_sections = parse_extra(&text(Col::Extra));
    let optional = |col| Some(text(col)).filter(|s| !s.is_empty());
    let case = Case {
        id: text(Col::Id),
        title: text(Col::Title),
        municipality,
        prefecture,
        kind: kind.unwrap_or(Kind::City),
        levels,
        period,
        tags: record
            .get(Col::Tags)
            .map(|(_, _, v)| split_tags(v))
            .unwrap_or_default(),
        contributor: optional(Col::Contributor),
        updated: optional(Col::Updated),
        sections,
        sources: record
            .get(Col::Sources)
            .map(|(_, _, v)| split_sources(v))
            .unwrap_or_default(),
        extra_sections,
        contact: crate::case::Contact {
            department: optional(Col::ContactDepartment).unwrap_or_default(),
            url: optional(Col::ContactUrl).unwrap_or_default(),
        },
    };
    // The case goes on to validation even when a cell could not be read,
    // so that a dry run lists every problem of the row at once.
    ImportRow {
        row,
        case: Some(case),
        problems: record.problems,
    }
}

/// One record's cells by column, and the problems found reading them (in
/// the order of the case's fields, as a reader scans the row).
struct Record<'a> {
    row: usize,
    cells: &'a [(Col, &'a str, String)],
    problems: Vec<RowProblem>,
}

impl<'a> Record<'a> {
    /// The cell of `col` with its header, if the sheet has that column.
    fn get(&self, col: Col) -> Option<&'a (Col, &'a str, String)> {
        self.cells.iter().find(|(c, _, _)| *c == col)
    }

    /// The cell of `col` with its header, unless it is absent or blank.
    fn filled(&self, col: Col) -> Option<&'a (Col, &'a str, String)> {
        self.get(col).filter(|(_, _, v)| !v.trim().is_empty())
    }

    /// The cell of `col`, trimmed; empty when the column is absent.
    fn text(&self, col: Col) -> String {
        self.get(col)
            .map(|(_, _, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    fn err(&mut self, column: &str, message: String) {
        self.problems.push(RowProblem {
            row: self.row,
            column: column.to_owned(),
            severity: Severity::Error,
            message,
        })
    }

    /// The levels listed, each once, in the order written.
    fn levels(&mut self) -> Vec<Level> {
        let Some((_, h, v)) = self.get(Col::Levels) else {
            return Vec::new();
        };
        let list = Level::parse_list(split_list(v));
        for p in list.problems {
            if let LevelProblem::Unknown { given, nearest } = p {
                self.err(
                    h,
                    format!("「{given}」は改善レベルではありません（{nearest} のことですか？）"),
                );
            }
        }
        list.levels
    }

    /// The period from a 期間 cell, else from 開始年 and 終了年 columns
    /// (start 0 when unreadable: validation then names the field).
    fn period(&mut self) -> Period {
        let mut start = None;
        let mut end = None;
        let has_column;
        if let Some((_, h, v)) = self.filled(Col::Period) {
            has_column = true;
            match parse_period(v) {
                Some((s, e)) => {
                    start = Some(s);
                    end = e;
                }
                None => self.err(
                    h,
                    format!(
                        "期間「{}」を読めません（例: 2000-2007、2004-、2004〜）",
                        v.trim()
                    ),
                ),
            }
        } else {
            has_column = self.get(Col::StartYear).is_some();
            (start, end) = self.years();
        }
        if !has_column {
            self.err("期間", "「期間」か「開始年」の列がありません".into());
        }
        Period {
            start: start.unwrap_or(0),
            end,
        }
    }

    /// Start and end year from their own columns.
    fn years(&mut self) -> (Option<i32>, Option<i32>) {
        let mut start = None;
        let mut end = None;
        if let Some((_, h, v)) = self.get(Col::StartYear) {
            match parse_year(v) {
                Some(y) => start = Some(y),
                None if v.trim().is_empty() => self.err(h, "開始年が空です".into()),
                None => self.err(
                    h,
                    format!("開始年「{}」は年ではありません（例: 2004）", v.trim()),
                ),
            }
        }
        if let Some((_, h, v)) = self.filled(Col::EndYear) {
            match parse_year(v) {
                Some(y) => end = Some(y),
                None => self.err(
                    h,
                    format!(
                        "終了年「{}」は年ではありません（続いている取組なら空欄に）",
                        v.trim()
                    ),
                ),
            }
        }
        (start, end)
    }

    /// The 種別 written, else the one the municipality's name implies.
    fn kind(&mut self, prefecture: &str, municipality: &str) -> Option<Kind> {
        match self.filled(Col::Kind) {
            Some((_, h, v)) => Kind::parse(v).or_else(|| {
                let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
                self.err(
                    h,
                    format!(
                        "種別「{}」は使えません（{} のどれか）",
                        v.trim(),
                        names.join("・")
                    ),
                );
                None
            }),
            None => {
                let inferred = municipalities::infer_kind(prefecture, municipality);
                if inferred.is_none() && !prefecture.is_empty() {
                    self.err(
                        "種別",
                        format!(
                            "「{municipality}」の種別が分かりません。種別の列に 市・町・村・中核市 などを書いてください"
                        ),
                    );
                }
                inferred
            }
        }
    }
}

/// `2000-2007`, `2004-`, `2004〜`, `2000年〜2007年`, `2000–2007`, `2004`.
fn parse_period(s: &str) -> Option<(i32, Option<i32>)> {
    let s = nfkc(s.trim()).replace('年', "");
    let s = s.trim();
    let dash = ['-', '–', '—', '~', '〜', '−', 'ー', '―'];
    match s.find(dash) {
        None => Some((parse_year(s)?, None)),
        Some(i) => {
            let (a, b) = s.split_at(i);
            let b: String = b.chars().skip(1).collect();
            let start = parse_year(a)?;
            let b = b.trim();
            let end = if b.is_empty() || b == "現在" {
                None
            } else {
                Some(parse_year(b)?)
            };
            Some((start, end))
        }
    }
}

fn parse_year(s: &str) -> Option<i32> {
    let s = nfkc(s.trim());
    let s = s.trim().trim_end_matches('年').trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `## 見出し` blocks in one cell → extra sections.
fn parse_extra(cell: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in cell.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            out.push((h.trim().to_owned(), Vec::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push(line);
        } else if !line.trim().is_empty() {
            out.push(("その他".to_owned(), vec![line]));
        }
    }
    out.into_iter()
        .map(|(h, body)| (h, body.join("\n").trim().to_owned()))
        .collect()
}

fn render_extra(extra: &[(String, String)]) -> String {
    extra
        .iter()
        .map(|(h, t)| format!("## {h}\n{t}"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Leading characters that make a spreadsheet evaluate a cell: `=`, `+`,
/// `-`, `@`, tab, CR, `|` (DDE), and their full-width forms (Japanese
/// Excel takes `＝` typed with the IME as `=`) — and `'` itself, so that a
/// value that really starts with `'` keeps it through export and import.
const FORMULA_STARTS: [char; 12] = [
    '=', '+', '-', '@', '\t', '\r', '|', '＝', '＋', '－', '＠', '｜',
];

fn needs_guard(cell: &str) -> bool {
    cell.starts_with(FORMULA_STARTS) || cell.starts_with('\'')
}

/// Prefixing `'` makes Excel and LibreOffice show such a cell as text.
fn neutralise(cell: String) -> String {
    if needs_guard(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Undoes [`neutralise`] (and normalises line breaks). A `'` before
/// ordinary text is the member's own and stays.
fn unneutralise(cell: &str) -> String {
    let cell = cell.replace("\r\n", "\n");
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest.to_owned(),
        _ => cell,
    }
}

/// Tags as one cell: `、`-separated as people type them, or — when a tag
/// itself holds a separator (`a/b`, `;=1`) — one per line, each ending
/// with a line break, which [`split_tags`] reads back unchanged.
fn tags_cell(tags: &[String]) -> String {
    // A tag reads back as itself when splitting it changes nothing.
    if tags
        .iter()
        .all(|t| split_list(t) == std::slice::from_ref(t))
    {
        tags.join("、")
    } else {
        tags.iter().map(|t| format!("{t}\n")).collect()
    }
}

/// A tags cell with a line break holds one tag per line (what the export
/// writes when a tag has a separator in it); otherwise any separator.
fn split_tags(cell: &str) -> Vec<String> {
    if cell.contains(['\n', '\r']) {
        cell.lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        split_list(cell)
    }
}

fn cell(case: &Case, col: Col) -> String {
    match col {
        Col::Id => case.id.clone(),
        Col::Title => case.title.clone(),
        Col::Municipality => case.municipality.clone(),
        Col::Prefecture => case.prefecture.clone(),
        Col::Kind => case.kind.name().to_owned(),
        Col::Levels => case
            .levels
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join("、"),
        Col::Period => case.period.to_string(),
        Col::StartYear => case.period.start.to_string(),
        Col::EndYear => case.period.end.map(|e| e.to_string()).unwrap_or_default(),
        Col::Section(s) => case.sections.get(s).to_owned(),
        Col::Sources => case.sources.join("\n"),
        Col::Tags => tags_cell(&case.tags),
        Col::Updated => case.updated.clone().unwrap_or_default(),
        Col::Contributor => case.contributor.clone().unwrap_or_default(),
        Col::Extra => render_extra(&case.extra_sections),
        Col::ContactDepartment => case.contact.department.clone(),
        Col::ContactUrl => case.contact.url.clone(),
    }
}

/// Writes cases as CSV for Excel: UTF-8 BOM, Japanese headers, CRLF rows,
/// formula-like cells neutralised.
pub fn export_csv<W: Write>(cases: &[Case], mut out: W) -> Result<(), TransferError> {
    let werr = TransferError::Write;
    out.write_all(b"\xEF\xBB\xBF").map_err(werr)?;
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    let cerr = |e: ::csv::Error| TransferError::Write(e.into());
    w.write_record(EXPORT_COLUMNS.iter().map(|(_, h)| *h))
        .map_err(cerr)?;
    for case in cases {
        w.write_record(
            EXPORT_COLUMNS
                .iter()
                .map(|(c, _)| neutralise(cell(case, *c))),
        )
        .map_err(cerr)?;
    }
    w.flush().map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> &'static str {
        "ID,事例名,自治体名,都道府県,改善レベル,期間,概要,担い手,取組内容,出典\n"
    }

    #[test]
    fn periods_in_the_ways_people_write_them() {
        assert_eq!(parse_period("2000-2007"), Some((2000, Some(2007))));
        assert_eq!(parse_period("2004-"), Some((2004, None)));
        assert_eq!(parse_period("2004〜"), Some((2004, None)));
        assert_eq!(
            parse_period("２０００年～２００７年"),
            Some((2000, Some(2007)))
        );
        assert_eq!(parse_period("2000–2007"), Some((2000, Some(2007))));
        assert_eq!(parse_period("2004"), Some((2004, None)));
        assert_eq!(parse_period("平成12年"), None);
    }

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for s in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            let n = neutralise(s.to_owned());
            assert!(n.starts_with('\''), "{s:?}");
            assert_eq!(unneutralise(&n), s);
        }
        assert_eq!(neutralise("普通".into()), "普通");
        assert_eq!(unneutralise("'普通"), "'普通");
        // Full-width and DDE starts are guarded too (issue 17).
        for s in ["＝SUM(A1)", "｜cmd", "|calc", "＋1", "＠x"] {
            assert_eq!(neutralise(s.to_owned()), format!("'{s}"), "{s}");
        }
    }

    /// Issue 17: export → import changed data (a tag `a/b` became two, a
    /// title `'=1+1` lost its apostrophe).
    #[test]
    fn export_then_import_keeps_every_value() {
        let mut case = crate::case::edit::tests_support::sample("t-round");
        case.title = "'=1+1".into();
        case.tags = vec!["a/b".into(), ";=1+1".into(), "窓口、受付".into()];
        case.sources = vec!["＝HYPERLINK(\"x\")".into(), "'普通".into()];
        let mut out = Vec::new();
        export_csv(std::slice::from_ref(&case), &mut out).unwrap();
        let back = read_csv(&out).unwrap();
        let got = back.rows[0].case.as_ref().unwrap();
        assert_eq!(got.title, case.title);
        assert_eq!(got.tags, case.tags);
        assert_eq!(got.sources, case.sources);
        // Plain tags stay as people type them.
        assert_eq!(tags_cell(&["窓口".into(), "発表会".into()]), "窓口、発表会");
    }

    #[test]
    fn english_headers_and_levels_with_nakaguro_are_read() {
        let csv = "title,municipality,prefecture,levels,start_year,end_year,summary,actors,activities,sources\n\
                   改善運動,福岡市,福岡県,\"業務改善、戦略提案・施策改善\",2000,2007,概要,職員,発表会,https://example.jp/ | 書籍\n";
        let imp = read_csv(csv.as_bytes()).unwrap();
        assert!(imp.problems.is_empty(), "{:?}", imp.problems);
        let case = imp.rows[0].case.as_ref().unwrap();
        assert_eq!(case.levels, vec![Level::Gyomu, Level::Senryaku]);
        assert_eq!(
            case.period,
            Period {
                start: 2000,
                end: Some(2007)
            }
        );
        assert_eq!(case.kind, Kind::DesignatedCity);
        assert_eq!(case.sources, vec!["https://example.jp/", "書籍"]);
        assert_eq!(case.id, "");
    }

    #[test]
    fn unknown_level_is_reported_with_row_and_column() {
        let csv = format!("{}x,改善,福岡市,福岡県,業務改革,2000-,a,b,c,d\n", header());
        let imp = read_csv(csv.as_bytes()).unwrap();
        let p = &imp.rows[0].problems[0];
        assert_eq!((p.row, p.column.as_str()), (2, "改善レベル"));
        assert!(p.message.contains("業務改善"), "{}", p.message);
        assert!(imp.rows[0].case.as_ref().unwrap().levels.is_empty());
    }

    #[test]
    fn a_contact_goes_out_and_comes_back_in_its_columns() {
        let mut case = crate::case::edit::tests_support::sample("t-contact");
        case.contact.department = "総務部 行政改革課".into();
        case.contact.url = "https://www.city.example.lg.jp/".into();
        let mut out = Vec::new();
        export_csv(std::slice::from_ref(&case), &mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("担当部署,問い合わせ先URL"), "{text}");
        let back = read_csv(&out).unwrap();
        assert_eq!(back.rows[0].case.as_ref().unwrap().contact, case.contact);
        // A spreadsheet's own header for it is understood too.
        let csv = format!(
            "{},問い合わせ先\nx,改善,福岡市,福岡県,業務改善,2000-,a,b,c,d,企画課\n",
            header().trim_end()
        );
        let imp = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(
            imp.rows[0].case.as_ref().unwrap().contact.department,
            "企画課"
        );
    }

    #[test]
    fn export_starts_with_bom_and_neutralises() {
        let mut case = crate::case::edit::tests_support::sample("t-x");
        case.title = "=1+1".into();
        let mut out = Vec::new();
        export_csv(&[case], &mut out).unwrap();
        assert!(out.starts_with(b"\xEF\xBB\xBFID,"));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=1+1"));
        assert!(text.contains("\r\n"));
    }
}
