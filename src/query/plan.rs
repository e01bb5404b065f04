//! The plan of a search: the words a case is searched for, each with its
//! alternatives (`a OR b`, synonyms), and how many of them it must match.

use super::parse::{Atom, UserQuery};
use crate::analysis::{
    AnalyzerKind, TokenInfo, analyzer, is_kana_word, normalize, other_shape, query_terms, synonyms,
};

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
    let (out, particle) = cut_words(text);
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

/// A text cut into runs of indexed tokens (see [`content_words`]), each
/// named as a reader would: a run ending in an inflected verb by its
/// dictionary form (なくなっ → なくなる, 一度やめ → 一度やめる; which also
/// searches every inflection), a verb said not to happen with ない
/// (続かなかった → 続かない: its own word, 「続かない」 finds 途絶える). With
/// whether a particle or a question word cut it.
fn cut_words(text: &str) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    // The start and dictionary form of the run's last token, when it is
    // an inflected verb.
    let mut inflected: Option<(usize, String)> = None;
    // The last word pushed as written, when it ends in a verb with only
    // auxiliaries since (a negation may follow).
    let mut verb_before: Option<String> = None;
    let mut particle = false;
    let mut last_is_verb = false;
    // The run `s..e` as named.
    let name = |s: usize, e: usize, inflected: Option<(usize, String)>| match inflected {
        Some((last, base)) => format!("{}{base}", &text[s..last]),
        None => text[s..e].to_owned(),
    };
    for t in analyzer().explain(text) {
        let question = t.dropped.is_none() && is_question_word(&t.surface, &t.base_form);
        match (t.dropped.is_some() || question, &mut run) {
            (false, Some((_, end))) => *end = t.byte_end,
            (false, None) => run = Some((t.byte_start, t.byte_end)),
            (true, _) => {
                particle |= question || t.dropped == Some("助詞");
                if let Some((s, e)) = run.take() {
                    out.push(name(s, e, inflected.take()));
                    verb_before = last_is_verb.then(|| text[s..e].to_owned());
                }
                if t.dropped == Some("助詞") || question {
                    verb_before = None;
                } else if is_negation(&t.part_of_speech, &t.base_form)
                    && let (Some(w), Some(last)) = (verb_before.take(), out.last_mut())
                {
                    *last = w + "ない";
                }
            }
        }
        last_is_verb = t.dropped.is_none() && t.part_of_speech.starts_with("動詞");
        if t.dropped.is_none() && !question {
            inflected = (last_is_verb && t.surface != t.base_form)
                .then(|| (t.byte_start, t.base_form.clone()));
        }
    }
    if let Some((s, e)) = run {
        out.push(name(s, e, inflected));
    }
    (out, particle)
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

/// The content words a word typed without spaces is made of (首長交代 →
/// 首長, 交代; 原子力発電所 → 原子力, 発電所), as written: a case holding
/// all of them anywhere matches the word too, below the compound itself
/// ([`compound_parts`]). Empty when the word is one content word.
///
/// A suffix (市, 所), a number and a prefix (第) stay with their neighbour:
/// 鹿屋市 and 第3回 are one word, never 鹿屋 + 市. A word with anything
/// analysis does not index (a particle, an inflection, a symbol) is a
/// phrase or a sentence, not a compound; kana alone is never cut (unknown
/// kana strings segment arbitrarily).
pub fn split_compound(text: &str) -> Vec<String> {
    if is_kana_word(text) {
        return Vec::new();
    }
    let tokens = analyzer().explain(text);
    // Unknown symbols (<, >) come as nouns: not words either.
    let word = |t: &TokenInfo| t.dropped.is_none() && t.surface.chars().any(char::is_alphanumeric);
    if !tokens.iter().all(word) {
        return Vec::new();
    }
    let mut parts: Vec<String> = Vec::new();
    // A prefix waiting for the word it belongs to.
    let mut prefix = String::new();
    for t in &tokens {
        let pos = t.part_of_speech.as_str();
        if pos.starts_with("接頭詞") {
            prefix.push_str(&t.surface);
            continue;
        }
        let attached = pos == "名詞-接尾" || pos == "名詞-数";
        match parts.last_mut() {
            Some(last) if attached && prefix.is_empty() => last.push_str(&t.surface),
            _ => parts.push(std::mem::take(&mut prefix) + &t.surface),
        }
    }
    if !prefix.is_empty() {
        match parts.last_mut() {
            Some(last) => last.push_str(&prefix),
            None => parts.push(prefix),
        }
    }
    // One word the user dictionary knows as a compound: its parts
    // (首長交代 → 首長, 交代). Several words keep theirs whole, with their
    // own synonyms (職員提案制度 → 職員提案, 制度).
    if let ([t], [_]) = (tokens.as_slice(), parts.as_slice()) {
        parts = dictionary_parts(t);
    }
    if (2..=MAX_PARTS).contains(&parts.len()) {
        parts
    } else {
        Vec::new()
    }
}

