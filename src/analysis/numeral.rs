//! Kanji numerals → Arabic digits, a token filter shared by the
//! morphological and n-gram analyzers, at index and query time alike.
//!
//! Municipal text mixes 第3次 / 第三次 and 30年 / 三十年 (JAPANESE-SEARCH.md
//! #6: 憲法9条 found nothing where 憲法九条 was written). Only tokens IPADIC
//! tags as numbers (名詞,数) are converted, so words that merely contain a
//! numeral character (三重県, 統一, 一般) are left alone. This module knows
//! nothing of segmentation: it converts a run of numeral tokens' text.

/// The value of a kanji digit.
fn digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '壱' => 1,
        '二' | '弐' => 2,
        '三' | '参' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        '0'..='9' => u64::from(c as u8 - b'0'),
        _ => return None,
    })
}

/// The multiplier of a kanji unit within a group of four digits.
fn small_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' => 100,
        '千' => 1000,
        _ => return None,
    })
}

/// The multiplier of a kanji unit that closes a group (万, 億, 兆).
fn large_unit(c: char) -> Option<u64> {
    Some(match c {
        '万' => 10_000,
        '億' => 100_000_000,
        '兆' => 1_000_000_000_000,
        _ => return None,
    })
}

/// Whether `c` can be part of a kanji numeral.
pub fn is_numeral_char(c: char) -> bool {
    digit(c).is_some() || small_unit(c).is_some() || large_unit(c).is_some()
}

/// The Arabic form of a numeral written in kanji (三十 → 30, 二〇一五 →
/// 2015, 三万二千 → 32000), `None` if `s` is not one or contains no kanji
/// (already Arabic: nothing to do).
pub fn to_arabic(s: &str) -> Option<String> {
    if s.is_empty() || !s.chars().all(is_numeral_char) || s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let has_units = s
        .chars()
        .any(|c| small_unit(c).is_some() || large_unit(c).is_some());
    if !has_units {
        // Digit by digit, as years are written: 二〇一五 → 2015.
        return Some(
            s.chars()
                .map(|c| char::from(b'0' + digit(c).unwrap_or(0) as u8))
                .collect(),
        );
    }
    let (mut total, mut group, mut current): (u64, u64, Option<u64>) = (0, 0, None);
    for c in s.chars() {
        if let Some(d) = digit(c) {
            current = Some(match current {
                None => d,
                Some(v) => v.checked_mul(10)?.checked_add(d)?,
            });
        } else if let Some(m) = small_unit(c) {
            group = group.checked_add(current.unwrap_or(1).checked_mul(m)?)?;
            current = None;
        } else if let Some(m) = large_unit(c) {
            let g = group.checked_add(current.unwrap_or(0))?;
            total = total.checked_add(if g == 0 { 1 } else { g }.checked_mul(m)?)?;
            group = 0;
            current = None;
        }
    }
    Some(
        total
            .checked_add(group)?
            .checked_add(current.unwrap_or(0))?
            .to_string(),
    )
}

/// A number in Arabic digits written digit by digit in kanji (2015 →
/// 二〇一五, as years are written; [`to_arabic`] reads it back): what a
/// highlighter looks for where a query says 2015 and the text may write
/// it in kanji. `None` when `digits` is not all digits.
pub fn kanji_digits(digits: &str) -> Option<String> {
    const KANJI: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| {
        digits
            .bytes()
            .map(|b| KANJI[usize::from(b - b'0')])
            .collect()
    })
}

/// How an Arabic number is read aloud, in katakana (1 → イチ, 30 →
/// サンジュウ, 2007 → ニセンナナ, 300 → サンビャク), so that a kana query
/// (ひとりいちていあん) meets a name written with a digit (ひとり1提案);
/// `None` for what is not a whole number of at most twelve digits.
///
/// One reading per digit (4 ヨン, 7 ナナ, 9 キュウ: how numbers in names
/// are said), with the sound changes of 百 and 千.
pub fn number_reading(s: &str) -> Option<String> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = s.parse().ok()?;
    if n == 0 {
        return Some("ゼロ".to_owned());
    }
    let mut groups = Vec::new();
    while n > 0 {
        groups.push(n % 10_000);
        n /= 10_000;
    }
    let mut out = String::new();
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        out.push_str(&group_reading(g));
        out.push_str(["", "マン", "オク"][i]);
    }
    Some(out)
}

/// The reading of 1..=9999.
fn group_reading(g: u64) -> String {
    const DIGITS: [&str; 10] = [
        "",
        "イチ",
        "ニ",
        "サン",
        "ヨン",
        "ゴ",
        "ロク",
        "ナナ",
        "ハチ",
        "キュウ",
    ];
    let (th, h, t, o) = (g / 1000, g / 100 % 10, g / 10 % 10, g % 10);
    let mut out = String::new();
    out.push_str(match th {
        0 => "",
        1 => "セン",
        3 => "サンゼン",
        8 => "ハッセン",
        _ => "",
    });
    if !matches!(th, 0 | 1 | 3 | 8) {
        out.push_str(DIGITS[th as usize]);
        out.push_str("セン");
    }
    out.push_str(match h {
        0 => "",
        1 => "ヒャク",
        3 => "サンビャク",
        6 => "ロッピャク",
        8 => "ハッピャク",
        _ => "",
    });
    if !matches!(h, 0 | 1 | 3 | 6 | 8) {
        out.push_str(DIGITS[h as usize]);
        out.push_str("ヒャク");
    }
    if t > 0 {
        if t > 1 {
            out.push_str(DIGITS[t as usize]);
        }
        out.push_str("ジュウ");
    }
    out.push_str(DIGITS[o as usize]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_read_aloud() {
        for (n, reading) in [
            ("1", "イチ"),
            ("3", "サン"),
            ("10", "ジュウ"),
            ("30", "サンジュウ"),
            ("300", "サンビャク"),
            ("600", "ロッピャク"),
            ("2007", "ニセンナナ"),
            ("3000", "サンゼン"),
            ("8800", "ハッセンハッピャク"),
            ("10000", "イチマン"),
            ("120000", "ジュウニマン"),
            ("0", "ゼロ"),
        ] {
            assert_eq!(number_reading(n).as_deref(), Some(reading), "{n}");
        }
        for not in ["", "1.5", "三", "1234567890123"] {
            assert_eq!(number_reading(not), None, "{not}");
        }
    }

    use super::*;

    #[test]
    fn arabic_numbers_read_back_from_kanji_digits() {
        assert_eq!(kanji_digits("2015").as_deref(), Some("二〇一五"));
        assert_eq!(kanji_digits("3a"), None);
        for n in ["1", "10", "21", "105", "3200", "2015", "40"] {
            let k = kanji_digits(n).unwrap();
            assert_eq!(to_arabic(&k).as_deref(), Some(n), "help: {k}");
        }
    }

    #[test]
    fn kanji_numerals_become_arabic() {
        let table = [
            ("三", "3"),
            ("三十", "30"),
            ("十", "10"),
            ("二十一", "21"),
            ("百五", "105"),
            ("三千二百", "3200"),
            ("二〇一五", "2015"),
            ("三万二千", "32000"),
            ("一億", "100000000"),
            ("3万", "30000"),
        ];
        for (kanji, want) in table {
            assert_eq!(
                to_arabic(kanji).as_deref(),
                Some(want),
                "help: to_arabic({kanji:?})"
            );
        }
    }

    #[test]
    fn non_numerals_and_arabic_are_left_alone() {
        assert_eq!(to_arabic("30"), None);
        assert_eq!(to_arabic("三重"), None);
        assert_eq!(to_arabic(""), None);
    }
}
