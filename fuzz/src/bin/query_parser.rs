//! Fuzz target: any bytes as what a user types into the search box and as
//! a whole query string. Neither parsing nor validating panics.

fn main() {
    afl::fuzz!(|data: &[u8]| {
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
    });
}
