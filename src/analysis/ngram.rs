//! Character bigrams: the recall net under the morphological field.
//!
//! IPADIC keeps some compounds whole (関西国際空港, ステップアップシート), so
//! a query for a part finds nothing in the morphological field. Bigrams of
//! the folded text find any substring of two or more characters; the query
//! side turns a word into a phrase of its bigrams, i.e. a substring match.

use super::Term;
use super::fold::fold_char;
use super::normalize::normalize;

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
    if let [(c, start, end)] = run {
        out.push(Term {
            text: c.to_string(),
            start: *start,
            end: *end,
            position: out.len(),
        });
        return;
    }
    for w in run.windows(2) {
        let mut text = String::with_capacity(8);
        text.push(w[0].0);
        text.push(w[1].0);
        out.push(Term {
            text,
            start: w[0].1,
            end: w[1].2,
            position: out.len(),
        });
    }
}

fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}')
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

/// Overlapping bigrams of each run of the folded text. A run of one
/// character yields that character, so single-character words are found
/// too.
pub fn bigrams(text: &str) -> Vec<Term> {
    let n = normalize(text);
    let mut run: Vec<RunChar> = Vec::new();
    let mut out = Vec::new();
    for (i, c) in n.text.char_indices() {
        if is_separator(c) {
            pair_up(&run, &mut out);
            run.clear();
            continue;
        }
        let (start, end) = n.original_range(i, i + c.len_utf8());
        push_folded(&mut run, c, start, end);
    }
    pair_up(&run, &mut out);
    out
}

/// Reading terms of a kana word typed as a query: its folded characters
/// paired up, exactly as readings are indexed, without segmentation (which
/// cuts unknown kana strings arbitrarily).
pub fn kana_bigrams(word: &str) -> Vec<String> {
    let n = normalize(word);
    let mut run = Vec::new();
    for (i, c) in n.text.char_indices() {
        if !c.is_whitespace() {
            push_folded(&mut run, c, i, i + c.len_utf8());
        }
    }
    let mut out = Vec::new();
    pair_up(&run, &mut out);
    out.into_iter().map(|t| t.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_of_folded_runs() {
        let t: Vec<_> = bigrams("ＤＮＡ運動、市")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, vec!["dn", "na", "a運", "運動", "市"]);
    }

    #[test]
    fn bigram_offsets_cover_original_chars() {
        let text = "ｶﾞｲﾄﾞ";
        let t = bigrams(text);
        assert_eq!(t[0].text, "ガイ");
        assert_eq!(&text[t[0].start..t[0].end], "ｶﾞｲ");
    }
}
