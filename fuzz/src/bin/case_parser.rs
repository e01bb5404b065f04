//! Fuzz target: any bytes as a case file. Parsing never panics, and a case
//! that parses renders to a file that parses again (a member's edit of it
//! can always be written back).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        kaizen_wa_fuzz::case_parser(data);
    });
}
