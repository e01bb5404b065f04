//! Joins the model image from its parts in `model/` (each under 20 MB, so
//! that the repository holds no file a git host refuses or warns about)
//! into one file in `OUT_DIR`, which `src/lib.rs` embeds. Checks the
//! joined length against the image's own (`model/NOTICE.md`); the parser
//! and the parity test check the rest.

use std::path::PathBuf;

/// The parts, in order.
const PARTS: [&str; 4] = [
    "e5-small-q4.bin.00",
    "e5-small-q4.bin.01",
    "e5-small-q4.bin.02",
    "e5-small-q4.bin.03",
];

/// The image's length in bytes.
const LEN: usize = 71_622_400;

fn main() {
    let dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("model");
    let mut image = Vec::with_capacity(LEN);
    for part in PARTS {
        let path = dir.join(part);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("reading the model part {}: {e}", path.display()));
        image.extend_from_slice(&bytes);
    }
    assert_eq!(
        image.len(),
        LEN,
        "the model parts in {} join to {} bytes, not {LEN}",
        dir.display(),
        image.len()
    );
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("e5-small-q4.bin");
    // Rewritten only when it changed, so that the crate is not rebuilt for
    // nothing.
    if std::fs::read(&out).ok().as_deref() != Some(&image[..]) {
        std::fs::write(&out, &image).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    }
}
