//! The fuzz targets' checks (fuzz/src/bin/), replayed on their seed corpus
//! and on every input that once crashed them (fuzz/regressions/), so that
//! `cargo test` keeps what fuzzing found fixed without AFL++.

use std::path::{Path, PathBuf};

fn inputs(target: &str, corpus: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in [
        root.join("corpus").join(corpus),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() && p.file_name().is_some_and(|n| n != "README.md") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn case_parser_inputs() {
    let all = inputs("case_parser", "case");
    assert!(!all.is_empty(), "the seed corpus is there");
    for (path, data) in all {
        let parsed = kaizen_wa::case::parse_bytes(Path::new("fuzz.md"), &data);
        for d in &parsed.diagnostics {
            let _ = d.to_string();
        }
        if let Some(case) = parsed.case {
            let text = kaizen_wa::case::render(&case);
            let again = kaizen_wa::case::parse(Path::new("fuzz.md"), &text);
            assert!(
                again.case.is_some(),
                "{}: renders to a file that parses",
                path.display()
            );
        }
    }
}

#[test]
fn query_parser_inputs() {
    let all = inputs("query_parser", "query");
    assert!(!all.is_empty());
    for (_, data) in all {
        let text = String::from_utf8_lossy(&data);
        let q = kaizen_wa::index::query::parse(&text);
        let _ = q.is_match_all();
        if let Ok(p) = kaizen_wa::web::params::SearchParams::from_query(Some(&text)) {
            let _ = p.validate();
            let _ = p.to_query();
        }
    }
}

#[test]
fn csv_import_inputs() {
    let all = inputs("csv_import", "csv");
    assert!(!all.is_empty());
    for (_, data) in all {
        if let Ok(imported) = kaizen_wa::transfer::csv::read_csv(&data) {
            for row in &imported.rows {
                if let Some(case) = &row.case {
                    let _ = kaizen_wa::case::validate(case);
                }
            }
        }
        let _ = kaizen_wa::transfer::decode(&data);
    }
}