/// Most parts a word typed without spaces is searched as: a longer run of
/// words is no compound (and each part is a query over every field).
const MAX_PARTS: usize = 6;

/// A token as written, cut into the parts the user dictionary lists for
/// it (首長交代 → 首長, 交代), each as written where the parts spell the
/// token character for character, else as the dictionary folds them.
fn dictionary_parts(t: &TokenInfo) -> Vec<String> {
    let Some(parts) = analyzer().compound_parts(&normalize(&t.surface).text) else {
        return vec![t.surface.clone()];
    };
    let lengths: Vec<usize> = parts.iter().map(|p| p.chars().count()).collect();
    let chars: Vec<char> = t.surface.chars().collect();
    if lengths.iter().sum::<usize>() != chars.len() {
        return parts.to_vec();
    }
    let mut at = 0;
    lengths
        .iter()
        .map(|&n| {
            let part: String = chars[at..at + n].iter().collect();
            at += n;
            part
        })
        .collect()
}

/// Each word's parts when it is a compound typed without spaces
/// ([`split_compound`]), as the words they would be typed with spaces
/// (with their synonyms: 首長交代 also finds 市長が替わった); empty for any
/// other word. A single compound is never relaxed to some of its parts:
/// a case must hold every part (鹿屋市 never finds every case with 市).
pub fn compound_parts(words: &[Word], rules: &synonyms::Synonyms) -> Vec<Vec<Word>> {
    words
        .iter()
        .map(|w| match (w.negated, w.typed, w.atoms.first()) {
            (false, 1, Some(Atom::Word(text))) => split_compound(text)
                .into_iter()
                .map(|p| {
                    let (atoms, typed) = with_synonyms(vec![Atom::Word(p.clone())], rules);
                    Word {
                        label: p,
                        negated: false,
                        atoms,
                        typed,
                    }
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
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
            // A verb cut inside its inflection is named (and searched) in
            // its dictionary form.
            (
                "予算がなくなって続けられなくなった事例",
                vec!["予算", "なくなる"],
            ),
            (
                "発表会を一度やめて再開した自治体",
                vec!["発表会", "一度やめる", "再開"],
            ),
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
    fn a_compound_typed_without_spaces_splits_into_its_content_words() {
        assert_eq!(split_compound("首長交代"), vec!["首長", "交代"]);
        assert_eq!(split_compound("原子力発電所"), vec!["原子力", "発電所"]);
        // Words the user dictionary knows as compounds stay whole among
        // others.
        assert_eq!(split_compound("業務改善運動"), vec!["業務改善", "運動"]);
        assert_eq!(split_compound("業務改善"), vec!["業務", "改善"]);
        // Suffixes, numbers and prefixes stay with their word.
        for whole in ["鹿屋市", "大東市", "第3回", "改善", "新幹線"] {
            assert_eq!(split_compound(whole), Vec::<String>::new(), "{whole}");
        }
        // A long run of words is no compound (a pasted paragraph would be
        // hundreds of queries).
        assert_eq!(
            split_compound(&"業務改善".repeat(100)),
            Vec::<String>::new()
        );
        assert_eq!(split_compound("市民参加型行政評価制度改革").len(), 5);
        // Kana alone, inflected words and sentences are not compounds.
        for other in [
            "ブロックチェーン",
            "かいぜんのはなし",
            "改善された",
            "首長の交代",
            "<script>",
            "改善<b>",
        ] {
            assert_eq!(split_compound(other), Vec::<String>::new(), "{other}");
        }
    }

    #[test]
    fn compound_parts_carry_their_synonyms_and_only_for_typed_words() {
        let rules =
            synonyms::Synonyms::parse(std::path::Path::new("t"), "首長 => 市長\n交代 = 替わる\n")
                .unwrap()
                .without_sudachi();
        let words = plan(&parse("首長交代 -業務改善 \"行政経営\""), &rules);
        let parts = compound_parts(&words, &rules);
        let atoms: Vec<Vec<&str>> = parts[0]
            .iter()
            .map(|w| w.atoms.iter().map(Atom::text).collect())
            .collect();
        assert_eq!(atoms, vec![vec!["首長", "市長"], vec!["交代", "替わる"]]);
        // An excluded word and a phrase are as typed.
        assert!(parts[1].is_empty() && parts[2].is_empty());
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
