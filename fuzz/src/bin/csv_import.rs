//! Fuzz target: any bytes as a spreadsheet's CSV (UTF-8 or Shift_JIS).
//! Decoding and reading never panic; every row is a case or problems.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(imported) = kaizen_wa::transfer::csv::read_csv(data) {
            for row in &imported.rows {
                if let Some(case) = &row.case {
                    let _ = kaizen_wa::case::validate(case);
                }
            }
        }
        let _ = kaizen_wa::transfer::decode(data);
    });
}
