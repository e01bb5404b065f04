//! The list of Japanese local governments (embedded from
//! `dict/data/local_government.csv`), for validating `prefecture` and
//! `municipality`, inferring a municipality's kind, and filling form lists.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::model::Kind;
use crate::analysis::fold_place_name;

/// The `prefecture` value for records not tied to one municipality.
pub const NATIONWIDE: &str = "全国";

#[derive(Debug, Clone)]
pub struct Municipality {
    pub prefecture: String,
    pub name: String,
    /// 全国地方公共団体コード (6 digits).
    pub code: String,
    pub designated_city: bool,
}

struct Table {
    prefectures: Vec<String>,
    all: Vec<Municipality>,
    /// Folded name → indices into `all`.
    by_folded: HashMap<String, Vec<usize>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let csv = kaizen_wa_dict::LOCAL_GOVERNMENT_CSV.trim_start_matches('\u{feff}');
        let mut prefectures: Vec<String> = Vec::new();
        let mut all = Vec::new();
        for line in csv.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols.len() < 5 {
                continue;
            }
            let prefecture = cols[0].to_string();
            if prefectures.last() != Some(&prefecture) && !prefectures.contains(&prefecture) {
                prefectures.push(prefecture.clone());
            }
            all.push(Municipality {
                prefecture,
                name: cols[2].to_string(),
                code: cols[3].to_string(),
                designated_city: cols[4].trim() == "1",
            });
        }
        let mut by_folded: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in all.iter().enumerate() {
            by_folded
                .entry(fold_place_name(&m.name))
                .or_default()
                .push(i);
        }
        Table {
            prefectures,
            all,
            by_folded,
        }
    })
}

/// The 47 prefectures, in local-government-code order (北海道 … 沖縄県).
pub fn prefectures() -> &'static [String] {
    &table().prefectures
}

/// Every municipality in the list.
pub fn all() -> &'static [Municipality] {
    &table().all
}

pub fn is_prefecture(name: &str) -> bool {
    prefectures().iter().any(|p| p == name)
}

/// `三重` → `三重県`, `東京` → `東京都`; else the nearest by edit distance
/// when it is close.
pub fn suggest_prefecture(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let prefs = prefectures();
    if let Some(p) = prefs
        .iter()
        .find(|p| p.starts_with(name) && p.chars().count() == name.chars().count() + 1)
    {
        return Some(p);
    }
    prefs
        .iter()
        .map(|p| (strsim::levenshtein(p, name), p))
        .filter(|(d, _)| *d <= 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, p)| p.as_str())
}

/// How a (prefecture, municipality) pair relates to the official list.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Found,
    /// The municipality is the prefecture itself (e.g. 三重県 as an actor).
    IsPrefecture,
    /// Found under another spelling (金ヶ崎町 for the official 金ケ崎町).
    Variant(String),
    /// A municipality of that name exists, but in this other prefecture.
    OtherPrefecture(String),
    Unknown,
}

pub fn lookup(prefecture: &str, municipality: &str) -> Lookup {
    if municipality == prefecture {
        return Lookup::IsPrefecture;
    }
    let t = table();
    let Some(hits) = t.by_folded.get(&fold_place_name(municipality)) else {
        return Lookup::Unknown;
    };
    let in_pref = hits
        .iter()
        .map(|&i| &t.all[i])
        .find(|m| m.prefecture == prefecture);
    match in_pref {
        Some(m) if m.name == municipality => Lookup::Found,
        Some(m) => Lookup::Variant(m.name.clone()),
        None => Lookup::OtherPrefecture(t.all[hits[0]].prefecture.clone()),
    }
}

/// The kind of a municipality as far as the list tells (it does not mark
/// 中核市: authors say so themselves).
pub fn infer_kind(prefecture: &str, municipality: &str) -> Option<Kind> {
    if prefecture == NATIONWIDE {
        return Some(Kind::Nationwide);
    }
    if municipality == prefecture && is_prefecture(prefecture) {
        return Some(Kind::Prefecture);
    }
    let t = table();
    let hits = t.by_folded.get(&fold_place_name(municipality))?;
    let m = hits
        .iter()
        .map(|&i| &t.all[i])
        .find(|m| m.prefecture == prefecture)?;
    if m.designated_city {
        return Some(Kind::DesignatedCity);
    }
    match m.name.chars().last()? {
        '市' => Some(Kind::City),
        '区' if prefecture == "東京都" => Some(Kind::SpecialWard),
        '町' => Some(Kind::Town),
        '村' => Some(Kind::Village),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_47_prefectures_in_code_order() {
        assert_eq!(prefectures().len(), 47);
        assert_eq!(prefectures()[0], "北海道");
        assert_eq!(prefectures()[46], "沖縄県");
    }

    #[test]
    fn ga_variants_resolve_to_the_official_spelling() {
        assert_eq!(
            lookup("岩手県", "金ヶ崎町"),
            Lookup::Variant("金ケ崎町".into())
        );
        assert_eq!(lookup("岩手県", "金ケ崎町"), Lookup::Found);
        assert_eq!(
            lookup("福岡県", "所沢市"),
            Lookup::OtherPrefecture("埼玉県".into())
        );
        assert_eq!(lookup("三重県", "三重県"), Lookup::IsPrefecture);
    }

    #[test]
    fn kinds_are_inferred_from_the_list() {
        assert_eq!(infer_kind("福岡県", "福岡市"), Some(Kind::DesignatedCity));
        assert_eq!(infer_kind("東京都", "中野区"), Some(Kind::SpecialWard));
        assert_eq!(infer_kind("三重県", "南伊勢町"), Some(Kind::Town));
        assert_eq!(infer_kind("三重県", "三重県"), Some(Kind::Prefecture));
        assert_eq!(infer_kind("埼玉県", "所沢市"), Some(Kind::City));
    }

    #[test]
    fn prefecture_suffix_is_suggested() {
        assert_eq!(suggest_prefecture("三重"), Some("三重県"));
        assert_eq!(suggest_prefecture("東京"), Some("東京都"));
        assert_eq!(suggest_prefecture("ニューヨーク"), None);
    }
}
