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

/// Whether NFKC can turn `c` into a CJK unified ideograph (U+4E00..U+9FFF):
/// radicals (⼭), enclosed and parenthesised ideographs (㈱, ㊙), squared
/// words (㍻) and compatibility ideographs (﨑). No other character
/// becomes one, so a text without these holds a kanji word, after
/// normalising, exactly where it holds it as written (a test checks every
/// code point against the normaliser).
pub fn may_become_kanji(c: char) -> bool {
    matches!(
        c,
        '\u{2E80}'..='\u{2FDF}'
            | '\u{3038}'..='\u{303A}'
            | '\u{3190}'..='\u{319F}'
            | '\u{3200}'..='\u{33FF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{1F200}'..='\u{1F2FF}'
            | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// Text after NFKC + lowercase, with a map back to the original.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// The map back, as pieces sorted by normalised offset that together
    /// cover `text`. Most of a Japanese text is copied unchanged, so the
    /// map stores runs rather than a span per byte (which cost more than
    /// the normalisation itself).
    pieces: Vec<Piece>,
    original_len: usize,
}

/// Where a piece of the normalised text starts, and where it came from.
/// It extends to the next piece's start (or the end), in both texts.
#[derive(Debug, Clone, Copy)]
struct Piece {
    norm: u32,
    orig: u32,
    /// Bytes copied from the original (lowercasing ASCII keeps offsets):
    /// offsets map one to one. Otherwise the piece is one normalised
    /// cluster (ｶﾞ → ガ) and all of it maps to the whole original cluster.
    copied: bool,
}

impl Normalized {
    /// The original byte range covering normalized bytes `start..end`.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= self.text.len() {
            return (self.original_len, self.original_len);
        }
        let (i, first) = self.piece_at(start);
        let from = if first.copied {
            first.orig as usize + (start - first.norm as usize)
        } else {
            first.orig as usize
        };
        if first.copied
            && end > start
            && end <= self.text.len()
            && self.text.is_char_boundary(end)
            && self
                .pieces
                .get(i + 1)
                .is_none_or(|next| end <= next.norm as usize)
        {
            // Within one copied run: offsets map one to one.
            return (from, first.orig as usize + (end - first.norm as usize));
        }
        let last = end.saturating_sub(1).max(start).min(self.text.len() - 1);
        let (j, piece) = if last == start {
            (i, first)
        } else {
            self.piece_at(last)
        };
        let to = if piece.copied {
            // The end of the character holding byte `last`.
            let mut b = last;
            while !self.text.is_char_boundary(b) {
                b -= 1;
            }
            let len = self.text[b..].chars().next().map_or(1, char::len_utf8);
            piece.orig as usize + (b + len - piece.norm as usize)
        } else {
            self.pieces
                .get(j + 1)
                .map_or(self.original_len, |p| p.orig as usize)
        };
        (from, to.max(from))
    }

    /// The piece holding normalised byte `at`, with its index.
    fn piece_at(&self, at: usize) -> (usize, Piece) {
        if let [only] = self.pieces.as_slice() {
            return (0, *only);
        }
        let i = self
            .pieces
            .partition_point(|p| p.norm as usize <= at)
            .saturating_sub(1);
        (i, self.pieces[i])
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
    let mut pieces: Vec<Piece> = Vec::new();
    let mut buf = String::new();
    // Starts a copied run at `pos` unless one is going on.
    let copied = |pieces: &mut Vec<Piece>, norm: usize, pos: usize| {
        if !pieces.last().is_some_and(|p| p.copied) {
            pieces.push(Piece {
                norm: norm as u32,
                orig: pos as u32,
                copied: true,
            });
        }
    };
    let mut pos = 0;
    while pos < original.len() {
        let rest = &original[pos..];
        // The run of characters normalisation leaves as they are, copied
        // in one go: most of a Japanese text.
        let mut run = rest.find(|c: char| !is_fast(c)).unwrap_or(rest.len());
        if let Some(next) = rest[run..].chars().next()
            && is_mark(next)
        {
            // The mark composes with the run's last character: leave that
            // one to the cluster below.
            run -= rest[..run].chars().next_back().map_or(0, char::len_utf8);
        }
        if run > 0 {
            copied(&mut pieces, text.len(), pos);
            let from = text.len();
            text.push_str(&rest[..run]);
            text[from..].make_ascii_lowercase();
            pos += run;
            continue;
        }
        // A cluster: a character and the marks that compose with it.
        let mut chars = rest.char_indices();
        let Some((_, c)) = chars.next() else { break };
        let mut end = c.len_utf8();
        for (i, next) in chars {
            if !is_mark(next) {
                break;
            }
            end = i + next.len_utf8();
        }
        let cluster = &rest[..end];
        buf.clear();
        buf.extend(cluster.nfkc().flat_map(char::to_lowercase));
        if buf == cluster {
            // Unchanged after all (most symbols and rarer kanji).
            copied(&mut pieces, text.len(), pos);
        } else {
            // Its own piece, also when it normalises to nothing: that
            // ends the copied run before it.
            pieces.push(Piece {
                norm: text.len() as u32,
                orig: pos as u32,
                copied: false,
            });
        }
        text.push_str(&buf);
        pos += end;
    }
    Normalized {
        text,
        pieces,
        original_len: original.len(),
    }
}

/// Characters copied without asking the normaliser: NFKC leaves them and
/// lowercasing keeps their length.
fn is_fast(c: char) -> bool {
    c.is_ascii() || is_stable(c)
}

/// A mark that composes with the character before it.
fn is_mark(c: char) -> bool {
    !is_fast(c) && (is_voicing_mark(c) || canonical_combining_class(c) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_characters_become_kanji() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let becomes = c
                .to_string()
                .nfkc()
                .flat_map(char::to_lowercase)
                .any(|n| n != c && matches!(n, '\u{4E00}'..='\u{9FFF}'));
            if becomes {
                assert!(
                    may_become_kanji(c),
                    "help: {c} (U+{:04X}) normalises into a kanji",
                    c as u32
                );
            }
        }
    }

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

    /// The piecewise map agrees, byte by byte, with the obvious one: every
    /// normalised character maps to the original cluster it came from.
    #[test]
    fn every_character_maps_back_to_its_cluster() {
        for input in [
            "",
            "改善運動",
            "ＤＮＡ運動をKaizenする",
            "ｶﾞｲﾄﾞとか\u{3099}と①②",
            "a\u{0301}bc ﾊﾟﾊﾟ２０２４年",
            "ﾃｽﾄ",
        ] {
            let n = normalize(input);
            for (i, c) in n.text.char_indices() {
                let (s, e) = n.original_range(i, i + c.len_utf8());
                assert!(s < e && e <= input.len(), "{input:?}: {c:?} → {s}..{e}");
                let back = nfkc(&input[s..e]).to_lowercase();
                assert!(
                    back.contains(c),
                    "{input:?}: {c:?} maps to {:?}",
                    &input[s..e]
                );
            }
            // Whole-text range maps to the whole original.
            if !input.is_empty() {
                assert_eq!(n.original_range(0, n.text.len()), (0, input.len()));
            }
            assert_eq!(
                n.original_range(n.text.len(), n.text.len()),
                (input.len(), input.len())
            );
        }
    }
}
