//! The BERT-style encoder of multilingual-e5-small: embeddings, twelve
//! post-LayerNorm transformer layers, mean pooling of one window. It owns
//! the weights (dequantised to f32 once, at load) and the arithmetic; it
//! must not tokenize, split texts into windows or normalise the result:
//! `Model` does that around it.

use crate::file::{self, DType, Image, Q4_BLOCK_BYTES, QK};
use crate::gemm::{View, gemm};
use crate::{DIM, Error};

/// One transformer layer, every matrix row-major `[out][in]` as in the file.
struct Layer {
    /// Query, key and value projections stacked: `[3 · DIM][DIM]`, so that
    /// one product makes all three (a short text is bound by reading
    /// weights, and one pass over the activations serves the three).
    qkv_w: Vec<f32>,
    qkv_b: Vec<f32>,
    out_w: Vec<f32>,
    out_b: Vec<f32>,
    attn_ln_w: Vec<f32>,
    attn_ln_b: Vec<f32>,
    /// `[ffn][DIM]`
    up_w: Vec<f32>,
    up_b: Vec<f32>,
    /// `[DIM][ffn]`
    down_w: Vec<f32>,
    down_b: Vec<f32>,
    ffn_ln_w: Vec<f32>,
    ffn_ln_b: Vec<f32>,
}

pub(crate) struct Encoder<'a> {
    /// The word embeddings stay Q4_0 in the image (250k rows, 54 MB): a
    /// window dequantises only the rows it looks up.
    word: &'a [u8],
    /// `[max_positions][DIM]`, position 0 being the first token (`<s>`).
    positions: Vec<f32>,
    /// Token type 0, the only type the model is fed.
    token_type: Vec<f32>,
    ln_w: Vec<f32>,
    ln_b: Vec<f32>,
    layers: Vec<Layer>,
    heads: usize,
    ffn: usize,
    pub max_positions: usize,
    vocab_rows: usize,
    eps: f32,
}

/// Bytes of one Q4_0 word-embedding row.
const WORD_ROW_BYTES: usize = DIM / QK * Q4_BLOCK_BYTES;

/// A layer's tensors, by name suffix (`l{layer}.{suffix}`), in the order
/// `Encoder::new` takes them.
const LAYER_TENSORS: [(&str, DType, Shape); 16] = [
    ("q.w", DType::Q4_0, Shape::HH),
    ("q.b", DType::F32, Shape::H),
    ("k.w", DType::Q4_0, Shape::HH),
    ("k.b", DType::F32, Shape::H),
    ("v.w", DType::Q4_0, Shape::HH),
    ("v.b", DType::F32, Shape::H),
    ("ao.w", DType::Q4_0, Shape::HH),
    ("ao.b", DType::F32, Shape::H),
    ("aln.w", DType::F32, Shape::H),
    ("aln.b", DType::F32, Shape::H),
    ("fi.w", DType::Q4_0, Shape::HF),
    ("fi.b", DType::F32, Shape::F),
    ("fo.w", DType::Q4_0, Shape::HF),
    ("fo.b", DType::F32, Shape::H),
    ("oln.w", DType::F32, Shape::H),
    ("oln.b", DType::F32, Shape::H),
];

/// A layer tensor's element count.
#[derive(Clone, Copy)]
enum Shape {
    /// `DIM` (a bias or LayerNorm vector)
    H,
    /// `ffn` (the FFN's inner bias)
    F,
    /// `DIM × DIM`
    HH,
    /// `ffn × DIM`, either way round
    HF,
}

fn header_error(field: &'static str, value: usize) -> Error {
    Error::Header {
        field,
        value: value as i64,
    }
}

fn q4_to_f32(bytes: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0; bytes.len() / Q4_BLOCK_BYTES * QK];
    file::dequantise_q4(bytes, &mut out);
    out
}

