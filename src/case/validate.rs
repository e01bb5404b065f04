//! Domain rules for a typed [`Case`]: what makes a case publishable.
//!
//! Works on values, not files, so the same rules serve `check` (which maps
//! each problem back to a file line) and the web form (which shows it next
//! to the field). Type-level problems (a level that is not one of the five)
//! are caught earlier, while parsing.

use super::model::{Case, Kind, Section};
use super::municipalities::{self, Lookup};

/// One problem with one field of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Front-matter key or section key (`levels`, `failures`, …).
    pub field: &'static str,
    pub severity: Severity,
    /// In Japanese, for case authors.
    pub message: String,
}

impl FieldProblem {
    /// An error with `field`, in words for case authors.
    pub fn error(field: &'static str, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field,
            severity: Severity::Error,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Earliest start year accepted: improvement campaigns in Japanese local
/// government are a post-war phenomenon; anything earlier is a typo.
pub const MIN_YEAR: i32 = 1945;

/// Maximum length of an id (it appears in URLs and file names).
pub const MAX_ID_LEN: usize = 80;

pub fn validate(case: &Case) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut err = |field, message: String| out.push(FieldProblem::error(field, message));

    if let Some(msg) = id_problem(&case.id) {
        err("id", msg);
    }
    for (field, label, value) in [
        ("title", "事例名", &case.title),
        ("municipality", "自治体名", &case.municipality),
        ("prefecture", "都道府県", &case.prefecture),
    ] {
        if value.trim().is_empty() {
            err(field, format!("{label}を入力してください"));
        }
    }
    if case.levels.is_empty() {
        err(
            "levels",
            "改善レベルを1つ以上選んでください（業務改善・人材育成・事業改善・職場改善・戦略提案・施策改善）".into(),
        );
    }
    let this_year = current_year();
    let start = case.period.start;
    let start_ok = (MIN_YEAR..=this_year + 1).contains(&start);
    if !start_ok {
        err(
            "start_year",
            format!(
                "開始年 {start} はありえない年です（{MIN_YEAR}〜{} の範囲で書いてください）",
                this_year + 1
            ),
        );
    }
    if let Some(end) = case.period.end {
        if end < start && start_ok {
            err(
                "end_year",
                format!("終了年 {end} が開始年 {start} より前です"),
            );
        } else if end > this_year {
            err(
                "end_year",
                format!(
                    "終了年 {end} は未来の年です（続いている取組なら終了年は空のままにします）"
                ),
            );
        }
    }
    for section in Section::ALL {
        if section.required() && case.sections.get(section).trim().is_empty() {
            err(
                section.key(),
                format!("{}を入力してください", section.heading()),
            );
        }
    }
    if case.sources.is_empty() {
        err(
            "sources",
            "出典を1つ以上書いてください（URL や書名）".into(),
        );
    }
    if let Some(updated) = &case.updated
        && !is_iso_date(updated)
    {
        err(
            "updated",
            format!("「{updated}」は日付ではありません（YYYY-MM-DD で書いてください）"),
        );
    }
    out.extend(place_problems(case));
    out.extend(contact_problems(case));
    out
}

/// Longest 担当部署 accepted: a department name, not a paragraph.
pub const MAX_DEPARTMENT: usize = 200;

fn contact_problems(case: &Case) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut err = |field, message: String| out.push(FieldProblem::error(field, message));
    let dept = case.contact.department.trim();
    if dept.chars().any(char::is_control) {
        err(
            "contact_department",
            "担当部署は改行などを入れずに1行で書いてください".into(),
        );
    } else if dept.chars().count() > MAX_DEPARTMENT {
        err(
            "contact_department",
            format!("担当部署が長すぎます（{MAX_DEPARTMENT} 文字まで）"),
        );
    }
    let url = case.contact.url.trim();
    if !url.is_empty() && !is_public_url(url) {
        err(
            "contact_url",
            "問い合わせ先のページは https:// で始まる URL で書いてください（例: https://www.city.example.lg.jp/kaizen/）".into(),
        );
    }
    out
}

/// An `http(s)://host…` address with no spaces or control characters: a
/// link the case page can show as it is.
fn is_public_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && url.len() <= 2000
            && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// Ids that make a file name some system treats specially: `readme.md`
/// is skipped as the folder's description (case-insensitively), and
/// Windows cannot check out `con.md`, `nul.md`, `com1.md`, … (a cases
/// repository must work for members on Windows too).
fn reserved_id(id: &str) -> bool {
    const NAMES: [&str; 5] = ["readme", "con", "prn", "aux", "nul"];
    let numbered = |prefix: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit())
    };
    NAMES.iter().any(|n| id.eq_ignore_ascii_case(n)) || numbered("com") || numbered("lpt")
}

