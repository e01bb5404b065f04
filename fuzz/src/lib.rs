//! What each fuzz target does with one input, in one place: the AFL++
//! binaries (`src/bin/`) run these on what the fuzzer makes, and the
//! integration tests (`tests/it/hostile/fuzz_replay.rs`, which include this
//! file) run them on the seed corpus, the regressions and generated input,
//! so a check added here is fuzzed and replayed alike. Each panics on a
//! finding and returns nothing: it must not keep state between inputs.

use std::path::Path;

/// Any bytes as a case file. Parsing never panics, diagnostics print, and
/// a case that parses renders to a file that parses again (a member's edit
/// of it can always be written back).
pub fn case_parser(data: &[u8]) {
    let parsed = kaizen_wa::case::parse_bytes(Path::new("fuzz.md"), data);
    for d in &parsed.diagnostics {
        // The terminal-safe form must not panic either.
        let _ = d.to_string();
    }
    if let Some(case) = parsed.case {
        let text = kaizen_wa::case::render(&case);
        let again = kaizen_wa::case::parse(Path::new("fuzz.md"), &text);
        assert!(
            again.case.is_some(),
            "a parsed case renders to a file that parses"
        );
    }
}

/// Any bytes as what a user types into the search box and as a whole
/// query string. Neither parsing nor validating panics.
pub fn query_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let q = kaizen_wa::query::parse(&text);
    let _ = q.is_match_all();
    let _ = q.positive_atoms().map(|a| a.text().len()).sum::<usize>();
    if let Ok(p) = kaizen_wa::web::params::SearchParams::from_query(Some(&text)) {
        if let Ok(v) = p.validate() {
            let _ = v.request.limit;
        }
        let _ = p.to_query();
    }
}

/// Any bytes as a spreadsheet's CSV (UTF-8 or Shift_JIS). Decoding and
/// reading never panic; every row is a case or problems.
pub fn csv_import(data: &[u8]) {
    if let Ok(imported) = kaizen_wa::transfer::csv::read_csv(data) {
        for row in &imported.rows {
            if let Some(case) = &row.case {
                let _ = kaizen_wa::case::validate(case);
            }
        }
    }
    let _ = kaizen_wa::transfer::decode(data);
}
