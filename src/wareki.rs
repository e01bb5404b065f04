//! Dates and years as Japanese civil servants read and write them: the
//! Western calendar in 年月日 (2026年11月24日) and the era calendar (和暦:
//! 令和8年, 平成22年度), both ways.
//!
//! Owns display (ISO date → 2026年11月24日, year → 令和8年) and parsing of
//! the year forms people type into a year field (2010, 平成22, H22,
//! 令和5年度, 平成二十二年, ㍻22) into a Western year. It knows nothing of
//! cases, forms or HTTP, and it must not guess: an era year outside its era
//! (平成35) is an error, not a silent conversion.
//!
//! Era years are counted the official way: 元年 is year 1, and the year an
//! era starts in belongs to both eras (2019 is 平成31年 until 4月30日 and
//! 令和元年 from 5月1日). A bare year is shown in the era that holds the end
//! of the year, which is also how 年度 are named (2019年度 is 令和元年度).

use std::fmt;

/// One of the modern eras (明治 onwards: the only ones a municipal record
/// can name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

/// An era's name, its one-letter abbreviation (as in H22), and its first
/// day (year, month, day) in the Gregorian calendar.
struct EraRow {
    era: Era,
    name: &'static str,
    letter: char,
    first_day: (i32, u32, u32),
}

const fn row(era: Era, name: &'static str, letter: char, first_day: (i32, u32, u32)) -> EraRow {
    EraRow {
        era,
        name,
        letter,
        first_day,
    }
}

const ERAS: [EraRow; 5] = [
    row(Era::Meiji, "明治", 'M', (1868, 1, 25)),
    row(Era::Taisho, "大正", 'T', (1912, 7, 30)),
    row(Era::Showa, "昭和", 'S', (1926, 12, 25)),
    row(Era::Heisei, "平成", 'H', (1989, 1, 8)),
    row(Era::Reiwa, "令和", 'R', (2019, 5, 1)),
];

impl Era {
    fn row(self) -> &'static EraRow {
        &ERAS[self as usize]
    }

    /// 明治, 大正, 昭和, 平成, 令和.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// M, T, S, H, R (as in H22).
    pub fn letter(self) -> char {
        self.row().letter
    }

    /// The Western year of the era's 元年.
    pub fn first_year(self) -> i32 {
        self.row().first_day.0
    }

    /// The Western year of the era's last year (the year the next era
    /// began), or `None` for the current era.
    pub fn last_year(self) -> Option<i32> {
        ERAS.get(self as usize + 1).map(|next| next.first_day.0)
    }

    fn from_name(name: &str) -> Option<Era> {
        ERAS.iter().find(|e| e.name == name).map(|e| e.era)
    }

    fn from_letter(c: char) -> Option<Era> {
        let c = c.to_ascii_uppercase();
        ERAS.iter().find(|e| e.letter == c).map(|e| e.era)
    }
}

/// A year of an era: 令和8年 is `EraYear { era: Reiwa, year: 8 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraYear {
    pub era: Era,
    /// 1 is 元年.
    pub year: i32,
}

impl EraYear {
    /// The Western year.
    pub fn western(self) -> i32 {
        self.era.first_year() + self.year - 1
    }
}

/// 令和8年, 令和元年 (year 1 is written 元年, as on every official paper).
impl fmt::Display for EraYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year == 1 {
            write!(f, "{}元年", self.era.name())
        } else {
            write!(f, "{}{}年", self.era.name(), self.year)
        }
    }
}

/// The era year of a Western year, named by the era that holds the year's
/// last day (2019 → 令和元年); `None` before 明治.
pub fn era_year(year: i32) -> Option<EraYear> {
    era_of_date(year, 12, 31)
}

/// The era year of a day (2019-04-30 → 平成31年, 2019-05-01 → 令和元年);
/// `None` before 明治.
pub fn era_of_date(year: i32, month: u32, day: u32) -> Option<EraYear> {
    ERAS.iter()
        .rev()
        .find(|e| (year, month, day) >= e.first_day)
        .map(|e| EraYear {
            era: e.era,
            year: year - e.first_day.0 + 1,
        })
}

/// A calendar day read from `YYYY-MM-DD` (the form case files store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Reads `YYYY-MM-DD`; `None` for anything else (including 2026-02-30):
    /// a page shows such a value as written rather than a wrong date.
    pub fn parse_iso(s: &str) -> Option<Day> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (year, month, day) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
        (1..=12).contains(&month).then_some(())?;
        (1..=days_in_month(year, month))
            .contains(&day)
            .then_some(())?;
        Some(Day { year, month, day })
    }

    /// The day's era year (2026-11-24 → 令和8年).
    pub fn era(self) -> Option<EraYear> {
        era_of_date(self.year, self.month, self.day)
    }

    /// The Western year with its era year: 2026年（令和8年）.
    pub fn year_with_era(self) -> String {
        match self.era() {
            Some(e) => format!("{}年（{e}）", self.year),
            None => format!("{}年", self.year),
        }
    }
}

