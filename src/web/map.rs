//! A tile map of Japan for the overview page: one square per prefecture,
//! placed roughly where it lies (north-east to south-west), shaded by how
//! many cases it has. A tile map rather than outlines: every prefecture
//! gets the same area (Tokyo is as visible as Hokkaido), it needs no
//! geographic data, and it renders as a few dozen SVG rectangles.

/// Where each prefecture's tile goes: (name, column, row), columns west
/// to east, rows north to south, in local government code order.
const TILES: [(&str, u8, u8); 47] = [
    ("北海道", 13, 0),
    ("青森県", 13, 2),
    ("岩手県", 13, 3),
    ("宮城県", 13, 4),
    ("秋田県", 12, 3),
    ("山形県", 12, 4),
    ("福島県", 12, 5),
    ("茨城県", 13, 6),
    ("栃木県", 12, 6),
    ("群馬県", 11, 6),
    ("埼玉県", 11, 7),
    ("千葉県", 13, 7),
    ("東京都", 12, 7),
    ("神奈川県", 11, 8),
    ("新潟県", 11, 5),
    ("富山県", 10, 5),
    ("石川県", 9, 5),
    ("福井県", 8, 6),
    ("山梨県", 10, 7),
    ("長野県", 10, 6),
    ("岐阜県", 9, 6),
    ("静岡県", 10, 8),
    ("愛知県", 9, 7),
    ("三重県", 9, 8),
    ("滋賀県", 8, 7),
    ("京都府", 7, 7),
    ("大阪府", 7, 8),
    ("兵庫県", 6, 8),
    ("奈良県", 8, 8),
    ("和歌山県", 7, 9),
    ("鳥取県", 5, 7),
    ("島根県", 4, 7),
    ("岡山県", 5, 8),
    ("広島県", 4, 8),
    ("山口県", 3, 8),
    ("徳島県", 6, 9),
    ("香川県", 5, 9),
    ("愛媛県", 4, 9),
    ("高知県", 5, 10),
    ("福岡県", 2, 9),
    ("佐賀県", 1, 9),
    ("長崎県", 0, 9),
    ("熊本県", 2, 10),
    ("大分県", 3, 9),
    ("宮崎県", 3, 10),
    ("鹿児島県", 2, 11),
    ("沖縄県", 0, 11),
];

const TILE: u32 = 44;
const GAP: u32 = 3;
const COLUMNS: u32 = 14;
const ROWS: u32 = 12;

/// One prefecture's tile, ready for the template.
pub struct Tile {
    pub name: &'static str,
    /// The name as written on the tile (東京, 北海道).
    pub short: &'static str,
    pub count: u64,
    pub x: u32,
    pub y: u32,
    /// Shade 0 (no case) to 4 (the most cases).
    pub shade: u8,
    pub href: String,
}

/// The whole map, for `templates/map.html`.
pub struct PrefectureMap {
    pub width: u32,
    pub height: u32,
    pub size: u32,
    pub tiles: Vec<Tile>,
    /// The counts each shade stands for, for the legend: (shade, label).
    pub legend: Vec<(u8, String)>,
    pub description: String,
}

/// Shade of `count` on a scale up to `max`: 0 only for no case, then four
/// steps of equal width, ⌈4 · count / max⌉ (a collection this size has no
/// long tail to justify a log scale); the most cases always get 4.
fn shade(count: u64, max: u64) -> u8 {
    if count == 0 || max == 0 {
        return 0;
    }
    (1 + (count * 4 - 1) / max).min(4) as u8
}

/// The map for per-prefecture counts (`(prefecture, count)`, any order);
/// `href` gives each tile's link (a search filtered to it).
pub fn prefecture_map(counts: &[(String, u64)], href: impl Fn(&str) -> String) -> PrefectureMap {
    let count_of = |name: &str| {
        counts
            .iter()
            .find(|(p, _)| p == name)
            .map_or(0, |(_, n)| *n)
    };
    let max = TILES.iter().map(|t| count_of(t.0)).max().unwrap_or(0);
    let tiles = TILES
        .iter()
        .map(|&(name, col, row)| {
            let count = count_of(name);
            Tile {
                name,
                short: short_name(name),
                count,
                x: u32::from(col) * (TILE + GAP),
                y: u32::from(row) * (TILE + GAP),
                shade: shade(count, max),
                href: href(name),
            }
        })
        .collect::<Vec<_>>();
    let with_cases = tiles.iter().filter(|t| t.count > 0).count();
    // Each shade covers counts whose shade() is that step.
    let legend = (0..=4u8)
        .filter_map(|s| {
            let range: Vec<u64> = (0..=max).filter(|&n| shade(n, max) == s).collect();
            let (first, last) = (*range.first()?, *range.last()?);
            Some((
                s,
                if first == last {
                    format!("{first} 件")
                } else {
                    format!("{first}〜{last} 件")
                },
            ))
        })
        .collect();
    PrefectureMap {
        width: COLUMNS * (TILE + GAP),
        height: ROWS * (TILE + GAP),
        size: TILE,
        tiles,
        legend,
        description: format!(
            "47 都道府県のタイル地図。事例のある都道府県は {with_cases}、最も多いところで {max} 件。色が濃いほど事例が多い。"
        ),
    }
}

/// The prefecture's name without 都・府・県 (北海道 stays whole).
fn short_name(name: &'static str) -> &'static str {
    if name == "北海道" {
        return name;
    }
    name.strip_suffix(['都', '府', '県']).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_prefecture_has_its_own_tile_inside_the_grid() {
        let names: HashSet<_> = TILES.iter().map(|t| t.0).collect();
        assert_eq!(names.len(), 47);
        let places: HashSet<_> = TILES.iter().map(|t| (t.1, t.2)).collect();
        assert_eq!(places.len(), 47, "two prefectures share a tile");
        assert!(
            TILES
                .iter()
                .all(|t| u32::from(t.1) < COLUMNS && u32::from(t.2) < ROWS)
        );
        // The same names the case format validates against.
        for p in crate::case::municipalities::prefectures() {
            assert!(names.contains(p.as_str()), "{p} has no tile");
        }
    }

    #[test]
    fn shades_grow_with_the_count_and_zero_stays_blank() {
        assert_eq!(shade(0, 10), 0);
        assert_eq!(shade(1, 10), 1);
        assert_eq!(shade(10, 10), 4);
        assert!(shade(5, 10) <= shade(6, 10));
        assert_eq!(shade(3, 0), 0);
        let map = prefecture_map(&[("東京都".into(), 3), ("三重県".into(), 1)], |p| {
            format!("/?prefecture={p}")
        });
        let tokyo = map.tiles.iter().find(|t| t.name == "東京都").unwrap();
        assert_eq!((tokyo.short, tokyo.count, tokyo.shade), ("東京", 3, 4));
        let hokkaido = map.tiles.iter().find(|t| t.name == "北海道").unwrap();
        assert_eq!((hokkaido.short, hokkaido.shade), ("北海道", 0));
        assert_eq!(map.legend.first().map(|l| l.1.as_str()), Some("0 件"));
    }
}
