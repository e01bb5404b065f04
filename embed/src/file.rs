//! The model image's byte layout: header, tokenizer sections, tensor
//! directory. It owns bounds and consistency checks of the layout, so that
//! every slice it hands out lies inside the image and has the length its
//! header or directory promises. It must not interpret what the bytes mean
//! (pieces, scores, weights): the tokenizer and the encoder do that.
//!
//! Layout (all little-endian): `E5S1`, u32 version, i32 hidden size,
//! layers, heads, FFN size, vocabulary rows, positions, token types, f32
//! LayerNorm epsilon, i32 quantisation block; then the tokenizer (i32 piece
//! count, bos, eos, pad, unk, u64 blob length, u32 offsets × (pieces + 1),
//! f32 scores × pieces, the blob, i32 normalisation entries, u32 map
//! length, the map); then the tensor directory (i32 count; per tensor u16
//! name length, name, u8 dtype, u32 element count, u64 offset, u64 byte
//! length), offsets counted from the start of the image.

use crate::Error;

/// The format version this crate reads.
const VERSION: u32 = 1;
/// Elements per Q4_0 block: one f16 scale and 16 bytes of nibbles.
pub(crate) const QK: usize = 32;
/// Bytes per Q4_0 block.
pub(crate) const Q4_BLOCK_BYTES: usize = 2 + QK / 2;

/// Sizes from the header. Counts are checked to be non-negative here; the
/// values the encoder depends on (hidden size, heads) are checked where
/// they are used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_rows: usize,
    pub eps: f32,
}

/// The tokenizer's sections, unparsed.
pub(crate) struct VocabBytes<'a> {
    pub n_pieces: usize,
    pub bos: usize,
    pub eos: usize,
    pub unk: usize,
    /// `n_pieces + 1` little-endian u32 offsets into `blob`.
    pub offsets: &'a [u8],
    /// `n_pieces` little-endian f32 scores.
    pub scores: &'a [u8],
    pub blob: &'a [u8],
    pub n_norm: usize,
    /// Entries of (u32 code point, u8 count, count × u32 code points).
    pub norm: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DType {
    F32,
    Q4_0,
}

/// One directory entry: its bytes lie inside the image and agree with its
/// element count and type.
pub(crate) struct Tensor<'a> {
    pub name: &'a [u8],
    pub dtype: DType,
    pub n: usize,
    pub bytes: &'a [u8],
}

pub(crate) struct Image<'a> {
    pub header: Header,
    pub vocab: VocabBytes<'a>,
    tensors: Vec<Tensor<'a>>,
}