impl<'a> Encoder<'a> {
    /// Checks every tensor first, then converts: a bad last layer costs no
    /// dequantisation of the others.
    pub fn new(image: &Image<'a>) -> Result<Self, Error> {
        let h = &image.header;
        if h.hidden != DIM {
            return Err(Error::Shape {
                name: "hidden size".into(),
                expected: DIM.to_string(),
                found: h.hidden.to_string(),
            });
        }
        if h.layers == 0 {
            return Err(header_error("layer count", 0));
        }
        if h.heads == 0 || !DIM.is_multiple_of(h.heads) {
            return Err(header_error("head count", h.heads));
        }
        if h.ffn == 0 || !h.ffn.is_multiple_of(QK) {
            return Err(header_error("FFN size", h.ffn));
        }
        // `<s>`, `</s>` and at least one content token per window.
        if h.max_positions < 3 {
            return Err(header_error("positions", h.max_positions));
        }
        if h.type_rows == 0 {
            return Err(header_error("token types", h.type_rows));
        }
        let overflow = |field| header_error(field, usize::MAX);
        let word_n = h
            .vocab_rows
            .checked_mul(DIM)
            .ok_or_else(|| overflow("vocabulary rows"))?;
        let pos_n = h
            .max_positions
            .checked_mul(DIM)
            .ok_or_else(|| overflow("positions"))?;
        let type_n = h
            .type_rows
            .checked_mul(DIM)
            .ok_or_else(|| overflow("token types"))?;
        let ffn_n = h.ffn.checked_mul(DIM).ok_or_else(|| overflow("FFN size"))?;

        let word = image.tensor("emb.word", DType::Q4_0, word_n)?;
        let positions = image.tensor("emb.pos", DType::F32, pos_n)?;
        let token_type = image.tensor("emb.type", DType::F32, type_n)?;
        let ln_w = image.tensor("emb.ln.w", DType::F32, DIM)?;
        let ln_b = image.tensor("emb.ln.b", DType::F32, DIM)?;
        let mut layer_bytes = Vec::new();
        for l in 0..h.layers {
            let mut views = [&[][..]; 16];
            for (view, (suffix, dtype, shape)) in views.iter_mut().zip(LAYER_TENSORS) {
                let n = match shape {
                    Shape::H => DIM,
                    Shape::F => h.ffn,
                    Shape::HH => DIM * DIM,
                    Shape::HF => ffn_n,
                };
                *view = image.tensor(&format!("l{l}.{suffix}"), dtype, n)?;
            }
            layer_bytes.push(views);
        }

        let layers = layer_bytes
            .into_iter()
            .map(|t| {
                let mut qkv_w = q4_to_f32(t[0]);
                qkv_w.extend(q4_to_f32(t[2]));
                qkv_w.extend(q4_to_f32(t[4]));
                let mut qkv_b = file::f32s(t[1]);
                qkv_b.extend(file::f32s(t[3]));
                qkv_b.extend(file::f32s(t[5]));
                Layer {
                    qkv_w,
                    qkv_b,
                    out_w: q4_to_f32(t[6]),
                    out_b: file::f32s(t[7]),
                    attn_ln_w: file::f32s(t[8]),
                    attn_ln_b: file::f32s(t[9]),
                    up_w: q4_to_f32(t[10]),
                    up_b: file::f32s(t[11]),
                    down_w: q4_to_f32(t[12]),
                    down_b: file::f32s(t[13]),
                    ffn_ln_w: file::f32s(t[14]),
                    ffn_ln_b: file::f32s(t[15]),
                }
            })
            .collect();
        Ok(Encoder {
            word,
            positions: file::f32s(positions),
            token_type: file::f32s(&token_type[..DIM * 4]),
            ln_w: file::f32s(ln_w),
            ln_b: file::f32s(ln_b),
            layers,
            heads: h.heads,
            ffn: h.ffn,
            max_positions: h.max_positions,
            vocab_rows: h.vocab_rows,
            eps: h.eps,
        })
    }

    /// Rows of the word-embedding table: token ids must stay below this.
    pub fn vocab_rows(&self) -> usize {
        self.vocab_rows
    }

