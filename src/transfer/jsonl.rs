//! Cases as JSON Lines: one case per line, in the shape the API returns for
//! a case (`GET /api/cases/{id}`), so an export can be edited by a script
//! and imported again. A missing or empty `id` is derived on import.

use std::io::Write;

use super::{ImportRow, Imported, RowProblem, TransferError};
use crate::case::{Case, Severity};

/// Reads JSON Lines (UTF-8, BOM tolerated); blank lines are skipped.
pub fn read_jsonl(bytes: &[u8]) -> Result<Imported, TransferError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| TransferError::Encoding)?;
    let mut imported = Imported::default();
    // Problems name the JSON key; the period is one object.
    for key in ["start_year", "end_year"] {
        imported.columns.insert(key, "period".into());
    }
    for (i, line) in text.lines().enumerate() {
        let row = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let problem = |column: &str, message: String| RowProblem {
            row,
            column: column.to_owned(),
            severity: Severity::Error,
            message,
        };
        let mut value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                imported.rows.push(ImportRow {
                    row,
                    case: None,
                    problems: vec![problem("json", format!("JSON として読めません: {e}"))],
                });
                continue;
            }
        };
        let Some(obj) = value.as_object_mut() else {
            imported.rows.push(ImportRow {
                row,
                case: None,
                problems: vec![problem(
                    "json",
                    "1行に1つの事例オブジェクト {…} を書いてください".into(),
                )],
            });
            continue;
        };
        if obj.get("id").is_none_or(serde_json::Value::is_null) {
            obj.insert("id".into(), serde_json::Value::String(String::new()));
        }
        // Read-only fields of the API shape (e.g. an ETag) are ignored.
        match serde_json::from_value::<Case>(value) {
            Ok(case) => imported.rows.push(ImportRow {
                row,
                case: Some(case),
                problems: Vec::new(),
            }),
            Err(e) => {
                let msg = e.to_string();
                let column = field_in(&msg).unwrap_or("json").to_owned();
                imported.rows.push(ImportRow {
                    row,
                    case: None,
                    problems: vec![problem(&column, format!("読めません: {msg}"))],
                });
            }
        }
    }
    Ok(imported)
}

/// serde's "missing field `title`" → `title`.
fn field_in(msg: &str) -> Option<&str> {
    let rest = msg.split_once("field `")?.1;
    Some(rest.split_once('`')?.0)
}

/// Writes one case per line.
pub fn export_jsonl<W: Write>(cases: &[Case], mut out: W) -> Result<(), TransferError> {
    for case in cases {
        serde_json::to_writer(&mut out, case).map_err(|e| TransferError::Write(e.into()))?;
        out.write_all(b"\n").map_err(TransferError::Write)?;
    }
    out.flush().map_err(TransferError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_round_trips_and_reports_lines() {
        let mut case = crate::case::edit::tests_support::sample("t-json");
        case.contact.department = "企画課".into();
        let mut out = Vec::new();
        export_jsonl(std::slice::from_ref(&case), &mut out).unwrap();
        out.extend_from_slice(b"\n{\"id\":\"x\"}\nnot json\n");
        let imp = read_jsonl(&out).unwrap();
        assert_eq!(imp.rows[0].case.as_ref(), Some(&case));
        assert_eq!(imp.rows[1].row, 3);
        assert_eq!(imp.rows[1].problems[0].column, "title");
        assert_eq!(imp.rows[2].problems[0].column, "json");
    }
}
