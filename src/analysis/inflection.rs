//! One verb in its two shapes: the noun made from a verb's 連用形
//! (打ち切り, 取りやめ, 見直し) and the verb itself (打ち切る, 取りやめる).
//!
//! The morphological field indexes a verb by its base form (打ち切られた →
//! 打ち切る) but such a noun as written (打ち切り), so the two never meet,
//! and their bigrams differ too (切リ / 切ラ). A query word is therefore
//! also searched in its other shape. Owns finding that shape, and only
//! shapes the dictionary confirms (a guessed form that IPADIC does not
//! read back as one verb or one noun is dropped); must not touch the
//! index's terms (no re-index) or decide how a form is scored.

use super::{analyzer, is_hiragana};

/// い段 → う段 of a 五段 verb's 連用形 ending (切り → 切る).
const I_TO_U: [(char, char); 9] = [
    ('い', 'う'),
    ('き', 'く'),
    ('ぎ', 'ぐ'),
    ('し', 'す'),
    ('ち', 'つ'),
    ('に', 'ぬ'),
    ('び', 'ぶ'),
    ('み', 'む'),
    ('り', 'る'),
];

/// The one token `text` reads as, with its part of speech and base form.
fn single_token(text: &str) -> Option<(String, String)> {
    match analyzer().explain(text).as_slice() {
        [t] if t.surface == text => Some((t.part_of_speech.clone(), t.base_form.clone())),
        _ => None,
    }
}

/// A verb's base form, if `text` is one as IPADIC knows it.
fn is_verb(text: &str) -> bool {
    single_token(text).is_some_and(|(pos, base)| pos.starts_with("動詞") && base == text)
}

/// Whether `text` is one noun (not a suffix such as 〜止まり).
fn is_noun(text: &str) -> bool {
    single_token(text).is_some_and(|(pos, _)| pos.starts_with("名詞") && pos != "名詞-接尾")
}

/// The verb of a noun made from its 連用形: 打ち切り → 打ち切る (五段),
/// 取りやめ → 取りやめる (一段).
fn verb_of_noun(noun: &str) -> Option<String> {
    let last = noun.chars().last()?;
    let stem = &noun[..noun.len() - last.len_utf8()];
    if stem.is_empty() {
        return None;
    }
    let godan = I_TO_U
        .iter()
        .find(|(i, _)| *i == last)
        .map(|(_, u)| format!("{stem}{u}"));
    // 一段: the 連用形 is the stem itself; the dictionary says which.
    let ichidan = is_hiragana(last).then(|| format!("{noun}る"));
    [godan, ichidan].into_iter().flatten().find(|v| is_verb(v))
}

/// The noun made from a verb's 連用形: 打ち切る → 打ち切り, 取りやめる →
/// 取りやめ.
fn noun_of_verb(verb: &str) -> Option<String> {
    let last = verb.chars().last()?;
    let stem = &verb[..verb.len() - last.len_utf8()];
    if stem.is_empty() {
        return None;
    }
    let godan = I_TO_U
        .iter()
        .find(|(_, u)| *u == last)
        .map(|(i, _)| format!("{stem}{i}"));
    let ichidan = (last == 'る').then(|| stem.to_owned());
    [godan, ichidan]
        .into_iter()
        .flatten()
        .find(|n| n.chars().count() > 1 && is_noun(n))
}

/// The other shape of a query word that is one verb (in any inflection:
/// 打ち切られた reads as 打ち切る) or one noun made from a verb, as the
/// dictionary confirms it; `None` for anything else (a compound, a
/// sentence, a word with no such pair).
pub fn other_shape(word: &str) -> Option<String> {
    let tokens = analyzer().explain(word);
    // 続かない is not about 続き.
    if tokens.iter().any(|t| {
        t.part_of_speech.starts_with("助動詞")
            && matches!(t.base_form.as_str(), "ない" | "ぬ" | "ん")
    }) {
        return None;
    }
    let content: Vec<_> = tokens.iter().filter(|t| t.dropped.is_none()).collect();
    let [t] = content.as_slice() else {
        return None;
    };
    if t.part_of_speech.starts_with("動詞") {
        noun_of_verb(&t.base_form)
    } else if t.part_of_speech.starts_with("名詞") && tokens.len() == 1 {
        verb_of_noun(&t.surface)
    } else {
        None
    }
}

/// The part of a verb written the same in every inflection, when it is
/// long enough to search as a substring: 打ち切る → 打ち切 (打ち切ら,
/// 打ち切り, 打ち切れ all start so), 止まる → 止ま. `None` for anything but
/// one verb in its base form, or a stem of one character (見る → 見 would
/// find every 見).
pub fn verb_stem(word: &str) -> Option<&str> {
    let last = word.chars().last()?;
    let stem = &word[..word.len() - last.len_utf8()];
    (is_hiragana(last) && stem.chars().count() >= 2 && is_verb(word)).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::{other_shape, verb_stem};

    #[test]
    fn a_verb_stem_is_what_every_inflection_starts_with() {
        assert_eq!(verb_stem("打ち切る"), Some("打ち切"));
        assert_eq!(verb_stem("止まる"), Some("止ま"));
        for w in ["見る", "打ち切り", "改善", "かいぜん", ""] {
            assert_eq!(verb_stem(w), None, "{w}");
        }
    }

    #[test]
    fn a_noun_made_from_a_verb_finds_the_verb_and_back() {
        assert_eq!(other_shape("打ち切り").as_deref(), Some("打ち切る"));
        assert_eq!(other_shape("打ち切る").as_deref(), Some("打ち切り"));
        // Any inflection reads as the base form first.
        assert_eq!(other_shape("打ち切られた").as_deref(), Some("打ち切り"));
    }

    #[test]
    fn words_without_such_a_pair_have_none() {
        for w in [
            "改善",
            "職員提案",
            "市長",
            "かいぜん",
            "の",
            "",
            "業務改善の達人",
        ] {
            assert_eq!(other_shape(w), None, "{w}");
        }
    }
}