    /// Mean of the last layer's hidden states over `ids` (one window,
    /// `<s>` and `</s>` included). `ids` are below `vocab_rows()` and there
    /// are at most `max_positions` of them.
    pub fn window_mean(&self, ids: &[u32], s: &mut Scratch) -> [f32; DIM] {
        let len = ids.len();
        assert!(
            (1..=self.max_positions).contains(&len),
            "window of {len} tokens"
        );
        s.fit(len, self.ffn);
        let (h, ffn, hd) = (DIM, self.ffn, DIM / self.heads);
        let x = &mut s.x[..len * h];
        let qkv = &mut s.qkv[..len * 3 * h];
        let ctx = &mut s.ctx[..len * h];
        let tmp = &mut s.tmp[..len * h];
        let mid = &mut s.mid[..len * ffn];
        let scores = &mut s.scores[..len * len];

        for ((row, &id), pos) in x
            .chunks_exact_mut(h)
            .zip(ids)
            .zip(self.positions.chunks_exact(h))
        {
            let id = id as usize;
            let q4 = &self.word[id * WORD_ROW_BYTES..(id + 1) * WORD_ROW_BYTES];
            file::dequantise_q4(q4, row);
            for ((v, p), t) in row.iter_mut().zip(pos).zip(&self.token_type) {
                *v += p + t;
            }
        }
        layer_norm(x, None, &self.ln_w, &self.ln_b, self.eps);

        let scale = 1.0 / (hd as f32).sqrt();
        for layer in &self.layers {
            linear(x, h, &layer.qkv_w, &layer.qkv_b, qkv);
            for head in 0..self.heads {
                // scores = q_h · k_hᵀ / √hd, softmax by row, ctx_h = scores · v_h
                gemm(
                    len,
                    hd,
                    len,
                    scale,
                    View::rows(qkv, head * hd, 3 * h),
                    View::transposed(qkv, h + head * hd, 3 * h),
                    0.0,
                    scores,
                    len,
                );
                for row in scores.chunks_exact_mut(len) {
                    softmax(row);
                }
                gemm(
                    len,
                    len,
                    hd,
                    1.0,
                    View::rows(scores, 0, len),
                    View::rows(qkv, 2 * h + head * hd, 3 * h),
                    0.0,
                    &mut ctx[head * hd..],
                    h,
                );
            }
            linear(ctx, h, &layer.out_w, &layer.out_b, tmp);
            layer_norm(x, Some(tmp), &layer.attn_ln_w, &layer.attn_ln_b, self.eps);
            linear(x, h, &layer.up_w, &layer.up_b, mid);
            for v in mid.iter_mut() {
                *v = gelu(*v);
            }
            linear(mid, ffn, &layer.down_w, &layer.down_b, tmp);
            layer_norm(x, Some(tmp), &layer.ffn_ln_w, &layer.ffn_ln_b, self.eps);
        }

        let mut mean = [0.0f32; DIM];
        for row in x.chunks_exact(h) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        let inv = 1.0 / len as f32;
        mean.iter_mut().for_each(|m| *m *= inv);
        mean
    }
}

/// `out[t] = w · input[t] + b` for every row `t` of `input` (`n_in` wide);
/// `w` is `[n_out][n_in]`, read transposed in place.
fn linear(input: &[f32], n_in: usize, w: &[f32], b: &[f32], out: &mut [f32]) {
    let n_out = b.len();
    let rows = input.len() / n_in;
    for row in out.chunks_exact_mut(n_out) {
        row.copy_from_slice(b);
    }
    gemm(
        rows,
        n_in,
        n_out,
        1.0,
        View::rows(input, 0, n_in),
        View::transposed(w, 0, n_in),
        1.0,
        out,
        n_out,
    );
}

