//! Readable ids for cases that come without one: the romanised place
//! name, up to two words of the title and the start year
//! (`saitama-kaizen-teian-2009` for さいたま市「改善提案制度」from 2009).
//!
//! Offline by design: a word's reading comes from the analyzer's
//! dictionary (IPADIC and the user dictionary, the same readings that make
//! かいぜん find 改善), and the kana become Latin letters through
//! `wana_kana` (Hepburn), with long vowels written short as in most
//! Japanese ids and URLs (ギョウセイ → gyosei). A word the dictionary has
//! no reading for is left out; with nothing readable left the id falls
//! back to `case-<year>`.
//!
//! Only proposes a base id; making it unique (`-2`, `-3`, …) is the
//! caller's, which knows what is taken.

use wana_kana::ConvertJapanese;

use super::model::Case;
use super::municipalities::NATIONWIDE;

/// Title words in an id, at most: enough to tell cases of one place apart,
/// short enough to type.
const TITLE_WORDS: usize = 2;

/// Longest base id (the validator allows 80 with a `-N` suffix after it).
const MAX_BASE: usize = 60;

/// Suffixes dropped from a place name before it is read (さいたま市 →
/// saitama, 三重県 → mie); 北海道 keeps its 道.
const PLACE_SUFFIXES: [char; 6] = ['市', '区', '町', '村', '県', '府'];

/// The readable base id of `case` (not yet checked for being unique).
pub fn readable_base(case: &Case) -> String {
    let year = case.period.start;
    let pref = case.prefecture.trim();
    let muni = case.municipality.trim();
    let place = if pref == NATIONWIDE {
        Some("zenkoku".to_owned())
    } else {
        let name = if muni.is_empty() { pref } else { muni };
        romanise_place(name)
    };
    let mut parts: Vec<String> = place.into_iter().collect();
    let skip = [muni, pref];
    parts.extend(title_words(&case.title, &skip));
    if parts.is_empty() {
        return format!("case-{year}");
    }
    let mut base = String::new();
    for p in parts {
        if base.len() + p.len() + 1 > MAX_BASE {
            break;
        }
        if !base.is_empty() {
            base.push('-');
        }
        base.push_str(&p);
    }
    if base.is_empty() {
        return format!("case-{year}");
    }
    format!("{base}-{year}")
}

/// A place name in Latin letters: `所沢市` → `tokorozawa`.
fn romanise_place(name: &str) -> Option<String> {
    let mut stem = name;
    if stem.chars().count() > 2 || (stem.chars().count() == 2 && !stem.ends_with('県')) {
        stem = stem.trim_end_matches(PLACE_SUFFIXES);
    }
    if stem.ends_with('都') && stem.chars().count() == 3 {
        stem = stem.trim_end_matches('都');
    }
    if stem.is_empty() {
        stem = name;
    }
    let mut out = String::new();
    let mut readable = true;
    crate::analysis::analyzer().words(stem, |surface, _, _, reading| {
        match romanise_word(surface, reading) {
            Some(r) => out.push_str(&r),
            None => readable = false,
        }
    });
    (readable && !out.is_empty()).then_some(out)
}

