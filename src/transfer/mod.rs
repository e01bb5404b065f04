//! Import and export of cases as CSV (the way Excel in Japan reads and
//! writes it) and JSON Lines.
//!
//! Reading is pure: bytes → [`ImportRow`]s, each with the case it describes
//! (if it could be read) and every problem, located by row and column as
//! the user sees them in their spreadsheet. [`plan`] then checks the rows
//! against the collection (validation, ids taken, duplicates) without
//! writing; [`execute`] writes through [`crate::case::edit`] — only when the
//! plan has no error, so an import is all or nothing. Writing the index is
//! the caller's business (the CLI syncs it; a server's watcher sees it).
//!
//! Export writes what the web layer can stream for 「CSVでダウンロード」.

pub mod csv;
pub mod jsonl;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use crate::case::edit::{self, EditError, Written};
use crate::case::{Case, FieldProblem, Severity, store};
use crate::progress::Progress;

pub use self::csv::{export_csv, read_csv};
pub use self::jsonl::{export_jsonl, read_jsonl};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("CSV を読めません: {0}")]
    Csv(String),
    #[error("文字コードを判別できません（UTF-8 でも Shift_JIS でも読めない部分があります）")]
    Encoding,
    #[error(
        "ファイル形式が分かりません（拡張子 .csv / .jsonl、または --format csv|jsonl を指定してください）"
    )]
    UnknownFormat,
    #[error("書き出しに失敗しました: {0}")]
    Write(#[source] std::io::Error),
}

/// File formats for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// By extension: `.csv`, `.jsonl` / `.ndjson` / `.json`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// One problem in an imported file, where the user can find it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    /// CSV: the spreadsheet row (the header is row 1). JSON Lines: the line.
    pub row: usize,
    /// The column as the file names it (`改善レベル`, `levels`), or `ファイル`.
    pub column: String,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "警告: ",
        };
        write!(
            f,
            "{}行目: {}: {level}{}",
            self.row, self.column, self.message
        )
    }
}

/// One row (CSV record or JSON line) as read.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub row: usize,
    /// The case as far as it could be read (validated next, so that every
    /// problem shows); `None` when the row is not a case at all. A row with
    /// an error in `problems` is never written.
    pub case: Option<Case>,
    pub problems: Vec<RowProblem>,
}

/// A whole file as read: its rows, problems not tied to a row (an unknown
/// column), and which column each case field came from.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<RowProblem>,
    /// Case field (`levels`, `start_year`, section keys, …) → the column
    /// name in the file, for locating validation problems.
    pub columns: HashMap<&'static str, String>,
}

impl Imported {
    fn column(&self, field: &str) -> String {
        self.columns
            .get(field)
            .cloned()
            .unwrap_or_else(|| field.to_owned())
    }

    /// A problem of `row`, located by the column `field` came from.
    fn problem(&self, row: usize, field: &str, severity: Severity, message: String) -> RowProblem {
        RowProblem {
            row,
            column: self.column(field),
            severity,
            message,
        }
    }
}

/// Bytes → text: a UTF-8 BOM is dropped; valid UTF-8 is UTF-8; anything
/// else is read as Shift_JIS (CP932, what Excel in Japan saves as "CSV").
pub fn decode(bytes: &[u8]) -> Result<String, TransferError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(TransferError::Encoding);
    }
    Ok(text.into_owned())
}

/// What an import would do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every problem, in row order (file-level first).
    pub problems: Vec<RowProblem>,
    /// New cases, ready to write.
    pub creates: Vec<Case>,
    /// Replacements of existing cases (only with `update`).
    pub updates: Vec<Case>,
    /// Ids made up for rows without one: (row, id).
    pub derived_ids: Vec<(usize, String)>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Checks imported rows against the collection in `cases` without
/// writing: every problem of every row, ids derived where missing,
/// existing cases refused unless `update`.
pub fn plan(imported: &Imported, cases: &Path, update: bool) -> Result<Plan, TransferError> {
    let existing = existing_ids(cases)?;
    let mut plan = Plan {
        problems: imported.problems.clone(),
        ..Plan::default()
    };
    let mut taken = ids_in_use(&existing, imported);
    // id → first row using it in this file.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &imported.rows {
        plan.problems.extend(r.problems.iter().cloned());
        let Some(case) = &r.case else { continue };
        let mut case = case.clone();
        let row_has_errors = r.problems.iter().any(|p| p.severity == Severity::Error);
        let derived = case.id.trim().is_empty();
        if derived {
            case.id = derive_id(&case, &mut taken);
        }
        if case.updated.is_none() {
            case.updated = Some(crate::case::today_iso());
        }
        if !validate_row(imported, r, &case, &mut plan.problems) {
            continue;
        }
        if derived && !row_has_errors {
            plan.derived_ids.push((r.row, case.id.clone()));
        }
        let id = case.id.clone();
        if let Some(first) = seen.get(&id) {
            plan.problems.push(imported.problem(
                r.row,
                "id",
                Severity::Error,
                format!("id「{id}」は {first} 行目でも使われています"),
            ));
            continue;
        }
        seen.insert(id.clone(), r.row);
        if row_has_errors {
            continue;
        }
        if existing.contains(&id) {
            if update {
                plan.updates.push(case);
            } else {
                plan.problems.push(imported.problem(
                    r.row,
                    "id",
                    Severity::Error,
                    format!(
                        "id「{id}」の事例は既にあります（上書きするには --update を付けてください）"
                    ),
                ));
            }
        } else {
            plan.creates.push(case);
        }
    }
    plan.problems.sort_by_key(|p| p.row);
    Ok(plan)
}