/// Reads fields in order, each one checked against the end of the image.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(Error::Truncated { what, at: self.pos })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn f32(&mut self, what: &'static str) -> Result<f32, Error> {
        self.array(what).map(f32::from_le_bytes)
    }

    /// An i32 that counts or indexes something: negative values are errors.
    fn count(&mut self, what: &'static str) -> Result<usize, Error> {
        let value = i32::from_le_bytes(self.array(what)?);
        usize::try_from(value).map_err(|_| Error::Header {
            field: what,
            value: value.into(),
        })
    }

    /// `n` items of `size` bytes, the product checked for overflow.
    fn items(&mut self, n: usize, size: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let len = n
            .checked_mul(size)
            .ok_or(Error::Truncated { what, at: self.pos })?;
        self.take(len, what)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

/// Byte length of `n` elements of `dtype`, or `None` if `n` does not fill
/// whole Q4_0 blocks or the length overflows.
pub(crate) fn byte_len(dtype: DType, n: usize) -> Option<usize> {
    match dtype {
        DType::F32 => n.checked_mul(4),
        DType::Q4_0 => n
            .is_multiple_of(QK)
            .then(|| (n / QK).checked_mul(Q4_BLOCK_BYTES))?,
    }
}

impl<'a> Image<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cursor { bytes, pos: 0 };
        if bytes.len() < 4 {
            return Err(Error::Truncated {
                what: "magic",
                at: 0,
            });
        }
        if c.take(4, "magic")? != b"E5S1" {
            return Err(Error::BadMagic);
        }
        let version = c.u32("version")?;
        if version != VERSION {
            return Err(Error::Header {
                field: "version",
                value: version.into(),
            });
        }
        let hidden = c.count("hidden size")?;
        let layers = c.count("layer count")?;
        let heads = c.count("head count")?;
        let ffn = c.count("FFN size")?;
        let vocab_rows = c.count("vocabulary rows")?;
        let max_positions = c.count("positions")?;
        let type_rows = c.count("token types")?;
        let eps = c.f32("LayerNorm epsilon")?;
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::Header {
                field: "LayerNorm epsilon",
                value: i64::from(eps.to_bits()),
            });
        }
        let block = c.count("quantisation block")?;
        if block != QK {
            return Err(Error::Header {
                field: "quantisation block",
                value: block as i64,
            });
        }
        let header = Header {
            hidden,
            layers,
            heads,
            ffn,
            vocab_rows,
            max_positions,
            type_rows,
            eps,
        };

        let n_pieces = c.count("piece count")?;
        let bos = c.count("bos id")?;
        let eos = c.count("eos id")?;
        let _pad = c.count("pad id")?;
        let unk = c.count("unk id")?;
        let blob_len =
            usize::try_from(c.u64("piece blob length")?).map_err(|_| Error::Truncated {
                what: "piece blob",
                at: c.pos,
            })?;
        let offsets = c.items(n_pieces.saturating_add(1), 4, "piece offsets")?;
        let scores = c.items(n_pieces, 4, "piece scores")?;
        let blob = c.take(blob_len, "piece blob")?;
        let n_norm = c.count("normalisation entries")?;
        let norm_len = c.u32("normalisation map length")? as usize;
        let norm = c.take(norm_len, "normalisation map")?;
        let vocab = VocabBytes {
            n_pieces,
            bos,
            eos,
            unk,
            offsets,
            scores,
            blob,
            n_norm,
            norm,
        };

        let n_tensors = c.count("tensor count")?;
        // An entry takes at least 23 bytes: a hostile count cannot make
        // this reserve more than the image could hold.
        let mut tensors = Vec::with_capacity(n_tensors.min(c.remaining() / 23));
        for _ in 0..n_tensors {
            let name_len = c.u16("tensor name length")?;
            let name = c.take(name_len.into(), "tensor name")?;
            let dtype = match c.u8("tensor dtype")? {
                0 => DType::F32,
                1 => DType::Q4_0,
                other => {
                    return Err(Error::Tensor {
                        name: String::from_utf8_lossy(name).into_owned(),
                        problem: format!("unknown dtype {other}"),
                    });
                }
            };
            let n = c.u32("tensor element count")? as usize;
            let offset = c.u64("tensor offset")?;
            let nbytes = c.u64("tensor byte length")?;
            let range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(nbytes).ok())
                .and_then(|(start, len)| Some(start..start.checked_add(len)?))
                .filter(|range| range.end <= bytes.len());
            let Some(range) = range else {
                return Err(Error::TensorOutOfRange {
                    name: String::from_utf8_lossy(name).into_owned(),
                    offset,
                    nbytes,
                    len: bytes.len(),
                });
            };
            if byte_len(dtype, n) != Some(range.len()) {
                return Err(Error::Tensor {
                    name: String::from_utf8_lossy(name).into_owned(),
                    problem: format!("{n} elements of {dtype:?} in {nbytes} bytes"),
                });
            }
            tensors.push(Tensor {
                name,
                dtype,
                n,
                bytes: &bytes[range],
            });
        }
        Ok(Image {
            header,
            vocab,
            tensors,
        })
    }

    /// The bytes of tensor `name`, which must hold `n` elements of `dtype`.
    /// The first entry of a name counts, as in the reference engine.
    pub fn tensor(&self, name: &str, dtype: DType, n: usize) -> Result<&'a [u8], Error> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name.as_bytes())
            .ok_or_else(|| Error::TensorMissing(name.to_owned()))?;
        if t.dtype != dtype || t.n != n {
            return Err(Error::Shape {
                name: name.to_owned(),
                expected: format!("{n} × {dtype:?}"),
                found: format!("{} × {:?}", t.n, t.dtype),
            });
        }
        Ok(t.bytes)
    }
}

/// Little-endian f32 values, copied: the image has no alignment guarantee
/// (`include_bytes!` gives bytes), so its floats cannot be borrowed in place.
pub(crate) fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// IEEE half precision to f32 (the Q4_0 block scales).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        // Subnormal half: a normal f32 once the mantissa is shifted up.
        (0, _) => {
            let shift = man.leading_zeros() - 21;
            let man = (man << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (man << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// Dequantises Q4_0 blocks into `out` (32 values per block): value
/// `j` of a block is the low nibble of byte `j`, value `j + 16` its high
/// nibble, each minus 8 and times the block's scale.
pub(crate) fn dequantise_q4(blocks: &[u8], out: &mut [f32]) {
    for (block, out) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK))
    {
        let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
        let (low, high) = out.split_at_mut(QK / 2);
        for ((&q, lo), hi) in block[2..].iter().zip(low).zip(high) {
            *lo = (f32::from(q & 0x0f) - 8.0) * scale;
            *hi = (f32::from(q >> 4) - 8.0) * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        // Smallest subnormal and the largest one.
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn q4_block_layout() {
        let mut block = vec![0x00, 0x3c]; // scale 1.0
        block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let mut out = [0.0; QK];
        dequantise_q4(&block, &mut out);
        for j in 0..16 {
            assert_eq!(out[j], j as f32 - 8.0);
            assert_eq!(out[j + 16], (15 - j) as f32 - 8.0);
        }
    }

    #[test]
    fn byte_lengths() {
        assert_eq!(byte_len(DType::F32, 3), Some(12));
        assert_eq!(byte_len(DType::Q4_0, 64), Some(36));
        assert_eq!(byte_len(DType::Q4_0, 33), None);
        assert_eq!(byte_len(DType::F32, usize::MAX), None);
    }
}
