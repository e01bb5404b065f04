//! Fuzz target: any bytes as a spreadsheet's CSV (UTF-8 or Shift_JIS).
//! Decoding and reading never panic; every row is a case or problems.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        kaizen_wa_fuzz::csv_import(data);
    });
}
