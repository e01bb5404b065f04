//! Character-level normalisation that remembers where every character came
//! from, so that tokens (and highlights) point into the original text.
//!
//! Order matters (JAPANESE-SEARCH.md): NFKC and lowercase *before*
//! segmentation (width: ＤＮＡ → dna, ｶﾞｲﾄﾞ → ガイド); kana and variant
//! folding *after* it, on tokens, because folding before MeCab-style
//! analysis changes how unknown words are cut.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// NFKC of a whole string (no offsets): for short labels and headings.
pub fn nfkc(s: &str) -> String {
    s.nfkc().collect()
}

/// Whether NFKC and lowercasing leave `text` as it is (most stored texts):
/// then [`normalize`] maps every character to itself, and callers that
/// only need the characters can skip it.
pub fn is_normalized(text: &str) -> bool {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    text.chars().all(|c| {
        if c.is_ascii() {
            !c.is_ascii_uppercase()
        } else {
            // A mark would join the character before it into one cluster.
            is_stable(c)
                || (!is_voicing_mark(c)
                    && canonical_combining_class(c) == 0
                    && !c.is_uppercase()
                    && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes)
        }
    })
}

/// Text after NFKC + lowercase, with a map back to the original.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// For each byte of `text`: the original byte range of the cluster it
    /// came from. Indexed by normalized byte offset.
    spans: Vec<(u32, u32)>,
    original_len: usize,
}

impl Normalized {
    /// The original byte range covering normalized bytes `start..end`.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= self.spans.len() {
            return (self.original_len, self.original_len);
        }
        let from = self.spans[start].0 as usize;
        let to = self.spans[end.saturating_sub(1).max(start)].1 as usize;
        (from, to.max(from))
    }
}

/// Dakuten and handakuten that NFKC composes with the preceding kana:
/// half-width (ﾞﾟ) and combining (U+3099, U+309A).
fn is_voicing_mark(c: char) -> bool {
    matches!(c, '\u{FF9E}' | '\u{FF9F}' | '\u{3099}' | '\u{309A}')
}

/// Characters that NFKC and lowercasing leave unchanged, checked without
/// the normaliser: most of a Japanese text. (Not ゛゜ U+309B/C, which NFKC
/// turns into a space and a combining mark.)
fn is_stable(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{3096}'   // hiragana
        | '\u{30A1}'..='\u{30FA}' // katakana
        | '\u{30FC}'              // ー
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{3001}'..='\u{3002}' // 、。
        | '\u{300C}'..='\u{300F}' // 「」『』
    )
}

/// NFKC + lowercase, cluster by cluster: a base character and the marks
/// that compose with it are normalised together, and every output byte
/// maps to that cluster's original range.
pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut spans = Vec::with_capacity(original.len());
    let mut buf = String::new();
    let mut chars = original.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            // Most of a Japanese text: no mark, and no table look-up.
            if next.is_ascii() || is_stable(next) {
                break;
            }
            if is_voicing_mark(next) || canonical_combining_class(next) != 0 {
                end = i + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let cluster = &original[start..end];
        if end == start + c.len_utf8() && is_stable(c) {
            text.push(c);
            spans.extend(std::iter::repeat_n(
                (start as u32, end as u32),
                c.len_utf8(),
            ));
            continue;
        }
        if cluster.is_ascii() {
            for b in cluster.bytes() {
                text.push(b.to_ascii_lowercase() as char);
                spans.push((start as u32, end as u32));
            }
            continue;
        }
        buf.clear();
        buf.extend(cluster.nfkc().flat_map(char::to_lowercase));
        text.push_str(&buf);
        spans.extend(std::iter::repeat_n((start as u32, end as u32), buf.len()));
    }
    Normalized {
        text,
        spans,
        original_len: original.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let n = normalize(input);
        assert_eq!(n.text, expected, "help: normalize({input:?})");
    }

    #[test]
    fn width_case_and_voicing_marks_fold() {
        check("ＤＮＡ", "dna");
        check("ｶﾞｲﾄﾞ", "ガイド");
        check("２０１５年", "2015年");
        check("Kaizen", "kaizen");
        check("か\u{3099}", "が");
        check("金ヶ崎町", "金ヶ崎町"); // NFKC leaves ヶ: folded later.
    }

    #[test]
    fn the_fast_path_agrees_with_nfkc() {
        for c in [
            'あ', 'ゖ', 'ア', 'ヺ', 'ー', '一', '龥', '、', '。', '「', '』',
        ] {
            assert!(is_stable(c));
            let s = c.to_string();
            assert_eq!(nfkc(&s).to_lowercase(), s, "help: {c:?} is not NFKC-stable");
        }
        assert!(!is_stable('\u{309B}'));
    }

    #[test]
    fn normalized_texts_are_recognised() {
        for (text, yes) in [
            ("首長交代で改善運動が途絶えた。", true),
            ("dna運動、ガイド", true),
            ("ＤＮＡ運動", false),
            ("DNA", false),
            ("ｶﾞｲﾄﾞ", false),
            ("か\u{3099}", false),
            ("（改善）・第3次", false),
            ("改善・「運動」", true),
            ("…", false),
            ("é", true),
            ("e\u{301}", false),
        ] {
            assert_eq!(is_normalized(text), yes, "help: {text:?}");
            if yes {
                assert_eq!(normalize(text).text, text);
            }
        }
    }

    #[test]
    fn offsets_map_back_to_original_clusters() {
        let input = "aｶﾞｲﾄﾞ改善";
        let n = normalize(input);
        // "ガ" (3 bytes) came from "ｶﾞ" (6 bytes) at 1..7.
        let ga = n.text.find('ガ').unwrap();
        assert_eq!(n.original_range(ga, ga + 3), (1, 7));
        let k = n.text.find("改善").unwrap();
        let (s, e) = n.original_range(k, k + "改善".len());
        assert_eq!(&input[s..e], "改善");
    }
}
