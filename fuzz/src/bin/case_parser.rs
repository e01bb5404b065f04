//! Fuzz target: any bytes as a case file. Parsing never panics, and a case
//! that parses renders to a file that parses again (a member's edit of it
//! can always be written back).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let parsed = kaizen_wa::case::parse_bytes(std::path::Path::new("fuzz.md"), data);
        for d in &parsed.diagnostics {
            // Diagnostics print: the terminal-safe form must not panic either.
            let _ = d.to_string();
        }
        if let Some(case) = parsed.case {
            let text = kaizen_wa::case::render(&case);
            let again = kaizen_wa::case::parse(std::path::Path::new("fuzz.md"), &text);
            assert!(again.case.is_some(), "a parsed case renders to a file that parses");
        }
    });
}