/// Row-wise `x = LayerNorm(x + residual)` (or of `x` alone).
fn layer_norm(x: &mut [f32], residual: Option<&[f32]>, w: &[f32], b: &[f32], eps: f32) {
    let n = w.len();
    for (t, row) in x.chunks_exact_mut(n).enumerate() {
        if let Some(r) = residual {
            for (v, r) in row.iter_mut().zip(&r[t * n..(t + 1) * n]) {
                *v += r;
            }
        }
        let mean = sum(row) / n as f32;
        let var = lanes(row, 0.0, |v| (v - mean) * (v - mean), |a, b| a + b) / n as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(w).zip(b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// In place; the maximum is subtracted first so that no exponential
/// overflows. Each pass is a loop of its own so that it vectorises (a sum
/// folded into the exponential loop would serialise it).
fn softmax(row: &mut [f32]) {
    let max = lanes(row, f32::NEG_INFINITY, |v| v, f32::max);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum(row);
    row.iter_mut().for_each(|v| *v *= inv);
}

/// Folds `map` of each element of `x` with `fold` over eight independent
/// lanes, then folds the lanes: the compiler may not reorder a float fold
/// itself, and a single chain runs one element per instruction latency.
fn lanes(x: &[f32], init: f32, map: impl Fn(f32) -> f32, fold: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [init; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = fold(*a, map(v));
        }
    }
    let tail = rest.iter().map(|&v| map(v)).fold(init, &fold);
    acc.into_iter().fold(tail, fold)
}

fn sum(x: &[f32]) -> f32 {
    lanes(x, 0.0, |v| v, |a, b| a + b)
}

/// GELU with the exact (erf) form, as BERT defines it.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, about
/// f32's resolution near 1). `f32::erf` is not stable yet, and this form
/// has no branch, so the GELU loop vectorises.
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    (1.0 - poly * exp(-a * a)).copysign(x)
}

/// e^x within about 2 ulp, without a library call so that the softmax and
/// GELU loops vectorise (they are ~40 M calls per 512-token window). Splits
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 in two parts so that n·ln 2 is
/// exact enough), takes e^r from its Taylor series to r⁷, and 2ⁿ from the
/// exponent bits. Inputs are clamped to where 2ⁿ is a normal float.
fn exp(x: f32) -> f32 {
    // Adding 1.5 · 2²³ rounds to an integer, which then sits in the low
    // mantissa bits: n is read from there instead of by a float-to-int
    // conversion (Rust's saturating `as` does not vectorise).
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // The low bits of (shifted + 127) are n + 127, the biased exponent of
    // 2ⁿ; shifting them into place drops the bits above.
    p * f32::from_bits((shifted + 127.0).to_bits() << 23)
}

/// Activation buffers, grown to the longest window seen and reused across
/// the windows of a text.
#[derive(Default)]
pub(crate) struct Scratch {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    mid: Vec<f32>,
    scores: Vec<f32>,
}

impl Scratch {
    fn fit(&mut self, len: usize, ffn: usize) {
        let grow = |v: &mut Vec<f32>, n: usize| {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        };
        grow(&mut self.x, len * DIM);
        grow(&mut self.qkv, len * 3 * DIM);
        grow(&mut self.ctx, len * DIM);
        grow(&mut self.tmp, len * DIM);
        grow(&mut self.mid, len * ffn);
        grow(&mut self.scores, len * len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let want = (x as f64).exp();
            let rel = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) < 1e-37);
    }

    #[test]
    fn erf_is_accurate() {
        // Reference values of erf.
        for (x, want) in [
            (0.0f32, 0.0f64),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (-1.0, -0.842_700_792_949_714_9),
            (5.0, 0.999_999_999_998_462_5),
        ] {
            assert!((erf(x) as f64 - want).abs() < 3e-7, "erf({x})");
        }
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!(gelu(-10.0).abs() < 1e-6);
    }

    #[test]
    fn lane_folds() {
        let x: Vec<f32> = (1..=19).map(|i| i as f32).collect();
        assert_eq!(sum(&x), 190.0);
        assert_eq!(lanes(&x, 0.0, |v| v * v, |a, b| a + b), 2470.0);
        assert_eq!(lanes(&x, f32::NEG_INFINITY, |v| v, f32::max), 19.0);
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut row = [1.0, 2.0, 3.0, -50.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((row[2] - 0.665_240_9).abs() < 1e-6);
    }
}