/// 2026年11月24日 (no zero padding: that is how the date is read aloud and
/// printed on official papers).
impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年{}月{}日", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// An ISO date as 2026年11月24日; anything that is not a valid
/// `YYYY-MM-DD` comes back as written.
pub fn date_ja(iso: &str) -> String {
    Day::parse_iso(iso).map_or_else(|| iso.trim().to_owned(), |d| d.to_string())
}

/// An ISO date with its era year: 2026年11月24日（令和8年）; anything that
/// is not a valid `YYYY-MM-DD` comes back as written.
pub fn date_with_era_ja(iso: &str) -> String {
    match Day::parse_iso(iso) {
        Some(d) => match d.era() {
            Some(era) => format!("{d}（{era}）"),
            None => d.to_string(),
        },
        None => iso.trim().to_owned(),
    }
}

/// A Western year with its era year where it helps a reader: 2010年（平成22年）.
pub fn year_ja(year: i32) -> String {
    match era_year(year) {
        Some(e) => format!("{year}年（{e}）"),
        None => format!("{year}年"),
    }
}

/// Why a year field's text is not a year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YearError {
    #[error("年が空です")]
    Empty,
    #[error("「{0}」は年として読めません（例: 2010、平成22、H22、令和5年度）")]
    Unreadable(String),
    #[error("{era}は{last}年までです（{era}{last}年は{western}年）")]
    PastEraEnd {
        era: &'static str,
        last: i32,
        western: i32,
    },
    #[error("{era}0年という年はありません（{era}は元年＝1年から数えます）")]
    ZeroEraYear { era: &'static str },
}

/// Reads a year as people type it into a year field and gives the Western
/// year: `2010`, `2010年`, `２０１０`, `平成22`, `平成22年`, `平成22年度`,
/// `平成二十二年`, `平成元年`, `H22`, `h.22`, `Ｈ２２`, `㍻22`, `R5`,
/// `令和5年度`. A 年度 is named by the year it starts in, so 令和5年度 is
/// 2023. Whether the year is plausible for a case is the caller's rule;
/// this only refuses what cannot be a year of the named era.
pub fn parse_year(input: &str) -> Result<i32, YearError> {
    use unicode_normalization::UnicodeNormalization;
    // NFKC folds full-width digits and letters and the one-character era
    // signs (㍻ → 平成, ㋿ → 令和).
    let folded: String = input.nfkc().filter(|c| !c.is_whitespace()).collect();
    if folded.is_empty() {
        return Err(YearError::Empty);
    }
    let unreadable = || YearError::Unreadable(input.trim().to_owned());
    let body = folded
        .strip_suffix("年度")
        .or_else(|| folded.strip_suffix('年'))
        .unwrap_or(&folded);
    let body = body.strip_prefix("西暦").unwrap_or(body);

    let (era, number) = if let Some(e) = ERAS.iter().find(|e| body.starts_with(e.name)) {
        (Some(e.era), &body[e.name.len()..])
    } else {
        let mut chars = body.chars();
        match chars.next().and_then(Era::from_letter) {
            Some(era) => {
                let rest = chars.as_str();
                (Some(era), rest.strip_prefix('.').unwrap_or(rest))
            }
            None => (None, body),
        }
    };
    let Some(era) = era else {
        // A Western year: four digits, nothing else.
        if number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()) {
            return number.parse().map_err(|_| unreadable());
        }
        return Err(unreadable());
    };
    let n = era_number(number).ok_or_else(unreadable)?;
    if n == 0 {
        return Err(YearError::ZeroEraYear { era: era.name() });
    }
    let western = era.first_year() + n - 1;
    if let Some(last) = era.last_year()
        && western > last
    {
        return Err(YearError::PastEraEnd {
            era: era.name(),
            last: last - era.first_year() + 1,
            western: last,
        });
    }
    Ok(western)
}

/// An era year's number: ASCII digits (at most 3), 元, or kanji numerals
/// up to 九十九 (二十二, 三十一).
fn era_number(s: &str) -> Option<i32> {
    if s == "元" {
        return Some(1);
    }
    if !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d).map(|v| v as i32),
        ['十', u] => digit(*u).map(|v| 10 + v as i32),
        [t, '十'] => digit(*t).map(|v| 10 * v as i32),
        [t, '十', u] => Some(10 * digit(*t)? as i32 + digit(*u)? as i32),
        _ => None,
    }
}

