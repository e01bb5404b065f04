//! The plan of a search: the words a case is searched for, each with its
//! alternatives (`a OR b`, synonyms), and how many of them it must match.

use super::parse::{Atom, UserQuery};
use crate::analysis::{AnalyzerKind, analyzer, is_kana_word, other_shape, query_terms, synonyms};

/// One unit of a query: required (or excluded) as a whole, counted when a
/// multi-word query is relaxed, reported when a hit lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As the person wrote it (`a OR b` for alternatives).
    pub label: String,
    pub negated: bool,
    /// What was typed (with a verb's other shape: 打ち切り ↔ 打ち切る),
    /// then its synonyms: any of them matches.
    pub atoms: Vec<Atom>,
    /// How many of `atoms` stand for what was typed (the rest are
    /// synonyms, which score below them).
    pub typed: usize,
}

impl Word {
    /// The atoms with whether each was typed (not a synonym).
    pub fn atoms_typed(&self) -> impl Iterator<Item = (&Atom, bool)> {
        self.atoms
            .iter()
            .enumerate()
            .map(|(i, a)| (a, i < self.typed))
    }

    /// The synonyms searched besides what was typed (「同義語も検索」).
    pub fn synonyms(&self) -> impl Iterator<Item = &str> {
        self.atoms[self.typed.min(self.atoms.len())..]
            .iter()
            .map(Atom::text)
    }
}