/// Ids a derived id must not take: those of the collection and those
/// written in the file, whichever row comes first.
fn ids_in_use(existing: &HashSet<String>, imported: &Imported) -> HashSet<String> {
    let mut taken: HashSet<String> = existing.clone();
    for r in &imported.rows {
        if let Some(c) = &r.case
            && !c.id.trim().is_empty()
        {
            taken.insert(c.id.trim().to_owned());
        }
    }
    taken
}

/// Validates a row's case as a member's save would, adding its problems
/// (located by the file's column names) to `problems`; false when the case
/// cannot be saved.
fn validate_row(
    imported: &Imported,
    r: &ImportRow,
    case: &Case,
    problems: &mut Vec<RowProblem>,
) -> bool {
    let problem =
        |p: &FieldProblem| imported.problem(r.row, p.field, p.severity, p.message.clone());
    // A cell that could not be read is reported once, not again as
    // "empty" by validation.
    let reported: HashSet<&str> = r.problems.iter().map(|p| p.column.as_str()).collect();
    let fresh = |p: &&FieldProblem| !reported.contains(imported.column(p.field).as_str());
    match edit::prepare(case) {
        Ok((_, _, warnings)) => {
            problems.extend(warnings.iter().filter(fresh).map(problem));
            true
        }
        Err(EditError::Invalid(found)) => {
            problems.extend(found.iter().filter(fresh).map(problem));
            false
        }
        Err(e) => {
            problems.push(imported.problem(r.row, "id", Severity::Error, e.to_string()));
            false
        }
    }
}

/// Writes a plan without errors: new files first, then replacements.
/// Refuses a plan with errors (nothing is written).
pub fn execute(plan: &Plan, cases: &Path) -> Result<Vec<Written>, EditError> {
    execute_with(plan, cases, &Progress::default())
}

/// [`execute`], counting each file written into `progress` (a large
/// import writes and fsyncs thousands of files).
pub fn execute_with(
    plan: &Plan,
    cases: &Path,
    progress: &Progress,
) -> Result<Vec<Written>, EditError> {
    if plan.has_errors() {
        let problems = plan
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| FieldProblem {
                field: "import",
                severity: Severity::Error,
                message: p.to_string(),
            })
            .collect();
        return Err(EditError::Invalid(problems));
    }
    progress.start((plan.creates.len() + plan.updates.len()) as u64);
    let mut out = Vec::with_capacity(plan.creates.len() + plan.updates.len());
    for case in &plan.creates {
        out.push(edit::write_new(cases, case)?);
        progress.add(1);
    }
    for case in &plan.updates {
        out.push(edit::replace(cases, &case.id, None, case)?);
        progress.add(1);
    }
    Ok(out)
}

/// Ids used by the case files in `cases` (also by files that do not fully
/// validate, as far as their id can be read).
fn existing_ids(cases: &Path) -> Result<HashSet<String>, TransferError> {
    let mut out = HashSet::new();
    if !cases.is_dir() {
        return Ok(out);
    }
    let files = store::list(cases).map_err(|e| TransferError::Io {
        path: cases.to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    for f in files {
        let Ok(loaded) = store::load(&f) else {
            continue;
        };
        if let Some(c) = loaded.parsed.case {
            out.insert(c.id);
        } else if let Ok(bytes) = f.read() {
            out.extend(crate::case::edit::raw_id(&bytes));
        }
    }
    Ok(out)
}

/// An id for a row without one: readable, from the romanised place name,
/// title words and start year (`fukuoka-dna-undo-2000`; see
/// [`crate::case::slug`]), then `-2`, `-3`, … until unused.
pub fn derive_id(case: &Case, taken: &mut HashSet<String>) -> String {
    let base = crate::case::slug::readable_base(case);
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

/// Splits a list cell: 、 , ; / ／ and line breaks (full-width forms too).
/// Not ・, which is part of 戦略提案・施策改善.
pub(crate) fn split_list(cell: &str) -> Vec<String> {
    cell.split(['、', ',', '，', ';', '；', '/', '／', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Splits sources: one per line, or separated by ` | `.
pub(crate) fn split_sources(cell: &str) -> Vec<String> {
    cell.lines()
        .flat_map(|l| l.split(" | "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_cells_split_on_japanese_separators_but_not_nakaguro() {
        assert_eq!(
            split_list("業務改善、戦略提案・施策改善／人材育成;職場改善\n事業改善"),
            vec![
                "業務改善",
                "戦略提案・施策改善",
                "人材育成",
                "職場改善",
                "事業改善"
            ]
        );
        assert_eq!(split_sources("a | b\nc"), vec!["a", "b", "c"]);
    }

    #[test]
    fn shift_jis_is_detected_when_not_utf8() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("事例名,自治体名\n");
        assert!(std::str::from_utf8(&sjis).is_err());
        assert_eq!(decode(&sjis).unwrap(), "事例名,自治体名\n");
        assert_eq!(decode("\u{feff}ID".as_bytes()).unwrap(), "ID");
        // NEC special characters are CP932, not plain Shift_JIS.
        let (cp932, _, _) = encoding_rs::SHIFT_JIS.encode("①㈱");
        assert_eq!(decode(&cp932).unwrap(), "①㈱");
    }

    #[test]
    fn derived_ids_are_readable_and_stay_unique() {
        let mut case = crate::case::edit::tests_support::sample("");
        case.title = "窓口改善".into();
        let mut taken = HashSet::new();
        assert_eq!(
            derive_id(&case, &mut taken),
            "fukuoka-madoguchi-kaizen-2001"
        );
        assert_eq!(
            derive_id(&case, &mut taken),
            "fukuoka-madoguchi-kaizen-2001-2"
        );
    }
}
