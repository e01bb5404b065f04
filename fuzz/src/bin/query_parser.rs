//! Fuzz target: any bytes as what a user types into the search box and as
//! a whole query string. Neither parsing nor validating panics.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        kaizen_wa_fuzz::query_parser(data);
    });
}