/// Why `id` cannot be a case id, if it cannot. Also the gate for looking
/// an id up on disk: a string that fails here names no file.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("ID を入力してください".into());
    }
    if id.len() > MAX_ID_LEN {
        return Some(format!("ID が長すぎます（{MAX_ID_LEN} 文字まで）"));
    }
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = !id.starts_with('-') && !id.ends_with('-');
    if !ok_chars || !ok_ends {
        return Some(format!(
            "「{id}」は ID に使えません（半角英小文字・数字・ハイフンのみ、例: fukuoka-dna-undo）"
        ));
    }
    if reserved_id(id) {
        return Some(format!(
            "「{id}」はファイル名として特別な意味を持つため id に使えません（例: {id}-kaizen）"
        ));
    }
    None
}

fn place_problems(case: &Case) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let pref = case.prefecture.trim();
    if pref.is_empty() {
        return out;
    }
    if pref == municipalities::NATIONWIDE {
        if case.kind != Kind::Nationwide {
            out.push(FieldProblem::error(
                "kind",
                format!(
                    "都道府県が「全国」のときは、自治体の種類を「{}」にしてください",
                    Kind::Nationwide
                ),
            ));
        }
        return out;
    }
    if !municipalities::is_prefecture(pref) {
        let hint = municipalities::suggest_prefecture(pref)
            .map(|p| format!("（{p} のことですか？）"))
            .unwrap_or_default();
        out.push(FieldProblem::error(
            "prefecture",
            format!("「{pref}」は都道府県名ではありません{hint}"),
        ));
        return out;
    }
    match municipalities::lookup(pref, case.municipality.trim()) {
        Lookup::Found | Lookup::IsPrefecture => {}
        Lookup::Variant(official) => out.push(FieldProblem {
            field: "municipality",
            severity: Severity::Warning,
            message: format!(
                "「{}」の正式な表記は「{official}」です（検索はどちらでも見つかります）",
                case.municipality
            ),
        }),
        Lookup::OtherPrefecture(other) => out.push(FieldProblem::error(
            "municipality",
            format!(
                "「{}」は{pref}ではなく{other}の自治体です",
                case.municipality
            ),
        )),
        Lookup::Unknown => out.push(FieldProblem {
            field: "municipality",
            severity: Severity::Warning,
            message: format!(
                "「{}」は{pref}の自治体一覧にありません（合併・名称変更後の名前か確認してください）",
                case.municipality
            ),
        }),
    }
    if case.kind == Kind::Nationwide {
        out.push(FieldProblem::error(
            "kind",
            "「全国・広域」は都道府県が「全国」の事例にだけ使えます",
        ));
    }
    out
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// The current calendar year (UTC), from the system clock.
pub fn current_year() -> i32 {
    today().0
}

/// Today's date (UTC) as (year, month, day), without a date-time crate:
/// Howard Hinnant's days-to-civil algorithm.
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// Today as `YYYY-MM-DD`.
pub fn today_iso() -> String {
    let (y, m, d) = today();
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_from_days_matches_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_411), (2025, 11, 19));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn ids_must_be_ascii_slugs() {
        assert!(id_problem("fukuoka-dna-undo").is_none());
        assert!(id_problem("福岡").is_some());
        assert!(id_problem("Fukuoka").is_some());
        assert!(id_problem("-x").is_some());
        assert!(id_problem("").is_some());
        for reserved in ["readme", "con", "nul", "aux", "prn", "com1", "lpt9"] {
            assert!(id_problem(reserved).is_some(), "{reserved}");
        }
        for fine in ["readme-2", "con-kaizen", "com10", "console"] {
            assert!(id_problem(fine).is_none(), "{fine}");
        }
        assert!(id_problem("a\0b").is_some());
        assert!(id_problem(&"a".repeat(300)).is_some());
    }

    #[test]
    fn a_contact_is_one_line_and_a_public_web_address() {
        let mut case = crate::case::edit::tests_support::sample("c-1");
        case.contact.department = "総務部 行政改革課".into();
        case.contact.url = "https://www.city.example.lg.jp/kaizen/".into();
        assert!(contact_problems(&case).is_empty());
        for url in [
            "javascript:alert(1)",
            "www.city.example.lg.jp",
            "https://",
            "https:///x",
            "https://a b",
            "https://a\u{0}",
        ] {
            case.contact.url = url.into();
            let p = contact_problems(&case);
            assert_eq!(p.len(), 1, "{url:?}");
            assert_eq!(p[0].field, "contact_url");
        }
        case.contact.url.clear();
        case.contact.department = "行政改革課\r\n## 概要".into();
        assert_eq!(contact_problems(&case)[0].field, "contact_department");
        case.contact.department = "課".repeat(MAX_DEPARTMENT + 1);
        assert_eq!(contact_problems(&case)[0].field, "contact_department");
    }

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2026-11-24"));
        assert!(!is_iso_date("2026-13-01"));
        assert!(!is_iso_date("2026/11/24"));
    }
}
