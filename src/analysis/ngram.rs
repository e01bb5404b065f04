//! Character bigrams: the recall net under the morphological field.
//!
//! IPADIC keeps some compounds whole (関西国際空港, ステップアップシート), so
//! a query for a part finds nothing in the morphological field. Bigrams of
//! the folded text find any substring of two or more characters; the query
//! side turns a word into a phrase of its bigrams, i.e. a substring match.
//! The last character of a run is also indexed alone, so that every
//! occurrence of a character starts a term (a bigram, or that character):
//! a one-character word (県, 市) is the terms *starting* with it, a prefix
//! of the term dictionary. (Matching every bigram that *contains* it meant
//! scanning the whole dictionary: over 100 ms on 10,000 cases for a
//! sentence query such as 漫画で改善を広めた県. Indexing every character
//! alone would cost a third more indexing time.)

use super::Term;
use super::fold::{fold_char, is_katakana};
use super::normalize::{Normalized, normalize};

/// Characters that split runs: whitespace and punctuation. Bigrams never
/// span them.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(
            c,
            '、' | '。'
                | '，'
                | '．'
                | '・'
                | '「'
                | '」'
                | '『'
                | '』'
                | '（'
                | '）'
                | '【'
                | '】'
                | '〈'
                | '〉'
                | '《'
                | '》'
                | '〔'
                | '〕'
                | '［'
                | '］'
                | '｛'
                | '｝'
                | '〜'
                | '～'
                | '…'
                | '‥'
                | '！'
                | '？'
                | '：'
                | '；'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '〇'
                | '☆'
                | '★'
                | '※'
                | '→'
                | '←'
                | '◯'
                | '○'
                | '●'
                | '■'
                | '□'
                | '◆'
                | '◇'
        )
}

/// A character of a run, with the original byte range it stands for.
pub(super) type RunChar = (char, usize, usize);

/// Appends the overlapping bigrams of one run (or its single character) to
/// `out`. Offsets in `run` are already original offsets.
pub(super) fn pair_up(run: &[RunChar], out: &mut Vec<Term>) {
    if let [one] = run {
        out.push(single(*one, out.len(), false));
        return;
    }
    for w in run.windows(2) {
        out.push(bigram(w, out.len()));
    }
}

/// One character of a run alone, as a term at `position`.
fn single((c, start, end): RunChar, position: usize, compound: bool) -> Term {
    Term {
        text: c.to_string(),
        start,
        end,
        position,
        compound,
    }
}

/// The bigram of two neighbouring characters of a run, at `position`.
fn bigram(pair: &[RunChar], position: usize) -> Term {
    let mut text = String::with_capacity(8);
    text.push(pair[0].0);
    text.push(pair[1].0);
    Term {
        text,
        start: pair[0].1,
        end: pair[1].2,
        position,
        compound: false,
    }
}

/// Marks a reading bigram that starts a word (`^ギヨ`), indexed beside
/// the plain bigram at its position: a short kana query is a phrase from a
/// word's start, so it never matches a run of sounds that starts inside a
/// word (ラリカ in きらり☆改善 → キラリカイゼン). Only starts are marked:
/// marking ends too cost a fifth more index for what a short query rarely
/// needs.
pub(super) const WORD_START: char = '^';

/// Appends the bigrams of one reading run at successive positions from
/// `position` (a gap after the run), with each bigram that starts a word
/// also marked ([`WORD_START`]). `starts[i]`: a word starts at the run's
/// character `i`. A run of one character is that character.
pub(super) fn pair_up_words(
    run: &[RunChar],
    starts: &[bool],
    out: &mut Vec<Term>,
    position: &mut usize,
) {
    if run.is_empty() {
        return;
    }
    if let [(c, start, end)] = run {
        out.push(Term {
            text: c.to_string(),
            start: *start,
            end: *end,
            position: *position,
            compound: false,
        });
        *position += 2;
        return;
    }
    for (i, w) in run.windows(2).enumerate() {
        let mut text = String::with_capacity(8);
        text.push(w[0].0);
        text.push(w[1].0);
        let mut push = |text: String| {
            out.push(Term {
                text,
                start: w[0].1,
                end: w[1].2,
                position: *position,
                compound: false,
            })
        };
        if starts.get(i).copied().unwrap_or(false) {
            push(format!("{WORD_START}{text}"));
        }
        push(text);
        *position += 1;
    }
    *position += 1;
}

/// Pushes a folded char onto a run, dropping a long-vowel mark after a
/// katakana letter as [`super::fold_term`] does (its bytes join the previous
/// char's range, so a highlight covers it).
pub(super) fn push_folded(run: &mut Vec<RunChar>, c: char, start: usize, end: usize) {
    let f = fold_char(c);
    if f == 'ー'
        && let Some(last) = run.last_mut().filter(|(p, _, _)| is_katakana(*p))
    {
        last.2 = end;
        return;
    }
    run.push((f, start, end));
}

/// Appends the terms of one run of the n-gram field: a run of one
/// character is that character; a longer run is its overlapping bigrams,
/// then its last character alone at the last bigram's position. That
/// character is marked `compound`: indexed, never a query term (a query's
/// word is the phrase of its bigrams, or one character's prefix).
fn index_run(run: &[RunChar], out: &mut Vec<Term>, position: &mut usize) {
    match run {
        [] => {}
        [one] => {
            out.push(single(*one, *position, false));
            *position += 1;
        }
        _ => {
            for (k, w) in run.windows(2).enumerate() {
                out.push(bigram(w, *position + k));
            }
            out.push(single(run[run.len() - 1], *position + run.len() - 2, true));
            *position += run.len() - 1;
        }
    }
}