/// The content words of a text written as a sentence: runs of indexed
/// tokens between particles, auxiliaries, light verbs and question words
/// (どう, 知りたい), as written. Only a text with a particle (助詞), a
/// question word or a word naming the collection (〜した自治体) is a
/// sentence: やらされ意識 or 改善された stay one word. A kana-only text is
/// never cut (unknown kana strings segment arbitrarily: かいぜん is one
/// word, not か + いぜん).
fn content_words(text: &str) -> Vec<String> {
    if is_kana_word(text) {
        return vec![text.to_owned()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut particle = false;
    // The last word pushed ends in a verb, with only auxiliaries since.
    let mut verb_before = false;
    let mut last_is_verb = false;
    for t in analyzer().explain(text) {
        let question = t.dropped.is_none() && is_question_word(&t.surface, &t.base_form);
        match (t.dropped.is_some() || question, &mut run) {
            (false, Some((_, end))) => *end = t.byte_end,
            (false, None) => run = Some((t.byte_start, t.byte_end)),
            (true, _) => {
                particle |= question || t.dropped == Some("助詞");
                if let Some((s, e)) = run.take() {
                    out.push(text[s..e].to_owned());
                    verb_before = last_is_verb;
                }
                if t.dropped == Some("助詞") || question {
                    verb_before = false;
                } else if verb_before && is_negation(&t.part_of_speech, &t.base_form) {
                    // 続かなかった → 続かない: a verb said not to happen
                    // is its own word (「続かない」 finds 途絶える).
                    if let Some(w) = out.last_mut() {
                        w.push_str("ない");
                    }
                    verb_before = false;
                }
            }
        }
        last_is_verb = t.dropped.is_none() && t.part_of_speech.starts_with("動詞");
    }
    if let Some((s, e)) = run {
        out.push(text[s..e].to_owned());
    }
    let collection = out.len() > 1 && out.iter().any(|w| is_collection_word(w));
    if !particle && !collection {
        return vec![text.to_owned()];
    }
    // Words that name what every case is (事例, 自治体, 取り組み) say
    // nothing about which case is meant: a sentence is searched without
    // them, unless nothing else is left.
    let meaningful: Vec<String> = out
        .iter()
        .filter(|w| !is_collection_word(w))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        out
    } else {
        meaningful
    }
}

/// A negative auxiliary (ない, ぬ, ず).
fn is_negation(pos: &str, base: &str) -> bool {
    pos.starts_with("助動詞") && matches!(base, "ない" | "ぬ" | "ん")
}

fn is_collection_word(w: &str) -> bool {
    COLLECTION_WORDS.contains(&w)
}

/// Words that frame a question rather than say what it is about
/// (〜を知りたい, 〜どうすればいいですか, 〜を教えて), by surface or base
/// form: a sentence is cut at them and they are not searched for.
const QUESTION_WORDS: &[&str] = &[
    "どう",
    "どうして",
    "なぜ",
    "何故",
    "どの",
    "どんな",
    "どのよう",
    "いい",
    "よい",
    "良い",
    "知る",
    "教える",
    "探す",
    "調べる",
    "やる",
    "ください",
    "下さい",
];

fn is_question_word(surface: &str, base: &str) -> bool {
    QUESTION_WORDS.contains(&surface) || QUESTION_WORDS.contains(&base)
}

/// Words of a sentence that describe the collection itself.
const COLLECTION_WORDS: &[&str] = &[
    "事例",
    "実例",
    "自治体",
    "市町村",
    "取り組み",
    "取組",
    "取組み",
    "ケース",
    "例",
    "話",
    "方法",
    "やり方",
];

/// The synonyms of a word: by its text, else by its base forms (止まっ,
/// as a sentence is cut, finds the rule for 止まる).
fn synonyms_of(word: &str, rules: &synonyms::Synonyms) -> Vec<String> {
    let direct = rules.expand_all(word);
    if !direct.is_empty() {
        return direct;
    }
    let base: String = query_terms(AnalyzerKind::Morph, word).concat();
    if base.is_empty() || base == word {
        Vec::new()
    } else {
        rules.expand_all(&base)
    }
}

/// The typed atoms, each word's other shape (打ち切り ↔ 打ち切る: the same
/// word, so it counts as typed), then their synonyms (same kind: a
/// phrase's synonym is a phrase). Returns the atoms and how many of them
/// stand for what was typed.
fn with_synonyms(atoms: Vec<Atom>, rules: &synonyms::Synonyms) -> (Vec<Atom>, usize) {
    let mut out = atoms.clone();
    for a in &atoms {
        if let Atom::Word(w) = a
            && let Some(shape) = other_shape(w)
            && !out.contains(&Atom::Word(shape.clone()))
        {
            out.push(Atom::Word(shape));
        }
    }
    let typed = out.len();
    let as_typed = out.clone();
    for a in as_typed {
        for syn in synonyms_of(a.text(), rules) {
            let alt = match a {
                Atom::Word(_) => Atom::Word(syn),
                Atom::Phrase(_) => Atom::Phrase(syn),
            };
            if !out.contains(&alt) {
                out.push(alt);
            }
        }
    }
    (out, typed)
}

/// The words of a parsed query: a word typed as a sentence becomes its
/// content words; every word gets its synonyms.
pub fn plan(q: &UserQuery, rules: &synonyms::Synonyms) -> Vec<Word> {
    let mut out = Vec::new();
    for clause in &q.clauses {
        if let (false, [Atom::Word(text)]) = (clause.negated, clause.any_of.as_slice())
            && rules.expand_all(text).is_empty()
        {
            let parts = content_words(text);
            // Several content words, or one inside a question
            // (停滞の事例 → 停滞).
            if parts.len() > 1 || parts.len() == 1 && parts[0] != *text {
                for p in parts {
                    let (atoms, typed) = with_synonyms(vec![Atom::Word(p.clone())], rules);
                    out.push(Word {
                        label: p,
                        negated: false,
                        atoms,
                        typed,
                    });
                }
                continue;
            }
        }
        let (atoms, typed) = with_synonyms(clause.any_of.clone(), rules);
        out.push(Word {
            label: clause
                .any_of
                .iter()
                .map(Atom::text)
                .collect::<Vec<_>>()
                .join(" OR "),
            negated: clause.negated,
            atoms,
            typed,
        });
    }
    out
}

/// How many of `n` words a case must match: at least half, rounded up. Of
/// two words one suffices (首長交代 活動停止 never meet in one case); the
/// ranking still puts cases with both first.
pub fn required(n: usize) -> usize {
    n.div_ceil(2).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn labels(q: &str) -> Vec<String> {
        plan(&parse(q), &synonyms::Synonyms::default())
            .into_iter()
            .map(|w| w.label)
            .collect()
    }

    #[test]
    fn a_sentence_becomes_its_content_words_without_collection_words() {
        assert_eq!(
            labels("市民が審査に参加する改善の取り組み"),
            vec!["市民", "審査", "参加", "改善"]
        );
        assert_eq!(labels("やらされ感"), vec!["やらされ感"]);
        assert_eq!(labels("かいぜんのはなし"), vec!["かいぜんのはなし"]);
        assert_eq!(labels("首長交代 OR 村長"), vec!["首長交代 OR 村長"]);
    }

    #[test]
    fn question_endings_and_function_words_are_not_content_words() {
        for (q, want) in [
            ("形骸化した自治体", vec!["形骸化"]),
            ("停滞の事例", vec!["停滞"]),
            ("反発はありますか", vec!["反発"]),
            ("負担感を知りたい", vec!["負担感"]),
            ("予算削減どうすれば", vec!["予算削減"]),
            (
                "形骸化を防ぐにはどうすればいいですか",
                vec!["形骸化", "防ぐ"],
            ),
            (
                "職員の反発で続かなかった取り組み",
                vec!["職員", "反発", "続かない"],
            ),
            ("制度を続けられなかった", vec!["制度", "続けない"]),
            (
                "担当者が異動すると取り組みが続かない",
                vec!["担当者", "異動", "続かない"],
            ),
            ("マンネリ化の事例を教えてください", vec!["マンネリ化"]),
            ("どうやって提案を増やすか", vec!["提案", "増やす"]),
        ] {
            assert_eq!(labels(q), want, "{q}");
        }
        // Not a question: one word, as typed.
        assert_eq!(labels("改善された"), vec!["改善された"]);
        assert_eq!(labels("自治体改善"), vec!["自治体改善"]);
    }

    #[test]
    fn a_verb_and_its_noun_count_as_typed_and_synonyms_follow() {
        let rules = synonyms::Synonyms::parse(std::path::Path::new("t"), "打ち切る = 活動停止\n")
            .unwrap()
            .without_sudachi();
        let w = &plan(&parse("打ち切り"), &rules)[0];
        let texts: Vec<&str> = w.atoms.iter().map(Atom::text).collect();
        assert_eq!(texts, ["打ち切り", "打ち切る", "活動停止"]);
        assert_eq!(w.typed, 2, "the verb shape scores as typed");
        assert_eq!(w.synonyms().collect::<Vec<_>>(), ["活動停止"]);
    }

    #[test]
    fn at_least_half_of_the_words_are_required() {
        assert_eq!(
            (1..=5).map(required).collect::<Vec<_>>(),
            vec![1, 1, 2, 2, 3]
        );
        assert_eq!(required(0), 1);
    }
}
