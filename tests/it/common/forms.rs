//! What members type: case bodies for the write API, the new-case form's
//! fields, and the case files a write leaves behind.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::case_body;

/// Case files under `cases/` (not `.trash/`).
pub fn case_files(cases: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    out
}

/// A case body whose title and summary carry `text`, with the read-only
/// fields set to what the server must ignore.
pub fn case_json(id: Option<&str>, text: &str) -> Value {
    let mut v = case_body(id, &format!("{text}による窓口改善"));
    v["sections"]["summary"] = json!(format!("{text}を合言葉に窓口の改善を進めた。"));
    v["contributor"] = json!("ignored");
    v["updated"] = json!("1999-01-01");
    v
}

/// The new-case form's fields, filled in validly with `title` and
/// `summary` (no token, no action).
pub fn form_pairs<'a>(title: &'a str, summary: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("id", ""),
        ("prefecture", "福岡県"),
        ("municipality", "福岡市"),
        ("kind", ""),
        ("levels", "gyomu"),
        ("levels", "jinzai"),
        ("start_year", "2003"),
        ("end_year", ""),
        ("tags", "発表会、窓口"),
        ("summary", summary),
        ("actors", "職員有志"),
        ("activities", "毎月の発表会を開いた。"),
        ("sources", "https://example.jp/x\n書籍『窓口の改善』"),
    ]
}

/// The new-case form filled as [`form_pairs`] does, the fields named in
/// `changes` given those values instead (after the others), sent with the
/// session's `csrf` token as `action` (`save` or `preview`).
pub fn new_case_form<'a>(
    title: &'a str,
    summary: &'a str,
    changes: &[(&'a str, &'a str)],
    csrf: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = form_pairs(title, summary);
    pairs.retain(|(k, _)| !changes.iter().any(|(c, _)| c == k));
    pairs.extend_from_slice(changes);
    pairs.extend([("csrf", csrf), ("action", action)]);
    pairs
}