/// Overlapping bigrams of each run of the folded, normalised text, and
/// its last character alone (see [`index_run`]). A run of one character yields
/// that character, so single-character words are found too. `numerals`
/// (normalised byte range → Arabic digits, sorted) replace kanji numerals,
/// so 第三次 gives the bigrams of 第3次; each digit keeps the whole
/// numeral's original range.
pub fn bigrams(n: &Normalized, numerals: &[(usize, usize, String)]) -> Vec<Term> {
    let mut run: Vec<RunChar> = Vec::new();
    let mut out = Vec::new();
    let mut position = 0;
    let mut numerals = numerals.iter().peekable();
    let mut skip_to = 0;
    for (i, c) in n.text.char_indices() {
        if i < skip_to {
            continue;
        }
        if let Some((s, e, arabic)) = numerals.peek().filter(|(s, _, _)| *s == i) {
            let (start, end) = n.original_range(*s, *e);
            for d in arabic.chars() {
                run.push((d, start, end));
            }
            skip_to = *e;
            numerals.next();
            continue;
        }
        if is_separator(c) {
            index_run(&run, &mut out, &mut position);
            run.clear();
            continue;
        }
        let (start, end) = n.original_range(i, i + c.len_utf8());
        push_folded(&mut run, c, start, end);
    }
    index_run(&run, &mut out, &mut position);
    out
}

/// The folded characters of a kana word typed as a query, as readings
/// are indexed, without segmentation (which cuts unknown kana strings
/// arbitrarily).
fn kana_run(word: &str) -> Vec<RunChar> {
    let n = normalize(word);
    let mut run = Vec::new();
    for (i, c) in n.text.char_indices() {
        if !c.is_whitespace() {
            push_folded(&mut run, c, i, i + c.len_utf8());
        }
    }
    run
}

/// Reading terms of a kana word typed as a query: its folded characters
/// paired up, exactly as readings are indexed.
pub fn kana_bigrams(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    pair_up(&kana_run(word), &mut out);
    out.into_iter().map(|t| t.text).collect()
}

/// The bigrams of a kana word typed as a query, the first marked
/// [`WORD_START`]: matches readings from a word's start on.
pub fn kana_bigrams_words(word: &str) -> Vec<String> {
    let mut out = kana_bigrams(word);
    if let Some(first) = out.first_mut() {
        first.insert(0, WORD_START);
    }
    out
}

/// A kana word typed as a query as one reading, folded exactly as a whole
/// word's reading is indexed ([`fold_reading`]): かいぜん → カイゼン.
pub fn kana_reading(word: &str) -> String {
    kana_run(word).into_iter().map(|(c, _, _)| c).collect()
}

/// A word's reading as indexed whole: folded like the reading bigrams
/// (hiragana → katakana, small kana, a long-vowel mark after katakana
/// dropped).
pub(super) fn fold_reading(reading: &str) -> String {
    let mut run = Vec::with_capacity(reading.len() / 3);
    for c in reading.chars() {
        push_folded(&mut run, c, 0, 0);
    }
    run.into_iter().map(|(c, _, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms
            .iter()
            .filter(|t| !t.compound)
            .map(|t| t.text.as_str())
            .collect()
    }

    #[test]
    fn bigrams_of_folded_runs() {
        let t = bigrams(&normalize("ＤＮＡ運動、市"), &[]);
        assert_eq!(texts(&t), vec!["dn", "na", "a運", "運動", "市"]);
    }

    /// A run's last character is indexed alone at the last bigram's
    /// position: every character starts a term, and bigram phrases keep
    /// consecutive positions.
    #[test]
    fn every_character_starts_a_term() {
        let t: Vec<_> = bigrams(&normalize("三重県、市"), &[])
            .into_iter()
            .map(|t| (t.text, t.position, t.compound))
            .collect();
        let want = [
            ("三重", 0, false),
            ("重県", 1, false),
            ("県", 1, true),
            ("市", 2, false),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(s, p, c)| (s.to_string(), *p, *c))
            .collect();
        assert_eq!(t, want);
    }

    #[test]
    fn kana_reading_is_folded_like_indexed_readings() {
        assert_eq!(kana_reading("かいぜん"), "カイゼン");
        assert_eq!(kana_reading("まねーじゃー"), fold_reading("マネージャー"));
        assert_eq!(fold_reading("マネージャー"), "マネジヤ");
    }

    #[test]
    fn numerals_replace_their_kanji() {
        let text = "第三次計画";
        let n = normalize(text);
        let t = bigrams(&n, &[(3, 6, "3".into())]);
        assert_eq!(texts(&t), vec!["第3", "3次", "次計", "計画"]);
        assert_eq!(&text[t[0].start..t[0].end], "第三");
    }

    #[test]
    fn bigram_offsets_cover_original_chars() {
        let text = "ｶﾞｲﾄﾞ";
        let t = bigrams(&normalize(text), &[]);
        assert_eq!(t[0].text, "ガイ");
        assert_eq!(&text[t[0].start..t[0].end], "ｶﾞｲ");
    }
}