/// For callers that receive an era by name (a select box).
pub fn era_by_name(name: &str) -> Option<Era> {
    Era::from_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_years_of_western_years() {
        assert_eq!(era_year(2026).unwrap().to_string(), "令和8年");
        assert_eq!(era_year(2019).unwrap().to_string(), "令和元年");
        assert_eq!(era_year(2010).unwrap().to_string(), "平成22年");
        assert_eq!(era_year(1989).unwrap().to_string(), "平成元年");
        assert_eq!(era_year(1988).unwrap().to_string(), "昭和63年");
        assert_eq!(era_year(1926).unwrap().to_string(), "昭和元年");
        assert_eq!(era_year(1900).unwrap().to_string(), "明治33年");
        assert_eq!(era_year(1867), None);
        assert_eq!(year_ja(2010), "2010年（平成22年）");
        assert_eq!(year_ja(1800), "1800年");
    }

    #[test]
    fn the_day_an_era_changes_belongs_to_the_new_era() {
        assert_eq!(era_of_date(2019, 4, 30).unwrap().to_string(), "平成31年");
        assert_eq!(era_of_date(2019, 5, 1).unwrap().to_string(), "令和元年");
        assert_eq!(era_of_date(1989, 1, 7).unwrap().to_string(), "昭和64年");
        assert_eq!(era_of_date(1989, 1, 8).unwrap().to_string(), "平成元年");
    }

    #[test]
    fn iso_dates_read_as_japanese_dates() {
        assert_eq!(date_ja("2026-11-24"), "2026年11月24日");
        assert_eq!(date_ja("2026-01-05"), "2026年1月5日");
        let d = Day::parse_iso("2026-11-24").unwrap();
        assert_eq!(d.year_with_era(), "2026年（令和8年）");
        assert_eq!(date_ja("2024-02-29"), "2024年2月29日");
        assert_eq!(date_with_era_ja("2019-05-01"), "2019年5月1日（令和元年）");
        assert_eq!(date_with_era_ja("2019-04-30"), "2019年4月30日（平成31年）");
        assert_eq!(date_with_era_ja("1800-01-01"), "1800年1月1日");
        assert_eq!(date_with_era_ja("昨日"), "昨日");
        // Not a date: shown as written, never as a wrong date.
        for bad in [
            "2026-02-30",
            "2023-02-29",
            "2026-13-01",
            "2026-1-5",
            "26-11-24",
            "",
            "２０２６-11-24",
            "2026-11-2４",
        ] {
            assert_eq!(Day::parse_iso(bad), None, "{bad}");
            assert_eq!(date_ja(bad), bad.trim());
        }
    }

    #[test]
    fn year_fields_accept_what_people_type() {
        for (input, year) in [
            ("2010", 2010),
            ("2010年", 2010),
            ("2010年度", 2010),
            (" ２０１０ ", 2010),
            ("西暦2010年", 2010),
            ("平成22", 2010),
            ("平成22年", 2010),
            ("平成２２年", 2010),
            ("平成 22 年", 2010),
            ("平成二十二年", 2010),
            ("平成十年", 1998),
            ("平成元年", 1989),
            ("平成31年", 2019),
            ("H22", 2010),
            ("h22", 2010),
            ("H.22", 2010),
            ("Ｈ２２", 2010),
            ("㍻22", 2010),
            ("R5", 2023),
            ("令和5年度", 2023),
            ("令和元年度", 2019),
            ("㋿5", 2023),
            ("昭和64年", 1989),
            ("S60", 1985),
            ("昭和三十年", 1955),
            ("大正15", 1926),
            ("明治45", 1912),
        ] {
            assert_eq!(parse_year(input), Ok(year), "{input}");
        }
    }

    #[test]
    fn years_that_cannot_be_are_refused_with_a_reason() {
        assert_eq!(parse_year(""), Err(YearError::Empty));
        assert_eq!(parse_year("  "), Err(YearError::Empty));
        assert_eq!(
            parse_year("平成35"),
            Err(YearError::PastEraEnd {
                era: "平成",
                last: 31,
                western: 2019
            })
        );
        assert_eq!(
            parse_year("平成35").unwrap_err().to_string(),
            "平成は31年までです（平成31年は2019年）"
        );
        assert!(matches!(
            parse_year("S65"),
            Err(YearError::PastEraEnd { last: 64, .. })
        ));
        assert_eq!(
            parse_year("令和0年"),
            Err(YearError::ZeroEraYear { era: "令和" })
        );
        for bad in [
            "22",
            "201",
            "20100",
            "X22",
            "平成",
            "平成22月",
            "H-22",
            "平成百年",
            "令和5.5",
            "2010-04",
            "二〇一〇",
            "平成二十二十年",
            "\u{0}2010",
            "R\u{202e}5",
        ] {
            assert!(
                matches!(parse_year(bad), Err(YearError::Unreadable(_))),
                "{bad:?} → {:?}",
                parse_year(bad)
            );
        }
        let huge = "9".repeat(100_000);
        assert!(parse_year(&huge).is_err());
        assert!(parse_year(&format!("令和{huge}")).is_err());
    }

    #[test]
    fn era_names_and_letters_round_trip() {
        for e in [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa] {
            assert_eq!(era_by_name(e.name()), Some(e));
            assert_eq!(Era::from_letter(e.letter()), Some(e));
            let ey = EraYear { era: e, year: 2 };
            assert_eq!(era_year(ey.western()), Some(ey));
        }
        assert_eq!(Era::Reiwa.last_year(), None);
        assert_eq!(Era::Heisei.last_year(), Some(2019));
    }
}
