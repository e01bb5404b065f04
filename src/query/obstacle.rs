//! Words about what went wrong (形骸化, 停滞, 反発, 負担感, 予算削減 …): a
//! query word that is one, by itself or by one of its synonyms, is an
//! obstacle question, and the cases whose 失敗・課題 or 背景・経緯 say it
//! are what the person is after.
//!
//! Owns the list of such words and the test; must not decide how much
//! those sections weigh (the index's query builder does).

use super::plan::Word;
use crate::analysis::{fold_term, normalize};

/// Words, as a practitioner writes them, that name an obstacle, a
/// failure or a decline of a campaign. Compared folded and by prefix
/// for the longer ones (予算削減 covers 予算削減額).
const OBSTACLE_WORDS: &[&str] = &[
    "形骸化",
    "マンネリ",
    "マンネリ化",
    "停滞",
    "低迷",
    "沈滞",
    "反発",
    "抵抗",
    "反対",
    "不満",
    "批判",
    "負担",
    "負担感",
    "やらされ感",
    "やらされ意識",
    "疲弊",
    "予算削減",
    "削減",
    "縮減",
    "縮小",
    "打ち切り",
    "打ち切る",
    "活動停止",
    "廃止",
    "中止",
    "中断",
    "休止",
    "撤廃",
    "取りやめ",
    "取りやめる",
    "途絶える",
    "頓挫",
    "挫折",
    "失敗",
    "衰退",
    "空洞化",
    "減少",
    "固定化",
    "無関心",
    "消極的",
    "人手不足",
    "形式的",
    "義務化",
    "続かない",
    "続けない",
];

fn key(w: &str) -> String {
    fold_term(normalize(w.trim()).text.trim())
}

/// Whether `text` names an obstacle.
pub fn is_obstacle_text(text: &str) -> bool {
    let k = key(text);
    OBSTACLE_WORDS.iter().any(|w| key(w) == k)
}

/// Whether a query word asks about an obstacle: what was typed or any
/// of its synonyms is one (替わる is not, but 打ち切り and its synonym
/// 活動停止 are).
pub fn is_obstacle(word: &Word) -> bool {
    !word.negated && word.atoms.iter().any(|a| is_obstacle_text(a.text()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::synonyms::Synonyms;
    use crate::query::{parse, plan};

    fn obstacles(q: &str) -> Vec<(String, bool)> {
        plan(&parse(q), &Synonyms::default())
            .iter()
            .map(|w| (w.label.clone(), is_obstacle(w)))
            .collect()
    }

    #[test]
    fn obstacle_words_are_known_by_any_spelling() {
        for w in [
            "形骸化",
            "停滞",
            "反発",
            "負担感",
            "予算削減",
            "まんねり",
            "ﾏﾝﾈﾘ",
        ] {
            assert!(is_obstacle_text(w), "{w}");
        }
        for w in ["改善", "職員提案", "市長", "発表会", ""] {
            assert!(!is_obstacle_text(w), "{w}");
        }
    }

    #[test]
    fn a_sentence_marks_its_obstacle_words_only() {
        assert_eq!(
            obstacles("職員の反発で続かなかった取り組み"),
            vec![
                ("職員".to_owned(), false),
                ("反発".to_owned(), true),
                ("続かない".to_owned(), true)
            ]
        );
        assert_eq!(obstacles("-反発"), vec![("反発".to_owned(), false)]);
    }

    #[test]
    fn a_synonym_that_is_an_obstacle_makes_the_word_one() {
        let rules = Synonyms::parse(std::path::Path::new("t"), "取り止め = 廃止\n")
            .unwrap()
            .without_sudachi();
        let words = plan(&parse("取り止め"), &rules);
        assert!(is_obstacle(&words[0]));
        assert!(!is_obstacle(
            &plan(&parse("取り止め"), &Synonyms::default())[0]
        ));
    }
}
