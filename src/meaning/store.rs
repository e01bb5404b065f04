//! The vectors of the cases, in memory and in their file beside the index.
//!
//! Owns the file format and the nearest-vector ranking; knows nothing of
//! the model (it is handed vectors) or of the index (it is handed ids and
//! content hashes).
//!
//! The file (`meaning.vectors` in the index folder) is derived data, like
//! the index: a file that is missing, damaged, or made by another model is
//! ignored and the vectors are computed again. It is replaced whole through
//! [`crate::atomic`], so a crash leaves the old file or the new one.
//!
//! Layout, little-endian:
//!
//! | bytes | |
//! |---|---|
//! | 8 | magic `KWVECS\0\x01` (the last byte is the format version) |
//! | 2 + n | model id (UTF-8), length first |
//! | 4 | dimensions |
//! | 4 | rows |
//! | per row: 2 + n, 2 + n, 4 × dimensions | case id, content hash, vector |

use std::collections::HashMap;
use std::path::Path;

/// Magic and format version.
const MAGIC: &[u8; 8] = b"KWVECS\0\x01";
/// Longest id or hash kept: case ids are slugs of a few dozen bytes.
const MAX_KEY: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("not a vectors file (or another format version)")]
    Magic,
    #[error("the file ends inside {0}")]
    Truncated(&'static str),
    #[error("made by the model {found:?}, not {expected:?}")]
    OtherModel { found: String, expected: String },
    #[error("vectors of {found} dimensions, not {expected}")]
    Dimensions { found: usize, expected: usize },
    #[error("{0} is not valid")]
    Invalid(&'static str),
}

/// One vector per case, each under the content hash it was computed from.
#[derive(Debug, Clone, Default)]
pub struct Vectors {
    dim: usize,
    ids: Vec<String>,
    hashes: Vec<String>,
    /// Row `i` is `data[i * dim..(i + 1) * dim]`, L2-normalised.
    data: Vec<f32>,
    row_of: HashMap<String, usize>,
}

impl Vectors {
    pub fn new(dim: usize) -> Vectors {
        Vectors {
            dim,
            ..Vectors::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Whether `id`'s vector was computed from the content `hash`.
    pub fn is_current(&self, id: &str, hash: &str) -> bool {
        self.row_of.get(id).is_some_and(|&r| self.hashes[r] == hash)
    }

    pub fn get(&self, id: &str) -> Option<&[f32]> {
        self.row_of.get(id).map(|&r| self.row(r))
    }

    fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.dim..(r + 1) * self.dim]
    }

    /// Sets `id`'s vector (replacing an older one).
    pub fn insert(&mut self, id: &str, hash: &str, vector: &[f32]) {
        assert_eq!(vector.len(), self.dim, "vector of the wrong size");
        match self.row_of.get(id) {
            Some(&r) => {
                self.hashes[r] = hash.to_owned();
                self.data[r * self.dim..(r + 1) * self.dim].copy_from_slice(vector);
            }
            None => {
                self.row_of.insert(id.to_owned(), self.ids.len());
                self.ids.push(id.to_owned());
                self.hashes.push(hash.to_owned());
                self.data.extend_from_slice(vector);
            }
        }
    }

    /// Keeps only the cases for which `keep` holds (removed cases go).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let mut out = Vectors::new(self.dim);
        for r in 0..self.len() {
            if keep(&self.ids[r]) {
                out.insert(&self.ids[r], &self.hashes[r], self.row(r));
            }
        }
        *self = out;
    }

    /// The `k` cases nearest `to` (cosine: the vectors are normalised),
    /// best first, without those `skip` names. Exact: a dot product per
    /// case, ~40 µs per thousand cases, so no approximate index is needed
    /// at the collection's size (100,000 cases: a few milliseconds).
    pub fn nearest(&self, to: &[f32], k: usize, skip: impl Fn(&str) -> bool) -> Vec<(String, f32)> {
        let mut scored: Vec<(usize, f32)> = (0..self.len())
            .filter(|&r| !skip(&self.ids[r]))
            .map(|r| (r, dot(self.row(r), to)))
            .collect();
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > k && k > 0 {
            scored.select_nth_unstable_by(k - 1, by_score);
            scored.truncate(k);
        }
        scored.truncate(k);
        scored.sort_by(by_score);
        scored
            .into_iter()
            .map(|(r, s)| (self.ids[r].clone(), s))
            .collect()
    }

    /// The file's bytes, made by `model`.
    pub fn encode(&self, model: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.data.len() * 4 + self.len() * 80);
        out.extend_from_slice(MAGIC);
        put_str(&mut out, model);
        out.extend_from_slice(&(self.dim as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for r in 0..self.len() {
            put_str(&mut out, &self.ids[r]);
            put_str(&mut out, &self.hashes[r]);
            for x in self.row(r) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Reads a file made by `model` with vectors of `dim` dimensions.
    /// Never trusts a count: rows are read while the bytes last.
    pub fn decode(bytes: &[u8], model: &str, dim: usize) -> Result<Vectors, StoreError> {
        let mut r = Reader(bytes);
        if r.take(MAGIC.len(), "the header")? != MAGIC {
            return Err(StoreError::Magic);
        }
        let found = r.str("the model id")?;
        if found != model {
            return Err(StoreError::OtherModel {
                found,
                expected: model.to_owned(),
            });
        }
        let found_dim = r.u32("the header")? as usize;
        if found_dim != dim {
            return Err(StoreError::Dimensions {
                found: found_dim,
                expected: dim,
            });
        }
        let rows = r.u32("the header")? as usize;
        let mut out = Vectors::new(dim);
        let mut vector = vec![0f32; dim];
        for _ in 0..rows {
            let id = r.str("a case id")?;
            let hash = r.str("a content hash")?;
            let raw = r.take(dim * 4, "a vector")?;
            for (x, b) in vector.iter_mut().zip(raw.chunks_exact(4)) {
                *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            if vector.iter().any(|x| !x.is_finite()) {
                return Err(StoreError::Invalid("a vector"));
            }
            out.insert(&id, &hash, &vector);
        }
        if !r.0.is_empty() {
            return Err(StoreError::Invalid("the end of the file"));
        }
        Ok(out)
    }

    /// Reads the file at `path`; a missing or unusable file is an empty
    /// set (logged), to be computed again.
    pub fn load(path: &Path, model: &str, dim: usize) -> Vectors {
        match std::fs::read(path) {
            Ok(bytes) => Vectors::decode(&bytes, model, dim).unwrap_or_else(|e| {
                tracing::warn!(
                    "{}: {e}; the vectors will be computed again",
                    path.display()
                );
                Vectors::new(dim)
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vectors::new(dim),
            Err(e) => {
                tracing::warn!(
                    "{}: {e}; the vectors will be computed again",
                    path.display()
                );
                Vectors::new(dim)
            }
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(MAX_KEY)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(StoreError::Truncated(what));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, StoreError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn str(&mut self, what: &'static str) -> Result<String, StoreError> {
        let b = self.take(2, what)?;
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        if n > MAX_KEY {
            return Err(StoreError::Invalid(what));
        }
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| StoreError::Invalid(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dim: usize, hot: usize) -> Vec<f32> {
        let mut v = vec![0.0; dim];
        v[hot] = 1.0;
        v
    }

    fn three() -> Vectors {
        let mut v = Vectors::new(4);
        v.insert("a", "h1", &unit(4, 0));
        v.insert("b", "h2", &[0.6, 0.8, 0.0, 0.0]);
        v.insert("c", "h3", &unit(4, 2));
        v
    }

    #[test]
    fn ranks_by_cosine_and_skips() {
        let v = three();
        let got = v.nearest(&unit(4, 0), 2, |_| false);
        assert_eq!(got[0].0, "a");
        assert_eq!(got[1].0, "b");
        assert!((got[1].1 - 0.6).abs() < 1e-6);
        let got = v.nearest(&unit(4, 0), 5, |id| id == "a");
        let ids: Vec<&str> = got.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert!(v.nearest(&unit(4, 0), 0, |_| false).is_empty());
    }

    #[test]
    fn replaces_and_forgets() {
        let mut v = three();
        assert!(v.is_current("a", "h1"));
        v.insert("a", "h9", &unit(4, 3));
        assert!(!v.is_current("a", "h1") && v.is_current("a", "h9"));
        assert_eq!(v.len(), 3);
        v.retain(|id| id != "b");
        assert_eq!(v.len(), 2);
        assert!(v.get("b").is_none());
        assert_eq!(v.get("c"), Some(&unit(4, 2)[..]));
    }

    #[test]
    fn round_trips_and_refuses_another_model() {
        let v = three();
        let bytes = v.encode("m1");
        let back = Vectors::decode(&bytes, "m1", 4).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back.get("b"), v.get("b"));
        assert!(back.is_current("c", "h3"));
        assert!(matches!(
            Vectors::decode(&bytes, "m2", 4),
            Err(StoreError::OtherModel { .. })
        ));
        assert!(matches!(
            Vectors::decode(&bytes, "m1", 8),
            Err(StoreError::Dimensions { .. })
        ));
    }

    #[test]
    fn hostile_files_are_errors_not_panics() {
        let bytes = three().encode("m1");
        // Cut anywhere.
        for n in 0..bytes.len() {
            assert!(Vectors::decode(&bytes[..n], "m1", 4).is_err(), "cut at {n}");
        }
        // Trailing bytes, a huge row count, NaN, bad UTF-8, garbage.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Vectors::decode(&longer, "m1", 4).is_err());
        let mut huge = bytes.clone();
        let rows_at = 8 + 2 + 2 + 4;
        huge[rows_at..rows_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Vectors::decode(&huge, "m1", 4).unwrap_err(),
            StoreError::Truncated("a case id")
        );
        let mut nan = bytes.clone();
        let first_vector = rows_at + 4 + 3 + 4;
        nan[first_vector..first_vector + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            Vectors::decode(&nan, "m1", 4).unwrap_err(),
            StoreError::Invalid("a vector")
        );
        let mut utf = bytes.clone();
        utf[rows_at + 4 + 2] = 0xff;
        assert_eq!(
            Vectors::decode(&utf, "m1", 4).unwrap_err(),
            StoreError::Invalid("a case id")
        );
        assert_eq!(
            Vectors::decode(b"\0\0\0\0\0\0\0\0\0\0", "m1", 4).unwrap_err(),
            StoreError::Magic
        );
    }

    #[test]
    fn a_missing_or_damaged_file_is_an_empty_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meaning.vectors");
        assert!(Vectors::load(&path, "m1", 4).is_empty());
        std::fs::write(&path, b"KWVECS\0\x01garbage").unwrap();
        assert!(Vectors::load(&path, "m1", 4).is_empty());
        std::fs::write(&path, three().encode("m1")).unwrap();
        assert_eq!(Vectors::load(&path, "m1", 4).len(), 3);
    }
}
