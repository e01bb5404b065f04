//! Token-level folding: variants a practitioner should not have to guess.
//!
//! Applied after segmentation, to index terms and query terms alike:
//! hiragana → katakana (だめ = ダメ), ヶ/ヵ → ケ/カ (金ヶ崎町 = 金ケ崎町,
//! NFKC leaves them alone), the long-vowel mark inside katakana words
//! (マネージャー = マネジャー), small kana (キャノン = キヤノン, as old texts
//! and some company names write them), and 異体字 common in place and family
//! names (髙 → 高, 﨑 → 崎 …).

/// Variant kanji (異体字) → the common form, sorted by the variant. Place
/// and family names in municipal text mix these freely.
const KANJI_VARIANTS: &[(char, char)] = &[
    ('冨', '富'),
    ('區', '区'),
    ('國', '国'),
    ('實', '実'),
    ('嵜', '崎'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('廣', '広'),
    ('德', '徳'),
    ('惠', '恵'),
    ('條', '条'),
    ('榮', '栄'),
    ('槇', '槙'),
    ('櫻', '桜'),
    ('澤', '沢'),
    ('濱', '浜'),
    ('瀨', '瀬'),
    ('眞', '真'),
    ('縣', '県'),
    ('與', '与'),
    ('舘', '館'),
    ('藪', '薮'),
    ('邉', '辺'),
    ('邊', '辺'),
    ('髙', '高'),
    ('黑', '黒'),
    ('齊', '斉'),
    ('齋', '斎'),
    ('龍', '竜'),
    ('﨑', '崎'),
];

/// The variants' code points modulo 1024, as a bit set: every character of
/// every indexed and highlighted text passes through [`fold_kanji`], and
/// all but ~3 % of them are ruled out here before a binary search.
const VARIANT_BITS: [u64; 16] = {
    let mut bits = [0u64; 16];
    let mut i = 0;
    while i < KANJI_VARIANTS.len() {
        let low = KANJI_VARIANTS[i].0 as usize & 0x3FF;
        bits[low / 64] |= 1 << (low % 64);
        i += 1;
    }
    bits
};

/// Sorted by the variant: a binary search for the characters the bit set
/// lets through.
fn fold_kanji(c: char) -> char {
    let low = c as usize & 0x3FF;
    if VARIANT_BITS[low / 64] & (1 << (low % 64)) == 0 {
        return c;
    }
    KANJI_VARIANTS
        .binary_search_by_key(&c, |(from, _)| *from)
        .map_or(c, |i| KANJI_VARIANTS[i].1)
}

/// Whether a variant kanji folds into `c` (髙 into 高).
pub fn is_fold_target(c: char) -> bool {
    KANJI_VARIANTS.iter().any(|(_, to)| *to == c)
}

/// Small katakana → their full-size letter. Old texts and some names write
/// ャュョッ full size (キヤノン, ビユー); folding both sides makes them meet.
fn fold_small_kana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        // Both small ones stand for the same counter/particle ka/ga in
        // place names and counts (金ヶ崎 = 金ケ崎, 一ヵ所 = 一ヶ所).
        'ヵ' | 'ヶ' => 'ケ',
        _ => c,
    }
}

/// Hiragana → katakana, small kana → full size (ヶ/ヵ → ケ), variant
/// kanji → common form. One char in, one char out (offsets stay aligned).
pub fn fold_char(c: char) -> char {
    match c {
        // ぁ..ゖ → ァ..ヶ, and ゝゞ → ヽヾ (iteration marks).
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            fold_small_kana(char::from_u32(c as u32 + 0x60).unwrap_or(c))
        }
        '\u{30A1}'..='\u{30FA}' => fold_small_kana(c),
        _ => fold_kanji(c),
    }
}

/// A hiragana letter or mark (ぁ..ゟ).
pub fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}')
}

/// A katakana letter (ァ..ヺ): one a long-vowel mark after it belongs to.
pub fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}')
}

/// Any kana, marks included (the hiragana and katakana blocks).
pub fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}')
}

/// Whether a word is written in kana only, so its reading is what the user
/// means (かいぜん → 改善). A kanji word's reading would match homophones.
pub fn is_kana_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_kana)
}

/// Folds a term: variants on every char; hiragana → katakana only when the
/// whole term is kana (だめ = ダメ, but 進める stays as written); drops a
/// long-vowel mark that follows a katakana letter (マネージャー → マネジャ,
/// as マネジャー).
pub fn fold_term(term: &str) -> String {
    fold(term, true)
}

/// [`fold_term`] keeping the long-vowel mark, which tells some words apart
/// (ビル and ビール, バッタ and バッター): for looking a word up among a
/// dictionary's headwords, which list the spellings without it where they
/// are the same word (サーバ for サーバー).
pub fn fold_headword(term: &str) -> String {
    fold(term, false)
}

fn fold(term: &str, drop_long_vowels: bool) -> String {
    let all_kana = term.chars().all(is_kana);
    let mut out = String::with_capacity(term.len());
    let mut prev: Option<char> = None;
    for c in term.chars() {
        let f = match c {
            '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' if !all_kana => c,
            _ => fold_char(c),
        };
        if drop_long_vowels && f == 'ー' && prev.is_some_and(is_katakana) {
            continue;
        }
        out.push(f);
        prev = Some(f);
    }
    out
}

/// Folding for comparing place names: ヶ/ケ/ヵ and variant kanji, without
/// touching hiragana (a name's kana are part of its spelling).
pub fn fold_place_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ヶ' | 'ケ' | 'ヵ' | 'け' | 'が' | 'ガ' => 'ケ',
            _ => fold_kanji(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table() {
        let cases = [
            ("だめ", "ダメ"),
            ("ダメ", "ダメ"),
            ("金ヶ崎町", "金ケ崎町"),
            ("金ヵ崎町", "金ケ崎町"),
            ("マネージャー", "マネジヤ"),
            ("マネジャー", "マネジヤ"),
            ("キャノン", "キヤノン"),
            ("しゅちょう", "シユチヨウ"),
            ("髙橋", "高橋"),
            ("渡邊", "渡辺"),
            ("ー", "ー"),
            ("dna", "dna"),
            ("進める", "進める"),
        ];
        for (input, want) in cases {
            assert_eq!(fold_term(input), want, "help: fold_term({input:?})");
        }
    }

    #[test]
    fn variant_table_is_sorted_for_binary_search() {
        assert!(KANJI_VARIANTS.windows(2).all(|w| w[0].0 < w[1].0));
        for (from, to) in KANJI_VARIANTS {
            assert_eq!(fold_kanji(*from), *to);
        }
    }

    #[test]
    fn place_names_fold_ga_variants_only() {
        assert_eq!(fold_place_name("金ヶ崎町"), fold_place_name("金ケ崎町"));
        assert_eq!(fold_place_name("霞が関"), fold_place_name("霞ケ関"));
        assert_ne!(fold_place_name("所沢市"), fold_place_name("所沢町"));
    }
}