/// The first title words that say what the campaign is (nouns, not
/// numbers or the place itself), romanised; a compound of the user
/// dictionary counts as its parts (改善提案 → kaizen, teian).
fn title_words(title: &str, skip: &[&str]) -> Vec<String> {
    let analyzer = crate::analysis::analyzer();
    let mut out = Vec::new();
    // A prefix belongs to the noun after it (有 + 言実行 → yugen).
    let mut prefix = String::new();
    analyzer.words(title, |surface, pos, sub1, reading| {
        if pos == "接頭詞" {
            prefix = if reading.is_empty() {
                surface.to_owned()
            } else {
                reading.to_owned()
            };
            return;
        }
        let prefix = std::mem::take(&mut prefix);
        if out.len() >= TITLE_WORDS || pos != "名詞" {
            return;
        }
        if matches!(sub1, "数" | "接尾" | "非自立" | "代名詞") {
            return;
        }
        let folded = crate::analysis::nfkc(surface);
        if skip
            .iter()
            .any(|s| !s.is_empty() && (s.contains(folded.as_str()) || folded.contains(s)))
        {
            return;
        }
        let mut push = |r: Option<String>| {
            if let Some(r) = r.filter(|r| r.len() > 1)
                && out.len() < TITLE_WORDS
                && !out.contains(&r)
            {
                out.push(r);
            }
        };
        match analyzer.compound_parts(&folded) {
            Some(parts) => {
                for part in parts {
                    let mut read = String::new();
                    analyzer.words(part, |_, _, _, r| read.push_str(r));
                    push(romanise_word(part, &read));
                }
            }
            None if !prefix.is_empty() && !reading.is_empty() => {
                push(romanise_word(&folded, &format!("{prefix}{reading}")))
            }
            None => push(romanise_word(&folded, reading)),
        }
    });
    out
}

/// One word in lower-case Latin letters and digits: from its reading
/// (katakana), from its own kana, or as it is when already Latin.
fn romanise_word(surface: &str, reading: &str) -> Option<String> {
    let surface = crate::analysis::nfkc(surface);
    let source = if !reading.is_empty() {
        reading.to_owned()
    } else if surface.chars().all(is_kana) {
        surface.clone()
    } else if surface.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some(surface.to_ascii_lowercase()).filter(|s| !s.is_empty());
    } else {
        return None;
    };
    let romaji = source.replace('ー', "").to_romaji();
    let letters: String = romaji
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let short = letters.replace("ou", "o").replace("uu", "u");
    (!short.is_empty()).then_some(short)
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::edit::tests_support::sample;

    fn case(muni: &str, pref: &str, title: &str, year: i32) -> Case {
        let mut c = sample("");
        c.municipality = muni.into();
        c.prefecture = pref.into();
        c.title = title.into();
        c.period.start = year;
        c
    }

    #[test]
    fn place_and_title_words_make_the_id() {
        assert_eq!(
            readable_base(&case("さいたま市", "埼玉県", "改善提案制度", 2009)),
            "saitama-kaizen-teian-2009"
        );
        assert_eq!(
            readable_base(&case("所沢市", "埼玉県", "所沢市の有言実行発表会", 2012)),
            "tokorozawa-yugen-jikko-2012"
        );
    }

    #[test]
    fn a_prefecture_and_nationwide_records_read_too() {
        let id = readable_base(&case("三重県", "三重県", "行政経営品質向上活動", 1998));
        assert!(id.starts_with("mie-gyosei"), "{id}");
        let id = readable_base(&case("全国の職員有志", "全国", "改善サミット", 2015));
        assert!(id.starts_with("zenkoku-kaizen"), "{id}");
    }

    #[test]
    fn latin_words_stay_and_unreadable_titles_fall_back() {
        let id = readable_base(&case("福岡市", "福岡県", "ＤＮＡ運動", 2000));
        assert_eq!(id, "fukuoka-dna-undo-2000");
        let id = readable_base(&case("", "", "", 2000));
        assert_eq!(id, "case-2000");
        let long = "改善".repeat(80);
        assert!(readable_base(&case("福岡市", "福岡県", &long, 2000)).len() <= MAX_BASE + 5);
    }

    #[test]
    fn every_id_is_valid() {
        for (m, p, t) in [
            ("金ケ崎町", "岩手県", "「カイゼン」！？ ～ 2024年の挑戦 ～"),
            ("\u{0}", "福岡県", "\r\n\t"),
            ("ｻﾞｯｸ町", "北海道", "Ｋａｉｚｅｎ　Ｗｅｅｋ"),
        ] {
            let id = readable_base(&case(m, p, t, 2020));
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !id.starts_with('-')
                    && !id.contains("--"),
                "{id}"
            );
        }
    }
}
